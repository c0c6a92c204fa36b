/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vlpi-mig: vGICv3 device attributes for migrating directly injected
 * vLPIs. A VMM includes this header next to <linux/kvm.h>.
 *
 * The group is served by the vlpi_mig module. Without it loaded,
 * KVM_HAS_DEVICE_ATTR on the group fails with ENXIO: that is how a VMM
 * detects support.
 */
#ifndef _UAPI_VLPI_MIG_H
#define _UAPI_VLPI_MIG_H

#include <linux/const.h>
#include <linux/types.h>

/*
 * Attribute group on the KVM_DEV_TYPE_ARM_VGIC_V3 device. Upstream numbers
 * its vGIC groups densely from 0; this one sits far above them ('V' 'L').
 */
#define KVM_DEV_ARM_VGIC_GRP_VLPI_MIG		0x564c

/*
 * KVM_DEV_ARM_VLPI_MIG_CAPS (read-only): a __u64 at kvm_device_attr.addr
 * receives what this host can do, as KVM_VLPI_MIG_CAP_* bits.
 */
#define KVM_DEV_ARM_VLPI_MIG_CAPS		0

/* vLPIs are injected directly by a GICv4 (kvm-arm.vgic_v4_enable=1) */
#define KVM_VLPI_MIG_CAP_DIRECT_INJECTION	_BITULL(0)
/* ... and the GIC is a GICv4.1, whose VPT can be read once unmapped */
#define KVM_VLPI_MIG_CAP_GICV4_1		_BITULL(1)
/* ... or a GICv4.0 whose VPT the administrator declared coherent */
#define KVM_VLPI_MIG_CAP_VPT_DECLARED		_BITULL(2)
/*
 * KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES saves the pending state of
 * forwarded vLPIs, and KVM_DEV_ARM_ITS_SAVE_TABLES accepts forwarded ITEs
 */
#define KVM_VLPI_MIG_CAP_SAVE			_BITULL(3)
/*
 * When forwarding is set up for an LPI pending in software (restored from
 * the pending tables), its state moves to the ITS exactly once, and never
 * while a vCPU runs and might hold it in a list register
 */
#define KVM_VLPI_MIG_CAP_RESTORE		_BITULL(4)
/*
 * Tearing forwarding down while no vCPU runs keeps a pending vLPI pending
 * (in software, until forwarding is set up again)
 */
#define KVM_VLPI_MIG_CAP_KEEP_ON_UNFORWARD	_BITULL(5)

#endif /* _UAPI_VLPI_MIG_H */
