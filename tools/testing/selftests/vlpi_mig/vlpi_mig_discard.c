// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_discard - forwarding follows the guest's ITE: a guest that
 * DISCARDs a forwarded event, or unmaps its device (MAPD V=0), takes the
 * vLPI away from the ITS, and the module's count of forwarded vLPIs must
 * say so.
 *
 * One vCPU; one edu device passed through with VFIO no-IOMMU and forwarded
 * as DevID 0 EventID 0, LPI 8192. Each step starts with the device raising
 * its MSI while the guest has interrupts masked:
 *
 *   a) forwarded: STATS.forwarded is 1.
 *   b) the guest DISCARDs the event: nothing is forwarded any more.
 *   c) the guest maps the event again (MAPTI), the VMM removes and adds
 *      the irqfd: forwarded again. The guest unmasks and must not see
 *      LPI 8192 (the DISCARD dropped its pending state, as the
 *      architecture says); a fresh MSI is then delivered exactly once.
 *   d) the same with the device unmapped (MAPD V=0) and mapped again.
 *
 * With the module (-m), STATS.forwarded is read after every step and must
 * match; without it (-n), the upstream baseline, only the host IRQ's
 * forwarding and the deliveries are checked. The VM and the device are
 * closed inside the test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#define BDF		"0000:00:02.0"
#define INTID		VLPI_LPI_BASE
#define GUEST_WAIT_US	20000

/* What the host asks the guest to do next; GUEST_SYNC(op) when done */
enum guest_op {
	OP_READY = 1,
	OP_UNMASK,
	OP_DISCARD,
	OP_MAPTI,
	OP_MAPD_OFF,
	OP_MAPD_ON,
};

static const struct vlpi_msi msi = { 0, 0 };
static uint32_t guest_op;

static void guest_code(void)
{
	uint32_t op;

	local_irq_disable();
	vlpi_guest_gic_init();
	vlpi_guest_its_setup(&msi, 1, 0);
	GUEST_SYNC(OP_READY);

	for (;;) {
		op = READ_ONCE(guest_op);
		switch (op) {
		case OP_UNMASK:
			vlpi_guest_unmask_for(GUEST_WAIT_US);
			break;
		case OP_DISCARD:
			vlpi_guest_discard(msi.devid, msi.eventid);
			vlpi_guest_invall();
			break;
		case OP_MAPTI:
			vlpi_guest_map_event(msi.devid, msi.eventid, 0, INTID);
			vlpi_guest_invall();
			break;
		case OP_MAPD_OFF:
			vlpi_guest_unmap_device(msi.devid, 0);
			vlpi_guest_invall();
			break;
		case OP_MAPD_ON:
			vlpi_guest_map_device(msi.devid, 0);
			break;
		default:
			GUEST_FAIL("unknown op %u", op);
		}
		GUEST_SYNC(op);
	}
}

static void guest_do(struct vlpi_vm *v, enum guest_op op)
{
	guest_op = op;
	sync_global_to_guest(v->vm, guest_op);
	vlpi_run_to_sync(v->vcpus[0], op);
}

/* Let the guest take what is pending; how often it took LPI 8192 */
static uint32_t unmask(struct vlpi_vm *v)
{
	vlpi_delivered_reset(v);
	guest_do(v, OP_UNMASK);
	vlpi_delivered_sync(v);
	return vlpi_delivered[INTID - VLPI_LPI_BASE];
}

/* The module's count of forwarded vLPIs, printed; -1 if unreadable */
static int64_t stats_forwarded(struct vlpi_vm *v, bool module,
			       const char *when)
{
	struct kvm_vlpi_mig_stats st;
	int ret;

	if (!module)
		return -1;
	ret = vlpi_mig_get_stats(v, &st);
	if (ret) {
		ksft_print_msg("%s: STATS: %s\n", when, strerror(ret));
		return -1;
	}
	ksft_print_msg("%s: STATS forwarded %lu saved_pending %lu restored %lu\n",
		       when, (unsigned long)st.forwarded,
		       (unsigned long)st.saved_pending,
		       (unsigned long)st.restored);
	ksft_print_msg("%s: STATS kept %lu unforward_running %lu\n", when,
		       (unsigned long)st.kept,
		       (unsigned long)st.unforward_running);
	return st.forwarded;
}

