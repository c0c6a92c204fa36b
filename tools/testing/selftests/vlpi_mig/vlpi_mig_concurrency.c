// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_concurrency - the saves against each other, against the VMM
 * reconfiguring the device, across VMs, and against the VM going away.
 *
 *   a) 64 vCPUs, edu 00:02.0 forwarded and pending: one thread loops
 *      SAVE_PENDING_TABLES, another ITS_SAVE_TABLES, at once. Both
 *      return 0 every time, and the vLPI is saved every time.
 *   b) One vCPU: a thread disables and enables the device's MSI and
 *      rewrites its route while the main thread saves in QEMU's order:
 *      the pending save returns 0, the ITS save 0.
 *   c) Two VMs saving at once, VM 1 with edu 00:02.0 pending, VM 2 with
 *      edu 00:03.0 not: each VM's STATS count its own saves alone, and
 *      each table holds its own state.
 *   d) The VM's file descriptors closed while another thread saves
 *      through its own copies of the vGIC and ITS descriptors: the saves
 *      go on, on the VM those keep alive, returning 0 until the VMM has
 *      unmapped the guest's RAM and EFAULT after (the pending tables are
 *      no longer guest RAM: upstream's answer, which QEMU tolerates), and
 *      nothing leaks once they are closed too (make check's kmemleak).
 *
 * Throughout, with the module's trace events on, a thread reads every
 * VM's vlpis file in debugfs, as an administrator would while the VMs
 * save, reconfigure and go away: each read ends, whole or with the file
 * gone, and make check reads the console for any report.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_mig_util.h"
#include "vlpi_observe.h"
#include "vlpi_migrate.h"

#define LOOPS		100

static const struct vlpi_msi msi = { 0, 0 };
static const char *const bdfs[2] = { "0000:00:02.0", "0000:00:03.0" };

struct saver {
	int gic_fd, its_fd;
	bool pending;		/* else ITS */
	int loops;
	bool efault_ok;		/* the guest's RAM may go away */
	atomic_int bad, last, efault;
	atomic_bool *stop;
};

struct observer {
	atomic_bool stop;
	atomic_int reads, gone, bad;
};

/* One VM's vlpis file, read to its end: 0, or the errno it ended with */
static int read_vlpis(const char *dir)
{
	char path[300], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), VLPI_MIG_DEBUGFS "/%s/vlpis", dir);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno;
	do {
		n = read(fd, buf, sizeof(buf));
	} while (n > 0);
	close(fd);
	return n < 0 ? errno : 0;
}

/* Every VM's vlpis file, over and over, until told to stop */
static void *observe(void *arg)
{
	struct observer *o = arg;
	struct dirent *d;
	DIR *dir;
	int err;

	while (!atomic_load(&o->stop)) {
		dir = opendir(VLPI_MIG_DEBUGFS);
		if (!dir) {
			atomic_fetch_add(&o->bad, 1);
			break;
		}
		while ((d = readdir(dir))) {
			/* A VM's is <pid>-<fd>; the fault points' are not */
			if (d->d_type != DT_DIR || !isdigit(d->d_name[0]))
				continue;
			err = read_vlpis(d->d_name);
			if (!err)
				atomic_fetch_add(&o->reads, 1);
			else if (err == ENOENT || err == EIO)
				atomic_fetch_add(&o->gone, 1);
			else
				atomic_fetch_add(&o->bad, 1);
		}
		closedir(dir);
		/* As often as an administrator's watch, not a vCPU's worth */
		usleep(2000);
	}
	return NULL;
}

static int save_fd(int fd, uint64_t attr)
{
	return __kvm_device_attr_set(fd, KVM_DEV_ARM_VGIC_GRP_CTRL, attr,
				     NULL) ? errno : 0;
}

static void *saver_loop(void *arg)
{
	struct saver *s = arg;
	int i, ret;

	for (i = 0; s->stop ? !atomic_load(s->stop) : i < s->loops; i++) {
		ret = s->pending ?
		      save_fd(s->gic_fd, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES) :
		      save_fd(s->its_fd, KVM_DEV_ARM_ITS_SAVE_TABLES);
		if (ret == EFAULT && s->efault_ok) {
			atomic_fetch_add(&s->efault, 1);
		} else if (ret) {
			atomic_fetch_add(&s->bad, 1);
			atomic_store(&s->last, ret);
		}
	}
	return NULL;
}

