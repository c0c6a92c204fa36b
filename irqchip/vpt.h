/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vlpi-mig: how, and whether, this host can read a vLPI's pending bit in
 * its vPE's virtual pending table (VPT).
 */
#ifndef __VLPI_MIG_VPT_H
#define __VLPI_MIG_VPT_H

#include <linux/types.h>
#include <linux/xarray.h>

/* KVM's vGIC implements 16 INTID bits for LPIs (INTERRUPT_ID_BITS_ITS) */
#define VLPI_MIG_VITS_IDBITS	16

struct dentry;
struct its_vpe;
struct kvm;
struct vgic_mig_host_info;

/**
 * enum vlpi_mig_vpt_mode - how the VPT of an unmapped vPE may be read
 * @VLPI_MIG_VPT_NONE: no direct injection, so no vLPI state in any VPT
 * @VLPI_MIG_VPT_UNREADABLE: GICv4.0; the architecture gives no point at
 *	which the GIC has written back its cached pending bits
 * @VLPI_MIG_VPT_DECLARED: GICv4.0 that the administrator declared to keep
 *	the VPT coherent once the vPE is unmapped (QEMU's emulated GIC does)
 * @VLPI_MIG_VPT_GICV4_1: GICv4.1; VMAPP with V=0 makes the VPT coherent
 */
enum vlpi_mig_vpt_mode {
	VLPI_MIG_VPT_NONE,
	VLPI_MIG_VPT_UNREADABLE,
	VLPI_MIG_VPT_DECLARED,
	VLPI_MIG_VPT_GICV4_1,
};

enum vlpi_mig_vpt_mode vlpi_mig_vpt_mode(const struct vgic_mig_host_info *host,
					 bool declared_coherent);
const char *vlpi_mig_vpt_mode_name(enum vlpi_mig_vpt_mode mode);

/**
 * struct vlpi_mig_window - the vPEs whose VPT a reader may read
 * @vpes: the vPEs, by vpe_id, whose VPT was made coherent
 * @mode: how the host's VPTs are made coherent, which the reader checks
 * @unchecked: test-only (the skip_vpt_unmap fault point): the vPEs were
 *	marked but not made coherent, and the reader reads them unchecked
 *
 * The ITS's reader consults the save's window alone; tests make their own.
 */
struct vlpi_mig_window {
	struct xarray vpes;
	enum vlpi_mig_vpt_mode mode;
	bool unchecked;
};

/* vlpi_state.c */
int vlpi_mig_vpt_open(struct kvm *kvm, enum vlpi_mig_vpt_mode mode,
		      bool *unmapped);
void vlpi_mig_vpt_close(struct kvm *kvm, bool unmapped);
void vlpi_mig_fault_init(struct dentry *parent);
int vlpi_mig_vpt_read_one(enum vlpi_mig_vpt_mode mode, struct its_vpe *vpe,
			  int host_irq, bool *pending);
int vlpi_mig_state_register(enum vlpi_mig_vpt_mode mode);
void vlpi_mig_state_unregister(void);

#if IS_ENABLED(CONFIG_KUNIT)
void vlpi_mig_window_init(struct vlpi_mig_window *w,
			  enum vlpi_mig_vpt_mode mode);
int vlpi_mig_window_mark(struct vlpi_mig_window *w, struct its_vpe *vpe);
void vlpi_mig_window_unmark(struct vlpi_mig_window *w, struct its_vpe *vpe);
int vlpi_mig_window_read(struct vlpi_mig_window *w, struct its_vpe *alone,
			 struct its_vpe *vpe, u32 vintid, bool *pending);
int vlpi_mig_get_pending(struct its_vpe *vpe, u32 vintid, bool *pending);
#endif

#endif /* __VLPI_MIG_VPT_H */
