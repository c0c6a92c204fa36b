// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: the whole pending-table save in one pass (the save_lpis hook).
 *
 * The vGIC's own save reads, and may write, a byte of guest RAM for each
 * LPI: for 8192 LPIs, thousands of guest accesses, each a memslot lookup
 * and a user copy, in the stop-and-copy downtime of every migration. This
 * pass gathers the bit of every LPI, software and forwarded, into two byte
 * maps per redistributor (which LPIs target it, and which of them are
 * pending), then reads each pending table's range once, merges, and writes
 * back the bytes that changed, in one range. The bits of INTIDs that have
 * no LPI are left as the guest has them, as the vGIC leaves them.
 *
 * It saves what the vGIC's walk would: it takes the save only when every
 * redistributor has its LPIs on and its whole pending table in guest RAM,
 * and otherwise hands the walk back to the vGIC (-ENOIOCTLCMD), which
 * calls vlpi_mig_save_vlpi() for each forwarded vLPI, so that every corner
 * (LPIs off, a table outside RAM) keeps the rules of save.c. An LPI past
 * the vITS's 16 INTID bits, which no guest can map (MAPTI refuses it) and
 * the vGIC refuses at restore, would have its bit past the table: it is
 * skipped and counted, never written.
 *
 * Locking: called with kvm->lock, every vcpu->mutex and config_lock held,
 * and on GICv4.1 every vITS's its_lock while the VPT window is open (from
 * save_begin, or from a late opening between two walks, to the end of the
 * gather); no vCPU runs. The LPIs are walked
 * under RCU without taking references: an LPI leaves lpi_xa only when its
 * last reference goes, and every lasting one (its ITE, the translation
 * cache, a vCPU's ap_list) is dropped only under a lock held here. An LPI
 * whose count a racing injection has just dropped to zero is skipped, as
 * vgic_get_irq() would skip it. Each LPI's hw and latch are read together
 * under its irq_lock, taken inside the RCU section, and a forwarded
 * vLPI's state under it again (save.c); guest RAM is touched only outside
 * the RCU section, once the window is closed.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/irqchip/arm-gic-v3.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <asm/kvm_mmu.h>
#include <kunit/visibility.h>

#include <kvm/arm_vgic.h>

#include "vlpi_mig.h"
#include "trace.h"

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
		u8 m = map->mask[map->first + i];

		new = (buf[i] & ~m) | (map->pend[map->first + i] & m);
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
	map->mask[byte] |= bit;
	if (pending)
		map->pend[byte] |= bit;
	map->first = min(map->first, byte);
	map->last = max(map->last, byte);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_map_add);

/**
 * vlpi_mig_map_init() - an empty map
 * @map: the map, zeroed
 */
VISIBLE_IF_KUNIT void vlpi_mig_map_init(struct vlpi_mig_rdist_map *map)
{
	map->first = VLPI_MIG_MAP_BYTES;
	map->last = 0;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_map_init);

/*
 * Whether every redistributor has LPIs on and its whole pending table in
 * guest RAM: then the one-pass save does what the vGIC's walk would.
 */
