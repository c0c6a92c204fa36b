// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: the KVM_DEV_ARM_VGIC_GRP_VLPI_MIG attribute group of the
 * vGICv3 device (see uapi/vlpi_mig.h and Documentation/vlpi-mig/uapi.rst).
 *
 * Called from kvm_device_ioctl() with no vGIC lock held. A read, an
 * unknown attribute and HAS_DEVICE_ATTR never allocate: a VM the module
 * keeps no state for (one older than the module) reads as a new one
 * would. A VMM's setting (SOURCE_CAPS, POLICY) creates the state, as a
 * save does. kvm->arch.config_lock orders the source caps against the
 * VM's first KVM_RUN and their reads.
 */

#include <linux/kvm_host.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>

#include "../uapi/vlpi_mig.h"
#include "vlpi_mig.h"

/**
 * vlpi_mig_caps() - what a migration of a VM carries from a host
 * @info: how the host vGIC uses GICv4
 * @mode: how VPTs may be read
 * @policy: the VM's KVM_VLPI_MIG_POLICY_*
 *
 * Under the legacy policy the module steps aside, and the caps are
 * upstream's: a GICv4.1's VPTs are read by the vGIC itself.
 *
 * Return: KVM_VLPI_MIG_CAP_* bits.
 */
u64 vlpi_mig_caps(const struct vgic_mig_host *info,
		  enum vlpi_mig_vpt_mode mode, u64 policy)
{
	u64 caps = 0;

	if (info->has_gicv4) {
		caps |= KVM_VLPI_MIG_CAP_DIRECT_INJECTION;
		if (policy != KVM_VLPI_MIG_POLICY_LEGACY)
			caps |= KVM_VLPI_MIG_CAP_RESTORE;
	}
	if (mode == VLPI_MIG_VPT_GICV4_1)
		caps |= KVM_VLPI_MIG_CAP_GICV4_1;

	switch (vlpi_mig_save_action(mode, policy)) {
	case VLPI_MIG_UPSTREAM:
		if (mode != VLPI_MIG_VPT_UNREADABLE)
			caps |= KVM_VLPI_MIG_CAP_SAVE;
		break;
	case VLPI_MIG_READ:
		caps |= KVM_VLPI_MIG_CAP_SAVE;
		break;
	case VLPI_MIG_ALL_PENDING:
		caps |= KVM_VLPI_MIG_CAP_SAVE | KVM_VLPI_MIG_CAP_SPURIOUS;
		break;
	case VLPI_MIG_REFUSE:
		break;
	}

	return caps;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_caps);

/**
 * vlpi_mig_caps_check() - whether this host can restore what a source saved
 * @source: the KVM_VLPI_MIG_CAP_* bits the source read before its save
 *
 * The tables a save writes are upstream's, whatever the source's GIC,
 * policy or module: every destination restores them and delivers what
 * they hold, so no known bit is refused. Only a mandatory bit this module
 * does not know says the source saved something it could not restore.
 *
 * Return: 0, or -EOPNOTSUPP.
 */
int vlpi_mig_caps_check(u64 source)
{
	return source & KVM_VLPI_MIG_CAPS_MANDATORY ? -EOPNOTSUPP : 0;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_caps_check);

/* What the source's caps mean for the interrupts the VM will take */
static void vlpi_mig_log_source_caps(struct kvm *kvm, u64 source)
{
	if (!(source & KVM_VLPI_MIG_CAP_DIRECT_INJECTION))
		return;
	if (!(source & KVM_VLPI_MIG_CAP_SAVE))
		pr_info_ratelimited("VM %d: source caps %#llx: any forwarded vLPI pending at the source's stop was not saved\n",
				    kvm->userspace_pid, source);
	else if (source & KVM_VLPI_MIG_CAP_SPURIOUS)
		pr_info_ratelimited("VM %d: source caps %#llx: every forwarded vLPI saved pending, the guest may take a spurious interrupt\n",
				    kvm->userspace_pid, source);
}

/*
 * The source's caps, checked and remembered for the VM's life
 * (KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS reads them back); the VM then pins
 * the module, so that a reload cannot forget them.
 */
