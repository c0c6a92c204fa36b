// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_fuzz - a VMM that does things in any order: bounded random
 * sequences over forwarding, routing, the saves, migration, the module's
 * attributes and its unload, with invariants checked after every step.
 *
 * Each sequence is a new VM of 1 to MAX_VCPUS vCPUs whose guest maps 2N
 * to 64 LPIs in its vITS (LPI 8192 + i is DevID i / 8, EventID i % 8, on
 * a vCPU picked at random), and the worker's N edu devices. Device d's
 * MSI, GSI d, routes to LPI d, LPI N + d or an unmapped DevID; the other
 * LPIs are only ever raised by the VMM (KVM_SIGNAL_MSI). Steps, chosen at
 * random:
 *
 *   a device's irqfd assigned or removed; its VFIO MSI enabled or
 *   disabled; its route changed (KVM_SET_GSI_ROUTING); the device raising
 *   its MSI; the VMM raising a software LPI; the guest unmasking on every
 *   vCPU; ITS_SAVE_TABLES; SAVE_PENDING_TABLES; the module's attributes,
 *   good and bad (unknown ids, bad pointers, bad values, a POLICY
 *   change); a migration to a new VM, which takes the devices; the module
 *   unloaded and loaded again.
 *
 * A model of the VM says, after each step, what must hold:
 *
 *   - SAVE_PENDING_TABLES returns 0 (QEMU aborts on anything but 0 and
 *     EFAULT), and saves each LPI's bit as the model has it pending,
 *     unless the policy is legacy and no ITS save since the last one kept
 *     a forwarded ITE (one that did decides how its state is saved);
 *   - ITS_SAVE_TABLES returns 0, or EACCES with a forwarded vLPI under
 *     the legacy policy (upstream's answer); attribute calls return what
 *     uapi.rst lists for them; rmmod is refused (EAGAIN) exactly while
 *     some VM of any worker holds a POLICY;
 *   - STATS forwarded counts the devices the model forwards;
 *   - a raise reaches its LPI: through the vLPI, through the irqfd, or,
 *     with no irqfd, through the VMM, which reads the device's eventfd
 *     (exactly one count) and sends the MSI with KVM_SIGNAL_MSI on the
 *     device's route, as QEMU does; an unmapped route drops it;
 *   - when the guest unmasks, each LPI the model has pending is taken
 *     exactly once, on its vCPU, and no other; across a migration too.
 *
 * The model: forwarding is set up when irqfd, MSI and a mapped route are
 * all there, and torn down by removing any of them or by a change of the
 * device's route. Tearing down keeps a pending vLPI in software unless
 * the policy is legacy; setting up moves it back. On GICv4.1, where the
 * VPT cannot be read at teardown, it keeps what the module holds: what
 * the last pending save read of the vLPI, or a state a set-up moved to
 * the ITS, if the guest has not run since. A migration carries what the
 * source's pending save wrote; the destination holds what its forwarding
 * restores. A reload of the module forgets what it held, the POLICY
 * (back to the default, strict) and any ITS save's promise.
 *
 * Needs the module, where the VPT can be read (GICv4.1); the bed's
 * vlpi_host_gic= says which.
 *
 * Usage: vlpi_mig_fuzz -m [-s SEED] [-c SEQUENCES] [-t STEPS] [-j WORKERS]
 * Without -s, the seed is the command line's vlpi_seed= (make check
 * SEED=N) or a new one each run; it is printed, and vlpi_fuzz_part=K/N
 * (make fuzz PART=K/N) runs only the K-th of N slices of the sequences.
 * Sequence k runs from seed SEED + k: rerun one with -s SEED+k -c 1 -j
 * WORKERS (a sequence also depends on how many devices its worker has:
 * the bed's four edu, 00:02.0 to 00:05.0, shared out among the workers).
 * Workers share the module: each step holds a shared lock, an unload the
 * exclusive one.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mman.h>
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

#define NR_EDUS		4	/* the bed's edu devices, 00:02.0 to 00:05.0 */
#define MAX_WORKERS	NR_EDUS
#define MAX_DEVS	NR_EDUS
#define MAX_VCPUS	8
#define MAX_LPIS	VLPI_NR_LPIS
#define EVENTS_PER_DEV	8	/* LPI i is DevID i / 8, EventID i % 8 */
#define UNMAPPED	(-1)
#define UNMAPPED_DEVID	(MAX_LPIS / EVENTS_PER_DEV)
#define GRP		KVM_DEV_ARM_VGIC_GRP_VLPI_MIG
#define BAD_PTR		((void *)8)
#define LOCK_FILE	"/tmp/vlpi_mig_fuzz.lock"

/* Shared with the guest: its LPIs, their vCPUs, what to wait for */
static uint32_t nr_lpis;
static uint32_t target[MAX_LPIS];
static uint32_t expected[MAX_VCPUS];

#define POLL_US		100
#define GRACE_US	2000	/* after the expected ones: room for a duplicate */

static uint32_t taken_here(uint32_t cpu)
{
	uint32_t i, n = 0;

	for (i = 0; i < READ_ONCE(nr_lpis); i++)
		if (READ_ONCE(target[i]) == cpu)
			n += READ_ONCE(vlpi_delivered[i]);
	return n;
}

static void guest_code(void)
{
	uint32_t cpu = guest_get_vcpuid(), waited, i;

	local_irq_disable();
	vlpi_guest_gic_init();
	if (cpu == 0) {
		vlpi_guest_its_init();
		for (i = 0; i < nr_lpis; i += EVENTS_PER_DEV)
			vlpi_guest_map_device(i / EVENTS_PER_DEV,
					      i / EVENTS_PER_DEV);
		for (i = 0; i < nr_lpis; i++)
			vlpi_guest_map_event(i / EVENTS_PER_DEV,
					     i % EVENTS_PER_DEV, target[i],
					     VLPI_LPI_BASE + i);
		vlpi_guest_invall();
	}
	GUEST_SYNC(1);

	for (;;) {
		/* Unmasked until this vCPU's LPIs came, or the usual wait */
		local_irq_enable();
		for (waited = 0; waited < VLPI_GUEST_WAIT_US &&
		     taken_here(cpu) < READ_ONCE(expected[cpu]);
		     waited += POLL_US)
			udelay(POLL_US);
		udelay(GRACE_US);
		local_irq_disable();
		GUEST_SYNC(2);
	}
}

enum op {
	OP_IRQFD, OP_MSI, OP_ROUTE, OP_RAISE, OP_SOFT, OP_RUN, OP_ITS_SAVE,
	OP_PENDING_SAVE, OP_ATTR, OP_POLICY, OP_MIGRATE, OP_RELOAD, NR_OPS,
};

static const char *const op_names[NR_OPS] = {
	"irqfd", "msi", "route", "raise", "soft", "run", "its-save",
	"pending-save", "attr", "policy", "migrate", "reload",
};

/* How often each step is drawn: a migration and a reload cost most */
static const uint8_t op_weights[NR_OPS] = {
	4, 3, 3, 4, 2, 2, 1, 2, 1, 1, 1, 1,
};

/* What the workers share: the module's generation and who pins it */
struct shared {
	int generation;		/* reloads so far */
	int pins;		/* live VMs that set a POLICY */
	int reloading;		/* a worker waits for the exclusive lock */
};

static struct shared *shared;
static int lock_fd = -1;

/* What a worker's steps did, printed at its end: what was exercised */
static struct {
	unsigned int ops[NR_OPS];
	unsigned int raise_vlpi, raise_irqfd, raise_vmm, raise_dropped;
	unsigned int raise_no_msi, migrated, reloaded, reload_refused;
	unsigned int taken, vcpus, lpis;
} tally;

struct dev_model {
	bool irqfd, msi, fwd;
	int route;			/* an LPI, or UNMAPPED */
};

struct model {
	unsigned int nr_vcpus, nr_devs;
	struct dev_model dev[MAX_DEVS];
	bool vpt[MAX_LPIS], sw[MAX_LPIS];	/* pending, in the VPT or software */
	uint64_t policy;
	bool ran, pinned;
	int generation;			/* of the module this VM last saw */
	/*
	 * The module has state for the VM: made with the VM, and after a
	 * reload by the first save, or SET of SOURCE_CAPS or POLICY, valid or not
	 */
	bool state;
	/* The last ITS save kept a forwarded ITE: the next pending save reads */
	bool promised;
	/*
	 * GICv4.1: the state the module holds of each vLPI, if any; it holds
	 * nothing new once the guest ran, until a pending save reads again
	 */
	bool v41, held[MAX_LPIS], held_pending[MAX_LPIS], ran_since_read;
};

/*
 * The module makes the VM's state: what it holds from then on is true
 * until a vCPU runs
 */
static void model_state(struct model *m)
{
	if (m->state)
		return;
	m->state = true;
	m->ran_since_read = false;
}

struct seq {
	struct vlpi_vm *v;
	struct edu *edus;
	int efd[MAX_DEVS];
	uint64_t rng;
	struct model m;
	char log[8192];
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

static struct vlpi_msi lpi_msi(int lpi)
{
	if (lpi == UNMAPPED)
		return (struct vlpi_msi){ UNMAPPED_DEVID, 0 };
	return (struct vlpi_msi){ lpi / EVENTS_PER_DEV, lpi % EVENTS_PER_DEV };
}

/* KVM_SET_GSI_ROUTING takes the whole table: every device's route */
static void route_all(struct seq *s, struct vlpi_vm *v)
{
	struct vlpi_msi msis[MAX_DEVS];
	unsigned int d;

	for (d = 0; d < s->m.nr_devs; d++)
		msis[d] = lpi_msi(s->m.dev[d].route);
	vlpi_route_msis(v, msis, s->m.nr_devs);
}

/*
 * Forwarding set up: what was kept in software moves to the VPT, and the
 * module holds it (unless legacy)
 */
static void model_forward(struct model *m, unsigned int d)
{
	struct dev_model *dm = &m->dev[d];
	int r = dm->route;

	if (dm->fwd || !dm->irqfd || !dm->msi || r == UNMAPPED)
		return;
	dm->fwd = true;
	if (m->sw[r] && m->policy != KVM_VLPI_MIG_POLICY_LEGACY &&
	    m->state && !m->ran_since_read) {
		m->held[r] = true;
		m->held_pending[r] = true;
	}
	m->vpt[r] |= m->sw[r];
	m->sw[r] = false;
}

/*
 * Torn down: kept in software, unless the policy is legacy; on GICv4.1,
 * only what the module holds, and the hold is spent
 */
static void model_unforward(struct model *m, unsigned int d)
{
	struct dev_model *dm = &m->dev[d];
	int r = dm->route;

	if (!dm->fwd)
		return;
	dm->fwd = false;
	if (m->policy != KVM_VLPI_MIG_POLICY_LEGACY) {
		if (!m->v41)
			m->sw[r] |= m->vpt[r];
		else if (m->held[r])
			m->sw[r] |= m->held_pending[r];
		m->held[r] = false;
	}
	m->vpt[r] = false;
}

static unsigned int nr_forwarded(const struct model *m)
{
	unsigned int d, n = 0;

	for (d = 0; d < m->nr_devs; d++)
		n += m->dev[d].fwd;
	return n;
}

/* The module was reloaded since this VM last looked: it holds nothing */
static void model_catch_up(struct model *m)
{
	if (m->generation == shared->generation)
		return;
	m->generation = shared->generation;
	m->policy = KVM_VLPI_MIG_POLICY_STRICT;
	m->promised = false;
	memset(m->held, 0, sizeof(m->held));
	m->state = false;
}

static void step_irqfd(struct seq *s, unsigned int d)
{
	struct model *m = &s->m;

	if (m->dev[d].irqfd) {
		vlpi_irqfd(s->v, d, s->efd[d], false);
		m->dev[d].irqfd = false;
		model_unforward(m, d);
	} else {
		vlpi_irqfd(s->v, d, s->efd[d], true);
		m->dev[d].irqfd = true;
		model_forward(m, d);
	}
}

static void step_msi(struct seq *s, unsigned int d)
{
	struct model *m = &s->m;

	if (m->dev[d].msi) {
		edu_disable_msi(&s->edus[d]);
		m->dev[d].msi = false;
		model_unforward(m, d);
	} else {
		edu_enable_msi(&s->edus[d], s->efd[d]);
		m->dev[d].msi = true;
		model_forward(m, d);
	}
}

static void step_route(struct seq *s, unsigned int d)
{
	struct model *m = &s->m;
	int targets[3] = { (int)d, (int)(m->nr_devs + d), UNMAPPED };
	int now = m->dev[d].route == UNMAPPED ? 2 : m->dev[d].route == (int)d ? 0 : 1;
	int next = targets[(now + 1 + rnd(s, 2)) % 3];

	/* The change tears forwarding down; only a new irqfd or MSI sets it up */
	model_unforward(m, d);
	m->dev[d].route = next;
	route_all(s, s->v);
	note(s, "(%d)", next);
}

/* Waits for @lpi to be pending in software, as an injection made it */
static bool landed(struct seq *s, int lpi)
{
	bool pending = false, hw = true;
	int i;

	for (i = 0; i < 1000; i++) {
		if (vgic_lpi_state(s->v->vm, VLPI_LPI_BASE + lpi, &pending,
				   &hw) && pending)
			return true;
		usleep(1000);
	}
	return false;
}

/* The eventfd's count once the device's MSI reached it: 0 if it never did */
static uint64_t eventfd_take(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t n = 0;

	if (poll(&p, 1, 2000) == 1 && read(efd, &n, sizeof(n)) != sizeof(n))
		n = 0;
	return n;
}

/* Waits for the host to take @irq once more than @before */
static bool host_took(int irq, uint64_t before)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (host_irq_count(irq) > before)
			return true;
		usleep(1000);
	}
	return false;
}

