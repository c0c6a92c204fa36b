// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_msix - a thousand MSI-X vectors through VFIO (no-IOMMU), one
 * eventfd each: what a benchmark forwarding that many vLPIs stands on.
 * No KVM.
 *
 *   vlpi_mig_msix [BDF...]
 *
 * The devices named, or else every QEMU nvme (1b36:0010) bound to
 * vfio-pci, give NR_VECTORS vectors between them, taken in order (the
 * first device's all first); fewer in all fails. Each vector must get a
 * host IRQ of its own, named in /proc/interrupts, and signal its own
 * eventfd; once MSI-X is off the host IRQs must be gone. How long the
 * enable and the disable took is reported.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "kselftest.h"

#include "vfio_msix.h"
#include "vfio_noiommu.h"

#define NR_VECTORS	1024
#define MAX_DEVICES	16
#define NVME_VENDOR	0x1b36
#define NVME_DEVICE	0x0010

static struct vfio_msix devs[MAX_DEVICES];
static unsigned int nr_devs;
static unsigned int want[MAX_DEVICES];	/* vectors taken of each device */
static int efds[NR_VECTORS];
static int irqs[NR_VECTORS];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long read_hex(const char *bdf, const char *file)
{
	char path[PATH_MAX];
	unsigned long val = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, file);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lx", &val) != 1)
			val = 0;
		fclose(f);
	}
	return val;
}

static bool bound_to_vfio(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	return !strcmp(basename(link), "vfio-pci");
}

static void open_dev(const char *bdf)
{
	if (nr_devs == MAX_DEVICES)
		ksft_exit_fail_msg("more than %d devices\n", MAX_DEVICES);
	if (!vfio_msix_open(&devs[nr_devs], bdf))
		ksft_exit_fail_msg("open %s through VFIO: %s\n", bdf,
				   strerror(errno));
	ksft_print_msg("%s: %u MSI-X vectors\n", bdf,
		       devs[nr_devs].nr_vectors);
	nr_devs++;
}

/* Every nvme bound to vfio-pci, in BDF order */
static void find_devs(void)
{
	struct dirent **names;
	int i, n;

	n = scandir("/sys/bus/pci/devices", &names, NULL, alphasort);
	if (n < 0)
		ksft_exit_fail_msg("/sys/bus/pci/devices: %s\n",
				   strerror(errno));
	for (i = 0; i < n; i++) {
		const char *bdf = names[i]->d_name;

		if (bdf[0] != '.' &&
		    read_hex(bdf, "vendor") == NVME_VENDOR &&
		    read_hex(bdf, "device") == NVME_DEVICE &&
		    bound_to_vfio(bdf))
			open_dev(bdf);
		free(names[i]);
	}
	free(names);
}

