/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vlpi-mig: whether this host can read a vLPI's pending bit in its vPE's
 * virtual pending table (VPT).
 */
#ifndef __VLPI_MIG_VPT_H
#define __VLPI_MIG_VPT_H

#include <linux/types.h>

struct dentry;
struct its_vpe;

/* KVM's vGIC implements 16 INTID bits for LPIs (INTERRUPT_ID_BITS_ITS) */
#define VLPI_MIG_VITS_IDBITS	16

/**
 * enum vlpi_mig_vpt_mode - whether the VPT of an unmapped vPE may be read
 * @VLPI_MIG_VPT_NONE: no direct injection, so no vLPI state in any VPT
 * @VLPI_MIG_VPT_UNREADABLE: GICv4.0; the architecture gives no point at
 *	which the GIC has written back its cached pending bits
 * @VLPI_MIG_VPT_GICV4_1: GICv4.1; VMAPP with V=0 makes the VPT coherent,
 *	and the ITS driver then answers IRQCHIP_STATE_PENDING for a vLPI
 */
enum vlpi_mig_vpt_mode {
	VLPI_MIG_VPT_NONE,
	VLPI_MIG_VPT_UNREADABLE,
	VLPI_MIG_VPT_GICV4_1,
};

enum vlpi_mig_vpt_mode vlpi_mig_vpt_mode(bool has_gicv4, bool has_gicv4_1);
const char *vlpi_mig_vpt_mode_name(enum vlpi_mig_vpt_mode mode);
int vlpi_mig_vpt_read(int host_irq, bool *pending);
bool vlpi_mig_vpt_test(const struct its_vpe *vpe, u32 vintid);
void vlpi_mig_vpt_debugfs_init(struct dentry *parent);

#endif /* __VLPI_MIG_VPT_H */
