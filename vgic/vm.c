// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: per-VM state.
 *
 * The state of a VM is created the first time one of the module's hooks
 * needs it and freed by the vm_destroy hook, or at module exit for VMs
 * that outlive the module. Nothing in struct kvm points back at it, so a
 * VM can never be left holding freed module state.
 *
 * Lifetime: hooks run under the vGIC's SRCU, which module exit drains
 * (vgic_mig_unregister()) before vlpi_mig_vm_free_all(); vm_destroy runs
 * once no file descriptor of the VM is open, so no other hook of that VM
 * can be running. A looked-up vlpi_mig_vm therefore stays valid for the
 * whole hook that looked it up, without a reference count.
 *
 * Locking:
 * vlpi_mig_vms_lock (mutex) protects the list of VMs; it is taken inside
 * any vGIC lock held by the caller of a hook and nests no other lock.
 */

#include <linux/kvm_host.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "vlpi_mig.h"

static LIST_HEAD(vlpi_mig_vms);
static DEFINE_MUTEX(vlpi_mig_vms_lock);

static struct vlpi_mig_vm *vlpi_mig_vm_find(struct kvm *kvm)
{
	struct vlpi_mig_vm *vm;

	lockdep_assert_held(&vlpi_mig_vms_lock);

	list_for_each_entry(vm, &vlpi_mig_vms, node)
		if (vm->kvm == kvm)
			return vm;
	return NULL;
}

/**
 * vlpi_mig_vm_get() - find the state of a VM, creating it if needed
 * @kvm: the VM
 *
 * Return: the state, or ERR_PTR(-ENOMEM).
 */
struct vlpi_mig_vm *vlpi_mig_vm_get(struct kvm *kvm)
{
	struct vlpi_mig_vm *vm;

	mutex_lock(&vlpi_mig_vms_lock);
	vm = vlpi_mig_vm_find(kvm);
	if (!vm) {
		vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
		if (vm) {
			vm->kvm = kvm;
			vm->pid = kvm->userspace_pid;
			list_add(&vm->node, &vlpi_mig_vms);
		}
	}
	mutex_unlock(&vlpi_mig_vms_lock);

	return vm ?: ERR_PTR(-ENOMEM);
}

/**
 * vlpi_mig_vm_destroy() - drop the state of a VM being destroyed
 * @kvm: the VM
 */
void vlpi_mig_vm_destroy(struct kvm *kvm)
{
	struct vlpi_mig_vm *vm;

	mutex_lock(&vlpi_mig_vms_lock);
	vm = vlpi_mig_vm_find(kvm);
	if (vm)
		list_del(&vm->node);
	mutex_unlock(&vlpi_mig_vms_lock);

	kfree(vm);
}

/**
 * vlpi_mig_vm_free_all() - drop the state of every VM, at module exit
 *
 * Called once no hook can run any more.
 */
void vlpi_mig_vm_free_all(void)
{
	struct vlpi_mig_vm *vm, *tmp;

	mutex_lock(&vlpi_mig_vms_lock);
	list_for_each_entry_safe(vm, tmp, &vlpi_mig_vms, node) {
		list_del(&vm->node);
		kfree(vm);
	}
	mutex_unlock(&vlpi_mig_vms_lock);
}

/**
 * vlpi_mig_vm_count() - number of VMs the module keeps state for
 *
 * Return: the count, for debugfs.
 */
unsigned int vlpi_mig_vm_count(void)
{
	struct vlpi_mig_vm *vm;
	unsigned int n = 0;

	mutex_lock(&vlpi_mig_vms_lock);
	list_for_each_entry(vm, &vlpi_mig_vms, node)
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
	struct vlpi_mig_vm *vm;

	mutex_lock(&vlpi_mig_vms_lock);
	list_for_each_entry(vm, &vlpi_mig_vms, node)
		seq_printf(m, "pid %d saved_pending %lld skipped %lld refused %lld restored %lld kept %lld unforward_running %lld\n",
			   vm->pid, atomic64_read(&vm->stats.saved_pending),
			   atomic64_read(&vm->stats.skipped),
			   atomic64_read(&vm->stats.refused),
			   atomic64_read(&vm->stats.restored),
			   atomic64_read(&vm->stats.kept),
			   atomic64_read(&vm->stats.unforward_running));
	mutex_unlock(&vlpi_mig_vms_lock);
}
