// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_save_all - the module's one-pass save of every LPI (the
 * save_pending_tables hook), against what the vGIC's own walk writes.
 *
 * Four vCPUs, all with LPIs on. Two edu devices forwarded as vLPIs 8192
 * (vCPU 0, raised by the device) and 8193 (vCPU 3, not raised); software
 * LPIs 8200..8255 spread over the vCPUs, every third raised with
 * KVM_SIGNAL_MSI. Before the save the host fills every pending table with
 * a pattern, so that each LPI's bit must be set or cleared by the save and
 * every other bit must stay as the guest had it.
 *
 * With the module (-m) the save must take the one-pass path (full_saves)
 * and save the raised vLPI; then, on the same VM, upstream's walk (the
 * module unloaded for one save, loaded back after) must write the same
 * tables byte for byte, but for the vLPI on GICv4.0. Without it (-n) upstream's walk must give the
 * software LPIs exactly the same bits, and the vLPI its own (saved on
 * GICv4.1, where it reads the VPT; lost on GICv4.0): the one pass saves
 * what the vGIC would. Then, with no LPI forwarded any more, a second
 * save; the vLPI's state was kept across the unforward by the module
 * (what the first save read, no vCPU having run since), and lost by
 * upstream.
 *
 * On both sides the VMAPP commands the ITS driver builds during each save
 * are counted (a kprobe): on GICv4.1 each save with a vLPI forwarded
 * unmaps and maps back each vPE once, as upstream does; with none
 * forwarded the module unmaps none, where upstream unmaps them all. On a
 * GICv4.0 neither side sends a VMAPP.
 */
#include <errno.h>
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
#include "vlpi_migrate.h"
#include "vlpi_observe.h"

#define NR_VCPUS	4
#define NR_EDUS		2
#define SW_DEVID	0x20
#define SW_FIRST	8200
#define SW_LAST		(VLPI_LPI_BASE + VLPI_NR_LPIS - 1)
#define TABLE_PATTERN	0xa5	/* bits of both values in every byte */

static const char * const bdfs[NR_EDUS] = { "0000:00:02.0", "0000:00:03.0" };
static const struct vlpi_msi edu_msis[NR_EDUS] = { { 0x10, 0 }, { 0x11, 0 } };
static const uint32_t edu_vcpu[NR_EDUS] = { 0, 3 };

static struct vlpi_msi sw_msi(uint32_t intid)
{
	return (struct vlpi_msi){ SW_DEVID, intid - SW_FIRST };
}

static uint32_t sw_vcpu(uint32_t intid)
{
	return intid % NR_VCPUS;
}

static bool sw_raised(uint32_t intid)
{
	return intid % 3 == 0;
}

static void guest_code(void)
{
	uint32_t intid;
	unsigned int i;

	local_irq_disable();
	vlpi_guest_gic_init();
	if (guest_get_vcpuid() == 0) {
		vlpi_guest_its_init();
		for (i = 0; i < NR_EDUS; i++) {
			vlpi_guest_map_device(edu_msis[i].devid, i);
			vlpi_guest_map_event(edu_msis[i].devid,
					     edu_msis[i].eventid, edu_vcpu[i],
					     VLPI_LPI_BASE + i);
		}
		vlpi_guest_map_device(SW_DEVID, NR_EDUS);
		for (intid = SW_FIRST; intid <= SW_LAST; intid++)
			vlpi_guest_map_event(SW_DEVID, intid - SW_FIRST,
					     sw_vcpu(intid), intid);
		vlpi_guest_invall();
	}
	GUEST_SYNC(1);
	GUEST_DONE();
}

static void pattern_tables(struct vlpi_vm *v)
{
	unsigned int cpu;

	for (cpu = 0; cpu < NR_VCPUS; cpu++)
		memset(vlpi_pend_table(v, cpu), TABLE_PATTERN,
		       VLPI_PEND_TABLE_SIZE);
}

/*
 * How many bytes of the VM's tables (@got) differ from @want; the first
 * few are printed
 */