/* One eventfd a vector, and the descriptors they take */
static void make_eventfds(void)
{
	unsigned int i;

	vfio_msix_raise_nofile(NR_VECTORS + 64);
	for (i = 0; i < NR_VECTORS; i++) {
		efds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (efds[i] < 0)
			ksft_exit_fail_msg("eventfd %u: %s\n", i,
					   strerror(errno));
	}
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The host IRQs of every device's enabled vectors, all distinct */
static unsigned int distinct_host_irqs(void)
{
	unsigned int i, first = 0, found = 0;
	int sorted[NR_VECTORS];

	for (i = 0; i < nr_devs; first += want[i++])
		found += vfio_msix_host_irqs(&devs[i], irqs + first, want[i]);
	if (found != NR_VECTORS)
		return found;
	memcpy(sorted, irqs, sizeof(sorted));
	qsort(sorted, NR_VECTORS, sizeof(int), cmp_int);
	for (i = 1; i < NR_VECTORS; i++)
		if (sorted[i] == sorted[i - 1])
			found--;
	return found;
}

/* How many vfio-msix host IRQs each device still has, in all */
static unsigned int host_irqs_left(void)
{
	unsigned int i, first = 0, found = 0;

	for (i = 0; i < nr_devs; first += want[i++])
		found += vfio_msix_host_irqs(&devs[i], irqs + first, want[i]);
	return found;
}

/*
 * VFIO's loopback (DATA_NONE, ACTION_TRIGGER) signals each vector's
 * eventfd once: every eventfd must then hold exactly 1, or a vector
 * signals another's
 */
static bool each_signals_its_own(void)
{
	unsigned int i, first = 0, wrong = 0;
	uint64_t val;
	int ret;

	for (i = 0; i < nr_devs; first += want[i++]) {
		/* Loopback is for enabled vectors only */
		if (!want[i])
			continue;
		ret = vfio_irqs_set(devs[i].device, VFIO_PCI_MSIX_IRQ_INDEX,
				    VFIO_IRQ_SET_DATA_NONE |
				    VFIO_IRQ_SET_ACTION_TRIGGER, 0, want[i],
				    NULL);
		if (ret) {
			ksft_print_msg("%s: loopback trigger: %s\n",
				       devs[i].bdf, strerror(ret));
			return false;
		}
	}
	for (i = 0; i < NR_VECTORS; i++) {
		val = 0;
		if (read(efds[i], &val, sizeof(val)) != sizeof(val) ||
		    val != 1) {
			if (!wrong++)
				ksft_print_msg("vector %u: its eventfd holds %lu\n",
					       i, (unsigned long)val);
		}
	}
	return !wrong;
}

int main(int argc, char *argv[])
{
	unsigned int i, total = 0, left = NR_VECTORS, first = 0, found;
	unsigned int used = 0;
	double t_on, t_off;
	bool ok;
	int ret;

	ksft_print_header();
	for (i = 1; i < (unsigned int)argc; i++)
		open_dev(argv[i]);
	if (argc == 1)
		find_devs();
	for (i = 0; i < nr_devs; i++) {
		want[i] = devs[i].nr_vectors < left ? devs[i].nr_vectors : left;
		left -= want[i];
		total += devs[i].nr_vectors;
		used += !!want[i];
	}
	if (left)
		ksft_exit_fail_msg("%u device(s), %u MSI-X vectors in all: fewer than %d\n",
				   nr_devs, total, NR_VECTORS);
	make_eventfds();
	ksft_set_plan(5);

	ok = true;
	t_on = now();
	for (i = 0; i < nr_devs; first += want[i++]) {
		if (!want[i])
			continue;
		ret = vfio_msix_enable(&devs[i], efds + first, want[i]);
		if (ret)
			ksft_print_msg("%s: enable %u vectors: %s\n",
				       devs[i].bdf, want[i], strerror(ret));
		ok &= !ret && devs[i].nr_enabled == want[i];
	}
	t_on = now() - t_on;
	ksft_test_result(ok, "%d vectors enabled on %u device(s) in %.3f s\n",
			 NR_VECTORS, used, t_on);

	found = distinct_host_irqs();
	ksft_test_result(found == NR_VECTORS,
			 "%u of %d vectors have a host IRQ of their own\n",
			 found, NR_VECTORS);

	ksft_test_result(each_signals_its_own(),
			 "each vector signals its own eventfd\n");

	ok = true;
	t_off = now();
	for (i = 0; i < nr_devs; i++) {
		if (!devs[i].nr_enabled)
			continue;
		ret = vfio_msix_disable(&devs[i]);
		if (ret)
			ksft_print_msg("%s: disable: %s\n", devs[i].bdf,
				       strerror(ret));
		ok &= !ret && !devs[i].nr_enabled;
	}
	t_off = now() - t_off;
	ksft_test_result(ok, "%d vectors disabled in %.3f s\n", NR_VECTORS,
			 t_off);

	found = host_irqs_left();
	ksft_test_result(!found, "%u vfio-msix host IRQs left after the disable\n",
			 found);

	for (i = 0; i < nr_devs; i++)
		vfio_msix_close(&devs[i]);
	for (i = 0; i < NR_VECTORS; i++)
		close(efds[i]);
	ksft_finished();
}
