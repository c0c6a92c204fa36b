// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the vlpi_mig module's logic that needs no hardware:
 * pending-table addressing and range checks, the VPT access mode, the
 * capabilities reported to VMMs, the VPT coherency window of the vLPI
 * state reader, and the rules of the save.
 */

#include <kunit/test.h>
#include <linux/bits.h>
#include <linux/gfp.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/kvm_host.h>
#include <linux/irqchip/arm-gic-v3.h>
#include <linux/irqchip/arm-gic-v4.h>
#include <linux/module.h>

#include "../uapi/vlpi_mig.h"
#include "../vgic/vlpi_mig.h"

#define PENDBASE	0x80000000ULL	/* 64KB aligned, as the GIC requires */
#define IDBITS		16		/* what KVM's vITS implements */

static void locate_ok(struct kunit *test, u64 pendbaser, u32 intid,
		      gpa_t want_gpa, u8 want_bit)
{
	gpa_t gpa = 0;
	u8 bit = 0xff;

	KUNIT_ASSERT_EQ(test, vlpi_mig_pendtable_locate(pendbaser, intid,
							IDBITS, &gpa, &bit), 0);
	KUNIT_EXPECT_EQ(test, gpa, want_gpa);
	KUNIT_EXPECT_EQ(test, bit, want_bit);
}

static void pendtable_first_lpi(struct kunit *test)
{
	/* LPI 8192 is the first bit after the 1KB of SGI/PPI/SPI bits */
	locate_ok(test, PENDBASE, 8192, PENDBASE + 1024, 0);
}

static void pendtable_bit_within_byte(struct kunit *test)
{
	locate_ok(test, PENDBASE, 8199, PENDBASE + 1024, 7);
	locate_ok(test, PENDBASE, 8200, PENDBASE + 1025, 0);
	locate_ok(test, PENDBASE, 8192 + 8 * 100 + 3, PENDBASE + 1124, 3);
}

static void pendtable_last_lpi(struct kunit *test)
{
	locate_ok(test, PENDBASE, BIT(IDBITS) - 1,
		  PENDBASE + BIT(IDBITS) / 8 - 1, 7);
}

static void pendtable_rejects_non_lpi(struct kunit *test)
{
	gpa_t gpa;
	u8 bit;

	KUNIT_EXPECT_EQ(test, vlpi_mig_pendtable_locate(PENDBASE, 0, IDBITS,
							&gpa, &bit), -EINVAL);
	KUNIT_EXPECT_EQ(test, vlpi_mig_pendtable_locate(PENDBASE, 8191, IDBITS,
							&gpa, &bit), -EINVAL);
}

static void pendtable_rejects_past_idbits(struct kunit *test)
{
	gpa_t gpa;
	u8 bit;

	KUNIT_EXPECT_EQ(test, vlpi_mig_pendtable_locate(PENDBASE, BIT(IDBITS),
							IDBITS, &gpa, &bit),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, vlpi_mig_pendtable_locate(PENDBASE, U32_MAX,
							IDBITS, &gpa, &bit),
			-ERANGE);
}

static void pendtable_rejects_bad_idbits(struct kunit *test)
{
	gpa_t gpa;
	u8 bit;

	KUNIT_EXPECT_EQ(test, vlpi_mig_pendtable_locate(PENDBASE, 8192, 13,
							&gpa, &bit), -EINVAL);
	KUNIT_EXPECT_EQ(test, vlpi_mig_pendtable_locate(PENDBASE, 8192, 33,
							&gpa, &bit), -EINVAL);
}

static void pendtable_lpis_off_is_skipped(struct kunit *test)
{
	gpa_t gpa = 0x1234;
	u8 bit = 5;

	/* No pending table: never fall back to guest page 0 */
	KUNIT_EXPECT_EQ(test, vlpi_mig_pendtable_locate(0, 8192, IDBITS,
							&gpa, &bit), -ENOENT);
	KUNIT_EXPECT_EQ(test, gpa, 0x1234);
	KUNIT_EXPECT_EQ(test, bit, 5);
}

static void pendtable_ignores_pendbaser_attributes(struct kunit *test)
{
	/* PTZ, cacheability, shareability and the low bits aren't address */
	u64 pendbaser = PENDBASE | GICR_PENDBASER_PTZ |
			GICR_PENDBASER_InnerShareable |
			GICR_PENDBASER_RaWaWb | 0xffff;

	locate_ok(test, pendbaser, 8192, PENDBASE + 1024, 0);
}

static void pendtable_rejects_table_past_pa_space(struct kunit *test)
{
	u64 top = GENMASK_ULL(51, 16);	/* last 64KB frame of a 52-bit PA */
	gpa_t gpa;
	u8 bit;

	/* An 8KB table fits in the last 64KB frame... */
	KUNIT_EXPECT_EQ(test, vlpi_mig_pendtable_locate(top, 8192, IDBITS,
							&gpa, &bit), 0);
	/* ...a 512MB one does not */
	KUNIT_EXPECT_EQ(test, vlpi_mig_pendtable_locate(top, 8192, 32,
							&gpa, &bit), -ERANGE);
}

