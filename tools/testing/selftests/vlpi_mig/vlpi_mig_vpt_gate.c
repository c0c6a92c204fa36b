// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_vpt_gate - the ITS driver answers a vLPI's pending state only
 * while its vPE is unmapped, and the save reads it there.
 *
 * On GICv4.1 the GIC may keep a mapped vPE's pending vLPIs to itself
 * rather than write them to its VPT (the bed's model does, until the vPE
 * is unmapped), so a read of a mapped vPE's VPT can be stale. The ITS
 * driver's irq_get_irqchip_state(IRQCHIP_STATE_PENDING) for a forwarded
 * LPI must then refuse, and the pending-table save, which the vGIC makes
 * with every vPE unmapped, must get the bit.
 *
 * One vCPU, never running while the device raises; edu 00:02.0 forwarded
 * as LPI 8192 and made pending. The module's test-only debugfs vpt_read
 * asks the driver for the host IRQ's state, outside any save:
 *
 *   1. asked while the vPE is mapped: -EACCES;
 *   2. the save: the bit saved, the vPE unmapped and mapped back once,
 *      nothing unreadable;
 *   3. asked again, the vPE mapped back: -EACCES;
 *   4. the guest unmasks and takes the vLPI once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_mig_util.h"
#include "vlpi_migrate.h"
#include "vlpi_observe.h"

#define BDF		"0000:00:02.0"
#define INTID		VLPI_LPI_BASE
#define VPT_READ	VLPI_MIG_DEBUGFS "/vpt_read"

/* What the ITS driver answers for @irq now: its return code, or -999 */
static int ask_driver(int irq, int *pending)
{
	char buf[32];
	FILE *f;
	int ret;

	snprintf(buf, sizeof(buf), "%d", irq);
	if (write_str_file(VPT_READ, buf))
		return -999;
	f = fopen(VPT_READ, "r");
	if (!f)
		return -999;
	if (fscanf(f, "%d %d", &ret, pending) != 2)
		ret = -999;
	fclose(f);
	return ret;
}

int main(int argc, char *argv[])
{
	struct kvm_vlpi_mig_stats st0, st1;
	int ret, efd, irq, un, pending = -1;
	struct vlpi_vmapps c;
	struct vlpi_vm *v;
	struct edu edu;
	uint8_t *table;
	uint32_t got;
	bool bit;

	if (!vlpi_mig_test_start(argc, argv))
		ksft_exit_skip("vpt_read is the module's (-m)\n");
	TEST_ASSERT(vlpi_host_gicv4_1(),
		    "run where the VPT can be read (GICv4.1)");
	TEST_ASSERT(!access(VPT_READ, F_OK), "%s: %s", VPT_READ,
		    strerror(errno));
	TEST_ASSERT(edu_open(&edu, BDF), "%s: %s", BDF, strerror(errno));
	ksft_set_plan(5);

	v = vlpi_edu_vm_create(1, &edu, true, &efd);
	irq = edu_host_irq(&edu);
	TEST_ASSERT(irq >= 0, "the edu's host IRQ");

	ret = ask_driver(irq, &pending);
	ksft_test_result(ret == -EACCES,
			 "vPE mapped: the ITS driver refuses host IRQ %d's state (%d, want %d)\n",
			 irq, ret, -EACCES);

	table = vlpi_pend_table(v, 0);
	table[INTID / 8] = 0;
	TEST_ASSERT(!vlpi_mig_get_stats(v, &st0), "STATS");
	TEST_ASSERT(vlpi_vmapp_start(), "kprobe on its_build_vmapp_cmd");
	ret = vlpi_save_pending_tables(v);
	TEST_ASSERT(vlpi_vmapp_read(&c), "VMAPP count");
	vlpi_vmapp_stop();
	bit = vlpi_pend_bit(table, INTID);
	TEST_ASSERT(!vlpi_mig_get_stats(v, &st1), "STATS");
	ksft_test_result(!ret && bit && c.unmaps == 1 && c.maps == 1 &&
			 st1.unreadable == st0.unreadable,
			 "the save, its vPE unmapped: %s, bit %d, VMAPP %u/%u unmaps/maps, unreadable +%lu\n",
			 strerror(ret), bit, c.unmaps, c.maps,
			 (unsigned long)(st1.unreadable - st0.unreadable));

	ret = ask_driver(irq, &pending);
	ksft_test_result(ret == -EACCES,
			 "vPE mapped back: refused again (%d)\n", ret);

	vlpi_delivered_reset(v);
	vlpi_run_to_sync(v->vcpus[0], 2);
	vlpi_delivered_sync(v);
	got = vlpi_delivered[INTID - VLPI_LPI_BASE];
	ksft_test_result(got == 1, "the guest took LPI %u %u time(s) (want 1)\n",
			 INTID, got);

	vlpi_irqfd(v, 0, efd, false);
	edu_disable_msi(&edu);
	close(efd);
	un = vlpi_vm_free_vmapps(v);
	edu_close(&edu);
	ksft_test_result(!host_irq_listed(irq) && un == 1,
			 "device and VM closed: host IRQ %d freed, VM's vPE unmapped (VMAPP unmaps %d, want 1)\n",
			 irq, un);
	ksft_finished();
}
