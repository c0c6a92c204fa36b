// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_fuzz - a VMM that does things in any order: bounded random
 * sequences over forwarding, routing, the saves and the module's
 * attributes, with invariants checked after every step.
 *
 * Each sequence is a new VM (one vCPU, a vITS mapping DevID 0 and 1 as
 * LPIs 8192 and 8193) and an edu device, whose MSI GSI 0 routes to DevID 0,
 * DevID 1 or an unmapped DevID. Steps, chosen at random:
 *
 *   irqfd on GSI 0 assigned or removed; VFIO MSI enabled or disabled;
 *   KVM_SET_GSI_ROUTING to another target; the device raising its MSI;
 *   the guest unmasking; ITS_SAVE_TABLES; SAVE_PENDING_TABLES; the
 *   module's attributes, good and bad (unknown ids, bad pointers, bad
 *   values, a POLICY change).
 *
 * A model of the VM says, after each step, what must hold:
 *
 *   - SAVE_PENDING_TABLES returns 0 (QEMU aborts on anything but 0 and
 *     EFAULT), and saves each target's bit as the model has it pending,
 *     unless the policy is legacy and no ITS save since the last one kept
 *     a forwarded ITE (one that did decides how its state is saved);
 *   - ITS_SAVE_TABLES returns 0, or EACCES with a forwarded vLPI under
 *     the legacy policy (upstream's answer); attribute calls return what
 *     uapi.rst lists for them;
 *   - STATS forwarded is 1 exactly when the model forwards;
 *   - when the guest unmasks, each LPI the model has pending is taken
 *     exactly once, and no other.
 *
 * The model: forwarding is set up when irqfd, MSI and a mapped route are
 * all there, and torn down by removing any of them or by any route
 * change (a route change unforwards, as upstream). Tearing down keeps a
 * pending vLPI in software unless the policy is legacy; setting up moves
 * it back. On GICv4.1, where the VPT cannot be read at teardown, it keeps
 * what the module holds: what the last pending save read of the vLPI, or
 * a state a set-up moved to the ITS, if the guest has not run since. A
 * raise is only made where the device's MSI reaches either the vLPI or an
 * irqfd, so that the eventfd never holds a count no consumer read. Needs
 * the module, where the VPT can be read (GICv4.1, or a GICv4.0 declared
 * coherent); the bed's vlpi_host_gic= says which.
 *
 * Usage: vlpi_mig_fuzz -m [-s SEED] [-c SEQUENCES] [-t STEPS] [-j WORKERS]
 * Without -s, the seed is the command line's vlpi_seed= (make check
 * SEED=N) or a new one each run; it is printed. Sequence k runs from seed
 * SEED + k: rerun one with -s SEED+k -c 1.
 * WORKERS processes (at most MAX_WORKERS, one edu each: 00:02.0, 00:03.0,
 * ...) share the sequences, k going to worker k % WORKERS; each sequence
 * is the same whichever worker runs it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "delay.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_mig_util.h"
#include "vlpi_migrate.h"

#define MAX_WORKERS	4	/* the bed's edu devices, 00:02.0 to 00:05.0 */
#define GRP		KVM_DEV_ARM_VGIC_GRP_VLPI_MIG
#define BAD_PTR		((void *)8)
#define NR_TARGETS	3	/* DevID 0, DevID 1, unmapped */
#define NR_LPIS		2
#define UNMAPPED_DEVID	7

static const struct vlpi_msi msis[NR_LPIS] = { { 0, 0 }, { 1, 0 } };

/* How many deliveries the host's model expects from the next unmask */
static uint32_t expected;

#define POLL_US		100
#define GRACE_US	2000	/* after the expected ones: room for a duplicate */

static void guest_code(void)
{
	uint32_t waited;

	local_irq_disable();
	vlpi_guest_gic_init();
	vlpi_guest_its_setup(msis, NR_LPIS, 0);
	GUEST_SYNC(1);

	for (;;) {
		/* Unmasked until the expected ones came, or the usual wait */
		local_irq_enable();
		for (waited = 0; waited < VLPI_GUEST_WAIT_US &&
		     READ_ONCE(vlpi_delivered[0]) + READ_ONCE(vlpi_delivered[1]) <
		     READ_ONCE(expected); waited += POLL_US)
			udelay(POLL_US);
		udelay(GRACE_US);
		local_irq_disable();
		GUEST_SYNC(2);
	}
}

