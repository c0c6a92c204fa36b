// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: reading a vLPI's pending bit in its vPE's VPT.
 *
 * GICv4.1 defines when the VPT of a vPE is coherent in memory: after a
 * VMAPP with V=0 has completed. The ITS driver knows when that is, and
 * answers IRQCHIP_STATE_PENDING for a forwarded LPI only then; the module
 * holds no state of its own about mappings. GICv4.0 defines no such
 * point, so there a vLPI's pending bit cannot be read at all.
 */

#include <linux/debugfs.h>
#include <linux/interrupt.h>
#include <linux/irqchip/arm-gic-v4.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <kunit/visibility.h>

#include "vpt.h"

/**
 * vlpi_mig_vpt_mode() - decide whether VPTs may be read on this host
 * @has_gicv4: the host vGIC injects vLPIs directly
 * @has_gicv4_1: with GICv4.1
 *
 * Return: the VPT access mode.
 */
enum vlpi_mig_vpt_mode vlpi_mig_vpt_mode(bool has_gicv4, bool has_gicv4_1)
{
	if (!has_gicv4)
		return VLPI_MIG_VPT_NONE;
	return has_gicv4_1 ? VLPI_MIG_VPT_GICV4_1 : VLPI_MIG_VPT_UNREADABLE;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_vpt_mode);

/**
 * vlpi_mig_vpt_mode_name() - the name of a VPT access mode, for logs
 * @mode: the mode
 *
 * Return: a static string.
 */
const char *vlpi_mig_vpt_mode_name(enum vlpi_mig_vpt_mode mode)
{
	switch (mode) {
	case VLPI_MIG_VPT_NONE:
		return "none (no direct injection)";
	case VLPI_MIG_VPT_UNREADABLE:
		return "unreadable (GICv4.0)";
	case VLPI_MIG_VPT_GICV4_1:
		return "GICv4.1 (coherent after VMAPP V=0)";
	}
	return "unknown";
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_vpt_mode_name);

/**
 * vlpi_mig_vpt_read() - read a forwarded vLPI's pending bit
 * @host_irq: the host IRQ forwarded as the vLPI
 * @pending: its pending bit, on success
 *
 * Does not sleep. The caller keeps the vLPI forwarded (its irq_lock) and
 * its vPE unmapped for the answer to stay true.
 *
 * Return: 0; -EACCES if the ITS driver does not know the VPT to be
 * coherent (the vPE is mapped, or the GIC is not GICv4.1).
 */
int vlpi_mig_vpt_read(int host_irq, bool *pending)
{
	return irq_get_irqchip_state(host_irq, IRQCHIP_STATE_PENDING, pending);
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_vpt_read);

/**
 * vlpi_mig_vpt_test() - read a vLPI's bit in a VPT known to be coherent
 * @vpe: the vPE
 * @vintid: the vLPI's INTID in @vpe
 *
 * The coherency a VMAPP with V=0 gives is the whole VPT's: once
 * vlpi_mig_vpt_read() has answered for one vLPI of @vpe, and while the
 * caller keeps @vpe unmapped, every other bit of its VPT is read here as
 * the ITS driver reads it, without the driver's lookup of each IRQ. Does
 * not sleep.
 *
 * Return: whether the bit is set.
 */
bool vlpi_mig_vpt_test(const struct its_vpe *vpe, u32 vintid)
{
	const u8 *vpt = page_address(vpe->vpt_page);

	return READ_ONCE(vpt[vintid / BITS_PER_BYTE]) &
	       BIT(vintid % BITS_PER_BYTE);
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_vpt_test);

/*
 * Test-only (debugfs vpt_read): write a host IRQ number, read back what
 * vlpi_mig_vpt_read() answers for it now, "<ret> <pending>", so that a
 * test can see the ITS driver refuse outside a save.
 */
static int vlpi_mig_vpt_read_irq = -1;

static int vpt_read_show(struct seq_file *m, void *v)
{
	bool pending = false;
	int ret;

	ret = vlpi_mig_vpt_read(READ_ONCE(vlpi_mig_vpt_read_irq), &pending);
	seq_printf(m, "%d %d\n", ret, pending);
	return 0;
}

static int vpt_read_open(struct inode *inode, struct file *file)
{
	return single_open(file, vpt_read_show, NULL);
}

static ssize_t vpt_read_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	int irq, ret;

	ret = kstrtoint_from_user(ubuf, len, 0, &irq);
	if (ret)
		return ret;
	WRITE_ONCE(vlpi_mig_vpt_read_irq, irq);
	return len;
}

static const struct file_operations vpt_read_fops = {
	.owner		= THIS_MODULE,
	.open		= vpt_read_open,
	.read		= seq_read,
	.write		= vpt_read_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

/**
 * vlpi_mig_vpt_debugfs_init() - expose the test-only vpt_read file
 * @parent: the module's debugfs directory
 */
void vlpi_mig_vpt_debugfs_init(struct dentry *parent)
{
	debugfs_create_file("vpt_read", 0600, parent, NULL, &vpt_read_fops);
}
