// SPDX-License-Identifier: GPL-2.0-only
/*
 * The MSI-X vectors of a PCI device bound to vfio-pci (no-IOMMU), one
 * eventfd each.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "kselftest.h"

#include "vfio_msix.h"
#include "vfio_noiommu.h"

bool vfio_msix_open(struct vfio_msix *d, const char *bdf)
{
	struct vfio_irq_info info = { .argsz = sizeof(info),
				      .index = VFIO_PCI_MSIX_IRQ_INDEX };
	int err;

	memset(d, 0, sizeof(*d));
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	if (!vfio_noiommu_open(bdf, &d->container, &d->group, &d->device))
		return false;
	if (ioctl(d->device, VFIO_DEVICE_GET_IRQ_INFO, &info) ||
	    !info.count) {
		err = info.count ? errno : ENXIO;	/* no MSI-X at all */
		vfio_noiommu_close(&d->container, &d->group, &d->device);
		errno = err;
		return false;
	}
	d->nr_vectors = info.count;
	return true;
}

void vfio_msix_close(struct vfio_msix *d)
{
	if (d->nr_enabled)
		vfio_msix_disable(d);
	vfio_noiommu_close(&d->container, &d->group, &d->device);
}

int vfio_msix_enable(struct vfio_msix *d, const int *efds, unsigned int n)
{
	int ret;

	if (n > d->nr_vectors)
		return errno = EINVAL;
	/* VFIO sizes MSI-X when it goes on: another count starts afresh */
	if (d->nr_enabled && d->nr_enabled != n) {
		ret = vfio_msix_disable(d);
		if (ret)
			return ret;
	}
	if (!n)
		return 0;

	ret = vfio_irqs_set(d->device, VFIO_PCI_MSIX_IRQ_INDEX,
			    VFIO_IRQ_SET_DATA_EVENTFD |
			    VFIO_IRQ_SET_ACTION_TRIGGER, 0, n, efds);
	if (ret)
		return ret;
	d->nr_enabled = n;

	/* Without bus mastering, QEMU drops the MSI-X write silently */
	return vfio_pci_command_set(d->device, PCI_COMMAND_MASTER);
}

int vfio_msix_disable(struct vfio_msix *d)
{
	int ret = vfio_irqs_set(d->device, VFIO_PCI_MSIX_IRQ_INDEX,
				VFIO_IRQ_SET_DATA_NONE |
				VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);

	if (!ret)
		d->nr_enabled = 0;
	return ret;
}

unsigned int vfio_msix_host_irqs(struct vfio_msix *d, int *irqs,
				 unsigned int n)
{
	FILE *f = fopen("/proc/interrupts", "r");
	unsigned int i, found = 0;
	char line[1024], bdf[16];
	const char *name;
	int irq;

	for (i = 0; i < n; i++)
		irqs[i] = -1;
	if (!f)
		return 0;
	/* One pass, not one a vector: the file has a line for each */
	while (fgets(line, sizeof(line), f)) {
		name = strstr(line, "vfio-msix[");
		if (!name || sscanf(line, " %d:", &irq) != 1 ||
		    sscanf(name, "vfio-msix[%u](%15[^)])", &i, bdf) != 2 ||
		    strcmp(bdf, d->bdf) || i >= n || irqs[i] >= 0)
			continue;
		irqs[i] = irq;
		found++;
	}
	fclose(f);
	return found;
}

void vfio_msix_raise_nofile(unsigned int n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		ksft_exit_fail_msg("getrlimit: %s\n", strerror(errno));
	if (rl.rlim_cur >= n)
		return;
	rl.rlim_cur = n;
	if (rl.rlim_max < n)
		rl.rlim_max = n;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		ksft_exit_fail_msg("RLIMIT_NOFILE %u: %s\n", n, strerror(errno));
}
