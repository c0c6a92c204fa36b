// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_nomem - the module's allocations failing: every path fails
 * cleanly, leaves the vPEs mapped and the VM runnable, and leaks nothing.
 *
 * The module allocates in two places: its per-VM state (when the vGIC is
 * created, or at the first hook that may sleep), and the byte maps of a
 * pending-table save (two per redistributor). Each has a fault point
 * (kernels with CONFIG_FAULT_INJECTION, debugfs vlpi_mig/fail_*):
 *
 *   a) the per-VM state fails once, at the vGIC's creation: the VM is
 *      created all the same, and the state is made at the next call
 *      (STATS works);
 *   b) it fails every time: STATS, which allocates nothing, reads the
 *      VM as a new one (its forwarded vLPI, no counter), the pending save
 *      returns 0 (the module steps aside, the forwarded vLPI saved as
 *      upstream saves it), the ITS save ENOMEM on GICv4.0 (on GICv4.1 the
 *      vGIC saves forwarded ITEs itself and never asks the module: 0);
 *      once the fault is off, all work;
 *   c) the save's allocation fails once: the module leaves the save to
 *      the vGIC, which saves as upstream does (on GICv4.0 the vLPI's
 *      latch, on GICv4.1 its VPT bit) and returns 0, no vPE left
 *      unmapped: the guest, unmasked, takes the vLPI exactly once; the
 *      next save saves it.
 *
 * make check scans kmemleak after the plan.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_mig_util.h"
#include "vlpi_migrate.h"
#include "vlpi_observe.h"

#define BDF		"0000:00:02.0"

static uint32_t unmask(struct vlpi_vm *v)
{
	vlpi_delivered_reset(v);
	vlpi_run_to_sync(v->vcpus[0], 2);
	vlpi_delivered_sync(v);
	return vlpi_delivered[0];
}

static void phase_a(struct edu *edu)
{
	struct kvm_vlpi_mig_stats st;
	struct vlpi_vm *v;
	int efd, ret;

	TEST_ASSERT(!vlpi_mig_arm_fault("fail_vm_state", 1), "arm");
	v = vlpi_edu_vm_create(1, edu, true, &efd);
	ret = vlpi_mig_get_stats(v, &st);
	ksft_test_result(!ret && st.forwarded == 1,
			 "a) per-VM state failed at creation: made later, STATS %s, forwarded %lu\n",
			 strerror(ret), (unsigned long)st.forwarded);
	vlpi_edu_vm_free(v, edu, efd);
}

static void phase_b(struct edu *edu)
{
	struct kvm_vlpi_mig_stats st;
	int efd, stats, pend, its;
	struct vlpi_vm *v;
	uint32_t got;

	TEST_ASSERT(!vlpi_mig_arm_fault("fail_vm_state", -1), "arm");
	v = vlpi_edu_vm_create(1, edu, true, &efd);
	stats = vlpi_mig_get_stats(v, &st);
	pend = vlpi_save_pending_tables(v);
	its = vlpi_save_its_tables(v);
	ksft_print_msg("b) STATS %s, pending save %s, ITS save %s\n",
		       strerror(stats), strerror(pend), strerror(its));
	ksft_test_result(!stats && st.forwarded == 1 && !st.saved_pending &&
			 !pend && its == (vlpi_host_gicv4_1() ? 0 : ENOMEM),
			 "b) no per-VM state: STATS reads the VM as new (forwarded %lu), the ITS save %s, the pending save 0\n",
			 (unsigned long)st.forwarded,
			 vlpi_host_gicv4_1() ? "0 (GICv4.1: the vGIC's own)" :
					       "ENOMEM");

	TEST_ASSERT(!vlpi_mig_arm_fault("fail_vm_state", 0), "disarm");
	stats = vlpi_mig_get_stats(v, &st);
	pend = vlpi_save_pending_tables(v);
	its = vlpi_save_its_tables(v);
	got = unmask(v);
	ksft_test_result(!stats && !pend && !its && st.forwarded == 1 &&
			 got == 1,
			 "b) memory back: STATS %s, saves %s and %s, the vLPI taken %u time(s)\n",
			 strerror(stats), strerror(pend), strerror(its), got);
	vlpi_edu_vm_free(v, edu, efd);
}

