// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_hostile - guests that misbehave on purpose around forwarded
 * vLPIs, and the saves a VMM makes of them.
 *
 * Each case is a VM of two vCPUs. vCPU 0 behaves: its LPIs on, its
 * pending table where the ITS layout puts it, edu 00:02.0 forwarded to it
 * as LPI 8192 and made pending. What vCPU 1 and the ITS do is the case:
 *
 *   lpis-off     00:03.0 forwarded to vCPU 1 as LPI 8193, pending; vCPU 1
 *                turns its LPIs off and leaves them off, its old table
 *                filled with a pattern (memory the guest may now reuse);
 *   pend-hole    00:03.0 forwarded to vCPU 1 as 8193, pending; vCPU 1
 *                turns its LPIs off and on again with GICR_PENDBASER
 *                outside every memslot;
 *   pend-short   the same, with the table in a memslot of one page, so
 *                that it runs past the memslot's end: 00:03.0 forwarded
 *                to vCPU 1 as 8193 (its bit inside), 00:04.0 as LPI 40960
 *                (its bit past the end), both pending;
 *   its-hole     with 8192 forwarded and pending, the guest turns its ITS
 *                off, points the device and collection tables outside
 *                guest RAM, and turns it on again;
 *   remap        between saves, the guest moves LPI 8192's event to vCPU 1
 *                (MOVI), then DISCARDs it and maps it again as LPI 8194,
 *                then unmaps the device (MAPD V=0) with 8194 pending.
 *
 * (KVM reads an LPI's pending bit at MAPTI, and ignores GICR_PENDBASER
 * and GITS_BASER writes while LPIs or the ITS are on: a guest that wants
 * its forwarded vLPIs to meet bad tables at save time maps them first and
 * moves the tables afterwards, as these cases do.)
 *
 * For every save (ITS_SAVE_TABLES, then SAVE_PENDING_TABLES, as QEMU
 * does) the test checks that each ioctl returns 0 or the errno uapi.rst
 * lists (EFAULT where upstream returns it), that no byte of guest memory
 * changes outside the pending tables of vCPUs with LPIs on (and the ITTs,
 * for an ITS save), with every memslot compared byte for byte, and, with
 * what the module saved and counted. make check reads the console for
 * any report. These are the module's guarantees: upstream 6.12 breaks
 * some of them (it writes into the table of a vCPU whose LPIs are off),
 * so the test needs the module (-m).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/sizes.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "gic.h"
#include "gic_v3.h"
#include "gic_v3_its.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_observe.h"
#include "vlpi_mig_util.h"
#include "vlpi_migrate.h"

#define NR_VCPUS	2
#define SHORT_SLOT	11
#define HIGH_LPI	40960	/* its bit is 5 KiB into a pending table */
#define REMAP_LPI	(VLPI_LPI_BASE + 2)
#define OLD_PATTERN	0xa5	/* 8193's bit clear: a save would set it */

enum scenario { LPIS_OFF, PEND_HOLE, PEND_SHORT, ITS_HOLE, REMAP, NR_CASES };

static const char *const scenario_names[NR_CASES] = {
	"lpis-off", "pend-hole", "pend-short", "its-hole", "remap",
};

/* Shared with the guest */
static enum scenario scenario;
static uint64_t hole;		/* 64 KiB-aligned, outside every memslot */
static uint64_t short_table;	/* the one-page memslot */

static const char *const bdfs[] = {
	"0000:00:02.0", "0000:00:03.0", "0000:00:04.0",
};

/* GSI i routes msis[i]; DevID i, EventID 0 */
static const struct vlpi_msi msis[] = { { 0, 0 }, { 1, 0 }, { 2, 0 } };
static const uint32_t intids[] = { VLPI_LPI_BASE, VLPI_LPI_BASE + 1,
				   HIGH_LPI };

static unsigned int nr_devs(enum scenario c)
{
	switch (c) {
	case PEND_SHORT:
		return 3;
	case LPIS_OFF:
	case PEND_HOLE:
		return 2;
	default:
		return 1;
	}
}

/* Guest side */

/* vCPU 1: LPIs off, and on again with its pending table at @table */
static void guest_move_pend_table(uint64_t table)
{
	vlpi_guest_disable_lpis();
	gic_rdist_enable_lpis(vlpi_its.prop_table, SZ_64K, table);
}

