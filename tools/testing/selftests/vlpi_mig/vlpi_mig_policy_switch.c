// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_policy_switch - a POLICY written between a VM's ITS save and
 * its pending-table save does not split the two.
 *
 * Where vLPI state cannot be read (GICv4.0), the policy
 * decides both saves: conservative lets the ITS save keep a forwarded ITE
 * and saves the vLPI pending; strict refuses the ITS save (EACCES) and
 * saves the vLPI's software latch. A VMM may write POLICY at any time. If
 * the pending-table save went by a policy written after the ITS save, an
 * ITS save accepted as conservative would be followed by a strict
 * pending save: the ITE travels, its pending state does not. So the
 * pending-table save after an ITS save that kept forwarded ITEs saves
 * their state as that ITS save's policy said. A refused ITS save
 * promised nothing: the POLICY in force decides.
 *
 * One vCPU; edu 00:02.0 forwarded as LPI 8192 and made pending by the
 * device, never taken. Three rounds, the bit cleared before each:
 *
 *   1. conservative, ITS save (0), strict, pending save: saved pending;
 *   2. strict, ITS save (EACCES), conservative, pending save: saved
 *      pending, as the conservative policy in force says;
 *   3. conservative, pending save with no ITS save before it: the
 *      POLICY in force, saved pending.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_mig_util.h"
#include "vlpi_migrate.h"

#define BDF	"0000:00:02.0"
#define INTID	VLPI_LPI_BASE

static const char *const names[] = { "strict", "conservative", "legacy" };

static void policy(struct vlpi_vm *v, uint64_t p)
{
	kvm_device_attr_set(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
			    KVM_DEV_ARM_VLPI_MIG_POLICY, &p);
}

/* @its (or none, -1) then @pend; returns the ITS save's errno */
static int save_round(struct vlpi_vm *v, int its, uint64_t pend,
		      int *pend_ret, bool *bit)
{
	uint8_t *table = vlpi_pend_table(v, 0);
	int ret = -1;

	table[INTID / 8] = 0;
	if (its >= 0) {
		policy(v, its);
		ret = vlpi_save_its_tables(v);
	}
	policy(v, pend);
	*pend_ret = vlpi_save_pending_tables(v);
	*bit = vlpi_pend_bit(table, INTID);
	ksft_print_msg("ITS save under %s: %s; pending save under %s: %s, bit %d\n",
		       its >= 0 ? names[its] : "(none)",
		       its >= 0 ? strerror(ret) : "-", names[pend],
		       strerror(*pend_ret), *bit);
	return ret;
}

int main(int argc, char *argv[])
{
	bool bit;
	int its, pend, efd;
	struct vlpi_vm *v;
	struct edu edu;

	if (!vlpi_mig_test_start(argc, argv))
		ksft_exit_skip("POLICY is the module's (-m)\n");
	TEST_ASSERT(!vlpi_vpt_readable(), "run with the VPT unreadable (GICv4.0)");
	TEST_ASSERT(edu_open(&edu, BDF), "%s: %s", BDF, strerror(errno));
	ksft_set_plan(4);

	v = vlpi_edu_vm_create(1, &edu, true, &efd);

	its = save_round(v, KVM_VLPI_MIG_POLICY_CONSERVATIVE,
			 KVM_VLPI_MIG_POLICY_STRICT, &pend, &bit);
	ksft_test_result(!its && !pend && bit,
			 "conservative ITS save, then strict: the vLPI is saved pending, as the ITS save promised\n");

	its = save_round(v, KVM_VLPI_MIG_POLICY_STRICT,
			 KVM_VLPI_MIG_POLICY_CONSERVATIVE, &pend, &bit);
	ksft_test_result(its == EACCES && !pend && bit,
			 "strict ITS save (refused, promising nothing), then conservative: saved pending, as the policy in force says\n");

	save_round(v, -1, KVM_VLPI_MIG_POLICY_CONSERVATIVE, &pend, &bit);
	ksft_test_result(!pend && bit,
			 "with no ITS save before it, the pending save takes the POLICY in force\n");

	vlpi_delivered_reset(v);
	vlpi_run_to_sync(v->vcpus[0], 2);
	vlpi_delivered_sync(v);
	ksft_test_result(vlpi_delivered[0] == 1,
			 "the guest takes the vLPI once (%u)\n", vlpi_delivered[0]);

	vlpi_edu_vm_free(v, &edu, efd);
	edu_close(&edu);
	ksft_finished();
}
