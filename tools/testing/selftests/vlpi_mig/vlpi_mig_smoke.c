// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_smoke - a VM with vGICv3 + vITS, seen with and without the
 * vlpi_mig module.
 *
 * With the module loaded (-m), the KVM_DEV_ARM_VGIC_GRP_VLPI_MIG group is
 * there, CAPS says what the host command line and module parameters say,
 * bad requests get their errno, and the module's state for the VM lives
 * exactly as long as the VM. Without it (-n), the group is absent, as on
 * upstream 6.12. In both, the vGIC's own attributes answer as upstream.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vlpi_mig_util.h"

static void guest_code(void)
{
	GUEST_DONE();
}

static void upstream_attrs_unchanged(struct vlpi_vm *v)
{
	ksft_test_result(!__kvm_has_device_attr(v->gic_fd,
						KVM_DEV_ARM_VGIC_GRP_CTRL,
						KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES),
			 "vGIC still has SAVE_PENDING_TABLES\n");
	ksft_test_result(__kvm_has_device_attr(v->gic_fd,
					       KVM_DEV_ARM_VGIC_GRP_ITS_REGS + 100,
					       0) == -1 && errno == ENXIO,
			 "an unknown vGIC group is still ENXIO\n");
}

static void with_module(void)
{
	uint64_t vms_before, vms_during = 0, vms_after = ~0ull;
	uint64_t want = vlpi_expected_caps(KVM_VLPI_MIG_POLICY_STRICT);
	uint64_t caps = ~0ull, dbg_caps = ~0ull;
	struct vlpi_vm *v;
	int ret;

	ksft_set_plan(9);

	TEST_ASSERT(read_u64_file(VLPI_MIG_DEBUGFS "/vms", &vms_before),
		    "read " VLPI_MIG_DEBUGFS "/vms");
	v = vlpi_vm_create(2, guest_code);

	ret = __kvm_has_device_attr(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
				    KVM_DEV_ARM_VLPI_MIG_CAPS);
	ksft_test_result(!ret, "HAS_DEVICE_ATTR(VLPI_MIG, CAPS) = %d\n", ret);

	ret = __kvm_device_attr_get(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
				    KVM_DEV_ARM_VLPI_MIG_CAPS, &caps);
	ksft_test_result(!ret && caps == want,
			 "CAPS = %#lx, expected %#lx from the command line and parameters\n",
			 (unsigned long)caps, (unsigned long)want);

	ksft_test_result(read_u64_file(VLPI_MIG_DEBUGFS "/caps", &dbg_caps) &&
			 dbg_caps == caps,
			 "CAPS agrees with the module's debugfs (%#lx)\n",
			 (unsigned long)dbg_caps);

	ret = __kvm_has_device_attr(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
				    0x1234);
	ksft_test_result(ret == -1 && errno == ENXIO,
			 "unknown attribute in the group is ENXIO\n");

	ret = __kvm_device_attr_get(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
				    KVM_DEV_ARM_VLPI_MIG_CAPS, (void *)8);
	ksft_test_result(ret == -1 && errno == EFAULT,
			 "CAPS into a bad pointer is EFAULT\n");

	ret = __kvm_device_attr_set(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
				    KVM_DEV_ARM_VLPI_MIG_SOURCE_CAPS, &caps);
	ksft_test_result(!ret, "this host's CAPS, as a source's, accepted before the VM runs\n");

	upstream_attrs_unchanged(v);

	read_u64_file(VLPI_MIG_DEBUGFS "/vms", &vms_during);
	vlpi_vm_free(v);
	read_u64_file(VLPI_MIG_DEBUGFS "/vms", &vms_after);
	ksft_test_result(vms_during == vms_before + 1 &&
			 vms_after == vms_before,
			 "per-VM state: %lu before, %lu while the VM lives, %lu after\n",
			 (unsigned long)vms_before, (unsigned long)vms_during,
			 (unsigned long)vms_after);
}

static void without_module(void)
{
	struct vlpi_vm *v;
	uint64_t caps;
	int ret;

	ksft_set_plan(4);

	v = vlpi_vm_create(2, guest_code);

	ret = __kvm_has_device_attr(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
				    KVM_DEV_ARM_VLPI_MIG_CAPS);
	ksft_test_result(ret == -1 && errno == ENXIO,
			 "without the module, HAS_DEVICE_ATTR(VLPI_MIG) is ENXIO\n");

	ret = __kvm_device_attr_get(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
				    KVM_DEV_ARM_VLPI_MIG_CAPS, &caps);
	ksft_test_result(ret == -1 && errno == ENXIO,
			 "without the module, GET_DEVICE_ATTR(VLPI_MIG) is ENXIO\n");

	upstream_attrs_unchanged(v);
	vlpi_vm_free(v);
}

int main(int argc, char *argv[])
{
	if (vlpi_mig_test_start(argc, argv))
		with_module();
	else
		without_module();

	ksft_finished();
}