/*
 * vCPU 0: with the ITS off, point its device and collection tables into
 * the hole, turn it back on and map everything again. KVM takes a moved
 * table for a reset: it frees the devices and collections, and the
 * forwarded vLPI's ITE with them; then it refuses the MAPD and MAPC,
 * whose table entries would be outside guest RAM.
 */
static void guest_its_tables_to_hole(void)
{
	unsigned int n;

	writel(readl(GITS_BASE_GVA + GITS_CTLR) & ~GITS_CTLR_ENABLE,
	       GITS_BASE_GVA + GITS_CTLR);
	while (!(readl(GITS_BASE_GVA + GITS_CTLR) & GITS_CTLR_QUIESCENT))
		cpu_relax();
	for (n = 0; n < GITS_BASER_NR_REGS; n++) {
		uint32_t off = GITS_BASER + n * 8;
		uint32_t lo = readl(GITS_BASE_GVA + off);
		uint32_t hi = readl(GITS_BASE_GVA + off + 4);
		uint64_t type = GITS_BASER_TYPE((uint64_t)hi << 32);
		uint64_t to;

		if (type == GITS_BASER_TYPE_DEVICE)
			to = hole;
		else if (type == GITS_BASER_TYPE_COLLECTION)
			to = hole + SZ_64K;
		else
			continue;
		/* Two words: the bed's nested MMIO keeps 32 bits of a write */
		writel((lo & 0xfff) | (uint32_t)to, GITS_BASE_GVA + off);
		writel((hi & 0xffff0000) | (uint32_t)(to >> 32),
		       GITS_BASE_GVA + off + 4);
	}
	writel(readl(GITS_BASE_GVA + GITS_CTLR) | GITS_CTLR_ENABLE,
	       GITS_BASE_GVA + GITS_CTLR);

	for (n = 0; n < NR_VCPUS; n++)
		its_send_mapc_cmd((void *)vlpi_its.cmdq, n << 16, n, true);
	vlpi_guest_map_device(msis[0].devid, 0);
	vlpi_guest_map_event(msis[0].devid, msis[0].eventid, 0, intids[0]);
	vlpi_guest_invall();
}

static void guest_vcpu1(void)
{
	gic_init(GIC_V3, NR_VCPUS);
	vlpi_guest_enable_lpis();
	GUEST_SYNC(1);

	if (scenario == LPIS_OFF)
		vlpi_guest_disable_lpis();	/* and leaves them off */
	else if (scenario == PEND_HOLE)
		guest_move_pend_table(hole);
	else if (scenario == PEND_SHORT)
		guest_move_pend_table(short_table);
	GUEST_SYNC(2);
	GUEST_DONE();
}

static void guest_code(void)
{
	uint32_t i;

	local_irq_disable();
	if (guest_get_vcpuid() == 1)
		guest_vcpu1();

	vlpi_guest_gic_init();
	vlpi_guest_its_init();
	for (i = 0; i < nr_devs(scenario); i++) {
		vlpi_guest_map_device(msis[i].devid, i);
		vlpi_guest_map_event(msis[i].devid, msis[i].eventid,
				     i ? 1 : 0, intids[i]);
	}
	vlpi_guest_invall();
	GUEST_SYNC(1);

	if (scenario == ITS_HOLE) {
		guest_its_tables_to_hole();
		GUEST_SYNC(2);
		GUEST_DONE();
	}

	/* remap: MOVI to vCPU 1, DISCARD and MAPTI again, MAPD V=0 */
	vlpi_guest_movi(msis[0].devid, msis[0].eventid, 1);
	GUEST_SYNC(2);
	vlpi_guest_discard(msis[0].devid, msis[0].eventid);
	vlpi_guest_map_event(msis[0].devid, msis[0].eventid, 0, REMAP_LPI);
	vlpi_guest_invall();
	GUEST_SYNC(3);
	vlpi_guest_unmap_device(msis[0].devid, 0);
	GUEST_SYNC(4);
	GUEST_DONE();
}

/* Host side: every memslot, byte for byte */

#define MAX_SLOTS	3
#define MAX_SKIPS	4

struct range {
	uint8_t *start;
	size_t len;
};

struct snapshot {
	struct userspace_mem_region *r[MAX_SLOTS];
	uint8_t *copy[MAX_SLOTS];
	unsigned int n;
};

