// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig test guest: a bare-metal arm64 image, TEST-ONLY, that an
 * unmodified QEMU boots with "-kernel vlpi_guest.elf" to show that a
 * device MSI left pending (as a vLPI) when the VM stops survives a live
 * migration and is delivered exactly once on the destination.
 *
 * Machine: QEMU -M virt,gic-version=3,its=on,highmem=off -m 128, one
 * vCPU (-accel kvm -cpu host for real; TCG with -cpu max works too), and
 * a QEMU "edu" device (1234:11e8; for real a vfio-pci passthrough of one)
 * on PCI bus 0 at any slot. The guest runs at EL1 with the MMU and caches
 * off, with IRQs masked except while a command waits for interrupts.
 *
 * Memory map assumed (virt, highmem=off):
 *   0x08000000  GICv3 distributor
 *   0x08080000  GICv3 ITS (GITS_TRANSLATER at 0x08090040)
 *   0x080a0000  GICv3 redistributors (128 KiB frames)
 *   0x09000000  PL011 UART (the only console)
 *   0x10000000  PCI 32-bit MMIO window (edu BAR0 is placed here)
 *   0x3f000000  PCIe ECAM, bus 0 scanned
 *   0x40000000  RAM; the image is linked at 0x40200000 and keeps its
 *               LPI property/pending tables, ITS device/collection
 *               tables, ITT and command queue in its BSS
 * PSCI calls go through hvc.
 *
 * Setup: the GIC distributor, redistributor (LPIs, 14 INTID bits) and
 * CPU interface; the ITS with DeviceID = the edu's requester ID
 * (bus << 8 | devfn), EventID 0 mapped to LPI 8192 on collection 0 (the
 * one vCPU); the edu's BAR0 at 0x10000000, memory decode and bus
 * mastering on, MSI enabled with one vector (address GITS_TRANSLATER,
 * data 0). No other edu register is written at boot.
 *
 * Protocol on the UART. Lines the guest prints end with "\r\n". Before
 * "ready" the guest may print lines starting "vlpi-guest: info ". Once
 * ready it reads single bytes and answers each command byte with exactly
 * one line; any other byte (newlines too) is ignored:
 *
 *   (boot)  vlpi-guest: ready dev=BB:DD.F devid=0xNNNN lpi=8192
 *           BB:DD.F the edu's bus:device.function, NNNN its DeviceID,
 *           both in hex.
 *   'p'     With IRQs masked at the CPU, raise the edu's interrupt (one
 *           MSI), poll ICC_HPPIR1_EL1 until it reads 8192 (2 s timeout),
 *           then acknowledge the interrupt at the device, so that the
 *           pending LPI is its only copy, and read the device's interrupt
 *           status back:
 *           vlpi-guest: pending hppir=N status=0xS
 *           vlpi-guest: pending hppir=N status=0xS timeout
 *           N (decimal) is the last ICC_HPPIR1_EL1 value read (1023:
 *           nothing pending), S (hex) the status, 0 when all is well.
 *   'u'     Unmask IRQs for 300 ms, mask them again, report how many
 *           LPI 8192s the IRQ handler took since the previous report
 *           (decimal) and start counting again from 0:
 *           vlpi-guest: took N
 *   'r'     Unmask IRQs, raise the edu's interrupt, wait until the
 *           handler has taken one (2 s timeout), mask IRQs, and report
 *           as for 'u' (so "took 0" on timeout):
 *           vlpi-guest: took N
 *   'l'     Read (only) the edu's liveness and factorial registers:
 *           vlpi-guest: scratch=0xXXXXXXXX factorial=0xXXXXXXXX
 *   'q'     vlpi-guest: bye
 *           then PSCI SYSTEM_OFF (QEMU exits unless -no-shutdown).
 *
 * The IRQ handler acknowledges at the GIC, counts LPI 8192 and
 * acknowledges it at the edu as well, and EOIs everything but the
 * spurious INTIDs 1020-1023.
 *
 * On any setup failure or unexpected exception the guest prints one line
 * starting "vlpi-guest: error: " and powers off.
 */

