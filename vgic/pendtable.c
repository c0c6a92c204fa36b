// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: addressing of the LPI pending tables in guest RAM.
 *
 * A redistributor's pending table (GICR_PENDBASER) holds one bit per
 * INTID, 2^IDbits bits in all; the first 1KB covers SGIs, PPIs and SPIs
 * and is never written here. Every address is checked before use: a bad
 * GICR_PENDBASER is the guest's to give, and must never turn into a write
 * to another guest page.
 */

#include <linux/errno.h>
#include <linux/bits.h>
#include <linux/irqchip/arm-gic-v3.h>
#include <kunit/visibility.h>

#include "vlpi_mig.h"

/* GICD_TYPER.IDbits + 1 ranges from 14 (the first LPI) to 32 */
#define VLPI_MIG_MIN_IDBITS	14
#define VLPI_MIG_MAX_IDBITS	32
/* GICR_PENDBASER holds a 52-bit physical address */
#define VLPI_MIG_PA_BITS	52

/**
 * vlpi_mig_pendtable_size() - size of a pending table
 * @idbits: number of INTID bits the redistributor implements
 *
 * Return: the table's size in bytes, 0 if @idbits is out of range.
 */
size_t vlpi_mig_pendtable_size(unsigned int idbits)
{
	if (idbits < VLPI_MIG_MIN_IDBITS || idbits > VLPI_MIG_MAX_IDBITS)
		return 0;
	return BIT_ULL(idbits) / BITS_PER_BYTE;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_pendtable_size);

/**
 * vlpi_mig_pendtable_locate() - find an LPI's pending bit in guest RAM
 * @pendbaser: the target redistributor's GICR_PENDBASER
 * @intid: the LPI
 * @idbits: number of INTID bits the redistributor implements
 * @gpa: the guest physical address of the byte holding the bit
 * @bit: the bit's number within that byte
 *
 * Return: 0 on success; -EINVAL if @intid is not an LPI or @idbits is out
 * of range; -ERANGE if @intid is past the table or the table runs past
 * the physical address space; -ENOENT if the guest has given no pending
 * table (address 0), in which case the LPI must be skipped.
 */
int vlpi_mig_pendtable_locate(u64 pendbaser, u32 intid, unsigned int idbits,
			      gpa_t *gpa, u8 *bit)
{
	size_t size = vlpi_mig_pendtable_size(idbits);
	gpa_t base = GICR_PENDBASER_ADDRESS(pendbaser);

	if (!size || intid < VLPI_MIG_LPI_BASE)
		return -EINVAL;
	if ((u64)intid >= BIT_ULL(idbits))
		return -ERANGE;
	if (!base)
		return -ENOENT;
	if (base + size > BIT_ULL(VLPI_MIG_PA_BITS))
		return -ERANGE;

	*gpa = base + intid / BITS_PER_BYTE;
	*bit = intid % BITS_PER_BYTE;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_pendtable_locate);