static unsigned int tables_differ(struct vlpi_vm *v, const char *got,
				  uint8_t (*want)[VLPI_PEND_TABLE_SIZE],
				  const char *wanted)
{
	unsigned int cpu, i, bad = 0;

	for (cpu = 0; cpu < NR_VCPUS; cpu++) {
		const uint8_t *t = vlpi_pend_table(v, cpu);

		for (i = 0; i < VLPI_PEND_TABLE_SIZE; i++) {
			if (t[i] == want[cpu][i])
				continue;
			if (bad++ < 8)
				ksft_print_msg("vCPU %u table byte %u: %s %#x, %s %#x\n",
					       cpu, i, got, t[i], wanted,
					       want[cpu][i]);
		}
	}
	return bad;
}

/* Pattern every table, save, and check every byte; false on a mismatch */
static bool save_and_check(struct vlpi_vm *v, bool vlpi_saved)
{
	uint8_t want[NR_VCPUS][VLPI_PEND_TABLE_SIZE];
	unsigned int i;
	uint32_t intid;
	int ret;

	pattern_tables(v);
	memset(want, TABLE_PATTERN, sizeof(want));
	for (intid = SW_FIRST; intid <= SW_LAST; intid++) {
		uint8_t *b = &want[sw_vcpu(intid)][intid / 8];

		*b = sw_raised(intid) ? *b | 1 << (intid % 8) :
					*b & ~(1 << (intid % 8));
	}
	for (i = 0; i < NR_EDUS; i++) {
		intid = VLPI_LPI_BASE + i;
		want[edu_vcpu[i]][intid / 8] &= ~(1 << (intid % 8));
	}
	if (vlpi_saved)
		want[edu_vcpu[0]][VLPI_LPI_BASE / 8] |= 1 << (VLPI_LPI_BASE % 8);

	ret = vlpi_save_pending_tables(v);
	if (ret) {
		ksft_print_msg("SAVE_PENDING_TABLES: %s\n", strerror(ret));
		return false;
	}
	return !tables_differ(v, "saved", want, "want");
}

/*
 * The module's save against upstream's walk, byte for byte, on the same
 * VM and state: the tables the module has just written are kept, the
 * module unloaded, the pattern put back and upstream's save made. They
 * must match but for what upstream cannot read: the forwarded vLPI 8192
 * on GICv4.0. The module is loaded back with the parameter it had.
 */
static bool same_as_upstream(struct vlpi_vm *v)
{
	uint8_t (*mod)[VLPI_PEND_TABLE_SIZE] = calloc(NR_VCPUS,
						      VLPI_PEND_TABLE_SIZE);
	unsigned int cpu, bad;
	int ret;

	TEST_ASSERT(mod, "calloc");
	for (cpu = 0; cpu < NR_VCPUS; cpu++)
		memcpy(mod[cpu], vlpi_pend_table(v, cpu), VLPI_PEND_TABLE_SIZE);
	ret = vlpi_mig_unload();
	TEST_ASSERT(!ret, "rmmod vlpi_mig: %s", strerror(ret));
	pattern_tables(v);
	ret = vlpi_save_pending_tables(v);
	vlpi_mig_load();
	if (ret) {
		ksft_print_msg("upstream's SAVE_PENDING_TABLES: %s\n",
			       strerror(ret));
		free(mod);
		return false;
	}
	if (!vlpi_host_gicv4_1())
		mod[edu_vcpu[0]][VLPI_LPI_BASE / 8] &= ~(1 << (VLPI_LPI_BASE % 8));
	bad = tables_differ(v, "upstream", mod, "module");
	free(mod);
	return !bad;
}

/* The VMAPPs a save sent against what it needs to */
static void check_vmapps(bool module, unsigned int want, const char *what)
{
	struct vlpi_vmapps c;
	bool ok = vlpi_vmapp_read(&c);

	vlpi_vmapp_stop();
	ksft_test_result(ok && c.unmaps == want && c.maps == want,
			 "%s: %s: VMAPP %u unmaps, %u maps (want %u each)\n",
			 module ? "module" : "baseline", what, c.unmaps,
			 c.maps, want);
}

