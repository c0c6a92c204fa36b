// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_save_held - one VM's pending-table save must not hold up
 * another VM's MSI setup.
 *
 * The irq-bypass manager pairs every VFIO MSI with its irqfd under one
 * host-wide mutex, and sets forwarding up under it: if VM A's save holds
 * A's vITS lock, A's own VFIO MSI setup waits for the save while holding
 * that mutex, and so does every other VM's (here B's), however unrelated.
 * The save may hold the vITS locks only while its vPEs are unmapped (the
 * window in which a VINT would be lost), not for the whole save.
 *
 * The module's test-only save_hold_ms keeps a pending-table save waiting
 * that long once it has read every forwarded vLPI, outside its window.
 * A (one vCPU) forwards edu 00:02.0 as LPI 8192, pending, so that its
 * save reads a vLPI; B (one vCPU) has its vITS set up and nothing
 * forwarded. While A's save is held:
 *
 *   - every vPE's doorbell is still requested ("vcpu" in
 *     /proc/interrupts), as it is outside the window;
 *   - A's VMM forwards edu 00:03.0 as A's LPI 8193 (VFIO MSI, irqfd);
 *   - B's VMM forwards edu 00:04.0 as B's LPI 8192, and must be done in
 *     well under the hold, not when A's save ends.
 *
 * Then the saves end, both VMs take their pending vLPIs (B's raised once
 * forwarded) and are closed, then the devices.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
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

#define HOLD_MS		6000
#define SETTLE_MS	1000	/* for A's save to reach the hold */
#define HOLD_FILE	VLPI_MIG_DEBUGFS "/save_hold_ms"

static const char *const bdfs[] = {
	"0000:00:02.0", "0000:00:03.0", "0000:00:04.0",
};

/* A's two events (DevIDs 0 and 1); B's one */
static const struct vlpi_msi msis[] = { { 0, 0 }, { 1, 0 } };

static void guest_code(void)
{
	local_irq_disable();
	vlpi_guest_gic_init();
	vlpi_guest_its_setup(msis, 2, 0);
	GUEST_SYNC(1);
	for (;;) {
		vlpi_guest_unmask_for(VLPI_GUEST_WAIT_US);
		GUEST_SYNC(2);
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* Lines of /proc/interrupts for a vPE doorbell, which KVM names "vcpu" */
static unsigned int doorbells(void)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[512];
	unsigned int n = 0;

	TEST_ASSERT(f, "/proc/interrupts");
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		if (len >= 5 && !strcmp(line + len - 5, "vcpu\n"))
			n++;
	}
	fclose(f);
	return n;
}

struct job {
	struct vlpi_vm *v;
	struct edu *edu;
	const struct vlpi_msi *msi;
	uint32_t gsi;
	int efd;
	int ret;
	uint64_t start, end;
};

static void *save_job(void *arg)
{
	struct job *j = arg;

	j->start = now_ms();
	j->ret = vlpi_save_pending_tables(j->v);
	j->end = now_ms();
	return NULL;
}

/* GSI @gsi routes @msi; an irqfd on it; VFIO's MSI on the same eventfd */
static void *forward_job(void *arg)
{
	struct job *j = arg;
	struct vlpi_msi route[2] = { msis[0], msis[1] };

	j->start = now_ms();
	route[j->gsi] = *j->msi;
	vlpi_route_msis(j->v, route, j->gsi + 1);
	j->efd = eventfd(0, EFD_NONBLOCK);
	TEST_ASSERT(j->efd >= 0, "eventfd");
	vlpi_irqfd(j->v, j->gsi, j->efd, true);
	edu_enable_msi(j->edu, j->efd);
	j->end = now_ms();
	return NULL;
}

static void unforward(struct job *j)
{
	vlpi_irqfd(j->v, j->gsi, j->efd, false);
	edu_disable_msi(j->edu);
	close(j->efd);
}

