// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_stale_doorbell - a GICv4.0 doorbell left pending by a dead VM must
 * not fire as the next device's MSI.
 *
 * On GICv4.0 each vPE has a doorbell: a physical LPI the ITS makes pending
 * when a vLPI arrives for a vPE that is not resident. KVM enables it only
 * while the vCPU blocks in WFI; a vLPI sent while the vCPU is merely out
 * of the guest leaves it pending, disabled, until the next vcpu_load().
 * A VM destroyed before that gives the LPI back to the allocator still
 * pending (6.12 clears it only if the doorbell is still mapped on the
 * ITS's vPE proxy, which has one slot per CPU), and the next device to
 * get the LPI takes an interrupt it never sent the moment VFIO enables
 * its MSI: a spurious MSI for whatever guest that device belongs to.
 *
 * ROUNDS times each, two ways: a VM of NR_VCPUS vCPUs (more than the
 * bed's CPUs, so that vCPU 0's doorbell is evicted from the proxy), each
 * run once, edu 00:02.0 forwarded to vCPU 0 and raising one MSI while the
 * vCPUs are out of the guest; then
 *
 *   dies:   the VM is destroyed;
 *   moves:  vCPU 0 runs once more, on CPU 1 (its vPE moves there, and
 *           6.12 left the doorbell pending on CPU 0), then the VM is
 *           destroyed.
 *
 * Then 00:03.0 gets an MSI on CPU 0, where the doorbell was rung, and
 * must stay quiet: host IRQ count 0, eventfd not signalled. Doorbell and
 * LPI share a redistributor, and so a pending table.
 *
 * This is the host kernel's behaviour, with the module loaded or not:
 * patches 0009 and 0010 of the series.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_mig_util.h"

#define ROUNDS		8
#define NR_VCPUS	4
#define SETTLE_US	20000
#define AFFINITY	"/proc/irq/default_smp_affinity"

static const struct vlpi_msi msi = { 0, 0 };

enum how { DIES, MOVES, NR_HOWS };
static const char *const how_names[NR_HOWS] = { "dies", "moves" };

static void guest_code(void)
{
	local_irq_disable();
	vlpi_guest_gic_init();
	if (guest_get_vcpuid() == 0)
		vlpi_guest_its_setup(&msi, 1, 0);
	GUEST_SYNC(1);
	if (guest_get_vcpuid() == 0)
		GUEST_SYNC(2);
	GUEST_DONE();
}

/* The last hwirq irq debugfs shows for @irq: the GIC's, i.e. the LPI */
static long irq_lpi(int irq)
{
	char line[256], path[64];
	long hwirq = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/irq/irqs/%d", irq);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		sscanf(line, " hwirq: 0x%lx", &hwirq);
	fclose(f);
	return hwirq;
}

/* vCPU 0's doorbell: the first IRQ KVM requested as "vcpu" */
static long doorbell_lpi(void)
{
	char line[256];
	int irq = -1;
	FILE *f = fopen("/proc/interrupts", "r");

	TEST_ASSERT(f, "open /proc/interrupts");
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		if (len > 5 && !strcmp(line + len - 5, "vcpu\n") &&
		    sscanf(line, " %d:", &irq) == 1)
			break;
		irq = -1;
	}
	fclose(f);
	return irq < 0 ? -1 : irq_lpi(irq);
}

static void run_on(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set),
		    "sched_setaffinity");
}

/* This thread, and new LPIs, on @cpu */
static void pin_to(int cpu)
{
	char mask[8];

	run_on(cpu);
	snprintf(mask, sizeof(mask), "%x", 1 << cpu);
	TEST_ASSERT(!write_str_file(AFFINITY, mask), "write %s", AFFINITY);
}

/* One round; whether 00:03.0's fresh MSI stayed quiet */
static bool one_round(struct edu *a, struct edu *b, enum how how,
		      unsigned int round, unsigned int *reused)
{
	struct vlpi_vm *v;
	unsigned int cpu;
	uint64_t count, ev;
	long db, lpi;
	bool quiet;
	int efd;

	pin_to(0);
	v = vlpi_its_vm_create(NR_VCPUS, guest_code);
	for (cpu = 0; cpu < NR_VCPUS; cpu++)
		vlpi_run_to_sync(v->vcpus[cpu], 1);
	efd = vlpi_forward_edu(v, a, &msi);
	db = doorbell_lpi();
	/* Every vCPU out of the guest: vCPU 0's doorbell disabled */
	edu_raise(a, 1);
	edu_ack(a, 1);
	if (how == MOVES) {
		run_on(1);
		vlpi_run_to_sync(v->vcpus[0], 2);
		run_on(0);
	}
	vlpi_edu_vm_free(v, a, efd);

	efd = eventfd(0, EFD_NONBLOCK);
	TEST_ASSERT(efd >= 0, "eventfd");
	edu_enable_msi(b, efd);
	usleep(SETTLE_US);
	count = host_irq_count(edu_host_irq(b));
	lpi = irq_lpi(edu_host_irq(b));
	quiet = read(efd, &ev, sizeof(ev)) < 0 && errno == EAGAIN;
	*reused += lpi == db;
	if (count || !quiet) {
		ksft_print_msg("%s, round %u: doorbell LPI %ld, 00:03.0 got LPI %ld: ",
			       how_names[how], round, db, lpi);
		printf("host count %lu, eventfd %s\n", (unsigned long)count,
		       quiet ? "quiet" : "signalled");
	}
	edu_disable_msi(b);
	close(efd);
	return !count && quiet;
}

int main(int argc, char *argv[])
{
	unsigned int round, noisy, reused;
	char old_affinity[64];
	struct edu a, b;
	enum how how;
	FILE *f;

	vlpi_mig_test_start(argc, argv);
	if (!edu_open(&a, "0000:00:02.0") || !edu_open(&b, "0000:00:03.0"))
		ksft_exit_skip("00:02.0 and 00:03.0 must be bound to vfio-pci\n");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		ksft_exit_skip("needs two CPUs\n");
	ksft_set_plan(2 * NR_HOWS);
	f = fopen(AFFINITY, "r");
	TEST_ASSERT(f && fgets(old_affinity, sizeof(old_affinity), f),
		    "read %s", AFFINITY);
	fclose(f);
	old_affinity[strcspn(old_affinity, "\n")] = 0;

	for (how = 0; how < NR_HOWS; how++) {
		const char *name = how_names[how];

		noisy = 0;
		reused = 0;
		for (round = 0; round < ROUNDS; round++)
			noisy += !one_round(&a, &b, how, round, &reused);
		/* Without the reuse the quiet MSI below shows nothing */
		ksft_test_result(reused,
				 "%s: 00:03.0 had the doorbell's LPI %u of %u times (want at least once)\n",
				 name, reused, ROUNDS);
		ksft_test_result(reused && !noisy,
				 "%s: a fresh MSI never fires unraised: %u of %u did\n",
				 name, noisy, ROUNDS);
	}

	write_str_file(AFFINITY, old_affinity);
	edu_close(&b);
	edu_close(&a);
	ksft_finished();
}