int main(int argc, char *argv[])
{
	struct vlpi_stats st0, st1, st2;
	struct edu edus[NR_EDUS];
	int efds[NR_EDUS];
	struct vlpi_msi msis[NR_EDUS];
	struct vlpi_vm *v;
	unsigned int i, cpu;
	uint32_t intid;
	bool module, ok;

	module = vlpi_mig_test_start(argc, argv);
	for (i = 0; i < NR_EDUS; i++)
		if (!edu_open(&edus[i], bdfs[i]))
			ksft_exit_skip("%s is not bound to vfio-pci\n", bdfs[i]);
	ksft_set_plan(module ? 8 : 4);

	v = vlpi_its_vm_create(NR_VCPUS, guest_code);
	for (cpu = NR_VCPUS; cpu-- > 0;)
		vlpi_run_to_sync(v->vcpus[cpu], 1);

	memcpy(msis, edu_msis, sizeof(msis));
	vlpi_forward_edus(v, edus, msis, NR_EDUS, efds);

	/* The device raises vLPI 8192 itself: a VINT, into its VPT */
	edu_raise(&edus[0], 1);
	for (intid = SW_FIRST; intid <= SW_LAST; intid++)
		if (sw_raised(intid))
			TEST_ASSERT(vlpi_signal_msi(v, sw_msi(intid)) == 1,
				    "KVM_SIGNAL_MSI for LPI %u", intid);

	vlpi_mig_read_stats(&st0);
	TEST_ASSERT(vlpi_vmapp_start(), "kprobe on its_build_vmapp_cmd");
	/* Upstream reads the vLPI too on GICv4.1 (its VPT, vPEs unmapped) */
	ok = save_and_check(v, module || vlpi_host_gicv4_1());
	check_vmapps(module, vlpi_save_vpe_unmaps(NR_VCPUS),
		     "each vPE unmapped and mapped back once on GICv4.1, none on GICv4.0");
	ksft_test_result(ok,
			 "%s: every table byte as expected after the save (LPIs %u..%u and %u..%u)\n",
			 module ? "module" : "baseline", VLPI_LPI_BASE,
			 VLPI_LPI_BASE + NR_EDUS - 1, SW_FIRST, SW_LAST);

	if (module) {
		vlpi_mig_read_stats(&st1);
		ksft_test_result(st1.full_saves == st0.full_saves + 1,
				 "one pass: full_saves +%lu (STATS: saved_pending +%lu)\n",
				 (unsigned long)(st1.full_saves - st0.full_saves),
				 (unsigned long)(st1.saved_pending -
						 st0.saved_pending));
		ksft_test_result(same_as_upstream(v),
				 "module and upstream's walk wrote the same %u tables of %u bytes%s\n",
				 NR_VCPUS, VLPI_PEND_TABLE_SIZE,
				 vlpi_host_gicv4_1() ? "" :
				 ", but for vLPI 8192, which upstream drops on GICv4.0");
		/* Loaded again: what unforward keeps comes from its own save */
		TEST_ASSERT(save_and_check(v, true),
			    "the module's save after its reload");
	}

	/* No LPI forwarded any more */
	for (i = 0; i < NR_EDUS; i++) {
		vlpi_irqfd(v, i, efds[i], false);
		edu_ack(&edus[i], 1);
		edu_disable_msi(&edus[i]);
		close(efds[i]);
	}
	vlpi_mig_read_stats(&st1);
	TEST_ASSERT(vlpi_vmapp_start(), "kprobe on its_build_vmapp_cmd");
	/* vLPI 8192's state was kept in software on unforward (module) */
	ok = save_and_check(v, module);
	ksft_test_result(ok, "%s: the same after unforwarding both vLPIs\n",
			 module ? "module" : "baseline");
	/* The vGIC's GICv4.1 save unmaps every vPE, forwarded or not */
	check_vmapps(module, vlpi_save_vpe_unmaps(NR_VCPUS),
		     "no vLPI forwarded");
	if (module) {
		vlpi_mig_read_stats(&st2);
		ksft_test_result(st2.full_saves == st1.full_saves + 1,
				 "one pass again: full_saves +%lu\n",
				 (unsigned long)(st2.full_saves - st1.full_saves));
		ksft_test_result(st2.skipped == 0 && st2.unreadable == 0,
				 "nothing skipped or unreadable: skipped %lu unreadable %lu\n",
				 (unsigned long)st2.skipped,
				 (unsigned long)st2.unreadable);
	}

	/* The VM first, then the devices */
	vlpi_vm_free(v);
	for (i = 0; i < NR_EDUS; i++)
		edu_close(&edus[i]);
	ksft_finished();
}
