// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_save - the pending state of forwarded vLPIs, saved into the
 * guest's LPI pending tables.
 *
 * Three vCPUs; four edu devices passed through with VFIO no-IOMMU, each
 * MSI routed (with its DeviceID) to the vITS through an irqfd, so that KVM
 * forwards it as a vLPI; and one software LPI. The guest, interrupts
 * masked throughout, maps them all:
 *
 *   edu 00:02.0  LPI 8192  vCPU 0  raised by the device itself
 *   edu 00:03.0  LPI 8193  vCPU 1  raised with KVM_SIGNAL_MSI (a VINT)
 *   edu 00:04.0  LPI 8194  vCPU 2  raised by the device, after vCPU 2
 *                                  turned its LPIs off, leaving
 *                                  GICR_PENDBASER as it was
 *   edu 00:05.0  LPI 8195  vCPU 1  not raised
 *   software     LPI 8200  vCPU 0  raised with KVM_SIGNAL_MSI
 *
 * vCPU 2 turns its LPIs off before anything is raised, which also flushes
 * the vITS translation cache: 6.12 caches a translation while setting up
 * forwarding, before the LPI is marked forwarded, and a KVM_SIGNAL_MSI
 * that hit that entry would set the software latch instead of a VINT.
 *
 * Then KVM_DEV_ARM_ITS_SAVE_TABLES and KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES.
 * With LPIs off, vCPU 2's old pending table is the guest's memory again:
 * the host fills it with a pattern before the save. With the module (-m),
 * 8192, 8193 and 8200 must be set in their tables, 8194 skipped and
 * counted (never written to the old table, nor to guest page 0), and no
 * other byte changed. Without it (-n), upstream's behaviour must show. On
 * GICv4.0: the ITS save refused with EACCES, and only the software LPI
 * saved. On GICv4.1, whose VPTs upstream reads after unmapping the vPEs:
 * the ITS save accepted and every raised LPI saved, 8194 included, into
 * vCPU 2's old table, which its walk writes with LPIs off (the module does
 * not: that memory is the guest's again). The bed's host GIC says which
 * (vlpi_host_gic=). On either side, the VMAPPs the ITS driver builds
 * across both saves are counted (a kprobe): each vPE unmapped and mapped
 * back once on GICv4.1, none on GICv4.0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/sizes.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_mig_util.h"
#include "vlpi_observe.h"

#define NR_VCPUS	3
#define VCPU_LPIS_OFF	2	/* turns its LPIs off before the save */
#define PAGE0_BYTES	SZ_8K	/* where intid / 8 lands with no table */
/* The guest reuses a disabled table; LPI 8194's bit in it is clear */
#define OLD_TABLE_PATTERN	0x5a

enum raise { RAISE_DEVICE, RAISE_SIGNAL, NOT_RAISED };

struct lpi {
	const char *bdf;	/* NULL: a software LPI */
	struct vlpi_msi msi;
	uint32_t vcpu;
	uint32_t intid;
	enum raise raise;
};

static const struct lpi lpis[] = {
	{ "0000:00:02.0", { 0x10, 0 }, 0, 8192, RAISE_DEVICE },
	{ "0000:00:03.0", { 0x11, 0 }, 1, 8193, RAISE_SIGNAL },
	{ "0000:00:04.0", { 0x12, 0 }, 2, 8194, RAISE_DEVICE },
	{ "0000:00:05.0", { 0x13, 0 }, 1, 8195, NOT_RAISED },
	{ NULL,           { 0x20, 0 }, 0, 8200, RAISE_SIGNAL },
};

#define NR_LPIS		ARRAY_SIZE(lpis)

static void guest_code(void)
{
	uint32_t cpu = guest_get_vcpuid();
	unsigned int i;

	local_irq_disable();
	vlpi_guest_gic_init();
	if (cpu == 0) {
		vlpi_guest_its_init();
		for (i = 0; i < NR_LPIS; i++) {
			vlpi_guest_map_device(lpis[i].msi.devid, i);
			vlpi_guest_map_event(lpis[i].msi.devid,
					     lpis[i].msi.eventid,
					     lpis[i].vcpu, lpis[i].intid);
		}
		vlpi_guest_invall();
	}
	GUEST_SYNC(1);

	if (cpu == VCPU_LPIS_OFF)
		vlpi_guest_disable_lpis();
	GUEST_SYNC(2);

	/*
	 * LPIs back on before the devices go, as a well-behaved guest would.
	 * Plain 6.12 could not unforward an LPI whose target had LPIs off
	 * (vgic_its_resolve_lpi() refused it) and WARNed at teardown; with
	 * patch 0002 it can, and vlpi_mig_hostile's lpis-off case tears its
	 * VM down with them off.
	 */
	if (cpu == VCPU_LPIS_OFF)
		vlpi_guest_enable_lpis();
	GUEST_SYNC(3);

	GUEST_DONE();
}

