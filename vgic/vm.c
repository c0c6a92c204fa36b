// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: per-VM state.
 *
 * The state of a VM is created when its vGIC is (the vm_create hook), so
 * that what its forwarding does is kept even if its VMM never talks to
 * the module, or, for a VM that predates the module, the first time a
 * hook that may sleep needs it (a VMM's setting, a save). It is freed by
 * the vm_destroy hook, or at module exit for VMs that outlive the module. It is kept here, indexed
 * by the VM's struct kvm, rather than behind a pointer in the VM's
 * vgic_dist: module exit must free the state of every VM still running
 * without touching a struct kvm that a concurrent destruction may be
 * freeing, and a later load must never find a pointer to what an earlier
 * one freed. Nothing in struct kvm points back at it.
 *
 * The hooks that must not sleep (forward, unforward) only look the state
 * up, locklessly: a VM without state is served with the default policy,
 * and what it does is not counted.
 *
 * Settings a VMM made (a POLICY or the SOURCE_CAPS) must not be reset
 * behind its back by a module reload: a VM that holds any pins the module
 * (vlpi_mig_vm_pin()) until the VM is destroyed, so that rmmod is refused
 * while it lives. A VM that holds none loses nothing but its counters.
 *
 * Lifetime: hooks run under the vGIC's SRCU, which module exit drains
 * (vgic_mig_unregister()) before vlpi_mig_vm_free_all(); vm_destroy runs
 * once no file descriptor of the VM is open, so no other hook of that VM
 * can be running. A looked-up vlpi_mig_vm therefore stays valid for the
 * whole hook that looked it up, without a reference count; it is freed
 * after an RCU grace period all the same.
 *
 * Each VM has a debugfs directory, named as KVM names its own
 * (<pid>-<fd>), with a file listing its forwarded vLPIs. Removing it waits
 * for a reader of that file to finish, which takes no lock of the module's:
 * a VM's directory is removed before its state is freed, and before KVM
 * frees its vCPUs (vm_destroy comes first in kvm_vgic_destroy()).
 *
 * Locking: vlpi_mig_vms_lock serialises creation, destruction and the
 * debugfs walk of every VM's counters; lookups take no lock (RCU). Where
 * it nests: vgic/main.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include <kvm/arm_vgic.h>

#include "../uapi/vlpi_mig.h"
#include "vlpi_mig.h"

/* Fault point for the tests: the per-VM state's allocation fails */
static DECLARE_FAULT_ATTR(vlpi_mig_fail_vm_state);

/**
 * vlpi_mig_vm_fault_init() - expose the per-VM state's fault point
 * @parent: the module's debugfs directory
 */
void vlpi_mig_vm_fault_init(struct dentry *parent)
{
	fault_create_debugfs_attr("fail_vm_state", parent,
				  &vlpi_mig_fail_vm_state);
}

/* The state of each VM, indexed by its struct kvm's address */
static DEFINE_XARRAY(vlpi_mig_vms);
static DEFINE_MUTEX(vlpi_mig_vms_lock);
static u32 vlpi_mig_last_id;		/* under vlpi_mig_vms_lock */
static struct dentry *vlpi_mig_vms_debugfs;

/* The bits of a VM's seen maps: one per LPI the vITS can name */
#define VLPI_MIG_SEEN_BITS	(BIT(VLPI_MIG_VITS_IDBITS) - VLPI_MIG_LPI_BASE)

/**
 * vlpi_mig_vm_debugfs_init() - where the VMs' directories go
 * @parent: the module's debugfs directory, created before any VM's state
 */
void vlpi_mig_vm_debugfs_init(struct dentry *parent)
{
	vlpi_mig_vms_debugfs = parent;
}

/* Guest exits of every vCPU of @kvm: a vCPU that ran has exited since */
static u64 vlpi_mig_vm_exits(struct kvm *kvm)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;
	u64 n = 0;

	kvm_for_each_vcpu(i, vcpu, kvm)
		n += READ_ONCE(vcpu->stat.exits);
	return n;
}

/**
 * vlpi_mig_vm_quiet() - a save is about to read: hold what it reads
 * @vm: the VM's state, with the save's locks held and no vCPU running
 *
 * If a vCPU ran since the last save, the states held until then are no
 * longer true: dropped, and what this save reads is held from now on, as
 * long as no vCPU runs. If none ran, they are still true and kept: an
 * unforward racing with this save still finds them.
 */