enum op {
	OP_IRQFD, OP_MSI, OP_ROUTE, OP_RAISE, OP_RUN, OP_ITS_SAVE,
	OP_PENDING_SAVE, OP_ATTR, OP_POLICY, NR_OPS,
};

static const char *const op_names[NR_OPS] = {
	"irqfd", "msi", "route", "raise", "run", "its-save", "pending-save",
	"attr", "policy",
};

struct model {
	bool irqfd, msi, fwd, ran;
	int route;			/* a target: 0, 1, or 2 (unmapped) */
	bool vpt[NR_LPIS], sw[NR_LPIS];	/* pending, in the VPT or software */
	uint64_t policy;
	/* The last ITS save kept a forwarded ITE: the next pending save reads */
	bool promised;
	/*
	 * GICv4.1: the state the module holds of each vLPI, if any; it holds
	 * nothing new once the guest ran, until a pending save reads again
	 */
	bool v41, held[NR_LPIS], held_pending[NR_LPIS], ran_since_read;
};

struct seq {
	struct vlpi_vm *v;
	struct edu *edu;
	int efd;
	uint64_t rng;
	struct model m;
	char log[4096];
	size_t len;
	const char *fail;
};

static uint32_t rnd(struct seq *s, uint32_t n)
{
	/* xorshift64 */
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng % n;
}

static void note(struct seq *s, const char *fmt, ...)
{
	va_list ap;

	if (s->len >= sizeof(s->log) - 1)
		return;
	va_start(ap, fmt);
	s->len += vsnprintf(s->log + s->len, sizeof(s->log) - s->len, fmt, ap);
	va_end(ap);
}

static void fail(struct seq *s, const char *what)
{
	if (!s->fail)
		s->fail = what;
}

static void route(struct seq *s, int target)
{
	struct vlpi_msi msi = target < NR_LPIS ? msis[target] :
			      (struct vlpi_msi){ UNMAPPED_DEVID, 0 };

	vlpi_route_msis(s->v, &msi, 1);
}

/*
 * Forwarding set up: what was kept in software moves to the VPT, and the
 * module holds it (unless legacy)
 */
static void model_forward(struct model *m)
{
	if (m->fwd || !m->irqfd || !m->msi || m->route >= NR_LPIS)
		return;
	m->fwd = true;
	if (m->sw[m->route] && m->policy != KVM_VLPI_MIG_POLICY_LEGACY &&
	    !m->ran_since_read) {
		m->held[m->route] = true;
		m->held_pending[m->route] = true;
	}
	m->vpt[m->route] |= m->sw[m->route];
	m->sw[m->route] = false;
}

/*
 * Torn down: kept in software, unless the policy is legacy; on GICv4.1,
 * only what the module holds, and the hold is spent
 */
static void model_unforward(struct model *m)
{
	int r = m->route;

	if (!m->fwd)
		return;
	m->fwd = false;
	if (m->policy != KVM_VLPI_MIG_POLICY_LEGACY) {
		if (!m->v41)
			m->sw[r] |= m->vpt[r];
		else if (m->held[r])
			m->sw[r] |= m->held_pending[r];
		m->held[r] = false;
	}
	m->vpt[r] = false;
}

static void step_irqfd(struct seq *s)
{
	struct model *m = &s->m;

	if (m->irqfd) {
		vlpi_irqfd(s->v, 0, s->efd, false);
		m->irqfd = false;
		model_unforward(m);
	} else {
		vlpi_irqfd(s->v, 0, s->efd, true);
		m->irqfd = true;
		model_forward(m);
	}
}

static void step_msi(struct seq *s)
{
	struct model *m = &s->m;

	if (m->msi) {
		edu_disable_msi(s->edu);
		m->msi = false;
		model_unforward(m);
	} else {
		edu_enable_msi(s->edu, s->efd);
		m->msi = true;
		model_forward(m);
	}
}