#include <stdarg.h>

#include "guest.h"

#define LPI_INTID		8192
#define LPI_ID_BITS		14
#define LPI_PROP_SIZE		((1 << LPI_ID_BITS) - 8192)
#define LPI_PEND_SIZE		((1 << LPI_ID_BITS) / 8)
#define LPI_PRIO		0xa0
#define LPI_PROP_ENABLE		0x01

#define ITS_TABLE_SIZE		SZ_64K
#define ITS_CMDQ_SIZE		SZ_4K
#define ITS_CMDQ_NR		(ITS_CMDQ_SIZE / ITS_CMD_SIZE)
#define ITT_EVENT_BITS		5
#define ITT_SIZE		SZ_4K

#define INTID_SPURIOUS_FIRST	1020
#define INTID_SPURIOUS		1023

#define TIMEOUT_MS		2000
#define UNMASK_MS		300

/* Tables read by the (virtual) GIC: normal RAM, in the zeroed BSS */
static u8 lpi_prop[LPI_PROP_SIZE] __aligned(SZ_64K);
static u8 lpi_pend[LPI_PEND_SIZE] __aligned(SZ_64K);
static u8 its_dev_table[ITS_TABLE_SIZE] __aligned(SZ_64K);
static u8 its_coll_table[ITS_TABLE_SIZE] __aligned(SZ_64K);
static u64 its_cmdq[ITS_CMDQ_SIZE / 8] __aligned(SZ_64K);
static u8 its_itt[ITT_SIZE] __aligned(SZ_4K);

static unsigned long gicr;	/* RD_base frame of this CPU */
static unsigned int its_cmd_idx;
static u64 its_target;		/* RDbase field of MAPC/SYNC, in place */
static unsigned long edu_bar;
static u64 cnt_per_ms;

static u32 lpi_count;	/* READ_ONCE()/WRITE_ONCE(): the IRQ handler's */

/* Console */

static void uart_putc(char c)
{
	while (readl(UART_BASE + UART_FR) & UART_FR_TXFF)
		;
	writel((u8)c, UART_BASE + UART_DR);
}

static int uart_getc(void)
{
	if (readl(UART_BASE + UART_FR) & UART_FR_RXFE)
		return -1;
	return readl(UART_BASE + UART_DR) & 0xff;
}

static void put_char(char c)
{
	if (c == '\n')
		uart_putc('\r');
	uart_putc(c);
}

static void put_str(const char *s)
{
	while (*s)
		put_char(*s++);
}

static void put_num(u64 v, unsigned int base, unsigned int width, char pad)
{
	char buf[24];
	unsigned int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width > n) {
		put_char(pad);
		width--;
	}
	while (n)
		put_char(buf[--n]);
}

/* Just what this file uses: %c %s %d %u %x with 0/width/l/ll */
static void put_fmt(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		unsigned int width = 0, lng = 0;
		char pad = ' ';
		u64 v;

		if (*fmt != '%') {
			put_char(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'c':
			put_char(va_arg(ap, int));
			break;
		case 's':
			put_str(va_arg(ap, const char *));
			break;
		case 'd':
			if (lng) {
				long long s = va_arg(ap, long long);

				v = s < 0 ? -(u64)s : (u64)s;
				if (s < 0)
					put_char('-');
			} else {
				int s = va_arg(ap, int);

				v = s < 0 ? -(u64)s : (u64)s;
				if (s < 0)
					put_char('-');
			}
			put_num(v, 10, width, pad);
			break;
		case 'u':
		case 'x':
			v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned int);
			put_num(v, *fmt == 'u' ? 10 : 16, width, pad);
			break;
		case '%':
			put_char('%');
			break;
		default:
			return;
		}
	}
}