static bool vlpi_mig_tables_ready(struct kvm *kvm)
{
	struct kvm_vcpu *vcpu;
	bool ready = true;
	unsigned long i;
	gpa_t first, last;
	gfn_t gfn;
	int idx;
	u8 bit;

	idx = srcu_read_lock(&kvm->srcu);	/* for the memslots */
	kvm_for_each_vcpu(i, vcpu, kvm) {
		u64 pendbaser = vcpu->arch.vgic_cpu.pendbaser;

		/* The first and last LPIs locate the table, checked in range */
		ready = vlpi_mig_seam.vgic_lpis_enabled(vcpu) &&
			!vlpi_mig_pendtable_locate(pendbaser, VLPI_MIG_LPI_BASE,
						   VLPI_MIG_VITS_IDBITS,
						   &first, &bit) &&
			!vlpi_mig_pendtable_locate(pendbaser,
						   BIT(VLPI_MIG_VITS_IDBITS) - 1,
						   VLPI_MIG_VITS_IDBITS,
						   &last, &bit);
		if (!ready)
			break;
		for (gfn = gpa_to_gfn(first); ready && gfn <= gpa_to_gfn(last);
		     gfn++)
			ready = kvm_is_visible_gfn(kvm, gfn);
		if (!ready)
			break;
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return ready;
}

/*
 * Every LPI into the maps, in one walk under RCU (xas_for_each(): no
 * descent from the root for each LPI, as xa_for_each() makes). False if
 * it met a vLPI forwarded since the save began, before it counted any:
 * the window it needs cannot be opened under RCU, so the caller opens it
 * (vlpi_mig_save_window_late()) and walks again.
 */
static bool vlpi_mig_gather(struct kvm *kvm, struct vlpi_mig_vm *vm,
			    struct vlpi_mig_rdist_map *maps)
{
	struct vgic_dist *dist = &kvm->arch.vgic;
	XA_STATE(xas, &dist->lpi_xa, 0);
	bool pending, hw, late = false;
	struct kvm_vcpu *vcpu;
	unsigned long flags;
	struct vgic_irq *irq;

	rcu_read_lock();
	xas_for_each(&xas, irq, ULONG_MAX) {
		if (xas_retry(&xas, irq))
			continue;
		if (!kref_read(&irq->refcount))
			continue;
		vcpu = READ_ONCE(irq->target_vcpu);
		if (!vcpu)
			continue;

		/*
		 * Both at once: forwarding moves the latch to the vLPI, and
		 * unforward, which no lock of the save's excludes, moves it
		 * back, each under irq_lock
		 */
		raw_spin_lock_irqsave(&irq->irq_lock, flags);
		hw = irq->hw;
		pending = irq->pending_latch;
		raw_spin_unlock_irqrestore(&irq->irq_lock, flags);
		if (hw && vm->save_action == VLPI_MIG_READ &&
		    !vm->save_window && !vm->save_window_failed) {
			late = true;
			break;
		}
		if (hw) {
			pending = vlpi_mig_vlpi_pending(kvm, vm, irq);
			maps[vcpu->vcpu_idx].forwarded++;
		}
		if (vlpi_mig_map_add(&maps[vcpu->vcpu_idx], irq->intid,
				     pending)) {
			/* Past the table: only a VMM's restore could name it */
			atomic64_inc(&vm->stats.skipped);
			trace_vlpi_mig_skip(kvm, vm, vcpu, irq->intid, -1,
					    pending, -ERANGE);
			pr_err_ratelimited("VM %d: LPI %u not saved: past the vITS's %u INTID bits, so past its pending table\n",
					   kvm->userspace_pid, irq->intid,
					   VLPI_MIG_VITS_IDBITS);
			continue;
		}
		if (hw && pending)
			atomic64_inc(&vm->stats.saved_pending);
	}
	rcu_read_unlock();
	return !late;
}

/* One redistributor's table: read once, merged, written back once */
static int vlpi_mig_save_table(struct kvm *kvm, struct vlpi_mig_vm *vm,
			       struct kvm_vcpu *vcpu,
			       const struct vlpi_mig_rdist_map *map, u8 *buf)
{
	u32 intid = VLPI_MIG_LPI_BASE + map->first * BITS_PER_BYTE;
	struct vgic_dist *dist = &kvm->arch.vgic;
	size_t len, first = 0, n;
	gpa_t gpa;
	int ret;
	u8 bit;

	if (map->last < map->first)
		return 0;

	len = map->last - map->first + 1;
	ret = vlpi_mig_pendtable_locate(vcpu->arch.vgic_cpu.pendbaser, intid,
					VLPI_MIG_VITS_IDBITS, &gpa, &bit);
	/* vlpi_mig_tables_ready() located the whole table */
	if (WARN_ON_ONCE(ret))
		return -EFAULT;
	ret = kvm_read_guest_lock(kvm, gpa, buf, len);
	if (!ret) {
		n = vlpi_mig_merge_range(buf, map, len, &first);
		if (!n)
			return 0;
		/* As the vGIC writes its tables: no vCPU runs, for the dirty log */
		dist->table_write_in_progress = true;
		ret = kvm_write_guest_lock(kvm, gpa + first, buf + first, n);
		dist->table_write_in_progress = false;
	}
	if (ret) {
		/* Checked to be guest RAM just before: the VMM unmapped it */
		trace_vlpi_mig_skip(kvm, vm, vcpu, intid, -1, -1, -EFAULT);
		atomic64_add(map->forwarded, &vm->stats.skipped);
		pr_err_ratelimited("VM %d: vCPU %d's pending table at %pa not saved: %d\n",
				   kvm->userspace_pid, vcpu->vcpu_id, &gpa, ret);
		return -EFAULT;
	}
	return 0;
}

int vlpi_mig_save_lpis(struct kvm *kvm)
{
	struct vlpi_mig_rdist_map *maps;
	struct vlpi_mig_vm *vm;
	struct kvm_vcpu *vcpu;
	unsigned long i;
	int ret = 0;
	u8 *buf;

	vlpi_mig_assert_save_locks(kvm, NULL);
	/* save_begin() created it, and it lives as long as the VM */
	vm = vlpi_mig_vm_find(kvm);
	if (WARN_ON_ONCE(!vm) || !vlpi_mig_tables_ready(kvm))
		return -ENOIOCTLCMD;

	maps = kvcalloc(atomic_read(&kvm->online_vcpus), sizeof(*maps),
			GFP_KERNEL_ACCOUNT);
	buf = kvmalloc(VLPI_MIG_MAP_BYTES, GFP_KERNEL_ACCOUNT);
	if (!maps || !buf) {
		ret = -ENOIOCTLCMD;
		goto out;
	}
	kvm_for_each_vcpu(i, vcpu, kvm)
		vlpi_mig_map_init(&maps[i]);

	if (!vlpi_mig_gather(kvm, vm, maps)) {
		/* Open or failed, the window is not asked for again */
		vlpi_mig_save_window_late(kvm, vm);
		kvm_for_each_vcpu(i, vcpu, kvm)
			vlpi_mig_map_init(&maps[i]);
		vlpi_mig_gather(kvm, vm, maps);
	}
	vlpi_mig_save_window_close(kvm, vm);

	/* One table outside guest RAM stops no other's, as in save.c */
	kvm_for_each_vcpu(i, vcpu, kvm)
		ret = vlpi_mig_save_table(kvm, vm, vcpu, &maps[i], buf) ?: ret;
	atomic64_inc(&vm->stats.full_saves);
out:
	kvfree(buf);
	kvfree(maps);
	return ret;
}
