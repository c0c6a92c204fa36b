/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The MSI-X vectors of a PCI device bound to vfio-pci (no-IOMMU), one
 * eventfd each: the many forwarded vLPIs of a benchmark. On the bed's
 * "bench" host, QEMU's nvme (1b36:0010) has 2048.
 *
 * A thousand eventfds and more: raise RLIMIT_NOFILE (the default soft
 * limit is 1024) before making them, with vfio_msix_raise_nofile().
 */
#ifndef SELFTEST_VFIO_MSIX_H
#define SELFTEST_VFIO_MSIX_H

#include <stdbool.h>

struct vfio_msix {
	char bdf[16];
	int container, group, device;
	/* MSI-X table size, from VFIO_DEVICE_GET_IRQ_INFO */
	unsigned int nr_vectors;
	unsigned int nr_enabled;	/* vectors enabled now */
};

/* Open @bdf, already bound to vfio-pci (no-IOMMU); false with errno if not */
bool vfio_msix_open(struct vfio_msix *d, const char *bdf);
void vfio_msix_close(struct vfio_msix *d);
/*
 * Enable vectors 0..n-1, vector i signalling efds[i] (VFIO_DEVICE_SET_IRQS,
 * MSI-X index, DATA_EVENTFD|ACTION_TRIGGER), and let the device master
 * the bus; 0 or errno. Enabled with another count, MSI-X is disabled
 * first; with the same count, the eventfds are swapped in place.
 */
int vfio_msix_enable(struct vfio_msix *d, const int *efds, unsigned int n);
/* Disable MSI-X (VFIO_DEVICE_SET_IRQS with count 0, DATA_NONE); 0 or errno */
int vfio_msix_disable(struct vfio_msix *d);
/*
 * The host IRQ numbers VFIO requested for vectors 0..n-1, from
 * /proc/interrupts ("vfio-msix[i](BDF)"), -1 where none; number found
 */
unsigned int vfio_msix_host_irqs(struct vfio_msix *d, int *irqs,
				 unsigned int n);

/* Let the process open @n descriptors (RLIMIT_NOFILE); fails the test if not */
void vfio_msix_raise_nofile(unsigned int n);

#endif /* SELFTEST_VFIO_MSIX_H */