/*
 * Which LPIs a save must leave set: the raised ones the module reads, or
 * that upstream does (software ones; forwarded ones on GICv4.1, even into
 * the table of a vCPU whose LPIs are off)
 */
static bool expect_saved(const struct lpi *l, bool module)
{
	bool v41 = vlpi_host_gicv4_1();

	if (l->raise == NOT_RAISED)
		return false;
	if (l->vcpu == VCPU_LPIS_OFF)
		return !module && v41 && l->bdf;
	return module || !l->bdf || v41;
}

int main(int argc, char *argv[])
{
	uint8_t *before[NR_VCPUS], *after[NR_VCPUS], page0[PAGE0_BYTES];
	struct edu edus[NR_LPIS];
	unsigned int i, cpu, nr_edus = 0;
	char lost[128] = "", saved[128] = "";
	int ret, its_errno;
	bool module, ok;
	bool all_fwd = true, bits_ok = true, others_ok = true;
	struct vlpi_vmapps vmapps;
	unsigned int unmaps;
	struct vlpi_stats st;
	struct vlpi_vm *v;

	module = vlpi_mig_test_start(argc, argv);
	for (i = 0; i < NR_LPIS; i++)
		if (lpis[i].bdf && !edu_open(&edus[nr_edus++], lpis[i].bdf))
			ksft_exit_skip("%s is not bound to vfio-pci\n",
				       lpis[i].bdf);
	ksft_set_plan(module ? 9 : 8);

	v = vlpi_its_vm_create(NR_VCPUS, guest_code);
	for (cpu = NR_VCPUS; cpu-- > 0;)
		vlpi_run_to_sync(v->vcpus[cpu], 1);

	/* Route every MSI to the vITS; an irqfd on each edu's makes a vLPI */
	{
		struct vlpi_msi msis[NR_LPIS];

		for (i = 0; i < NR_LPIS; i++)
			msis[i] = lpis[i].msi;
		vlpi_route_msis(v, msis, NR_LPIS);
	}
	for (i = 0; i < nr_edus; i++) {
		int efd = eventfd(0, EFD_NONBLOCK);

		TEST_ASSERT(efd >= 0, "eventfd");
		vlpi_irqfd(v, i, efd, true);
		edu_enable_msi(&edus[i], efd);
	}
	for (i = 0; i < nr_edus; i++) {
		int irq = edu_host_irq(&edus[i]);

		all_fwd &= irq > 0 && host_irq_forwarded(irq);
		ksft_print_msg("%s: host IRQ %d%s\n", edus[i].bdf, irq,
			       host_irq_forwarded(irq) ?
			       " forwarded to a vCPU" : " NOT forwarded");
	}
	ksft_test_result(all_fwd, "every edu MSI is forwarded (irq debugfs)\n");

	vlpi_run_to_sync(v->vcpus[VCPU_LPIS_OFF], 2);

	/* Make them pending, the guest's interrupts masked */
	for (i = 0; i < NR_LPIS; i++) {
		if (lpis[i].raise == RAISE_DEVICE)
			edu_raise(&edus[i], 1);
		else if (lpis[i].raise == RAISE_SIGNAL)
			TEST_ASSERT(vlpi_signal_msi(v, lpis[i].msi) == 1,
				    "KVM_SIGNAL_MSI for LPI %u", lpis[i].intid);
	}
	{
		uint64_t count = host_irq_count(edu_host_irq(&edus[0]));
		uint64_t ev;
		bool quiet = read(edus[0].efd, &ev, sizeof(ev)) < 0 &&
			     errno == EAGAIN;

		ksft_test_result(edu_irq_status(&edus[0]) == 1 && count == 0 &&
				 quiet,
				 "edu raised its MSI and the host never saw it (count %lu, eventfd %s)\n",
				 (unsigned long)count, quiet ? "quiet" : "signalled");
	}

	/* What a guest may put in memory that is no longer a pending table */
	memset(vlpi_pend_table(v, VCPU_LPIS_OFF), OLD_TABLE_PATTERN,
	       VLPI_PEND_TABLE_SIZE);
	for (cpu = 0; cpu < NR_VCPUS; cpu++) {
		before[cpu] = malloc(VLPI_PEND_TABLE_SIZE);
		after[cpu] = vlpi_pend_table(v, cpu);
		memcpy(before[cpu], after[cpu], VLPI_PEND_TABLE_SIZE);
	}
	memcpy(page0, addr_gpa2hva(v->vm, 0), PAGE0_BYTES);

	TEST_ASSERT(vlpi_vmapp_start(), "kprobe on its_build_vmapp_cmd");
	ret = __kvm_device_attr_set(v->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
				    KVM_DEV_ARM_ITS_SAVE_TABLES, NULL);
	its_errno = ret ? errno : 0;
	if (module || vlpi_host_gicv4_1())
		ksft_test_result(!ret, "%s: ITS_SAVE_TABLES with forwarded ITEs: %s\n",
				 module ? "module" : "baseline, GICv4.1",
				 strerror(its_errno));
	else
		ksft_test_result(ret && its_errno == EACCES,
				 "baseline: ITS_SAVE_TABLES refuses forwarded ITEs: %s\n",
				 strerror(its_errno));

	ret = __kvm_device_attr_set(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
				    KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, NULL);
	ksft_test_result(!ret, "SAVE_PENDING_TABLES: %s\n",
			 ret ? strerror(errno) : "ok");
	ok = vlpi_vmapp_read(&vmapps);
	vlpi_vmapp_stop();
	unmaps = vlpi_save_vpe_unmaps(NR_VCPUS);
	ksft_test_result(ok && vmapps.unmaps == unmaps && vmapps.maps == unmaps,
			 "%s: the saves sent VMAPP %u unmaps, %u maps (want %u each: one per vPE on GICv4.1, none on GICv4.0)\n",
			 module ? "module" : "baseline", vmapps.unmaps,
			 vmapps.maps, unmaps);

	for (i = 0; i < NR_LPIS; i++) {
		const struct lpi *l = &lpis[i];
		bool want = expect_saved(l, module);
		bool got = vlpi_pend_bit(after[l->vcpu], l->intid);
		char *list = got ? saved : lost;

		/*
		 * No table there: the byte-for-byte check below covers it,
		 * but for the bit upstream writes all the same
		 */
		if (l->vcpu == VCPU_LPIS_OFF) {
			if (want && !got)
				bits_ok = false;
			if (want)
				after[l->vcpu][l->intid / 8] &=
					~(1 << (l->intid % 8));
			continue;
		}

		if (got != want)
			bits_ok = false;
		if (got || expect_saved(l, true))
			snprintf(list + strlen(list), 128 - strlen(list),
				 " %u", l->intid);
		/* Set bits aside, so that only unexpected changes remain */
		if (want)
			after[l->vcpu][l->intid / 8] &= ~(1 << (l->intid % 8));
	}
	ksft_test_result(bits_ok, "%s: saved pending:%s%s%s\n",
			 module ? "module" : "baseline", saved,
			 *lost ? "; lost:" : "", lost);

	for (cpu = 0; cpu < NR_VCPUS; cpu++) {
		if (!memcmp(before[cpu], after[cpu], VLPI_PEND_TABLE_SIZE))
			continue;
		others_ok = false;
		for (i = 0; i < VLPI_PEND_TABLE_SIZE; i++)
			if (before[cpu][i] != after[cpu][i])
				ksft_print_msg("vCPU %u table byte %u: %#x -> %#x\n",
					       cpu, i, before[cpu][i],
					       after[cpu][i]);
	}
	/* Put the expected bits back for the VM's sake */
	for (i = 0; i < NR_LPIS; i++)
		if (expect_saved(&lpis[i], module))
			after[lpis[i].vcpu][lpis[i].intid / 8] |=
				1 << (lpis[i].intid % 8);
	ksft_test_result(others_ok,
			 "no other byte of the pending tables changed (vCPU %u's old one, LPIs off, included)\n",
			 VCPU_LPIS_OFF);

	ksft_test_result(!memcmp(page0, addr_gpa2hva(v->vm, 0), PAGE0_BYTES),
			 "guest page 0 untouched (LPI %u's vCPU has no pending table)\n",
			 lpis[2].intid);

	if (module)
		ksft_test_result(vlpi_mig_read_stats(&st) &&
				 st.saved_pending == 2 && st.skipped == 1 &&
				 st.refused == 0,
				 "module counted: saved_pending %lu skipped %lu refused %lu\n",
				 (unsigned long)st.saved_pending,
				 (unsigned long)st.skipped,
				 (unsigned long)st.refused);

	vlpi_run_to_sync(v->vcpus[VCPU_LPIS_OFF], 3);
	for (i = 0; i < nr_edus; i++) {
		int efd = edus[i].efd;

		edu_ack(&edus[i], 1);
		edu_close(&edus[i]);
		vlpi_irqfd(v, i, efd, false);
		close(efd);
	}
	for (cpu = 0; cpu < NR_VCPUS; cpu++)
		free(before[cpu]);
	vlpi_vm_free(v);

	ksft_finished();
}
