// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_restore_busy - forwarding set up on the destination while the
 * vCPU that holds the restored LPI runs.
 *
 * ITS_RESTORE_TABLES latches a pending LPI in software and queues it on
 * its vCPU. If that vCPU is in KVM_RUN when forwarding is set up, the LPI
 * may sit in one of its list registers: the module must not move the
 * state to the ITS itself (the guest could then take it from both); it
 * leaves the move to the vGIC, as upstream does (vgic/restore.c).
 *
 * One vCPU, the edu at 00:02.0 forwarded as LPI 8192 and raised on the
 * source while the guest is masked; both tables saved; the destination
 * restored from them. The destination's vCPU then runs in a thread of its
 * own, pinned to a host CPU the host's thread does not use, masked,
 * spinning until the host lets it go; once the guest says
 * it spins, the host routes the MSI and assigns its irqfd (forwarding set
 * up). With the module, the restore trace event must show the module
 * stepped aside (-EBUSY: the branch under test was reached). Whether it
 * is reached is a race: a destination where the module moved the state
 * itself (the vCPU had the LPI in no list register at that instant) is
 * checked too, and another is built from the same tables, up to 50; the
 * test fails rather than pass having never reached the branch. On every
 * destination the guest unmasks: LPI 8192 must arrive exactly once; on
 * the last, a fresh MSI exactly once after it.
 *
 * Without the module (-n) the same outcome is asserted of upstream, on
 * the GICv4.1 host (on GICv4.0 upstream refuses the ITS save).
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
#include "vlpi_observe.h"

#define BDF		"0000:00:02.0"
#define DEVID		0x10
#define INTID		VLPI_LPI_BASE
#define SPIN_WAIT_S	60
#define SPIN_SETTLE_US	20000
#define MAX_ATTEMPTS	50

static const struct vlpi_msi msi = { DEVID, 0 };

/* The guest spins masked (spinning) until the host says go */
static uint32_t spinning, go;

static void guest_code(void)
{
	uint32_t stage;

	local_irq_disable();
	vlpi_guest_gic_init();
	vlpi_guest_its_setup(&msi, 1, 0);
	GUEST_SYNC(1);

	/* On the destination: loaded, masked, until forwarding is set up */
	WRITE_ONCE(spinning, 1);
	while (!READ_ONCE(go))
		cpu_relax();
	for (stage = 2; stage <= 3; stage++) {
		vlpi_guest_unmask_for(VLPI_GUEST_WAIT_US);
		GUEST_SYNC(stage);
	}
	GUEST_DONE();
}

/* Its guest counts its LPIs (vlpi_delivered[]) */
static struct vlpi_vm *create_vm(void)
{
	struct vlpi_vm *v = vlpi_its_vm_create(1, guest_code);

	vlpi_count_deliveries(v);
	return v;
}

/* LPI 8192's deliveries, and how many other LPIs the guest took */
static uint32_t taken(struct vlpi_vm *v, uint32_t *others)
{
	unsigned int i;

	vlpi_delivered_sync(v);
	*others = 0;
	for (i = 1; i < VLPI_NR_LPIS; i++)
		*others += vlpi_delivered[i];
	return vlpi_delivered[0];
}

static void forward(struct vlpi_vm *v, int efd, bool on)
{
	vlpi_irqfds(v, &msi, &efd, 1, on);
}

/* The calling thread on @cpu only */
static void pin_to_cpu(int cpu)
{
	cpu_set_t set;
	int ret;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ret = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	TEST_ASSERT(!ret, "pin to CPU %d: %s", cpu, strerror(ret));
}

/*
 * On a CPU of its own, so that the host's ioctls never preempt it: a
 * vCPU thread scheduled out is put, and its LPIs are in no list register
 */
static void *run_vcpu(void *arg)
{
	pin_to_cpu(1);
	vlpi_run_to_sync(arg, 2);
	return NULL;
}

/* The restore event the module traced for LPI 8192: its ret, or 1 if none */
static int restore_ret(void)
{
	static struct vlpi_event evs[64];
	const struct vlpi_event *e;
	int n = vlpi_trace_read(evs, 64);

	e = n > 0 ? vlpi_trace_find(evs, n, "restore", INTID, 0) : NULL;
	if (e)
		ksft_print_msg("trace: vlpi_mig_restore: " VLPI_EVENT_FMT "\n",
			       e->pid, e->vm_id, e->vcpu, e->intid,
			       e->host_irq, e->pending, e->ret);
	return e ? e->ret : 1;
}

/*
 * One destination restored from @src's tables, forwarding set up while
 * its vCPU spins loaded; returns the VM, its guest done with stage 2
 */
static struct vlpi_vm *build_destination(struct vlpi_vm *src, int efd)
{
	uint32_t *spin_hva, *go_hva;
	pthread_t vcpu_thread;
	struct vlpi_vm *dst;
	time_t until;
	int ret;

