// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_its_restore - ITS tables a VMM restores that name what the vITS
 * cannot hold, and the saves that follow.
 *
 * KVM's vITS implements 16 INTID bits: MAPTI refuses an LPI past them, so
 * a guest never has one, and a pending table of 8 KiB covers every LPI.
 * The ITS table ABI's pINTID field is 32 bits wide, though, and a VMM
 * writes the tables it restores. An ITE naming LPI 65536 must be refused
 * at KVM_DEV_ARM_ITS_RESTORE_TABLES; accepted, its bit is saved at
 * pendbase + 8 KiB, past the table, into whatever the guest keeps there.
 *
 * A source VM (one vCPU) maps DevID 0 / EventID 0 to LPI 8192 and saves
 * its ITS tables. For each case a destination VM takes the source's
 * memory and registers, the VMM rewrites one entry of the saved tables in
 * the destination's RAM, and restores them:
 *
 *   intact       nothing rewritten: restored, and the MSI made pending is
 *                saved in LPI 8192's bit;
 *   pintid-last  the ITE names LPI 65535, the vITS's last: restored, and
 *                its bit (the table's last byte) saved;
 *   pintid-64k   the ITE names LPI 65536: EINVAL;
 *   pintid-max   the ITE names LPI 0xffffffff: EINVAL;
 *   pintid-low   the ITE names LPI 8191, below the first LPI: EINVAL;
 *   dte-idbits   the DTE gives the device 17 EventID bits: EINVAL.
 *
 * Then, as a VMM would go on: the MSI of DevID 0 / EventID 0 is signalled,
 * the destination's ITS tables and pending tables saved (each 0), and no
 * byte of guest memory may change but in the device and collection
 * tables, the ITTs and the first 8 KiB of the pending table (every memslot
 * compared byte for byte). Run with the module (-m) and without (-n): the
 * restore's checks are the vGIC's, and the module saves only what the
 * restore created. make check reads the console for any report.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/sizes.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "gic.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vlpi_its.h"
#include "vlpi_memguard.h"
#include "vlpi_mig_util.h"
#include "vlpi_migrate.h"

/* The ITS table ABI, Documentation/virt/kvm/devices/arm-vgic-its.rst */
#define ITE_PINTID_SHIFT	16
#define ITE_PINTID_MASK		GENMASK_ULL(47, 16)
#define DTE_SIZE_MASK		GENMASK_ULL(4, 0)

/* 16 INTID bits: the table of one vCPU covers 2^16 bits */
#define PEND_TABLE_BYTES	(SZ_64K / 8)

enum entry { NONE, ITE, DTE };

static const struct {
	const char *name;
	enum entry entry;
	uint64_t value;		/* the ITE's pINTID, or the DTE's Size field */
	int want_restore;
	uint32_t intid;		/* the LPI restored, if any */
} cases[] = {
	{ "intact", NONE, 0, 0, VLPI_LPI_BASE },
	{ "pintid-last", ITE, 65535, 0, 65535 },
	{ "pintid-64k", ITE, 65536, EINVAL, 0 },
	{ "pintid-max", ITE, 0xffffffff, EINVAL, 0 },
	{ "pintid-low", ITE, VLPI_LPI_BASE - 1, EINVAL, 0 },
	{ "dte-idbits", DTE, 16, EINVAL, 0 },
};

static const struct vlpi_msi msi = { 0, 0 };

static void guest_code(void)
{
	local_irq_disable();
	vlpi_guest_gic_init();
	vlpi_guest_its_setup(&msi, 1, 0);
	GUEST_SYNC(1);
	GUEST_DONE();
}

static uint64_t *entry_at(struct vlpi_vm *v, uint64_t gpa)
{
	return addr_gpa2hva(v->vm, gpa);
}

/* Rewrite the case's entry in @dst's copy of the saved tables */
static void rewrite(struct vlpi_vm *dst, unsigned int c)
{
	/* DevID 0's DTE is the table's first; EventID 0's ITE its ITT's */
	uint64_t *dte = entry_at(dst, vlpi_its.device_table);
	uint64_t *ite = entry_at(dst, vlpi_its.itts);

	switch (cases[c].entry) {
	case ITE:
		*ite = (*ite & ~ITE_PINTID_MASK) |
		       cases[c].value << ITE_PINTID_SHIFT;
		break;
	case DTE:
		*dte = (*dte & ~DTE_SIZE_MASK) | cases[c].value;
		break;
	case NONE:
		break;
	}
}

static void one_case(struct vlpi_vm *src, unsigned int c)
{
	const struct vlpi_range tables[] = {
		{ vlpi_its.device_table, SZ_64K },
		{ vlpi_its.collection_table, SZ_64K },
		{ vlpi_its.itts, (uint64_t)VLPI_MAX_DEVICES * SZ_64K },
		{ vlpi_its.pend_tables, PEND_TABLE_BYTES },
	};
	int restore, its_save, pend_save, sent;
	struct vlpi_memguard guard;
	struct vlpi_vm *dst;
	uint64_t stray, first = 0;
	bool bit = false;

	dst = vlpi_its_vm_create(1, guest_code);
	vlpi_migrate_prepare(dst, src);
	rewrite(dst, c);
	restore = vlpi_migrate_its(dst, src);

	vlpi_memguard_take(dst->vm, &guard);
	sent = vlpi_signal_msi(dst, msi);
	its_save = vlpi_save_its_tables(dst);
	pend_save = vlpi_save_pending_tables(dst);
	stray = vlpi_memguard_check(&guard, tables, ARRAY_SIZE(tables), &first);
	if (cases[c].intid)
		bit = vlpi_pend_bit(vlpi_pend_table(dst, 0), cases[c].intid);

	ksft_print_msg("%s: restore %s, MSI %d, saves %s/%s, stray bytes %lu (first at %#lx)\n",
		       cases[c].name, strerror(restore), sent,
		       strerror(its_save), strerror(pend_save),
		       (unsigned long)stray, (unsigned long)first);
	ksft_test_result(restore == cases[c].want_restore,
			 "%s: ITS restore returns %s (want %s)\n",
			 cases[c].name, strerror(restore),
			 strerror(cases[c].want_restore));
	ksft_test_result(!its_save && !pend_save && !stray,
			 "%s: both saves return 0 and write only the ABI's tables (stray bytes %lu)\n",
			 cases[c].name, (unsigned long)stray);
	if (cases[c].intid)
		ksft_test_result(sent == 1 && bit,
				 "%s: the MSI reaches LPI %u, saved pending in its table\n",
				 cases[c].name, cases[c].intid);
	vlpi_vm_free(dst);
}

int main(int argc, char *argv[])
{
	unsigned int c, nr_tests = 0;
	struct vlpi_vm *src;
	int ret;

	vlpi_mig_test_start(argc, argv);
	for (c = 0; c < ARRAY_SIZE(cases); c++)
		nr_tests += 2 + !!cases[c].intid;
	ksft_set_plan(nr_tests + 1);

	src = vlpi_its_vm_create(1, guest_code);
	vlpi_run_to_sync(src->vcpus[0], 1);
	ret = vlpi_save_its_tables(src);
	ksft_test_result(!ret, "the source saves its ITS tables (%s)\n",
			 strerror(ret));

	for (c = 0; c < ARRAY_SIZE(cases); c++)
		one_case(src, c);

	vlpi_vm_free(src);
	ksft_finished();
}
