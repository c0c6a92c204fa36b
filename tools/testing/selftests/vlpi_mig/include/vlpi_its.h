/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A VM whose guest drives a vITS: the memory the ITS and redistributors
 * need, host helpers to route MSIs into it, and guest helpers on top of
 * the selftest library's ITS driver (lib/aarch64/gic_v3_its.c).
 */
#ifndef SELFTEST_VLPI_ITS_H
#define SELFTEST_VLPI_ITS_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm_util.h"

#include "vlpi_mig_util.h"

#define VLPI_MAX_VCPUS		64
#define VLPI_MEMSLOT		10	/* the ITS tables' memslot; 0 is RAM */
#define VLPI_MAX_DEVICES	8
#define VLPI_NR_LPIS		64	/* LPIs 8192..8255 are configured */
#define VLPI_LPI_BASE		8192
#define VLPI_PEND_TABLE_SIZE	SZ_64K
#define VLPI_ITS_DOORBELL	(GITS_BASE_GPA + GITS_TRANSLATER)
/* Long enough for a pending LPI to reach the unmasked guest, under TCG */
#define VLPI_GUEST_WAIT_US	20000

/* Where the guest's ITS tables live; shared with the guest */
struct vlpi_its_layout {
	vm_paddr_t device_table;
	vm_paddr_t collection_table;
	vm_paddr_t cmdq;
	vm_paddr_t itts;		/* one 64K ITT per device index */
	vm_paddr_t prop_table;
	vm_paddr_t pend_tables;		/* one 64K table per vCPU */
	unsigned int nr_vcpus;
};

extern struct vlpi_its_layout vlpi_its;

/* An MSI as a device sends it through the vITS */
struct vlpi_msi {
	uint32_t devid;
	uint32_t eventid;
};

/* Host side */
struct vlpi_vm *vlpi_its_vm_create(unsigned int nr_vcpus, void *guest_code);
uint8_t *vlpi_pend_table(struct vlpi_vm *v, unsigned int vcpu);
/* KVM_SIGNAL_MSI; returns the ioctl's result (1: delivered to the ITS) */
int vlpi_signal_msi(struct vlpi_vm *v, struct vlpi_msi msi);
/* GSI i routes msis[i], with its DeviceID, to the vITS doorbell */
void vlpi_route_msis(struct vlpi_vm *v, const struct vlpi_msi *msis, int n);
void vlpi_irqfd(struct vlpi_vm *v, uint32_t gsi, int efd, bool assign);
/*
 * GSI i: msis[i] routed (when @assign) and the irqfd on efds[i] assigned
 * or removed, as a VMM hands devices to a VM or takes them back
 */
void vlpi_irqfds(struct vlpi_vm *v, const struct vlpi_msi *msis,
		 const int *efds, int n, bool assign);
struct edu;
/*
 * Forward @edu's MSI as @msi on GSI 0: route it, add an irqfd on a new
 * eventfd and give that eventfd to VFIO. Returns the eventfd.
 */
int vlpi_forward_edu(struct vlpi_vm *v, struct edu *edu,
		     const struct vlpi_msi *msi);
/*
 * A VM of @nr_vcpus running vlpi_guest_one_msi(), its deliveries counted,
 * vCPU 0 at GUEST_SYNC(1), and @edu forwarded as LPI 8192 (DevID 0,
 * EventID 0, GSI 0) through the new eventfd *@efd; made pending by the
 * device if @raise
 */
struct vlpi_vm *vlpi_edu_vm_create(unsigned int nr_vcpus, struct edu *edu,
				   bool raise, int *efd);
/* Undo vlpi_forward_edu(): irqfd removed, MSI off, eventfd closed, VM freed */
void vlpi_edu_vm_free(struct vlpi_vm *v, struct edu *edu, int efd);
/* The same for @n devices: GSI i forwards edus[i]'s MSI as msis[i] */
void vlpi_forward_edus(struct vlpi_vm *v, struct edu *edus,
		       const struct vlpi_msi *msis, int n, int *efds);
/* KVM_SET_GSI_ROUTING as vlpi_route_msis() does; 0 or the errno */
int __vlpi_route_msis(struct vlpi_vm *v, const struct vlpi_msi *msis, int n);
/* Test whether an LPI's bit is set in a pending table */
bool vlpi_pend_bit(const uint8_t *table, uint32_t intid);

/*
 * Deliveries per LPI (8192 + i), counted by the guest's IRQ handler that
 * vlpi_count_deliveries() installs on every vCPU
 */
extern uint32_t vlpi_delivered[VLPI_NR_LPIS];
void vlpi_count_deliveries(struct vlpi_vm *v);
/* Zero the guest's counters, and read them back */
void vlpi_delivered_reset(struct vlpi_vm *v);
void vlpi_delivered_sync(struct vlpi_vm *v);

/* Guest side */
void vlpi_guest_gic_init(void);		/* and enable this vCPU's LPIs */
void vlpi_guest_enable_lpis(void);
void vlpi_guest_disable_lpis(void);
void vlpi_guest_its_init(void);
/* The ITS initialised, msis[i] mapped (ITT i) as LPI 8192 + i on @vcpu */
void vlpi_guest_its_setup(const struct vlpi_msi *msis, int n, uint32_t vcpu);
/* Interrupts unmasked for @us: take what is pending, then mask again */
void vlpi_guest_unmask_for(uint32_t us);
/*
 * A whole guest for one MSI, DevID 0 EventID 0 as LPI 8192 on vCPU 0:
 * GUEST_SYNC(1) once set up, then on every run unmasked for
 * VLPI_GUEST_WAIT_US and GUEST_SYNC(2).
 */
void vlpi_guest_one_msi(void);
void vlpi_guest_map_device(uint32_t devid, unsigned int itt_index);
void vlpi_guest_map_event(uint32_t devid, uint32_t eventid,
			  uint32_t vcpu, uint32_t intid);
void vlpi_guest_invall(void);
/* MAPD with V=0: the device's ITT and every event of it are gone */
void vlpi_guest_unmap_device(uint32_t devid, unsigned int itt_index);
/* DISCARD: the event's mapping and its pending state are gone */
void vlpi_guest_discard(uint32_t devid, uint32_t eventid);
/* MOVI: the event's LPI to collection @icid (vCPU @icid) */
void vlpi_guest_movi(uint32_t devid, uint32_t eventid, uint32_t icid);

#endif /* SELFTEST_VLPI_ITS_H */
