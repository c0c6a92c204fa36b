// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_vpe_ops - what tearing forwarding down and saving cost in vPE
 * operations: unforward of N vLPIs on a VM of V vCPUs must be O(N + V),
 * never N x V, and a save unmaps each vPE once, whatever N.
 *
 * For V in {1, 8, 32} and N in {1, 4}: a VM whose every vCPU turned its
 * LPIs on, then stopped; N edu devices forwarded, vLPI i aimed at vCPU
 * i * V / N, each made pending by its device. One save of the pending
 * tables, then the N irqfds deassigned (unforward, no vCPU running).
 * What the GIC is sent is counted by a kprobe on the ITS driver's VMAPP
 * builder: the VM's creation maps each vPE once (which also proves the
 * probe reads V right), the save unmaps and maps back each vPE exactly
 * once on GICv4.1 and none on a GICv4.0 (whose VPT the GIC keeps in
 * memory), the unforwards send none (the vLPI is read where its vPE stays
 * mapped and not resident), and every vLPI is saved pending in the
 * guest's table and kept pending in software (the vGIC's own state in
 * debugfs). The module's STATS are printed beside, not checked.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_mig_util.h"
#include "vlpi_migrate.h"
#include "vlpi_observe.h"

#define MAX_N		4

static const char *const bdfs[MAX_N] = {
	"0000:00:02.0", "0000:00:03.0", "0000:00:04.0", "0000:00:05.0",
};

static const unsigned int vcpu_counts[] = { 1, 8, 32 };
static const unsigned int vlpi_counts[] = { 1, MAX_N };

/* Shared with the guest: how many vLPIs, and their targets */
static uint32_t nr_vlpis;
static uint32_t target[MAX_N];

static void guest_code(void)
{
	uint32_t i;

	local_irq_disable();
	vlpi_guest_gic_init();
	if (guest_get_vcpuid() == 0) {
		vlpi_guest_its_init();
		for (i = 0; i < nr_vlpis; i++) {
			vlpi_guest_map_device(i, i);
			vlpi_guest_map_event(i, 0, target[i],
					     VLPI_LPI_BASE + i);
		}
		vlpi_guest_invall();
	}
	GUEST_SYNC(1);
	GUEST_DONE();
}

static bool vmapps(struct vlpi_vmapps *c)
{
	bool ok = vlpi_vmapp_read(c);

	TEST_ASSERT(vlpi_vmapp_start(), "kprobe on its_build_vmapp_cmd");
	return ok;
}

