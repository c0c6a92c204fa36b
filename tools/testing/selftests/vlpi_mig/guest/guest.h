/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Memory map, register layouts and accessors of the vlpi_mig test guest
 * (see guest.c). Test-only code for QEMU's "virt" machine with
 * gic-version=3,its=on,highmem=off.
 */
#ifndef VLPI_GUEST_H
#define VLPI_GUEST_H

/* The kernel tree's tools/include: __aligned, __printf, READ_ONCE, u32 */
#include <linux/compiler.h>
#include <linux/types.h>

#define BIT(n)		(1U << (n))
#define BIT_ULL(n)	(1ULL << (n))

#define SZ_4K		0x1000
#define SZ_64K		0x10000

/* QEMU virt, highmem=off */
#define GICD_BASE	0x08000000UL
#define GITS_BASE	0x08080000UL
#define GICR_BASE	0x080A0000UL
#define GICR_REGION_END	0x09000000UL
#define UART_BASE	0x09000000UL
#define PCI_MMIO_BASE	0x10000000UL
#define PCI_MMIO_END	0x3effffffUL
#define PCI_ECAM_BASE	0x3f000000UL

/* PL011 */
#define UART_DR		0x00
#define UART_FR		0x18
#define UART_FR_RXFE	BIT(4)
#define UART_FR_TXFF	BIT(5)
#define UART_CR		0x30
#define UART_CR_UARTEN	BIT(0)
#define UART_CR_TXE	BIT(8)
#define UART_CR_RXE	BIT(9)

/* GIC distributor */
#define GICD_CTLR		0x0000
#define GICD_CTLR_ENABLE_G1	BIT(0)
#define GICD_CTLR_ENABLE_G1A	BIT(1)
#define GICD_CTLR_ARE_NS	BIT(4)
#define GICD_CTLR_RWP		BIT(31)

/* GIC redistributor, RD_base frame */
#define GICR_CTLR		0x0000
#define GICR_CTLR_ENABLE_LPIS	BIT(0)
#define GICR_TYPER		0x0008
#define GICR_TYPER_PLPIS	BIT_ULL(0)
#define GICR_TYPER_VLPIS	BIT_ULL(1)
#define GICR_TYPER_LAST		BIT_ULL(4)
#define GICR_TYPER_PROCNUM(t)	(((t) >> 8) & 0xffff)
#define GICR_TYPER_AFF(t)	((t) >> 32)
#define GICR_WAKER		0x0014
#define GICR_WAKER_PSLEEP	BIT(1)
#define GICR_WAKER_CASLEEP	BIT(2)
#define GICR_PROPBASER		0x0070
#define GICR_PENDBASER		0x0078
#define GICR_FRAME_SIZE		0x20000
#define GICR_VLPI_FRAMES_SIZE	0x20000

/* Fields shared by GICR_{PROP,PEND}BASER, GITS_BASER<n> and GITS_CBASER */
#define GIC_SHARE_SHIFT		10
#define GIC_SHARE_MASK		(3ULL << GIC_SHARE_SHIFT)
#define GIC_SHARE_INNER		BIT_ULL(GIC_SHARE_SHIFT)
#define GIC_CACHE_NC		1ULL	/* Normal, Non-cacheable */
#define GICR_BASER_ICACHE(c)	((c) << 7)
#define GITS_BASER_ICACHE(c)	((c) << 59)
#define GIC_ADDR_MASK		0x000ffffffffff000ULL	/* bits 51:12 */
#define GICR_PROPBASER_IDBITS	0x1fULL
#define GICR_PENDBASER_ADDR	0x000fffffffff0000ULL	/* bits 51:16 */

/* GIC ITS */
#define GITS_CTLR		0x0000
#define GITS_CTLR_ENABLED	BIT(0)
#define GITS_CTLR_QUIESCENT	BIT(31)
#define GITS_TYPER		0x0008
#define GITS_TYPER_PHYSICAL	BIT_ULL(0)
#define GITS_TYPER_ITT_ESZ(t)	((((t) >> 4) & 0xf) + 1)
#define GITS_TYPER_IDBITS(t)	((((t) >> 8) & 0x1f) + 1)
#define GITS_TYPER_DEVBITS(t)	((((t) >> 13) & 0x1f) + 1)
#define GITS_TYPER_PTA		BIT_ULL(19)
#define GITS_TYPER_HCC(t)	(((t) >> 24) & 0xff)
#define GITS_CBASER		0x0080
#define GITS_CWRITER		0x0088
#define GITS_CREADR		0x0090
#define GITS_CREADR_STALLED	BIT_ULL(0)
#define GITS_CMD_OFFSET_MASK	0xfffe0ULL		/* bits 19:5 */
#define GITS_BASER(n)		(0x0100 + 8 * (n))
#define GITS_BASER_NR		8
#define GITS_BASER_VALID	BIT_ULL(63)
#define GITS_BASER_INDIRECT	BIT_ULL(62)
#define GITS_BASER_TYPE(b)	(((b) >> 56) & 7)
#define GITS_BASER_TYPE_MASK	(7ULL << 56)
#define GITS_BASER_TYPE_DEVICE	1
#define GITS_BASER_TYPE_COLL	4
#define GITS_BASER_ESZ(b)	((((b) >> 48) & 0x1f) + 1)
#define GITS_BASER_ESZ_MASK	(0x1fULL << 48)
#define GITS_BASER_PSZ_SHIFT	8
#define GITS_BASER_PSZ_MASK	(3ULL << GITS_BASER_PSZ_SHIFT)
#define GITS_BASER_ADDR_MASK	0x0000ffffffff0000ULL	/* bits 47:16 */
#define GITS_BASER_SIZE_MASK	0xffULL
#define GITS_TRANSLATER		0x10040

