/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A PCI device bound to vfio-pci in no-IOMMU mode: what the edu and the
 * MSI-X helpers share. Errors are returned, not asserted: whether a
 * device that is not there skips or fails a test is the caller's call.
 */
#ifndef SELFTEST_VFIO_NOIOMMU_H
#define SELFTEST_VFIO_NOIOMMU_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Open @bdf's no-IOMMU group in a container of its own, and the device.
 * False with errno if not, nothing left open: ENODEV if @bdf has no IOMMU
 * group (it is not bound to vfio-pci).
 */
bool vfio_noiommu_open(const char *bdf, int *container, int *group,
		       int *device);
/* Close what is open of the three, and mark each closed (-1) */
void vfio_noiommu_close(int *container, int *group, int *device);
/* Set @bits in the device's PCI_COMMAND, through its config region */
int vfio_pci_command_set(int device, uint16_t bits);
/*
 * VFIO_DEVICE_SET_IRQS on IRQ index @index, vectors @start..@start+@count-1,
 * with @flags; @efds holds @count eventfds for VFIO_IRQ_SET_DATA_EVENTFD,
 * and is ignored otherwise. 0 or the errno.
 */
int vfio_irqs_set(int device, unsigned int index, uint32_t flags,
		  unsigned int start, unsigned int count, const int *efds);

#endif /* SELFTEST_VFIO_NOIOMMU_H */
