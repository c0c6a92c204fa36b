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
 * Attribute group on the KVM_DEV_TYPE_ARM_VGIC_V3 device.
 *
 * Discovery: KVM_HAS_DEVICE_ATTR with this group and
 * KVM_DEV_ARM_VLPI_MIG_CAPS on the vGICv3 device's fd returns 0 when the
 * module is loaded, and fails with ENXIO when it is not (or the kernel
 * lacks the series): no other probe is needed, and a VMM that knows
 * nothing of the group sees the kernel it always saw.
 *
 * The enabling series declares the group in <asm/kvm.h>, after upstream's
 * densely numbered ones (0 to 8 in 6.12; 7.x adds
 * KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ, 9): the same number on every kernel.
 */
#ifndef KVM_DEV_ARM_VGIC_GRP_VLPI_MIG
#define KVM_DEV_ARM_VGIC_GRP_VLPI_MIG		10
#endif

/*
 * KVM_DEV_ARM_VLPI_MIG_CAPS: a __u64 at kvm_device_attr.addr.
 *   Read: what this host can do, as KVM_VLPI_MIG_CAP_* bits.
 *   Write, on the destination before the VM first runs: the source's caps.
 *   Refused with EOPNOTSUPP if this host cannot give a guarantee the source
 *   gave (KVM_VLPI_MIG_CAPS_GUARANTEES), EINVAL for an unknown bit, EBUSY
 *   once a vCPU has run.
 */
#define KVM_DEV_ARM_VLPI_MIG_CAPS		0
/*
 * KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS (read-only): a __u64, the source's caps
 * as the last accepted KVM_DEV_ARM_VLPI_MIG_CAPS write left them;
 * ENODATA if none was. Kept as long as the VM lives.
 *
 * A VM whose VMM wrote CAPS or POLICY holds a reference on the module
 * until it is destroyed: rmmod is refused (EAGAIN) rather than forget
 * what the VMM set. The counters of STATS start again from 0 after a
 * reload.
 */
#define KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS	3
/*
 * KVM_DEV_ARM_VLPI_MIG_POLICY (read, write): a __u64, what to do where a
 * forwarded vLPI's pending state cannot be read (GICv4.0). EINVAL for any
 * other value.
 *
 * Whatever the policy, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES never fails
 * because of a vLPI: QEMU calls it on every VM stop (pause, snapshot,
 * shutdown) and aborts on any error but EFAULT. A vLPI it cannot read is
 * saved as upstream saves it and counted (STATS unreadable). A VMM learns
 * before a migration that this host cannot save vLPI state from CAPS
 * (no KVM_VLPI_MIG_CAP_SAVE); QEMU reads no CAPS.
 */
#define KVM_DEV_ARM_VLPI_MIG_POLICY		1
/*
 * A VM starts with the module's default_policy parameter (strict unless
 * the administrator chose otherwise), taken when its vGIC is created.
 */
/*
 * KVM_DEV_ARM_ITS_SAVE_TABLES fails with EACCES, as upstream does
 * on GICv4.0, rather than hand a VMM tables whose vLPI state is lost. QEMU
 * calls it on every VM stop and only logs the error (a migration goes on);
 * a VMM that fails on it fails the stop
 */
#define   KVM_VLPI_MIG_POLICY_STRICT		0
/* Every forwarded vLPI is saved as pending: maybe spurious, never lost */
#define   KVM_VLPI_MIG_POLICY_CONSERVATIVE	1
/* Upstream's behaviour, everywhere: the module steps aside */
#define   KVM_VLPI_MIG_POLICY_LEGACY		2
/*
 * KVM_DEV_ARM_VLPI_MIG_STATS (read-only): a struct kvm_vlpi_mig_stats at
 * kvm_device_attr.addr, whose size the VMM sets to the size it knows (a
 * multiple of 8, at least 8); the kernel fills as much as both know and
 * sets size to that. EINVAL for a bad size or non-zero flags.
 */
#define KVM_DEV_ARM_VLPI_MIG_STATS		2

struct kvm_vlpi_mig_stats {
	__u32 size;
	__u32 flags;
	__u64 forwarded;	/* vLPIs forwarded now */
	__u64 saved_pending;	/* forwarded vLPIs saved as pending */
	__u64 restored;		/* restored states moved to the ITS */
	__u64 kept;		/* pending states kept on unforward */
	__u64 skipped;		/* not saved: no pending table in RAM */
	__u64 refused;		/* ITS saves refused: state unreadable */
	__u64 unforward_running; /* unforwarded with its vPE resident */
	__u64 restore_busy;	/* restored, left to the vGIC: vCPU loaded */
	__u64 unreadable;	/* unreadable at save, saved as upstream */
	__u64 full_saves;	/* saves made in one pass, software LPIs too */
};

/* vLPIs are injected directly by a GICv4 (kvm-arm.vgic_v4_enable=1) */
#define KVM_VLPI_MIG_CAP_DIRECT_INJECTION	_BITULL(0)
/* ... and the GIC is a GICv4.1, whose VPT can be read once unmapped */
#define KVM_VLPI_MIG_CAP_GICV4_1		_BITULL(1)
/* Bit 2 is reserved: never set */
/*
 * KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES saves the pending state of
 * forwarded vLPIs, and KVM_DEV_ARM_ITS_SAVE_TABLES accepts forwarded ITEs
 */
#define KVM_VLPI_MIG_CAP_SAVE			_BITULL(3)
/*
 * When forwarding is set up for an LPI pending in software (restored from
 * the pending tables), its state moves to the ITS exactly once, and never
 * while a vCPU runs and might hold it in a list register (then the vGIC
 * moves it as upstream does, counted in restore_busy)
 */
#define KVM_VLPI_MIG_CAP_RESTORE		_BITULL(4)
/* Bit 5 is reserved: never set */

/* The caps that promise something a destination must keep promising */
#define KVM_VLPI_MIG_CAPS_GUARANTEES	(KVM_VLPI_MIG_CAP_SAVE |	\
					 KVM_VLPI_MIG_CAP_RESTORE)
#define KVM_VLPI_MIG_CAPS_ALL		(_BITULL(6) - 1)

#endif /* _UAPI_VLPI_MIG_H */