static void step_raise(struct seq *s, unsigned int d)
{
	struct model *m = &s->m;
	struct dev_model *dm = &m->dev[d];
	int r = dm->route, irq = -1, ret, mapped;
	uint64_t before = 0, n;

	if (dm->msi && !dm->fwd) {
		irq = edu_host_irq(&s->edus[d]);
		before = host_irq_count(irq);
	}
	edu_raise(&s->edus[d], 1);
	edu_ack(&s->edus[d], 1);
	if (!dm->msi) {
		/* INTx, which nothing on the host enabled */
		note(s, "(no MSI)");
		tally.raise_no_msi++;
		return;
	}
	if (dm->fwd) {
		m->vpt[r] = true;
		tally.raise_vlpi++;
		return;
	}
	if (dm->irqfd) {
		/* Through the host and the irqfd */
		if (!host_took(irq, before)) {
			fail(s, "the device's MSI never reached the host");
			return;
		}
		if (r == UNMAPPED) {
			/*
			 * The irqfd may inject from a work item, with the
			 * route of when it runs: removing it flushes that
			 */
			vlpi_irqfd(s->v, d, s->efd[d], false);
			vlpi_irqfd(s->v, d, s->efd[d], true);
			note(s, "(dropped)");
			tally.raise_dropped++;
			return;
		}
		if (!landed(s, r))
			fail(s, "an MSI injected through the irqfd never landed");
		m->sw[r] = true;
		tally.raise_irqfd++;
		return;
	}
	/* No irqfd: the VMM is the eventfd's consumer, as QEMU is */
	n = eventfd_take(s->efd[d]);
	ret = vlpi_signal_msi(s->v, lpi_msi(r));
	note(s, "(eventfd %lu, MSI %d)", (unsigned long)n, ret);
	if (n != 1)
		fail(s, "the device's MSI did not reach its eventfd exactly once");
	/* 1: delivered to the vITS; 0: the ITS dropped it, unmapped */
	mapped = r != UNMAPPED;
	if (ret != mapped)
		fail(s, "KVM_SIGNAL_MSI did not do what the route says");
	if (r == UNMAPPED) {
		tally.raise_dropped++;
		return;
	}
	if (!landed(s, r))
		fail(s, "an MSI the VMM sent never landed");
	m->sw[r] = true;
	tally.raise_vmm++;
}

