// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: the KVM_DEV_ARM_VGIC_GRP_VLPI_MIG attribute group of the
 * vGICv3 device (see uapi/vlpi_mig.h).
 *
 * Called from kvm_device_ioctl() with no vGIC lock held.
 */

#include <linux/kvm_host.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>

#include "../uapi/vlpi_mig.h"
#include "vlpi_mig.h"

/**
 * vlpi_mig_caps() - the capabilities a host reports to VMMs
 * @info: how the host vGIC uses GICv4
 * @mode: how VPTs may be read
 *
 * Return: KVM_VLPI_MIG_CAP_* bits.
 */
u64 vlpi_mig_caps(const struct vgic_mig_host_info *info,
		  enum vlpi_mig_vpt_mode mode)
{
	u64 caps = 0;

	if (info->has_gicv4)
		caps |= KVM_VLPI_MIG_CAP_DIRECT_INJECTION |
			KVM_VLPI_MIG_CAP_RESTORE;
	if (mode == VLPI_MIG_VPT_GICV4_1)
		caps |= KVM_VLPI_MIG_CAP_GICV4_1;
	if (mode == VLPI_MIG_VPT_DECLARED)
		caps |= KVM_VLPI_MIG_CAP_VPT_DECLARED;
	if (vlpi_mig_state_readable(mode))
		caps |= KVM_VLPI_MIG_CAP_SAVE |
			KVM_VLPI_MIG_CAP_KEEP_ON_UNFORWARD;

	return caps;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_caps);

int vlpi_mig_get_attr(struct kvm_device *dev, struct kvm_device_attr *attr)
{
	u64 __user *uaddr = u64_to_user_ptr(attr->addr);
	struct vlpi_mig_vm *vm;

	if (attr->attr != KVM_DEV_ARM_VLPI_MIG_CAPS)
		return -ENXIO;

	vm = vlpi_mig_vm_get(dev->kvm);
	if (IS_ERR(vm))
		return PTR_ERR(vm);

	return put_user(vlpi_mig_host.caps, uaddr);
}

int vlpi_mig_has_attr(struct kvm_device *dev, struct kvm_device_attr *attr)
{
	return attr->attr == KVM_DEV_ARM_VLPI_MIG_CAPS ? 0 : -ENXIO;
}
