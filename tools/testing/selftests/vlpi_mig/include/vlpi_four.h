/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The migration tests' VM: two vCPUs, four edu devices whose MSIs map to
 * LPIs 8192-8195, two of them pending at the source. The guest sets up
 * its ITS and masks interrupts (stage 1), then, on the destination, takes
 * what is pending twice (stages 2 and 3), counting each LPI it takes.
 */
#ifndef SELFTEST_VLPI_FOUR_H
#define SELFTEST_VLPI_FOUR_H

#include "vlpi_its.h"

#define FOUR_VCPUS	2
#define FOUR_LPIS	4
#define FOUR_FRESH	1	/* four_lpis[FOUR_FRESH] is raised after */

struct four_lpi {
	const char *bdf;
	struct vlpi_msi msi;
	uint32_t vcpu;
	uint32_t intid;
	bool pending;		/* at the source */
};

extern const struct four_lpi four_lpis[FOUR_LPIS];

/* Deliveries the guest saw, per LPI; [FOUR_LPIS] counts any other */
extern uint32_t four_delivered[FOUR_LPIS + 1];

struct vlpi_vm *four_vm_create(void);
/* The irqfds of the four MSIs, each on its eventfd, on or off */
void four_forward(struct vlpi_vm *v, int *efds, bool on);
/* Run every vCPU to @stage and fetch what the guest counted */
void four_run_all(struct vlpi_vm *v, uint64_t stage);

#endif /* SELFTEST_VLPI_FOUR_H */
