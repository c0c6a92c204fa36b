// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: reading a forwarded vLPI's pending bit from its vPE's VPT.
 *
 * The module registers as the ITS's vLPI state reader, so that
 * irq_get_irqchip_state(host_irq, IRQCHIP_STATE_PENDING) answers for an
 * LPI forwarded to a vCPU. Review of the 2020 RFC raised three problems
 * with such a reader; each is answered here:
 *
 * 1. Anyone holding the host IRQ number can call it at any time. The
 *    reader answers only for a vPE inside a coherency window this module
 *    opened (vlpi_mig_vpt_open()) and refuses with -EACCES otherwise, so
 *    no caller ever gets a stale bit.
 *
 * 2. A vmapp_count check races with VMAPP. Nothing here infers the
 *    mapping state from a counter: the module unmaps the vPEs itself, and
 *    opens and closes the window only with kvm->lock, every vcpu->mutex
 *    and kvm->arch.config_lock held. That excludes every path that maps a
 *    vPE of the VM: vcpu_load() (residency, VMOVP), vGIC init and teardown
 *    (doorbell request and free), and another save.
 *
 * 3. After unmapping, the CPU caches must be cleaned and invalidated to
 *    the PoC before the GIC's writes are visible. its_vpe_sync_vpt() does
 *    that for every vPE before the window opens; the CPUs never write a
 *    VPT, so nothing can make a line stale again until the window closes.
 *
 * Unforward reads one vLPI with interrupts off (under the LPI's irq_lock,
 * possibly under kvm->irqfds.lock), where no vPE can be unmapped: that
 * needs free_irq() on its doorbell, which sleeps. There the module reads
 * only where the GIC is declared to keep every VPT in memory (the emulated
 * GICv4.0, vpt_coherent=1), and only while the vPE is not resident, so
 * that no vCPU can take the vLPI under our feet; vlpi_mig_vpt_read_one()
 * opens a window for that one vPE on this CPU for the length of the read.
 *
 * Locking: the window (vlpi_mig_coherent_vpes) is written under the save
 * path's locks above, and read locklessly (xarray, RCU) by the reader,
 * which runs under the host IRQ's descriptor lock with interrupts off.
 * The one-vPE window (vlpi_mig_reading_vpe) is per CPU and only set with
 * interrupts off, so nothing else on that CPU can see it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/kvm_host.h>
#include <linux/percpu.h>
#include <linux/irqchip/arm-gic-v4.h>
#include <linux/xarray.h>
#include <kunit/visibility.h>

#include <kvm/arm_vgic.h>
#include <kvm/arm_vgic_mig.h>

#include "vpt.h"

/* vPEs whose VPT is coherent, by vpe_id */
static DEFINE_XARRAY(vlpi_mig_coherent_vpes);

/* The one vPE this CPU reads with interrupts off, or NULL */
static DEFINE_PER_CPU(struct its_vpe *, vlpi_mig_reading_vpe);

/**
 * vlpi_mig_vpt_mark() - let the reader answer for a vPE
 * @vpe: a vPE whose VPT the caller has made coherent
 *
 * Return: 0 or -ENOMEM.
 */
VISIBLE_IF_KUNIT int vlpi_mig_vpt_mark(struct its_vpe *vpe)
{
	return xa_err(xa_store(&vlpi_mig_coherent_vpes, vpe->vpe_id, vpe,
			       GFP_KERNEL_ACCOUNT));
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_vpt_mark);

/**
 * vlpi_mig_vpt_unmark() - make the reader refuse a vPE again
 * @vpe: the vPE
 */
VISIBLE_IF_KUNIT void vlpi_mig_vpt_unmark(struct its_vpe *vpe)
{
	xa_cmpxchg(&vlpi_mig_coherent_vpes, vpe->vpe_id, vpe, NULL, 0);
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_vpt_unmark);

/**
 * vlpi_mig_get_pending() - the ITS's vLPI state reader
 * @vpe: the vPE the vLPI is mapped to
 * @vintid: the vLPI
 * @pending: its pending bit, on success
 *
 * Return: 0; -EACCES if @vpe's VPT is not known to be coherent; -ERANGE if
 * @vintid is past what KVM's vITS implements.
 */
