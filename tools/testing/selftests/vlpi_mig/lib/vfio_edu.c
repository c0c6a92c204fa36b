// SPDX-License-Identifier: GPL-2.0-only
/*
 * QEMU's edu PCI device, passed through with VFIO no-IOMMU.
 */
#include <errno.h>
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
#include "vfio_noiommu.h"

bool edu_open(struct edu *e, const char *bdf)
{
	struct vfio_region_info bar = { .argsz = sizeof(bar),
					.index = VFIO_PCI_BAR0_REGION_INDEX };

	memset(e, 0, sizeof(*e));
	e->efd = -1;
	snprintf(e->bdf, sizeof(e->bdf), "%s", bdf);

	/* Not bound: the caller's to judge; any other failure is the test's */
	if (!vfio_noiommu_open(bdf, &e->container, &e->group, &e->device)) {
		TEST_ASSERT(errno == ENODEV, "open %s through VFIO no-IOMMU",
			    bdf);
		return false;
	}

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
	int ret;

	/* No eventfd: count 0 and no data turn MSI off */
	ret = vfio_irqs_set(e->device, VFIO_PCI_MSI_IRQ_INDEX,
			    (efd >= 0 ? VFIO_IRQ_SET_DATA_EVENTFD :
					VFIO_IRQ_SET_DATA_NONE) |
			    VFIO_IRQ_SET_ACTION_TRIGGER, 0, efd >= 0, &efd);
	errno = ret;
	TEST_ASSERT(!ret, "VFIO_DEVICE_SET_IRQS(MSI, %d) on %s", efd, e->bdf);
}

void edu_enable_msi(struct edu *e, int efd)
{
	int ret;

	edu_set_irq(e, efd);
	e->efd = efd;

	/* Without bus mastering, QEMU drops the MSI write silently */
	ret = vfio_pci_command_set(e->device, PCI_COMMAND_MASTER);
	errno = ret;
	TEST_ASSERT(!ret, "set PCI_COMMAND_MASTER on %s", e->bdf);
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
	vfio_noiommu_close(&e->container, &e->group, &e->device);
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

/* @irq's line in /proc/interrupts, summed over the CPUs; false if none */
static bool host_irq_line(int irq, uint64_t *sum)
{
	char line[1024], *p, *end;
	FILE *f = fopen("/proc/interrupts", "r");
	bool found = false;
	int n;

	TEST_ASSERT(f, "open /proc/interrupts");
	*sum = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %d:", &n) != 1 || n != irq)
			continue;
		found = true;
		p = strchr(line, ':') + 1;
		for (;;) {
			unsigned long long v = strtoull(p, &end, 10);

			if (end == p)
				break;
			*sum += v;
			p = end;
		}
		break;
	}
	fclose(f);
	return found;
}

uint64_t host_irq_count(int irq)
{
	uint64_t sum;

	host_irq_line(irq, &sum);
	return sum;
}

bool host_irq_listed(int irq)
{
	uint64_t sum;

	return host_irq_line(irq, &sum);
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
