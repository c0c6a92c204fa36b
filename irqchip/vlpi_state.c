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
 *    opened (vlpi_mig_vpt_open()), and only if it finds at the read what
 *    the window should have made true; it refuses with -EACCES otherwise,
 *    so no caller ever gets a bit the window did not vouch for. On
 *    GICv4.1 that is the vPE not resident and unmapped: its doorbell
 *    deactivated, which on GICv4.1 always sends VMAPP with V=0 (the ITS
 *    driver maps vPEs eagerly there), after which the VPT is coherent.
 *    On a GICv4.0 declared coherent the GIC keeps the VPT in memory
 *    already, and the window unmaps nothing (unmapping would drop the
 *    vLPIs of a live device, and frees the doorbells other VMs share a
 *    CPU with): the vPE must not be resident. The fail_vpt_window fault
 *    point opens the window without making anything coherent, to show
 *    the refusal; the skip_vpt_unmap one marks the vPEs without unmapping
 *    them and lets the reader read them unchecked, to show what a read
 *    outside the coherency point gets on a GIC that caches (stale bits).
 *
 * 2. A vmapp_count check races with VMAPP. Nothing here infers the
 *    mapping state from a counter: the module unmaps the vPEs itself, and
 *    opens and closes the window only with kvm->lock, every vcpu->mutex
 *    and kvm->arch.config_lock held (and on GICv4.1 every vITS's its_lock
 *    from the unmap to the map back). That excludes every path that maps
 *    a vPE of the VM: vcpu_load() (residency, VMOVP), vGIC init and
 *    teardown (doorbell request and free), forwarding set up, and
 *    another save.
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
 * That read goes by its own rule alone, even for a vPE a save has marked:
 * it holds none of the save's locks, so it could find the vPE marked and
 * then, the save having unmarked it and mapped it back, mapped.
 *
 * A read alone leaves three windows, each a few ITS commands long with
 * interrupts off on the reading CPU, in which a vCPU made resident on
 * another CPU takes the vLPI as well (design.rst, "Unforward"): between
 * the residency check and the read; between the read and the second
 * residency check, if the vPE was made resident, took the vLPI and left
 * again in between (the second check cannot see that); and between the
 * read and the DISCARD. An MSI that arrives after the read is discarded
 * with the mapping, as upstream discards it.
 *
 * Locking: the window (vlpi_mig_window) is written under the save
 * path's locks above, and read locklessly (xarray, RCU) by the reader,
 * which runs under the host IRQ's descriptor lock with interrupts off.
 * The one-vPE window (vlpi_mig_reading_vpe) is per CPU and only set with
 * interrupts off, so nothing else on that CPU can see it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fault-inject.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/kvm_host.h>
#include <linux/percpu.h>
#include <linux/irqchip/arm-gic-v4.h>
#include <linux/xarray.h>
#include <kunit/visibility.h>

#include <kvm/arm_vgic.h>
#include <kvm/arm_vgic_mig.h>

#include "../vgic/seam.h"
#include "vpt.h"

/* The save's window, the only one the ITS's reader consults */
static struct vlpi_mig_window vlpi_mig_window = {
	.vpes = XARRAY_INIT(vlpi_mig_window.vpes, 0),
};

/* The one vPE this CPU reads with interrupts off, or NULL */
static DEFINE_PER_CPU(struct its_vpe *, vlpi_mig_reading_vpe);

/*
 * Fault points for the tests, on kernels built with CONFIG_FAULT_INJECTION:
 * open the save's window without making any VPT coherent (no vPE unmapped
 * or marked), as a broken window would, so that a test can see the reader
 * refuse; and fail the window's allocation, so that a test can see the
 * save left to the vGIC.
 */
static DECLARE_FAULT_ATTR(vlpi_mig_fail_vpt_window);
static DECLARE_FAULT_ATTR(vlpi_mig_fail_window_alloc);
static DECLARE_FAULT_ATTR(vlpi_mig_skip_vpt_unmap);

/**
 * vlpi_mig_fault_init() - expose the window's fault points in debugfs
 * @parent: the module's debugfs directory
 */
void vlpi_mig_fault_init(struct dentry *parent)
{
	fault_create_debugfs_attr("fail_vpt_window", parent,
				  &vlpi_mig_fail_vpt_window);
	fault_create_debugfs_attr("fail_window_alloc", parent,
				  &vlpi_mig_fail_window_alloc);
	fault_create_debugfs_attr("skip_vpt_unmap", parent,
				  &vlpi_mig_skip_vpt_unmap);
}

/**
 * vlpi_mig_window_init() - an empty window, for a test's own fixture
 * @w: the window
 * @mode: how the VPTs of the vPEs it will hold are made coherent
 */