static int vlpi_mig_set_source_caps(struct vlpi_mig_vm *vm, struct kvm *kvm,
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

	ret = vlpi_mig_caps_check(source);
	if (ret) {
		pr_warn_ratelimited("VM %d: source caps %#llx refused: the source saved state this host does not know how to restore (mandatory bits %#llx)\n",
				    kvm->userspace_pid, source,
				    source & KVM_VLPI_MIG_CAPS_MANDATORY);
		goto out;
	}
	ret = vlpi_mig_vm_pin(vm);
	if (ret)
		goto out;
	WRITE_ONCE(vm->source_caps, source);
	vm->source_caps_set = true;
	vlpi_mig_log_source_caps(kvm, source);
out:
	mutex_unlock(&kvm->arch.config_lock);
	return ret;
}

static int vlpi_mig_get_source_caps(struct vlpi_mig_vm *vm, struct kvm *kvm,
				    u64 __user *uaddr)
{
	bool set = false;
	u64 source = 0;

	if (vm) {
		mutex_lock(&kvm->arch.config_lock);
		set = vm->source_caps_set;
		source = vm->source_caps;
		mutex_unlock(&kvm->arch.config_lock);
	}
	if (!set)
		return -ENODATA;
	return put_user(source, uaddr);
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
	st.loaded_ns = vlpi_mig_host.loaded_ns;

	return copy_to_user(ustats, &st, st.size) ? -EFAULT : 0;
}

static int vlpi_mig_set_attr(struct kvm_device *dev,
			     struct kvm_device_attr *attr)
{
	u64 __user *uaddr = u64_to_user_ptr(attr->addr);
	struct vlpi_mig_vm *vm;

	if (attr->attr != KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS &&
	    attr->attr != KVM_DEV_ARM_VLPI_MIG_POLICY)
		return -ENXIO;

	vm = vlpi_mig_vm_find_or_create(dev->kvm);
	if (IS_ERR(vm))
		return PTR_ERR(vm);

	if (attr->attr == KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS)
		return vlpi_mig_set_source_caps(vm, dev->kvm, uaddr);
	return vlpi_mig_set_policy(vm, uaddr);
}

static int vlpi_mig_get_attr(struct kvm_device *dev,
			     struct kvm_device_attr *attr)
{
	u64 __user *uaddr = u64_to_user_ptr(attr->addr);
	struct vlpi_mig_vm *vm = vlpi_mig_vm_find(dev->kvm);

	switch (attr->attr) {
	case KVM_DEV_ARM_VLPI_MIG_CAPS:
		return put_user(vlpi_mig_vm_caps(vm), uaddr);
	case KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS:
		return vlpi_mig_get_source_caps(vm, dev->kvm, uaddr);
	case KVM_DEV_ARM_VLPI_MIG_POLICY:
		return put_user(vlpi_mig_vm_policy(vm), uaddr);
	case KVM_DEV_ARM_VLPI_MIG_STATS:
		return vlpi_mig_get_stats(dev->kvm, vm,
					  u64_to_user_ptr(attr->addr));
	case KVM_DEV_ARM_VLPI_MIG_SAVE_ACTION:
		return put_user((u64)vlpi_mig_save_action(vlpi_mig_vpt(),
							  vlpi_mig_vm_policy(vm)),
				uaddr);
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
	case KVM_DEV_ARM_VLPI_MIG_SAVE_ACTION:
		return 0;
	}
	return -ENXIO;
}

int vlpi_mig_attr(struct kvm_device *dev, struct kvm_device_attr *attr,
		  unsigned int ioctl)
{
	/* None is defined: one set now may mean something to a later module */
	if (attr->flags) {
		pr_info_ratelimited("VM %d: attribute %llu with flags %#x refused: none is defined\n",
				    dev->kvm->userspace_pid, attr->attr,
				    attr->flags);
		return -EINVAL;
	}

	switch (ioctl) {
	case KVM_SET_DEVICE_ATTR:
		return vlpi_mig_set_attr(dev, attr);
	case KVM_GET_DEVICE_ATTR:
		return vlpi_mig_get_attr(dev, attr);
	default:
		return vlpi_mig_has_attr(attr);
	}
}
