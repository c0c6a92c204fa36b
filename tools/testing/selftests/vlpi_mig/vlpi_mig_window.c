// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_window - the VPT is read only inside a coherency window that is
 * really open, and the reader checks it rather than trusting it.
 *
 * On the emulated GIC the VPT is always coherent, so a save that forgot
 * to open its window would still read the right bit, and every other test
 * would stay green. The module's fail_vpt_window fault point (a kernel
 * built with CONFIG_FAULT_INJECTION) opens the save's window without
 * making any VPT coherent (no vPE unmapped, none marked); the reader must
 * then refuse, and the save must count the vLPI unreadable and save its
 * latch, rather than read it.
 *
 * On GICv4.1 the GIC may hold a non-resident vPE's pending vLPIs rather
 * than write them to its VPT until the vPE is unmapped (as the bed's model
 * does): the skip_vpt_unmap fault point marks the vPEs without unmapping
 * them and lets the reader read them unchecked, and the VPT it reads is
 * stale. That is why the window unmaps, and the test shows a read that
 * skipped it losing the pending vLPI.
 *
 * One vCPU, never running while the device raises; edu 00:02.0 forwarded
 * as LPI 8192 and made pending. Three saves of the pending tables (four
 * on GICv4.1, the first without the unmap):
 *
 *   0. (GICv4.1) unmap skipped, reader unchecked: 0 returned, the bit
 *      read stale (0), nothing counted unreadable, no vPE unmapped;
 *   1. window as it should be: the bit is saved, the vPE unmapped on
 *      GICv4.1 (none on a GICv4.0, whose VPT the GIC keeps in memory);
 *   2. fault armed for one save: 0 returned, the bit not saved,
 *      unreadable 1, no vPE unmapped;
 *   3. fault spent: the bit saved again, nothing more unreadable.
 *
 * Then the guest unmasks and takes the vLPI once: the broken save lost
 * nothing on the host side.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
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
#include "vlpi_mig_util.h"
#include "vlpi_migrate.h"

#define BDF		"0000:00:02.0"
#define INTID		VLPI_LPI_BASE
#define FAULT		VLPI_MIG_DEBUGFS "/fail_vpt_window"

/* One save of the pending tables; the bit it left, and the counters */
static void save_once(struct vlpi_vm *v, const char *what, int *ret,
		      bool *bit, struct kvm_vlpi_mig_stats *st)
{
	uint8_t *table = vlpi_pend_table(v, 0);

	table[INTID / 8] = 0;
	*ret = vlpi_save_pending_tables(v);
	*bit = vlpi_pend_bit(table, INTID);
	TEST_ASSERT(!vlpi_mig_get_stats(v, st), "STATS");
	ksft_print_msg("%s: %s, bit %d, unreadable %lu, vpe_unmaps %lu, saved_pending %lu\n",
		       what, strerror(*ret), *bit, (unsigned long)st->unreadable,
		       (unsigned long)st->vpe_unmaps,
		       (unsigned long)st->saved_pending);
}

int main(int argc, char *argv[])
{
	unsigned int unmaps = vlpi_save_vpe_unmaps(1);
	struct kvm_vlpi_mig_stats st, st0, st1, st2;
	bool bit, bit0, bit1, bit2, v41 = vlpi_host_gicv4_1();
	int ret, ret0, ret1, ret2, efd;
	struct vlpi_vm *v;
	struct edu edu;
	uint32_t got;

	if (!vlpi_mig_test_start(argc, argv))
		ksft_exit_skip("the fault point is the module's (-m)\n");
	TEST_ASSERT(vlpi_vpt_readable(),
		    "run where the VPT can be read (GICv4.1, or vpt_coherent=1)");
	if (access(FAULT, F_OK))
		ksft_exit_skip("no %s: the kernel lacks CONFIG_FAULT_INJECTION_DEBUG_FS\n",
			       FAULT);
	if (!edu_open(&edu, BDF))
		ksft_exit_skip("%s is not bound to vfio-pci\n", BDF);
	ksft_set_plan(8 + v41);

	v = vlpi_edu_vm_create(1, &edu, true, &efd);

	if (v41) {
		TEST_ASSERT(!vlpi_mig_arm_fault("skip_vpt_unmap", 1),
			    "arming skip_vpt_unmap");
		save_once(v, "0) unmap skipped", &ret, &bit, &st);
		ksft_test_result(!ret && !bit && !st.unreadable &&
				 !st.vpe_unmaps,
				 "a read that skips the unmap finds the VPT stale: the pending vLPI saved as %d\n",
				 bit);
	}

	save_once(v, "1) window open", &ret0, &bit0, &st0);
	ksft_test_result(!ret0 && bit0 && st0.vpe_unmaps == unmaps &&
			 !st0.unreadable,
			 "the save reads the vLPI inside the window: saved, %u vPE unmapped\n",
			 unmaps);

	TEST_ASSERT(!vlpi_mig_arm_fault("fail_vpt_window", 1), "arming %s",
		    FAULT);
	save_once(v, "2) window broken", &ret1, &bit1, &st1);
	ksft_test_result(!ret1,
			 "with the window broken, the save still returns 0 (%s)\n",
			 strerror(ret1));
	ksft_test_result(st1.vpe_unmaps == st0.vpe_unmaps,
			 "the fault kept the vPE mapped (vpe_unmaps %lu)\n",
			 (unsigned long)st1.vpe_unmaps);
	ksft_test_result(st1.unreadable == st0.unreadable + 1,
			 "the reader refused the mapped vPE: unreadable %lu (want %lu)\n",
			 (unsigned long)st1.unreadable,
			 (unsigned long)st0.unreadable + 1);
	ksft_test_result(!bit1 && st1.saved_pending == st0.saved_pending,
			 "nothing read outside the window was saved (bit %d)\n",
			 bit1);

	save_once(v, "3) fault spent", &ret2, &bit2, &st2);
	ksft_test_result(!ret2 && bit2 && st2.unreadable == st1.unreadable &&
			 st2.vpe_unmaps == st1.vpe_unmaps + unmaps,
			 "the next save opens the window again and saves the bit\n");

	vlpi_delivered_reset(v);
	vlpi_run_to_sync(v->vcpus[0], 2);
	vlpi_delivered_sync(v);
	got = vlpi_delivered[INTID - VLPI_LPI_BASE];
	ksft_test_result(got == 1, "the guest took LPI %u %u time(s) (want 1)\n",
			 INTID, got);

	vlpi_edu_vm_free(v, &edu, efd);
	edu_close(&edu);
	ksft_test_result_pass("device and VM closed\n");
	ksft_finished();
}
