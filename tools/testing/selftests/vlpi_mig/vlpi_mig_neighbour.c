// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_neighbour - tearing one device's forwarding down must not cost
 * another device of the same VM its interrupts.
 *
 * A reboot or hot-unplug while the VM is paused, or a destination setting
 * its devices up one by one, unforwards one device while the others keep
 * raising MSIs. An unforward that unmapped the VM's vPEs to read one vLPI
 * would have the ITS drop every vLPI sent to them meanwhile.
 *
 * One vCPU, stopped while the host works; edu 00:02.0 forwarded as LPI
 * 8192 (A) and edu 00:03.0 as LPI 8193 (B). A thread removes and adds A's
 * irqfd in a loop (unforward, forward); in each of ITERATIONS rounds B
 * raises one MSI at a random point of that loop, then the thread parks
 * and the guest unmasks: B must be taken exactly once per round, A never,
 * and the host must never take B itself.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
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

#define ITERATIONS	100
#define GUEST_WAIT_US	20000
#define MAX_DELAY_US	3000

enum { DEV_A, DEV_B, NR_DEVS };

static const char *const bdfs[NR_DEVS] = { "0000:00:02.0", "0000:00:03.0" };
static const struct vlpi_msi msis[NR_DEVS] = { { 0, 0 }, { 1, 0 } };

static void guest_code(void)
{
	local_irq_disable();
	vlpi_guest_gic_init();
	vlpi_guest_its_setup(msis, NR_DEVS, 0);
	GUEST_SYNC(1);

	for (;;) {
		vlpi_guest_unmask_for(GUEST_WAIT_US);
		GUEST_SYNC(2);
	}
}

/* The thread cycling A's forwarding, and how the main thread steers it */
static struct vlpi_vm *vm;
static int efd_a;
static atomic_bool cycling, parked, stop;
static atomic_ulong cycles;

static void *cycle_a(void *arg)
{
	while (!atomic_load(&stop)) {
		if (!atomic_load(&cycling)) {
			atomic_store(&parked, true);
			usleep(100);
			continue;
		}
		atomic_store(&parked, false);
		vlpi_irqfd(vm, DEV_A, efd_a, false);
		vlpi_irqfd(vm, DEV_A, efd_a, true);
		atomic_fetch_add(&cycles, 1);
	}
	return NULL;
}

static void park(void)
{
	atomic_store(&parked, false);
	atomic_store(&cycling, false);
	while (!atomic_load(&parked))
		usleep(100);
}

int main(int argc, char *argv[])
{
	struct kvm_vlpi_mig_stats st = {};
	unsigned int i, lost = 0, extra = 0, a_taken = 0;
	uint64_t host_b;
	struct edu edus[NR_DEVS];
	int efds[NR_DEVS];
	pthread_t thread;
	bool b_pending = false, b_hw = false;
	unsigned int seed;
	bool module;

	module = vlpi_mig_test_start(argc, argv);
	for (i = 0; i < NR_DEVS; i++)
		if (!edu_open(&edus[i], bdfs[i]))
			ksft_exit_skip("%s is not bound to vfio-pci\n", bdfs[i]);
	ksft_set_plan(4);
	seed = getpid();
	ksft_print_msg("seed %u\n", seed);
	srandom(seed);

	vm = vlpi_its_vm_create(1, guest_code);
	vlpi_count_deliveries(vm);
	vlpi_run_to_sync(vm->vcpus[0], 1);
	vlpi_forward_edus(vm, edus, msis, NR_DEVS, efds);
	efd_a = efds[DEV_A];
	ksft_test_result(host_irq_forwarded(edu_host_irq(&edus[DEV_A])) &&
			 host_irq_forwarded(edu_host_irq(&edus[DEV_B])),
			 "both devices forwarded\n");

	vgic_lpi_state(vm->vm, VLPI_LPI_BASE + DEV_B, &b_pending, &b_hw);
	ksft_print_msg("before round 0: LPI %u %s, %s in software; host IRQ count %lu\n",
		       VLPI_LPI_BASE + DEV_B, b_hw ? "forwarded" : "not forwarded",
		       b_pending ? "pending" : "not pending",
		       (unsigned long)host_irq_count(edu_host_irq(&edus[DEV_B])));
	pthread_create(&thread, NULL, cycle_a, NULL);
	for (i = 0; i < ITERATIONS; i++) {
		uint64_t host0 = host_irq_count(edu_host_irq(&edus[DEV_B]));
		unsigned long c0 = atomic_load(&cycles);
		uint64_t host1;
		uint32_t got;

		atomic_store(&cycling, true);
		usleep(random() % MAX_DELAY_US);
		edu_raise(&edus[DEV_B], 1);
		edu_ack(&edus[DEV_B], 1);
		usleep(random() % MAX_DELAY_US);
		/* At least one full cycle of A in every round */
		while (atomic_load(&cycles) == c0)
			usleep(100);
		park();

		vlpi_delivered_reset(vm);
		vlpi_run_to_sync(vm->vcpus[0], 2);
		vlpi_delivered_sync(vm);
		got = vlpi_delivered[DEV_B];
		a_taken += vlpi_delivered[DEV_A];
		host1 = host_irq_count(edu_host_irq(&edus[DEV_B]));
		if (got == 0)
			lost++;
		else if (got > 1)
			extra++;
		if (got != 1)
			ksft_print_msg("round %u: B taken %u time(s), by the host %lu\n",
				       i, got, (unsigned long)(host1 - host0));
	}
	atomic_store(&stop, true);
	pthread_join(thread, NULL);

	if (module)
		vlpi_mig_get_stats(vm, &st);
	ksft_print_msg("%u rounds, %lu cycles of A; kept %lu, unforward_running %lu\n",
		       ITERATIONS, (unsigned long)atomic_load(&cycles),
		       (unsigned long)st.kept,
		       (unsigned long)st.unforward_running);
	ksft_test_result(atomic_load(&cycles) >= ITERATIONS,
			 "A was unforwarded and forwarded again %lu times\n",
			 (unsigned long)atomic_load(&cycles));
	host_b = host_irq_count(edu_host_irq(&edus[DEV_B]));
	ksft_test_result(!lost && !extra && !host_b,
			 "every MSI of B taken exactly once, by the guest: %u lost, %u duplicated in %u rounds, %lu taken by the host\n",
			 lost, extra, ITERATIONS, (unsigned long)host_b);
	ksft_test_result(!a_taken, "A, never raised, never taken (%u)\n",
			 a_taken);

	for (i = 0; i < NR_DEVS; i++) {
		vlpi_irqfd(vm, i, efds[i], false);
		edu_close(&edus[i]);
		close(efds[i]);
	}
	vlpi_vm_free(vm);
	ksft_finished();
}