VISIBLE_IF_KUNIT void vlpi_mig_window_init(struct vlpi_mig_window *w,
					   enum vlpi_mig_vpt_mode mode)
{
	xa_init(&w->vpes);
	w->mode = mode;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_window_init);

/**
 * vlpi_mig_window_mark() - let a window's reader answer for a vPE
 * @w: the window
 * @vpe: a vPE whose VPT the caller has made coherent
 *
 * Return: 0 or -ENOMEM.
 */
VISIBLE_IF_KUNIT int vlpi_mig_window_mark(struct vlpi_mig_window *w,
					  struct its_vpe *vpe)
{
	return xa_err(xa_store(&w->vpes, vpe->vpe_id, vpe,
			       GFP_KERNEL_ACCOUNT));
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_window_mark);

/*
 * Allocates the window's slots for every vPE of @its_vm, so that marking
 * them once they are unmapped cannot fail: a window that cannot open
 * fails before it has cost a VMAPP. Returns 0 or -ENOMEM, with nothing
 * reserved.
 */
static int vlpi_mig_window_reserve(struct vlpi_mig_window *w,
				   struct its_vm *its_vm)
{
	int i, ret = 0;

	for (i = 0; i < its_vm->nr_vpes && !ret; i++) {
		if (should_fail(&vlpi_mig_fail_window_alloc, sizeof(void *)))
			ret = -ENOMEM;
		else
			ret = xa_reserve(&w->vpes, its_vm->vpes[i]->vpe_id,
					 GFP_KERNEL_ACCOUNT);
	}
	if (ret)
		while (i--)
			xa_release(&w->vpes, its_vm->vpes[i]->vpe_id);
	return ret;
}

/**
 * vlpi_mig_window_unmark() - make a window's reader refuse a vPE again
 * @w: the window
 * @vpe: the vPE
 */
VISIBLE_IF_KUNIT void vlpi_mig_window_unmark(struct vlpi_mig_window *w,
					     struct its_vpe *vpe)
{
	xa_cmpxchg(&w->vpes, vpe->vpe_id, vpe, NULL, 0);
	/* A slot reserved and never marked (vlpi_mig_vpt_open()) */
	xa_release(&w->vpes, vpe->vpe_id);
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_window_unmark);

/*
 * What the save's window set, checked at the read rather than trusted:
 * the vPE is not resident and, on GICv4.1, its doorbell, whose
 * deactivation unmapped it, is deactivated. Read without the doorbell's
 * descriptor lock: the save holds every lock under which it changes, and
 * only a read under the save's locks goes by its marks (never
 * unforward's, below).
 */
static bool vlpi_mig_vpe_coherent(enum vlpi_mig_vpt_mode mode,
				  struct its_vpe *vpe)
{
	struct irq_data *d;

	if (READ_ONCE(vpe->resident))
		return false;
	if (mode != VLPI_MIG_VPT_GICV4_1)
		return mode == VLPI_MIG_VPT_DECLARED;
	d = irq_get_irq_data(vpe->irq);
	return !(d && irqd_is_activated(d));
}

/**
 * vlpi_mig_window_read() - read a vLPI's pending bit, if a window allows
 * @w: the window
 * @alone: the vPE this CPU reads with interrupts off
 *	(vlpi_mig_vpt_read_one()), or NULL
 * @vpe: the vPE the vLPI is mapped to
 * @vintid: the vLPI
 * @pending: its pending bit, on success
 *
 * Answers for @alone found not resident, or for a vPE marked in @w and
 * found as @w's window leaves it (vlpi_mig_vpe_coherent()). @alone goes
 * by its own rule even if a save has marked it: unforward reads it
 * without the save's locks, so the save may be unmarking it and mapping
 * it back between the two checks of a mark.
 *
 * Return: 0; -EACCES if @vpe's VPT is not known to be coherent; -ERANGE if
 * @vintid is past what KVM's vITS implements.
 */
VISIBLE_IF_KUNIT int vlpi_mig_window_read(struct vlpi_mig_window *w,
					  struct its_vpe *alone,
					  struct its_vpe *vpe, u32 vintid,
					  bool *pending)
{
	const u8 *vpt;

	if (vpe == alone) {
		if (READ_ONCE(vpe->resident))
			return -EACCES;
	} else if (xa_load(&w->vpes, vpe->vpe_id) != vpe ||
		   (!READ_ONCE(w->unchecked) &&
		    !vlpi_mig_vpe_coherent(w->mode, vpe))) {
		return -EACCES;
	}
	if (vintid >= BIT(VLPI_MIG_VITS_IDBITS))
		return -ERANGE;

	vpt = page_address(vpe->vpt_page);
	*pending = READ_ONCE(vpt[vintid / BITS_PER_BYTE]) &
		   BIT(vintid % BITS_PER_BYTE);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_window_read);

