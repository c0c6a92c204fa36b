/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * QEMU's edu PCI device (1234:11e8), passed through with VFIO no-IOMMU:
 * a real device whose MSI a test can raise from the host.
 */
#ifndef SELFTEST_VFIO_EDU_H
#define SELFTEST_VFIO_EDU_H

#include <stdbool.h>
#include <stdint.h>

#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64

struct edu {
	char bdf[16];
	int container;
	int group;
	int device;
	int efd;		/* MSI trigger eventfd, -1 until enabled */
	uint32_t *bar0;		/* MMIO: READ_ONCE()/WRITE_ONCE() only */
	uint64_t bar0_size;
};

/* Open @bdf, already bound to vfio-pci; false (with errno) if it isn't */
bool edu_open(struct edu *e, const char *bdf);
void edu_close(struct edu *e);
/* Route the device's only MSI to @efd, and let it master the bus */
void edu_enable_msi(struct edu *e, int efd);
void edu_disable_msi(struct edu *e);
void edu_raise(struct edu *e, uint32_t bits);
void edu_ack(struct edu *e, uint32_t bits);
uint32_t edu_irq_status(struct edu *e);

/* The host IRQ VFIO allocated for the MSI, from /proc/interrupts, or -1 */
int edu_host_irq(struct edu *e);
/* The host IRQ whose /proc/interrupts line names @name, or -1 */
int host_irq_by_name(const char *name);
/* How often the host took @irq, summed over CPUs */
uint64_t host_irq_count(int irq);
/* Whether /proc/interrupts still lists @irq (a freed vector is not) */
bool host_irq_listed(int irq);
/* Whether irq debugfs shows @irq forwarded to a vCPU */
bool host_irq_forwarded(int irq);

#endif /* SELFTEST_VFIO_EDU_H */
