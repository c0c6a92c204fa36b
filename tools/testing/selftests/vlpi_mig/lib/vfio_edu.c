// SPDX-License-Identifier: GPL-2.0-only
/*
 * QEMU's edu PCI device, passed through with VFIO no-IOMMU.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/compiler.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "test_util.h"

#include "vfio_edu.h"

bool edu_open(struct edu *e, const char *bdf)
{
	struct vfio_region_info cfg = { .argsz = sizeof(cfg),
					.index = VFIO_PCI_CONFIG_REGION_INDEX };
	struct vfio_region_info bar = { .argsz = sizeof(bar),
					.index = VFIO_PCI_BAR0_REGION_INDEX };
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	memset(e, 0, sizeof(*e));
	e->efd = -1;
	snprintf(e->bdf, sizeof(e->bdf), "%s", bdf);

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/noiommu-%s", basename(link));

	e->container = open("/dev/vfio/vfio", O_RDWR);
	TEST_ASSERT(e->container >= 0, "open /dev/vfio/vfio");
	e->group = open(path, O_RDWR);
	TEST_ASSERT(e->group >= 0, "open %s", path);
	TEST_ASSERT(!ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &e->container),
		    "VFIO_GROUP_SET_CONTAINER");
	TEST_ASSERT(!ioctl(e->container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU),
		    "VFIO_SET_IOMMU(NOIOMMU)");
	e->device = ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	TEST_ASSERT(e->device >= 0, "VFIO_GROUP_GET_DEVICE_FD %s", bdf);

	TEST_ASSERT(!ioctl(e->device, VFIO_DEVICE_GET_REGION_INFO, &cfg),
		    "config region info");
	e->cfg_offset = cfg.offset;

	TEST_ASSERT(!ioctl(e->device, VFIO_DEVICE_GET_REGION_INFO, &bar),
		    "BAR0 region info");
	TEST_ASSERT(bar.flags & VFIO_REGION_INFO_FLAG_MMAP, "BAR0 mmap");
	e->bar0_size = bar.size;
	e->bar0 = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       e->device, bar.offset);
	TEST_ASSERT(e->bar0 != MAP_FAILED, "mmap BAR0");
	return true;
}

static void edu_set_irq(struct edu *e, int efd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	set->argsz = sizeof(buf);
	set->index = VFIO_PCI_MSI_IRQ_INDEX;
	set->start = 0;
	if (efd >= 0) {
		set->flags = VFIO_IRQ_SET_DATA_EVENTFD |
			     VFIO_IRQ_SET_ACTION_TRIGGER;
		set->count = 1;
		memcpy(set->data, &efd, sizeof(efd));
	} else {
		set->flags = VFIO_IRQ_SET_DATA_NONE |
			     VFIO_IRQ_SET_ACTION_TRIGGER;
		set->count = 0;
		set->argsz = sizeof(*set);
	}
	TEST_ASSERT(!ioctl(e->device, VFIO_DEVICE_SET_IRQS, set),
		    "VFIO_DEVICE_SET_IRQS(MSI, %d) on %s", efd, e->bdf);
}

void edu_enable_msi(struct edu *e, int efd)
{
	uint16_t cmd;
	off_t off = e->cfg_offset + PCI_COMMAND;

	edu_set_irq(e, efd);
	e->efd = efd;

	/* Without bus mastering, QEMU drops the MSI write silently */
	TEST_ASSERT(pread(e->device, &cmd, sizeof(cmd), off) == sizeof(cmd),
		    "read PCI_COMMAND");
	cmd |= PCI_COMMAND_MASTER;
	TEST_ASSERT(pwrite(e->device, &cmd, sizeof(cmd), off) == sizeof(cmd),
		    "write PCI_COMMAND");
}

void edu_disable_msi(struct edu *e)
{
	edu_set_irq(e, -1);
	e->efd = -1;
}

void edu_raise(struct edu *e, uint32_t bits)
{
	WRITE_ONCE(e->bar0[EDU_REG_IRQ_RAISE / 4], bits);
}

void edu_ack(struct edu *e, uint32_t bits)
{
	WRITE_ONCE(e->bar0[EDU_REG_IRQ_ACK / 4], bits);
}

uint32_t edu_irq_status(struct edu *e)
{
	return READ_ONCE(e->bar0[EDU_REG_IRQ_STATUS / 4]);
}

void edu_close(struct edu *e)
{
	if (e->efd >= 0)
		edu_disable_msi(e);
	munmap(e->bar0, e->bar0_size);
	close(e->device);
	close(e->group);
	close(e->container);
}

int host_irq_by_name(const char *name)
{
	char line[1024];
	FILE *f = fopen("/proc/interrupts", "r");
	int irq = -1;

	TEST_ASSERT(f, "open /proc/interrupts");
	while (fgets(line, sizeof(line), f))
		if (strstr(line, name) && sscanf(line, " %d:", &irq) == 1)
			break;
	fclose(f);
	return irq;
}

int edu_host_irq(struct edu *e)
{
	char want[64];

	snprintf(want, sizeof(want), "vfio-msi[0](%s)", e->bdf);
	return host_irq_by_name(want);
}

uint64_t host_irq_count(int irq)
{
	char line[1024], *p, *end;
	FILE *f = fopen("/proc/interrupts", "r");
	uint64_t sum = 0;
	int n;

	TEST_ASSERT(f, "open /proc/interrupts");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %d:", &n) != 1 || n != irq)
			continue;
		p = strchr(line, ':') + 1;
		for (;;) {
			unsigned long long v = strtoull(p, &end, 10);

			if (end == p)
				break;
			sum += v;
			p = end;
		}
		break;
	}
	fclose(f);
	return sum;
}

bool host_irq_forwarded(int irq)
{
	char path[64], line[256];
	bool fwd = false;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/irq/irqs/%d", irq);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		fwd |= !!strstr(line, "IRQD_FORWARDED_TO_VCPU");
	fclose(f);
	return fwd;
}
