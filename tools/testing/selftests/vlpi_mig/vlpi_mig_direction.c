// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_direction - a fleet mid-rollout: a VM migrated from a host with
 * or without the module to one with or without it, in every combination,
 * with and without forwarded vLPIs, under each policy the source may have.
 *
 * Source and destination VM live in one process, as in vlpi_mig_migrate;
 * between the source's saves and the destination's restore the module is
 * loaded or unloaded as the destination host has it. The source VMM sets
 * no attribute (its host's default_policy gives the VM its policy), so
 * nothing pins the module. A VMM that knows the module reads CAPS on the
 * source and, where the destination has the module, writes them to its
 * SOURCE_CAPS: that must never be refused.
 *
 * Two VM kinds, two vCPUs, LPIs 8192-8195 of which 8192 and 8195 are
 * pending at the source with the guest masked:
 *
 *   vlpis  four edu devices passed through, each MSI forwarded (a vLPI
 *          where the host has direct injection, a software LPI where not)
 *   plain  no device: the LPIs are made pending with KVM_SIGNAL_MSI
 *
 * What the destination guest must take when it unmasks is worked out from
 * what the bed booted and what the test set, never from the module:
 *
 *   - no direct injection, or a VM with no forwarded vLPI: each pending
 *     LPI exactly once (upstream's software LPIs, which every kernel saves)
 *   - GICv4.1: each pending vLPI exactly once, whichever side has the
 *     module (upstream 6.12 reads a GICv4.1's VPTs itself)
 *   - GICv4.0, a source with the module under conservative: every
 *     forwarded vLPI once, the two that were not pending spuriously
 *   - GICv4.0 otherwise: the source's ITS save is refused (EACCES, as
 *     upstream); a VMM that migrates on, as QEMU does, restores no
 *     mapping, and the pending vLPIs are lost, as are later MSIs
 *
 * Then a fresh MSI must arrive exactly once wherever a mapping was
 * restored. The module is left as the test found it.
 *
 *   vlpi_mig_direction -m|-n [pending-first]
 *
 * The source saves in QEMU's order, the ITS tables then the pending
 * tables; with pending-first, in cloud-hypervisor's and Firecracker's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "delay.h"
#include "gic.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_four.h"
#include "vlpi_migrate.h"
#include "vlpi_mig_util.h"

enum kind { VLPIS, PLAIN };

struct direction {
	enum kind kind;
	bool src_module, dst_module;
	uint64_t policy;	/* the source's, where it has the module */
};

static const char *const policy_names[] = { "strict", "conservative", "legacy" };

static struct edu edus[FOUR_LPIS];
static bool direct;		/* kvm-arm.vgic_v4_enable=1 */
static bool pending_first;	/* the source's saves in that order */

/* The host as the destination (or source) has it */
static void module_as(bool loaded)
{
	int ret;

	if (vlpi_mig_loaded() == loaded)
		return;
	if (loaded) {
		vlpi_mig_load();
		return;
	}
	ret = vlpi_mig_unload();
	TEST_ASSERT(!ret, "rmmod vlpi_mig: %s", strerror(ret));
}

/*
 * An MSI raised while the guest is masked: a software LPI shows pending
 * once injected; a forwarded one shows only that it is forwarded (its
 * state is in the VPT, where the edu's MSI lands as it is raised)
 */
static void wait_pending(struct vlpi_vm *v, uint32_t intid)
{
	bool p = false, hw = false;
	int i;

	for (i = 0; i < 200 && !p && !hw; i++) {
		usleep(10000);
		vgic_lpi_state(v->vm, intid, &p, &hw);
	}
	TEST_ASSERT(p || hw, "LPI %u never reached the vGIC", intid);
}

static void raise_lpi(struct vlpi_vm *v, unsigned int i, enum kind kind)
{
	int ret;

	if (kind == VLPIS) {
		edu_raise(&edus[i], 1);
		return;
	}
	ret = vlpi_signal_msi(v, four_lpis[i].msi);
	TEST_ASSERT(ret == 1, "KVM_SIGNAL_MSI for LPI %u: %d", four_lpis[i].intid,
		    ret);
}

/* Append " INTID" (and "(xN)" if @times is not 0) to @list */
static void intid_add(char *list, size_t size, uint32_t intid, uint32_t times)
{
	size_t len = strlen(list);

	if (times)
		snprintf(list + len, size - len, " %u(x%u)", intid, times);
	else
		snprintf(list + len, size - len, " %u", intid);
}

static void run_direction(const struct direction *d)
{
	bool forwarded = d->kind == VLPIS && direct;
	bool src_policy = d->src_module && forwarded && !vlpi_host_gicv4_1();
	int efds[FOUR_LPIS], its_err, pend_err, rest_err, caps_err = 0;
	char once[64] = "", spurious[64] = "", lost[64] = "", wrong[64] = "";
	bool lose = false, extra = false, ok;
	uint64_t src_caps = ~0ull, want_caps = 0;
	int want_its = 0;
	struct vlpi_vm *src, *dst;
	uint32_t want, fresh;
	unsigned int i;
	char what[96], caps[24] = "-";

	/* What the bed and this direction give, before anything runs */
	if (forwarded && !vlpi_host_gicv4_1()) {
		if (d->src_module &&
		    d->policy == KVM_VLPI_MIG_POLICY_CONSERVATIVE)
			extra = true;
		else
			lose = true;
	}
	if (lose)
		want_its = EACCES;
	snprintf(what, sizeof(what), "%s: %s%s%s -> %s",
		 d->kind == VLPIS ? "VM with passed-through devices" :
				    "VM without devices",
		 d->src_module ? "module" : "upstream",
		 src_policy ? " " : "",
		 src_policy ? policy_names[d->policy] : "",
		 d->dst_module ? "module" : "upstream");

	/* The source host, its default policy the VM's */
	module_as(d->src_module);
	if (d->src_module)
		TEST_ASSERT(!vlpi_mig_set_default_policy(d->policy),
			    "default_policy %lu", (unsigned long)d->policy);
	memset(four_delivered, 0, sizeof(four_delivered));
	src = four_vm_create();
	if (d->src_module)
		TEST_ASSERT(!vlpi_mig_set_default_policy(KVM_VLPI_MIG_POLICY_STRICT),
			    "default_policy strict");
	for (i = FOUR_VCPUS; i-- > 0;)
		vlpi_run_to_sync(src->vcpus[i], 1);
	for (i = 0; i < FOUR_LPIS; i++) {
		efds[i] = eventfd(0, EFD_NONBLOCK);
		TEST_ASSERT(efds[i] >= 0, "eventfd");
	}
	if (d->kind == VLPIS) {
		four_forward(src, efds, true);
		for (i = 0; i < FOUR_LPIS; i++) {
			edu_enable_msi(&edus[i], efds[i]);
			TEST_ASSERT(host_irq_forwarded(edu_host_irq(&edus[i])) ==
				    direct, "%s: forwarded %s", four_lpis[i].bdf,
				    direct ? "not" : "without direct injection");
		}
	}
	for (i = 0; i < FOUR_LPIS; i++)
		if (four_lpis[i].pending) {
			raise_lpi(src, i, d->kind);
			wait_pending(src, four_lpis[i].intid);
		}

	/* A VMM that knows the module reads what the migration carries */
	if (d->src_module) {
		want_caps = vlpi_expected_caps(d->policy);
		kvm_device_attr_get(src->gic_fd, KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
				    KVM_DEV_ARM_VLPI_MIG_CAPS, &src_caps);
	}
	if (pending_first) {
		pend_err = vlpi_save_pending_tables(src);
		its_err = vlpi_save_its_tables(src);
	} else {
		its_err = vlpi_save_its_tables(src);
		pend_err = vlpi_save_pending_tables(src);
	}

	/* The destination host */
	module_as(d->dst_module);
	dst = four_vm_create();
	if (d->src_module && d->dst_module)
		caps_err = __kvm_device_attr_set(dst->gic_fd,
						 KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
						 KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS,
						 &src_caps) ? errno : 0;
	rest_err = vlpi_migrate_state(dst, src);
	TEST_ASSERT(!rest_err, "ITS_RESTORE_TABLES: %s", strerror(rest_err));
	if (d->kind == VLPIS) {
		four_forward(src, efds, false);
		four_forward(dst, efds, true);
		for (i = 0; i < FOUR_LPIS; i++)
			edu_ack(&edus[i], 1);
	}

	four_run_all(dst, 2);
	ok = !four_delivered[FOUR_LPIS];
	for (i = 0; i < FOUR_LPIS; i++) {
		want = lose ? 0 : four_lpis[i].pending || extra;
		ok &= four_delivered[i] == want;
		if (four_delivered[i] != want)
			intid_add(wrong, sizeof(wrong), four_lpis[i].intid,
				  four_delivered[i]);
		else if (four_lpis[i].pending && !want)
			intid_add(lost, sizeof(lost), four_lpis[i].intid, 0);
		else if (want && four_lpis[i].pending)
			intid_add(once, sizeof(once), four_lpis[i].intid, 0);
		else if (want)
			intid_add(spurious, sizeof(spurious), four_lpis[i].intid, 0);
	}

	/* A fresh interrupt, where a mapping was restored */
	memset(four_delivered, 0, sizeof(four_delivered));
	sync_global_to_guest(dst->vm, four_delivered);
	raise_lpi(dst, FOUR_FRESH, d->kind);
	four_run_all(dst, 3);
	fresh = four_delivered[FOUR_FRESH];

	if (d->src_module)
		snprintf(caps, sizeof(caps), "%#lx", (unsigned long)src_caps);
	ksft_print_msg("direction: %s: CAPS %s; saves: ITS %s, pending %s; SOURCE_CAPS %s\n",
		       what, caps,
		       its_err ? strerror(its_err) : "ok",
		       pend_err ? strerror(pend_err) : "ok",
		       !(d->src_module && d->dst_module) ? "-" :
		       caps_err ? strerror(caps_err) : "accepted");
	ksft_test_result(ok && its_err == want_its && !pend_err &&
			 !caps_err && src_caps == (d->src_module ? want_caps : ~0ull) &&
			 fresh == !lose && !four_delivered[FOUR_LPIS],
			 "%s: taken once:%s; spurious:%s; lost:%s%s; fresh MSI x%u%s%s\n",
			 what, *once ? once : " none",
			 *spurious ? spurious : " none",
			 *lost ? lost : " none",
			 want_its ? " (source ITS save refused)" : "",
			 fresh, *wrong ? "; UNEXPECTED:" : "", wrong);

	if (d->kind == VLPIS) {
		four_forward(dst, efds, false);
		for (i = 0; i < FOUR_LPIS; i++) {
			edu_ack(&edus[i], 1);
			edu_disable_msi(&edus[i]);
		}
	}
	for (i = 0; i < FOUR_LPIS; i++)
		close(efds[i]);
	vlpi_vm_free(dst);
	vlpi_vm_free(src);
}

int main(int argc, char *argv[])
{
	struct direction dirs[64];
	bool module, policies;
	unsigned int n = 0, i;
	int k, s, t;
	uint64_t p;

	module = vlpi_mig_test_start(argc, argv);
	pending_first = optind < argc && !strcmp(argv[optind], "pending-first");
	direct = cmdline_has("kvm-arm.vgic_v4_enable=1");
	for (i = 0; i < FOUR_LPIS; i++)
		if (!edu_open(&edus[i], four_lpis[i].bdf))
			ksft_exit_fail_msg("%s is not bound to vfio-pci\n",
					   four_lpis[i].bdf);

	/* Every source and destination; the source's policies where they differ */
	for (k = VLPIS; k <= PLAIN; k++)
		for (s = 1; s >= 0; s--)
			for (t = 1; t >= 0; t--) {
				policies = s && k == VLPIS && direct &&
					   !vlpi_host_gicv4_1();
				for (p = KVM_VLPI_MIG_POLICY_STRICT;
				     p <= (policies ? KVM_VLPI_MIG_POLICY_LEGACY :
					   KVM_VLPI_MIG_POLICY_STRICT); p++)
					dirs[n++] = (struct direction) {
						.kind = k, .src_module = s,
						.dst_module = t, .policy = p,
					};
			}
	ksft_print_msg("host: GICv4%s, direct injection %s; the source saves %s\n",
		       vlpi_host_gicv4_1() ? ".1" : ".0", direct ? "on" : "off",
		       pending_first ? "the pending tables, then the ITS" :
				       "the ITS, then the pending tables");
	ksft_set_plan(n);
	for (i = 0; i < n; i++)
		run_direction(&dirs[i]);

	module_as(module);
	for (i = 0; i < FOUR_LPIS; i++)
		edu_close(&edus[i]);
	ksft_finished();
}
