// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_attrs - every attribute of KVM_DEV_ARM_VGIC_GRP_VLPI_MIG, and
 * bad input to each: unknown attributes, wrong sizes and pointers, invalid
 * values, and writes after the VM has run where those are forbidden.
 *
 * Run with the module loaded. CAPS is what the VM's migration carries,
 * and SAVE_ACTION how its next save treats forwarded vLPIs, each checked
 * against what the bed booted under each policy; SOURCE_CAPS accepts
 * what any host reports, refusing only an unknown mandatory bit. No
 * kvm_device_attr.flags is defined: any is EINVAL. STATS' loaded_ns
 * falls within the test's clock readings around a reload.
 *
 * What a VMM sets is never forgotten behind its back: accepted source
 * caps read back, and a VM holding a setting pins the module, so that
 * rmmod is refused until the VM is gone.
 *
 * What it only reads costs nothing: for a VM the module keeps no state
 * for (one created before it was loaded), CAPS, a read of any attribute,
 * HAS_DEVICE_ATTR and a SET of an unknown attribute create none; the
 * VM's first setting does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vlpi_mig_util.h"

#define GRP	KVM_DEV_ARM_VGIC_GRP_VLPI_MIG
#define BAD_PTR	((void *)8)

static void guest_code(void)
{
	GUEST_SYNC(1);
	GUEST_DONE();
}

static int get(struct vlpi_vm *v, uint64_t attr, void *val)
{
	return __kvm_device_attr_get(v->gic_fd, GRP, attr, val) ? errno : 0;
}

static int set(struct vlpi_vm *v, uint64_t attr, void *val)
{
	return __kvm_device_attr_set(v->gic_fd, GRP, attr, val) ? errno : 0;
}

static void test_has_attr(struct vlpi_vm *v)
{
	bool ok = !__kvm_has_device_attr(v->gic_fd, GRP, KVM_DEV_ARM_VLPI_MIG_CAPS) &&
		  !__kvm_has_device_attr(v->gic_fd, GRP, KVM_DEV_ARM_VLPI_MIG_POLICY) &&
		  !__kvm_has_device_attr(v->gic_fd, GRP, KVM_DEV_ARM_VLPI_MIG_STATS) &&
		  !__kvm_has_device_attr(v->gic_fd, GRP,
					 KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS) &&
		  !__kvm_has_device_attr(v->gic_fd, GRP,
					 KVM_DEV_ARM_VLPI_MIG_SAVE_ACTION);

	ksft_test_result(ok,
			 "HAS_DEVICE_ATTR answers for CAPS, POLICY, STATS, SOURCE_CAPS, SAVE_ACTION\n");
	ksft_test_result(__kvm_has_device_attr(v->gic_fd, GRP, 99) &&
			 errno == ENXIO && get(v, 99, &ok) == ENXIO &&
			 set(v, 99, &ok) == ENXIO,
			 "an unknown attribute is ENXIO for HAS, GET and SET\n");
}

static void test_policy(struct vlpi_vm *v)
{
	uint64_t p = ~0ull, bad = KVM_VLPI_MIG_POLICY_LEGACY + 1;
	bool ok;

	ksft_test_result(!get(v, KVM_DEV_ARM_VLPI_MIG_POLICY, &p) &&
			 p == KVM_VLPI_MIG_POLICY_STRICT,
			 "POLICY defaults to strict (%lu)\n", (unsigned long)p);

	ok = true;
	for (uint64_t want = 0; want <= KVM_VLPI_MIG_POLICY_LEGACY; want++)
		ok &= !set(v, KVM_DEV_ARM_VLPI_MIG_POLICY, &want) &&
		      !get(v, KVM_DEV_ARM_VLPI_MIG_POLICY, &p) && p == want;
	ksft_test_result(ok, "POLICY reads back strict, conservative, legacy\n");

	ksft_test_result(set(v, KVM_DEV_ARM_VLPI_MIG_POLICY, &bad) == EINVAL &&
			 !get(v, KVM_DEV_ARM_VLPI_MIG_POLICY, &p) &&
			 p == KVM_VLPI_MIG_POLICY_LEGACY,
			 "an invalid POLICY is EINVAL and changes nothing\n");
	ksft_test_result(set(v, KVM_DEV_ARM_VLPI_MIG_POLICY, BAD_PTR) == EFAULT &&
			 get(v, KVM_DEV_ARM_VLPI_MIG_POLICY, BAD_PTR) == EFAULT,
			 "POLICY through a bad pointer is EFAULT\n");
	p = KVM_VLPI_MIG_POLICY_STRICT;
	set(v, KVM_DEV_ARM_VLPI_MIG_POLICY, &p);
}