static void pendtable_size(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vlpi_mig_pendtable_size(16), 8192);
	KUNIT_EXPECT_EQ(test, vlpi_mig_pendtable_size(14), 2048);
	KUNIT_EXPECT_EQ(test, vlpi_mig_pendtable_size(32), 1ULL << 29);
	KUNIT_EXPECT_EQ(test, vlpi_mig_pendtable_size(13), 0);
	KUNIT_EXPECT_EQ(test, vlpi_mig_pendtable_size(33), 0);
}

static struct kunit_case pendtable_cases[] = {
	KUNIT_CASE(pendtable_first_lpi),
	KUNIT_CASE(pendtable_bit_within_byte),
	KUNIT_CASE(pendtable_last_lpi),
	KUNIT_CASE(pendtable_rejects_non_lpi),
	KUNIT_CASE(pendtable_rejects_past_idbits),
	KUNIT_CASE(pendtable_rejects_bad_idbits),
	KUNIT_CASE(pendtable_lpis_off_is_skipped),
	KUNIT_CASE(pendtable_ignores_pendbaser_attributes),
	KUNIT_CASE(pendtable_rejects_table_past_pa_space),
	KUNIT_CASE(pendtable_size),
	{}
};

static struct kunit_suite pendtable_suite = {
	.name = "vlpi_mig_pendtable",
	.test_cases = pendtable_cases,
};

static const struct vgic_mig_host_info host_v3 = { };
static const struct vgic_mig_host_info host_v40 = { .has_gicv4 = true };
static const struct vgic_mig_host_info host_v41 = {
	.has_gicv4 = true, .has_gicv4_1 = true,
};

static void vpt_mode_no_direct_injection(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vlpi_mig_vpt_mode(&host_v3, false),
			VLPI_MIG_VPT_NONE);
	/* Declaring a VPT coherent means nothing without vLPIs */
	KUNIT_EXPECT_EQ(test, vlpi_mig_vpt_mode(&host_v3, true),
			VLPI_MIG_VPT_NONE);
}

static void vpt_mode_gicv4_0(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vlpi_mig_vpt_mode(&host_v40, false),
			VLPI_MIG_VPT_UNREADABLE);
	KUNIT_EXPECT_EQ(test, vlpi_mig_vpt_mode(&host_v40, true),
			VLPI_MIG_VPT_DECLARED);
}

static void vpt_mode_gicv4_1(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vlpi_mig_vpt_mode(&host_v41, false),
			VLPI_MIG_VPT_GICV4_1);
	/* GICv4.1 needs no declaration, and one doesn't change the mode */
	KUNIT_EXPECT_EQ(test, vlpi_mig_vpt_mode(&host_v41, true),
			VLPI_MIG_VPT_GICV4_1);
}

static void vpt_mode_names_are_distinct(struct kunit *test)
{
	enum vlpi_mig_vpt_mode a, b;

	for (a = VLPI_MIG_VPT_NONE; a <= VLPI_MIG_VPT_GICV4_1; a++) {
		KUNIT_EXPECT_STRNEQ(test, vlpi_mig_vpt_mode_name(a), "unknown");
		for (b = a + 1; b <= VLPI_MIG_VPT_GICV4_1; b++)
			KUNIT_EXPECT_STRNEQ(test, vlpi_mig_vpt_mode_name(a),
					    vlpi_mig_vpt_mode_name(b));
	}
}

static struct kunit_case vpt_cases[] = {
	KUNIT_CASE(vpt_mode_no_direct_injection),
	KUNIT_CASE(vpt_mode_gicv4_0),
	KUNIT_CASE(vpt_mode_gicv4_1),
	KUNIT_CASE(vpt_mode_names_are_distinct),
	{}
};

static struct kunit_suite vpt_suite = {
	.name = "vlpi_mig_vpt",
	.test_cases = vpt_cases,
};

static void caps_no_direct_injection(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps(&host_v3, VLPI_MIG_VPT_NONE), 0);
}

static void caps_gicv4_0_unreadable(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps(&host_v40, VLPI_MIG_VPT_UNREADABLE),
			KVM_VLPI_MIG_CAP_DIRECT_INJECTION |
			KVM_VLPI_MIG_CAP_RESTORE);
}

static void caps_gicv4_0_declared(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps(&host_v40, VLPI_MIG_VPT_DECLARED),
			KVM_VLPI_MIG_CAP_DIRECT_INJECTION |
			KVM_VLPI_MIG_CAP_RESTORE |
			KVM_VLPI_MIG_CAP_VPT_DECLARED | KVM_VLPI_MIG_CAP_SAVE |
			KVM_VLPI_MIG_CAP_KEEP_ON_UNFORWARD);
}

static void caps_gicv4_1(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps(&host_v41, VLPI_MIG_VPT_GICV4_1),
			KVM_VLPI_MIG_CAP_DIRECT_INJECTION |
			KVM_VLPI_MIG_CAP_RESTORE |
			KVM_VLPI_MIG_CAP_GICV4_1 | KVM_VLPI_MIG_CAP_SAVE);
}

