// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the vlpi_mig module's logic that needs no hardware: the
 * VPT access mode, the capabilities reported to VMMs, and the rules of
 * the save.
 */

#include <kunit/test.h>
#include <linux/bits.h>
#include <linux/gfp.h>
#include <linux/kvm_host.h>
#include <linux/irqchip/arm-gic-v3.h>
#include <linux/irqchip/arm-gic-v4.h>
#include <linux/module.h>

#include "../uapi/vlpi_mig.h"
#include "../vgic/vlpi_mig.h"

static const struct vgic_mig_host host_v3 = { };
static const struct vgic_mig_host host_v40 = { .has_gicv4 = true };
static const struct vgic_mig_host host_v41 = {
	.has_gicv4 = true, .has_gicv4_1 = true,
};

static void vpt_mode_no_direct_injection(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vlpi_mig_vpt_mode(false, false), VLPI_MIG_VPT_NONE);
}

static void vpt_mode_gicv4_0(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vlpi_mig_vpt_mode(true, false),
			VLPI_MIG_VPT_UNREADABLE);
}

static void vpt_mode_gicv4_1(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vlpi_mig_vpt_mode(true, true),
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

/* A VPT of 16 INTID bits, a few bits set: exactly those read back set */
static void vpt_test_reads_each_vintid_bit(struct kunit *test)
{
	static const u32 set[] = { 8192, 8199, 8201, 40000, 65535 };
	static const u32 clear[] = { 8193, 8198, 8200, 39999, 40001, 65534 };
	unsigned int order = get_order(BIT(VLPI_MIG_VITS_IDBITS) / BITS_PER_BYTE);
	struct its_vpe vpe = { };
	unsigned int i;
	u8 *vpt;

	vpe.vpt_page = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
	KUNIT_ASSERT_NOT_NULL(test, vpe.vpt_page);
	vpt = page_address(vpe.vpt_page);
	for (i = 0; i < ARRAY_SIZE(set); i++)
		vpt[set[i] / 8] |= 1 << (set[i] % 8);

	for (i = 0; i < ARRAY_SIZE(set); i++)
		KUNIT_EXPECT_TRUE_MSG(test, vlpi_mig_vpt_test(&vpe, set[i]),
				      "vINTID %u", set[i]);
	for (i = 0; i < ARRAY_SIZE(clear); i++)
		KUNIT_EXPECT_FALSE_MSG(test, vlpi_mig_vpt_test(&vpe, clear[i]),
				       "vINTID %u", clear[i]);
	__free_pages(vpe.vpt_page, order);
}

static struct kunit_case vpt_cases[] = {
	KUNIT_CASE(vpt_mode_no_direct_injection),
	KUNIT_CASE(vpt_mode_gicv4_0),
	KUNIT_CASE(vpt_mode_gicv4_1),
	KUNIT_CASE(vpt_mode_names_are_distinct),
	KUNIT_CASE(vpt_test_reads_each_vintid_bit),
	{}
};

static struct kunit_suite vpt_suite = {
	.name = "vlpi_mig_vpt",
	.test_cases = vpt_cases,
};

#define STRICT		KVM_VLPI_MIG_POLICY_STRICT
#define CONSERVATIVE	KVM_VLPI_MIG_POLICY_CONSERVATIVE
#define LEGACY		KVM_VLPI_MIG_POLICY_LEGACY
#define DI		KVM_VLPI_MIG_CAP_DIRECT_INJECTION
#define V41		KVM_VLPI_MIG_CAP_GICV4_1
#define SAVE		KVM_VLPI_MIG_CAP_SAVE
#define RESTORE		KVM_VLPI_MIG_CAP_RESTORE
#define SPURIOUS	KVM_VLPI_MIG_CAP_SPURIOUS

/* Nothing is forwarded: every policy's saves carry every LPI */
static void caps_no_direct_injection(struct kunit *test)
{
	u64 p;

	for (p = STRICT; p <= LEGACY; p++)
		KUNIT_EXPECT_EQ(test,
				vlpi_mig_caps(&host_v3, VLPI_MIG_VPT_NONE, p),
				SAVE);
}

static void caps_gicv4_0_unreadable(struct kunit *test)
{
	const enum vlpi_mig_vpt_mode m = VLPI_MIG_VPT_UNREADABLE;

	KUNIT_EXPECT_EQ(test, vlpi_mig_caps(&host_v40, m, STRICT),
			DI | RESTORE);
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps(&host_v40, m, CONSERVATIVE),
			DI | RESTORE | SAVE | SPURIOUS);
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps(&host_v40, m, LEGACY), DI);
}

/* Upstream reads a GICv4.1's VPTs too: legacy saves, but moves as upstream */
static void caps_gicv4_1(struct kunit *test)
{
	const enum vlpi_mig_vpt_mode m = VLPI_MIG_VPT_GICV4_1;

	KUNIT_EXPECT_EQ(test, vlpi_mig_caps(&host_v41, m, STRICT),
			DI | V41 | SAVE | RESTORE);
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps(&host_v41, m, CONSERVATIVE),
			DI | V41 | SAVE | RESTORE);
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps(&host_v41, m, LEGACY),
			DI | V41 | SAVE);
}

