// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_restore_fuzz - what a VMM restores, at random: ITS tables in
 * guest RAM, ITS and redistributor registers, and the vGIC's control
 * commands, each followed by what a VMM does next.
 *
 * A source VM (two vCPUs) maps four devices of four events each (LPIs
 * 8192..8207, spread over both vCPUs' collections), makes a few pending,
 * and saves its ITS and pending tables. Each iteration then builds a
 * destination VM from it, as a migration does (memory, vCPU registers,
 * the GIC's and the ITS's registers), and before the ITS restore rewrites
 * one to four things a VMM controls, picked by a seeded generator:
 *
 *   - an ITE: its pINTID (in range, 0, below 8192, the vITS's last,
 *     65536 and above, 0xffffffff), its ICID, its Next field, or the
 *     whole entry;
 *   - a DTE: Valid, the EventID size, the ITT address (in a table, in
 *     RAM, past a memslot's end, outside every memslot, 0), Next;
 *   - a CTE: Valid, ICID, the target redistributor;
 *   - random bytes of the device or collection table or an ITT;
 *   - GITS_BASER of the device or collection table (address, size,
 *     Indirect, with a level-1 entry pointing anywhere; Valid);
 *   - a redistributor's GICR_PENDBASER (same addresses), GICR_PROPBASER's
 *     IDbits, GICR_CTLR.EnableLPIs;
 *   - the control group: an ITS reset before the restore, or a second
 *     restore after it.
 *
 * Then: KVM_DEV_ARM_ITS_RESTORE_TABLES and GITS_CTLR; MSIs signalled to
 * random events; edu 00:02.0 (worker w: 00:02.0 + w) forwarded through a
 * route to a random event, and raised; the ITS save and the pending-table
 * save; the forwarding torn down; the VM closed. Invariants, each
 * iteration:
 *
 *   - every ioctl returns; the pending-table save returns 0 or EFAULT
 *     (QEMU aborts on anything else), the ITS save 0 or an errno of the
 *     ABI (EACCES, EFAULT, EINVAL);
 *   - no kernel report (WARNING, BUG, Oops, KASAN, UBSAN, lockdep) in the
 *     kernel log;
 *   - no byte of guest memory written by the saves outside the tables the
 *     ABI names from what the VMM restored: the device and collection
 *     tables as GITS_BASER gives them (and the level-2 pages a valid
 *     level-1 entry names), each valid DTE's ITT, and the 8 KiB pending
 *     table at each redistributor's GICR_PENDBASER (16 INTID bits).
 *
 * make check reads kmemleak after the plan. Iteration k runs from seed
 * SEED + k: rerun one with -s SEED+k -c 1. Run with the module (-m) and
 * without (-n).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/bitfield.h>
#include <linux/sizes.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "gic.h"
#include "gic_v3.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_memguard.h"
#include "vlpi_mig_util.h"
#include "vlpi_migrate.h"

#define NR_VCPUS	2
#define NR_DEVS		4
#define NR_EVENTS	4
#define MAX_WORKERS	2
#define PEND_TABLE_BYTES	(SZ_64K / 8)	/* 16 INTID bits */

/* The ITS table ABI, Documentation/virt/kvm/devices/arm-vgic-its.rst */
#define DTE_VALID	BIT_ULL(63)
#define DTE_NEXT	GENMASK_ULL(62, 49)
#define DTE_ITT		GENMASK_ULL(48, 5)
#define DTE_SIZE	GENMASK_ULL(4, 0)
#define ITE_NEXT	GENMASK_ULL(63, 48)
#define ITE_PINTID	GENMASK_ULL(47, 16)
#define ITE_ICID	GENMASK_ULL(15, 0)
#define CTE_VALID	BIT_ULL(63)
#define CTE_RDBASE	GENMASK_ULL(51, 16)
#define CTE_ICID	GENMASK_ULL(15, 0)
#define L1E_VALID	BIT_ULL(63)
#define L1E_ADDR	GENMASK_ULL(51, 16)

#define BASER_VALID	BIT_ULL(63)
#define BASER_INDIRECT	BIT_ULL(62)
#define BASER_TYPE(b)	(((b) >> 56) & 7)
#define BASER_TYPE_DEVICE	1
#define BASER_TYPE_COLLECTION	4
#define BASER_ADDR	GENMASK_ULL(47, 16)
#define BASER_SIZE	GENMASK_ULL(7, 0)

#define REG_GITS_CTLR		0x0000
#define REG_GITS_BASER(n)	(0x0100 + 8 * (n))
#define REG_GICR_CTLR		0x0000
#define REG_GICR_PROPBASER	0x0070
#define REG_GICR_PENDBASER	0x0078

static void guest_code(void)
{
	uint32_t d, e;

	local_irq_disable();
	if (guest_get_vcpuid() == 1) {
		gic_init(GIC_V3, NR_VCPUS);
		vlpi_guest_enable_lpis();
		GUEST_SYNC(1);
		GUEST_DONE();
	}
	vlpi_guest_gic_init();
	vlpi_guest_its_init();
	for (d = 0; d < NR_DEVS; d++) {
		vlpi_guest_map_device(d, d);
		for (e = 0; e < NR_EVENTS; e++)
			vlpi_guest_map_event(d, e, (d + e) % NR_VCPUS,
					     VLPI_LPI_BASE + d * NR_EVENTS + e);
	}
	vlpi_guest_invall();
	GUEST_SYNC(1);
	GUEST_DONE();
}

/* One iteration's generator and what it did, for the report */
struct iter {
	uint64_t seed;
	uint64_t rng;
	char log[1024];
	size_t len;
	const char *fail;
	char why[256];
};

static uint64_t rnd64(struct iter *it)
{
	/* xorshift64* */
	it->rng ^= it->rng >> 12;
	it->rng ^= it->rng << 25;
	it->rng ^= it->rng >> 27;
	return it->rng * 0x2545F4914F6CDD1Dull;
}

static uint64_t rnd(struct iter *it, uint64_t n)
{
	return rnd64(it) % n;
}

/* -v: each step on stdout before it is made, to find one that hangs */
static bool verbose;

static void step(const char *what)
{
	if (verbose) {
		ksft_print_msg("next: %s\n", what);
		fflush(stdout);
	}
}

static void note(struct iter *it, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(it->log + it->len, sizeof(it->log) - it->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		it->len = it->len + n < sizeof(it->log) ? it->len + n :
			  sizeof(it->log) - 1;
}

static void fail(struct iter *it, const char *fmt, ...)
{
	va_list ap;

	if (it->fail)
		return;
	va_start(ap, fmt);
	vsnprintf(it->why, sizeof(it->why), fmt, ap);
	va_end(ap);
	it->fail = it->why;
}

/* An address a VMM might give a table: in the tables, in RAM, or not */
static uint64_t pick_gpa(struct iter *it, struct kvm_vm *vm)
{
	struct userspace_mem_region *slot = memslot2region(vm, VLPI_MEMSLOT);
	uint64_t base = slot->region.guest_phys_addr;
	uint64_t end = base + slot->region.memory_size;

	switch (rnd(it, 7)) {
	case 0:
		return 0;
	case 1:		/* one of the ITS layout's 64 KiB tables */
		return base + rnd(it, slot->region.memory_size / SZ_64K) * SZ_64K;
	case 2:		/* the memslot's last 64 KiB: a table runs off its end */
		return end - SZ_64K;
	case 3:		/* past every memslot: the guest's top is the tables' */
		return end + rnd(it, 16) * SZ_64K;
	case 4:		/* low RAM (memslot 0), where the guest's code is */
		return rnd(it, 16) * SZ_64K;
	case 5:		/* beyond the IPA space */
		return BIT_ULL(47) + rnd(it, 16) * SZ_64K;
	default:
		return rnd64(it) & GENMASK_ULL(47, 16);
	}
}

static uint32_t pick_intid(struct iter *it)
{
	static const uint32_t edge[] = {
		0, 1, VLPI_LPI_BASE - 1, VLPI_LPI_BASE, 65535, 65536, 65537,
		0x100000, 0x7fffffff, 0xffffffff,
	};

	switch (rnd(it, 3)) {
	case 0:
		return VLPI_LPI_BASE + rnd(it, NR_DEVS * NR_EVENTS + 4);
	case 1:
		return edge[rnd(it, ARRAY_SIZE(edge))];
	default:
		return rnd64(it);
	}
}

static uint64_t *guest_u64(struct kvm_vm *vm, uint64_t gpa)
{
	return addr_gpa2hva(vm, gpa);
}

static uint64_t its_reg(struct vlpi_vm *v, uint64_t off)
{
	uint64_t val = 0;

	kvm_device_attr_get(v->its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, off,
			    &val);
	return val;
}

static int set_its_reg(struct vlpi_vm *v, uint64_t off, uint64_t val)
{
	return __kvm_device_attr_set(v->its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
				     off, &val) ? errno : 0;
}

/* The redistributor attribute's MPIDR field for vCPU @cpu (Aff0) */
static uint64_t rdist_attr(unsigned int cpu, uint64_t off)
{
	return (uint64_t)cpu << KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT | off;
}

/* 64 bits as two 32-bit accesses, which is what KVM takes */
static uint64_t rdist_reg(struct vlpi_vm *v, unsigned int cpu, uint64_t off)
{
	uint32_t lo = 0, hi = 0;

	kvm_device_attr_get(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			    rdist_attr(cpu, off), &lo);
	kvm_device_attr_get(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			    rdist_attr(cpu, off + 4), &hi);
	return (uint64_t)hi << 32 | lo;
}

static void set_rdist_reg(struct vlpi_vm *v, unsigned int cpu, uint64_t off,
			  uint64_t val, bool wide)
{
	uint32_t lo = val, hi = val >> 32;

	/* Errors are the point: the register may refuse the value */
	__kvm_device_attr_set(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			      rdist_attr(cpu, off), &lo);
	if (wide)
		__kvm_device_attr_set(v->gic_fd,
				      KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
				      rdist_attr(cpu, off + 4), &hi);
}

static int ctrl(int fd, uint64_t attr)
{
	return __kvm_device_attr_set(fd, KVM_DEV_ARM_VGIC_GRP_CTRL, attr,
				     NULL) ? errno : 0;
}

static uint64_t ite_gpa(unsigned int dev, unsigned int ev)
{
	return vlpi_its.itts + dev * SZ_64K + ev * 8;
}

/* What the VMM rewrites, in the destination's RAM or registers */
enum mut {
	MUT_ITE, MUT_DTE, MUT_CTE, MUT_BYTES, MUT_BASER, MUT_INDIRECT,
	MUT_PENDBASER, MUT_PROPBASER, MUT_LPIS_OFF, MUT_RESET, MUT_RESTORE2,
	NR_MUTS
};

/*
 * How often each is picked, out of the sum: the entries the restore
 * parses most, a register or a control command less
 */
static const unsigned int mut_weight[NR_MUTS] = {
	[MUT_ITE] = 8, [MUT_DTE] = 4, [MUT_CTE] = 2, [MUT_BYTES] = 2,
	[MUT_BASER] = 2, [MUT_INDIRECT] = 1, [MUT_PENDBASER] = 2,
	[MUT_PROPBASER] = 1, [MUT_LPIS_OFF] = 1, [MUT_RESET] = 1,
	[MUT_RESTORE2] = 1,
};

static enum mut pick_mut(struct iter *it)
{
	unsigned int sum = 0, m, r;

	for (m = 0; m < NR_MUTS; m++)
		sum += mut_weight[m];
	r = rnd(it, sum);
	for (m = 0; r >= mut_weight[m]; m++)
		r -= mut_weight[m];
	return m;
}

static void mutate(struct iter *it, struct vlpi_vm *dst, enum mut m,
		   bool *reset, bool *restore2)
{
	struct kvm_vm *vm = dst->vm;
	/* Mostly an entry the source mapped, sometimes one past them */
	unsigned int dev = rnd(it, NR_DEVS + 1);
	unsigned int ev = rnd(it, 4) ? rnd(it, NR_EVENTS) : NR_EVENTS + rnd(it, 2);
	unsigned int cpu = rnd(it, NR_VCPUS), n;
	uint64_t *e, val, gpa, baser;

	switch (m) {
	case MUT_ITE:
		e = guest_u64(vm, ite_gpa(dev % NR_DEVS, ev));
		switch (rnd(it, 4)) {
		case 0:
			val = pick_intid(it);
			*e = (*e & ~ITE_PINTID) | FIELD_PREP(ITE_PINTID, val);
			note(it, " ite(%u,%u).pintid=%#lx", dev % NR_DEVS, ev,
			     (unsigned long)val);
			break;
		case 1:
			val = rnd(it, 3) ? rnd(it, 8) : rnd(it, 65536);
			*e = (*e & ~ITE_ICID) | val;
			note(it, " ite(%u,%u).icid=%lu", dev % NR_DEVS, ev,
			     (unsigned long)val);
			break;
		case 2:
			val = rnd(it, 65536);
			*e = (*e & ~ITE_NEXT) | FIELD_PREP(ITE_NEXT, val);
			note(it, " ite(%u,%u).next=%lu", dev % NR_DEVS, ev,
			     (unsigned long)val);
			break;
		default:
			*e = rnd64(it);
			note(it, " ite(%u,%u)=%#lx", dev % NR_DEVS, ev,
			     (unsigned long)*e);
		}
		break;
	case MUT_DTE:
		e = guest_u64(vm, vlpi_its.device_table + dev * 8);
		switch (rnd(it, 4)) {
		case 0:
			*e ^= DTE_VALID;
			note(it, " dte(%u).valid^", dev);
			break;
		case 1:
			val = rnd(it, 32);
			*e = (*e & ~DTE_SIZE) | val;
			note(it, " dte(%u).size=%lu", dev, (unsigned long)val);
			break;
		case 2:
			gpa = pick_gpa(it, vm);
			*e = (*e & ~DTE_ITT) | FIELD_PREP(DTE_ITT, gpa >> 8);
			note(it, " dte(%u).itt=%#lx", dev, (unsigned long)gpa);
			break;
		default:
			val = rnd(it, 1 << 14);
			*e = (*e & ~DTE_NEXT) | FIELD_PREP(DTE_NEXT, val);
			note(it, " dte(%u).next=%lu", dev, (unsigned long)val);
		}
		break;
	case MUT_CTE:
		e = guest_u64(vm, vlpi_its.collection_table + rnd(it, 4) * 8);
		switch (rnd(it, 3)) {
		case 0:
			*e ^= CTE_VALID;
			note(it, " cte.valid^");
			break;
		case 1:
			val = rnd(it, 3) ? rnd(it, 8) : rnd(it, 65536);
			*e = (*e & ~CTE_ICID) | val;
			note(it, " cte.icid=%lu", (unsigned long)val);
			break;
		default:
			val = rnd(it, 2) ? rnd(it, 4) : rnd64(it) & 0xffffffff;
			*e = (*e & ~CTE_RDBASE) | FIELD_PREP(CTE_RDBASE, val);
			note(it, " cte.rdbase=%#lx", (unsigned long)val);
		}
		break;
	case MUT_BYTES:
		switch (rnd(it, 3)) {
		case 0:
			gpa = vlpi_its.device_table;
			break;
		case 1:
			gpa = vlpi_its.collection_table;
			break;
		default:
			gpa = vlpi_its.itts + (dev % NR_DEVS) * SZ_64K;
		}
		for (n = 1 + rnd(it, 8); n; n--)
			((uint8_t *)addr_gpa2hva(vm, gpa))[rnd(it, 64)] =
				rnd64(it);
		note(it, " bytes@%#lx", (unsigned long)gpa);
		break;
	case MUT_BASER:
		n = rnd(it, 2);		/* BASER0 or BASER1, as the library sets them */
		baser = its_reg(dst, REG_GITS_BASER(n));
		switch (rnd(it, 3)) {
		case 0:
			baser ^= BASER_VALID;
			note(it, " baser%u.valid^", n);
			break;
		case 1:
			val = rnd(it, 256);
			baser = (baser & ~BASER_SIZE) | val;
			note(it, " baser%u.size=%lu", n, (unsigned long)val);
			break;
		default:
			gpa = pick_gpa(it, vm);
			baser = (baser & ~BASER_ADDR) | (gpa & BASER_ADDR);
			note(it, " baser%u.addr=%#lx", n, (unsigned long)gpa);
		}
		val = set_its_reg(dst, REG_GITS_BASER(n), baser);
		note(it, "(%s)", strerror(val));
		break;
	case MUT_INDIRECT:
		/* The device table as a level-1 table: entry 0 names a page */
		gpa = pick_gpa(it, vm);
		baser = its_reg(dst, REG_GITS_BASER(0));
		e = guest_u64(vm, vlpi_its.device_table);
		*e = L1E_VALID | (gpa & L1E_ADDR);
		note(it, " indirect(l2=%#lx)(%s)", (unsigned long)gpa,
		     strerror(set_its_reg(dst, REG_GITS_BASER(0),
					  baser | BASER_INDIRECT)));
		break;
	case MUT_PENDBASER:
		gpa = pick_gpa(it, vm);
		val = rdist_reg(dst, cpu, REG_GICR_PENDBASER);
		set_rdist_reg(dst, cpu, REG_GICR_PENDBASER,
			      (val & ~GENMASK_ULL(51, 16)) |
			      (gpa & GENMASK_ULL(51, 16)), true);
		note(it, " pendbaser%u=%#lx", cpu, (unsigned long)gpa);
		break;
	case MUT_PROPBASER:
		val = rdist_reg(dst, cpu, REG_GICR_PROPBASER);
		n = rnd(it, 32);
		set_rdist_reg(dst, cpu, REG_GICR_PROPBASER,
			      (val & ~GICR_PROPBASER_IDBITS_MASK) | n, true);
		note(it, " propbaser%u.idbits=%u", cpu, n);
		break;
	case MUT_LPIS_OFF:
		set_rdist_reg(dst, cpu, REG_GICR_CTLR, 0, false);
		note(it, " lpis-off%u", cpu);
		break;
	case MUT_RESET:
		*reset = true;
		note(it, " its-reset");
		break;
	default:
		*restore2 = true;
		note(it, " restore-twice");
	}
}

/* The host mapping of a whole 64 KiB page of guest memory, or NULL */
static uint64_t *guest_page(struct kvm_vm *vm, uint64_t gpa)
{
	return vlpi_gpa_hva(vm, gpa, SZ_64K);
}

/*
 * Every range a save may write. A table the VMM points anywhere reads
 * whatever is there as its entries: a device table over the guest's code
 * names thousands of ITTs a page, so the list grows as it must.
 */
struct ranges {
	struct vlpi_range *r;
	unsigned int n, max;
};

static void add_range(struct ranges *t, uint64_t gpa, uint64_t len)
{
	if (t->n == t->max) {
		t->max = t->max ? 2 * t->max : 1024;
		t->r = realloc(t->r, t->max * sizeof(*t->r));
		TEST_ASSERT(t->r, "%u ranges to guard: no memory", t->max);
	}
	t->r[t->n++] = (struct vlpi_range){ gpa, len };
}

/* The ITTs that the valid DTEs of a 64 KiB page of device table name */
static void add_itts(struct ranges *t, const uint64_t *dtes)
{
	unsigned int i;

	for (i = 0; i < SZ_64K / 8; i++)
		if (dtes[i] & DTE_VALID)
			add_range(t, FIELD_GET(DTE_ITT, dtes[i]) << 8,
				  8ull << (FIELD_GET(DTE_SIZE, dtes[i]) + 1));
}

/* Every range of guest memory a save may write, as the ABI names it */
static void abi_tables(struct vlpi_vm *v, struct ranges *t)
{
	uint64_t b, base, size, gpa, *page;
	unsigned int i, j, cpu;

	t->n = 0;
	for (i = 0; i < 8; i++) {
		b = its_reg(v, REG_GITS_BASER(i));
		if (!(b & BASER_VALID))
			continue;
		base = b & BASER_ADDR;
		size = (FIELD_GET(BASER_SIZE, b) + 1) * SZ_64K;
		add_range(t, base, size);
		if (BASER_TYPE(b) != BASER_TYPE_DEVICE)
			continue;
		for (gpa = base; gpa < base + size; gpa += SZ_64K) {
			page = guest_page(v->vm, gpa);
			if (!page)
				continue;
			if (!(b & BASER_INDIRECT)) {
				add_itts(t, page);
				continue;
			}
			for (j = 0; j < SZ_64K / 8; j++) {
				uint64_t *l2;

				if (!(page[j] & L1E_VALID))
					continue;
				add_range(t, page[j] & L1E_ADDR, SZ_64K);
				l2 = guest_page(v->vm, page[j] & L1E_ADDR);
				if (l2)
					add_itts(t, l2);
			}
		}
	}
	for (cpu = 0; cpu < v->nr_vcpus; cpu++)
		add_range(t, rdist_reg(v, cpu, REG_GICR_PENDBASER) &
			     GENMASK_ULL(51, 16), PEND_TABLE_BYTES);
}

/*
 * Kernel reports since the last call; 0 if none. Every worker reads the
 * whole log: a report that names another task's PID (a WARNING's first
 * line does) is that task's, and its worker charges it to its own
 * iteration; one that names none is charged to the iteration of every
 * worker, which -c 1 of each tells apart.
 */
static int kmsg_fd = -1;

static bool kmsg_foreign(const char *rec)
{
	const char *p = strstr(rec, " PID: ");

	return p && atoi(p + 6) != getpid();
}

static unsigned int kmsg_reports(struct iter *it)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "Unable to handle", "Call trace:",
		"KASAN", "UBSAN", "possible circular", "possible recursive",
		"suspicious RCU",
	};
	char rec[2048];
	unsigned int n = 0, i;
	ssize_t len;

	while ((len = read(kmsg_fd, rec, sizeof(rec) - 1)) != 0) {
		if (len < 0) {
			if (errno == EPIPE)	/* overwritten: read on */
				continue;
			break;			/* EAGAIN: no more */
		}
		rec[len] = '\0';
		if (kmsg_foreign(rec))
			continue;
		for (i = 0; i < ARRAY_SIZE(bad); i++)
			if (strstr(rec, bad[i])) {
				if (!n++)
					fail(it, "kernel report: %.160s",
					     strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
				break;
			}
	}
	return n;
}

struct totals {
	unsigned long iters, reports, stray, restore_err, forwarded;
	unsigned long most_ranges;	/* the most ranges an iteration guarded */
	unsigned long most_seed;	/* and its seed, to replay it */
};

static void forward(struct iter *it, struct vlpi_vm *v, struct edu *edu,
		    int *efd)
{
	struct vlpi_msi msi = { rnd(it, NR_DEVS + 1), rnd(it, NR_EVENTS + 1) };

	vlpi_route_msis(v, &msi, 1);
	*efd = eventfd(0, EFD_NONBLOCK);
	TEST_ASSERT(*efd >= 0, "eventfd");
	vlpi_irqfd(v, 0, *efd, true);
	edu_enable_msi(edu, *efd);
	edu_raise(edu, 1);
	edu_ack(edu, 1);
	note(it, " fwd(%u,%u)%s", msi.devid, msi.eventid,
	     host_irq_forwarded(edu_host_irq(edu)) ? "=hw" : "");
}

static void one_iteration(struct iter *it, struct vlpi_vm *src,
			  struct edu *edu, struct totals *t)
{
	static struct ranges tables;
	bool reset = false, restore2 = false;
	int restore, its_save, pend_save, efd;
	struct vlpi_memguard guard;
	uint64_t stray, first = 0;
	unsigned int n, i;
	struct vlpi_vm *dst;

	step("destination");
	dst = vlpi_its_vm_create(NR_VCPUS, guest_code);
	vlpi_migrate_prepare(dst, src);
	for (n = 1 + rnd(it, 4); n; n--)
		mutate(it, dst, pick_mut(it), &reset, &restore2);

	if (reset)
		ctrl(dst->its_fd, KVM_DEV_ARM_ITS_CTRL_RESET);
	step("restore");
	restore = vlpi_migrate_its(dst, src);
	if (restore2) {
		i = ctrl(dst->its_fd, KVM_DEV_ARM_ITS_RESTORE_TABLES);
		note(it, " restore2=%s", strerror(i));
	}
	note(it, " restore=%s", strerror(restore));
	t->restore_err += !!restore;

	abi_tables(dst, &tables);
	if (tables.n > t->most_ranges) {
		t->most_ranges = tables.n;
		t->most_seed = it->seed;
	}
	vlpi_memguard_take(dst->vm, &guard);
	for (i = rnd(it, 4); i; i--) {
		struct vlpi_msi msi = { rnd(it, NR_DEVS + 1),
					rnd(it, NR_EVENTS + 1) };

		vlpi_signal_msi(dst, msi);
	}
	step("forward");
	forward(it, dst, edu, &efd);
	t->forwarded += host_irq_forwarded(edu_host_irq(edu));

	step("ITS save");
	its_save = vlpi_save_its_tables(dst);
	step("pending save");
	pend_save = vlpi_save_pending_tables(dst);
	stray = vlpi_memguard_check(&guard, tables.r, tables.n, &first);
	note(it, " its-save=%s pend-save=%s", strerror(its_save),
	     strerror(pend_save));
	if (pend_save && pend_save != EFAULT)
		fail(it, "the pending-table save returned %s",
		     strerror(pend_save));
	if (its_save && its_save != EACCES && its_save != EFAULT &&
	    its_save != EINVAL)
		fail(it, "the ITS save returned %s", strerror(its_save));
	if (stray) {
		fail(it, "%lu byte(s) written outside the ABI's tables, the first at GPA %#lx",
		     (unsigned long)stray, (unsigned long)first);
		t->stray += stray;
	}

	step("unforward");
	vlpi_irqfd(dst, 0, efd, false);
	edu_disable_msi(edu);
	close(efd);
	step("teardown");
	vlpi_vm_free(dst);
	t->reports += kmsg_reports(it);
}

static struct vlpi_vm *make_source(void)
{
	struct vlpi_vm *src;
	unsigned int i;

	step("source");
	src = vlpi_its_vm_create(NR_VCPUS, guest_code);
	step("source vCPU 0");
	vlpi_run_to_sync(src->vcpus[0], 1);
	step("source vCPU 1");
	vlpi_run_to_sync(src->vcpus[1], 1);
	step("source saves");
	/* A few pending, for the restore to read back */
	for (i = 0; i < NR_DEVS; i++)
		vlpi_signal_msi(src, (struct vlpi_msi){ i, i % NR_EVENTS });
	TEST_ASSERT(!vlpi_save_its_tables(src), "source ITS save");
	TEST_ASSERT(!vlpi_save_pending_tables(src), "source pending save");
	return src;
}

/* Worker @w of @nr_workers: its share of the iterations; how many failed */
static int run_worker(int w, int nr_workers, uint64_t seed, int nr_iters,
		      struct totals *t)
{
	static struct iter it;
	struct vlpi_vm *src;
	struct edu edu;
	int k, failed = 0;
	char bdf[16];

	snprintf(bdf, sizeof(bdf), "0000:00:%02x.0", 2 + w);
	TEST_ASSERT(edu_open(&edu, bdf), "%s (worker %d) not bound to vfio-pci",
		    bdf, w);
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	TEST_ASSERT(kmsg_fd >= 0, "/dev/kmsg");
	lseek(kmsg_fd, 0, SEEK_END);

	src = make_source();
	for (k = w; k < nr_iters; k += nr_workers) {
		memset(&it, 0, sizeof(it));
		it.seed = seed + k;
		it.rng = it.seed * 2654435761u + 1;
		if (verbose)
			ksft_print_msg("iteration %d (-s %lu -c 1)\n", k,
				       (unsigned long)(seed + k));
		one_iteration(&it, src, &edu, t);
		t->iters++;
		if (!it.fail)
			continue;
		if (failed++ < 5)
			ksft_print_msg("iteration %d (-s %lu -c 1): %s:%s\n", k,
				       (unsigned long)(seed + k), it.fail,
				       it.log);
	}
	vlpi_vm_free(src);
	edu_close(&edu);
	close(kmsg_fd);
	return failed;
}

int main(int argc, char *argv[])
{
	int opt, nr_iters = 100, nr_workers = 1, failed = 0, w, status;
	bool seed_given = false;
	char *mode[3] = { argv[0], "-n", NULL };
	struct timespec t0, t1;
	struct totals t = {};
	uint64_t seed;
	int pipes[MAX_WORKERS][2];

	while ((opt = getopt(argc, argv, "mns:c:j:v")) != -1) {
		switch (opt) {
		case 'm':
			mode[1] = "-m";
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			seed_given = true;
			break;
		case 'c':
			nr_iters = atoi(optarg);
			break;
		case 'j':
			nr_workers = atoi(optarg);
			break;
		case 'v':
			verbose = true;
			break;
		}
	}
	optind = 1;
	vlpi_mig_test_start(2, mode);
	/* A new seed each run, unless given: printed, to replay it */
	if (!seed_given) {
		seed = vlpi_fuzz_seed();
		vlpi_fuzz_slice(&seed, &nr_iters);
	}
	if (nr_workers < 1 || nr_workers > MAX_WORKERS)
		ksft_exit_fail_msg("-j takes 1 to %d\n", MAX_WORKERS);
	ksft_set_plan(1);
	ksft_print_msg("seed %lu, %d iterations, %d worker(s), module %s\n",
		       (unsigned long)seed, nr_iters, nr_workers,
		       mode[1][1] == 'm' ? "loaded" : "unloaded");
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (w = 0; w < nr_workers; w++) {
		pid_t pid;

		TEST_ASSERT(!pipe(pipes[w]), "pipe");
		pid = fork();
		TEST_ASSERT(pid >= 0, "fork");
		if (!pid) {
			/* A line at a time, so that workers' lines never mix */
			setvbuf(stdout, NULL, _IOLBF, 0);
			close(pipes[w][0]);
			failed = run_worker(w, nr_workers, seed, nr_iters, &t);
			TEST_ASSERT(write(pipes[w][1], &t, sizeof(t)) == sizeof(t),
				    "write totals");
			exit(failed > 255 ? 255 : failed);
		}
		close(pipes[w][1]);
	}
	for (w = 0; w < nr_workers; w++) {
		struct totals wt = {};

		if (read(pipes[w][0], &wt, sizeof(wt)) == sizeof(wt)) {
			t.iters += wt.iters;
			t.reports += wt.reports;
			t.stray += wt.stray;
			t.restore_err += wt.restore_err;
			t.forwarded += wt.forwarded;
			if (wt.most_ranges > t.most_ranges) {
				t.most_ranges = wt.most_ranges;
				t.most_seed = wt.most_seed;
			}
		}
		close(pipes[w][0]);
	}
	for (w = 0; w < nr_workers; w++) {
		TEST_ASSERT(wait(&status) > 0, "wait");
		/* A worker that died (a TEST_ASSERT) counts as a failure */
		failed += WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ksft_print_msg("restore fuzz: seed %lu, iterations %lu, module %s, %.0f s\n",
		       (unsigned long)seed, t.iters,
		       mode[1][1] == 'm' ? "loaded" : "unloaded",
		       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	ksft_print_msg("restore fuzz: kernel reports %lu, stray bytes %lu\n",
		       t.reports, t.stray);
	ksft_print_msg("restore fuzz: ranges a save may write, at most %lu (-s %lu -c 1)\n",
		       t.most_ranges, t.most_seed);
	ksft_print_msg("restore fuzz: restores refused %lu, vLPIs forwarded %lu\n",
		       t.restore_err, t.forwarded);
	ksft_test_result(!failed && t.iters == (unsigned long)nr_iters,
			 "%lu of %d iterations ran, %d broke an invariant\n",
			 t.iters, nr_iters, failed);
	ksft_finished();
}
