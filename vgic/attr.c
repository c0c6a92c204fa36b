// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: the KVM_DEV_ARM_VGIC_GRP_VLPI_MIG attribute group of the
 * vGICv3 device (see uapi/vlpi_mig.h and Documentation/vlpi-mig/uapi.rst).
 *
 * Called from kvm_device_ioctl() with no vGIC lock held. A read, an
 * unknown attribute and HAS_DEVICE_ATTR never allocate: a VM the module
 * keeps no state for (one older than the module) reads as a new one
 * would. A VMM's setting (CAPS, POLICY) creates the state, as a save does.
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
u64 vlpi_mig_caps(const struct vgic_mig_host *info,
		  enum vlpi_mig_vpt_mode mode)
{
	u64 caps = 0;

	if (info->has_gicv4)
		caps |= KVM_VLPI_MIG_CAP_DIRECT_INJECTION |
			KVM_VLPI_MIG_CAP_RESTORE;
	if (mode == VLPI_MIG_VPT_GICV4_1)
		caps |= KVM_VLPI_MIG_CAP_GICV4_1;
	if (vlpi_mig_state_readable(mode))
		caps |= KVM_VLPI_MIG_CAP_SAVE;

	return caps;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_caps);

/**
 * vlpi_mig_caps_check() - whether this host can take a VM from a source
 * @source: the source's KVM_VLPI_MIG_CAP_* bits
 * @host: this host's
 *
 * Return: 0; -EINVAL for a bit this module does not know; -EOPNOTSUPP if
 * the source gave a guarantee (KVM_VLPI_MIG_CAPS_GUARANTEES) this host
 * cannot.
 */
int vlpi_mig_caps_check(u64 source, u64 host)
{
	if (source & ~KVM_VLPI_MIG_CAPS_ALL)
		return -EINVAL;
	if (source & KVM_VLPI_MIG_CAPS_GUARANTEES & ~host)
		return -EOPNOTSUPP;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_caps_check);

/*
 * The source's caps, checked against this host's and remembered for the
 * VM's life (KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS reads them back); the VM
 * then pins the module, so that a reload cannot forget them.
 */
static int vlpi_mig_set_caps(struct vlpi_mig_vm *vm, struct kvm *kvm,
			     u64 __user *uaddr)
{
	u64 source;
	int ret;

	if (get_user(source, uaddr))
		return -EFAULT;

	/* The first KVM_RUN sets the flag under config_lock */
	mutex_lock(&kvm->arch.config_lock);
	if (kvm_vm_has_ran_once(kvm)) {
		pr_info_ratelimited("VM %d: source caps refused: the VM has run\n",
				    kvm->userspace_pid);
		ret = -EBUSY;
		goto out;
	}

	ret = vlpi_mig_caps_check(source, vlpi_mig_host_caps());
	if (ret == -EOPNOTSUPP)
		pr_warn_ratelimited("VM %d: the source guaranteed %#llx, this host cannot: %#llx\n",
				    kvm->userspace_pid,
				    source & KVM_VLPI_MIG_CAPS_GUARANTEES,
				    source & KVM_VLPI_MIG_CAPS_GUARANTEES &
				    ~vlpi_mig_host_caps());
	else if (ret)
		pr_warn_ratelimited("VM %d: source caps %#llx: unknown bits %#llx\n",
				    kvm->userspace_pid, source,
				    source & ~KVM_VLPI_MIG_CAPS_ALL);
	if (!ret)
		ret = vlpi_mig_vm_pin(vm);
	if (!ret)
		WRITE_ONCE(vm->source_caps, source | VLPI_MIG_SOURCE_CAPS_SET);
out:
	mutex_unlock(&kvm->arch.config_lock);
	return ret;
}

static int vlpi_mig_set_policy(struct vlpi_mig_vm *vm, u64 __user *uaddr)
{
	u64 policy;
	int ret;

	if (get_user(policy, uaddr))
		return -EFAULT;
	if (policy > KVM_VLPI_MIG_POLICY_LEGACY)
		return -EINVAL;

	ret = vlpi_mig_vm_pin(vm);
	if (ret)
		return ret;
	WRITE_ONCE(vm->policy, policy);
	return 0;
}

