// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_unforward - a pending vLPI across forwarding torn down and set
 * up again, as when VFIO reconfigures a device's MSIs while a VMM loads a
 * migrated VM.
 *
 * One edu device forwarded as LPI 8192 to vCPU 0. The guest masks its
 * interrupts, the device raises its MSI, the VMM removes the irqfd (the ITS
 * unmap's DISCARD would drop the vLPI) and adds it back; the guest unmasks.
 * With the module (-m), the state must be kept in software while
 * unforwarded, moved back to the ITS on re-forward, and delivered exactly
 * once. Without it (-n), upstream's loss is asserted.
 *
 * Then the same with vCPU 1 in the guest all along: it is not the LPI's
 * vCPU, so the state is kept all the same (a busy VMM or another running
 * vCPU says nothing about the vLPI). Then with vCPU 0, the LPI's target, in
 * the guest (interrupts masked) all along, so its vPE is resident: a vCPU
 * may be taking the vLPI, so the module behaves as upstream and counts the
 * case.
 *
 * On GICv4.1 no VPT can be read where forwarding is torn down (no vPE
 * can be unmapped there): the module keeps what the last pending-table
 * save read, if no vCPU of the VM has run since, the maintainers'
 * "quiesce, then SAVE_PENDING_TABLES". So with no vCPU running the VMM
 * saves first, and the module must keep the vLPI where upstream, which
 * saves it in guest RAM, loses it to the DISCARD. With a vCPU running no
 * save can be made, and the module behaves as upstream: the vLPI is lost
 * on both. The bed's host GIC says which (vlpi_host_gic=).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
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
#include "vlpi_mig_util.h"
#include "vlpi_migrate.h"

#define NR_VCPUS	2
#define INTID		8192
#define BDF		"0000:00:02.0"
#define GUEST_WAIT_US	20000

static const struct vlpi_msi msi = { 0x10, 0 };
static uint32_t delivered;
static bool stop_spinning;
static bool spin_masked;		/* vCPU 0 spins masked until cleared */

static void guest_irq_handler(struct ex_regs *regs)
{
	uint32_t intid = gic_get_and_ack_irq();

	if (intid == IAR_SPURIOUS)
		return;
	if (intid == INTID)
		WRITE_ONCE(delivered, delivered + 1);
	gic_set_eoi(intid);
}

static void guest_code(void)
{
	local_irq_disable();
	vlpi_guest_gic_init();
	if (guest_get_vcpuid() == 1) {
		/* Keep a vCPU in the guest until told to stop */
		GUEST_SYNC(1);
		while (!READ_ONCE(stop_spinning))
			cpu_relax();
		GUEST_DONE();
	}

	vlpi_guest_its_setup(&msi, 1, 0);
	GUEST_SYNC(1);

	for (;;) {
		while (READ_ONCE(spin_masked))
			cpu_relax();
		vlpi_guest_unmask_for(GUEST_WAIT_US);
		GUEST_SYNC(2);
	}
}

static void *spin_vcpu(void *arg)
{
	vcpu_run(arg);
	return NULL;
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set),
		    "sched_setaffinity(%d)", cpu);
}

/*
 * vCPU 0: spin masked, then unmask for a while, up to its next sync. On a
 * CPU of its own, so that the VMM's thread does not preempt it (which
 * would put the vCPU, and make its vPE non-resident).
 */
static void *run_to_unmasked(void *arg)
{
	pin_to_cpu(1);
	vlpi_run_to_sync(arg, 2);
	return NULL;
}

/*
 * Forwarded: raised while masked, unforwarded, forwarded again; on
 * GICv4.1, with the pending tables saved first if @quiesced
 */
static void cycle(struct vlpi_vm *v, struct edu *edu, int efd, bool quiesced,
		  bool *kept_in_sw, bool *back_in_its)
{
	bool p, hw;
	int ret;

	TEST_ASSERT(host_irq_forwarded(edu_host_irq(edu)), "not forwarded");
	edu_raise(edu, 1);
	if (quiesced && vlpi_host_gicv4_1()) {
		ret = vlpi_save_pending_tables(v);
		TEST_ASSERT(!ret, "SAVE_PENDING_TABLES: %s", strerror(ret));
	}

	vlpi_irqfd(v, 0, efd, false);
	*kept_in_sw = vgic_lpi_state(v->vm, INTID, &p, &hw) && p && !hw;
	ksft_print_msg("unforwarded: LPI %u pending in software: %s\n", INTID,
		       *kept_in_sw ? "yes" : "no");

	vlpi_irqfd(v, 0, efd, true);
	*back_in_its = vgic_lpi_state(v->vm, INTID, &p, &hw) && !p && hw;
	edu_ack(edu, 1);
}

static uint32_t unmask(struct vlpi_vm *v)
{
	delivered = 0;
	sync_global_to_guest(v->vm, delivered);
	vlpi_run_to_sync(v->vcpus[0], 2);
	sync_global_from_guest(v->vm, delivered);
	return delivered;
}