static struct kunit_case caps_cases[] = {
	KUNIT_CASE(caps_no_direct_injection),
	KUNIT_CASE(caps_gicv4_0_unreadable),
	KUNIT_CASE(caps_gicv4_0_declared),
	KUNIT_CASE(caps_gicv4_1),
	{}
};

static struct kunit_suite caps_suite = {
	.name = "vlpi_mig_caps",
	.test_cases = caps_cases,
};

/*
 * The coherency window, with fixtures of the test's own: a window that the
 * ITS's reader never consults, and fake vPEs (a VPT page, an id, no
 * doorbell), so that no real vPE or live window is ever touched.
 */
#define FAKE_VPE_ID	0xfff0

/*
 * A VPT holds a bit for each of the 2^16 INTIDs KVM's vITS implements; the
 * ITS allocates it 64K-aligned, and its_vpe_sync_vpt() flushes all of that
 */
#define FAKE_VPT_ORDER	get_order(SZ_64K)

static void free_vpt(void *page)
{
	__free_pages(page, FAKE_VPT_ORDER);
}

static struct its_vpe *fake_vpe(struct kunit *test)
{
	struct its_vpe *vpe = kunit_kzalloc(test, sizeof(*vpe), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, vpe);
	vpe->vpt_page = alloc_pages(GFP_KERNEL | __GFP_ZERO, FAKE_VPT_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, vpe->vpt_page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, free_vpt,
							vpe->vpt_page), 0);
	vpe->vpe_id = FAKE_VPE_ID;
	return vpe;
}

static void destroy_window(void *w)
{
	xa_destroy(&((struct vlpi_mig_window *)w)->vpes);
}

/* A window as a host in @mode opens it */
static struct vlpi_mig_window *fake_window_of(struct kunit *test,
					      enum vlpi_mig_vpt_mode mode)
{
	struct vlpi_mig_window *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, w);
	vlpi_mig_window_init(w, mode);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, destroy_window,
							w), 0);
	return w;
}

/* GICv4.1's: a marked vPE is read only once unmapped */
static struct vlpi_mig_window *fake_window(struct kunit *test)
{
	return fake_window_of(test, VLPI_MIG_VPT_GICV4_1);
}

static void set_vpt_bit(struct its_vpe *vpe, u32 vintid)
{
	u8 *vpt = page_address(vpe->vpt_page);

	vpt[vintid / 8] |= BIT(vintid % 8);
}

static void window_refuses_unmarked_vpe(struct kunit *test)
{
	struct vlpi_mig_window *w = fake_window(test);
	struct its_vpe *vpe = fake_vpe(test);
	bool pending = true;

	set_vpt_bit(vpe, 8200);
	/* Anyone holding the IRQ number, at any time: refused, untouched */
	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w, NULL, vpe, 8200, &pending),
			-EACCES);
	KUNIT_EXPECT_TRUE(test, pending);
}

static void window_answers_marked_vpe(struct kunit *test)
{
	struct vlpi_mig_window *w = fake_window(test);
	struct its_vpe *vpe = fake_vpe(test);
	bool pending;

	set_vpt_bit(vpe, 8200);
	KUNIT_ASSERT_EQ(test, vlpi_mig_window_mark(w, vpe), 0);

	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w, NULL, vpe, 8200, &pending), 0);
	KUNIT_EXPECT_TRUE(test, pending);
	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w, NULL, vpe, 8201, &pending), 0);
	KUNIT_EXPECT_FALSE(test, pending);
	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w, NULL, vpe, 8199, &pending), 0);
	KUNIT_EXPECT_FALSE(test, pending);

	vlpi_mig_window_unmark(w, vpe);
}

/* Marked, but found resident at the read: the window is not really open */
static void window_refuses_resident_vpe(struct kunit *test)
{
	struct vlpi_mig_window *w = fake_window(test);
	struct its_vpe *vpe = fake_vpe(test);
	bool pending = true;

	KUNIT_ASSERT_EQ(test, vlpi_mig_window_mark(w, vpe), 0);
	vpe->resident = true;
	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w, NULL, vpe, 8192, &pending),
			-EACCES);
	KUNIT_EXPECT_TRUE(test, pending);
	vlpi_mig_window_unmark(w, vpe);
}

static void window_refuses_after_unmark(struct kunit *test)
{
	struct vlpi_mig_window *w = fake_window(test);
	struct its_vpe *vpe = fake_vpe(test);
	bool pending;

	set_vpt_bit(vpe, 8192);
	KUNIT_ASSERT_EQ(test, vlpi_mig_window_mark(w, vpe), 0);
	vlpi_mig_window_unmark(w, vpe);
	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w, NULL, vpe, 8192, &pending),
			-EACCES);
}

static void window_is_per_vpe(struct kunit *test)
{
	struct vlpi_mig_window *w = fake_window(test);
	struct its_vpe *a = fake_vpe(test), *b = fake_vpe(test);
	bool pending;

	/* Same id, another vPE: the window is for @a alone */
	KUNIT_ASSERT_EQ(test, vlpi_mig_window_mark(w, a), 0);
	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w, NULL, b, 8192, &pending),
			-EACCES);
	/* ...and closing one that isn't open leaves @a's alone */
	vlpi_mig_window_unmark(w, b);
	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w, NULL, a, 8192, &pending), 0);
	vlpi_mig_window_unmark(w, a);
}