int main(int argc, char *argv[])
{
	struct job save = {}, fwd_a = {}, fwd_b = {};
	pthread_t t_save, t_a, t_b;
	unsigned int db_before, db_held, i;
	struct vlpi_vm *a, *b;
	struct edu edus[3];
	char hold[16];
	int efd0;

	if (!vlpi_mig_test_start(argc, argv))
		ksft_exit_skip("the hold point is the module's (-m)\n");
	TEST_ASSERT(!access(HOLD_FILE, F_OK), "%s missing", HOLD_FILE);
	for (i = 0; i < ARRAY_SIZE(bdfs); i++)
		TEST_ASSERT(edu_open(&edus[i], bdfs[i]), "%s: %s", bdfs[i],
			    strerror(errno));
	ksft_set_plan(6);

	a = vlpi_its_vm_create(1, guest_code);
	vlpi_count_deliveries(a);
	vlpi_run_to_sync(a->vcpus[0], 1);
	efd0 = vlpi_forward_edu(a, &edus[0], &msis[0]);
	edu_raise(&edus[0], 1);
	edu_ack(&edus[0], 1);

	b = vlpi_its_vm_create(1, guest_code);
	vlpi_count_deliveries(b);
	vlpi_run_to_sync(b->vcpus[0], 1);
	db_before = doorbells();

	snprintf(hold, sizeof(hold), "%d", HOLD_MS);
	TEST_ASSERT(!write_str_file(HOLD_FILE, hold), "arming %s", HOLD_FILE);
	save.v = a;
	pthread_create(&t_save, NULL, save_job, &save);
	usleep(SETTLE_MS * 1000);
	db_held = doorbells();

	fwd_a = (struct job){ .v = a, .edu = &edus[1], .msi = &msis[1],
			      .gsi = 1 };
	pthread_create(&t_a, NULL, forward_job, &fwd_a);
	usleep(SETTLE_MS * 1000);
	fwd_b = (struct job){ .v = b, .edu = &edus[2], .msi = &msis[0],
			      .gsi = 0 };
	pthread_create(&t_b, NULL, forward_job, &fwd_b);

	pthread_join(t_b, NULL);
	pthread_join(t_a, NULL);
	pthread_join(t_save, NULL);
	TEST_ASSERT(!write_str_file(HOLD_FILE, "0"), "disarming %s",
		    HOLD_FILE);

	ksft_print_msg("A's save: %s, %lu ms; A's forwarding %lu ms after it began, took %lu ms\n",
		       strerror(save.ret), (unsigned long)(save.end - save.start),
		       (unsigned long)(fwd_a.start - save.start),
		       (unsigned long)(fwd_a.end - fwd_a.start));
	ksft_print_msg("B's forwarding %lu ms after A's save began, took %lu ms\n",
		       (unsigned long)(fwd_b.start - save.start),
		       (unsigned long)(fwd_b.end - fwd_b.start));
	ksft_test_result(!save.ret && save.end - save.start >= HOLD_MS,
			 "A's save returns 0 after the hold (%lu ms >= %d)\n",
			 (unsigned long)(save.end - save.start), HOLD_MS);
	ksft_test_result(db_held == db_before,
			 "during the hold every vPE doorbell is requested (%u of %u)\n",
			 db_held, db_before);
	ksft_test_result(fwd_b.end < save.end &&
			 fwd_b.end - fwd_b.start < HOLD_MS / 2,
			 "B's forwarding is done in %lu ms, before A's save ends\n",
			 (unsigned long)(fwd_b.end - fwd_b.start));
	ksft_test_result(fwd_a.end < save.end,
			 "A's own forwarding is done before A's save ends (%lu ms)\n",
			 (unsigned long)(fwd_a.end - fwd_a.start));

	edu_raise(&edus[2], 1);
	edu_ack(&edus[2], 1);
	vlpi_delivered_reset(a);
	vlpi_run_to_sync(a->vcpus[0], 2);
	vlpi_delivered_sync(a);
	ksft_test_result(vlpi_delivered[0] == 1,
			 "A takes its pending LPI 8192 once (%u)\n",
			 vlpi_delivered[0]);
	vlpi_delivered_reset(b);
	vlpi_run_to_sync(b->vcpus[0], 2);
	vlpi_delivered_sync(b);
	ksft_test_result(vlpi_delivered[0] == 1,
			 "B takes the MSI of the device it forwarded during the hold once (%u)\n",
			 vlpi_delivered[0]);

	unforward(&fwd_b);
	unforward(&fwd_a);
	vlpi_irqfd(a, 0, efd0, false);
	edu_disable_msi(&edus[0]);
	close(efd0);
	vlpi_vm_free(b);
	vlpi_vm_free(a);
	for (i = 0; i < ARRAY_SIZE(bdfs); i++)
		edu_close(&edus[i]);
	ksft_finished();
}