static __printf(1, 2) void pr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	put_fmt(fmt, ap);
	va_end(ap);
}

static void __noreturn system_off(void)
{
	register u64 x0 asm("x0") = PSCI_SYSTEM_OFF;

	asm volatile("hvc #0" : "+r" (x0) : : "x1", "x2", "x3", "memory");
	pr("vlpi-guest: error: SYSTEM_OFF returned %d\n", (int)x0);
	for (;;)
		asm volatile("wfi");
}

static __printf(1, 2) void __noreturn fatal(const char *fmt, ...)
{
	va_list ap;

	put_str("vlpi-guest: error: ");
	va_start(ap, fmt);
	put_fmt(fmt, ap);
	va_end(ap);
	put_char('\n');
	system_off();
}

static const char * const vector_names[16] = {
	"EL1t sync", "EL1t IRQ", "EL1t FIQ", "EL1t SError",
	"EL1h sync", "EL1h IRQ", "EL1h FIQ", "EL1h SError",
	"EL0 sync", "EL0 IRQ", "EL0 FIQ", "EL0 SError",
	"EL0/32 sync", "EL0/32 IRQ", "EL0/32 FIQ", "EL0/32 SError",
};

void bad_exception(u64 vector, u64 esr, u64 elr, u64 far)
{
	fatal("exception %s esr=0x%lx elr=0x%lx far=0x%lx",
	      vector_names[vector & 15], esr, elr, far);
}

/* Generic timer */