void vlpi_mig_vm_quiet(struct vlpi_mig_vm *vm)
{
	u64 exits = vlpi_mig_vm_exits(vm->kvm);

	if (exits == READ_ONCE(vm->quiet_exits))
		return;
	/* A racing hold sees the old count, differs, and holds nothing */
	bitmap_zero(vm->held, VLPI_MIG_SEEN_BITS);
	WRITE_ONCE(vm->quiet_exits, exits);
}

/**
 * vlpi_mig_vm_hold() - hold a vLPI's state as a save or a restore had it
 * @vm: the VM's state, or NULL
 * @intid: the LPI, whose irq_lock is held
 * @pending: its state: read from its VPT by a save, or moved to the ITS
 *	by a restore
 * @saving: the caller is a save, which has held every vcpu->mutex since
 *	it called vlpi_mig_vm_quiet(): no vCPU can have run since
 *
 * Held only while no vCPU of the VM has run since the last save began
 * (vlpi_mig_vm_quiet()), or since the VM was created: otherwise a vCPU may
 * have taken the vLPI. A save knows without summing every vCPU's exits,
 * which it would do for each vLPI it reads. Does not sleep.
 */
void vlpi_mig_vm_hold(struct vlpi_mig_vm *vm, u32 intid, bool pending,
		      bool saving)
{
	u32 bit = intid - VLPI_MIG_LPI_BASE;

	if (!vm || intid < VLPI_MIG_LPI_BASE || bit >= VLPI_MIG_SEEN_BITS)
		return;
	vlpi_mig_vm_seen(vm, intid, pending);
	if (saving || vlpi_mig_vm_exits(vm->kvm) == READ_ONCE(vm->quiet_exits))
		set_bit(bit, vm->held);
}

/**
 * vlpi_mig_vm_take_held() - take a vLPI's held state, if still true
 * @vm: the VM's state, or NULL
 * @intid: the LPI, whose irq_lock is held
 * @pending: the state, on success
 *
 * The state is still the vLPI's if no vCPU of the VM has run since it was
 * held: none can have taken it. A device that raised the MSI since is not
 * seen: the VMM quiesces it first. The hold is spent either way. Does not
 * sleep.
 *
 * Return: true if @pending is the vLPI's state.
 */
bool vlpi_mig_vm_take_held(struct vlpi_mig_vm *vm, u32 intid, bool *pending)
{
	u32 bit = intid - VLPI_MIG_LPI_BASE;

	if (!vm || intid < VLPI_MIG_LPI_BASE || bit >= VLPI_MIG_SEEN_BITS)
		return false;
	if (!test_and_clear_bit(bit, vm->held))
		return false;
	if (vlpi_mig_vm_exits(vm->kvm) != READ_ONCE(vm->quiet_exits))
		return false;
	*pending = test_bit(bit, vm->seen_pending);
	return true;
}

/**
 * vlpi_mig_vm_seen() - note what a read of a vLPI's state found
 * @vm: the VM's state, or NULL
 * @intid: the LPI, whose irq_lock is held
 * @pending: whether the VPT holds it pending
 *
 * For the VM's vlpis file. Does not sleep.
 */
void vlpi_mig_vm_seen(struct vlpi_mig_vm *vm, u32 intid, bool pending)
{
	u32 bit = intid - VLPI_MIG_LPI_BASE;

	if (!vm || intid < VLPI_MIG_LPI_BASE || bit >= VLPI_MIG_SEEN_BITS)
		return;
	assign_bit(bit, vm->seen_pending, pending);
	set_bit(bit, vm->seen);
}

