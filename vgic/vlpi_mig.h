/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vlpi-mig: state shared by the files of the module.
 */
#ifndef __VLPI_MIG_H
#define __VLPI_MIG_H

#include <linux/kvm_types.h>
#include <linux/atomic.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

/*
 * The kernel must carry the enabling series (patches/), at the version
 * this module is written for: see Documentation/vlpi-mig/admin-guide.rst,
 * "Installing". scripts/seam-check.sh makes the same check for DKMS.
 * (sparse knows no __has_include, even where it need not be evaluated.)
 */
#define VLPI_MIG_VGIC_VERSION	3

#ifndef __CHECKER__
#if !__has_include("kvm/arm_vgic_mig.h")
#error "the kernel lacks the vlpi-mig enabling series (no kvm/arm_vgic_mig.h)"
#endif
#endif
#include <kvm/arm_vgic_mig.h>
#if VGIC_MIG_VERSION != VLPI_MIG_VGIC_VERSION
#error "the kernel's vlpi-mig enabling series is of another version"
#endif

#include "../irqchip/vpt.h"
#include "../uapi/vlpi_mig.h"

/* The first LPI; INTIDs below it have no bit of their own to migrate */
#define VLPI_MIG_LPI_BASE	8192

struct dentry;
struct kvm;
struct kvm_device;
struct kvm_vcpu;
struct kvm_device_attr;
struct seq_file;
struct vgic_irq;

/**
 * struct vlpi_mig_host - what this host can do
 * @info: how the host vGIC uses GICv4, filled in by vgic_mig_register()
 *	before any hook can run
 * @loaded_ns: CLOCK_BOOTTIME at load, which STATS reports so that a VMM
 *	can tell counters that started again after a reload
 */
struct vlpi_mig_host {
	struct vgic_mig_host info;
	u64 loaded_ns;
};

extern struct vlpi_mig_host vlpi_mig_host;

/* Whether VPTs can be read on this host */
static inline enum vlpi_mig_vpt_mode vlpi_mig_vpt(void)
{
	return vlpi_mig_vpt_mode(vlpi_mig_host.info.has_gicv4,
				 vlpi_mig_host.info.has_gicv4_1);
}

/**
 * enum vlpi_mig_action - what the module does with forwarded vLPIs
 * @VLPI_MIG_UPSTREAM: nothing: the vGIC behaves as upstream
 * @VLPI_MIG_READ: read each vLPI's state from its VPT, which the vGIC
 *	made coherent (GICv4.1)
 * @VLPI_MIG_ALL_PENDING: save every forwarded vLPI as pending, unread
 * @VLPI_MIG_REFUSE: the state is unreadable: KVM_DEV_ARM_ITS_SAVE_TABLES
 *	fails, the pending-table save saves it as upstream and counts it
 */
enum vlpi_mig_action {
	VLPI_MIG_UPSTREAM = KVM_VLPI_MIG_SAVE_UPSTREAM,
	VLPI_MIG_READ = KVM_VLPI_MIG_SAVE_READ,
	VLPI_MIG_ALL_PENDING = KVM_VLPI_MIG_SAVE_ALL_PENDING,
	VLPI_MIG_REFUSE = KVM_VLPI_MIG_SAVE_REFUSE,
};

/**
 * struct vlpi_mig_stats - what the module did for one VM
 * @saved_pending: forwarded vLPIs saved as pending
 * @skipped: forwarded vLPIs not saved, their redistributor having no
 *	pending table in guest RAM (LPIs off, or the table outside it)
 * @refused: ITS saves refused because vLPI state could not be read
 * @restored: pending states moved to the ITS when forwarding was set up
 * @kept: pending states kept in software when forwarding was torn down
 * @unforward_running: forwarding torn down while the vLPI's vPE was
 *	resident, so as upstream
 * @restore_busy: restored states left to the vGIC, the LPI's vCPU being
 *	loaded
 * @unreadable: vLPIs whose state the save could not read, saved as
 *	upstream saves them
 * @full_saves: pending-table saves the module made, software LPIs
 *	included
 *
 * How many vLPIs are forwarded is not counted: vlpi_mig_vm_forwarded()
 * derives it from the vGIC.
 */
struct vlpi_mig_stats {
	atomic64_t saved_pending;
	atomic64_t skipped;
	atomic64_t refused;
	atomic64_t restored;
	atomic64_t kept;
	atomic64_t unforward_running;
	atomic64_t restore_busy;
	atomic64_t unreadable;
	atomic64_t full_saves;
};

/**
 * struct vlpi_mig_vm - the module's state for one VM
 * @kvm: the VM; never dereferenced after vlpi_mig_vm_destroy()
 * @pid: the VM creator's pid, to tell VMs apart in debugfs
 * @id: the module's number for the VM, from 1, in trace events and debugfs
 * @dir: its debugfs directory, or NULL
 * @seen: a bit per LPI (from VLPI_MIG_LPI_BASE) whose vLPI state was read
 * @seen_pending: for those, whether the last read found it pending
 * @held: a bit per LPI whose state a save read or a restore set since
 *	the last save began (vlpi_mig_vm_hold()), with @quiet_exits
 * @quiet_exits: every vCPU's guest exits when the last save began, or
 *	when the state was created: while they are the same, no vCPU has
 *	run, and the @held states are still true
 * @policy: KVM_VLPI_MIG_POLICY_*, set by the VMM at any time
 * @source_caps: the source's KVM_VLPI_MIG_CAP_* bits this host accepted
 * @source_caps_set: the VMM wrote @source_caps; both under config_lock
 * @pinned: the VMM made a setting, so the VM holds a module reference
 * @its_action: how the last ITS save that kept forwarded ITEs said their
 *	state is saved, which the next pending-table save follows
 * @its_saved: @its_action is set: an ITS save kept a forwarded ITE since
 *	the last pending-table save
 * @stats: counters
 * @rcu: frees it once lockless lookups are done with it
 */
