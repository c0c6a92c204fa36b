// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: pending state across forwarding being set up and torn down.
 *
 * Set up (restore): KVM_DEV_ARM_ITS_RESTORE_TABLES reads the guest's
 * pending tables into the software latch of each LPI. When the VMM then hands the device over and
 * forwarding is set up, that state must reach the vPE's VPT (a VINT)
 * exactly once, and the LPI must never be in a list register and in the
 * ITS at the same time.
 *
 * A list register only holds an LPI while a vCPU is in KVM_RUN: every exit
 * folds the list registers back into the vgic_irq. So the transfer is made
 * only while this holds every vcpu->mutex (taken with trylock: the caller
 * holds the vITS's its_lock, below vcpu->mutex in the vGIC's lock order).
 * If a vCPU is running, the module declines and the vGIC transfers the
 * state as upstream always has.
 *
 * Torn down (unforward): the ITS unmap's DISCARD drops a pending vLPI.
 * When no vCPU runs (a VMM loading a migrated VM, whose devices VFIO may
 * set up more than once), the module reads the vLPI's state coherently
 * first, and the vGIC keeps it in the software latch; a re-forward then
 * moves it back. While vCPUs run, the module behaves as upstream and only
 * counts the case: reading the VPT needs the vPEs unmapped, which a running
 * vCPU cannot afford, and a VMM tearing down an irqfd under a running guest
 * has not quiesced the device anyway (the objection upstream raised).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/kvm_host.h>

#include <kvm/arm_vgic.h>

#include "../uapi/vlpi_mig.h"
#include "vlpi_mig.h"

static void vlpi_mig_unlock_vcpus(struct kvm *kvm, unsigned long nr)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;

	kvm_for_each_vcpu(i, vcpu, kvm) {
		if (i >= nr)
			break;
		mutex_unlock(&vcpu->mutex);
	}
}

/* Hold every vcpu->mutex, so that no vCPU runs, or fail */
static bool vlpi_mig_trylock_vcpus(struct kvm *kvm)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;

	kvm_for_each_vcpu(i, vcpu, kvm) {
		if (!mutex_trylock(&vcpu->mutex)) {
			vlpi_mig_unlock_vcpus(kvm, i);
			return false;
		}
	}
	return true;
}

int vlpi_mig_forward(struct kvm *kvm, struct vgic_irq *irq)
{
	struct vlpi_mig_vm *vm;
	unsigned long flags;
	bool moved = false;
	int ret = 0;

	vm = vlpi_mig_vm_get(kvm);
	if (IS_ERR(vm))
		return -ENOIOCTLCMD;
	atomic64_inc(&vm->stats.forwarded);

	if (READ_ONCE(vm->policy) == KVM_VLPI_MIG_POLICY_LEGACY)
		return -ENOIOCTLCMD;
	if (!READ_ONCE(irq->pending_latch))
		return 0;

	if (!vlpi_mig_trylock_vcpus(kvm)) {
		pr_info_ratelimited("VM %d: vLPI %u forwarded while a vCPU runs: the vGIC moves its pending state\n",
				    kvm->userspace_pid, irq->intid);
		return -ENOIOCTLCMD;
	}

	raw_spin_lock_irqsave(&irq->irq_lock, flags);
	if (irq->pending_latch) {
		ret = irq_set_irqchip_state(irq->host_irq,
					    IRQCHIP_STATE_PENDING, true);
		if (!ret) {
			/* No vCPU runs, so no list register holds it */
			irq->pending_latch = false;
			moved = true;
		}
	}
	raw_spin_unlock_irqrestore(&irq->irq_lock, flags);
	vlpi_mig_unlock_vcpus(kvm, ULONG_MAX);

	if (moved)
		atomic64_inc(&vm->stats.restored);
	if (ret)
		pr_err("VM %d: vLPI %u (host IRQ %d): pending state not moved to the ITS: %d\n",
		       kvm->userspace_pid, irq->intid, irq->host_irq, ret);
	return 0;
}

bool vlpi_mig_unforward(struct kvm *kvm, struct vgic_irq *irq)
{
	struct vlpi_mig_vm *vm;
	bool pending = false;
	int ret;

	vm = vlpi_mig_vm_get(kvm);
	if (IS_ERR(vm))
		return false;
	/* Not below 0 if forwarding predates the module */
	atomic64_dec_if_positive(&vm->stats.forwarded);

	if (vlpi_mig_save_action(vlpi_mig_host.vpt_mode,
				 READ_ONCE(vm->policy)) != VLPI_MIG_READ)
		return false;

	if (!vlpi_mig_trylock_vcpus(kvm)) {
		atomic64_inc(&vm->stats.unforward_running);
		return false;
	}

	ret = vlpi_mig_vpt_open(kvm);
	if (!ret) {
		ret = irq_get_irqchip_state(irq->host_irq,
					    IRQCHIP_STATE_PENDING, &pending);
		vlpi_mig_vpt_close(kvm);
	}
	vlpi_mig_unlock_vcpus(kvm, ULONG_MAX);

	if (ret) {
		pr_err("VM %d: vLPI %u: pending state unreadable before unforward: %d\n",
		       kvm->userspace_pid, irq->intid, ret);
		return false;
	}
	if (pending)
		atomic64_inc(&vm->stats.kept);
	return pending;
}