static void phase_c(struct edu *edu)
{
	unsigned int unmaps = vlpi_save_vpe_unmaps(1);
	struct kvm_vlpi_mig_stats st0, st1, st2;
	struct vlpi_vmapps c1, c2;
	int efd, ret, ret2;
	struct vlpi_vm *v;
	uint8_t *table;
	bool bit, bit2;
	uint32_t got;

	v = vlpi_edu_vm_create(1, edu, true, &efd);
	table = vlpi_pend_table(v, 0);
	TEST_ASSERT(!vlpi_mig_get_stats(v, &st0), "STATS");
	TEST_ASSERT(!vlpi_mig_arm_fault("fail_save_alloc", 1), "arm");
	TEST_ASSERT(vlpi_vmapp_start(), "kprobe on its_build_vmapp_cmd");
	ret = vlpi_save_pending_tables(v);
	TEST_ASSERT(vlpi_vmapp_read(&c1), "VMAPP count");
	bit = vlpi_pend_bit(table, VLPI_LPI_BASE);
	TEST_ASSERT(!vlpi_mig_get_stats(v, &st1), "STATS");
	/*
	 * The vGIC's own save, as upstream: on GICv4.1 it unmaps the vPE
	 * itself and reads the VPT
	 */
	ksft_test_result(!ret && st1.unreadable == st0.unreadable &&
			 st1.full_saves == st0.full_saves &&
			 c1.unmaps == unmaps && c1.maps == unmaps &&
			 bit == vlpi_host_gicv4_1(),
			 "c) the save's memory failed: save %s, left to the vGIC (full saves +%lu, unreadable +%lu, VMAPP %u unmaps %u maps), bit %d as upstream saves it\n",
			 strerror(ret),
			 (unsigned long)(st1.full_saves - st0.full_saves),
			 (unsigned long)(st1.unreadable - st0.unreadable),
			 c1.unmaps, c1.maps, bit);

	TEST_ASSERT(vlpi_vmapp_start(), "kprobe on its_build_vmapp_cmd");
	ret2 = vlpi_save_pending_tables(v);
	TEST_ASSERT(vlpi_vmapp_read(&c2), "VMAPP count");
	vlpi_vmapp_stop();
	bit2 = vlpi_pend_bit(table, VLPI_LPI_BASE);
	TEST_ASSERT(!vlpi_mig_get_stats(v, &st2), "STATS");
	got = unmask(v);
	ksft_test_result(!ret2 && bit2 && c2.unmaps == unmaps &&
			 c2.maps == unmaps && got == 1,
			 "c) the next save saves it (bit %d, VMAPP %u unmaps): taken %u time(s)\n",
			 bit2, c2.unmaps, got);
	vlpi_edu_vm_free(v, edu, efd);
}

int main(int argc, char *argv[])
{
	struct edu edu;

	if (!vlpi_mig_test_start(argc, argv))
		ksft_exit_skip("the fault points are the module's (-m)\n");
	TEST_ASSERT(vlpi_vpt_readable(),
		    "run where the VPT can be read (GICv4.1)");
	if (access(VLPI_MIG_DEBUGFS "/fail_vm_state", F_OK))
		ksft_exit_skip("no fault points: no CONFIG_FAULT_INJECTION_DEBUG_FS\n");
	if (!edu_open(&edu, BDF))
		ksft_exit_skip("%s is not bound to vfio-pci\n", BDF);
	ksft_set_plan(5);

	phase_a(&edu);
	phase_b(&edu);
	phase_c(&edu);

	edu_close(&edu);
	ksft_finished();
}
