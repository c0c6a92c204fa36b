// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: pending state across forwarding being set up and torn down.
 *
 * Both hooks run with the LPI's irq_lock held and interrupts off, the
 * lock under which the vGIC changes irq->hw and irq->host_irq: they must
 * not sleep, allocate or take a mutex.
 *
 * Set up (restore): KVM_DEV_ARM_ITS_RESTORE_TABLES reads the guest's
 * pending tables into the software latch of each LPI. When the VMM then
 * hands the device over and forwarding is set up, that state must reach
 * the vPE's VPT (a VINT) exactly once, and the LPI must never be in a
 * list register and in the ITS at the same time.
 *
 * Only a vCPU between vcpu_load() and vcpu_put() fills list registers,
 * each LPI under its irq_lock, and it folds them back before vcpu_put().
 * So with irq_lock held, an LPI that is on no vCPU's ap_list, or on that
 * of a vCPU that is not loaded, is in no list register, and cannot get
 * into one before its latch is cleared. The module moves the state then;
 * otherwise (a vCPU in KVM_RUN holds the LPI queued) it leaves the move
 * to the vGIC, as upstream, and counts it (restore_busy). A VMM's other
 * vCPU ioctls do not load the vCPU on arm64.
 *
 * Torn down (unforward): the ITS unmap's DISCARD drops a pending vLPI,
 * and no VPT can be read here: a vPE is mapped for as long as its vCPU
 * may run, and unmapping one frees its doorbell, which sleeps. The module
 * keeps what the last pending-table save read of the vLPI, or what a
 * restore moved to the ITS (vlpi_mig_vm_hold()), if no vCPU of the VM has
 * run since. That is the maintainers' "quiesce, then
 * KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES": a VMM that stops the guest and
 * the device and saves before it tears forwarding down and builds it
 * again keeps the state the save found, where upstream saves it in guest
 * RAM and then loses it to the DISCARD. An MSI the device sent after that
 * save is lost, as upstream loses it. While the vPE is resident a vCPU
 * may be taking the vLPI: the module behaves as upstream and counts the
 * case (unforward_running). On GICv4.0, unforward is as upstream.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/kvm_host.h>

#include <kvm/arm_vgic.h>

#include "../uapi/vlpi_mig.h"
#include "vlpi_mig.h"
#include "trace.h"

/* Whether a list register may hold @irq; irq_lock held */
static bool vlpi_mig_in_list_register(struct vgic_irq *irq)
{
	struct kvm_vcpu *vcpu = irq->vcpu;

	return vcpu && READ_ONCE(vcpu->cpu) != -1;
}

/* Both with @irq's irq_lock held, so its target is stable */
static void vlpi_mig_trace_restore(struct kvm *kvm, struct vlpi_mig_vm *vm,
				   struct vgic_irq *irq, int ret)
{
	trace_vlpi_mig_restore(kvm, vm, irq->target_vcpu, irq->intid,
			       irq->host_irq, 1, ret);
}

static void vlpi_mig_trace_unforward(struct kvm *kvm, struct vlpi_mig_vm *vm,
				     struct vgic_irq *irq, int pending,
				     int ret)
{
	trace_vlpi_mig_unforward(kvm, vm, irq->target_vcpu, irq->intid,
				 irq->host_irq, pending, ret);
}

int vlpi_mig_forward(struct kvm *kvm, struct vgic_irq *irq)
{
	struct vlpi_mig_vm *vm = vlpi_mig_vm_find(kvm);
	int ret;

	lockdep_assert_held(&irq->irq_lock);

	if (!irq->pending_latch ||
	    vlpi_mig_vm_policy(vm) == KVM_VLPI_MIG_POLICY_LEGACY)
		return -ENOIOCTLCMD;

	if (vlpi_mig_in_list_register(irq)) {
		vlpi_mig_trace_restore(kvm, vm, irq, -EBUSY);
		if (vm)
			atomic64_inc(&vm->stats.restore_busy);
		pr_info_ratelimited("VM %d: vLPI %u forwarded while its vCPU runs: the vGIC moves its pending state\n",
				    kvm->userspace_pid, irq->intid);
		return -ENOIOCTLCMD;
	}

	ret = irq_set_irqchip_state(irq->host_irq, IRQCHIP_STATE_PENDING, true);
	vlpi_mig_trace_restore(kvm, vm, irq, ret);
	if (ret) {
		pr_err_ratelimited("VM %d: vLPI %u (host IRQ %d): pending state not moved to the ITS: %d\n",
				   kvm->userspace_pid, irq->intid,
				   irq->host_irq, ret);
		return -ENOIOCTLCMD;
	}

	irq->pending_latch = false;
	vlpi_mig_vm_hold(vm, irq->intid, true, false);
	if (vm)
		atomic64_inc(&vm->stats.restored);
	return 0;
}

int vlpi_mig_unforward(struct kvm *kvm, struct vgic_irq *irq)
{
	struct vlpi_mig_vm *vm = vlpi_mig_vm_find(kvm);
	struct its_vpe *vpe;
	bool pending = false;
	int ret;

	lockdep_assert_held(&irq->irq_lock);

	if (vlpi_mig_save_action(vlpi_mig_vpt(),
				 vlpi_mig_vm_policy(vm)) != VLPI_MIG_READ) {
		vlpi_mig_trace_unforward(kvm, vm, irq, -1, -EOPNOTSUPP);
		return -ENOIOCTLCMD;
	}

	/* No coherency point here: what a save or a restore held */
	vpe = &irq->target_vcpu->arch.vgic_cpu.vgic_v3.its_vpe;
	if (READ_ONCE(vpe->resident))
		ret = -EBUSY;
	else if (!vlpi_mig_vm_take_held(vm, irq->intid, &pending))
		ret = -ENODATA;
	else
		ret = 0;
	vlpi_mig_trace_unforward(kvm, vm, irq, ret ? -1 : pending, ret);
	if (ret == -EBUSY && vm)
		atomic64_inc(&vm->stats.unforward_running);
	if (ret)
		return -ENOIOCTLCMD;

	vlpi_mig_vm_seen(vm, irq->intid, pending);
	if (!pending)
		return -ENOIOCTLCMD;
	if (vm)
		atomic64_inc(&vm->stats.kept);
	return 0;
}