int main(int argc, char *argv[])
{
	struct vlpi_stats st = {};
	uint64_t n;
	bool module, in_sw, in_its, v41 = vlpi_host_gicv4_1();
	struct vlpi_vm *v;
	pthread_t spinner, target;
	struct edu edu;
	uint32_t got;
	int efd;

	module = vlpi_mig_test_start(argc, argv);
	if (!edu_open(&edu, BDF))
		ksft_exit_skip("%s is not bound to vfio-pci\n", BDF);
	ksft_set_plan(module ? 9 : 4);

	v = vlpi_its_vm_create(NR_VCPUS, guest_code);
	vm_init_descriptor_tables(v->vm);
	vcpu_init_descriptor_tables(v->vcpus[0]);
	vcpu_init_descriptor_tables(v->vcpus[1]);
	vm_install_exception_handler(v->vm, VECTOR_IRQ_CURRENT,
				     guest_irq_handler);
	vlpi_run_to_sync(v->vcpus[1], 1);
	vlpi_run_to_sync(v->vcpus[0], 1);

	vlpi_route_msis(v, &msi, 1);
	efd = eventfd(0, EFD_NONBLOCK);
	TEST_ASSERT(efd >= 0, "eventfd");
	edu_enable_msi(&edu, efd);
	vlpi_irqfd(v, 0, efd, true);

	/* No vCPU running: the VMM loading a migrated VM */
	cycle(v, &edu, efd, true, &in_sw, &in_its);
	got = unmask(v);
	if (module) {
		ksft_test_result(in_sw, "unforward%s kept the pending vLPI in software\n",
				 v41 ? ", pending tables saved first," : "");
		ksft_test_result(in_sw && in_its,
				 "re-forward moved the kept state back to the ITS\n");
		ksft_test_result(got == 1, "delivered %u time(s) after re-forward\n",
				 got);
		ksft_test_result(vlpi_mig_read_stats(&st) && st.kept == 1 &&
				 st.restored == 1 && st.unforward_running == 0,
				 "STATS counted: kept %lu restored %lu unforward_running %lu\n",
				 (unsigned long)st.kept, (unsigned long)st.restored,
				 (unsigned long)st.unforward_running);
	} else {
		ksft_test_result(!in_sw && got == 0,
				 "baseline%s: the DISCARD lost LPI %u (delivered %u)\n",
				 v41 ? ", pending tables saved first" : "",
				 INTID, got);
	}

	/*
	 * vCPU 1 in the guest all along, but not the LPI's: the VMM is busy,
	 * the LPI's vPE is not resident, so the state is kept all the same
	 */
	pthread_create(&spinner, NULL, spin_vcpu, v->vcpus[1]);
	usleep(100000);
	cycle(v, &edu, efd, false, &in_sw, &in_its);
	WRITE_ONCE(stop_spinning, true);
	sync_global_to_guest(v->vm, stop_spinning);
	pthread_join(spinner, NULL);
	got = unmask(v);
	if (module && v41) {
		ksft_test_result(!in_sw && got == 0,
				 "another vCPU running, no save possible: as upstream, LPI %u lost (delivered %u)\n",
				 INTID, got);
		ksft_test_result(vlpi_mig_read_stats(&st) && st.kept == 1 &&
				 st.unforward_running == 0,
				 "module counted: kept %lu unforward_running %lu\n",
				 (unsigned long)st.kept,
				 (unsigned long)st.unforward_running);
	} else if (module) {
		ksft_test_result(in_sw && in_its && got == 1,
				 "another vCPU running: kept, moved back, delivered %u time(s)\n",
				 got);
		ksft_test_result(vlpi_mig_read_stats(&st) && st.kept == 2 &&
				 st.unforward_running == 0,
				 "module counted: kept %lu unforward_running %lu\n",
				 (unsigned long)st.kept,
				 (unsigned long)st.unforward_running);
	} else {
		ksft_test_result(!in_sw && got == 0,
				 "baseline, another vCPU running: LPI %u lost (delivered %u)\n",
				 INTID, got);
	}

	/*
	 * vCPU 0, the LPI's target, in the guest all along: its vPE is
	 * resident, as upstream, counted. Were it put meanwhile (preempted on
	 * the host), no vCPU could take the vLPI and keeping it would be
	 * right: then it must arrive exactly once. Never twice. Whether the
	 * kept state still shows in software when the host looks is a race
	 * with that vCPU, loaded again and listing it: not asserted.
	 */
	pin_to_cpu(0);
	spin_masked = true;
	sync_global_to_guest(v->vm, spin_masked);
	delivered = 0;
	sync_global_to_guest(v->vm, delivered);
	pthread_create(&target, NULL, run_to_unmasked, v->vcpus[0]);
	usleep(100000);
	cycle(v, &edu, efd, false, &in_sw, &in_its);
	spin_masked = false;
	sync_global_to_guest(v->vm, spin_masked);
	pthread_join(target, NULL);
	sync_global_from_guest(v->vm, delivered);
	got = delivered;
	n = st.unforward_running;
	if (module) {
		uint64_t kept = v41 ? 1 : 2;
		bool resident, put;

		vlpi_mig_read_stats(&st);
		resident = st.unforward_running == n + 1 && st.kept == kept &&
			   !in_sw && got == 0;
		/* On GICv4.1 the vCPU has run since any save: as upstream */
		put = st.unforward_running == n &&
		      (v41 ? st.kept == kept && got == 0 :
			     st.kept == kept + 1 && got == 1);
		ksft_test_result(resident || put,
				 "with the LPI's vCPU running: %s (unforward_running %lu, kept %lu, delivered %u)\n",
				 resident ? "vPE resident, as upstream, counted" :
				 put && v41 ? "vPE put, its vCPU ran since the save: as upstream" :
				 put ? "vPE put meanwhile, kept, delivered once" :
				 "inconsistent",
				 (unsigned long)st.unforward_running,
				 (unsigned long)st.kept, got);
		ksft_test_result(got <= 1, "never delivered twice (%u)\n", got);
	} else {
		ksft_test_result(!in_sw && got == 0,
				 "with the LPI's vCPU running, the DISCARD drops LPI %u (delivered %u)\n",
				 INTID, got);
	}

	ksft_test_result(!host_irq_count(edu_host_irq(&edu)),
			 "the host never took the device's MSI\n");

	vlpi_irqfd(v, 0, efd, false);
	edu_close(&edu);
	close(efd);
	vlpi_vm_free(v);
	ksft_finished();
}