static void run_savers(struct saver *a, struct saver *b)
{
	pthread_t ta, tb;

	pthread_create(&ta, NULL, saver_loop, a);
	pthread_create(&tb, NULL, saver_loop, b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
}

static void phase_a(struct edu *edu)
{
	struct kvm_vlpi_mig_stats st0, st1;
	struct vlpi_vm *v;
	int efd;

	v = vlpi_edu_vm_create(64, edu, true, &efd);
	{
		struct saver p = { v->gic_fd, v->its_fd, true, LOOPS };
		struct saver i = { v->gic_fd, v->its_fd, false, LOOPS };

		TEST_ASSERT(!vlpi_mig_get_stats(v, &st0), "STATS");
		run_savers(&p, &i);
		TEST_ASSERT(!vlpi_mig_get_stats(v, &st1), "STATS");
		ksft_test_result(!atomic_load(&p.bad) && !atomic_load(&i.bad) &&
				 st1.saved_pending - st0.saved_pending == LOOPS,
				 "a) 64 vCPUs, %d pending and %d ITS saves at once: %d and %d failed (%s), vLPI saved %lu times\n",
				 LOOPS, LOOPS, atomic_load(&p.bad),
				 atomic_load(&i.bad),
				 strerror(atomic_load(&p.last) ?: atomic_load(&i.last)),
				 (unsigned long)(st1.saved_pending - st0.saved_pending));
	}
	vlpi_edu_vm_free(v, edu, efd);
}

static struct edu *reconf_edu;
static struct vlpi_vm *reconf_vm;
static atomic_bool reconf_stop;

static void *reconfigure(void *arg)
{
	static const struct vlpi_msi other = { 1, 0 };
	int *efd = arg, n = 0;

	while (!atomic_load(&reconf_stop)) {
		edu_disable_msi(reconf_edu);
		edu_enable_msi(reconf_edu, *efd);
		vlpi_route_msis(reconf_vm, n++ % 2 ? &msi : &other, 1);
	}
	return NULL;
}

static void phase_b(struct edu *edu)
{
	int efd, i, its, pend, bad_its = 0, bad_pend = 0, last = 0;
	pthread_t t;

	reconf_edu = edu;
	reconf_vm = vlpi_edu_vm_create(1, edu, true, &efd);
	pthread_create(&t, NULL, reconfigure, &efd);
	for (i = 0; i < LOOPS; i++) {
		its = vlpi_save_its_tables(reconf_vm);
		pend = vlpi_save_pending_tables(reconf_vm);
		if (its) {
			bad_its++;
			last = its;
		}
		if (pend) {
			bad_pend++;
			last = pend;
		}
	}
	atomic_store(&reconf_stop, true);
	pthread_join(t, NULL);
	ksft_test_result(!bad_its && !bad_pend,
			 "b) %d saves against MSI disable/enable and route rewrites: ITS %d, pending %d failed%s%s\n",
			 LOOPS, bad_its, bad_pend, last ? ": " : "",
			 last ? strerror(last) : "");
	vlpi_edu_vm_free(reconf_vm, edu, efd);
}

static void phase_c(struct edu *edus)
{
	struct kvm_vlpi_mig_stats st[2];
	struct vlpi_vm *v[2];
	bool bit[2];
	int efd[2], i;

	for (i = 0; i < 2; i++)
		v[i] = vlpi_edu_vm_create(1, &edus[i], i == 0, &efd[i]);
	{
		struct saver a = { v[0]->gic_fd, v[0]->its_fd, true, LOOPS };
		struct saver b = { v[1]->gic_fd, v[1]->its_fd, true, LOOPS };

		run_savers(&a, &b);
		for (i = 0; i < 2; i++) {
			TEST_ASSERT(!vlpi_mig_get_stats(v[i], &st[i]), "STATS");
			bit[i] = vlpi_pend_bit(vlpi_pend_table(v[i], 0),
					       VLPI_LPI_BASE);
		}
		ksft_test_result(!atomic_load(&a.bad) && !atomic_load(&b.bad) &&
				 st[0].saved_pending == LOOPS &&
				 st[1].saved_pending == 0 && bit[0] && !bit[1],
				 "c) two VMs saving at once keep apart: saved_pending %lu and %lu, bits %d and %d\n",
				 (unsigned long)st[0].saved_pending,
				 (unsigned long)st[1].saved_pending, bit[0], bit[1]);
	}
	for (i = 0; i < 2; i++)
		vlpi_edu_vm_free(v[i], &edus[i], efd[i]);
}

static void phase_d(struct edu *edu)
{
	atomic_bool stop = false;
	struct vlpi_vm *v;
	struct saver s = { .pending = true, .efault_ok = true, .stop = &stop };
	pthread_t t;
	int efd;

	v = vlpi_edu_vm_create(1, edu, true, &efd);
	s.gic_fd = dup(v->gic_fd);
	s.its_fd = dup(v->its_fd);
	TEST_ASSERT(s.gic_fd >= 0 && s.its_fd >= 0, "dup");
	pthread_create(&t, NULL, saver_loop, &s);
	usleep(20000);
	vlpi_edu_vm_free(v, edu, efd);
	usleep(20000);
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	ksft_test_result(!atomic_load(&s.bad),
			 "d) saves through kept descriptors while the VM's others close: %d EFAULT, %d other%s%s\n",
			 atomic_load(&s.efault), atomic_load(&s.bad),
			 atomic_load(&s.bad) ? ": " : "",
			 atomic_load(&s.bad) ? strerror(atomic_load(&s.last)) : "");
	close(s.gic_fd);
	close(s.its_fd);
}

int main(int argc, char *argv[])
{
	struct observer obs = {};
	pthread_t observer;
	struct edu edus[2];
	int i;

	if (!vlpi_mig_test_start(argc, argv))
		ksft_exit_skip("counts the module's saves (-m)\n");
	TEST_ASSERT(vlpi_vpt_readable(),
		    "run where the VPT can be read (GICv4.1)");
	for (i = 0; i < 2; i++)
		if (!edu_open(&edus[i], bdfs[i]))
			ksft_exit_skip("%s is not bound to vfio-pci\n", bdfs[i]);
	ksft_set_plan(5);
	TEST_ASSERT(vlpi_trace_start(), "tracefs: vlpi_mig events");
	pthread_create(&observer, NULL, observe, &obs);

	phase_a(&edus[0]);
	phase_b(&edus[0]);
	phase_c(edus);
	phase_d(&edus[0]);

	atomic_store(&obs.stop, true);
	pthread_join(observer, NULL);
	vlpi_trace_stop();
	ksft_test_result(atomic_load(&obs.reads) > 0 && !atomic_load(&obs.bad),
			 "e) vlpis files read %d times whole, %d gone, %d failed, the trace on\n",
			 atomic_load(&obs.reads), atomic_load(&obs.gone),
			 atomic_load(&obs.bad));

	for (i = 0; i < 2; i++)
		edu_close(&edus[i]);
	ksft_finished();
}