/* ITS commands */
#define ITS_CMD_SYNC		0x05
#define ITS_CMD_MAPD		0x08
#define ITS_CMD_MAPC		0x09
#define ITS_CMD_MAPTI		0x0a
#define ITS_CMD_INV		0x0c
#define ITS_CMD_SIZE		32

/* PCI configuration space */
#define PCI_VENDOR_ID		0x00
#define PCI_COMMAND		0x04
#define PCI_COMMAND_IO		BIT(0)
#define PCI_COMMAND_MEMORY	BIT(1)
#define PCI_COMMAND_MASTER	BIT(2)
#define PCI_COMMAND_INTX_DIS	BIT(10)
#define PCI_STATUS		0x06
#define PCI_STATUS_CAP_LIST	BIT(4)
#define PCI_HEADER_TYPE		0x0e
#define PCI_HEADER_MFD		0x80
#define PCI_BAR0		0x10
#define PCI_BAR1		0x14
#define PCI_BAR_IO		BIT(0)
#define PCI_BAR_TYPE_64		0x4
#define PCI_BAR_TYPE_MASK	0x6
#define PCI_BAR_MEM_MASK	0xfffffff0U
#define PCI_CAP_PTR		0x34
#define PCI_CAP_ID_MSI		0x05
#define PCI_MSI_FLAGS		0x02
#define PCI_MSI_FLAGS_ENABLE	BIT(0)
#define PCI_MSI_FLAGS_QSIZE	(7U << 4)
#define PCI_MSI_FLAGS_64BIT	BIT(7)
#define PCI_MSI_FLAGS_MASKBIT	BIT(8)
#define PCI_MSI_ADDR_LO		0x04
#define PCI_MSI_ADDR_HI		0x08	/* 64-bit layout */
#define PCI_MSI_DATA_32		0x08
#define PCI_MSI_DATA_64		0x0c
#define PCI_MSI_MASK_32		0x0c
#define PCI_MSI_MASK_64		0x10

/* QEMU "edu" device (hw/misc/edu.c), BAR0 */
#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_LIVENESS		0x04
#define EDU_FACTORIAL		0x08
#define EDU_IRQ_STATUS		0x24
#define EDU_IRQ_RAISE		0x60
#define EDU_IRQ_ACK		0x64

/* PSCI 0.2 through hvc */
#define PSCI_SYSTEM_OFF		0x84000008UL

/*
 * MMIO accessors. Each is exactly one single-register load or store with
 * a plain base register: under KVM these trap to the host, which can only
 * emulate accesses whose syndrome it can decode (no pairs, no writeback).
 */
static inline u8 readb(unsigned long addr)
{
	u32 v;

	asm volatile("ldrb %w0, [%1]" : "=r" (v) : "r" (addr) : "memory");
	return v;
}

static inline u16 readw(unsigned long addr)
{
	u32 v;

	asm volatile("ldrh %w0, [%1]" : "=r" (v) : "r" (addr) : "memory");
	return v;
}

static inline u32 readl(unsigned long addr)
{
	u32 v;

	asm volatile("ldr %w0, [%1]" : "=r" (v) : "r" (addr) : "memory");
	return v;
}

static inline u64 readq(unsigned long addr)
{
	u64 v;

	asm volatile("ldr %0, [%1]" : "=r" (v) : "r" (addr) : "memory");
	return v;
}

static inline void writew(u16 v, unsigned long addr)
{
	asm volatile("strh %w0, [%1]" : : "r" (v), "r" (addr) : "memory");
}

static inline void writel(u32 v, unsigned long addr)
{
	asm volatile("str %w0, [%1]" : : "r" (v), "r" (addr) : "memory");
}

static inline void writeq(u64 v, unsigned long addr)
{
	asm volatile("str %0, [%1]" : : "r" (v), "r" (addr) : "memory");
}

#define read_sysreg(r) ({						\
	u64 __v;							\
	asm volatile("mrs %0, " #r : "=r" (__v) : : "memory");		\
	__v;								\
})

#define write_sysreg(v, r) ({						\
	u64 __v = (u64)(v);						\
	asm volatile("msr " #r ", %0" : : "r" (__v) : "memory");	\
})

static inline void isb(void)
{
	asm volatile("isb" : : : "memory");
}

static inline void dsb_sy(void)
{
	asm volatile("dsb sy" : : : "memory");
}

static inline void local_irq_enable(void)
{
	asm volatile("msr daifclr, #2" : : : "memory");
}

static inline void local_irq_disable(void)
{
	asm volatile("msr daifset, #2" : : : "memory");
}

/* Called from start.S */
int main(void);
void irq_handler(void);
void bad_exception(u64 vector, u64 esr, u64 elr, u64 far);

#endif /* VLPI_GUEST_H */