/* The VMM raises an LPI no device routes to */
static void step_soft(struct seq *s)
{
	struct model *m = &s->m;
	int lpi = 2 * m->nr_devs + rnd(s, nr_lpis - 2 * m->nr_devs);
	int ret = vlpi_signal_msi(s->v, lpi_msi(lpi));

	note(s, "(%d)", lpi);
	if (ret != 1 || !landed(s, lpi))
		fail(s, "a KVM_SIGNAL_MSI never landed");
	m->sw[lpi] = true;
}

static void step_run(struct seq *s)
{
	struct model *m = &s->m;
	unsigned int i, cpu;

	memset(expected, 0, sizeof(expected));
	for (i = 0; i < nr_lpis; i++)
		expected[target[i]] += m->vpt[i] || m->sw[i];
	sync_global_to_guest(s->v->vm, expected);
	vlpi_delivered_reset(s->v);
	for (cpu = 0; cpu < m->nr_vcpus; cpu++)
		vlpi_run_to_sync(s->v->vcpus[cpu], 2);
	vlpi_delivered_sync(s->v);
	m->ran = true;
	/* The guest ran: nothing the module held is true any more */
	memset(m->held, 0, sizeof(m->held));
	m->ran_since_read = true;
	for (i = 0; i < nr_lpis; i++) {
		uint32_t want = m->vpt[i] || m->sw[i];

		if (want || vlpi_delivered[i])
			note(s, "(%u:%u/%u)", VLPI_LPI_BASE + i,
			     vlpi_delivered[i], want);
		tally.taken += vlpi_delivered[i];
		if (vlpi_delivered[i] != want)
			fail(s, vlpi_delivered[i] > want ?
			     "an LPI taken more often than it was made pending" :
			     "a pending LPI not taken");
		m->vpt[i] = false;
		m->sw[i] = false;
	}
}