static void snap_take(struct vlpi_vm *v, struct snapshot *s)
{
	static const uint32_t slots[] = { 0, VLPI_MEMSLOT, SHORT_SLOT };
	unsigned int i;

	s->n = 0;
	for (i = 0; i < MAX_SLOTS; i++) {
		struct userspace_mem_region *r = memslot2region(v->vm, slots[i]);

		if (i == 2 && scenario != PEND_SHORT)
			break;
		s->r[s->n] = r;
		s->copy[s->n] = malloc(r->region.memory_size);
		TEST_ASSERT(s->copy[s->n], "malloc");
		memcpy(s->copy[s->n], r->host_mem, r->region.memory_size);
		s->n++;
	}
}

static bool skipped(const struct range *skip, unsigned int nr, uint8_t *p)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (p >= skip[i].start && p < skip[i].start + skip[i].len)
			return true;
	return false;
}

/* Bytes changed outside @skip since @s was taken; frees @s */
static unsigned long snap_diff(struct vlpi_vm *v, struct snapshot *s,
			       const struct range *skip, unsigned int nr)
{
	unsigned long changed = 0;
	unsigned int i;
	size_t off;

	for (i = 0; i < s->n; i++) {
		uint8_t *mem = s->r[i]->host_mem;
		uint64_t gpa = s->r[i]->region.guest_phys_addr;

		for (off = 0; off < s->r[i]->region.memory_size; off++) {
			if (mem[off] == s->copy[i][off] ||
			    skipped(skip, nr, mem + off))
				continue;
			if (!changed++)
				ksft_print_msg("first stray write: GPA %#lx, %#x -> %#x\n",
					       (unsigned long)(gpa + off),
					       s->copy[i][off], mem[off]);
		}
		free(s->copy[i]);
	}
	return changed;
}

struct hostile {
	struct vlpi_vm *v;
	struct edu edus[3];
	int efds[3];
	bool module;
	unsigned int fails;
	unsigned long stray;
};

static void expect(struct hostile *h, bool ok, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!ok) {
		h->fails++;
		ksft_print_msg("%s: FAILED: %s\n", scenario_names[scenario], buf);
	}
}

/*
 * One save point, as QEMU makes it: ITS_SAVE_TABLES, then
 * SAVE_PENDING_TABLES, guest memory compared around each. The pending
 * tables of @table_vcpus (a bit mask) and the ITTs are what a save may
 * write; vCPU 1's one-page table in pend-short too.
 */
/* The save left a trace: a skip event for @intid, with the vCPU it targets */
static void expect_skip(struct hostile *h, unsigned int dev, int vcpu,
			int ret)
{
	struct vlpi_event evs[64];
	const struct vlpi_event *e;
	int n = vlpi_trace_read(evs, 64);

	e = vlpi_trace_find(evs, n, "skip", intids[dev], 0);
	expect(h, e && e->pid == getpid() && e->vcpu == vcpu &&
	       e->host_irq == edu_host_irq(&h->edus[dev]) && e->ret == ret,
	       "trace: vlpi_mig_skip of %u, vCPU %d, host IRQ %d, ret %d (%s)",
	       intids[dev], vcpu, edu_host_irq(&h->edus[dev]), ret,
	       e ? "seen with other values" : "not seen");
}

static void save_point(struct hostile *h, unsigned int table_vcpus,
		       int want_its, int want_pend, const char *when)
{
	struct range skip[MAX_SKIPS];
	unsigned int nr = 0, cpu;
	struct snapshot s;
	unsigned long n;
	int its, pend;

	for (cpu = 0; cpu < NR_VCPUS; cpu++)
		if (table_vcpus & (1 << cpu))
			skip[nr++] = (struct range){ vlpi_pend_table(h->v, cpu),
						     VLPI_PEND_TABLE_SIZE };
	if (scenario == PEND_SHORT)
		skip[nr++] = (struct range){ addr_gpa2hva(h->v->vm, short_table),
					     h->v->vm->page_size };

	/* The ITS save may write the ITTs, and its tables if in RAM */
	if (scenario == ITS_HOLE)
		skip[nr] = (struct range){
			addr_gpa2hva(h->v->vm, vlpi_its.itts),
			VLPI_MAX_DEVICES * SZ_64K };
	else
		skip[nr] = (struct range){
			addr_gpa2hva(h->v->vm, vlpi_its.device_table),
			vlpi_its.prop_table - vlpi_its.device_table };
	snap_take(h->v, &s);
	its = vlpi_save_its_tables(h->v);
	n = snap_diff(h->v, &s, skip, nr + 1);
	h->stray += n;
	expect(h, !n, "%s: ITS save wrote %lu byte(s) outside the ITS tables",
	       when, n);

	snap_take(h->v, &s);
	pend = vlpi_save_pending_tables(h->v);
	n = snap_diff(h->v, &s, skip, nr);
	h->stray += n;
	expect(h, !n, "%s: pending save wrote %lu byte(s) outside the pending tables",
	       when, n);

	ksft_print_msg("%s: %s: ITS save %s, pending save %s\n",
		       scenario_names[scenario], when, its ? strerror(its) : "0",
		       pend ? strerror(pend) : "0");
	expect(h, its == want_its, "%s: ITS save %d, want %d", when, its,
	       want_its);
	expect(h, pend == want_pend, "%s: pending save %d, want %d", when,
	       pend, want_pend);
}

