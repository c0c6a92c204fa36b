// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_busy - a pending vLPI across forwarding torn down and set up
 * again while the VMM is busy with the vCPU.
 *
 * A VMM's vCPU ioctls (reading registers, setting MP state, ...) hold
 * vcpu->mutex without running the vCPU: no list register holds anything,
 * the vCPU's vPE is not resident. Whether the module keeps a vLPI's pending
 * state when its irqfd goes, and moves it back exactly once when the irqfd
 * returns, must not depend on such an ioctl being in flight: a VMM loading
 * a migrated VM does exactly this while VFIO sets the device up.
 *
 * One vCPU, one edu device forwarded as LPI 8192. A thread of the VMM
 * reads a vCPU register in a loop. Each round, with the guest masked: the
 * device raises its MSI, the irqfd is removed and added back; then the
 * guest unmasks and must take LPI 8192 exactly once. With the module
 * (-m), every round; without it (-n), the baseline loses it every round.
 * On GICv4.1 the VMM saves the pending tables before it removes the
 * irqfd ("quiesce, then SAVE_PENDING_TABLES", the reader paused for the
 * save alone): the module keeps what the save read, where nothing can
 * read the VPT, and the reads go on across the unforward and forward.
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
#define ROUNDS		20

static bool stop_reading;
static unsigned long reads;

/*
 * The VMM's own lock around its vCPU ioctls: a save takes every vCPU's
 * mutex (EBUSY if one is held), so a VMM quiesces its vCPU threads first
 */
static pthread_mutex_t vcpu_ioctls = PTHREAD_MUTEX_INITIALIZER;

/* The VMM busy with the vCPU: each read holds vcpu->mutex */
static void *read_registers(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	uint64_t pc;

	while (!READ_ONCE(stop_reading)) {
		pthread_mutex_lock(&vcpu_ioctls);
		vcpu_get_reg(vcpu, ARM64_CORE_REG(regs.pc), &pc);
		pthread_mutex_unlock(&vcpu_ioctls);
		WRITE_ONCE(reads, reads + 1);
	}
	return NULL;
}

int main(int argc, char *argv[])
{
	unsigned int round, once = 0, lost = 0, twice = 0;
	struct vlpi_stats st;
	pthread_t reader;
	struct vlpi_vm *v;
	struct edu edu;
	bool module;
	int efd;

	module = vlpi_mig_test_start(argc, argv);
	if (!edu_open(&edu, BDF))
		ksft_exit_skip("%s is not bound to vfio-pci\n", BDF);
	ksft_set_plan(module ? 3 : 2);

	v = vlpi_edu_vm_create(1, &edu, false, &efd);
	ksft_test_result(host_irq_forwarded(edu_host_irq(&edu)),
			 "the edu MSI is forwarded\n");

	pthread_create(&reader, NULL, read_registers, v->vcpus[0]);
	for (round = 0; round < ROUNDS; round++) {
		edu_raise(&edu, 1);
		if (vlpi_host_gicv4_1()) {
			pthread_mutex_lock(&vcpu_ioctls);
			TEST_ASSERT(!vlpi_save_pending_tables(v),
				    "SAVE_PENDING_TABLES");
			pthread_mutex_unlock(&vcpu_ioctls);
		}
		edu_ack(&edu, 1);
		vlpi_irqfd(v, 0, efd, false);
		vlpi_irqfd(v, 0, efd, true);

		vlpi_delivered_reset(v);
		vlpi_run_to_sync(v->vcpus[0], 2);
		vlpi_delivered_sync(v);
		switch (vlpi_delivered[0]) {
		case 0:
			lost++;
			break;
		case 1:
			once++;
			break;
		default:
			twice++;
		}
	}
	WRITE_ONCE(stop_reading, true);
	pthread_join(reader, NULL);
	ksft_print_msg("%u rounds, %lu register reads meanwhile: once %u, lost %u, more %u\n",
		       ROUNDS, reads, once, lost, twice);

	if (module) {
		ksft_test_result(once == ROUNDS,
				 "every round, LPI %u delivered exactly once (once %u, lost %u, more %u)\n",
				 INTID, once, lost, twice);
		ksft_test_result(vlpi_mig_read_stats(&st) &&
				 st.kept == ROUNDS && st.restored == ROUNDS &&
				 st.unforward_running == 0,
				 "module counted: kept %lu restored %lu unforward_running %lu\n",
				 (unsigned long)st.kept,
				 (unsigned long)st.restored,
				 (unsigned long)st.unforward_running);
	} else {
		ksft_test_result(lost == ROUNDS && !twice,
				 "baseline: LPI %u lost every round (lost %u, once %u)\n",
				 INTID, lost, once);
	}

	vlpi_edu_vm_free(v, &edu, efd);
	edu_close(&edu);
	ksft_finished();
}