static void test_stats(struct vlpi_vm *v)
{
	struct {
		struct kvm_vlpi_mig_stats st;
		uint64_t future[2];
	} big;
	struct kvm_vlpi_mig_stats st;

	memset(&st, 0xff, sizeof(st));
	st.size = sizeof(st);
	st.flags = 0;
	ksft_test_result(!get(v, KVM_DEV_ARM_VLPI_MIG_STATS, &st) &&
			 st.size == sizeof(st) && st.forwarded == 0 &&
			 st.saved_pending == 0 && st.refused == 0,
			 "STATS of a new VM: size %u, all zero\n", st.size);

	memset(&big, 0xff, sizeof(big));
	big.st.size = sizeof(big);
	big.st.flags = 0;
	ksft_test_result(!get(v, KVM_DEV_ARM_VLPI_MIG_STATS, &big) &&
			 big.st.size == sizeof(st) && big.future[0] == ~0ull,
			 "STATS from a newer VMM: only what the kernel knows is written\n");

	memset(&st, 0xff, sizeof(st));
	st.size = 8;
	st.flags = 0;
	ksft_test_result(!get(v, KVM_DEV_ARM_VLPI_MIG_STATS, &st) &&
			 st.size == 8 && st.forwarded == ~0ull,
			 "STATS from an older VMM: only the header is written\n");

	st.size = 4;
	ksft_test_result(get(v, KVM_DEV_ARM_VLPI_MIG_STATS, &st) == EINVAL,
			 "STATS with size 4 is EINVAL\n");
	st.size = 12;
	ksft_test_result(get(v, KVM_DEV_ARM_VLPI_MIG_STATS, &st) == EINVAL,
			 "STATS with size 12 is EINVAL\n");
	st.size = sizeof(st);
	st.flags = 1;
	ksft_test_result(get(v, KVM_DEV_ARM_VLPI_MIG_STATS, &st) == EINVAL,
			 "STATS with non-zero flags is EINVAL\n");
	ksft_test_result(get(v, KVM_DEV_ARM_VLPI_MIG_STATS, BAD_PTR) == EFAULT,
			 "STATS into a bad pointer is EFAULT\n");
	st.flags = 0;
	ksft_test_result(set(v, KVM_DEV_ARM_VLPI_MIG_STATS, &st) == ENXIO,
			 "STATS is read-only: SET is ENXIO\n");
}

/* What each class of host reports, under each policy (uapi/vlpi_mig.h) */
static const uint64_t every_source[] = {
	0,					/* no module, or none read */
	KVM_VLPI_MIG_CAP_SAVE,			/* no direct injection */
	KVM_VLPI_MIG_CAP_DIRECT_INJECTION | KVM_VLPI_MIG_CAP_RESTORE,
	KVM_VLPI_MIG_CAP_DIRECT_INJECTION | KVM_VLPI_MIG_CAP_RESTORE |
		KVM_VLPI_MIG_CAP_SAVE | KVM_VLPI_MIG_CAP_SPURIOUS,
	KVM_VLPI_MIG_CAP_DIRECT_INJECTION,	/* GICv4.0, legacy */
	KVM_VLPI_MIG_CAP_DIRECT_INJECTION | KVM_VLPI_MIG_CAP_GICV4_1 |
		KVM_VLPI_MIG_CAP_SAVE | KVM_VLPI_MIG_CAP_RESTORE,
	KVM_VLPI_MIG_CAP_DIRECT_INJECTION | KVM_VLPI_MIG_CAP_GICV4_1 |
		KVM_VLPI_MIG_CAP_SAVE,		/* GICv4.1, legacy */
};

/*
 * CAPS is the VM's own, under its POLICY; SOURCE_CAPS takes what any
 * source read, and refuses only a mandatory bit this module does not know
 */