static bool bit(struct hostile *h, unsigned int cpu, uint32_t intid)
{
	return vlpi_pend_bit(vlpi_pend_table(h->v, cpu), intid);
}

static void stats(struct hostile *h, struct kvm_vlpi_mig_stats *st)
{
	memset(st, 0, sizeof(*st));
	TEST_ASSERT(!vlpi_mig_get_stats(h->v, st), "STATS");
}

static void raise_all(struct hostile *h, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		edu_raise(&h->edus[i], 1);
		edu_ack(&h->edus[i], 1);
	}
}

static void run_case(struct hostile *h)
{
	struct kvm_vlpi_mig_stats st0, st1;
	unsigned int n = nr_devs(scenario), i;
	struct vlpi_vm *v;
	bool fwd = true;

	v = vlpi_its_vm_create(NR_VCPUS, guest_code);
	h->v = v;
	{
		struct userspace_mem_region *ram = memslot2region(v->vm, 0);
		uint64_t end = ram->region.guest_phys_addr +
			       ram->region.memory_size;

		/* Below 4 GiB: the bed's nested MMIO keeps 32 bits of a write */
		hole = (end + 2 * SZ_64K - 1) & ~(SZ_64K - 1ull);
		short_table = hole + 4 * SZ_64K;
		TEST_ASSERT(short_table + SZ_64K < (1ull << 32),
			    "no hole below 4 GiB past RAM's end %#lx",
			    (unsigned long)end);
		vm_userspace_mem_region_add(v->vm, VM_MEM_SRC_ANONYMOUS,
					    short_table, SHORT_SLOT, 1, 0);
		/* LPI 40960 configured, as the guest's own 8192.. are */
		((uint8_t *)addr_gpa2hva(v->vm, vlpi_its.prop_table))
			[HIGH_LPI - VLPI_LPI_BASE] = 0xa0 | LPI_PROP_GROUP1 |
						     LPI_PROP_ENABLED;
		sync_global_to_guest(v->vm, scenario);
		sync_global_to_guest(v->vm, hole);
		sync_global_to_guest(v->vm, short_table);
	}
	vlpi_run_to_sync(v->vcpus[1], 1);
	vlpi_run_to_sync(v->vcpus[0], 1);
	vlpi_forward_edus(v, h->edus, msis, n, h->efds);
	for (i = 0; i < n; i++)
		fwd &= host_irq_forwarded(edu_host_irq(&h->edus[i]));
	expect(h, fwd, "every device forwarded");
	raise_all(h, n);

	/* What the guest does to its tables, with the vLPIs pending */
	if (scenario == LPIS_OFF || scenario == PEND_HOLE ||
	    scenario == PEND_SHORT)
		vlpi_run_to_sync(v->vcpus[1], 2);
	else if (scenario == ITS_HOLE)
		vlpi_run_to_sync(v->vcpus[0], 2);

	stats(h, &st0);
	expect(h, vlpi_trace_start(), "trace: vlpi_mig events enabled");
	switch (scenario) {
	case LPIS_OFF:
	case PEND_HOLE:
		if (scenario == LPIS_OFF) {
			memset(vlpi_pend_table(v, 1), OLD_PATTERN,
			       VLPI_PEND_TABLE_SIZE);
			save_point(h, 1 << 0, 0, 0, "LPIs off");
		} else {
			save_point(h, 1 << 0, 0, EFAULT, "table outside RAM");
		}
		stats(h, &st1);
		expect(h, bit(h, 0, intids[0]) &&
		       st1.skipped - st0.skipped == 1,
		       "8192 saved, 8193 skipped (skipped %lu)",
		       (unsigned long)(st1.skipped - st0.skipped));
		expect_skip(h, 1, 1, scenario == LPIS_OFF ? -ENOENT : -EFAULT);
		break;
	case PEND_SHORT: {
		uint8_t *t = addr_gpa2hva(v->vm, short_table);

		save_point(h, 1 << 0, 0, EFAULT, "table past its memslot");
		stats(h, &st1);
		expect(h, bit(h, 0, intids[0]) &&
		       vlpi_pend_bit(t, intids[1]) &&
		       st1.skipped - st0.skipped == 1,
		       "8192 and 8193 saved, 40960 skipped (skipped %lu)",
		       (unsigned long)(st1.skipped - st0.skipped));
		/* The page holds 8193's bit and nothing else */
		for (i = 0; i < v->vm->page_size; i++)
			if (t[i] != (i == intids[1] / 8 ? 1 << (intids[1] % 8) : 0))
				break;
		expect(h, i == v->vm->page_size,
		       "the one-page table holds 8193's bit only (byte %u)", i);
		expect_skip(h, 2, 1, -EFAULT);
		break;
	}
	case ITS_HOLE: {
		bool pending, hw;

		/* The move reset the ITS, the remapping was refused */
		expect(h, !st0.forwarded &&
		       !host_irq_forwarded(edu_host_irq(&h->edus[0])) &&
		       !vgic_lpi_state(v->vm, intids[0], &pending, &hw),
		       "tables moved: LPI 8192 gone, forwarding torn down (STATS forwarded %lu)",
		       (unsigned long)st0.forwarded);
		save_point(h, 1 << 0, EFAULT, 0, "ITS tables outside RAM");
		expect(h, !bit(h, 0, intids[0]), "8192, gone, not saved");
		break;
	}
	case REMAP:
		save_point(h, 3, 0, 0, "before");
		expect(h, bit(h, 0, intids[0]), "before: 8192 saved");
		vlpi_run_to_sync(v->vcpus[0], 2);	/* MOVI */
		save_point(h, 3, 0, 0, "after MOVI");
		expect(h, bit(h, 1, intids[0]),
		       "after MOVI: 8192 saved in vCPU 1's table");
		vlpi_run_to_sync(v->vcpus[0], 3);	/* DISCARD, MAPTI */
		/* Not forwarded any more: the MSI goes through the irqfd */
		raise_all(h, 1);
		usleep(VLPI_GUEST_WAIT_US);
		save_point(h, 3, 0, 0, "after DISCARD, MAPTI");
		expect(h, bit(h, 0, REMAP_LPI),
		       "after DISCARD, MAPTI: 8194 pending and saved");
		vlpi_run_to_sync(v->vcpus[0], 4);	/* MAPD V=0 */
		save_point(h, 3, 0, 0, "after MAPD V=0");
		break;
	default:
		break;
	}

	for (i = 0; i < n; i++) {
		vlpi_irqfd(v, i, h->efds[i], false);
		edu_disable_msi(&h->edus[i]);
		close(h->efds[i]);
	}
	vlpi_vm_free(v);
}

int main(int argc, char *argv[])
{
	struct hostile h = {};
	unsigned int i;

	h.module = vlpi_mig_test_start(argc, argv);
	if (!h.module)
		ksft_exit_skip("the module's guarantees: needs -m\n");
	for (i = 0; i < ARRAY_SIZE(bdfs); i++)
		if (!edu_open(&h.edus[i], bdfs[i]))
			ksft_exit_skip("%s is not bound to vfio-pci\n", bdfs[i]);
	ksft_set_plan(NR_CASES);

	for (scenario = 0; scenario < NR_CASES; scenario++) {
		unsigned int fails = h.fails;

		run_case(&h);
		ksft_test_result(h.fails == fails, "%s\n",
				 scenario_names[scenario]);
	}
	ksft_print_msg("hostile cases %d, stray bytes written %lu\n",
		       NR_CASES, h.stray);

	for (i = 0; i < ARRAY_SIZE(bdfs); i++)
		edu_close(&h.edus[i]);
	ksft_finished();
}