static void window_rejects_vintid_past_vits(struct kunit *test)
{
	struct vlpi_mig_window *w = fake_window(test);
	struct its_vpe *vpe = fake_vpe(test);
	bool pending;

	KUNIT_ASSERT_EQ(test, vlpi_mig_window_mark(w, vpe), 0);
	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w, NULL, vpe, BIT(16), &pending),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w, NULL, vpe, BIT(16) - 1, &pending),
			0);
	vlpi_mig_window_unmark(w, vpe);
}

/* Unforward's read, interrupts off: only a declared-coherent GIC... */
static void read_one_needs_declared_coherent(struct kunit *test)
{
	static const enum vlpi_mig_vpt_mode others[] = {
		VLPI_MIG_VPT_NONE, VLPI_MIG_VPT_UNREADABLE,
		VLPI_MIG_VPT_GICV4_1,
	};
	struct its_vpe *vpe = fake_vpe(test);
	bool pending = true;
	unsigned long flags;
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(others); i++) {
		local_irq_save(flags);
		ret = vlpi_mig_vpt_read_one(others[i], vpe, -1, &pending);
		local_irq_restore(flags);
		KUNIT_EXPECT_EQ(test, ret, -EOPNOTSUPP);
		KUNIT_EXPECT_TRUE(test, pending);
	}
}

/*
 * vlpi_mig_vpt_read_one() on @vpe, then, on the same CPU with the vPE not
 * resident, the ITS's reader, which only a window left open could answer
 */
static int read_one_then_reader(struct its_vpe *vpe, bool *pending,
				int *after)
{
	unsigned long flags;
	int ret;

	local_irq_save(flags);
	ret = vlpi_mig_vpt_read_one(VLPI_MIG_VPT_DECLARED, vpe, -1, pending);
	vpe->resident = false;
	*after = vlpi_mig_get_pending(vpe, 8192, pending);
	local_irq_restore(flags);
	return ret;
}

/* ...and a vPE that is not resident, where no vCPU can take the vLPI */
static void read_one_refuses_resident_vpe(struct kunit *test)
{
	struct its_vpe *vpe = fake_vpe(test);
	bool pending = true;
	int ret, after;

	vpe->resident = true;
	/* Nor may it leave this CPU's window open, resident or not */
	ret = read_one_then_reader(vpe, &pending, &after);
	KUNIT_EXPECT_EQ(test, ret, -EBUSY);
	KUNIT_EXPECT_EQ(test, after, -EACCES);
	KUNIT_EXPECT_TRUE(test, pending);
}

/* ...and closes this CPU's window, whatever the read returned */
static void read_one_closes_its_window(struct kunit *test)
{
	struct its_vpe *vpe = fake_vpe(test);
	bool pending = true;
	int ret, after;

	set_vpt_bit(vpe, 8192);
	/* No such host IRQ: the ITS's reader is never reached */
	ret = read_one_then_reader(vpe, &pending, &after);
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);
	KUNIT_EXPECT_EQ(test, after, -EACCES);
	KUNIT_EXPECT_TRUE(test, pending);
}

static void free_doorbell(void *irq)
{
	irq_free_descs((unsigned long)irq, 1);
}

/*
 * Unforward reads a vPE alone, without the save's locks, while a save on
 * another CPU may hold it in its window: marked, but already mapped back
 * (unmark and map-back are not atomic to that reader). It must go by its
 * own rule, not resident, and not by the save's marks. It used to
 * refuse with -EACCES there, and unforward then lost the pending state
 * to the DISCARD.
 */
static void read_alone_ignores_save_window(struct kunit *test)
{
	struct vlpi_mig_window *w = fake_window(test);
	struct its_vpe *vpe = fake_vpe(test);
	bool pending = false;
	int irq;

	/* A doorbell descriptor, activated: the vPE is mapped */
	irq = irq_alloc_descs(-1, 1, 1, NUMA_NO_NODE);
	KUNIT_ASSERT_GE(test, irq, 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, free_doorbell,
							(void *)(unsigned long)irq),
			0);
	vpe->irq = irq;
	irqd_set_activated(irq_get_irq_data(irq));
	set_vpt_bit(vpe, 8192);
	KUNIT_ASSERT_EQ(test, vlpi_mig_window_mark(w, vpe), 0);

	/* The save's reader: marked, but found mapped */
	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w, NULL, vpe, 8192, &pending),
			-EACCES);
	/* Unforward's, alone on this CPU, the vPE not resident */
	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w, vpe, vpe, 8192, &pending),
			0);
	KUNIT_EXPECT_TRUE(test, pending);
	vpe->resident = true;
	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w, vpe, vpe, 8192, &pending),
			-EACCES);

	irqd_clr_activated(irq_get_irq_data(irq));
	vlpi_mig_window_unmark(w, vpe);
}

