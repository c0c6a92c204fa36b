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
#include "vlpi_observe.h"

#define BDF		"0000:00:02.0"
#define INTID		VLPI_LPI_BASE
#define FAULT		VLPI_MIG_DEBUGFS "/fail_vpt_window"

/*
 * One save of the pending tables; the bit it left, the vPE unmaps the ITS
 * driver sent (VMAPP V=0, counted by a kprobe; -1 if the count was lost),
 * and the counters
 */
static void save_once(struct vlpi_vm *v, const char *what, int *ret,
		      bool *bit, int *unmaps, struct kvm_vlpi_mig_stats *st)
{
	uint8_t *table = vlpi_pend_table(v, 0);
	struct vlpi_vmapps c;

	table[INTID / 8] = 0;
	TEST_ASSERT(vlpi_vmapp_start(), "kprobe on its_build_vmapp_cmd");
	*ret = vlpi_save_pending_tables(v);
	*unmaps = vlpi_vmapp_read(&c) && c.maps == c.unmaps ? c.unmaps : -1;
	vlpi_vmapp_stop();
	*bit = vlpi_pend_bit(table, INTID);
	TEST_ASSERT(!vlpi_mig_get_stats(v, st), "STATS");
	ksft_print_msg("%s: %s, bit %d, VMAPP %u/%u unmaps/maps\n",
		       what, strerror(*ret), *bit, c.unmaps, c.maps);
	ksft_print_msg("%s: unreadable %lu, saved_pending %lu (vpe_unmaps %lu)\n",
		       what, (unsigned long)st->unreadable,
		       (unsigned long)st->saved_pending,
		       (unsigned long)st->vpe_unmaps);
}

int main(int argc, char *argv[])
{
	int unmaps = vlpi_save_vpe_unmaps(1);
	struct kvm_vlpi_mig_stats st, st0, st1, st2;
	bool bit, bit0, bit1, bit2, v41 = vlpi_host_gicv4_1();
	int ret, ret0, ret1, ret2, efd, irq, un, un0, un1, un2;
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
		save_once(v, "0) unmap skipped", &ret, &bit, &un, &st);
		ksft_test_result(!ret && !bit && !st.unreadable && !un,
				 "a read that skips the unmap finds the VPT stale: the pending vLPI saved as %d\n",
				 bit);
	}

	save_once(v, "1) window open", &ret0, &bit0, &un0, &st0);
	ksft_test_result(!ret0 && bit0 && un0 == unmaps && !st0.unreadable,
			 "the save reads the vLPI inside the window: saved, %u vPE unmapped\n",
			 unmaps);

	TEST_ASSERT(!vlpi_mig_arm_fault("fail_vpt_window", 1), "arming %s",
		    FAULT);
	save_once(v, "2) window broken", &ret1, &bit1, &un1, &st1);
	ksft_test_result(!ret1,
			 "with the window broken, the save still returns 0 (%s)\n",
			 strerror(ret1));
	ksft_test_result(!un1, "the fault kept the vPE mapped (VMAPP unmaps %d)\n",
			 un1);
	ksft_test_result(st1.unreadable == st0.unreadable + 1,
			 "the reader refused the mapped vPE: unreadable %lu (want %lu)\n",
			 (unsigned long)st1.unreadable,
			 (unsigned long)st0.unreadable + 1);
	ksft_test_result(!bit1 && st1.saved_pending == st0.saved_pending,
			 "nothing read outside the window was saved (bit %d)\n",
			 bit1);

	save_once(v, "3) fault spent", &ret2, &bit2, &un2, &st2);
	ksft_test_result(!ret2 && bit2 && st2.unreadable == st1.unreadable &&
			 un2 == unmaps,
			 "the next save opens the window again and saves the bit\n");

	vlpi_delivered_reset(v);
	vlpi_run_to_sync(v->vcpus[0], 2);
	vlpi_delivered_sync(v);
	got = vlpi_delivered[INTID - VLPI_LPI_BASE];
	ksft_test_result(got == 1, "the guest took LPI %u %u time(s) (want 1)\n",
			 INTID, got);

	irq = edu_host_irq(&edu);
	vlpi_irqfd(v, 0, efd, false);
	edu_disable_msi(&edu);
	close(efd);
	un = vlpi_vm_free_vmapps(v);
	edu_close(&edu);
	ksft_test_result(irq >= 0 && !host_irq_listed(irq) && un == 1,
			 "device and VM closed: host IRQ %d freed, VM's vPE unmapped (VMAPP unmaps %d, want 1)\n",
			 irq, un);
	ksft_finished();
}