VISIBLE_IF_KUNIT int vlpi_mig_get_pending(struct its_vpe *vpe, u32 vintid,
					  bool *pending)
{
	const u8 *vpt;

	if (xa_load(&vlpi_mig_coherent_vpes, vpe->vpe_id) != vpe &&
	    this_cpu_read(vlpi_mig_reading_vpe) != vpe)
		return -EACCES;
	if (vintid >= BIT(VLPI_MIG_VITS_IDBITS))
		return -ERANGE;

	vpt = page_address(vpe->vpt_page);
	*pending = READ_ONCE(vpt[vintid / BITS_PER_BYTE]) &
		   BIT(vintid % BITS_PER_BYTE);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_get_pending);

static const struct its_vlpi_state_ops vlpi_mig_state_ops = {
	.get_pending = vlpi_mig_get_pending,
};

static void vlpi_mig_vpt_forget(struct its_vm *its_vm, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		vlpi_mig_vpt_unmark(its_vm->vpes[i]);
}

/**
 * vlpi_mig_vpt_open() - make every VPT of a VM coherent and readable
 * @kvm: the VM, with kvm->lock, every vcpu->mutex and config_lock held
 *
 * Unmaps every vPE of the VM once, cleans and invalidates their VPTs to
 * the PoC and lets the reader answer for them, until vlpi_mig_vpt_close().
 *
 * Return: 0, or -ENOMEM with the vPEs mapped again.
 */
int vlpi_mig_vpt_open(struct kvm *kvm)
{
	struct its_vm *its_vm = &kvm->arch.vgic.its_vm;
	int i, ret;

	vgic_mig_unmap_vpes(kvm);

	for (i = 0; i < its_vm->nr_vpes; i++) {
		struct its_vpe *vpe = its_vm->vpes[i];

		its_vpe_sync_vpt(vpe);
		ret = vlpi_mig_vpt_mark(vpe);
		if (ret) {
			vlpi_mig_vpt_forget(its_vm, i);
			vgic_mig_map_vpes(kvm);
			return ret;
		}
	}
	return 0;
}

/**
 * vlpi_mig_vpt_close() - end the window vlpi_mig_vpt_open() opened
 * @kvm: the VM, with the same locks held
 *
 * The reader refuses again before any vPE is mapped back.
 */
void vlpi_mig_vpt_close(struct kvm *kvm)
{
	struct its_vm *its_vm = &kvm->arch.vgic.its_vm;

	vlpi_mig_vpt_forget(its_vm, its_vm->nr_vpes);
	vgic_mig_map_vpes(kvm);
}

/**
 * vlpi_mig_vpt_read_one() - read one vLPI's pending bit, interrupts off
 * @mode: the host's VPT access mode
 * @vpe: the vPE the vLPI is mapped to
 * @host_irq: the host IRQ forwarded as that vLPI
 * @pending: its pending bit, on success
 *
 * For callers that cannot sleep, so cannot unmap the vPE. The vLPI stays
 * mapped: the caller must hold whatever keeps it so (its irq_lock).
 *
 * Return: 0; -EOPNOTSUPP unless the GIC is declared to keep the VPT in
 * memory; -EBUSY if the vPE is resident (a vCPU may be taking the vLPI);
 * or the reader's error.
 */
int vlpi_mig_vpt_read_one(enum vlpi_mig_vpt_mode mode, struct its_vpe *vpe,
			  int host_irq, bool *pending)
{
	int ret;

	lockdep_assert_irqs_disabled();

	if (mode != VLPI_MIG_VPT_DECLARED)
		return -EOPNOTSUPP;
	if (READ_ONCE(vpe->resident))
		return -EBUSY;

	its_vpe_sync_vpt(vpe);
	__this_cpu_write(vlpi_mig_reading_vpe, vpe);
	ret = irq_get_irqchip_state(host_irq, IRQCHIP_STATE_PENDING, pending);
	__this_cpu_write(vlpi_mig_reading_vpe, NULL);

	/* Made resident meanwhile: a vCPU may have taken what we read */
	if (!ret && READ_ONCE(vpe->resident))
		ret = -EBUSY;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_vpt_read_one);

int vlpi_mig_state_register(void)
{
	return its_register_vlpi_state_ops(&vlpi_mig_state_ops);
}

void vlpi_mig_state_unregister(void)
{
	its_unregister_vlpi_state_ops(&vlpi_mig_state_ops);
}
