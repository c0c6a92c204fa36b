// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: saving the pending state of forwarded vLPIs into the guest's
 * LPI pending tables, at KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES.
 *
 * The module saves every LPI in one pass (save_all.c); where that pass
 * hands the save back, the vGIC walks every LPI and saves the software
 * ones itself, and hands each forwarded one to vlpi_mig_save_vlpi().
 * Where the save reads vLPI state, vlpi_mig_save_begin() first opens the
 * VPT window (on GICv4.1 every vPE of the VM unmapped once, and every
 * vITS's its_lock held, so that no forwarding is set up meanwhile), and
 * only if a vLPI is forwarded; a vLPI forwarded after that opens it when
 * the save meets it. The one-pass save closes it as soon as it has read
 * them, before it touches guest RAM, and vlpi_mig_save_end() otherwise.
 * If the window cannot be opened, the module leaves the whole save to
 * the vGIC, which saves as upstream does: on GICv4.1 it unmaps the vPEs
 * and reads the VPTs itself, so a failure never saves less than upstream
 * would.
 *
 * QEMU calls KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES on every VM stop, not
 * only for migration, and aborts on any error but EFAULT: that save never
 * fails because of a vLPI. One whose state cannot be read (a GICv4.0 not
 * declared coherent, or a read error) is saved from its software latch,
 * as the vGIC's walk saves it on GICv4.0, counted (unreadable) and logged
 * once per save. The refusal the strict policy asks for is
 * KVM_DEV_ARM_ITS_SAVE_TABLES's, whose error QEMU only logs, and CAPS
 * lacks KVM_VLPI_MIG_CAP_SAVE on such a host, for a VMM that asks before
 * a migration starts. Where an ITS save kept the forwarded ITEs it met,
 * the pending-table save after it saves their state as that ITS save's
 * policy said, even if the VMM wrote another POLICY in between: the
 * tables of one migration agree. A refused ITS save promised nothing.
 *
 * Called with kvm->lock, every vcpu->mutex and kvm->arch.config_lock held
 * (ITS_SAVE_TABLES holds its vITS's its_lock too); no vCPU runs.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/kvm_host.h>
#include <asm/kvm_mmu.h>
#include <kunit/visibility.h>

#include <kvm/arm_vgic.h>

#include "../uapi/vlpi_mig.h"
#include "vlpi_mig.h"
#include "trace.h"

/**
 * vlpi_mig_state_readable() - whether vLPI state can be read in a mode
 * @mode: the VPT access mode
 *
 * Return: true on GICv4.1 and on a GICv4.0 declared coherent.
 */
bool vlpi_mig_state_readable(enum vlpi_mig_vpt_mode mode)
{
	return mode == VLPI_MIG_VPT_DECLARED || mode == VLPI_MIG_VPT_GICV4_1;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_state_readable);

/**
 * vlpi_mig_save_action() - what a save does with forwarded vLPIs
 * @mode: the host's VPT access mode
 * @policy: the VM's KVM_VLPI_MIG_POLICY_*
 *
 * Where the state can be read, it is, unless the VMM asked for upstream's
 * behaviour; where it cannot, the policy says whether to save every vLPI
 * as pending or to refuse.
 *
 * Return: the action.
 */
enum vlpi_mig_action vlpi_mig_save_action(enum vlpi_mig_vpt_mode mode,
					  u64 policy)
{
	if (mode == VLPI_MIG_VPT_NONE || policy == KVM_VLPI_MIG_POLICY_LEGACY)
		return VLPI_MIG_UPSTREAM;
	if (vlpi_mig_state_readable(mode))
		return VLPI_MIG_READ;
	if (policy == KVM_VLPI_MIG_POLICY_CONSERVATIVE)
		return VLPI_MIG_ALL_PENDING;
	return VLPI_MIG_REFUSE;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_save_action);

/**
 * vlpi_mig_pend_byte() - a pending-table byte with one LPI's bit updated
 * @val: the byte in guest RAM
 * @bit: the LPI's bit in it
 * @pending: the LPI's state
 *
 * Return: the byte to write back; the other LPIs' bits are left alone.
 */
u8 vlpi_mig_pend_byte(u8 val, u8 bit, bool pending)
{
	return pending ? val | BIT(bit) : val & ~BIT(bit);
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_pend_byte);

/**
 * vlpi_mig_save_needs_window() - whether a save opens the VPT window
 * @action: what the save does with forwarded vLPIs
 * @forwarded: whether the VM has a forwarded vLPI
 *
 * Return: true if the save reads vLPI state and has a vLPI to read.
 */
bool vlpi_mig_save_needs_window(enum vlpi_mig_action action, bool forwarded)
{
	return action == VLPI_MIG_READ && forwarded;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_save_needs_window);

/**
 * vlpi_mig_save_take() - whether the module takes a pending-table save
 * @action: what the save does with forwarded vLPIs
 * @window: the result of opening the VPT window, 0 if none was needed
 *
 * A window that could not be opened leaves the whole save to the vGIC,
 * which saves as upstream does: on GICv4.1 it reads the VPTs itself.
 *
 * Return: 1 to take the save, 0 to leave it to the vGIC.
 */
int vlpi_mig_save_take(enum vlpi_mig_action action, int window)
{
	return action != VLPI_MIG_UPSTREAM && !window;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_save_take);

/*
 * Test-only: how long a pending-table save waits once its window is
 * closed, so that a test can see what still waits on the save (debugfs
 * save_hold_ms; 0, the default, waits not at all).
 */
static u32 vlpi_mig_save_hold_ms;

/**
 * vlpi_mig_save_debugfs_init() - expose the save's test-only hold point
 * @parent: the module's debugfs directory
 */
void vlpi_mig_save_debugfs_init(struct dentry *parent)
{
	debugfs_create_u32("save_hold_ms", 0600, parent,
			   &vlpi_mig_save_hold_ms);
}

/**
 * vlpi_mig_assert_save_locks() - what the vGIC holds around both saves
 * @kvm: the VM
 * @vcpu: the vCPU an LPI targets, whose mutex alone is checked, or NULL
 *	to check every vCPU's
 *
 * The hooks rely on kvm->lock, config_lock and every vcpu->mutex.
 * Checking a vCPU's mutex scans every lock the task holds, every
 * vcpu->mutex among them: a hook called for each LPI checks its target's
 * only, the hooks called once a save check them all.
 */
void vlpi_mig_assert_save_locks(struct kvm *kvm, struct kvm_vcpu *vcpu)
{
	unsigned long i;

	lockdep_assert_held(&kvm->lock);
	lockdep_assert_held(&kvm->arch.config_lock);
	if (!IS_ENABLED(CONFIG_LOCKDEP))
		return;
	if (vcpu) {
		lockdep_assert_held(&vcpu->mutex);
		return;
	}
	kvm_for_each_vcpu(i, vcpu, kvm)
		lockdep_assert_held(&vcpu->mutex);
}

/* Whether any LPI of the VM is forwarded now */
static bool vlpi_mig_any_forwarded(struct kvm *kvm)
{
	struct vgic_irq *irq;
	unsigned long idx;
	bool hw = false;

	rcu_read_lock();
	xa_for_each(&kvm->arch.vgic.lpi_xa, idx, irq) {
		hw = READ_ONCE(irq->hw);
		if (hw)
			break;
	}
	rcu_read_unlock();
	return hw;
}

/* Open the save's VPT window; on failure, reads refuse and say why */
static int vlpi_mig_save_window_open(struct kvm *kvm, struct vlpi_mig_vm *vm)
{
	int ret;

	ret = vlpi_mig_vpt_open(kvm, vlpi_mig_host.vpt_mode,
				&vm->save_unmapped);
	if (ret) {
		vm->save_window_failed = true;
		return ret;
	}
	vm->save_window = true;
	if (vm->save_unmapped)
		atomic64_add(kvm->arch.vgic.its_vm.nr_vpes,
			     &vm->stats.vpe_unmaps);
	return 0;
}

int vlpi_mig_save_begin(struct kvm *kvm)
{
	struct vlpi_mig_vm *vm;
	int window = 0;

	vlpi_mig_assert_save_locks(kvm, NULL);
	if (!kvm->arch.vgic.its_vm.nr_vpes)
		return 0;

	vm = vlpi_mig_vm_get(kvm);
	if (IS_ERR(vm)) {
		pr_err("VM %d: no memory for the module's state: the vGIC saves its pending tables, as upstream\n",
		       kvm->userspace_pid);
		return 0;
	}

	/* The ITS save before this one kept forwarded ITEs: as it said */
	if (vm->its_saved)
		vm->save_action = vm->its_action;
	else
		vm->save_action = vlpi_mig_save_action(vlpi_mig_host.vpt_mode,
						       vlpi_mig_vm_policy(vm));
	vm->its_saved = false;
	vm->save_unreadable = 0;
	vm->save_window = false;
	vm->save_window_failed = false;
	vm->save_unmapped = false;

	/* What this save reads, unforward may keep until a vCPU runs */
	if (vm->save_action == VLPI_MIG_READ)
		vlpi_mig_vm_quiet(vm);
	if (vlpi_mig_save_needs_window(vm->save_action,
				       vlpi_mig_any_forwarded(kvm))) {
		window = vlpi_mig_save_window_open(kvm, vm);
		if (window)
			pr_err_ratelimited("VM %d: cannot make the VPTs readable (%d): the vGIC saves its pending tables, as upstream\n",
					   kvm->userspace_pid, window);
	}
	return vlpi_mig_save_take(vm->save_action, window);
}

/**
 * vlpi_mig_save_window_late() - open the window for a vLPI forwarded late
 * @kvm: the VM, with the save's locks held
 * @vm: its state
 *
 * The window is opened only if a vLPI is forwarded when the save begins,
 * and forwarding can be set up until it is: a vLPI found forwarded with
 * no window open was forwarded since, and its latch no longer holds its
 * state. Open the window now, which waits for that forwarding to finish
 * and makes its state readable. From the vGIC's walk, which may sleep.
 *
 * Return: true if the window is open.
 */
bool vlpi_mig_save_window_late(struct kvm *kvm, struct vlpi_mig_vm *vm)
{
	int ret;

	if (vm->save_window)
		return true;
	if (vm->save_action != VLPI_MIG_READ || vm->save_window_failed)
		return false;
	ret = vlpi_mig_save_window_open(kvm, vm);
	if (ret)
		pr_err_ratelimited("VM %d: a vLPI was forwarded during the save, and the VPTs cannot be made readable (%d)\n",
				   kvm->userspace_pid, ret);
	return !ret;
}

/**
 * vlpi_mig_save_window_close() - close the save's VPT window, if open
 * @kvm: the VM, with the save's locks held
 * @vm: its state
 *
 * As soon as every vLPI is read: on GICv4.1 that maps the vPEs back and
 * lets forwarding be set up again.
 */
void vlpi_mig_save_window_close(struct kvm *kvm, struct vlpi_mig_vm *vm)
{
	if (!vm->save_window)
		return;
	vlpi_mig_vpt_close(kvm, vm->save_unmapped);
	if (vm->save_unmapped)
		atomic64_add(kvm->arch.vgic.its_vm.nr_vpes,
			     &vm->stats.vpe_maps);
	vm->save_window = false;
}

void vlpi_mig_save_end(struct kvm *kvm)
{
	/* save_begin() created it, and it lives as long as the VM */
	struct vlpi_mig_vm *vm = vlpi_mig_vm_find(kvm);
	u32 hold = READ_ONCE(vlpi_mig_save_hold_ms);

	vlpi_mig_assert_save_locks(kvm, NULL);
	if (WARN_ON_ONCE(!vm))
		return;
	vlpi_mig_save_window_close(kvm, vm);
	if (hold)
		msleep(hold);
	if (vm->save_unreadable)
		pr_warn_ratelimited("VM %d: %u forwarded vLPI(s) unreadable (LPI %u first), saved from their latch: a pending one is lost (VPT access: %s)\n",
				    kvm->userspace_pid, vm->save_unreadable,
				    vm->save_first_unreadable,
				    vlpi_mig_vpt_mode_name(vlpi_mig_host.vpt_mode));
}

/* As the vGIC does: a table write with no vCPU running, for the dirty log */
static int vlpi_mig_write_guest(struct kvm *kvm, gpa_t gpa, u8 val)
{
	struct vgic_dist *dist = &kvm->arch.vgic;
	int ret;

	dist->table_write_in_progress = true;
	ret = kvm_write_guest_lock(kvm, gpa, &val, 1);
	dist->table_write_in_progress = false;

	return ret;
}

/**
 * vlpi_mig_vlpi_pending() - the state a save gives a forwarded vLPI
 * @kvm: the VM, with the save's locks held
 * @vm: its state
 * @irq: the LPI, forwarded when the save looked at it
 *
 * Read under its irq_lock, which a route change or VFIO unforwarding it
 * takes too: if it was unforwarded since the save looked, its state is in
 * the software latch, as the vGIC would save it. A vLPI whose state cannot
 * be read (no window open, or the reader refuses) is saved from its latch,
 * counted and logged: the save itself never fails for it, as QEMU aborts
 * on any error but EFAULT. Does not sleep.
 *
 * Return: whether to save it pending.
 */
bool vlpi_mig_vlpi_pending(struct kvm *kvm, struct vlpi_mig_vm *vm,
			   struct vgic_irq *irq)
{
	unsigned long flags;
	bool pending = false;
	struct kvm_vcpu *vcpu;
	int host_irq;
	int ret = 0;

	raw_spin_lock_irqsave(&irq->irq_lock, flags);
	host_irq = irq->hw ? irq->host_irq : -1;
	vcpu = irq->target_vcpu;
	if (irq->hw && vm->save_action == VLPI_MIG_READ) {
		ret = irq_get_irqchip_state(host_irq, IRQCHIP_STATE_PENDING,
					    &pending);
		if (!ret)
			vlpi_mig_vm_hold(vm, irq->intid, pending, true);
	} else if (irq->hw && vm->save_action == VLPI_MIG_ALL_PENDING) {
		pending = true;
	} else if (irq->hw) {
		ret = -EACCES;
	}
	/* A latch set before forwarding was set up is pending too */
	pending |= irq->pending_latch;
	raw_spin_unlock_irqrestore(&irq->irq_lock, flags);

	trace_vlpi_mig_save(kvm, vm, vcpu, irq->intid, host_irq, pending, ret);
	if (ret) {
		atomic64_inc(&vm->stats.unreadable);
		if (!vm->save_unreadable++)
			vm->save_first_unreadable = irq->intid;
		if (ret != -EACCES)
			pr_err_ratelimited("VM %d: vLPI %u (host IRQ %d): reading its pending state failed: %d\n",
					   kvm->userspace_pid, irq->intid,
					   host_irq, ret);
	}
	return pending;
}

int vlpi_mig_save_vlpi(struct kvm *kvm, struct vgic_irq *irq)
{
	struct kvm_vcpu *vcpu = irq->target_vcpu;
	struct vlpi_mig_vm *vm;
	bool pending;
	u8 bit, val, new;
	gpa_t gpa;
	int ret;

	vlpi_mig_assert_save_locks(kvm, vcpu);
	/* save_begin() created it, and it lives as long as the VM */
	vm = vlpi_mig_vm_find(kvm);
	if (WARN_ON_ONCE(!vm))
		return 0;

	if (READ_ONCE(irq->hw))
		vlpi_mig_save_window_late(kvm, vm);
	pending = vlpi_mig_vlpi_pending(kvm, vm, irq);

	/*
	 * With its LPIs off, a redistributor has no pending table, whatever
	 * GICR_PENDBASER still says: the guest may use that memory for
	 * anything. Decide it as the vGIC does.
	 */
	ret = -ENOENT;
	if (vcpu && vlpi_mig_seam.vgic_lpis_enabled(vcpu))
		ret = vlpi_mig_pendtable_locate(vcpu->arch.vgic_cpu.pendbaser,
						irq->intid, VLPI_MIG_VITS_IDBITS,
						&gpa, &bit);
	if (ret)
		trace_vlpi_mig_skip(kvm, vm, vcpu, irq->intid,
				    READ_ONCE(irq->host_irq), pending, ret);
	if (ret == -ENOENT) {
		/* No pending table to write to: never guess one */
		atomic64_inc(&vm->stats.skipped);
		pr_info_ratelimited("VM %d: vLPI %u%s not saved: its redistributor has no pending table (LPIs off)\n",
				    kvm->userspace_pid, irq->intid,
				    pending ? " (pending)" : "");
		return 0;
	}
	if (ret) {
		/* Not the vGIC's to report: skip it, as a missing table */
		atomic64_inc(&vm->stats.skipped);
		pr_err_ratelimited("VM %d: vLPI %u not saved: no place in the pending table: %d\n",
				   kvm->userspace_pid, irq->intid, ret);
		return 0;
	}

	/* Skipped and counted; the save reports -EFAULT once done, as upstream */
	ret = kvm_read_guest_lock(kvm, gpa, &val, 1);
	if (ret) {
		trace_vlpi_mig_skip(kvm, vm, vcpu, irq->intid,
				    READ_ONCE(irq->host_irq), pending, -EFAULT);
		atomic64_inc(&vm->stats.skipped);
		pr_err_ratelimited("VM %d: vLPI %u not saved: its pending table byte at %pa is not guest RAM\n",
				   kvm->userspace_pid, irq->intid, &gpa);
		return -EFAULT;
	}

	if (pending)
		atomic64_inc(&vm->stats.saved_pending);
	new = vlpi_mig_pend_byte(val, bit, pending);
	if (new == val)
		return 0;
	return vlpi_mig_write_guest(kvm, gpa, new);
}

int vlpi_mig_its_save_vlpi(struct kvm *kvm, struct vgic_irq *irq)
{
	struct kvm_vcpu *vcpu = READ_ONCE(irq->target_vcpu);
	enum vlpi_mig_action action;
	struct vlpi_mig_vm *vm;

	vlpi_mig_assert_save_locks(kvm, vcpu);
	vm = vlpi_mig_vm_get(kvm);

	if (IS_ERR(vm))
		return PTR_ERR(vm);

	action = vlpi_mig_save_action(vlpi_mig_host.vpt_mode,
				      vlpi_mig_vm_policy(vm));
	switch (action) {
	case VLPI_MIG_READ:
	case VLPI_MIG_ALL_PENDING:
		/* Kept: the pending-table save after this one follows it */
		vm->its_action = action;
		vm->its_saved = true;
		return 0;
	case VLPI_MIG_REFUSE:
		trace_vlpi_mig_refuse(kvm, vm, vcpu, irq->intid,
				      READ_ONCE(irq->host_irq), -1, -EACCES);
		atomic64_inc(&vm->stats.refused);
		pr_warn_ratelimited("VM %d: ITS save refused: LPI %u is forwarded, and its pending state cannot be read here (VPT access: %s, policy strict); the migration would lose it\n",
				    kvm->userspace_pid, irq->intid,
				    vlpi_mig_vpt_mode_name(vlpi_mig_host.vpt_mode));
		return -EACCES;
	default:
		return -EACCES;		/* upstream's answer */
	}
}