static u64 now(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

static u64 deadline_ms(u64 ms)
{
	return now() + ms * cnt_per_ms;
}

static int expired(u64 deadline)
{
	return (long long)(now() - deadline) >= 0;
}

static void timer_init(void)
{
	u64 frq = read_sysreg(cntfrq_el0) & 0xffffffff;

	if (!frq) {
		/* Unset by the VMM: assume QEMU's usual 62.5 MHz */
		pr("vlpi-guest: info CNTFRQ_EL0 is 0, assuming 62500000\n");
		frq = 62500000;
	}
	cnt_per_ms = frq / 1000;
	if (!cnt_per_ms)
		cnt_per_ms = 1;
}

/* GIC: distributor, redistributor, CPU interface, LPI tables */

static void gicd_wait_rwp(void)
{
	u64 end = deadline_ms(TIMEOUT_MS);

	while (readl(GICD_BASE + GICD_CTLR) & GICD_CTLR_RWP) {
		if (expired(end))
			fatal("GICD_CTLR.RWP stuck");
	}
}

static void gicr_find(void)
{
	u64 mpidr = read_sysreg(mpidr_el1);
	u32 aff = (((mpidr >> 32) & 0xff) << 24) | (mpidr & 0xffffff);
	unsigned long frame = GICR_BASE;

	while (frame < GICR_REGION_END) {
		u64 typer = readq(frame + GICR_TYPER);

		if (GICR_TYPER_AFF(typer) == aff) {
			gicr = frame;
			return;
		}
		if (typer & GICR_TYPER_LAST)
			break;
		frame += GICR_FRAME_SIZE;
		if (typer & GICR_TYPER_VLPIS)
			frame += GICR_VLPI_FRAMES_SIZE;
	}
	fatal("no redistributor for MPIDR 0x%lx", mpidr);
}

static void gic_init(void)
{
	u64 end, val, want;

	/* Distributor: affinity routing, group 1 enabled */
	writel(GICD_CTLR_ARE_NS, GICD_BASE + GICD_CTLR);
	gicd_wait_rwp();
	writel(GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_G1A | GICD_CTLR_ENABLE_G1,
	       GICD_BASE + GICD_CTLR);
	gicd_wait_rwp();

	/* Redistributor: wake it up */
	gicr_find();
	if (!(readq(gicr + GICR_TYPER) & GICR_TYPER_PLPIS))
		fatal("redistributor has no physical LPI support");
	val = readl(gicr + GICR_WAKER);
	writel(val & ~GICR_WAKER_PSLEEP, gicr + GICR_WAKER);
	end = deadline_ms(TIMEOUT_MS);
	while (readl(gicr + GICR_WAKER) & GICR_WAKER_CASLEEP) {
		if (expired(end))
			fatal("GICR_WAKER.ChildrenAsleep stuck");
	}

	/* CPU interface: system registers, everything unmasked by priority */
	write_sysreg(read_sysreg(icc_sre_el1) | 1, icc_sre_el1);
	isb();
	if (!(read_sysreg(icc_sre_el1) & 1))
		fatal("ICC_SRE_EL1.SRE stays 0");
	write_sysreg(0xff, icc_pmr_el1);
	write_sysreg(0, icc_bpr1_el1);
	write_sysreg(1, icc_igrpen1_el1);
	isb();

	/*
	 * LPI tables. The CPU writes them uncached (MMU off), so ask the GIC
	 * to read them uncached too; a VMM may rewrite the attributes (KVM
	 * makes them cacheable, which with its coherent accesses is fine),
	 * so only the address and size are checked on read-back.
	 */
	if (readl(gicr + GICR_CTLR) & GICR_CTLR_ENABLE_LPIS)
		fatal("LPIs already enabled at boot");
	lpi_prop[LPI_INTID - 8192] = LPI_PRIO | LPI_PROP_ENABLE;

	want = (unsigned long)lpi_prop | GIC_SHARE_INNER |
	       GICR_BASER_ICACHE(GIC_CACHE_NC) | (LPI_ID_BITS - 1);
	writeq(want, gicr + GICR_PROPBASER);
	val = readq(gicr + GICR_PROPBASER);
	if ((val & (GIC_ADDR_MASK | GICR_PROPBASER_IDBITS)) !=
	    (want & (GIC_ADDR_MASK | GICR_PROPBASER_IDBITS)))
		fatal("GICR_PROPBASER wrote 0x%lx read 0x%lx", want, val);
	pr("vlpi-guest: info propbaser=0x%lx", val);

	want = (unsigned long)lpi_pend | GIC_SHARE_INNER |
	       GICR_BASER_ICACHE(GIC_CACHE_NC);
	writeq(want, gicr + GICR_PENDBASER);
	val = readq(gicr + GICR_PENDBASER);
	if ((val & GICR_PENDBASER_ADDR) != (want & GICR_PENDBASER_ADDR))
		fatal("GICR_PENDBASER wrote 0x%lx read 0x%lx", want, val);
	pr(" pendbaser=0x%lx\n", val);

	dsb_sy();
	writel(readl(gicr + GICR_CTLR) | GICR_CTLR_ENABLE_LPIS,
	       gicr + GICR_CTLR);
	if (!(readl(gicr + GICR_CTLR) & GICR_CTLR_ENABLE_LPIS))
		fatal("GICR_CTLR.EnableLPIs stays 0");
}

/* ITS */

static void its_wait(void)
{
	u64 end = deadline_ms(TIMEOUT_MS);
	u64 wr = readq(GITS_BASE + GITS_CWRITER) & GITS_CMD_OFFSET_MASK;
	u64 rd;

	for (;;) {
		rd = readq(GITS_BASE + GITS_CREADR);
		if (rd & GITS_CREADR_STALLED)
			fatal("ITS command queue stalled creadr=0x%lx cwriter=0x%lx",
			      rd, wr);
		if ((rd & GITS_CMD_OFFSET_MASK) == wr)
			return;
		if (expired(end))
			fatal("ITS command queue timeout creadr=0x%lx cwriter=0x%lx",
			      rd, wr);
	}
}

static void its_queue(u64 dw0, u64 dw1, u64 dw2)
{
	u64 *cmd = &its_cmdq[its_cmd_idx * (ITS_CMD_SIZE / 8)];

	/* Batches are waited for and are short: the queue never fills */
	cmd[0] = dw0;
	cmd[1] = dw1;
	cmd[2] = dw2;
	cmd[3] = 0;
	its_cmd_idx = (its_cmd_idx + 1) % ITS_CMDQ_NR;
}

static void its_flush(void)
{
	dsb_sy();
	writeq((u64)its_cmd_idx * ITS_CMD_SIZE, GITS_BASE + GITS_CWRITER);
	its_wait();
}

static void its_install_table(unsigned int n, void *table)
{
	unsigned long off = GITS_BASER(n);
	u64 baser = readq(GITS_BASE + off);
	u64 keep = baser & (GITS_BASER_TYPE_MASK | GITS_BASER_ESZ_MASK);
	u64 addr = (unsigned long)table;
	unsigned int psz_field = 2, tries;
	u64 want, val;

	/* Flat, one 64 KiB page; fall back to what the ITS page size is */
	for (tries = 0; tries < 2; tries++) {
		unsigned int psz = psz_field == 0 ? SZ_4K :
				   psz_field == 1 ? 0x4000 : SZ_64K;

		want = keep | GITS_BASER_VALID | GITS_BASER_ICACHE(GIC_CACHE_NC) |
		       GIC_SHARE_INNER | addr |
		       ((u64)psz_field << GITS_BASER_PSZ_SHIFT) |
		       (ITS_TABLE_SIZE / psz - 1);
		writeq(want, GITS_BASE + off);
		val = readq(GITS_BASE + off);
		if ((val & GITS_BASER_PSZ_MASK) == (want & GITS_BASER_PSZ_MASK))
			break;
		psz_field = (val & GITS_BASER_PSZ_MASK) >> GITS_BASER_PSZ_SHIFT;
		if (psz_field > 2)
			break;
	}
	if (!(val & GITS_BASER_VALID) || (val & GITS_BASER_INDIRECT) ||
	    (val & GITS_BASER_ADDR_MASK) != addr ||
	    (val & GITS_BASER_PSZ_MASK) != (want & GITS_BASER_PSZ_MASK) ||
	    (val & GITS_BASER_SIZE_MASK) != (want & GITS_BASER_SIZE_MASK))
		fatal("GITS_BASER%u wrote 0x%lx read 0x%lx", n, want, val);
}

static void its_init(u32 devid)
{
	u64 typer = readq(GITS_BASE + GITS_TYPER);
	u64 gicr_typer = readq(gicr + GICR_TYPER);
	int dev_n = -1, coll_n = -1;
	u64 end, want, val;
	unsigned int n;

	if (!(typer & GITS_TYPER_PHYSICAL))
		fatal("ITS has no physical LPI support");
	if (devid >= (1ULL << GITS_TYPER_DEVBITS(typer)))
		fatal("DeviceID 0x%x beyond the ITS's %lu bits", devid,
		      GITS_TYPER_DEVBITS(typer));
	if (GITS_TYPER_IDBITS(typer) < ITT_EVENT_BITS)
		fatal("ITS has only %lu EventID bits", GITS_TYPER_IDBITS(typer));
	if (GITS_TYPER_ITT_ESZ(typer) << ITT_EVENT_BITS > ITT_SIZE)
		fatal("ITT entries of %lu bytes", GITS_TYPER_ITT_ESZ(typer));

	if (readl(GITS_BASE + GITS_CTLR) & GITS_CTLR_ENABLED) {
		writel(0, GITS_BASE + GITS_CTLR);
		end = deadline_ms(TIMEOUT_MS);
		while (!(readl(GITS_BASE + GITS_CTLR) & GITS_CTLR_QUIESCENT)) {
			if (expired(end))
				fatal("ITS does not quiesce");
		}
	}

	for (n = 0; n < GITS_BASER_NR; n++) {
		u64 baser = readq(GITS_BASE + GITS_BASER(n));

		if (GITS_BASER_TYPE(baser) == GITS_BASER_TYPE_DEVICE &&
		    dev_n < 0) {
			if (devid >= ITS_TABLE_SIZE / GITS_BASER_ESZ(baser))
				fatal("DeviceID 0x%x beyond a flat device table of %u entries",
				      devid,
				      ITS_TABLE_SIZE / (u32)GITS_BASER_ESZ(baser));
			its_install_table(n, its_dev_table);
			dev_n = n;
		} else if (GITS_BASER_TYPE(baser) == GITS_BASER_TYPE_COLL &&
			   coll_n < 0) {
			its_install_table(n, its_coll_table);
			coll_n = n;
		}
	}
	if (dev_n < 0)
		fatal("ITS has no device table");
	if (coll_n < 0 && !GITS_TYPER_HCC(typer))
		fatal("ITS has neither a collection table nor HCC");

	want = GITS_BASER_VALID | GITS_BASER_ICACHE(GIC_CACHE_NC) |
	       GIC_SHARE_INNER | (unsigned long)its_cmdq |
	       (ITS_CMDQ_SIZE / SZ_4K - 1);
	writeq(want, GITS_BASE + GITS_CBASER);
	val = readq(GITS_BASE + GITS_CBASER);
	if (!(val & GITS_BASER_VALID) ||
	    (val & (GIC_ADDR_MASK | 0xff)) != (want & (GIC_ADDR_MASK | 0xff)))
		fatal("GITS_CBASER wrote 0x%lx read 0x%lx", want, val);
	writeq(0, GITS_BASE + GITS_CWRITER);
	its_cmd_idx = 0;

	dsb_sy();
	writel(readl(GITS_BASE + GITS_CTLR) | GITS_CTLR_ENABLED,
	       GITS_BASE + GITS_CTLR);
	if (!(readl(GITS_BASE + GITS_CTLR) & GITS_CTLR_ENABLED))
		fatal("GITS_CTLR.Enabled stays 0");

	/* RDbase: the redistributor's address, or its processor number */
	if (typer & GITS_TYPER_PTA)
		its_target = gicr & GICR_PENDBASER_ADDR;
	else
		its_target = GICR_TYPER_PROCNUM(gicr_typer) << 16;

	/* MAPD: Valid, ITT address, EventID bits - 1 */
	its_queue(ITS_CMD_MAPD | (u64)devid << 32, ITT_EVENT_BITS - 1,
		  BIT_ULL(63) | (unsigned long)its_itt);
	/* MAPC: Valid, ICID 0 -> this redistributor */
	its_queue(ITS_CMD_MAPC, 0, BIT_ULL(63) | its_target | 0);
	/* MAPTI: EventID 0 -> pINTID, ICID 0 */
	its_queue(ITS_CMD_MAPTI | (u64)devid << 32,
		  (u64)LPI_INTID << 32 | 0, 0);
	its_queue(ITS_CMD_INV | (u64)devid << 32, 0, 0);
	its_queue(ITS_CMD_SYNC, 0, its_target);
	its_flush();
}

/* PCI */

static unsigned long pci_cfg(u32 bdf, u32 reg)
{
	return PCI_ECAM_BASE + ((unsigned long)bdf << 12) + reg;
}

static u32 pci_read32(u32 bdf, u32 reg)
{
	return readl(pci_cfg(bdf, reg & ~3U));
}

static u16 pci_read16(u32 bdf, u32 reg)
{
	return pci_read32(bdf, reg) >> ((reg & 2) * 8);
}

static u8 pci_read8(u32 bdf, u32 reg)
{
	return pci_read32(bdf, reg) >> ((reg & 3) * 8);
}

static void pci_write32(u32 bdf, u32 reg, u32 val)
{
	writel(val, pci_cfg(bdf, reg));
}

static void pci_write16(u32 bdf, u32 reg, u16 val)
{
	writew(val, pci_cfg(bdf, reg));
}

/* Bus 0 only; returns bus << 8 | devfn, or -1 */
static int pci_find_edu(void)
{
	unsigned int dev, fn;

	for (dev = 0; dev < 32; dev++) {
		for (fn = 0; fn < 8; fn++) {
			u32 bdf = dev << 3 | fn;
			u32 id = pci_read32(bdf, PCI_VENDOR_ID);

			if ((id & 0xffff) == 0xffff) {
				if (!fn)
					break;
				continue;
			}
			if (id == (EDU_DEVICE << 16 | EDU_VENDOR))
				return bdf;
			if (!fn && !(pci_read8(bdf, PCI_HEADER_TYPE) &
				     PCI_HEADER_MFD))
				break;
		}
	}
	return -1;
}

static unsigned int pci_find_cap(u32 bdf, u8 id)
{
	unsigned int pos, n;

	if (!(pci_read16(bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = pci_read8(bdf, PCI_CAP_PTR) & 0xfc;
	for (n = 0; pos >= 0x40 && n < 48; n++) {
		if (pci_read8(bdf, pos) == id)
			return pos;
		pos = pci_read8(bdf, pos + 1) & 0xfc;
	}
	return 0;
}

static void edu_setup(u32 bdf)
{
	u32 bar, lo, hi, cap;
	u16 cmd, flags;
	int is64;
	u64 size;

	cmd = pci_read16(bdf, PCI_COMMAND);
	pci_write16(bdf, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO |
		    PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));

	/* BAR0: size it, then place it at the start of the MMIO window */
	bar = pci_read32(bdf, PCI_BAR0);
	if (bar & PCI_BAR_IO)
		fatal("edu BAR0 is an I/O BAR (0x%x)", bar);
	is64 = (bar & PCI_BAR_TYPE_MASK) == PCI_BAR_TYPE_64;
	pci_write32(bdf, PCI_BAR0, 0xffffffff);
	lo = pci_read32(bdf, PCI_BAR0) & PCI_BAR_MEM_MASK;
	hi = 0xffffffff;
	if (is64) {
		pci_write32(bdf, PCI_BAR1, 0xffffffff);
		hi = pci_read32(bdf, PCI_BAR1);
	}
	size = ~((u64)hi << 32 | lo) + 1;
	if (!lo && !is64)
		fatal("edu BAR0 is not implemented");
	if (!size || size > PCI_MMIO_END + 1 - PCI_MMIO_BASE)
		fatal("edu BAR0 of 0x%lx bytes does not fit", size);
	pci_write32(bdf, PCI_BAR0, PCI_MMIO_BASE);
	if (is64)
		pci_write32(bdf, PCI_BAR1, 0);
	edu_bar = PCI_MMIO_BASE;

	cmd = pci_read16(bdf, PCI_COMMAND);
	cmd &= ~PCI_COMMAND_IO;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DIS;
	pci_write16(bdf, PCI_COMMAND, cmd);

	/* MSI, one vector: the ITS doorbell, EventID 0 */
	cap = pci_find_cap(bdf, PCI_CAP_ID_MSI);
	if (!cap)
		fatal("edu has no MSI capability");
	flags = pci_read16(bdf, cap + PCI_MSI_FLAGS);
	flags &= ~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	pci_write16(bdf, cap + PCI_MSI_FLAGS, flags);
	pci_write32(bdf, cap + PCI_MSI_ADDR_LO, GITS_BASE + GITS_TRANSLATER);
	if (flags & PCI_MSI_FLAGS_64BIT) {
		pci_write32(bdf, cap + PCI_MSI_ADDR_HI, 0);
		pci_write16(bdf, cap + PCI_MSI_DATA_64, 0);
		if (flags & PCI_MSI_FLAGS_MASKBIT)
			pci_write32(bdf, cap + PCI_MSI_MASK_64, 0);
	} else {
		pci_write16(bdf, cap + PCI_MSI_DATA_32, 0);
		if (flags & PCI_MSI_FLAGS_MASKBIT)
			pci_write32(bdf, cap + PCI_MSI_MASK_32, 0);
	}
	pci_write16(bdf, cap + PCI_MSI_FLAGS, flags | PCI_MSI_FLAGS_ENABLE);
	if (!(pci_read16(bdf, cap + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_ENABLE))
		fatal("edu MSI enable stays 0");
}

static u32 edu_read(u32 reg)
{
	return readl(edu_bar + reg);
}

static void edu_write(u32 reg, u32 val)
{
	writel(val, edu_bar + reg);
}

/* Interrupts and commands */

void irq_handler(void)
{
	u32 intid = read_sysreg(icc_iar1_el1) & 0xffffff;

	if (intid >= INTID_SPURIOUS_FIRST && intid <= INTID_SPURIOUS)
		return;
	if (intid == LPI_INTID) {
		WRITE_ONCE(lpi_count, READ_ONCE(lpi_count) + 1);
		edu_write(EDU_IRQ_ACK, 1);
	}
	write_sysreg(intid, icc_eoir1_el1);
	isb();
}

static void cmd_pending(void)
{
	u64 end = deadline_ms(TIMEOUT_MS);
	u32 hppir, status;
	int timeout;

	local_irq_disable();
	edu_write(EDU_IRQ_RAISE, 1);
	for (;;) {
		hppir = read_sysreg(icc_hppir1_el1) & 0xffffff;
		timeout = hppir != LPI_INTID;
		if (!timeout || expired(end))
			break;
	}
	edu_write(EDU_IRQ_ACK, 1);
	status = edu_read(EDU_IRQ_STATUS);
	pr("vlpi-guest: pending hppir=%u status=0x%x%s\n", hppir, status,
	   timeout ? " timeout" : "");
}

static void report_taken(void)
{
	u32 n = READ_ONCE(lpi_count);

	WRITE_ONCE(lpi_count, 0);
	pr("vlpi-guest: took %u\n", n);
}

static void cmd_unmask(void)
{
	u64 end = deadline_ms(UNMASK_MS);

	local_irq_enable();
	while (!expired(end))
		;
	local_irq_disable();
	report_taken();
}

static void cmd_round_trip(void)
{
	u64 end = deadline_ms(TIMEOUT_MS);

	local_irq_enable();
	edu_write(EDU_IRQ_RAISE, 1);
	while (!READ_ONCE(lpi_count) && !expired(end))
		;
	local_irq_disable();
	report_taken();
}

int main(void)
{
	int bdf;

	/* Make sure the PL011 transmits and receives (newer QEMUs check) */
	writel(UART_CR_UARTEN | UART_CR_TXE | UART_CR_RXE, UART_BASE + UART_CR);
	timer_init();

	bdf = pci_find_edu();
	if (bdf < 0)
		fatal("no edu device (%04x:%04x) on PCI bus 0", EDU_VENDOR,
		      EDU_DEVICE);

	gic_init();
	its_init(bdf);
	edu_setup(bdf);

	pr("vlpi-guest: ready dev=%02x:%02x.%x devid=0x%04x lpi=%u\n",
	   bdf >> 8, (bdf >> 3) & 0x1f, bdf & 7, bdf, LPI_INTID);

	for (;;) {
		switch (uart_getc()) {
		case 'p':
			cmd_pending();
			break;
		case 'u':
			cmd_unmask();
			break;
		case 'r':
			cmd_round_trip();
			break;
		case 'l':
			pr("vlpi-guest: scratch=0x%08x factorial=0x%08x\n",
			   edu_read(EDU_LIVENESS), edu_read(EDU_FACTORIAL));
			break;
		case 'q':
			pr("vlpi-guest: bye\n");
			system_off();
		default:
			break;
		}
	}
}