/* The VM's forwarded vLPIs, under RCU and each one's irq_lock */
static int vlpis_show(struct seq_file *m, void *v)
{
	struct vlpi_mig_vm *vm = m->private;
	struct kvm *kvm = vm->kvm;
	struct vgic_irq *irq;
	unsigned long idx, flags;
	int host_irq, vcpu;
	bool hw;
	u32 bit;

	seq_printf(m, "# VM %d, id %u, policy %llu: forwarded vLPIs\n",
		   vm->pid, vm->id, vlpi_mig_vm_policy(vm));
	seq_puts(m, "# intid host_irq vcpu pending (as last read; - never read)\n");

	rcu_read_lock();
	xa_for_each(&kvm->arch.vgic.lpi_xa, idx, irq) {
		if (!vgic_mig_lpi_live(irq))
			continue;
		raw_spin_lock_irqsave(&irq->irq_lock, flags);
		hw = irq->hw;
		host_irq = irq->host_irq;
		vcpu = irq->target_vcpu ? irq->target_vcpu->vcpu_id : -1;
		raw_spin_unlock_irqrestore(&irq->irq_lock, flags);
		if (!hw)
			continue;

		bit = irq->intid - VLPI_MIG_LPI_BASE;
		seq_printf(m, "%u %d %d ", irq->intid, host_irq, vcpu);
		if (bit < VLPI_MIG_SEEN_BITS && test_bit(bit, vm->seen))
			seq_printf(m, "%d\n", test_bit(bit, vm->seen_pending));
		else
			seq_puts(m, "-\n");
	}
	rcu_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vlpis);

/*
 * Named as KVM names the VM's own directory (<pid>-<fd>), if it has one;
 * a VM still being destroyed may hold that name: then <pid>-<fd>.<id>
 */
static void vlpi_mig_vm_debugfs_add(struct vlpi_mig_vm *vm)
{
	struct dentry *kvm_dir = vm->kvm->debugfs_dentry;
	struct dentry *old;
	char name[40];
	int len;

	if (!IS_ERR_OR_NULL(kvm_dir))
		len = snprintf(name, sizeof(name), "%pd", kvm_dir);
	else
		len = snprintf(name, sizeof(name), "%d-vm", vm->pid);
	old = debugfs_lookup(name, vlpi_mig_vms_debugfs);
	if (old || IS_ERR_OR_NULL(kvm_dir))
		snprintf(name + len, sizeof(name) - len, ".%u", vm->id);
	dput(old);
	vm->dir = debugfs_create_dir(name, vlpi_mig_vms_debugfs);
	debugfs_create_file("vlpis", 0444, vm->dir, vm, &vlpis_fops);
}

/* Its bitmaps (either may be NULL), then the state itself */
static void vlpi_mig_vm_release(struct vlpi_mig_vm *vm)
{
	bitmap_free(vm->seen);
	bitmap_free(vm->seen_pending);
	bitmap_free(vm->held);
	kfree(vm);
}

static void vlpi_mig_vm_free_rcu(struct rcu_head *rcu)
{
	vlpi_mig_vm_release(container_of(rcu, struct vlpi_mig_vm, rcu));
}

/* After a grace period, as lookups are lockless; module exit waits for it */
static void vlpi_mig_vm_free(struct vlpi_mig_vm *vm)
{
	call_rcu(&vm->rcu, vlpi_mig_vm_free_rcu);
}

/**
 * vlpi_mig_vm_find() - find the state of a VM, in any context
 * @kvm: the VM
 *
 * Return: the state, or NULL if the module keeps none for @kvm.
 */
struct vlpi_mig_vm *vlpi_mig_vm_find(struct kvm *kvm)
{
	return xa_load(&vlpi_mig_vms, (unsigned long)kvm);
}

/*
 * The policy of a VM whose VMM never writes KVM_DEV_ARM_VLPI_MIG_POLICY,
 * as QEMU and cloud-hypervisor do not: an administrator's choice for the
 * whole host, taken by a VM when its state is created.
 */
static unsigned int default_policy = KVM_VLPI_MIG_POLICY_STRICT;

static int default_policy_set(const char *val, const struct kernel_param *kp)
{
	unsigned int policy;
	int ret;

	ret = kstrtouint(val, 0, &policy);
	if (ret)
		return ret;
	if (policy > KVM_VLPI_MIG_POLICY_LEGACY)
		return -EINVAL;
	WRITE_ONCE(default_policy, policy);
	return 0;
}

static const struct kernel_param_ops default_policy_ops = {
	.set	= default_policy_set,
	.get	= param_get_uint,
};

module_param_cb(default_policy, &default_policy_ops, &default_policy, 0644);
MODULE_PARM_DESC(default_policy,
		 "KVM_VLPI_MIG_POLICY_* of a VM whose VMM sets none, taken when the VM's vGIC is created: 0 strict (default), 1 conservative, 2 legacy");