/*
 * A GICv4.0 declared coherent keeps the VPT in memory: its window unmaps
 * no vPE, and the reader answers for a marked vPE whose doorbell is still
 * activated, as long as it is not resident. GICv4.1's refuses that vPE.
 */
static void window_declared_reads_mapped_vpe(struct kunit *test)
{
	struct vlpi_mig_window *w40 = fake_window_of(test,
						     VLPI_MIG_VPT_DECLARED);
	struct vlpi_mig_window *w41 = fake_window(test);
	struct its_vpe *vpe = fake_vpe(test);
	bool pending = false;
	int irq;

	irq = irq_alloc_descs(-1, 1, 1, NUMA_NO_NODE);
	KUNIT_ASSERT_GE(test, irq, 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, free_doorbell,
							(void *)(unsigned long)irq),
			0);
	vpe->irq = irq;
	irqd_set_activated(irq_get_irq_data(irq));
	set_vpt_bit(vpe, 8193);
	KUNIT_ASSERT_EQ(test, vlpi_mig_window_mark(w40, vpe), 0);
	KUNIT_ASSERT_EQ(test, vlpi_mig_window_mark(w41, vpe), 0);

	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w40, NULL, vpe, 8193,
						   &pending), 0);
	KUNIT_EXPECT_TRUE(test, pending);
	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w41, NULL, vpe, 8193,
						   &pending), -EACCES);
	vpe->resident = true;
	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w40, NULL, vpe, 8193,
						   &pending), -EACCES);

	irqd_clr_activated(irq_get_irq_data(irq));
	vlpi_mig_window_unmark(w40, vpe);
	vlpi_mig_window_unmark(w41, vpe);
}

/* Where vLPI state cannot be made coherent at all, no window answers */
static void window_unreadable_answers_nothing(struct kunit *test)
{
	struct vlpi_mig_window *w = fake_window_of(test,
						   VLPI_MIG_VPT_UNREADABLE);
	struct its_vpe *vpe = fake_vpe(test);
	bool pending;

	KUNIT_ASSERT_EQ(test, vlpi_mig_window_mark(w, vpe), 0);
	KUNIT_EXPECT_EQ(test, vlpi_mig_window_read(w, NULL, vpe, 8192,
						   &pending), -EACCES);
	vlpi_mig_window_unmark(w, vpe);
}

static struct kunit_case window_cases[] = {
	KUNIT_CASE(window_declared_reads_mapped_vpe),
	KUNIT_CASE(window_unreadable_answers_nothing),
	KUNIT_CASE(read_one_needs_declared_coherent),
	KUNIT_CASE(read_one_refuses_resident_vpe),
	KUNIT_CASE(read_one_closes_its_window),
	KUNIT_CASE(read_alone_ignores_save_window),
	KUNIT_CASE(window_refuses_unmarked_vpe),
	KUNIT_CASE(window_answers_marked_vpe),
	KUNIT_CASE(window_refuses_resident_vpe),
	KUNIT_CASE(window_refuses_after_unmark),
	KUNIT_CASE(window_is_per_vpe),
	KUNIT_CASE(window_rejects_vintid_past_vits),
	{}
};

static struct kunit_suite window_suite = {
	.name = "vlpi_mig_vpt_window",
	.test_cases = window_cases,
};

static void save_reads_state_where_readable(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, vlpi_mig_state_readable(VLPI_MIG_VPT_NONE));
	KUNIT_EXPECT_FALSE(test,
			   vlpi_mig_state_readable(VLPI_MIG_VPT_UNREADABLE));
	KUNIT_EXPECT_TRUE(test, vlpi_mig_state_readable(VLPI_MIG_VPT_DECLARED));
	KUNIT_EXPECT_TRUE(test, vlpi_mig_state_readable(VLPI_MIG_VPT_GICV4_1));
}

static void save_sets_only_its_bit(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vlpi_mig_pend_byte(0x00, 0, true), 0x01);
	KUNIT_EXPECT_EQ(test, vlpi_mig_pend_byte(0x81, 3, true), 0x89);
	KUNIT_EXPECT_EQ(test, vlpi_mig_pend_byte(0x08, 3, true), 0x08);
}

static void save_clears_only_its_bit(struct kunit *test)
{
	/* A stale bit from an earlier save goes; its neighbours stay */
	KUNIT_EXPECT_EQ(test, vlpi_mig_pend_byte(0xff, 7, false), 0x7f);
	KUNIT_EXPECT_EQ(test, vlpi_mig_pend_byte(0x00, 7, false), 0x00);
}

/* The save opens the VPT window to read vLPI state, and only then */
static void save_window_only_to_read(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, vlpi_mig_save_needs_window(VLPI_MIG_READ, true));
	KUNIT_EXPECT_FALSE(test,
			   vlpi_mig_save_needs_window(VLPI_MIG_READ, false));
	KUNIT_EXPECT_FALSE(test, vlpi_mig_save_needs_window(VLPI_MIG_ALL_PENDING,
							    true));
	KUNIT_EXPECT_FALSE(test, vlpi_mig_save_needs_window(VLPI_MIG_REFUSE,
							    true));
	KUNIT_EXPECT_FALSE(test, vlpi_mig_save_needs_window(VLPI_MIG_UPSTREAM,
							    true));
}