/* The ITS's vLPI state reader, interrupts off */
VISIBLE_IF_KUNIT int vlpi_mig_get_pending(struct its_vpe *vpe, u32 vintid,
					  bool *pending)
{
	return vlpi_mig_window_read(&vlpi_mig_window,
				    this_cpu_read(vlpi_mig_reading_vpe), vpe,
				    vintid, pending);
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_get_pending);

static const struct its_vlpi_state_ops vlpi_mig_state_ops = {
	.get_pending = vlpi_mig_get_pending,
};

/**
 * vlpi_mig_vpt_open() - make every VPT of a VM coherent and readable
 * @kvm: the VM, with kvm->lock, every vcpu->mutex and config_lock held
 * @mode: the host's VPT access mode: GICv4.1 or declared coherent
 * @unmapped: set to whether the vPEs were unmapped, for vlpi_mig_vpt_close()
 *
 * On GICv4.1, unmaps every vPE of the VM once (which holds every vITS's
 * its_lock until vlpi_mig_vpt_close()); on a GICv4.0 declared coherent,
 * unmaps none. Then cleans and invalidates their VPTs to the PoC and lets
 * the reader answer for them, until vlpi_mig_vpt_close().
 *
 * Return: 0, or -ENOMEM, before any vPE is unmapped.
 */
int vlpi_mig_vpt_open(struct kvm *kvm, enum vlpi_mig_vpt_mode mode,
		      bool *unmapped)
{
	struct its_vm *its_vm = &kvm->arch.vgic.its_vm;
	int i, ret;

	*unmapped = false;
	if (should_fail(&vlpi_mig_fail_vpt_window, 1))
		return 0;
	ret = vlpi_mig_window_reserve(&vlpi_mig_window, its_vm);
	if (ret)
		return ret;
	/* Test-only: a window that skips the coherency point, unchecked */
	if (should_fail(&vlpi_mig_skip_vpt_unmap, 1)) {
		WRITE_ONCE(vlpi_mig_window.unchecked, true);
	} else if (mode == VLPI_MIG_VPT_GICV4_1) {
		vlpi_mig_seam.vgic_mig_unmap_vpes(kvm);
		*unmapped = true;
	}

	for (i = 0; i < its_vm->nr_vpes; i++) {
		struct its_vpe *vpe = its_vm->vpes[i];

		vlpi_mig_seam.its_vpe_sync_vpt(vpe);
		ret = vlpi_mig_window_mark(&vlpi_mig_window, vpe);
		if (ret) {
			vlpi_mig_vpt_close(kvm, *unmapped);
			return ret;
		}
	}
	return 0;
}

/**
 * vlpi_mig_vpt_close() - end the window vlpi_mig_vpt_open() opened
 * @kvm: the VM, with the same locks held
 * @unmapped: what vlpi_mig_vpt_open() said
 *
 * The reader refuses again before any vPE is mapped back.
 */
void vlpi_mig_vpt_close(struct kvm *kvm, bool unmapped)
{
	struct its_vm *its_vm = &kvm->arch.vgic.its_vm;
	int i;

	for (i = 0; i < its_vm->nr_vpes; i++)
		vlpi_mig_window_unmark(&vlpi_mig_window, its_vm->vpes[i]);
	WRITE_ONCE(vlpi_mig_window.unchecked, false);
	if (unmapped)
		vlpi_mig_seam.vgic_mig_map_vpes(kvm);
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

	vlpi_mig_seam.its_vpe_sync_vpt(vpe);
	__this_cpu_write(vlpi_mig_reading_vpe, vpe);
	ret = irq_get_irqchip_state(host_irq, IRQCHIP_STATE_PENDING, pending);
	__this_cpu_write(vlpi_mig_reading_vpe, NULL);

	/*
	 * Made resident meanwhile: a vCPU may have taken what we read. The
	 * descriptor lock's release does not order the VPT's load before
	 * this one.
	 */
	smp_rmb();
	if (!ret && READ_ONCE(vpe->resident))
		ret = -EBUSY;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_vpt_read_one);

/**
 * vlpi_mig_state_register() - become the ITS's vLPI state reader
 * @mode: the host's VPT access mode, which the save's window goes by
 *
 * Return: 0, or the ITS driver's error.
 */
int vlpi_mig_state_register(enum vlpi_mig_vpt_mode mode)
{
	vlpi_mig_window.mode = mode;
	return vlpi_mig_seam.its_register_vlpi_state_ops(&vlpi_mig_state_ops);
}

void vlpi_mig_state_unregister(void)
{
	vlpi_mig_seam.its_unregister_vlpi_state_ops(&vlpi_mig_state_ops);
}
