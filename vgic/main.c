// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: migrate the pending state of directly injected vLPIs.
 *
 * Module load and unload. The module plugs into the vGIC through the
 * single ops table of <kvm/arm_vgic_mig.h>, found at load (seam.c); see
 * Documentation/vlpi-mig/design.rst.
 *
 * Locking order (outermost first), in addition to the vGIC's own
 * (arch/arm64/kvm/vgic/vgic.c):
 *
 * vgic_mig_lock (mutex, registration only)
 * kvm->lock, vcpu->mutex, kvm->arch.config_lock, its->its_lock
 *     (whichever the vGIC holds when it calls a hook that may sleep; the
 *     pending-table save holds the first three, and on GICv4.1 takes
 *     every vITS's its_lock while its VPT window is open, so that
 *     forwarding waits for the window, and only for it)
 *   vgic_mig_srcu (read side)
 *     vlpi_mig_vms_lock (mutex: per-VM state created or freed, a VM
 *         pinning the module, debugfs)
 *       vlpi_mig_vms.xa_lock (spinlock)
 *       debugfs's own locks (a VM's directory created or removed;
 *           removing it waits for a reader of its vlpis file)
 *     vlpi_mig_window.vpes.xa_lock (spinlock: the save's VPT window)
 *   irq_desc->lock of each vPE's doorbell, then the ITS driver's vPE
 *       locks (raw: the GICv4.1 window's free_irq() and request_irq(),
 *       through the vGIC, as vgic_v4_load() takes them under
 *       vcpu->mutex)
 * RCU read side (a VM's vlpis file, read with no lock of the module's)
 *   vgic_irq->irq_lock (raw), to read each LPI's forwarding
 * kvm->irqfds.lock (spinlock, IRQs off: a GSI route change)
 *   vgic_irq->irq_lock (raw: the forward and unforward hooks, and the
 *       save's read of each vLPI; also taken under its->its_lock, by
 *       set-forwarding and by the save inside a GICv4.1 window)
 *     vgic_mig_srcu (read side)
 *       irq_desc->lock of the host IRQ (raw: irq_{get,set}_irqchip_state())
 *
 * The hooks called under irq_lock take no lock of the module's: per-VM
 * state is only looked up there (RCU), what they read is noted in its
 * bitmaps with atomic bit operations, their trace events take no lock,
 * and the one-vPE VPT window is per CPU.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "../uapi/vlpi_mig.h"
#include "vlpi_mig.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static bool vpt_coherent;
module_param(vpt_coherent, bool, 0444);
MODULE_PARM_DESC(vpt_coherent,
		 "Declare a GICv4.0 VPT coherent once its vPE is unmapped. True of QEMU's emulated GIC; never set it on real GICv4.0 silicon.");

struct vlpi_mig_host vlpi_mig_host;

static struct dentry *vlpi_mig_debugfs;

static const struct vgic_mig_ops vlpi_mig_ops = {
	.attr_group	= KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
	.set_attr	= vlpi_mig_set_attr,
	.get_attr	= vlpi_mig_get_attr,
	.has_attr	= vlpi_mig_has_attr,
	.vm_create	= vlpi_mig_vm_create,
	.vm_destroy	= vlpi_mig_vm_destroy,
	.save_begin	= vlpi_mig_save_begin,
	.save_vlpi	= vlpi_mig_save_vlpi,
	.save_lpis	= vlpi_mig_save_lpis,
	.save_end	= vlpi_mig_save_end,
	.its_save_vlpi	= vlpi_mig_its_save_vlpi,
	.forward	= vlpi_mig_forward,
	.unforward	= vlpi_mig_unforward,
};

static int vms_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%u\n", vlpi_mig_vm_count());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vms);

static int stats_show(struct seq_file *m, void *v)
{
	vlpi_mig_vm_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static void vlpi_mig_probe_host(void)
{
	struct vlpi_mig_host *host = &vlpi_mig_host;

	vlpi_mig_seam.vgic_mig_get_host_info(&host->info);
	host->vpt_mode = vlpi_mig_vpt_mode(&host->info, vpt_coherent);
	host->caps = vlpi_mig_caps(&host->info, host->vpt_mode);

	if (vpt_coherent && host->vpt_mode != VLPI_MIG_VPT_DECLARED)
		pr_notice("vpt_coherent ignored: the host does not use GICv4.0 direct injection\n");
	if (host->vpt_mode == VLPI_MIG_VPT_DECLARED)
		pr_notice("vpt_coherent=1: trusting the GICv4.0 VPT to be coherent once unmapped; only true of emulated GICs\n");
}

static int __init vlpi_mig_init(void)
{
	const struct vlpi_mig_host *host = &vlpi_mig_host;
	int ret;

	ret = vlpi_mig_seam_get();
	if (ret)
		return ret;

	vlpi_mig_probe_host();

	/* Before any VM's state, whose directory goes in it */
	vlpi_mig_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("vms", 0444, vlpi_mig_debugfs, NULL, &vms_fops);
	debugfs_create_file("stats", 0444, vlpi_mig_debugfs, NULL,
			    &stats_fops);
	debugfs_create_x64("caps", 0444, vlpi_mig_debugfs,
			   &vlpi_mig_host.caps);
	vlpi_mig_fault_init(vlpi_mig_debugfs);
	vlpi_mig_vm_fault_init(vlpi_mig_debugfs);
	vlpi_mig_save_debugfs_init(vlpi_mig_debugfs);
	vlpi_mig_vm_debugfs_init(vlpi_mig_debugfs);

	ret = vlpi_mig_state_register(host->vpt_mode);
	if (ret) {
		pr_err("cannot register as the ITS's vLPI state reader: %d\n",
		       ret);
		goto remove_debugfs;
	}

	ret = vlpi_mig_seam.vgic_mig_register(&vlpi_mig_ops);
	if (ret) {
		pr_err("cannot register with the vGIC: %d\n", ret);
		vlpi_mig_state_unregister();
		goto remove_debugfs;
	}

	pr_info("loaded: GIC %s, direct injection %s, VPT access: %s, caps %#llx\n",
		!host->info.has_gicv4 ? "v3 or v4 unused" :
		host->info.has_gicv4_1 ? "v4.1" : "v4.0",
		host->info.has_gicv4 ? "on" : "off",
		vlpi_mig_vpt_mode_name(host->vpt_mode), host->caps);
	return 0;

remove_debugfs:
	debugfs_remove(vlpi_mig_debugfs);
	vlpi_mig_seam_put();
	return ret;
}

/* No hook runs once unregistered: then no VM's state is used */
static void __exit vlpi_mig_exit(void)
{
	vlpi_mig_seam.vgic_mig_unregister(&vlpi_mig_ops);
	vlpi_mig_state_unregister();
	vlpi_mig_vm_free_all();
	debugfs_remove(vlpi_mig_debugfs);
	vlpi_mig_seam_put();
	pr_info("unloaded\n");
}

module_init(vlpi_mig_init);
module_exit(vlpi_mig_exit);

MODULE_DESCRIPTION("Migration of directly injected vLPI pending state");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(KVM_VGIC_MIG);