/**
 * vlpi_mig_vm_policy() - the policy a VM's vLPIs are handled with
 * @vm: the VM's state, or NULL
 *
 * Return: the VMM's KVM_VLPI_MIG_POLICY_*, or the default one.
 */
u64 vlpi_mig_vm_policy(const struct vlpi_mig_vm *vm)
{
	return vm ? READ_ONCE(vm->policy) : READ_ONCE(default_policy);
}

/**
 * vlpi_mig_vm_find_or_create() - the state of a VM, created if needed
 * @kvm: the VM
 *
 * May sleep.
 *
 * Return: the state, or ERR_PTR(-ENOMEM).
 */
struct vlpi_mig_vm *vlpi_mig_vm_find_or_create(struct kvm *kvm)
{
	struct vlpi_mig_vm *vm;
	int ret;

	might_sleep();

	vm = vlpi_mig_vm_find(kvm);
	if (vm)
		return vm;

	mutex_lock(&vlpi_mig_vms_lock);
	vm = vlpi_mig_vm_find(kvm);
	if (vm)
		goto out;

	if (!should_fail(&vlpi_mig_fail_vm_state, sizeof(*vm)))
		vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (vm) {
		vm->seen = bitmap_zalloc(VLPI_MIG_SEEN_BITS, GFP_KERNEL_ACCOUNT);
		vm->seen_pending = bitmap_zalloc(VLPI_MIG_SEEN_BITS,
						 GFP_KERNEL_ACCOUNT);
		vm->held = bitmap_zalloc(VLPI_MIG_SEEN_BITS, GFP_KERNEL_ACCOUNT);
	}
	if (!vm || !vm->seen || !vm->seen_pending || !vm->held) {
		if (vm)
			vlpi_mig_vm_release(vm);
		vm = ERR_PTR(-ENOMEM);
		goto out;
	}
	vm->kvm = kvm;
	vm->quiet_exits = vlpi_mig_vm_exits(kvm);
	vm->pid = kvm->userspace_pid;
	vm->id = ++vlpi_mig_last_id;
	vm->policy = READ_ONCE(default_policy);
	ret = xa_err(xa_store(&vlpi_mig_vms, (unsigned long)kvm, vm,
			      GFP_KERNEL_ACCOUNT));
	if (ret) {
		vlpi_mig_vm_release(vm);
		vm = ERR_PTR(ret);
		goto out;
	}
	vlpi_mig_vm_debugfs_add(vm);
out:
	mutex_unlock(&vlpi_mig_vms_lock);
	return vm;
}

/**
 * vlpi_mig_vm_pin() - keep the module loaded while a VM holds settings
 * @vm: the state of a VM whose VMM just made a setting
 *
 * Taken once per VM, dropped when the VM is destroyed. May sleep.
 *
 * Return: 0, or -EAGAIN if the module is being unloaded.
 */
int vlpi_mig_vm_pin(struct vlpi_mig_vm *vm)
{
	int ret = 0;

	if (READ_ONCE(vm->pinned))
		return 0;

	mutex_lock(&vlpi_mig_vms_lock);
	if (!vm->pinned) {
		if (try_module_get(THIS_MODULE))
			WRITE_ONCE(vm->pinned, true);
		else
			ret = -EAGAIN;
	}
	mutex_unlock(&vlpi_mig_vms_lock);

	if (ret)
		pr_info_ratelimited("VM %d: setting refused: the module is being unloaded\n",
				    vm->pid);
	return ret;
}

/**
 * vlpi_mig_vm_create() - the vm_create hook: set up the state of a VM
 * @kvm: the VM, whose vGIC was just created
 *
 * A failure here is not fatal: a later hook that may sleep tries again.
 */
void vlpi_mig_vm_create(struct kvm *kvm)
{
	lockdep_assert_held(&kvm->arch.config_lock);

	vlpi_mig_vm_find_or_create(kvm);
}

/**
 * vlpi_mig_vm_destroy() - drop the state of a VM being destroyed
 * @kvm: the VM, no file descriptor of which is open any more
 *
 * kvm_vgic_destroy() calls it before taking any lock: none is held.
 */