struct vlpi_mig_vm {
	struct kvm *kvm;
	pid_t pid;
	u32 id;
	struct dentry *dir;
	unsigned long *seen;
	unsigned long *seen_pending;
	unsigned long *held;
	u64 quiet_exits;
	u64 policy;
	u64 source_caps;
	bool source_caps_set;
	bool pinned;
	enum vlpi_mig_action its_action;
	bool its_saved;
	struct vlpi_mig_stats stats;
	struct rcu_head rcu;
};

/* vm.c */
void vlpi_mig_vm_debugfs_init(struct dentry *parent);
void vlpi_mig_vm_fault_init(struct dentry *parent);
void vlpi_mig_vm_seen(struct vlpi_mig_vm *vm, u32 intid, bool pending);
void vlpi_mig_vm_quiet(struct vlpi_mig_vm *vm);
void vlpi_mig_vm_hold(struct vlpi_mig_vm *vm, u32 intid, bool pending,
		      bool saving);
bool vlpi_mig_vm_take_held(struct vlpi_mig_vm *vm, u32 intid, bool *pending);
struct vlpi_mig_vm *vlpi_mig_vm_find(struct kvm *kvm);
struct vlpi_mig_vm *vlpi_mig_vm_find_or_create(struct kvm *kvm);
int vlpi_mig_vm_pin(struct vlpi_mig_vm *vm);
u64 vlpi_mig_vm_policy(const struct vlpi_mig_vm *vm);
u64 vlpi_mig_vm_forwarded(struct kvm *kvm);
void vlpi_mig_vm_create(struct kvm *kvm);
void vlpi_mig_vm_destroy(struct kvm *kvm);
void vlpi_mig_vm_free_all(void);
unsigned int vlpi_mig_vm_count(void);
void vlpi_mig_vm_show(struct seq_file *m);

/* attr.c */
u64 vlpi_mig_caps(const struct vgic_mig_host *info,
		  enum vlpi_mig_vpt_mode mode, u64 policy);
int vlpi_mig_caps_check(u64 source);

/* The KVM_VLPI_MIG_CAP_* bits of a VM (@vm may be NULL) on this host */
static inline u64 vlpi_mig_vm_caps(const struct vlpi_mig_vm *vm)
{
	return vlpi_mig_caps(&vlpi_mig_host.info, vlpi_mig_vpt(),
			     vlpi_mig_vm_policy(vm));
}

int vlpi_mig_attr(struct kvm_device *dev, struct kvm_device_attr *attr,
		  unsigned int ioctl);

/* save.c */

/* Bytes of a pending table that hold LPIs, for the vITS's INTID range */
#define VLPI_MIG_MAP_BYTES \
	((BIT(VLPI_MIG_VITS_IDBITS) - VLPI_MIG_LPI_BASE) / BITS_PER_BYTE)
#define VLPI_MIG_MAP_START	(VLPI_MIG_LPI_BASE / BITS_PER_BYTE)

/**
 * struct vlpi_mig_rdist_map - the LPIs of one redistributor, for a save
 * @mask: a bit per LPI that targets it, indexed from the first LPI
 * @pend: the same bit, set if the LPI is saved pending
 * @first: the first byte of @mask in use
 * @last: the last byte of @mask in use; below @first if none is
 * @forwarded: forwarded vLPIs among them, counted skipped if their table
 *	is
 * @forwarded_pending: those saved pending, counted once their table is
 *	written
 * @table: where its pending table is, for this save: 0 (all guest RAM),
 *	VLPI_MIG_TABLE_PARTIAL, -ENOENT (none) or -EFAULT (not guest RAM)
 * @pages: which of the table's pages are guest RAM, by their number in it
 * @vpt_coherent: the ITS driver has answered for a vLPI of this
 *	redistributor's vPE in this save
 */
struct vlpi_mig_rdist_map {
	u8 mask[VLPI_MIG_MAP_BYTES];
	u8 pend[VLPI_MIG_MAP_BYTES];
	u32 first;
	u32 last;
	u32 forwarded;
	u32 forwarded_pending;
	int table;
	u32 pages;
	bool vpt_coherent;
};

/* Only some of a redistributor's pending table is guest RAM */
#define VLPI_MIG_TABLE_PARTIAL	1

bool vlpi_mig_state_readable(enum vlpi_mig_vpt_mode mode);
enum vlpi_mig_action vlpi_mig_save_action(enum vlpi_mig_vpt_mode mode,
					  u64 policy);
void vlpi_mig_save_debugfs_init(struct dentry *parent);
void vlpi_mig_assert_save_locks(struct kvm *kvm, struct kvm_vcpu *vcpu);
int vlpi_mig_save_pending_tables(struct kvm *kvm);
int vlpi_mig_its_save_vlpi(struct kvm *kvm, struct vgic_irq *irq);
#if IS_ENABLED(CONFIG_KUNIT)
void vlpi_mig_map_init(struct vlpi_mig_rdist_map *map);
int vlpi_mig_map_add(struct vlpi_mig_rdist_map *map, u32 intid, bool pending);
size_t vlpi_mig_merge_range(u8 *buf, const struct vlpi_mig_rdist_map *map,
			    size_t len, size_t *changed_first);
#endif

/* restore.c */
int vlpi_mig_forward(struct kvm *kvm, struct vgic_irq *irq);
int vlpi_mig_unforward(struct kvm *kvm, struct vgic_irq *irq);

#endif /* __VLPI_MIG_H */