static void step_route(struct seq *s)
{
	struct model *m = &s->m;
	int target = (m->route + 1 + rnd(s, NR_TARGETS - 1)) % NR_TARGETS;

	route(s, target);
	note(s, "(%d)", target);
	model_unforward(m);
	m->route = target;
}

static void step_raise(struct seq *s)
{
	struct model *m = &s->m;

	bool pending = false, hw = true;
	int i;

	/*
	 * Only where the MSI reaches the vLPI or a consumer of the eventfd
	 * that can translate it: an irqfd may defer its injection to a work
	 * item, which uses the route of when it runs, not of the raise.
	 */
	if (!m->msi || !m->irqfd || m->route >= NR_LPIS) {
		note(s, "(skipped)");
		return;
	}
	edu_raise(s->edu, 1);
	edu_ack(s->edu, 1);
	if (m->fwd) {
		m->vpt[m->route] = true;
		return;
	}
	/* Through the host and the irqfd: wait until it has landed */
	for (i = 0; i < 1000; i++) {
		if (vgic_lpi_state(s->v->vm, VLPI_LPI_BASE + m->route,
				   &pending, &hw) && pending)
			break;
		usleep(1000);
	}
	if (!pending)
		fail(s, "an MSI injected through the irqfd never landed");
	m->sw[m->route] = true;
}

static void step_run(struct seq *s)
{
	struct model *m = &s->m;
	int i;

	expected = 0;
	for (i = 0; i < NR_LPIS; i++)
		expected += m->vpt[i] || m->sw[i];
	sync_global_to_guest(s->v->vm, expected);
	vlpi_delivered_reset(s->v);
	vlpi_run_to_sync(s->v->vcpus[0], 2);
	vlpi_delivered_sync(s->v);
	m->ran = true;
	/* The guest ran: nothing the module held is true any more */
	memset(m->held, 0, sizeof(m->held));
	m->ran_since_read = true;
	for (i = 0; i < NR_LPIS; i++) {
		uint32_t want = m->vpt[i] || m->sw[i];

		note(s, "(%u:%u/%u)", VLPI_LPI_BASE + i, vlpi_delivered[i],
		     want);
		if (vlpi_delivered[i] != want)
			fail(s, vlpi_delivered[i] > want ?
			     "an LPI taken more often than it was made pending" :
			     "a pending LPI not taken");
		m->vpt[i] = false;
		m->sw[i] = false;
	}
}

static void step_its_save(struct seq *s)
{
	int ret = vlpi_save_its_tables(s->v);
	/* On GICv4.1 the vGIC saves forwarded ITEs itself */
	bool refuse = s->m.fwd && !s->m.v41 &&
		      s->m.policy == KVM_VLPI_MIG_POLICY_LEGACY;

	note(s, "(%s)", strerror(ret));
	if (ret != (refuse ? EACCES : 0))
		fail(s, "ITS_SAVE_TABLES returned what uapi.rst does not list");
	/* The module decides for forwarded ITEs only without GICv4.1 */
	if (!ret && s->m.fwd && !s->m.v41)
		s->m.promised = true;
}

static void step_pending_save(struct seq *s)
{
	struct model *m = &s->m;
	uint8_t *table = vlpi_pend_table(s->v, 0);
	bool reads;
	int ret, i;

	memset(table + VLPI_LPI_BASE / 8, 0, 1);
	ret = vlpi_save_pending_tables(s->v);
	note(s, "(%s)", strerror(ret));
	if (ret)
		fail(s, "SAVE_PENDING_TABLES did not return 0");
	/*
	 * An ITS save that kept the ITE decided how its state is saved; on
	 * GICv4.1 upstream reads the VPT too
	 */
	reads = m->promised || m->policy != KVM_VLPI_MIG_POLICY_LEGACY;
	m->promised = false;
	if (reads && m->v41) {
		m->ran_since_read = false;
		if (m->fwd) {
			m->held[m->route] = true;
			m->held_pending[m->route] = m->vpt[m->route];
		}
	}
	if (!reads && !m->v41)
		return;
	for (i = 0; i < NR_LPIS; i++)
		if (vlpi_pend_bit(table, VLPI_LPI_BASE + i) !=
		    (m->vpt[i] || m->sw[i]))
			fail(s, "a saved bit is not what is pending");
}

