/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vlpi-mig: the kernel's side of the seam, the enabling series in
 * patches/, as the module finds it at load (seam.c).
 */
#ifndef __VLPI_MIG_SEAM_H
#define __VLPI_MIG_SEAM_H

#include <linux/types.h>

/*
 * The version of the enabling series (the kernel's patches/) this module
 * is written for. scripts/seam-check.sh reads it; vlpi_mig_seam_get()
 * checks the running kernel's at load.
 */
#define VLPI_MIG_SEAM_VERSION	2

/*
 * Without the series, or with another version of it, stop here: see
 * Documentation/vlpi-mig/admin-guide.rst, "Installing". (sparse knows no
 * __has_include, even where it need not be evaluated.)
 */
#ifndef __CHECKER__
#if !__has_include("kvm/arm_vgic_mig.h")
#define VLPI_MIG_NO_SEAM
#endif
#endif

#ifdef VLPI_MIG_NO_SEAM
#error "the kernel lacks the vlpi-mig enabling series (no kvm/arm_vgic_mig.h)"
#else
#include <kvm/arm_vgic_mig.h>
#if !defined(VGIC_MIG_SEAM_VERSION) || VGIC_MIG_SEAM_VERSION != VLPI_MIG_SEAM_VERSION
#error "the kernel's vlpi-mig enabling series is of another version"
#endif
#endif

#include <linux/irqchip/arm-gic-v4.h>

/**
 * struct vlpi_mig_seam - the enabling series' symbols, found at load
 *
 * @vgic_mig_seam_version: the series' version, vgic_mig_seam_version
 * @vgic_mig_register: vgic_mig_register()
 * @vgic_mig_unregister: vgic_mig_unregister()
 * @vgic_mig_get_host_info: vgic_mig_get_host_info()
 * @vgic_mig_unmap_vpes: vgic_mig_unmap_vpes()
 * @vgic_mig_map_vpes: vgic_mig_map_vpes()
 * @vgic_lpis_enabled: vgic_lpis_enabled()
 * @its_register_vlpi_state_ops: its_register_vlpi_state_ops()
 * @its_unregister_vlpi_state_ops: its_unregister_vlpi_state_ops()
 * @its_vpe_sync_vpt: its_vpe_sync_vpt()
 *
 * Each member is named after the symbol whose address it holds, and has
 * its type (seam.c checks it); the module calls the series only through
 * these.
 */
struct vlpi_mig_seam {
	const u32 *vgic_mig_seam_version;
	int (*vgic_mig_register)(const struct vgic_mig_ops *ops);
	void (*vgic_mig_unregister)(const struct vgic_mig_ops *ops);
	void (*vgic_mig_get_host_info)(struct vgic_mig_host_info *info);
	void (*vgic_mig_unmap_vpes)(struct kvm *kvm);
	void (*vgic_mig_map_vpes)(struct kvm *kvm);
	bool (*vgic_lpis_enabled)(struct kvm_vcpu *vcpu);
	int (*its_register_vlpi_state_ops)(const struct its_vlpi_state_ops *ops);
	void (*its_unregister_vlpi_state_ops)(const struct its_vlpi_state_ops *ops);
	void (*its_vpe_sync_vpt)(struct its_vpe *vpe);
};

extern struct vlpi_mig_seam vlpi_mig_seam;

/**
 * struct vlpi_mig_seam_sym - a symbol of the series to look up
 * @name: its name
 * @offset: where its address goes in struct vlpi_mig_seam
 */
struct vlpi_mig_seam_sym {
	const char *name;
	size_t offset;
};

/**
 * struct vlpi_mig_seam_res - why a lookup failed
 * @missing: the symbol not found, or NULL
 * @have: the version read, if it was
 */
struct vlpi_mig_seam_res {
	const char *missing;
	u32 have;
};

/* seam.c */
int vlpi_mig_seam_get(void);
void vlpi_mig_seam_put(void);
#if IS_ENABLED(CONFIG_KUNIT)
int vlpi_mig_seam_lookup(const struct vlpi_mig_seam_sym *syms, unsigned int n,
			 u32 want, void *seam, struct vlpi_mig_seam_res *res);
#endif

#endif /* __VLPI_MIG_SEAM_H */
