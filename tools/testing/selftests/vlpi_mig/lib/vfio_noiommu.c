// SPDX-License-Identifier: GPL-2.0-only
/*
 * A PCI device bound to vfio-pci in no-IOMMU mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "vfio_noiommu.h"

bool vfio_noiommu_open(const char *bdf, int *container, int *group,
		       int *device)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	int err;

	*container = *group = *device = -1;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		/* vfio-pci makes a no-IOMMU device's group when it binds */
		errno = ENODEV;
		return false;
	}
	link[n] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/noiommu-%s", basename(link));

	*container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (*container < 0)
		goto fail;
	*group = open(path, O_RDWR | O_CLOEXEC);
	if (*group < 0 ||
	    ioctl(*group, VFIO_GROUP_SET_CONTAINER, container) ||
	    ioctl(*container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU))
		goto fail;
	*device = ioctl(*group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (*device < 0)
		goto fail;
	return true;

fail:
	err = errno;
	vfio_noiommu_close(container, group, device);
	errno = err;
	return false;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void vfio_noiommu_close(int *container, int *group, int *device)
{
	close_fd(device);
	close_fd(group);
	close_fd(container);
}

int vfio_pci_command_set(int device, uint16_t bits)
{
	struct vfio_region_info cfg = { .argsz = sizeof(cfg),
					.index = VFIO_PCI_CONFIG_REGION_INDEX };
	uint16_t cmd;
	off_t off;

	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &cfg))
		return errno;
	off = cfg.offset + PCI_COMMAND;
	if (pread(device, &cmd, sizeof(cmd), off) != sizeof(cmd))
		return errno ?: EIO;
	cmd |= bits;
	if (pwrite(device, &cmd, sizeof(cmd), off) != sizeof(cmd))
		return errno ?: EIO;
	return 0;
}

int vfio_irqs_set(int device, unsigned int index, uint32_t flags,
		  unsigned int start, unsigned int count, const int *efds)
{
	size_t data = flags & VFIO_IRQ_SET_DATA_EVENTFD ?
		      count * sizeof(int) : 0;
	struct vfio_irq_set *set = calloc(1, sizeof(*set) + data);
	int ret = 0;

	if (!set)
		return errno;
	set->argsz = sizeof(*set) + data;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (data)
		memcpy(set->data, efds, data);
	if (ioctl(device, VFIO_DEVICE_SET_IRQS, set))
		ret = errno;
	free(set);
	return ret;
}