/* Bad input to the module's group: each must get the errno it documents */
static void step_attr(struct seq *s)
{
	struct kvm_device_attr a = { .group = GRP };
	uint64_t val = 0;
	int ret, want;

	switch (rnd(s, 5)) {
	case 0:		/* an unknown attribute, either way */
		a.attr = 4 + rnd(s, 100);
		a.addr = (uint64_t)&val;
		ret = rnd(s, 2) ? __kvm_ioctl(s->v->gic_fd, KVM_SET_DEVICE_ATTR, &a) :
				  __kvm_ioctl(s->v->gic_fd, KVM_GET_DEVICE_ATTR, &a);
		want = ENXIO;
		break;
	case 1:		/* a bad pointer */
		a.attr = rnd(s, 4);
		a.addr = (uint64_t)BAD_PTR;
		ret = __kvm_ioctl(s->v->gic_fd, KVM_GET_DEVICE_ATTR, &a);
		want = a.attr == KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS ? ENODATA :
		       EFAULT;
		break;
	case 2:		/* an out-of-range policy */
		a.attr = KVM_DEV_ARM_VLPI_MIG_POLICY;
		val = KVM_VLPI_MIG_POLICY_LEGACY + 1 + rnd(s, 1000);
		a.addr = (uint64_t)&val;
		ret = __kvm_ioctl(s->v->gic_fd, KVM_SET_DEVICE_ATTR, &a);
		want = EINVAL;
		break;
	case 3:		/* CAPS with a bit nobody knows */
		a.attr = KVM_DEV_ARM_VLPI_MIG_CAPS;
		val = 1ull << (6 + rnd(s, 58));
		a.addr = (uint64_t)&val;
		ret = __kvm_ioctl(s->v->gic_fd, KVM_SET_DEVICE_ATTR, &a);
		want = s->m.ran ? EBUSY : EINVAL;
		break;
	default:	/* STATS of a wrong size */
		{
			struct kvm_vlpi_mig_stats st = {
				.size = 1 + 8 * rnd(s, 2) + rnd(s, 7),
			};

			a.attr = KVM_DEV_ARM_VLPI_MIG_STATS;
			a.addr = (uint64_t)&st;
			ret = __kvm_ioctl(s->v->gic_fd, KVM_GET_DEVICE_ATTR,
					  &a);
			want = EINVAL;
		}
		break;
	}
	ret = ret ? errno : 0;
	note(s, "(%llu:%s)", (unsigned long long)a.attr, strerror(ret));
	if (ret != want)
		fail(s, "an attribute call returned what uapi.rst does not list");
}

static void step_policy(struct seq *s)
{
	uint64_t p = rnd(s, KVM_VLPI_MIG_POLICY_LEGACY + 1);

	kvm_device_attr_set(s->v->gic_fd, GRP, KVM_DEV_ARM_VLPI_MIG_POLICY, &p);
	s->m.policy = p;
	note(s, "(%lu)", (unsigned long)p);
}

static void (*const steps[NR_OPS])(struct seq *s) = {
	step_irqfd, step_msi, step_route, step_raise, step_run,
	step_its_save, step_pending_save, step_attr, step_policy,
};

static void check_stats(struct seq *s)
{
	struct kvm_vlpi_mig_stats st;

	if (vlpi_mig_get_stats(s->v, &st))
		fail(s, "STATS unreadable");
	else if (st.forwarded != s->m.fwd)
		fail(s, "STATS forwarded disagrees with the forwarding set up");
}