/* @vm may be NULL: a VM the module keeps no state for has counted nothing */
static int vlpi_mig_get_stats(struct kvm *kvm, struct vlpi_mig_vm *vm,
			      struct kvm_vlpi_mig_stats __user *ustats)
{
	struct kvm_vlpi_mig_stats st = {};
	const struct vlpi_mig_stats *c;
	u32 size, flags;

	if (get_user(size, &ustats->size) || get_user(flags, &ustats->flags))
		return -EFAULT;
	if (flags || size < 8 || size % 8)
		return -EINVAL;

	st.size = min_t(u32, size, sizeof(st));
	st.forwarded = vlpi_mig_vm_forwarded(kvm);
	if (vm) {
		c = &vm->stats;
		st.saved_pending = atomic64_read(&c->saved_pending);
		st.restored = atomic64_read(&c->restored);
		st.kept = atomic64_read(&c->kept);
		st.skipped = atomic64_read(&c->skipped);
		st.refused = atomic64_read(&c->refused);
		st.unforward_running = atomic64_read(&c->unforward_running);
		st.restore_busy = atomic64_read(&c->restore_busy);
		st.unreadable = atomic64_read(&c->unreadable);
		st.full_saves = atomic64_read(&c->full_saves);
	}

	return copy_to_user(ustats, &st, st.size) ? -EFAULT : 0;
}

static int vlpi_mig_set_attr(struct kvm_device *dev,
			     struct kvm_device_attr *attr)
{
	u64 __user *uaddr = u64_to_user_ptr(attr->addr);
	struct vlpi_mig_vm *vm;

	if (attr->attr != KVM_DEV_ARM_VLPI_MIG_CAPS &&
	    attr->attr != KVM_DEV_ARM_VLPI_MIG_POLICY)
		return -ENXIO;

	vm = vlpi_mig_vm_find_or_create(dev->kvm);
	if (IS_ERR(vm))
		return PTR_ERR(vm);

	if (attr->attr == KVM_DEV_ARM_VLPI_MIG_CAPS)
		return vlpi_mig_set_caps(vm, dev->kvm, uaddr);
	return vlpi_mig_set_policy(vm, uaddr);
}

static int vlpi_mig_get_attr(struct kvm_device *dev,
			     struct kvm_device_attr *attr)
{
	u64 __user *uaddr = u64_to_user_ptr(attr->addr);
	struct vlpi_mig_vm *vm = vlpi_mig_vm_find(dev->kvm);
	u64 source;

	switch (attr->attr) {
	case KVM_DEV_ARM_VLPI_MIG_CAPS:
		return put_user(vlpi_mig_host_caps(), uaddr);
	case KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS:
		source = vm ? READ_ONCE(vm->source_caps) : 0;
		if (!source)
			return -ENODATA;
		return put_user(source & ~VLPI_MIG_SOURCE_CAPS_SET, uaddr);
	case KVM_DEV_ARM_VLPI_MIG_POLICY:
		return put_user(vlpi_mig_vm_policy(vm), uaddr);
	case KVM_DEV_ARM_VLPI_MIG_STATS:
		return vlpi_mig_get_stats(dev->kvm, vm,
					  u64_to_user_ptr(attr->addr));
	}
	return -ENXIO;
}

static int vlpi_mig_has_attr(struct kvm_device_attr *attr)
{
	switch (attr->attr) {
	case KVM_DEV_ARM_VLPI_MIG_CAPS:
	case KVM_DEV_ARM_VLPI_MIG_POLICY:
	case KVM_DEV_ARM_VLPI_MIG_STATS:
	case KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS:
		return 0;
	}
	return -ENXIO;
}

int vlpi_mig_attr(struct kvm_device *dev, struct kvm_device_attr *attr,
		  unsigned int ioctl)
{
	switch (ioctl) {
	case KVM_SET_DEVICE_ATTR:
		return vlpi_mig_set_attr(dev, attr);
	case KVM_GET_DEVICE_ATTR:
		return vlpi_mig_get_attr(dev, attr);
	default:
		return vlpi_mig_has_attr(attr);
	}
}