/*
 * On GICv4.1 upstream reads the VPTs itself: whatever the policy, a save
 * whose window cannot be opened is the vGIC's, never one that saves the
 * forwarded vLPIs from their latch.
 */
static void save_failed_window_left_to_vgic(struct kunit *test)
{
	u64 p;

	for (p = KVM_VLPI_MIG_POLICY_STRICT; p <= KVM_VLPI_MIG_POLICY_LEGACY;
	     p++) {
		enum vlpi_mig_action a =
			vlpi_mig_save_action(VLPI_MIG_VPT_GICV4_1, p);

		if (vlpi_mig_save_needs_window(a, true))
			KUNIT_EXPECT_EQ(test, vlpi_mig_save_take(a, -ENOMEM), 0);
		else
			KUNIT_EXPECT_EQ(test, vlpi_mig_save_take(a, 0), 0);
	}
	KUNIT_EXPECT_EQ(test, vlpi_mig_save_take(VLPI_MIG_READ, 0), 1);
	KUNIT_EXPECT_EQ(test, vlpi_mig_save_take(VLPI_MIG_ALL_PENDING, 0), 1);
	KUNIT_EXPECT_EQ(test, vlpi_mig_save_take(VLPI_MIG_REFUSE, 0), 1);
	KUNIT_EXPECT_EQ(test, vlpi_mig_save_take(VLPI_MIG_UPSTREAM, 0), 0);
}

static struct vlpi_mig_rdist_map *new_map(struct kunit *test)
{
	struct vlpi_mig_rdist_map *map;

	map = kunit_kzalloc(test, sizeof(*map), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, map);
	vlpi_mig_map_init(map);
	return map;
}

static void map_add_tracks_range(struct kunit *test)
{
	struct vlpi_mig_rdist_map *map = new_map(test);

	KUNIT_EXPECT_LT(test, map->last, map->first);	/* empty */
	KUNIT_EXPECT_EQ(test, vlpi_mig_map_add(map, 8200, false), 0);
	KUNIT_EXPECT_EQ(test, vlpi_mig_map_add(map, 8203, true), 0);
	KUNIT_EXPECT_EQ(test, vlpi_mig_map_add(map, 9000, true), 0);
	KUNIT_EXPECT_EQ(test, map->first, 1);
	KUNIT_EXPECT_EQ(test, map->last, 9000 / 8 - 1024);
	KUNIT_EXPECT_EQ(test, map->mask[1], 0x09);
	KUNIT_EXPECT_EQ(test, map->pend[1], 0x08);
	KUNIT_EXPECT_EQ(test, map->pend[9000 / 8 - 1024], BIT(9000 % 8));
}

static void map_add_rejects_non_lpi(struct kunit *test)
{
	struct vlpi_mig_rdist_map *map = new_map(test);

	KUNIT_EXPECT_EQ(test, vlpi_mig_map_add(map, 8191, true), -ERANGE);
	KUNIT_EXPECT_EQ(test, vlpi_mig_map_add(map, BIT(IDBITS), true),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, vlpi_mig_map_add(map, BIT(IDBITS) - 1, true), 0);
	KUNIT_EXPECT_EQ(test, map->last, VLPI_MIG_MAP_BYTES - 1);
	KUNIT_EXPECT_EQ(test, map->pend[VLPI_MIG_MAP_BYTES - 1], 0x80);
}

/* Only LPIs' bits change; the guest's other bits stay as they were */
static void merge_keeps_other_bits(struct kunit *test)
{
	struct vlpi_mig_rdist_map *map = new_map(test);
	u8 buf[4] = { 0xf0, 0xff, 0x00, 0x0f };
	size_t first = 99, n;

	vlpi_mig_map_add(map, 8192 + 8 * 10 + 0, true);	/* byte 10: set */
	vlpi_mig_map_add(map, 8192 + 8 * 11 + 7, false);	/* byte 11: clear */
	vlpi_mig_map_add(map, 8192 + 8 * 13 + 1, true);	/* byte 13: set */
	KUNIT_ASSERT_EQ(test, map->first, 10);
	KUNIT_ASSERT_EQ(test, map->last, 13);

	n = vlpi_mig_merge_range(buf, map, sizeof(buf), &first);
	KUNIT_EXPECT_EQ(test, buf[0], 0xf1);
	KUNIT_EXPECT_EQ(test, buf[1], 0x7f);
	KUNIT_EXPECT_EQ(test, buf[2], 0x00);
	KUNIT_EXPECT_EQ(test, buf[3], 0x0f);
	/* Byte 13's bit was already set: bytes 10 and 11 are written */
	KUNIT_EXPECT_EQ(test, first, 0);
	KUNIT_EXPECT_EQ(test, n, 2);
}