/* One sequence on a new VM; NULL if every invariant held */
static const char *one_sequence(struct seq *s, struct edu *edu,
				uint64_t seed, int nr_steps)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->m.v41 = vlpi_host_gicv4_1();
	s->m.ran_since_read = true;	/* the guest runs to its first sync */
	s->edu = edu;
	s->rng = seed * 2654435761u + 1;
	s->v = vlpi_its_vm_create(1, guest_code);
	vlpi_count_deliveries(s->v);
	vlpi_run_to_sync(s->v->vcpus[0], 1);
	s->m.ran = true;
	s->efd = eventfd(0, EFD_NONBLOCK);
	TEST_ASSERT(s->efd >= 0, "eventfd");
	route(s, 0);

	for (i = 0; i < nr_steps && !s->fail; i++) {
		enum op op = rnd(s, NR_OPS);

		note(s, " %s", op_names[op]);
		steps[op](s);
		check_stats(s);
	}
	/* Whatever is still pending must arrive once, and the VM go */
	if (!s->fail) {
		note(s, " final-run");
		step_run(s);
	}

	if (s->m.msi)
		edu_disable_msi(edu);
	if (s->m.irqfd)
		vlpi_irqfd(s->v, 0, s->efd, false);
	close(s->efd);
	vlpi_vm_free(s->v);
	return s->fail;
}

/* Worker @w of @nr_workers: its share of the sequences; how many failed */
static int run_worker(int w, int nr_workers, uint64_t seed, int nr_seqs,
		      int nr_steps)
{
	static struct seq s;
	int k, failed = 0;
	struct edu edu;
	char bdf[16];

	snprintf(bdf, sizeof(bdf), "0000:00:%02x.0", 2 + w);
	if (!edu_open(&edu, bdf)) {
		ksft_print_msg("%s (worker %d) is not bound to vfio-pci\n", bdf,
			       w);
		return nr_seqs;
	}
	for (k = w; k < nr_seqs; k += nr_workers) {
		const char *why = one_sequence(&s, &edu, seed + k, nr_steps);

		if (!why)
			continue;
		if (failed++ < 5)
			ksft_print_msg("sequence %d (-s %lu -c 1): %s:%s\n", k,
				       (unsigned long)(seed + k), why, s.log);
	}
	edu_close(&edu);
	return failed;
}

int main(int argc, char *argv[])
{
	int opt, nr_seqs = 1000, nr_steps = 16, nr_workers = 1, failed = 0;
	char *mode[3] = { argv[0], "-n", NULL };
	bool seed_given = false;
	struct timespec t0, t1;
	uint64_t seed;
	int w, status;

	while ((opt = getopt(argc, argv, "mns:c:t:j:")) != -1) {
		switch (opt) {
		case 'm':
			mode[1] = "-m";
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			seed_given = true;
			break;
		case 'c':
			nr_seqs = atoi(optarg);
			break;
		case 't':
			nr_steps = atoi(optarg);
			break;
		case 'j':
			nr_workers = atoi(optarg);
			break;
		}
	}
	optind = 1;
	/* A new seed each run, unless given: printed, to replay it */
	if (!seed_given)
		seed = vlpi_fuzz_seed();
	if (!vlpi_mig_test_start(2, mode))
		ksft_exit_skip("the model is the module's (-m)\n");
	TEST_ASSERT(vlpi_vpt_readable(),
		    "run where the VPT can be read (GICv4.1, or vpt_coherent=1)");
	if (nr_workers < 1 || nr_workers > MAX_WORKERS)
		ksft_exit_fail_msg("-j takes 1 to %d\n", MAX_WORKERS);
	ksft_set_plan(1);
	ksft_print_msg("seed %lu, %d sequences of %d steps, %d worker(s)\n",
		       (unsigned long)seed, nr_seqs, nr_steps, nr_workers);
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (w = 0; w < nr_workers; w++) {
		pid_t pid = fork();

		TEST_ASSERT(pid >= 0, "fork");
		if (!pid) {
			/* A line at a time, so that workers' lines never mix */
			setvbuf(stdout, NULL, _IOLBF, 0);
			failed = run_worker(w, nr_workers, seed, nr_seqs, nr_steps);
			exit(failed > 255 ? 255 : failed);
		}
	}
	for (w = 0; w < nr_workers; w++) {
		TEST_ASSERT(wait(&status) > 0, "wait");
		/* A worker that died (a TEST_ASSERT) counts as a failure */
		failed += WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ksft_print_msg("%d sequences in %.0f s\n", nr_seqs,
		       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);

	ksft_test_result(!failed, "%d sequences, %d broke an invariant\n",
			 nr_seqs, failed);
	ksft_finished();
}
