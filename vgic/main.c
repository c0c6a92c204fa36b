// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: migrate the pending state of directly injected vLPIs.
 *
 * Module load and unload. The module plugs into the vGIC through the hooks
 * of <kvm/arm_vgic_mig.h>; see Documentation/vlpi-mig/design.rst.
 *
 * Locking order (outermost first), for every file of the module, in
 * addition to the vGIC's own (arch/arm64/kvm/vgic/vgic.c):
 *
 * kvm->lock, vcpu->mutex, kvm->arch.config_lock, its->its_lock
 *     (whichever the vGIC holds when it calls a hook that may sleep: both
 *     saves hold the first three; the ITS save its vITS's its_lock too,
 *     and the pending-table save on GICv4.1 every vITS's, until the
 *     module maps the vPEs back with vgic_mig_map_vpes())
 *   vgic_mig_srcu (read side: every hook)
 *     vlpi_mig_vms_lock (mutex: per-VM state created or freed, a VM
 *         pinning the module, the debugfs walk of every VM)
 *       vlpi_mig_vms.xa_lock (spinlock)
 *       debugfs's own locks (a VM's directory created or removed;
 *           removing it waits for a reader of its vlpis file)
 *     kvm->srcu (read side: the pending tables, through
 *         vgic_mig_pend_table())
 * RCU read side (the save's walk of the LPIs; a VM's vlpis file)
 *   vgic_irq->irq_lock (raw), to read each LPI's forwarding and state
 *     irq_desc->lock of the host IRQ (raw: irq_get_irqchip_state())
 * kvm->irqfds.lock (spinlock, IRQs off: a GSI route change)
 *   vgic_irq->irq_lock (raw: the forward and unforward hooks, also taken
 *       under its->its_lock by set-forwarding)
 *     vgic_mig_srcu (read side)
 *       irq_desc->lock of the host IRQ (raw: irq_set_irqchip_state())
 *
 * The hooks called under irq_lock take no lock of the module's: per-VM
 * state is only looked up there (RCU), what they note goes in its bitmaps
 * with atomic bit operations, and their trace events take no lock.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/timekeeping.h>

#include "../uapi/vlpi_mig.h"
#include "vlpi_mig.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

struct vlpi_mig_host vlpi_mig_host;

static struct dentry *vlpi_mig_debugfs;

static const struct vgic_mig_ops vlpi_mig_ops = {
	.attr			= vlpi_mig_attr,
	.save_pending_tables	= vlpi_mig_save_pending_tables,
	.its_save_vlpi		= vlpi_mig_its_save_vlpi,
	.forward		= vlpi_mig_forward,
	.unforward		= vlpi_mig_unforward,
	.vm_create		= vlpi_mig_vm_create,
	.vm_destroy		= vlpi_mig_vm_destroy,
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

/* The CAPS of a VM created now, under the default policy */
static int caps_get(void *data, u64 *val)
{
	*val = vlpi_mig_vm_caps(NULL);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(caps_fops, caps_get, NULL, "%#llx\n");

static int __init vlpi_mig_init(void)
{
	struct vlpi_mig_host *host = &vlpi_mig_host;
	int ret;

	/* Before any VM's state, whose directory goes in it */
	vlpi_mig_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("vms", 0444, vlpi_mig_debugfs, NULL, &vms_fops);
	debugfs_create_file("stats", 0444, vlpi_mig_debugfs, NULL,
			    &stats_fops);
	vlpi_mig_vm_fault_init(vlpi_mig_debugfs);
	vlpi_mig_save_debugfs_init(vlpi_mig_debugfs);
	vlpi_mig_vpt_debugfs_init(vlpi_mig_debugfs);
	vlpi_mig_vm_debugfs_init(vlpi_mig_debugfs);

	host->loaded_ns = ktime_get_boottime_ns();
	ret = vgic_mig_register(&vlpi_mig_ops, &host->info);
	if (ret) {
		pr_err("cannot register with the vGIC: %d\n", ret);
		debugfs_remove(vlpi_mig_debugfs);
		return ret;
	}

	debugfs_create_file_unsafe("caps", 0444, vlpi_mig_debugfs, NULL,
				   &caps_fops);
	pr_info("loaded: GIC %s, direct injection %s, VPT access: %s, caps %#llx\n",
		!host->info.has_gicv4 ? "v3 or v4 unused" :
		host->info.has_gicv4_1 ? "v4.1" : "v4.0",
		host->info.has_gicv4 ? "on" : "off",
		vlpi_mig_vpt_mode_name(vlpi_mig_vpt()), vlpi_mig_vm_caps(NULL));
	return 0;
}

/* No hook runs once unregistered: then no VM's state is used */
static void __exit vlpi_mig_exit(void)
{
	vgic_mig_unregister(&vlpi_mig_ops);
	vlpi_mig_vm_free_all();
	debugfs_remove(vlpi_mig_debugfs);
	pr_info("unloaded\n");
}

module_init(vlpi_mig_init);
module_exit(vlpi_mig_exit);

MODULE_DESCRIPTION("Migration of directly injected vLPI pending state");
MODULE_LICENSE("GPL");
MODULE_VERSION(VLPI_MIG_VERSION);
VGIC_MIG_IMPORT_NS();
