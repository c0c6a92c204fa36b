// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_route - a forwarded MSI's route rewritten under its irqfd, as
 * QEMU does when the guest reprograms a passed-through device's MSI
 * (vfio_update_msi()).
 *
 * One vCPU; two edu devices passed through with VFIO no-IOMMU, each MSI
 * routed through an irqfd and forwarded as a vLPI to vCPU 0:
 *
 *   GSI 0  edu 00:02.0  DevID 0 EventID 0  LPI 8192
 *   GSI 1  edu 00:03.0  DevID 1 EventID 0  LPI 8193
 *
 * Device 0 raises its MSI while the guest has interrupts masked. The VMM
 * then rewrites GSI 0's route to DevID 1 EventID 0 (GSI 1 unchanged),
 * keeping the irqfd: device 0's vLPI must be unmapped there and then, its
 * pending state kept (module) on LPI 8192. The VMM saves the ITS and
 * pending tables, and removes GSI 0's irqfd. The guest unmasks. With the
 * module (-m), LPI 8192 must be saved in the pending table and delivered
 * exactly once; without it (-n), the baseline, which unmaps the vLPI at
 * the route change, loses it.
 * LPI 8193 must never be raised by any of this.
 *
 * On GICv4.1, where nothing can read the VPT at the route change, the VMM
 * saves the pending tables first ("quiesce, then SAVE_PENDING_TABLES"),
 * and the module keeps what that save read; upstream, which saves the
 * vLPI in guest RAM there, still loses it to the unmap (the bed's
 * vlpi_host_gic= says which).
 *
 * Device 1 must still be forwarded, and a fresh MSI from it delivered
 * exactly once as LPI 8193. The VM and the devices are closed inside the
 * test: a vLPI left mapped behind KVM's back shows at teardown.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "delay.h"
#include "gic.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_mig_util.h"
#include "vlpi_observe.h"
#include "vlpi_migrate.h"

#define NR_DEVS		2
#define GUEST_WAIT_US	20000

enum { STAGE_READY = 1, STAGE_UNMASKED };

static const char * const bdfs[NR_DEVS] = { "0000:00:02.0", "0000:00:03.0" };
/* GSI i routes msis[i]; the guest maps it to LPI 8192 + i */
static const struct vlpi_msi msis[NR_DEVS] = { { 0, 0 }, { 1, 0 } };
/* GSI 0 rewritten to device 1's DevID and EventID */
static const struct vlpi_msi rerouted[NR_DEVS] = { { 1, 0 }, { 1, 0 } };

#define LPI(i)		(VLPI_LPI_BASE + (i))

static void guest_code(void)
{
	local_irq_disable();
	vlpi_guest_gic_init();
	vlpi_guest_its_setup(msis, NR_DEVS, 0);
	GUEST_SYNC(STAGE_READY);

	for (;;) {
		vlpi_guest_unmask_for(GUEST_WAIT_US);
		GUEST_SYNC(STAGE_UNMASKED);
	}
}

/* Let the guest take what is pending; the deliveries per LPI */
static void unmask(struct vlpi_vm *v)
{
	vlpi_delivered_reset(v);
	vlpi_run_to_sync(v->vcpus[0], STAGE_UNMASKED);
	vlpi_delivered_sync(v);
	ksft_print_msg("unmasked: LPI %u delivered %u time(s), LPI %u %u time(s)\n",
		       LPI(0), vlpi_delivered[0], LPI(1), vlpi_delivered[1]);
}