/* Forwarded or not, by the host IRQ and (with the module) by STATS */
static void check_forwarded(struct vlpi_vm *v, bool module, int irq,
			    bool want, const char *when)
{
	int64_t n = stats_forwarded(v, module, when);
	bool fwd = host_irq_forwarded(irq);

	if (module)
		ksft_test_result(n == want, "%s: STATS forwarded %ld (want %d)\n",
				 when, (long)n, want);
	ksft_test_result(fwd == want, "%s: host IRQ %d %sforwarded\n", when,
			 irq, fwd ? "" : "not ");
}

/* The VMM removes the irqfd and adds it back: forwarding set up again */
static void reforward(struct vlpi_vm *v, int efd)
{
	vlpi_irqfd(v, 0, efd, false);
	vlpi_irqfd(v, 0, efd, true);
}

/* Pending state dropped, then a fresh MSI raised while masked, once */
static void check_deliveries(struct vlpi_vm *v, struct edu *edu,
			     const char *what)
{
	uint32_t got = unmask(v);

	ksft_test_result(got == 0,
			 "after %s: LPI %u delivered %u time(s) (want 0)\n",
			 what, INTID, got);
	edu_raise(edu, 1);
	edu_ack(edu, 1);
	got = unmask(v);
	ksft_test_result(got == 1,
			 "after %s: a fresh MSI delivered %u time(s) (want 1)\n",
			 what, got);
}

int main(int argc, char *argv[])
{
	struct vlpi_vm *v;
	struct edu edu;
	uint64_t count;
	bool module;
	int efd, irq, unmaps;

	module = vlpi_mig_test_start(argc, argv);
	if (!edu_open(&edu, BDF))
		ksft_exit_skip("%s is not bound to vfio-pci\n", BDF);
	ksft_set_plan(module ? 16 : 11);

	v = vlpi_its_vm_create(1, guest_code);
	vlpi_count_deliveries(v);
	vlpi_run_to_sync(v->vcpus[0], OP_READY);

	stats_forwarded(v, module, "before the irqfd");
	efd = vlpi_forward_edu(v, &edu, &msi);
	irq = edu_host_irq(&edu);
	TEST_ASSERT(irq > 0, "no host IRQ for %s", BDF);

	/* a) forwarded, and pending */
	check_forwarded(v, module, irq, true, "a) irqfd assigned");
	edu_raise(&edu, 1);
	edu_ack(&edu, 1);

	/* b) the guest DISCARDs the pending event */
	guest_do(v, OP_DISCARD);
	check_forwarded(v, module, irq, false, "b) DISCARD");

	/* c) mapped again and re-forwarded */
	guest_do(v, OP_MAPTI);
	reforward(v, efd);
	check_forwarded(v, module, irq, true, "c) MAPTI, irqfd again");
	check_deliveries(v, &edu, "DISCARD");

	/* d) the device unmapped while its vLPI is pending, mapped again */
	edu_raise(&edu, 1);
	edu_ack(&edu, 1);
	guest_do(v, OP_MAPD_OFF);
	check_forwarded(v, module, irq, false, "d) MAPD V=0");
	guest_do(v, OP_MAPD_ON);
	guest_do(v, OP_MAPTI);
	reforward(v, efd);
	check_forwarded(v, module, irq, true, "d) MAPD V=1, MAPTI, irqfd again");
	check_deliveries(v, &edu, "MAPD V=0");

	count = host_irq_count(irq);
	ksft_test_result(!count, "the host never took the device's MSI (%lu)\n",
			 (unsigned long)count);

	vlpi_irqfd(v, 0, efd, false);
	stats_forwarded(v, module, "irqfd deassigned");
	edu_close(&edu);
	close(efd);
	unmaps = vlpi_vm_free_vmapps(v);
	ksft_test_result(!host_irq_listed(irq) && unmaps == 1,
			 "device and VM closed: host IRQ %d freed (%s), VM's vPE unmapped (VMAPP unmaps %d, want 1)\n",
			 irq, host_irq_listed(irq) ? "still listed" : "gone",
			 unmaps);
	ksft_finished();
}