static int its_save(struct seq *s)
{
	struct model *m = &s->m;
	int ret = vlpi_save_its_tables(s->v);
	/* On GICv4.1 the vGIC saves forwarded ITEs itself, else the module */
	bool refuse = nr_forwarded(m) && !m->v41 &&
		      m->policy == KVM_VLPI_MIG_POLICY_LEGACY;

	note(s, "(%s)", strerror(ret));
	if (nr_forwarded(m) && !m->v41)
		model_state(m);
	if (ret != (refuse ? EACCES : 0))
		fail(s, "ITS_SAVE_TABLES returned what uapi.rst does not list");
	/* The module decides for forwarded ITEs only without GICv4.1 */
	if (!ret && nr_forwarded(m) && !m->v41)
		m->promised = true;
	return ret;
}

static void step_its_save(struct seq *s)
{
	its_save(s);
}

static void clear_bits(struct seq *s)
{
	unsigned int i;

	for (i = 0; i < nr_lpis; i++)
		vlpi_pend_table(s->v, target[i])[(VLPI_LPI_BASE + i) / 8] &=
			~(1 << ((VLPI_LPI_BASE + i) % 8));
}

static bool saved_bit(struct seq *s, unsigned int lpi)
{
	return vlpi_pend_bit(vlpi_pend_table(s->v, target[lpi]),
			     VLPI_LPI_BASE + lpi);
}