	dst = create_vm();
	ret = vlpi_migrate_state(dst, src);
	TEST_ASSERT(!ret, "ITS_RESTORE_TABLES: %s", strerror(ret));
	spin_hva = addr_gva2hva(dst->vm, (vm_vaddr_t)&spinning);
	go_hva = addr_gva2hva(dst->vm, (vm_vaddr_t)&go);
	ret = pthread_create(&vcpu_thread, NULL, run_vcpu, dst->vcpus[0]);
	TEST_ASSERT(!ret, "pthread_create: %s", strerror(ret));
	until = time(NULL) + SPIN_WAIT_S;
	while (!READ_ONCE(*spin_hva) && time(NULL) < until)
		usleep(1000);
	TEST_ASSERT(READ_ONCE(*spin_hva), "the guest never started to spin");
	usleep(SPIN_SETTLE_US);

	/* Forwarding set up while the vCPU is in KVM_RUN */
	forward(dst, efd, true);
	WRITE_ONCE(*go_hva, 1);
	pthread_join(vcpu_thread, NULL);
	return dst;
}

int main(int argc, char *argv[])
{
	int efd, its_err, pend_err, ret = 0;
	unsigned int attempt, bad = 0;
	uint32_t delivered, others;
	struct vlpi_vm *src, *dst;
	struct edu edu;
	bool module;

	module = vlpi_mig_test_start(argc, argv);
	if (!module && !vlpi_host_gicv4_1())
		ksft_exit_fail_msg("-n: GICv4.1 only (upstream refuses v4.0's ITS save)\n");
	if (!edu_open(&edu, BDF))
		ksft_exit_fail_msg("%s is not bound to vfio-pci\n", BDF);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		ksft_exit_fail_msg("the vCPU needs a CPU of its own: 2 CPUs at least\n");
	pin_to_cpu(0);
	ksft_set_plan(module ? 5 : 4);

	/* The source: LPI 8192 forwarded, raised while masked, saved */
	src = create_vm();
	vlpi_run_to_sync(src->vcpus[0], 1);
	efd = eventfd(0, EFD_NONBLOCK);
	TEST_ASSERT(efd >= 0, "eventfd");
	forward(src, efd, true);
	edu_enable_msi(&edu, efd);
	TEST_ASSERT(host_irq_forwarded(edu_host_irq(&edu)),
		    "the source's MSI is not forwarded");
	edu_raise(&edu, 1);
	its_err = vlpi_save_its_tables(src);
	pend_err = vlpi_save_pending_tables(src);
	ksft_test_result(!its_err && !pend_err &&
			 vlpi_pend_bit(vlpi_pend_table(src, 0), INTID),
			 "source: tables saved (%s, %s), LPI %u pending in guest RAM\n",
			 strerror(its_err), strerror(pend_err), INTID);
	forward(src, efd, false);
	edu_ack(&edu, 1);

	/*
	 * Whether the vCPU holds the LPI in a list register at the instant
	 * forwarding is set up is a race the host cannot steer: each
	 * destination that missed the branch is checked as well, and
	 * another is built from the same tables
	 */
	for (attempt = 1;; attempt++) {
		if (module)
			TEST_ASSERT(vlpi_trace_start(), "tracefs: vlpi_mig events");
		dst = build_destination(src, efd);
		if (module) {
			ret = restore_ret();
			vlpi_trace_stop();
		}
		delivered = taken(dst, &others);
		ksft_print_msg("destination %u: %s %d; LPI %u taken %u time(s), %u other(s)\n",
			       attempt, module ? "restore event ret" : "upstream, no event",
			       ret, INTID, delivered, others);
		bad += delivered != 1 || others;
		if (!module || ret == -EBUSY || attempt == MAX_ATTEMPTS)
			break;
		forward(dst, efd, false);
		vlpi_vm_free(dst);
	}
	if (module)
		ksft_test_result(ret == -EBUSY,
				 "the module left the move to the vGIC: restore event ret %d (want %d), destination %u\n",
				 ret, -EBUSY, attempt);
	ksft_test_result(host_irq_forwarded(edu_host_irq(&edu)),
			 "the MSI is forwarded on the destination\n");
	ksft_test_result(!bad,
			 "unmasked: LPI %u taken once on each of %u destination(s), nothing else\n",
			 INTID, attempt);

	/* A fresh MSI: forwarding is live, nothing left over */
	vlpi_delivered_reset(dst);
	edu_raise(&edu, 1);
	vlpi_run_to_sync(dst->vcpus[0], 3);
	delivered = taken(dst, &others);
	ksft_test_result(delivered == 1 && !others,
			 "a fresh MSI taken %u time(s) (want 1), %u other(s)\n",
			 delivered, others);

	forward(dst, efd, false);
	edu_ack(&edu, 1);
	edu_disable_msi(&edu);
	close(efd);
	vlpi_vm_free(dst);
	vlpi_vm_free(src);
	edu_close(&edu);
	ksft_finished();
}