static void test_caps(struct vlpi_vm *v)
{
	uint64_t p, got = 0, src, caps[3];
	unsigned int i, refused = 0;
	bool ok = true;

	for (p = KVM_VLPI_MIG_POLICY_STRICT; p <= KVM_VLPI_MIG_POLICY_LEGACY; p++) {
		ok &= !set(v, KVM_DEV_ARM_VLPI_MIG_POLICY, &p) &&
		      !get(v, KVM_DEV_ARM_VLPI_MIG_CAPS, &caps[p]) &&
		      caps[p] == vlpi_expected_caps(p);
	}
	p = KVM_VLPI_MIG_POLICY_STRICT;
	TEST_ASSERT(!set(v, KVM_DEV_ARM_VLPI_MIG_POLICY, &p), "POLICY strict");
	ksft_test_result(ok,
			 "CAPS follows the VM's POLICY: strict %#lx, conservative %#lx, legacy %#lx (want %#lx %#lx %#lx)\n",
			 (unsigned long)caps[0], (unsigned long)caps[1],
			 (unsigned long)caps[2],
			 (unsigned long)vlpi_expected_caps(0),
			 (unsigned long)vlpi_expected_caps(1),
			 (unsigned long)vlpi_expected_caps(2));
	ksft_test_result(set(v, KVM_DEV_ARM_VLPI_MIG_CAPS, &caps[0]) == ENXIO,
			 "CAPS is read-only: SET is ENXIO\n");

	ksft_test_result(get(v, KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS, &got) ==
			 ENODATA,
			 "SOURCE_CAPS before any write is ENODATA\n");
	for (i = 0; i < ARRAY_SIZE(every_source); i++) {
		src = every_source[i];
		refused += !!set(v, KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS, &src);
	}
	ksft_test_result(!refused,
			 "SOURCE_CAPS of every host class and policy accepted (%u of %zu refused)\n",
			 refused, ARRAY_SIZE(every_source));
	src = KVM_VLPI_MIG_CAP_SAVE | (1ull << 20);
	ksft_test_result(!set(v, KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS, &src),
			 "a newer module's informational bit (20) is accepted\n");
	src = KVM_VLPI_MIG_CAP_SAVE | (1ull << 40);
	ksft_test_result(set(v, KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS, &src) ==
			 EOPNOTSUPP,
			 "an unknown mandatory bit (40) is EOPNOTSUPP\n");
	ksft_test_result(set(v, KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS, BAD_PTR) ==
			 EFAULT,
			 "SOURCE_CAPS from a bad pointer is EFAULT\n");
	ksft_test_result(!get(v, KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS, &got) &&
			 got == (KVM_VLPI_MIG_CAP_SAVE | (1ull << 20)),
			 "SOURCE_CAPS reads back the last accepted write (%#lx), not the refused\n",
			 (unsigned long)got);
}

/* What the next save does, under each policy (uapi/vlpi_mig.h) */
static void test_save_action(struct vlpi_vm *v)
{
	uint64_t p, a[3] = { ~0ull, ~0ull, ~0ull }, want[3];
	bool ok = true;

	for (p = KVM_VLPI_MIG_POLICY_STRICT; p <= KVM_VLPI_MIG_POLICY_LEGACY; p++) {
		want[p] = vlpi_expected_save_action(p);
		ok &= !set(v, KVM_DEV_ARM_VLPI_MIG_POLICY, &p) &&
		      !get(v, KVM_DEV_ARM_VLPI_MIG_SAVE_ACTION, &a[p]) &&
		      a[p] == want[p];
	}
	p = KVM_VLPI_MIG_POLICY_STRICT;
	TEST_ASSERT(!set(v, KVM_DEV_ARM_VLPI_MIG_POLICY, &p), "POLICY strict");
	ksft_test_result(ok,
			 "SAVE_ACTION follows the VM's POLICY: strict %lu, conservative %lu, legacy %lu (want %lu %lu %lu)\n",
			 (unsigned long)a[0], (unsigned long)a[1],
			 (unsigned long)a[2], (unsigned long)want[0],
			 (unsigned long)want[1], (unsigned long)want[2]);
	ksft_test_result(set(v, KVM_DEV_ARM_VLPI_MIG_SAVE_ACTION, &p) == ENXIO,
			 "SAVE_ACTION is read-only: SET is ENXIO\n");
}