static void step_pending_save(struct seq *s)
{
	struct model *m = &s->m;
	unsigned int i, d;
	bool reads;
	int ret;

	clear_bits(s);
	ret = vlpi_save_pending_tables(s->v);
	model_state(m);
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
		for (d = 0; d < m->nr_devs; d++)
			if (m->dev[d].fwd) {
				m->held[m->dev[d].route] = true;
				m->held_pending[m->dev[d].route] =
					m->vpt[m->dev[d].route];
			}
	}
	if (!reads && !m->v41)
		return;
	for (i = 0; i < nr_lpis; i++)
		if (saved_bit(s, i) != (m->vpt[i] || m->sw[i])) {
			note(s, "(LPI %u saved %d, model: in the VPT %d, in software %d)",
			     VLPI_LPI_BASE + i, saved_bit(s, i), m->vpt[i],
			     m->sw[i]);
			fail(s, "a saved bit is not what is pending");
		}
}

/* Bad input to the module's group: each must get the errno it documents */
static void step_attr(struct seq *s)
{
	struct kvm_device_attr a = { .group = GRP };
	uint64_t val = 0;
	int ret, want;

	switch (rnd(s, 5)) {
	case 0:		/* an unknown attribute, either way */
		a.attr = KVM_DEV_ARM_VLPI_MIG_SAVE_ACTION + 1 + rnd(s, 100);
		a.addr = (uint64_t)&val;
		ret = rnd(s, 2) ? __kvm_ioctl(s->v->gic_fd, KVM_SET_DEVICE_ATTR, &a) :
				  __kvm_ioctl(s->v->gic_fd, KVM_GET_DEVICE_ATTR, &a);
		want = ENXIO;
		break;
	case 1:		/* a bad pointer */
		a.attr = rnd(s, KVM_DEV_ARM_VLPI_MIG_SAVE_ACTION + 1);
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
		model_state(&s->m);
		break;
	case 3:		/* source caps with a mandatory bit nobody knows */
		a.attr = KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS;
		val = 1ull << (32 + rnd(s, 32));
		a.addr = (uint64_t)&val;
		ret = __kvm_ioctl(s->v->gic_fd, KVM_SET_DEVICE_ATTR, &a);
		want = s->m.ran ? EBUSY : EOPNOTSUPP;
		model_state(&s->m);
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

/* A POLICY pins the module until the VM goes */
static void step_policy(struct seq *s)
{
	uint64_t p = rnd(s, KVM_VLPI_MIG_POLICY_LEGACY + 1);

	kvm_device_attr_set(s->v->gic_fd, GRP, KVM_DEV_ARM_VLPI_MIG_POLICY, &p);
	model_state(&s->m);
	s->m.policy = p;
	if (!s->m.pinned) {
		s->m.pinned = true;
		__atomic_add_fetch(&shared->pins, 1, __ATOMIC_SEQ_CST);
	}
	note(s, "(%lu)", (unsigned long)p);
}

static struct vlpi_vm *seq_vm_create(struct seq *s)
{
	struct vlpi_vm *v = vlpi_its_vm_create(s->m.nr_vcpus, guest_code);

	sync_global_to_guest(v->vm, nr_lpis);
	sync_global_to_guest(v->vm, target);
	vlpi_count_deliveries(v);
	return v;
}

static void seq_vm_free(struct seq *s, struct vlpi_vm *v)
{
	vlpi_vm_free(v);
	if (s->m.pinned) {
		s->m.pinned = false;
		__atomic_sub_fetch(&shared->pins, 1, __ATOMIC_SEQ_CST);
	}
}

/*
 * Both saves, in QEMU's order, then a new VM restored from them, which
 * takes the devices' irqfds; the source goes. What is pending is what
 * the source's pending save wrote.
 */
static void step_migrate(struct seq *s)
{
	struct model *m = &s->m;
	struct vlpi_vm *dst;
	unsigned int i, d;
	int ret;

	if (its_save(s)) {
		note(s, "(ITS tables not saved: no migration)");
		return;
	}
	step_pending_save(s);
	if (s->fail)
		return;

	dst = seq_vm_create(s);
	ret = vlpi_migrate_state(dst, s->v);
	note(s, "(restore %s)", strerror(ret));
	if (ret)
		fail(s, "ITS_RESTORE_TABLES failed on what the source saved");

	for (d = 0; d < m->nr_devs; d++)
		if (m->dev[d].irqfd)
			vlpi_irqfd(s->v, d, s->efd[d], false);
	for (i = 0; i < nr_lpis; i++) {
		m->sw[i] = saved_bit(s, i);
		m->vpt[i] = false;
	}
	seq_vm_free(s, s->v);
	s->v = dst;
	tally.migrated++;

	/* A new VM: the module's default policy, nothing held, never run */
	m->state = true;
	m->policy = KVM_VLPI_MIG_POLICY_STRICT;
	m->promised = false;
	m->ran = false;
	m->ran_since_read = false;
	memset(m->held, 0, sizeof(m->held));
	route_all(s, s->v);
	for (d = 0; d < m->nr_devs; d++) {
		m->dev[d].fwd = false;
		if (m->dev[d].irqfd)
			vlpi_irqfd(s->v, d, s->efd[d], true);
		model_forward(m, d);
	}
}

/*
 * Each step holds the lock shared; a reload, exclusive. A worker that
 * wants it first stops the others from taking the shared lock again.
 */
static void lock_shared(void)
{
	while (__atomic_load_n(&shared->reloading, __ATOMIC_SEQ_CST))
		usleep(1000);
	TEST_ASSERT(!flock(lock_fd, LOCK_SH), "flock");
}

static void unlock(void)
{
	TEST_ASSERT(!flock(lock_fd, LOCK_UN), "flock");
}

/* rmmod and insmod, alone: every worker's other steps wait */
static void step_reload(struct seq *s)
{
	int ret, want;

	unlock();
	__atomic_add_fetch(&shared->reloading, 1, __ATOMIC_SEQ_CST);
	TEST_ASSERT(!flock(lock_fd, LOCK_EX), "flock");
	want = __atomic_load_n(&shared->pins, __ATOMIC_SEQ_CST) ? EAGAIN : 0;
	ret = vlpi_mig_unload();
	if (!ret) {
		vlpi_mig_load();
		__atomic_add_fetch(&shared->generation, 1, __ATOMIC_SEQ_CST);
		tally.reloaded++;
	} else {
		tally.reload_refused++;
	}
	unlock();
	__atomic_sub_fetch(&shared->reloading, 1, __ATOMIC_SEQ_CST);
	lock_shared();
	note(s, "(%s)", strerror(ret));
	if (ret != want)
		fail(s, "rmmod did not do what the POLICYs set say");
	model_catch_up(&s->m);
}

static void check_stats(struct seq *s)
{
	struct kvm_vlpi_mig_stats st;

	if (vlpi_mig_get_stats(s->v, &st))
		fail(s, "STATS unreadable");
	else if (st.forwarded != nr_forwarded(&s->m))
		fail(s, "STATS forwarded disagrees with the forwarding set up");
}

static enum op pick(struct seq *s)
{
	unsigned int total = 0, r;
	enum op op;

	for (op = 0; op < NR_OPS; op++)
		total += op_weights[op];
	r = rnd(s, total);
	for (op = 0; r >= op_weights[op]; op++)
		r -= op_weights[op];
	return op;
}

/* The steps on one device, then the steps on the VM */
static void (*const dev_steps[])(struct seq *s, unsigned int d) = {
	[OP_IRQFD] = step_irqfd,
	[OP_MSI] = step_msi,
	[OP_ROUTE] = step_route,
	[OP_RAISE] = step_raise,
};

static void (*const vm_steps[NR_OPS])(struct seq *s) = {
	[OP_SOFT] = step_soft,
	[OP_RUN] = step_run,
	[OP_ITS_SAVE] = step_its_save,
	[OP_PENDING_SAVE] = step_pending_save,
	[OP_ATTR] = step_attr,
	[OP_POLICY] = step_policy,
	[OP_MIGRATE] = step_migrate,
	[OP_RELOAD] = step_reload,
};

static void step(struct seq *s, enum op op)
{
	unsigned int d = rnd(s, s->m.nr_devs);

	if (op < ARRAY_SIZE(dev_steps)) {
		note(s, "%u", d);
		dev_steps[op](s, d);
	} else {
		vm_steps[op](s);
	}
}

/* One sequence on a new VM; NULL if every invariant held */
static const char *one_sequence(struct seq *s, struct edu *edus,
				unsigned int nr_devs, uint64_t seed,
				int nr_steps)
{
	struct model *m = &s->m;
	unsigned int i, d, cpu;

	memset(s, 0, sizeof(*s));
	s->rng = seed * 2654435761u + 1;
	s->edus = edus;
	m->v41 = vlpi_host_gicv4_1();
	m->nr_devs = nr_devs;
	m->nr_vcpus = 1 + rnd(s, MAX_VCPUS);
	m->generation = shared->generation;
	m->state = true;
	m->ran_since_read = true;	/* the guest runs to its first sync */
	nr_lpis = 2 * nr_devs + 1 + rnd(s, MAX_LPIS - 2 * nr_devs);
	for (i = 0; i < nr_lpis; i++)
		target[i] = rnd(s, m->nr_vcpus);
	note(s, " %u vCPUs, %u LPIs, %u devices:", m->nr_vcpus, nr_lpis,
	     nr_devs);
	tally.vcpus += m->nr_vcpus;
	tally.lpis += nr_lpis;

	lock_shared();
	s->v = seq_vm_create(s);
	for (cpu = m->nr_vcpus; cpu-- > 0;)
		vlpi_run_to_sync(s->v->vcpus[cpu], 1);
	m->ran = true;
	for (d = 0; d < nr_devs; d++) {
		s->efd[d] = eventfd(0, EFD_NONBLOCK);
		TEST_ASSERT(s->efd[d] >= 0, "eventfd");
		m->dev[d].route = d;
	}
	route_all(s, s->v);
	/* As a running guest would have them: MSIs on, some forwarded */
	for (d = 0; d < nr_devs; d++) {
		step_msi(s, d);
		if (rnd(s, 2))
			step_irqfd(s, d);
	}

	for (i = 0; i < (unsigned int)nr_steps && !s->fail; i++) {
		enum op op = pick(s);

		unlock();
		lock_shared();
		model_catch_up(m);
		tally.ops[op]++;
		note(s, " %s", op_names[op]);
		step(s, op);
		check_stats(s);
	}
	/* Whatever is still pending must arrive once, and the VM go */
	if (!s->fail) {
		note(s, " final-run");
		step_run(s);
	}

	for (d = 0; d < nr_devs; d++) {
		if (m->dev[d].msi)
			edu_disable_msi(&edus[d]);
		if (m->dev[d].irqfd)
			vlpi_irqfd(s->v, d, s->efd[d], false);
		close(s->efd[d]);
	}
	seq_vm_free(s, s->v);
	unlock();
	return s->fail;
}

static void print_tally(int w, int nr_seqs)
{
	char line[512];
	size_t n = 0;
	enum op op;

	for (op = 0; op < NR_OPS; op++)
		n += snprintf(line + n, sizeof(line) - n, " %s %u",
			      op_names[op], tally.ops[op]);
	ksft_print_msg("worker %d: %d sequences, %u vCPUs and %u LPIs in all; steps:%s\n",
		       w, nr_seqs, tally.vcpus, tally.lpis, line);
	ksft_print_msg("worker %d: raises: vLPI %u, irqfd %u, VMM %u, dropped %u, no MSI %u\n",
		       w, tally.raise_vlpi, tally.raise_irqfd, tally.raise_vmm,
		       tally.raise_dropped, tally.raise_no_msi);
	ksft_print_msg("worker %d: %u migrations, %u reloads (%u refused), %u LPIs taken\n",
		       w, tally.migrated, tally.reloaded, tally.reload_refused,
		       tally.taken);
}

/* Worker @w of @nr_workers: its share of the sequences; how many failed */
static int run_worker(int w, int nr_workers, uint64_t seed, int nr_seqs,
		      int nr_steps)
{
	unsigned int nr_devs = NR_EDUS / nr_workers, d;
	struct edu edus[MAX_DEVS];
	static struct seq s;
	int k, failed = 0;
	char bdf[16];

	lock_fd = open(LOCK_FILE, O_RDWR | O_CREAT, 0600);
	TEST_ASSERT(lock_fd >= 0, "open %s", LOCK_FILE);
	for (d = 0; d < nr_devs; d++) {
		snprintf(bdf, sizeof(bdf), "0000:00:%02x.0",
			 2 + w * nr_devs + d);
		if (!edu_open(&edus[d], bdf)) {
			ksft_print_msg("%s (worker %d) is not bound to vfio-pci\n",
				       bdf, w);
			return nr_seqs;
		}
	}
	for (k = w; k < nr_seqs; k += nr_workers) {
		const char *why = one_sequence(&s, edus, nr_devs, seed + k,
					       nr_steps);

		if (!why)
			continue;
		if (failed++ < 5)
			ksft_print_msg("sequence %d (-s %lu -c 1 -j %d): %s:%s\n",
				       k, (unsigned long)(seed + k), nr_workers,
				       why, s.log);
	}
	for (d = 0; d < nr_devs; d++)
		edu_close(&edus[d]);
	close(lock_fd);
	print_tally(w, (nr_seqs - w + nr_workers - 1) / nr_workers);
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
	if (!vlpi_mig_test_start(2, mode))
		ksft_exit_skip("the model is the module's (-m)\n");
	/* A new seed each run, unless given: printed, to replay it */
	if (!seed_given) {
		seed = vlpi_fuzz_seed();
		vlpi_fuzz_slice(&seed, &nr_seqs);
	}
	TEST_ASSERT(vlpi_vpt_readable(),
		    "run where the VPT can be read (GICv4.1)");
	if (nr_workers < 1 || nr_workers > MAX_WORKERS)
		ksft_exit_fail_msg("-j takes 1 to %d\n", MAX_WORKERS);
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(shared != MAP_FAILED, "mmap");
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
