// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_policy - every KVM_DEV_ARM_VLPI_MIG_POLICY in this host's mode.
 *
 * For each policy, a fresh VM with two edu MSIs forwarded as vLPIs, 8192
 * pending (raised by the device, the guest masked) and 8193 not, is saved
 * with ITS_SAVE_TABLES and SAVE_PENDING_TABLES. What must come out
 * depends on the host's mode: direct injection off
 * (kvm-arm.vgic_v4_enable=0: the MSIs then arrive through the irqfds as
 * software LPIs), a GICv4.1, or a GICv4.0, whose VPT cannot be read:
 *
 *                no direct inj.  GICv4.1    GICv4.0
 *   strict       vGIC saves      ok,        ITS save EACCES; the pending
 *                                accurate   save 0, 8192 lost as upstream,
 *                                           counted unreadable
 *   conservative vGIC saves      ok,        ok, 8192, 8193 pending
 *                                accurate
 *   legacy       vGIC saves      ok,        ITS save EACCES, 8192 lost
 *                                accurate   (upstream on GICv4.0)
 *                                (upstream
 *                                on v4.1)
 *
 * The row comes from what the bed booted (the kernel command line), not
 * from the module.
 *
 * SAVE_PENDING_TABLES is 0 in every case: QEMU calls it on every VM stop
 * and aborts on any error but EFAULT.
 *
 * Where the ITS save succeeded, the VM is then migrated to a destination
 * VM with the same policy and the irqfds handed over, and the guest
 * unmasks: each LPI must arrive exactly as often as its saved bit says.
 * So conservative on the unreadable GICv4.0 delivers 8192 (never lost)
 * and 8193 too (the spurious interrupt it may cost), once each.
 *
 * First, the policy of a VM whose VMM writes none (QEMU's): the module's
 * default_policy parameter at the VM's creation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_observe.h"
#include "vlpi_migrate.h"
#include "vlpi_mig_util.h"

static const struct {
	const char *bdf;
	struct vlpi_msi msi;
	uint32_t intid;
} lpis[] = {
	{ "0000:00:02.0", { 0x10, 0 }, 8192 },	/* pending */
	{ "0000:00:03.0", { 0x11, 0 }, 8193 },	/* not pending */
};

#define NR_LPIS		ARRAY_SIZE(lpis)

static const char * const policy_names[] = { "strict", "conservative", "legacy" };

struct expect {
	int its_err, pend_err;
	bool bit[NR_LPIS];
	uint64_t refused, unreadable;
};

enum mode { NO_DIRECT, UNREADABLE, GICV4_1 };
static const char * const mode_names[] = { "no direct injection", "unreadable",
					   "GICv4.1" };

/* [mode][policy] */
static const struct expect expected[3][3] = {
	[NO_DIRECT] = {
		[KVM_VLPI_MIG_POLICY_STRICT]       = { 0, 0, { 1, 0 }, 0 },
		[KVM_VLPI_MIG_POLICY_CONSERVATIVE] = { 0, 0, { 1, 0 }, 0 },
		[KVM_VLPI_MIG_POLICY_LEGACY]       = { 0, 0, { 1, 0 }, 0 },
	},
	[UNREADABLE] = {
		[KVM_VLPI_MIG_POLICY_STRICT]       = { EACCES, 0, { 0, 0 }, 1, 2 },
		[KVM_VLPI_MIG_POLICY_CONSERVATIVE] = { 0, 0, { 1, 1 }, 0 },
		[KVM_VLPI_MIG_POLICY_LEGACY]       = { EACCES, 0, { 0, 0 }, 0 },
	},
	[GICV4_1] = {
		[KVM_VLPI_MIG_POLICY_STRICT]       = { 0, 0, { 1, 0 }, 0 },
		[KVM_VLPI_MIG_POLICY_CONSERVATIVE] = { 0, 0, { 1, 0 }, 0 },
		[KVM_VLPI_MIG_POLICY_LEGACY]       = { 0, 0, { 1, 0 }, 0 },
	},
};

static void guest_code(void)
{
	unsigned int i;

	local_irq_disable();
	vlpi_guest_gic_init();
	vlpi_guest_its_init();
	for (i = 0; i < NR_LPIS; i++) {
		vlpi_guest_map_device(lpis[i].msi.devid, i);
		vlpi_guest_map_event(lpis[i].msi.devid, lpis[i].msi.eventid, 0,
				     lpis[i].intid);
	}
	vlpi_guest_invall();
	GUEST_SYNC(1);

	/* On the destination: take whatever is pending */
	vlpi_guest_unmask_for(VLPI_GUEST_WAIT_US);
	GUEST_SYNC(2);
	GUEST_DONE();
}

/* The destination's guest counts its LPIs (vlpi_delivered[]) */
static struct vlpi_vm *create_vm(uint64_t policy)
{
	struct vlpi_vm *v = vlpi_its_vm_create(1, guest_code);

	vlpi_count_deliveries(v);
	kvm_device_attr_set(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
			    KVM_DEV_ARM_VLPI_MIG_POLICY, &policy);
	return v;
}

static void irqfds(struct vlpi_vm *v, int *efds, bool on)
{
	struct vlpi_msi msis[NR_LPIS];
	unsigned int i;

	for (i = 0; i < NR_LPIS; i++)
		msis[i] = lpis[i].msi;
	vlpi_irqfds(v, msis, efds, NR_LPIS, on);
}

/*
 * @src, saved, migrated to a destination of the same policy, which takes
 * the irqfds over and unmasks: each LPI arrives as its saved bit says
 */
static void deliver(struct vlpi_vm *src, uint64_t policy, enum mode mode,
		    const struct expect *e, int *efds)
{
	struct vlpi_vm *dst = create_vm(policy);
	uint32_t other = 0;
	unsigned int i;
	bool ok;
	int err;

	err = vlpi_migrate_state(dst, src);
	irqfds(src, efds, false);
	irqfds(dst, efds, true);
	vlpi_delivered_reset(dst);
	vlpi_run_to_sync(dst->vcpus[0], 2);
	vlpi_delivered_sync(dst);
	for (i = NR_LPIS; i < VLPI_NR_LPIS; i++)
		other += vlpi_delivered[i];
	ok = !err && vlpi_delivered[0] == e->bit[0] &&
	     vlpi_delivered[1] == e->bit[1] && !other;
	ksft_test_result(ok,
			 "%s, %s: migrated (restore %s), unmasked: 8192 taken %u, 8193 %u, other %u (want %d, %d, 0%s)\n",
			 mode_names[mode], policy_names[policy],
			 err ? strerror(err) : "ok", vlpi_delivered[0],
			 vlpi_delivered[1], other, e->bit[0], e->bit[1],
			 e->bit[1] ? ": 8193 the spurious one" : "");
	irqfds(dst, efds, false);
	vlpi_vm_free(dst);
}

/* Without direct injection the MSI is injected by the irqfd, later */
static void wait_pending(struct vlpi_vm *v, uint32_t intid)
{
	bool p = false, hw;
	int i;

	for (i = 0; i < 200 && !p; i++) {
		usleep(10000);
		vgic_lpi_state(v->vm, intid, &p, &hw);
	}
	TEST_ASSERT(p, "LPI %u never became pending", intid);
}

static void run_policy(uint64_t policy, enum mode mode, struct edu *edus,
		       int *efds)
{
	const struct expect *e = &expected[mode][policy];
	struct kvm_vlpi_mig_stats st = { .size = sizeof(st) };
	struct vlpi_event evs[16];
	struct vlpi_vm *v;
	bool bits_ok = true, refuse_ok = true;
	unsigned int refuses = 0;
	int its_err, pend_err, n;
	uint64_t caps, action;
	unsigned int i;
	uint8_t *table;

	v = create_vm(policy);
	vlpi_run_to_sync(v->vcpus[0], 1);

	irqfds(v, efds, true);
	edu_raise(&edus[0], 1);
	if (mode == NO_DIRECT)
		wait_pending(v, lpis[0].intid);

	TEST_ASSERT(vlpi_trace_start(), "tracefs: vlpi_mig events");
	its_err = vlpi_save_its_tables(v);
	pend_err = vlpi_save_pending_tables(v);
	table = vlpi_pend_table(v, 0);
	for (i = 0; i < NR_LPIS; i++)
		bits_ok &= vlpi_pend_bit(table, lpis[i].intid) == e->bit[i];
	kvm_device_attr_get(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
			    KVM_DEV_ARM_VLPI_MIG_STATS, &st);

	kvm_device_attr_get(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
			    KVM_DEV_ARM_VLPI_MIG_CAPS, &caps);
	kvm_device_attr_get(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
			    KVM_DEV_ARM_VLPI_MIG_SAVE_ACTION, &action);
	n = vlpi_trace_read(evs, 16);
	for (i = 0; i < (unsigned int)n; i++)
		if (!strcmp(evs[i].name, "refuse"))
			refuse_ok &= ++refuses == 1 && evs[i].pid == getpid() &&
				     evs[i].host_irq ==
				     edu_host_irq(&edus[evs[i].intid - lpis[0].intid]) &&
				     evs[i].ret == -EACCES;

	/* In QEMU's order: the ITS save, then the pending-table save */
	ksft_test_result(its_err == e->its_err && pend_err == e->pend_err &&
			 bits_ok && st.refused == e->refused &&
			 refuse_ok && refuses == e->refused &&
			 st.unreadable == e->unreadable &&
			 caps == vlpi_expected_caps(policy) &&
			 action == vlpi_expected_save_action(policy),
			 "%s, %s: ITS save %s, pending save %s, saved bits %d %d, refused %lu (trace: %u vlpi_mig_refuse), unreadable %lu, CAPS %#lx (want %#lx), SAVE_ACTION %lu (want %lu)\n",
			 mode_names[mode], policy_names[policy],
			 its_err ? strerror(its_err) : "ok",
			 pend_err ? strerror(pend_err) : "ok",
			 vlpi_pend_bit(table, lpis[0].intid),
			 vlpi_pend_bit(table, lpis[1].intid),
			 (unsigned long)st.refused, refuses,
			 (unsigned long)st.unreadable, (unsigned long)caps,
			 (unsigned long)vlpi_expected_caps(policy),
			 (unsigned long)action,
			 (unsigned long)vlpi_expected_save_action(policy));

	/* Tables a VMM can migrate: the ITS save succeeded */
	if (!e->its_err)
		deliver(v, policy, mode, e, efds);
	else
		irqfds(v, efds, false);
	edu_ack(&edus[0], 1);
	vlpi_vm_free(v);
}

/*
 * A VM whose VMM writes no POLICY (QEMU) starts with default_policy,
 * taken when its vGIC is created; a bad value is refused
 */
static void default_policy(void)
{
	uint64_t got[3] = { ~0ull, ~0ull, ~0ull };
	struct vlpi_vm *v;
	bool refused;
	int i;

	for (i = 0; i < 3; i++) {
		if (vlpi_mig_set_default_policy(i))
			break;
		v = vlpi_vm_create(1, guest_code);
		kvm_device_attr_get(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
				    KVM_DEV_ARM_VLPI_MIG_POLICY, &got[i]);
		vlpi_vm_free(v);
	}
	refused = vlpi_mig_set_default_policy(3) == EINVAL;
	vlpi_mig_set_default_policy(0);
	ksft_test_result(got[0] == 0 && got[1] == 1 && got[2] == 2 && refused,
			 "default policy 0, 1, 2: a new VM's POLICY reads %ld, %ld, %ld; 3 is %s\n",
			 (long)got[0], (long)got[1], (long)got[2],
			 refused ? "refused (EINVAL)" : "NOT refused");
}

int main(int argc, char *argv[])
{
	struct edu edus[NR_LPIS];
	int efds[NR_LPIS];
	unsigned int i, n;
	uint64_t policy;
	enum mode mode;

	if (!vlpi_mig_test_start(argc, argv))
		ksft_exit_skip("the policies need the module (-m)\n");
	for (i = 0; i < NR_LPIS; i++) {
		if (!edu_open(&edus[i], lpis[i].bdf))
			ksft_exit_skip("%s is not bound to vfio-pci\n",
				       lpis[i].bdf);
		efds[i] = eventfd(0, EFD_NONBLOCK);
		TEST_ASSERT(efds[i] >= 0, "eventfd");
		edu_enable_msi(&edus[i], efds[i]);
	}

	/* What the bed booted */
	mode = !cmdline_has("kvm-arm.vgic_v4_enable=1") ? NO_DIRECT :
	       vlpi_host_gicv4_1() ? GICV4_1 : UNREADABLE;
	ksft_print_msg("host: %s\n", mode_names[mode]);

	n = 0;
	for (policy = 0; policy <= KVM_VLPI_MIG_POLICY_LEGACY; policy++)
		n += !expected[mode][policy].its_err;
	ksft_set_plan(4 + n);
	default_policy();
	for (policy = 0; policy <= KVM_VLPI_MIG_POLICY_LEGACY; policy++)
		run_policy(policy, mode, edus, efds);

	for (i = 0; i < NR_LPIS; i++) {
		edu_close(&edus[i]);
		close(efds[i]);
	}
	ksft_finished();
}
