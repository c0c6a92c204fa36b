// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the vlpi_mig module's logic that needs no hardware:
 * pending-table addressing and range checks, the VPT access mode, and
 * the capabilities reported to VMMs.
 */

#include <kunit/test.h>
#include <linux/bits.h>
#include <linux/irqchip/arm-gic-v3.h>
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
			KVM_VLPI_MIG_CAP_DIRECT_INJECTION);
}

static void caps_gicv4_0_declared(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps(&host_v40, VLPI_MIG_VPT_DECLARED),
			KVM_VLPI_MIG_CAP_DIRECT_INJECTION |
			KVM_VLPI_MIG_CAP_VPT_DECLARED);
}

static void caps_gicv4_1(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps(&host_v41, VLPI_MIG_VPT_GICV4_1),
			KVM_VLPI_MIG_CAP_DIRECT_INJECTION |
			KVM_VLPI_MIG_CAP_GICV4_1);
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

kunit_test_suites(&pendtable_suite, &vpt_suite, &caps_suite);

MODULE_DESCRIPTION("KUnit tests for vlpi_mig");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