void vlpi_mig_vm_destroy(struct kvm *kvm)
{
	struct vlpi_mig_vm *vm;
	bool pinned;

	mutex_lock(&vlpi_mig_vms_lock);
	vm = xa_erase(&vlpi_mig_vms, (unsigned long)kvm);
	mutex_unlock(&vlpi_mig_vms_lock);
	if (!vm)
		return;

	/* Waits for a reader of its vlpis file, which reads the VM's LPIs */
	debugfs_remove(vm->dir);
	pinned = vm->pinned;
	vlpi_mig_vm_free(vm);
	/*
	 * Module exit cannot begin before this, and then waits for this hook
	 * to return (vgic_mig_unregister()) and for the RCU callback.
	 */
	if (pinned)
		module_put(THIS_MODULE);
}

/**
 * vlpi_mig_vm_free_all() - drop the state of every VM, at module exit
 *
 * Called once no hook can run any more.
 */
void vlpi_mig_vm_free_all(void)
{
	struct vlpi_mig_vm *vm;
	unsigned long idx;

	mutex_lock(&vlpi_mig_vms_lock);
	xa_for_each(&vlpi_mig_vms, idx, vm) {
		xa_erase(&vlpi_mig_vms, idx);
		debugfs_remove(vm->dir);
		vlpi_mig_vm_free(vm);
	}
	mutex_unlock(&vlpi_mig_vms_lock);
	rcu_barrier();
}

/**
 * vlpi_mig_vm_forwarded() - how many of a VM's LPIs are forwarded now
 * @kvm: the VM, which must stay alive across the call
 *
 * Derived from the vGIC's own state rather than counted, so that it
 * follows every way a forwarding ends: the VMM tearing it down, a route
 * change, the guest discarding the event or unmapping the device.
 *
 * Return: the number of LPIs with a vLPI mapping.
 */
u64 vlpi_mig_vm_forwarded(struct kvm *kvm)
{
	unsigned long idx, flags;
	struct vgic_irq *irq;
	u64 n = 0;

	rcu_read_lock();
	xa_for_each(&kvm->arch.vgic.lpi_xa, idx, irq) {
		raw_spin_lock_irqsave(&irq->irq_lock, flags);
		n += irq->hw;
		raw_spin_unlock_irqrestore(&irq->irq_lock, flags);
	}
	rcu_read_unlock();

	return n;
}

/**
 * vlpi_mig_vm_count() - number of VMs the module keeps state for
 *
 * Return: the count, for debugfs.
 */
unsigned int vlpi_mig_vm_count(void)
{
	struct vlpi_mig_vm *vm;
	unsigned long idx;
	unsigned int n = 0;

	mutex_lock(&vlpi_mig_vms_lock);
	xa_for_each(&vlpi_mig_vms, idx, vm)
		n++;
	mutex_unlock(&vlpi_mig_vms_lock);

	return n;
}

/**
 * vlpi_mig_vm_show() - one line of counters per VM, for debugfs
 * @m: the seq_file
 */
void vlpi_mig_vm_show(struct seq_file *m)
{
	const struct vlpi_mig_stats *st;
	struct vlpi_mig_vm *vm;
	unsigned long idx;

	/* Held, no VM of the list can be destroyed: its LPIs can be read */
	mutex_lock(&vlpi_mig_vms_lock);
	xa_for_each(&vlpi_mig_vms, idx, vm) {
		st = &vm->stats;
		seq_printf(m, "pid %d policy %llu source_caps %#llx forwarded %llu saved_pending %lld skipped %lld refused %lld restored %lld kept %lld unforward_running %lld restore_busy %lld unreadable %lld full_saves %lld\n",
			   vm->pid, READ_ONCE(vm->policy),
			   READ_ONCE(vm->source_caps),
			   vlpi_mig_vm_forwarded(vm->kvm),
			   atomic64_read(&st->saved_pending),
			   atomic64_read(&st->skipped),
			   atomic64_read(&st->refused),
			   atomic64_read(&st->restored),
			   atomic64_read(&st->kept),
			   atomic64_read(&st->unforward_running),
			   atomic64_read(&st->restore_busy),
			   atomic64_read(&st->unreadable),
			   atomic64_read(&st->full_saves));
	}
	mutex_unlock(&vlpi_mig_vms_lock);
}
