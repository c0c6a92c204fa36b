// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: the pending tables' save, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES,
 * and what KVM_DEV_ARM_ITS_SAVE_TABLES does with a forwarded ITE.
 *
 * A forwarded vLPI's pending bit is in its vPE's VPT, not in the vGIC. On
 * GICv4.1 the vGIC unmaps every vPE before the save, holding every vITS's
 * its_lock so that no forwarding is set up meanwhile; the ITS driver then
 * answers for a vLPI of each vPE, whose whole VPT that unmap made
 * coherent (irqchip/vpt.c). The save maps them back as soon as it has
 * read them all, before it touches guest RAM.
 * On GICv4.0 the bit cannot be read: the VM's policy says whether the
 * save gives every forwarded vLPI as pending (a spurious interrupt on the
 * destination rather than a lost one), or whether the ITS save refuses,
 * so that a VMM does not migrate what would be lost.
 *
 * The save is one pass: the bit of every LPI, software and forwarded,
 * goes into two byte maps per redistributor (which LPIs target it, which
 * of them are pending); then each redistributor's pending table is read
 * once over the range those LPIs cover, merged and written back once.
 * The bits of INTIDs that have no LPI are left as the guest has them, as
 * the vGIC leaves them. A redistributor with its LPIs off has no pending
 * table, whatever GICR_PENDBASER still says (the guest may use that
 * memory for anything), so nothing is written for it. An LPI whose byte
 * of the table is not guest RAM is skipped, and the save ends with
 * -EFAULT once every other is written, the error the vGIC returns and
 * QEMU tolerates; where only part of a table is guest RAM, its bytes are
 * written one by one. Which it is, the save finds out only when a table
 * cannot be read (a read of each of its pages, and a second walk of the
 * LPIs): a table in guest RAM costs one read and one write. An LPI past
 * the vITS's 16 INTID bits, which only a VMM's restored table can name,
 * would have its bit past the table: it is skipped and counted.
 * Forwarded vLPIs skipped are counted, traced and logged.
 *
 * QEMU saves the pending tables on every VM stop and aborts on any error
 * but EFAULT: no forwarded vLPI fails this save. Where the ITS save before
 * it kept forwarded ITEs, this save follows what that ITS save promised,
 * even if the VMM wrote another POLICY in between, so that the tables of
 * one migration agree.
 *
 * Locking: both saves are called with kvm->lock, every vcpu->mutex and
 * kvm->arch.config_lock held (the ITS save with its vITS's its_lock too),
 * so no vCPU runs. The LPIs are walked under RCU without references: an
 * LPI leaves lpi_xa only when its last reference goes, and every lasting
 * one (its ITE, the translation cache, a vCPU's ap_list) is dropped only
 * under a lock held here; an LPI whose count a racing injection has just
 * dropped to zero is skipped, as vgic_get_irq() skips it. Each LPI's
 * forwarding, latch and vLPI state are read together under its irq_lock,
 * which forwarding being set up or torn down (VFIO, a route change) takes
 * too. Guest RAM is touched only outside the RCU section.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fault-inject.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/slab.h>
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
 * Return: true on GICv4.1.
 */
bool vlpi_mig_state_readable(enum vlpi_mig_vpt_mode mode)
{
	return mode == VLPI_MIG_VPT_GICV4_1;
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

/*
 * Test-only: how long a pending-table save waits once it has read every
 * LPI, so that a test can see what waits on the save (debugfs
 * save_hold_ms; 0, the default, waits not at all).
 */
static u32 vlpi_mig_save_hold_ms;

/* Fault point for the tests: the save's own memory cannot be had */
static DECLARE_FAULT_ATTR(vlpi_mig_fail_save_alloc);

/**
 * vlpi_mig_save_debugfs_init() - expose the save's test-only points
 * @parent: the module's debugfs directory
 */
void vlpi_mig_save_debugfs_init(struct dentry *parent)
{
	debugfs_create_u32("save_hold_ms", 0600, parent,
			   &vlpi_mig_save_hold_ms);
	fault_create_debugfs_attr("fail_save_alloc", parent,
				  &vlpi_mig_fail_save_alloc);
}

/**
 * vlpi_mig_assert_save_locks() - what the vGIC holds around both saves
 * @kvm: the VM
 * @vcpu: the vCPU an LPI targets, whose mutex alone is checked, or NULL
 *	to check every vCPU's
 *
 * Checking a vCPU's mutex scans every lock the task holds: a hook called
 * for one LPI checks its target's only.
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

/* A table byte with the map's LPIs' bits saved, the others left alone */
static u8 vlpi_mig_merge_byte(const struct vlpi_mig_rdist_map *map,
			      size_t byte, u8 val)
{
	u8 m = map->mask[byte];

	return (val & ~m) | (map->pend[byte] & m);
}

/**
 * vlpi_mig_merge_range() - merge a redistributor's LPIs into its table
 * @buf: bytes of the pending table, from byte @first of the map on
 * @map: the redistributor's LPIs
 * @len: bytes in @buf
 * @changed_first: the first byte of @buf changed, on return
 *
 * Each LPI's bit takes its saved state; every other bit is left alone.
 *
 * Return: how many bytes from @changed_first on must be written back; 0
 * if none changed.
 */
VISIBLE_IF_KUNIT size_t vlpi_mig_merge_range(u8 *buf,
					     const struct vlpi_mig_rdist_map *map,
					     size_t len, size_t *changed_first)
{
	size_t i, lo = len, hi = 0;
	u8 new;

	for (i = 0; i < len; i++) {
		new = vlpi_mig_merge_byte(map, map->first + i, buf[i]);
		if (new == buf[i])
			continue;
		buf[i] = new;
		lo = min(lo, i);
		hi = i;
	}
	if (lo == len)
		return 0;
	*changed_first = lo;
	return hi - lo + 1;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_merge_range);

/**
 * vlpi_mig_map_add() - note an LPI in its redistributor's map
 * @map: the map
 * @intid: the LPI
 * @pending: whether to save it pending
 *
 * Return: 0, or -ERANGE for an INTID no map holds.
 */
VISIBLE_IF_KUNIT int vlpi_mig_map_add(struct vlpi_mig_rdist_map *map,
				      u32 intid, bool pending)
{
	u32 byte;
	u8 bit;

	if (intid < VLPI_MIG_LPI_BASE || intid >= BIT(VLPI_MIG_VITS_IDBITS))
		return -ERANGE;

	byte = intid / BITS_PER_BYTE - VLPI_MIG_MAP_START;
	bit = BIT(intid % BITS_PER_BYTE);
	/* The bytes the range grows over are zeroed as it grows */
	if (map->last < map->first) {
		map->mask[byte] = 0;
		map->pend[byte] = 0;
		map->first = byte;
		map->last = byte;
	} else if (byte < map->first) {
		memset(&map->mask[byte], 0, map->first - byte);
		memset(&map->pend[byte], 0, map->first - byte);
		map->first = byte;
	} else if (byte > map->last) {
		memset(&map->mask[map->last + 1], 0, byte - map->last);
		memset(&map->pend[map->last + 1], 0, byte - map->last);
		map->last = byte;
	}
	map->mask[byte] |= bit;
	if (pending)
		map->pend[byte] |= bit;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_map_add);

/**
 * vlpi_mig_map_init() - an empty map
 * @map: the map; its bytes need not be zeroed, vlpi_mig_map_add() zeroes
 *	each as the map's range first covers it
 *
 * A save has a map per vCPU, each of two bytes per eight LPIs of the
 * vITS (14 KiB): zeroed whole, that is the same at every save, however
 * few LPIs the VM has.
 */
VISIBLE_IF_KUNIT void vlpi_mig_map_init(struct vlpi_mig_rdist_map *map)
{
	map->first = VLPI_MIG_MAP_BYTES;
	map->last = 0;
	map->forwarded = 0;
	map->forwarded_pending = 0;
	map->table = 0;
	map->pages = 0;
	map->vpt_coherent = false;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_map_init);

/**
 * struct vlpi_mig_save - one pending-table save in progress
 * @kvm: the VM
 * @vm: its state
 * @action: what it does with forwarded vLPIs
 * @unreadable: forwarded vLPIs whose state could not be read
 * @first_unreadable: the first of them, for the log
 * @err: -EFAULT once an LPI's bit had no place in guest RAM
 * @place: a table turned out not to be all guest RAM, or not to be there
 */
struct vlpi_mig_save {
	struct kvm *kvm;
	struct vlpi_mig_vm *vm;
	enum vlpi_mig_action action;
	unsigned int unreadable;
	u32 first_unreadable;
	int err;
	bool place;
};

/*
 * A forwarded vLPI's bit in its VPT, with its irq_lock held. The ITS
 * driver is asked for the first vLPI of each vPE in the save; its answer
 * holds for the whole VPT while the save keeps the vPE unmapped, so the
 * others are read there directly. KVM maps each forwarded vLPI at its own
 * INTID on its target vCPU's vPE, and changes that only under its
 * irq_lock: the bit is the one the driver would read.
 */
static int vlpi_mig_vlpi_read(struct vgic_irq *irq,
			      struct vlpi_mig_rdist_map *map, bool *pending)
{
	struct kvm_vcpu *vcpu = irq->target_vcpu;
	int ret;

	if (map && map->vpt_coherent) {
		*pending = vlpi_mig_vpt_test(&vcpu->arch.vgic_cpu.vgic_v3.its_vpe,
					     irq->intid);
		return 0;
	}
	ret = vlpi_mig_vpt_read(irq->host_irq, pending);
	if (!ret && map)
		map->vpt_coherent = true;
	return ret;
}

/*
 * The state to save for a forwarded vLPI, with its irq_lock held; @map is
 * its redistributor's, NULL if it has no target. One whose state cannot
 * be read is saved from its latch, as the vGIC saves it on GICv4.0,
 * counted and logged: the save does not fail for it.
 */
static bool vlpi_mig_vlpi_pending(struct vlpi_mig_save *s,
				  struct vgic_irq *irq,
				  struct vlpi_mig_rdist_map *map)
{
	bool pending = false;
	int ret = 0;

	switch (s->action) {
	case VLPI_MIG_READ:
		ret = vlpi_mig_vlpi_read(irq, map, &pending);
		if (!ret)
			vlpi_mig_vm_hold(s->vm, irq->intid, pending, true);
		break;
	case VLPI_MIG_ALL_PENDING:
		pending = true;
		break;
	default:
		ret = -EACCES;
		break;
	}
	/* A latch set before forwarding was set up is pending too */
	pending |= irq->pending_latch;

	trace_vlpi_mig_save(s->kvm, s->vm, irq->target_vcpu, irq->intid,
			    irq->host_irq, pending, ret);
	if (ret) {
		atomic64_inc(&s->vm->stats.unreadable);
		if (!s->unreadable++)
			s->first_unreadable = irq->intid;
		if (ret != -EACCES)
			pr_err_ratelimited("VM %d: vLPI %u (host IRQ %d): reading its pending state failed: %d\n",
					   s->kvm->userspace_pid, irq->intid,
					   irq->host_irq, ret);
	}
	return pending;
}

/*
 * Where a redistributor's pending table is, once reading it failed: 0 if
 * it is all guest RAM, VLPI_MIG_TABLE_PARTIAL if only some of its pages
 * are (map->pages says which), -ENOENT if there is none (LPIs off, or no
 * address given), -EFAULT if none of it is guest RAM. A byte of each page
 * of the table's LPI bytes is read to find out.
 */
static int vlpi_mig_table_prep(struct kvm_vcpu *vcpu,
			       struct vlpi_mig_rdist_map *map)
{
	u32 off, end = VLPI_MIG_MAP_START + VLPI_MIG_MAP_BYTES;
	unsigned int page, pages = 0;
	int ret;
	u8 b;

	map->pages = 0;
	for (off = VLPI_MIG_MAP_START; off < end;
	     off = round_down(off, PAGE_SIZE) + PAGE_SIZE) {
		page = off >> PAGE_SHIFT;
		ret = vgic_mig_pend_table(vcpu, off * BITS_PER_BYTE, &b, 1,
					  false);
		if (ret == -ENOENT)
			return ret;
		if (!ret)
			map->pages |= BIT(page);
		pages++;
	}
	if (!map->pages)
		return -EFAULT;
	return hweight32(map->pages) == pages ? 0 : VLPI_MIG_TABLE_PARTIAL;
}

/*
 * Whether an LPI's bit has a place in its redistributor's table: 0, or
 * why not. A forwarded vLPI with none is counted, traced and logged.
 */
static int vlpi_mig_lpi_placed(struct vlpi_mig_save *s, struct kvm_vcpu *vcpu,
			       const struct vlpi_mig_rdist_map *map, u32 intid,
			       int host_irq, bool pending)
{
	int ret = map->table;

	if (intid >= BIT(VLPI_MIG_VITS_IDBITS))
		ret = -ERANGE;
	else if (ret == VLPI_MIG_TABLE_PARTIAL)
		ret = map->pages & BIT((intid / BITS_PER_BYTE) >> PAGE_SHIFT) ?
		      0 : -EFAULT;
	if (!ret)
		return 0;

	if (ret == -EFAULT)
		s->err = -EFAULT;
	if (host_irq < 0 && ret != -ERANGE)
		return ret;
	atomic64_inc(&s->vm->stats.skipped);
	trace_vlpi_mig_skip(s->kvm, s->vm, vcpu, intid, host_irq, pending, ret);
	if (ret == -ENOENT)
		pr_info_ratelimited("VM %d: vLPI %u%s not saved: its redistributor has no pending table (LPIs off)\n",
				    s->kvm->userspace_pid, intid,
				    pending ? " (pending)" : "");
	else if (ret == -ERANGE)
		pr_err_ratelimited("VM %d: LPI %u not saved: past the vITS's %u INTID bits, so past its pending table\n",
				   s->kvm->userspace_pid, intid,
				   VLPI_MIG_VITS_IDBITS);
	else
		pr_err_ratelimited("VM %d: vLPI %u not saved: its byte of vCPU %d's pending table (GICR_PENDBASER %#llx) is not guest RAM\n",
				   s->kvm->userspace_pid, intid, vcpu->vcpu_id,
				   vcpu->arch.vgic_cpu.pendbaser);
	return ret;
}

/*
 * Every LPI into the maps, in one walk under RCU. Each map's table is
 * taken to be all guest RAM (map->table is 0): only an LPI past the
 * vITS's INTIDs has no place in it here.
 */
static void vlpi_mig_gather(struct vlpi_mig_save *s,
			    struct vlpi_mig_rdist_map *maps)
{
	XA_STATE(xas, &s->kvm->arch.vgic.lpi_xa, 0);
	struct vlpi_mig_rdist_map *map;
	struct kvm_vcpu *vcpu;
	unsigned long flags;
	struct vgic_irq *irq;
	int host_irq;
	bool pending;

	rcu_read_lock();
	xas_for_each(&xas, irq, ULONG_MAX) {
		if (xas_retry(&xas, irq) || !vgic_mig_lpi_live(irq))
			continue;

		raw_spin_lock_irqsave(&irq->irq_lock, flags);
		vcpu = irq->target_vcpu;
		map = vcpu ? &maps[vcpu->vcpu_idx] : NULL;
		host_irq = irq->hw ? irq->host_irq : -1;
		pending = irq->hw ? vlpi_mig_vlpi_pending(s, irq, map) :
				    irq->pending_latch;
		raw_spin_unlock_irqrestore(&irq->irq_lock, flags);
		if (!map)
			continue;

		if (vlpi_mig_lpi_placed(s, vcpu, map, irq->intid, host_irq,
					pending))
			continue;
		vlpi_mig_map_add(map, irq->intid, pending);
		if (host_irq >= 0) {
			map->forwarded++;
			map->forwarded_pending += pending;
		}
	}
	rcu_read_unlock();
}

/*
 * Where redistributors' tables turned out not to be all guest RAM, or not
 * to be there (map->table not 0): the LPIs of their maps that have no
 * place in them are counted, traced, logged and taken out, as
 * vlpi_mig_gather() would have done had it known, and their forwarded
 * vLPIs counted again. One more walk of every LPI, however many tables,
 * for what only a VMM's GICR_PENDBASER or a guest's LPIs turned off lead
 * to; the state saved is the one the maps have.
 */
static void vlpi_mig_place(struct vlpi_mig_save *s,
			   struct vlpi_mig_rdist_map *maps)
{
	XA_STATE(xas, &s->kvm->arch.vgic.lpi_xa, 0);
	struct vlpi_mig_rdist_map *map;
	struct kvm_vcpu *vcpu;
	unsigned long flags, i;
	struct vgic_irq *irq;
	bool pending;
	int host_irq;
	u32 byte;
	u8 bit;

	kvm_for_each_vcpu(i, vcpu, s->kvm) {
		if (!maps[i].table)
			continue;
		maps[i].forwarded = 0;
		maps[i].forwarded_pending = 0;
	}
	rcu_read_lock();
	xas_for_each(&xas, irq, BIT(VLPI_MIG_VITS_IDBITS) - 1) {
		if (xas_retry(&xas, irq) || !vgic_mig_lpi_live(irq))
			continue;

		raw_spin_lock_irqsave(&irq->irq_lock, flags);
		vcpu = irq->target_vcpu;
		host_irq = irq->hw ? irq->host_irq : -1;
		raw_spin_unlock_irqrestore(&irq->irq_lock, flags);
		if (!vcpu || !maps[vcpu->vcpu_idx].table)
			continue;

		map = &maps[vcpu->vcpu_idx];
		byte = irq->intid / BITS_PER_BYTE - VLPI_MIG_MAP_START;
		bit = BIT(irq->intid % BITS_PER_BYTE);
		if (byte < map->first || byte > map->last ||
		    !(map->mask[byte] & bit))
			continue;

		pending = map->pend[byte] & bit;
		if (vlpi_mig_lpi_placed(s, vcpu, map, irq->intid, host_irq,
					pending)) {
			map->mask[byte] &= ~bit;
			map->pend[byte] &= ~bit;
		} else if (host_irq >= 0) {
			map->forwarded++;
			map->forwarded_pending += pending;
		}
	}
	rcu_read_unlock();
}

/*
 * The map's range of a redistributor's table, read, merged and written
 * back: in one range, or byte by byte where only some of the table is
 * guest RAM
 */
static int vlpi_mig_merge_table(struct kvm_vcpu *vcpu,
				const struct vlpi_mig_rdist_map *map, u8 *buf)
{
	u32 intid = VLPI_MIG_LPI_BASE + map->first * BITS_PER_BYTE;
	size_t i, len = map->last - map->first + 1, first = 0, n;
	int ret;

	if (map->table != VLPI_MIG_TABLE_PARTIAL) {
		ret = vgic_mig_pend_table(vcpu, intid, buf, len, false);
		if (ret)
			return ret;
		n = vlpi_mig_merge_range(buf, map, len, &first);
		return n ? vgic_mig_pend_table(vcpu,
					       intid + first * BITS_PER_BYTE,
					       buf + first, n, true) : 0;
	}

	/* Only the bytes of LPIs vlpi_mig_lpi_placed() found in RAM */
	for (i = 0; i < len; i++) {
		u32 at = intid + i * BITS_PER_BYTE;
		u8 val, new;

		if (!map->mask[map->first + i])
			continue;
		ret = vgic_mig_pend_table(vcpu, at, &val, 1, false);
		if (ret)
			return ret;
		new = vlpi_mig_merge_byte(map, map->first + i, val);
		if (new != val)
			ret = vgic_mig_pend_table(vcpu, at, &new, 1, true);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * One redistributor's table: read once, merged, written back once. Where
 * it cannot be read, the save finds out which of its pages are guest RAM
 * (a read of each page, which a table in guest RAM is spared) and leaves
 * it for a second call, once vlpi_mig_place() has taken out the LPIs with
 * no place in it.
 */
static int vlpi_mig_save_table(struct vlpi_mig_save *s, struct kvm_vcpu *vcpu,
			       struct vlpi_mig_rdist_map *map, u8 *buf)
{
	int ret;

	/* No LPI, or (placed) none with a place */
	if (map->last < map->first || map->table < 0)
		return 0;

	ret = vlpi_mig_merge_table(vcpu, map, buf);
	if (!map->table && (ret == -ENOENT || ret == -EFAULT)) {
		map->table = vlpi_mig_table_prep(vcpu, map);
		/* All of it readable: a write failed, and it is not saved */
		if (map->table) {
			s->place = true;
			return 0;
		}
	}
	if (!ret) {
		atomic64_add(map->forwarded_pending, &s->vm->stats.saved_pending);
		return 0;
	}

	/* Guest RAM it was found in, the VMM unmapped or made read-only */
	trace_vlpi_mig_skip(s->kvm, s->vm, vcpu,
			    VLPI_MIG_LPI_BASE + map->first * BITS_PER_BYTE, -1,
			    -1, -EFAULT);
	atomic64_add(map->forwarded, &s->vm->stats.skipped);
	pr_err_ratelimited("VM %d: vCPU %d's pending table (GICR_PENDBASER %#llx) not saved: %d\n",
			   s->kvm->userspace_pid, vcpu->vcpu_id,
			   vcpu->arch.vgic_cpu.pendbaser, ret);
	return -EFAULT;
}

int vlpi_mig_save_pending_tables(struct kvm *kvm)
{
	struct vlpi_mig_save s = { .kvm = kvm };
	struct vlpi_mig_rdist_map *maps = NULL;
	struct kvm_vcpu *vcpu;
	u8 *buf = NULL;
	unsigned long i;
	int ret = 0;
	u32 hold;

	vlpi_mig_assert_save_locks(kvm, NULL);
	if (!kvm->arch.vgic.its_vm.nr_vpes)
		return -ENOIOCTLCMD;

	s.vm = vlpi_mig_vm_find_or_create(kvm);
	if (IS_ERR(s.vm)) {
		pr_err("VM %d: no memory for the module's state: the vGIC saves its pending tables, as upstream\n",
		       kvm->userspace_pid);
		return -ENOIOCTLCMD;
	}

	/* The ITS save before this one kept forwarded ITEs: as it said */
	if (s.vm->its_saved)
		s.action = s.vm->its_action;
	else
		s.action = vlpi_mig_save_action(vlpi_mig_vpt(),
						vlpi_mig_vm_policy(s.vm));
	s.vm->its_saved = false;
	if (s.action == VLPI_MIG_UPSTREAM)
		return -ENOIOCTLCMD;

	if (!should_fail(&vlpi_mig_fail_save_alloc, 1)) {
		maps = kvmalloc_array(atomic_read(&kvm->online_vcpus),
				      sizeof(*maps), GFP_KERNEL_ACCOUNT);
		buf = kvmalloc(VLPI_MIG_MAP_BYTES, GFP_KERNEL_ACCOUNT);
	}
	if (!maps || !buf) {
		pr_err_ratelimited("VM %d: no memory for the save: the vGIC saves its pending tables, as upstream\n",
				   kvm->userspace_pid);
		ret = -ENOIOCTLCMD;
		goto out;
	}

	/* What this save reads, unforward may keep until a vCPU runs */
	if (s.action == VLPI_MIG_READ)
		vlpi_mig_vm_quiet(s.vm);
	kvm_for_each_vcpu(i, vcpu, kvm)
		vlpi_mig_map_init(&maps[i]);
	vlpi_mig_gather(&s, maps);
	/* Every vLPI read: forwarding need not wait for the writes */
	vgic_mig_map_vpes(kvm);

	hold = READ_ONCE(vlpi_mig_save_hold_ms);
	if (hold)
		msleep(hold);

	/* One table outside guest RAM stops no other's */
	kvm_for_each_vcpu(i, vcpu, kvm)
		ret = vlpi_mig_save_table(&s, vcpu, &maps[i], buf) ?: ret;
	if (s.place) {
		vlpi_mig_place(&s, maps);
		kvm_for_each_vcpu(i, vcpu, kvm)
			if (maps[i].table)
				ret = vlpi_mig_save_table(&s, vcpu, &maps[i],
							  buf) ?: ret;
	}
	ret = ret ?: s.err;
	atomic64_inc(&s.vm->stats.full_saves);

	if (s.unreadable)
		pr_warn_ratelimited("VM %d: %u forwarded vLPI(s) unreadable (LPI %u first), saved from their latch: a pending one is lost (VPT access: %s)\n",
				    kvm->userspace_pid, s.unreadable,
				    s.first_unreadable,
				    vlpi_mig_vpt_mode_name(vlpi_mig_vpt()));
out:
	kvfree(buf);
	kvfree(maps);
	return ret;
}

int vlpi_mig_its_save_vlpi(struct kvm *kvm, struct vgic_irq *irq)
{
	struct kvm_vcpu *vcpu = READ_ONCE(irq->target_vcpu);
	enum vlpi_mig_action action;
	struct vlpi_mig_vm *vm;

	vlpi_mig_assert_save_locks(kvm, vcpu);
	vm = vlpi_mig_vm_find_or_create(kvm);
	if (IS_ERR(vm))
		return PTR_ERR(vm);

	action = vlpi_mig_save_action(vlpi_mig_vpt(),
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
				    vlpi_mig_vpt_mode_name(vlpi_mig_vpt()));
		return -EACCES;
	default:
		return -ENOIOCTLCMD;	/* upstream's answer */
	}
}
