// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_race - the saves racing forwarding torn down and set up again.
 *
 * QEMU saves the vGIC on every VM stop while VFIO may be reconfiguring a
 * device's MSIs (irqfd assign and deassign); nothing orders the two. The
 * save unmaps the vPEs to read their VPTs, and forwarding set up in that
 * window must not send its restored state to an unmapped vPE, where the
 * ITS drops it.
 *
 * One vCPU, one edu device forwarded as LPI 8192, raised once while the
 * guest is masked. One thread removes and adds the irqfd back in a loop
 * (each time the module keeps the pending state in software, then moves
 * it back to the ITS); the main thread saves the ITS and the pending
 * tables, in QEMU's order, in a loop meanwhile. Every save must return 0
 * (EBUSY would be allowed: the vGIC's trylock of every vCPU), and the
 * guest, unmasked at the end, must take LPI 8192 exactly once. With the
 * module, every save that succeeded wrote LPI 8192 pending: the vLPI is
 * pending throughout, forwarded or kept, and a forwarding set up while a
 * save runs must not hide it from that save. On GICv4.1
 * the first save comes before the first cycle: the module keeps what a
 * save read, where nothing can read the VPT, and a cycle before any save
 * would lose the vLPI as upstream does.
 */
#include <errno.h>
#include <pthread.h>
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
#define CYCLES		200

static struct vlpi_vm *vm;
static int efd;
static bool cycling_done;

static void *cycle_irqfd(void *arg)
{
	int i;

	for (i = 0; i < CYCLES; i++) {
		vlpi_irqfd(vm, 0, efd, false);
		vlpi_irqfd(vm, 0, efd, true);
	}
	WRITE_ONCE(cycling_done, true);
	return NULL;
}

int main(int argc, char *argv[])
{
	unsigned int saves = 0, busy = 0, other = 0, unsaved = 0;
	int its_err, pend_err, bad = 0;
	struct vlpi_stats st;
	pthread_t cycler;
	struct edu edu;
	bool module;

	module = vlpi_mig_test_start(argc, argv);
	if (!edu_open(&edu, BDF))
		ksft_exit_skip("%s is not bound to vfio-pci\n", BDF);
	ksft_set_plan(module ? 5 : 3);

	vm = vlpi_edu_vm_create(1, &edu, false, &efd);
	ksft_test_result(host_irq_forwarded(edu_host_irq(&edu)),
			 "the edu MSI is forwarded\n");
	edu_raise(&edu, 1);
	if (vlpi_host_gicv4_1())
		TEST_ASSERT(!vlpi_save_pending_tables(vm), "SAVE_PENDING_TABLES");
	edu_ack(&edu, 1);

	pthread_create(&cycler, NULL, cycle_irqfd, NULL);
	while (!READ_ONCE(cycling_done)) {
		its_err = vlpi_save_its_tables(vm);
		pend_err = vlpi_save_pending_tables(vm);
		saves++;
		if (pend_err == EBUSY) {
			busy++;
		} else if (pend_err) {
			other++;
			bad = pend_err;
		} else if (!vlpi_pend_bit(vlpi_pend_table(vm, 0), INTID)) {
			/* Pending throughout: only the save writes the table */
			unsaved++;
		}
		/* Upstream refuses forwarded ITEs on GICv4.0 (EACCES) */
		if (its_err && its_err != EBUSY && (module || its_err != EACCES)) {
			other++;
			bad = its_err;
		}
	}
	pthread_join(cycler, NULL);
	ksft_test_result(!other,
			 "%u saves during %d irqfd cycles: %u EBUSY, %u other errors%s%s\n",
			 saves, CYCLES, busy, other, other ? ", e.g. " : "",
			 other ? strerror(bad) : "");

	vlpi_delivered_reset(vm);
	vlpi_run_to_sync(vm->vcpus[0], 2);
	vlpi_delivered_sync(vm);
	if (module) {
		/* All EBUSY would have checked nothing */
		ksft_test_result(!unsaved && saves > busy + other,
				 "every save wrote LPI %u pending: %u of %u saves did not\n",
				 INTID, unsaved, saves - busy - other);
		ksft_test_result(vlpi_delivered[0] == 1,
				 "LPI %u delivered %u time(s) after the race (want 1)\n",
				 INTID, vlpi_delivered[0]);
		ksft_test_result(vlpi_mig_read_stats(&st) &&
				 st.kept == CYCLES && st.restored == CYCLES,
				 "module counted: kept %lu restored %lu restore_busy %lu\n",
				 (unsigned long)st.kept,
				 (unsigned long)st.restored,
				 (unsigned long)st.restore_busy);
	} else {
		ksft_test_result(vlpi_delivered[0] == 0,
				 "baseline: LPI %u lost at the first unforward (delivered %u)\n",
				 INTID, vlpi_delivered[0]);
	}

	vlpi_edu_vm_free(vm, &edu, efd);
	edu_close(&edu);
	ksft_finished();
}