static struct kunit_case caps_cases[] = {
	KUNIT_CASE(caps_no_direct_injection),
	KUNIT_CASE(caps_gicv4_0_unreadable),
	KUNIT_CASE(caps_gicv4_1),
	{}
};

static struct kunit_suite caps_suite = {
	.name = "vlpi_mig_caps",
	.test_cases = caps_cases,
};

static void save_reads_state_where_readable(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, vlpi_mig_state_readable(VLPI_MIG_VPT_NONE));
	KUNIT_EXPECT_FALSE(test,
			   vlpi_mig_state_readable(VLPI_MIG_VPT_UNREADABLE));
	KUNIT_EXPECT_TRUE(test, vlpi_mig_state_readable(VLPI_MIG_VPT_GICV4_1));
}

/* As a save allocates it: not zeroed, here every byte 0xff */
static struct vlpi_mig_rdist_map *new_map(struct kunit *test)
{
	struct vlpi_mig_rdist_map *map;

	map = kunit_kmalloc(test, sizeof(*map), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, map);
	memset(map, 0xff, sizeof(*map));
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
	/* Bytes inside the range with no LPI: zeroed as the range grew */
	KUNIT_EXPECT_EQ(test, map->mask[2], 0);
	KUNIT_EXPECT_EQ(test, map->pend[100], 0);
	KUNIT_EXPECT_EQ(test, map->mask[9000 / 8 - 1025], 0);
	/* And grown downwards */
	KUNIT_EXPECT_EQ(test, vlpi_mig_map_add(map, 8192, false), 0);
	KUNIT_EXPECT_EQ(test, map->first, 0);
	KUNIT_EXPECT_EQ(test, map->mask[0], 0x01);
	KUNIT_EXPECT_EQ(test, map->pend[0], 0);
	KUNIT_EXPECT_EQ(test, map->mask[1], 0x09);
}

static void map_add_rejects_non_lpi(struct kunit *test)
{
	struct vlpi_mig_rdist_map *map = new_map(test);

	KUNIT_EXPECT_EQ(test, vlpi_mig_map_add(map, 8191, true), -ERANGE);
	KUNIT_EXPECT_EQ(test, vlpi_mig_map_add(map, BIT(VLPI_MIG_VITS_IDBITS), true),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, vlpi_mig_map_add(map, BIT(VLPI_MIG_VITS_IDBITS) - 1, true), 0);
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
	enum vlpi_mig_vpt_mode m = VLPI_MIG_VPT_GICV4_1;
	const u64 strict = KVM_VLPI_MIG_POLICY_STRICT;
	const u64 conservative = KVM_VLPI_MIG_POLICY_CONSERVATIVE;
	const u64 legacy = KVM_VLPI_MIG_POLICY_LEGACY;

	KUNIT_EXPECT_EQ(test, vlpi_mig_save_action(m, strict), VLPI_MIG_READ);
	/* Nothing to be conservative about: the state is read */
	KUNIT_EXPECT_EQ(test, vlpi_mig_save_action(m, conservative),
			VLPI_MIG_READ);
	KUNIT_EXPECT_EQ(test, vlpi_mig_save_action(m, legacy),
			VLPI_MIG_UPSTREAM);
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

/* Whatever any host saved, in any policy, every destination restores */
static void caps_check_accepts_every_source(struct kunit *test)
{
	const struct vgic_mig_host *hosts[] = { &host_v3, &host_v40, &host_v41 };
	const enum vlpi_mig_vpt_mode modes[] = {
		VLPI_MIG_VPT_NONE, VLPI_MIG_VPT_UNREADABLE, VLPI_MIG_VPT_GICV4_1,
	};
	unsigned int h;
	u64 p;

	for (h = 0; h < ARRAY_SIZE(hosts); h++)
		for (p = STRICT; p <= LEGACY; p++)
			KUNIT_EXPECT_EQ(test,
					vlpi_mig_caps_check(vlpi_mig_caps(hosts[h],
									  modes[h], p)),
					0);
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps_check(0), 0);
}

/* A newer module's informational bits are ignored; its mandatory ones not */
static void caps_check_unknown_bits(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps_check(BIT_ULL(7) | BIT_ULL(31)), 0);
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps_check(BIT_ULL(32)), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, vlpi_mig_caps_check(SAVE | BIT_ULL(63)),
			-EOPNOTSUPP);
}

static struct kunit_case policy_cases[] = {
	KUNIT_CASE(policy_no_direct_injection),
	KUNIT_CASE(policy_readable_hosts),
	KUNIT_CASE(policy_unreadable_gicv4_0),
	KUNIT_CASE(caps_check_accepts_every_source),
	KUNIT_CASE(caps_check_unknown_bits),
	{}
};

static struct kunit_suite policy_suite = {
	.name = "vlpi_mig_policy",
	.test_cases = policy_cases,
};

kunit_test_suites(&vpt_suite, &caps_suite, &save_suite,
		  &policy_suite);

MODULE_DESCRIPTION("KUnit tests for vlpi_mig");
MODULE_LICENSE("GPL");
/* MODULE_IMPORT_NS()'s argument is a string from 6.13 on: spelt out */
MODULE_INFO(import_ns, "EXPORTED_FOR_KUNIT_TESTING");
