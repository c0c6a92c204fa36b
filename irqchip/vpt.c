// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: VPT access mode.
 *
 * GICv4.1 defines when the VPT of a vPE is coherent in memory: after a
 * VMAPP with V=0 has completed. GICv4.0 defines no such point, so on real
 * GICv4.0 silicon the pending bits of a vLPI cannot be read at all. QEMU's
 * emulated GICv4.0 writes every pending bit straight to memory, and the
 * vpt_coherent module parameter lets an administrator say so.
 */

#include <linux/bug.h>
#include <kunit/visibility.h>

#include <kvm/arm_vgic_mig.h>

#include "vpt.h"

/**
 * vlpi_mig_vpt_mode() - decide how VPTs may be read on this host
 * @host: how the host vGIC uses GICv4
 * @declared_coherent: the administrator declared a GICv4.0 VPT coherent
 *
 * Return: the VPT access mode. @declared_coherent only matters on GICv4.0.
 */
enum vlpi_mig_vpt_mode vlpi_mig_vpt_mode(const struct vgic_mig_host_info *host,
					 bool declared_coherent)
{
	if (!host->has_gicv4)
		return VLPI_MIG_VPT_NONE;
	if (host->has_gicv4_1)
		return VLPI_MIG_VPT_GICV4_1;
	if (declared_coherent)
		return VLPI_MIG_VPT_DECLARED;
	return VLPI_MIG_VPT_UNREADABLE;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_vpt_mode);

/**
 * vlpi_mig_vpt_mode_name() - the name of a VPT access mode, for logs
 * @mode: the mode
 *
 * Return: a static string.
 */
const char *vlpi_mig_vpt_mode_name(enum vlpi_mig_vpt_mode mode)
{
	switch (mode) {
	case VLPI_MIG_VPT_NONE:
		return "none (no direct injection)";
	case VLPI_MIG_VPT_UNREADABLE:
		return "unreadable (GICv4.0)";
	case VLPI_MIG_VPT_DECLARED:
		return "declared coherent (emulated GICv4.0)";
	case VLPI_MIG_VPT_GICV4_1:
		return "GICv4.1 (coherent after VMAPP V=0)";
	}
	return "unknown";
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_vpt_mode_name);
