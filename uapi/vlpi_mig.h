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
 *
 * Errors of every attribute of the group, besides those it lists:
 *   ENXIO   an attribute this module does not serve, or a SET of a
 *           read-only one (a newer module may serve it)
 *   EINVAL  non-zero kvm_device_attr.flags (none is defined)
 *   EFAULT  kvm_device_attr.addr cannot be read or written
 *   ENOMEM  a SET that makes the module keep state for the VM, which it
 *           does at the VM's first setting; nothing was changed
 *   EAGAIN  a SET while the module is being unloaded: it cannot keep the
 *           setting; once it is loaded again, the VMM sets it again
 */
#ifndef KVM_DEV_ARM_VGIC_GRP_VLPI_MIG
#define KVM_DEV_ARM_VGIC_GRP_VLPI_MIG		10
#endif

/*
 * KVM_DEV_ARM_VLPI_MIG_CAPS (read-only): a __u64 at kvm_device_attr.addr,
 * what a migration of this VM from this host carries, as
 * KVM_VLPI_MIG_CAP_* bits: this host's GIC and this VM's POLICY applied.
 * Reread it after writing POLICY.
 */
#define KVM_DEV_ARM_VLPI_MIG_CAPS		0
/*
 * KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS (read, write): a __u64, on the
 * destination, the CAPS the source read before it saved the VM.
 *   Write, before any vCPU of the VM has run: EBUSY after. Refused with
 *   EOPNOTSUPP only for a bit of KVM_VLPI_MIG_CAPS_MANDATORY this module
 *   does not know; any other bit is accepted, known or not, and what the
 *   source's caps mean for the VM's interrupts is logged.
 *   Read: the last accepted write; ENODATA if there was none.
 *
 * A VM whose VMM wrote SOURCE_CAPS or POLICY holds a reference on the
 * module until it is destroyed: rmmod is refused (EAGAIN) rather than
 * forget what the VMM set. The counters of STATS start again from 0
 * after a reload (kvm_vlpi_mig_stats.loaded_ns tells).
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
	/*
	 * CLOCK_BOOTTIME (ns) when the module was loaded. The counters above
	 * count from then: a VMM that sees it change knows they started
	 * again at 0 after a reload.
	 */
	__u64 loaded_ns;
};

/*
 * KVM_DEV_ARM_VLPI_MIG_SAVE_ACTION (read-only): a __u64, what the VM's next
 * KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES (and ITS save) does with its
 * forwarded vLPIs, on this host under its POLICY, as a KVM_VLPI_MIG_SAVE_*.
 * CAPS says what the migration carries; this says how.
 */
#define KVM_DEV_ARM_VLPI_MIG_SAVE_ACTION	4
/*
 * Upstream's save: the legacy policy, or a host without direct injection
 * (nothing is forwarded). On GICv4.1 upstream reads the VPT itself.
 */
#define   KVM_VLPI_MIG_SAVE_UPSTREAM		0
/* Each forwarded vLPI's state read from its VPT (GICv4.1) */
#define   KVM_VLPI_MIG_SAVE_READ		1
/* Each forwarded vLPI saved as pending, unread (GICv4.0, conservative) */
#define   KVM_VLPI_MIG_SAVE_ALL_PENDING		2
/*
 * The ITS save fails with EACCES; the pending-table save saves forwarded
 * vLPIs as upstream does and counts them (GICv4.0, strict)
 */
#define   KVM_VLPI_MIG_SAVE_REFUSE		3

/* Host facts: vLPIs are injected directly (kvm-arm.vgic_v4_enable=1) */
#define KVM_VLPI_MIG_CAP_DIRECT_INJECTION	_BITULL(0)
/* ... by a GICv4.1, whose VPT can be read once its vPE is unmapped */
#define KVM_VLPI_MIG_CAP_GICV4_1		_BITULL(1)
/* Bit 2 is reserved: never set */
/*
 * The saves lose no pending interrupt: KVM_DEV_ARM_ITS_SAVE_TABLES accepts
 * forwarded ITEs and KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES writes each
 * forwarded vLPI's pending state into the LPI pending tables. Without
 * direct injection nothing is forwarded, and the bit is set.
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
/*
 * With SAVE: a forwarded vLPI may be saved as pending when it was not
 * (the conservative policy where its state cannot be read). The guest
 * may take one interrupt more per vector, never one fewer.
 */
#define KVM_VLPI_MIG_CAP_SPURIOUS		_BITULL(6)
/*
 * Bits a destination must know to restore what the source saved: one it
 * does not know makes it refuse SOURCE_CAPS (EOPNOTSUPP). None is defined:
 * the tables a save writes are upstream's, which every kernel restores.
 * A destination ignores the bits it does not know below this range.
 */
#define KVM_VLPI_MIG_CAPS_MANDATORY		(~(_BITULL(32) - 1))

#endif /* _UAPI_VLPI_MIG_H */