int main(int argc, char *argv[])
{
	struct edu edus[NR_DEVS];
	int efds[NR_DEVS], irqs[NR_DEVS];
	bool module, fwd, pend0, pend1;
	uint64_t count[NR_DEVS];
	struct vlpi_vm *v;
	unsigned int i;
	int ret, unmaps;

	module = vlpi_mig_test_start(argc, argv);
	for (i = 0; i < NR_DEVS; i++)
		if (!edu_open(&edus[i], bdfs[i]))
			ksft_exit_skip("%s is not bound to vfio-pci\n", bdfs[i]);
	ksft_set_plan(module ? 11 : 10);

	v = vlpi_its_vm_create(1, guest_code);
	vlpi_count_deliveries(v);
	vlpi_run_to_sync(v->vcpus[0], STAGE_READY);

	vlpi_forward_edus(v, edus, msis, NR_DEVS, efds);
	fwd = true;
	for (i = 0; i < NR_DEVS; i++) {
		irqs[i] = edu_host_irq(&edus[i]);
		fwd &= irqs[i] > 0 && host_irq_forwarded(irqs[i]);
		ksft_print_msg("%s: host IRQ %d%s\n", bdfs[i], irqs[i],
			       host_irq_forwarded(irqs[i]) ?
			       " forwarded to a vCPU" : " NOT forwarded");
	}
	ksft_test_result(fwd, "both edu MSIs are forwarded\n");

	/* LPI 8192 pending in the VPT, the guest masked */
	edu_raise(&edus[0], 1);
	edu_ack(&edus[0], 1);
	if (vlpi_host_gicv4_1()) {
		ret = vlpi_save_pending_tables(v);
		TEST_ASSERT(!ret, "SAVE_PENDING_TABLES: %s", strerror(ret));
	}

	/* QEMU's vfio_update_msi(): a new route under a live irqfd */
	ret = __vlpi_route_msis(v, rerouted, NR_DEVS);
	ksft_test_result(!ret,
			 "GSI 0 rerouted to DevID %u EventID %u under its irqfd: %s\n",
			 rerouted[0].devid, rerouted[0].eventid, strerror(ret));

	/* The old route's vLPI is unmapped there and then (patches 0003, 0006) */
	fwd = host_irq_forwarded(irqs[0]);
	ksft_test_result(!fwd, "the route change unmapped %s's vLPI at once\n",
			 bdfs[0]);
	if (module) {
		bool p = false, hw = true;

		vgic_lpi_state(v->vm, LPI(0), &p, &hw);
		ksft_test_result(p && !hw,
				 "LPI %u kept pending in software by the route change\n",
				 LPI(0));
	}

	ret = vlpi_save_its_tables(v);
	ksft_print_msg("KVM_DEV_ARM_ITS_SAVE_TABLES: %s\n", strerror(ret));
	ret = vlpi_save_pending_tables(v);
	ksft_test_result(!ret, "KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES: %s\n",
			 strerror(ret));
	pend0 = vlpi_pend_bit(vlpi_pend_table(v, 0), LPI(0));
	pend1 = vlpi_pend_bit(vlpi_pend_table(v, 0), LPI(1));
	ksft_print_msg("saved pending: LPI %u %s, LPI %u %s\n",
		       LPI(0), pend0 ? "set" : "clear",
		       LPI(1), pend1 ? "set" : "clear");
	/* Upstream's walk writes the state it lost: not pending */
	ksft_test_result(pend0 == module && !pend1,
			 "%s: saved LPI %u as %spending (want %spending), and not LPI %u\n",
			 module ? "module" : "baseline", LPI(0),
			 pend0 ? "" : "not ", module ? "" : "not ", LPI(1));

	vlpi_irqfd(v, 0, efds[0], false);
	unmask(v);
	if (module)
		ksft_test_result(vlpi_delivered[0] == 1 && vlpi_delivered[1] == 0,
				 "LPI %u delivered %u time(s) (want 1), LPI %u %u (want 0)\n",
				 LPI(0), vlpi_delivered[0],
				 LPI(1), vlpi_delivered[1]);
	else
		ksft_test_result(vlpi_delivered[0] == 0 && vlpi_delivered[1] == 0,
				 "baseline: LPI %u lost (delivered %u), LPI %u %u (want 0)\n",
				 LPI(0), vlpi_delivered[0],
				 LPI(1), vlpi_delivered[1]);

	/* Device 1 was never touched: it must work as before */
	fwd = host_irq_forwarded(irqs[1]);
	ksft_test_result(fwd, "%s still forwarded after GSI 0 went\n", bdfs[1]);
	edu_raise(&edus[1], 1);
	edu_ack(&edus[1], 1);
	unmask(v);
	ksft_test_result(vlpi_delivered[1] == 1 && vlpi_delivered[0] == 0,
			 "a fresh MSI from %s: LPI %u delivered %u time(s) (want 1), LPI %u %u (want 0)\n",
			 bdfs[1], LPI(1), vlpi_delivered[1],
			 LPI(0), vlpi_delivered[0]);

	for (i = 0; i < NR_DEVS; i++)
		count[i] = host_irq_count(irqs[i]);
	ksft_test_result(!count[0] && !count[1],
			 "the host took neither device's MSI (%lu, %lu)\n",
			 (unsigned long)count[0], (unsigned long)count[1]);

	/* The order a VMM tears down in; what upstream leaves shows here */
	vlpi_irqfd(v, 1, efds[1], false);
	for (i = 0; i < NR_DEVS; i++) {
		edu_close(&edus[i]);
		close(efds[i]);
	}
	unmaps = vlpi_vm_free_vmapps(v);
	ksft_test_result(!host_irq_listed(irqs[0]) && !host_irq_listed(irqs[1]) &&
			 unmaps == 1,
			 "devices and VM closed: host IRQs %d and %d freed (%d, %d listed), VM's vPE unmapped (VMAPP unmaps %d, want 1)\n",
			 irqs[0], irqs[1], host_irq_listed(irqs[0]),
			 host_irq_listed(irqs[1]), unmaps);
	ksft_finished();
}