/* The errno of a device-attribute ioctl with kvm_device_attr.flags @flags */
static int attr_flags(struct vlpi_vm *v, unsigned long ioctl_nr,
		      uint64_t attr, uint64_t *val, uint32_t flags)
{
	struct kvm_device_attr a = {
		.flags = flags,
		.group = GRP,
		.attr = attr,
		.addr = (uint64_t)(unsigned long)val,
	};

	return ioctl(v->gic_fd, ioctl_nr, &a) ? errno : 0;
}

/* No flag is defined: each is refused, and a SET changes nothing */
static void test_flags(struct vlpi_vm *v)
{
	uint64_t p = KVM_VLPI_MIG_POLICY_LEGACY, got = ~0ull, caps;
	int eset, eget, ehas;

	eset = attr_flags(v, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VLPI_MIG_POLICY,
			  &p, 1);
	eget = attr_flags(v, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VLPI_MIG_CAPS,
			  &caps, 1u << 31);
	ehas = attr_flags(v, KVM_HAS_DEVICE_ATTR, KVM_DEV_ARM_VLPI_MIG_CAPS,
			  NULL, 2);
	get(v, KVM_DEV_ARM_VLPI_MIG_POLICY, &got);
	ksft_test_result(eset == EINVAL && eget == EINVAL && ehas == EINVAL &&
			 got == KVM_VLPI_MIG_POLICY_STRICT,
			 "non-zero kvm_device_attr.flags is EINVAL (SET %s, GET %s, HAS %s), POLICY left %lu\n",
			 strerror(eset), strerror(eget), strerror(ehas),
			 (unsigned long)got);
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The VMs the module keeps state for, from its debugfs; ~0 if unreadable */
static uint64_t module_vms(void)
{
	uint64_t n;

	return read_u64_file(VLPI_MIG_DEBUGFS "/vms", &n) ? n : ~0ull;
}

static void test_no_state(void)
{
	uint64_t caps = 0, p = ~0ull, src = 0, vms0, vms1, vms2, t0, t1;
	struct kvm_vlpi_mig_stats st, st0;
	struct vlpi_vm *v, *old;
	bool ok;
	int ret;

	/* A VM without settings does not pin the module */
	old = vlpi_vm_create(1, guest_code);
	TEST_ASSERT(!vlpi_mig_get_stats(old, &st0), "STATS before the reload");
	ret = vlpi_mig_unload();
	TEST_ASSERT(!ret, "rmmod vlpi_mig: %s", strerror(ret));
	v = vlpi_vm_create(1, guest_code);
	t0 = boottime_ns();
	vlpi_mig_load();
	t1 = boottime_ns();

	ksft_test_result(!vlpi_mig_get_stats(old, &st) &&
			 st0.loaded_ns < t0 && t0 <= st.loaded_ns &&
			 st.loaded_ns <= t1,
			 "STATS loaded_ns tells a reload: %lu before, %lu after, loaded within [%lu, %lu]\n",
			 (unsigned long)st0.loaded_ns,
			 (unsigned long)st.loaded_ns, (unsigned long)t0,
			 (unsigned long)t1);
	vlpi_vm_free(old);

	vms0 = module_vms();
	ok = !get(v, KVM_DEV_ARM_VLPI_MIG_CAPS, &caps) &&
	     !__kvm_has_device_attr(v->gic_fd, GRP, KVM_DEV_ARM_VLPI_MIG_CAPS) &&
	     !get(v, KVM_DEV_ARM_VLPI_MIG_POLICY, &p) &&
	     p == KVM_VLPI_MIG_POLICY_STRICT &&
	     get(v, KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS, &src) == ENODATA &&
	     !vlpi_mig_get_stats(v, &st) && !st.saved_pending &&
	     set(v, 99, &p) == ENXIO && get(v, 99, &p) == ENXIO;
	vms1 = module_vms();
	ksft_test_result(ok && vms1 == vms0,
			 "reads, HAS and an unknown SET on a VM older than the module create no state (VMs %lu -> %lu)\n",
			 (unsigned long)vms0, (unsigned long)vms1);

	p = KVM_VLPI_MIG_POLICY_STRICT;
	ret = set(v, KVM_DEV_ARM_VLPI_MIG_POLICY, &p);
	vms2 = module_vms();
	ksft_test_result(!ret && vms2 == vms0 + 1,
			 "its first POLICY write does (VMs %lu -> %lu)\n",
			 (unsigned long)vms1, (unsigned long)vms2);
	vlpi_vm_free(v);
}

/* The module's reference count; ~0 if unreadable */
static uint64_t module_refs(void)
{
	uint64_t refs;

	return read_u64_file(VLPI_MIG_SYSFS "/refcnt", &refs) ? refs : ~0ull;
}

/* rmmod; loaded again if it went through. 0 or the errno */
static int try_unload(void)
{
	int ret = vlpi_mig_unload();

	if (!ret)
		vlpi_mig_load();
	return ret;
}

/* The refcount once it is back to @refs, or after a second */
static uint64_t refs_back_to(uint64_t refs)
{
	uint64_t now = module_refs();
	int i;

	for (i = 0; i < 100 && now != refs; i++) {
		usleep(10000);
		now = module_refs();
	}
	return now;
}

/* A VM that SET @attr to *@val: rmmod must be refused while it lives */
static struct vlpi_vm *pinned_by(uint64_t attr, uint64_t *val,
				 const char *what, uint64_t refs0)
{
	struct vlpi_vm *v = vlpi_vm_create(1, guest_code);
	uint64_t refs1;
	int ret;

	TEST_ASSERT(!set(v, attr, val), "set %s", what);
	refs1 = module_refs();
	ret = try_unload();
	ksft_test_result(ret == EAGAIN && refs1 == refs0 + 1,
			 "rmmod while a VM holds %s is refused (%s), refcnt %lu -> %lu\n",
			 what, ret ? strerror(ret) : "unloaded!",
			 (unsigned long)refs0, (unsigned long)refs1);
	return v;
}

static void test_pin(uint64_t caps)
{
	uint64_t p = KVM_VLPI_MIG_POLICY_CONSERVATIVE, got = ~0ull;
	uint64_t refs0, refs2;
	struct vlpi_vm *v;

	refs0 = module_refs();
	v = pinned_by(KVM_DEV_ARM_VLPI_MIG_POLICY, &p, "a POLICY", refs0);
	ksft_test_result(!get(v, KVM_DEV_ARM_VLPI_MIG_POLICY, &got) &&
			 got == KVM_VLPI_MIG_POLICY_CONSERVATIVE,
			 "the POLICY survives the attempt (%lu)\n",
			 (unsigned long)got);
	vlpi_vm_free(v);
	refs2 = refs_back_to(refs0);
	ksft_test_result(refs2 == refs0,
			 "the VM's destruction drops its reference (refcnt %lu)\n",
			 (unsigned long)refs2);

	/* Accepted source caps pin it as a POLICY does (uapi/vlpi_mig.h) */
	v = pinned_by(KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS, &caps,
		      "the SOURCE_CAPS it accepted", refs0);
	vlpi_vm_free(v);
	refs_back_to(refs0);
}

static void test_after_run(struct vlpi_vm *v, uint64_t host)
{
	uint64_t p = KVM_VLPI_MIG_POLICY_CONSERVATIVE;

	vlpi_run_to_sync(v->vcpus[0], 1);
	ksft_test_result(set(v, KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS, &host) ==
			 EBUSY,
			 "SOURCE_CAPS written after the VM has run is EBUSY\n");
	ksft_test_result(!set(v, KVM_DEV_ARM_VLPI_MIG_POLICY, &p),
			 "POLICY may still change after the VM has run\n");
}

int main(int argc, char *argv[])
{
	uint64_t host = vlpi_expected_caps(KVM_VLPI_MIG_POLICY_STRICT);
	uint64_t got = ~0ull;
	struct vlpi_vm *v;
	int ret;

	if (!vlpi_mig_test_start(argc, argv))
		ksft_exit_skip("the attributes need the module (-m)\n");
	/* What the bed booted and the module was loaded with */
	ksft_set_plan(35);
	test_no_state();

	v = vlpi_vm_create(1, guest_code);
	ret = get(v, KVM_DEV_ARM_VLPI_MIG_CAPS, &got);
	ksft_test_result(!ret && got == host,
			 "CAPS %#lx, as the command line gives under strict (%#lx)\n",
			 (unsigned long)got, (unsigned long)host);

	test_has_attr(v);
	test_policy(v);
	test_stats(v);
	test_caps(v);
	test_save_action(v);
	test_flags(v);
	test_after_run(v, host);

	vlpi_vm_free(v);
	test_pin(host);
	ksft_finished();
}