static void merge_unchanged_writes_nothing(struct kunit *test)
{
	struct vlpi_mig_rdist_map *map = new_map(test);
	u8 buf[3] = { 0x00, 0x02, 0x00 };
	size_t first = 99;

	vlpi_mig_map_add(map, 8192 + 8 * 5 + 1, true);
	vlpi_mig_map_add(map, 8192 + 8 * 4 + 3, false);
	vlpi_mig_map_add(map, 8192 + 8 * 6 + 3, false);
	KUNIT_ASSERT_EQ(test, map->first, 4);
	KUNIT_EXPECT_EQ(test, vlpi_mig_merge_range(buf, map, sizeof(buf),
						   &first), 0);
	KUNIT_EXPECT_EQ(test, first, 99);
}

static struct kunit_case save_cases[] = {
	KUNIT_CASE(save_reads_state_where_readable),
	KUNIT_CASE(save_sets_only_its_bit),
	KUNIT_CASE(save_clears_only_its_bit),
	KUNIT_CASE(save_window_only_to_read),
	KUNIT_CASE(save_failed_window_left_to_vgic),
	KUNIT_CASE(map_add_tracks_range),
	KUNIT_CASE(map_add_rejects_non_lpi),
	KUNIT_CASE(merge_keeps_other_bits),
	KUNIT_CASE(merge_unchanged_writes_nothing),
	{}
};

static struct kunit_suite save_suite = {
	.name = "vlpi_mig_save",
	.test_cases = save_cases,
};

/* Every policy in every host mode, including those the bed can't boot */
static void policy_no_direct_injection(struct kunit *test)
{
	u64 p;

	for (p = KVM_VLPI_MIG_POLICY_STRICT; p <= KVM_VLPI_MIG_POLICY_LEGACY; p++)
		KUNIT_EXPECT_EQ(test, vlpi_mig_save_action(VLPI_MIG_VPT_NONE, p),
				VLPI_MIG_UPSTREAM);
}

static void policy_readable_hosts(struct kunit *test)
{
	enum vlpi_mig_vpt_mode m;

	const u64 strict = KVM_VLPI_MIG_POLICY_STRICT;
	const u64 conservative = KVM_VLPI_MIG_POLICY_CONSERVATIVE;
	const u64 legacy = KVM_VLPI_MIG_POLICY_LEGACY;

	for (m = VLPI_MIG_VPT_DECLARED; m <= VLPI_MIG_VPT_GICV4_1; m++) {
		KUNIT_EXPECT_EQ(test, vlpi_mig_save_action(m, strict),
				VLPI_MIG_READ);
		/* Nothing to be conservative about: the state is read */
		KUNIT_EXPECT_EQ(test, vlpi_mig_save_action(m, conservative),
				VLPI_MIG_READ);
		KUNIT_EXPECT_EQ(test, vlpi_mig_save_action(m, legacy),
				VLPI_MIG_UPSTREAM);
	}
}

static void policy_unreadable_gicv4_0(struct kunit *test)
{
	enum vlpi_mig_vpt_mode m = VLPI_MIG_VPT_UNREADABLE;

	KUNIT_EXPECT_EQ(test, vlpi_mig_save_action(m, KVM_VLPI_MIG_POLICY_STRICT),
			VLPI_MIG_REFUSE);
	KUNIT_EXPECT_EQ(test,
			vlpi_mig_save_action(m, KVM_VLPI_MIG_POLICY_CONSERVATIVE),
			VLPI_MIG_ALL_PENDING);
	KUNIT_EXPECT_EQ(test, vlpi_mig_save_action(m, KVM_VLPI_MIG_POLICY_LEGACY),
			VLPI_MIG_UPSTREAM);
}

static void caps_check_accepts_what_host_gives(struct kunit *test)
{
	u64 host = vlpi_mig_caps(&host_v40, VLPI_MIG_VPT_DECLARED);
	u64 v41 = vlpi_mig_caps(&host_v41, VLPI_MIG_VPT_GICV4_1);

	KUNIT_EXPECT_EQ(test, vlpi_mig_caps_check(host, host), 0);
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps_check(0, host), 0);
	/* Host facts are not guarantees: a v4.1 source may land on v4.0 */
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps_check(v41, host), 0);
}

static void caps_check_refuses_missing_guarantee(struct kunit *test)
{
	u64 src = vlpi_mig_caps(&host_v41, VLPI_MIG_VPT_GICV4_1);
	u64 dst = vlpi_mig_caps(&host_v40, VLPI_MIG_VPT_UNREADABLE);

	KUNIT_EXPECT_EQ(test, vlpi_mig_caps_check(src, dst), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps_check(KVM_VLPI_MIG_CAP_SAVE, 0),
			-EOPNOTSUPP);
}

static void caps_check_refuses_unknown_bits(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps_check(BIT_ULL(63), ~0ULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps_check(KVM_VLPI_MIG_CAPS_ALL + 1,
						  ~0ULL), -EINVAL);
}

static struct kunit_case policy_cases[] = {
	KUNIT_CASE(policy_no_direct_injection),
	KUNIT_CASE(policy_readable_hosts),
	KUNIT_CASE(policy_unreadable_gicv4_0),
	KUNIT_CASE(caps_check_accepts_what_host_gives),
	KUNIT_CASE(caps_check_refuses_missing_guarantee),
	KUNIT_CASE(caps_check_refuses_unknown_bits),
	{}
};