static bool one_case(struct edu *edus, unsigned int nr_vcpus,
		     unsigned int n)
{
	struct vlpi_vmapps create, save, unforward, destroy;
	unsigned int i, cpu, nr_soft = 0, nr_saved = 0;
	unsigned int unmaps = vlpi_save_vpe_unmaps(nr_vcpus);
	struct kvm_vlpi_mig_stats st0, st1, st2;
	struct vlpi_msi msis[MAX_N];
	int efds[MAX_N], ret;
	struct vlpi_vm *v;
	bool ok;

	nr_vlpis = n;
	for (i = 0; i < n; i++) {
		target[i] = i * nr_vcpus / n;
		msis[i] = (struct vlpi_msi){ i, 0 };
	}

	TEST_ASSERT(vlpi_vmapp_start(), "kprobe on its_build_vmapp_cmd");
	v = vlpi_its_vm_create(nr_vcpus, guest_code);
	sync_global_to_guest(v->vm, nr_vlpis);
	sync_global_to_guest(v->vm, target);
	for (cpu = nr_vcpus; cpu-- > 0;)
		vlpi_run_to_sync(v->vcpus[cpu], 1);

	vlpi_forward_edus(v, edus, msis, n, efds);
	for (i = 0; i < n; i++) {
		edu_raise(&edus[i], 1);
		edu_ack(&edus[i], 1);
	}
	ok = vmapps(&create);

	TEST_ASSERT(!vlpi_mig_get_stats(v, &st0), "STATS");
	ret = vlpi_save_pending_tables(v);
	ok &= vmapps(&save);
	TEST_ASSERT(!vlpi_mig_get_stats(v, &st1), "STATS");
	for (i = 0; i < n; i++)
		vlpi_irqfd(v, i, efds[i], false);
	ok &= vmapps(&unforward);
	TEST_ASSERT(!vlpi_mig_get_stats(v, &st2), "STATS");

	for (i = 0; i < n; i++) {
		bool pending = false, hw = true;

		nr_saved += vlpi_pend_bit(vlpi_pend_table(v, target[i]),
					  VLPI_LPI_BASE + i);
		if (vgic_lpi_state(v->vm, VLPI_LPI_BASE + i, &pending, &hw) &&
		    pending && !hw)
			nr_soft++;
	}

	ksft_print_msg("V=%-2u N=%u: VMAPP at creation: %u maps, %u unmaps\n",
		       nr_vcpus, n, create.maps, create.unmaps);
	ksft_print_msg("V=%-2u N=%u: save %s: VMAPP %u/%u unmaps/maps\n",
		       nr_vcpus, n, strerror(ret), save.unmaps, save.maps);
	ksft_print_msg("V=%-2u N=%u: %u of %u saved (saved_pending %lu)\n",
		       nr_vcpus, n, nr_saved, n,
		       (unsigned long)(st1.saved_pending - st0.saved_pending));
	ksft_print_msg("V=%-2u N=%u: unforward: VMAPP %u/%u unmaps/maps\n",
		       nr_vcpus, n, unforward.unmaps, unforward.maps);
	ksft_print_msg("V=%-2u N=%u: %u of %u pending in software (STATS: kept %lu)\n",
		       nr_vcpus, n, nr_soft, n,
		       (unsigned long)(st2.kept - st1.kept));
	ok &= create.maps == nr_vcpus && !create.unmaps && !ret &&
	      save.unmaps == unmaps && save.maps == unmaps &&
	      nr_saved == n && !unforward.unmaps && !unforward.maps &&
	      nr_soft == n;

	for (i = 0; i < n; i++) {
		edu_disable_msi(&edus[i]);
		close(efds[i]);
	}
	vlpi_vm_free(v);
	ok &= vmapps(&destroy);
	vlpi_vmapp_stop();
	ksft_print_msg("V=%-2u N=%u: VMAPP at destruction: %u unmaps, %u maps\n",
		       nr_vcpus, n, destroy.unmaps, destroy.maps);
	return ok && destroy.unmaps == nr_vcpus && !destroy.maps;
}

int main(int argc, char *argv[])
{
	struct edu edus[MAX_N];
	unsigned int a, b, i;

	if (!vlpi_mig_test_start(argc, argv))
		ksft_exit_skip("the counts are the module's (-m)\n");
	TEST_ASSERT(vlpi_vpt_readable(),
		    "run where the VPT can be read (GICv4.1)");
	for (i = 0; i < MAX_N; i++)
		if (!edu_open(&edus[i], bdfs[i]))
			ksft_exit_skip("%s is not bound to vfio-pci\n", bdfs[i]);
	ksft_set_plan(ARRAY_SIZE(vcpu_counts) * ARRAY_SIZE(vlpi_counts));

	for (a = 0; a < ARRAY_SIZE(vcpu_counts); a++)
		for (b = 0; b < ARRAY_SIZE(vlpi_counts); b++)
			ksft_test_result(one_case(edus, vcpu_counts[a],
						  vlpi_counts[b]),
					 "V=%u N=%u: VMAPPs: one map per vPE at creation, one unmap and map at the save (GICv4.1), none at unforward; every vLPI saved and kept\n",
					 vcpu_counts[a], vlpi_counts[b]);

	for (i = 0; i < MAX_N; i++)
		edu_close(&edus[i]);
	ksft_finished();
}