static struct kunit_suite policy_suite = {
	.name = "vlpi_mig_policy",
	.test_cases = policy_cases,
};

/*
 * The module's load-time lookup of the enabling series, against the
 * running kernel's symbol table: a name no kernel exports stands for a
 * series that is absent, a version one past this kernel's for another.
 */
#define TEST_SEAM_SYM(member, name) \
	{ name, offsetof(struct vlpi_mig_seam, member) }

static const struct vlpi_mig_seam_sym seam_real[] = {
	TEST_SEAM_SYM(vgic_mig_seam_version, "vgic_mig_seam_version"),
	TEST_SEAM_SYM(vgic_mig_register, "vgic_mig_register"),
};

static const struct vlpi_mig_seam_sym seam_absent[] = {
	TEST_SEAM_SYM(vgic_mig_seam_version, "vlpi_mig_test_no_such_seam_version"),
	TEST_SEAM_SYM(vgic_mig_register, "vgic_mig_register"),
};

static const struct vlpi_mig_seam_sym seam_incomplete[] = {
	TEST_SEAM_SYM(vgic_mig_seam_version, "vgic_mig_seam_version"),
	TEST_SEAM_SYM(vgic_mig_register, "vlpi_mig_test_no_such_register"),
};

static void seam_finds_this_kernels_series(struct kunit *test)
{
	struct vlpi_mig_seam seam = {};
	struct vlpi_mig_seam_res res = {};

	KUNIT_ASSERT_EQ(test, vlpi_mig_seam_lookup(seam_real, 2,
						   VLPI_MIG_SEAM_VERSION,
						   &seam, &res), 0);
	KUNIT_EXPECT_EQ(test, *seam.vgic_mig_seam_version, VLPI_MIG_SEAM_VERSION);
	/* The module found the same at its own load */
	KUNIT_EXPECT_PTR_EQ(test, seam.vgic_mig_seam_version, vlpi_mig_seam.vgic_mig_seam_version);
	KUNIT_EXPECT_PTR_EQ(test, seam.vgic_mig_register, vlpi_mig_seam.vgic_mig_register);
	KUNIT_EXPECT_NULL(test, res.missing);
	__symbol_put("vgic_mig_register");
	__symbol_put("vgic_mig_seam_version");
}

static void seam_absent_names_the_series(struct kunit *test)
{
	struct vlpi_mig_seam seam = {};
	struct vlpi_mig_seam_res res = {};

	KUNIT_EXPECT_EQ(test, vlpi_mig_seam_lookup(seam_absent, 2,
						   VLPI_MIG_SEAM_VERSION,
						   &seam, &res), -ENOENT);
	KUNIT_EXPECT_PTR_EQ(test, res.missing, seam_absent[0].name);
	/* Nothing past the version was looked up */
	KUNIT_EXPECT_NULL(test, seam.vgic_mig_seam_version);
	KUNIT_EXPECT_NULL(test, seam.vgic_mig_register);
}

static void seam_other_version_is_refused(struct kunit *test)
{
	struct vlpi_mig_seam seam = {};
	struct vlpi_mig_seam_res res = {};

	KUNIT_EXPECT_EQ(test, vlpi_mig_seam_lookup(seam_real, 2,
						   VLPI_MIG_SEAM_VERSION + 1,
						   &seam, &res), -ENOEXEC);
	KUNIT_EXPECT_EQ(test, res.have, VLPI_MIG_SEAM_VERSION);
	KUNIT_EXPECT_NULL(test, res.missing);
	KUNIT_EXPECT_NULL(test, seam.vgic_mig_seam_version);
	KUNIT_EXPECT_NULL(test, seam.vgic_mig_register);
}

static void seam_incomplete_names_the_symbol(struct kunit *test)
{
	struct vlpi_mig_seam seam = {};
	struct vlpi_mig_seam_res res = {};

	KUNIT_EXPECT_EQ(test, vlpi_mig_seam_lookup(seam_incomplete, 2,
						   VLPI_MIG_SEAM_VERSION,
						   &seam, &res), -ENOENT);
	KUNIT_EXPECT_PTR_EQ(test, res.missing, seam_incomplete[1].name);
	/* The version found first was put back */
	KUNIT_EXPECT_NULL(test, seam.vgic_mig_seam_version);
}

static struct kunit_case seam_cases[] = {
	KUNIT_CASE(seam_finds_this_kernels_series),
	KUNIT_CASE(seam_absent_names_the_series),
	KUNIT_CASE(seam_other_version_is_refused),
	KUNIT_CASE(seam_incomplete_names_the_symbol),
	{}
};

static struct kunit_suite seam_suite = {
	.name = "vlpi_mig_seam",
	.test_cases = seam_cases,
};

kunit_test_suites(&pendtable_suite, &vpt_suite, &caps_suite, &window_suite,
		  &save_suite, &policy_suite, &seam_suite);

MODULE_DESCRIPTION("KUnit tests for vlpi_mig");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
