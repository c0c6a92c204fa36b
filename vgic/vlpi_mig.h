/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vlpi-mig: state shared by the files of the module.
 */
#ifndef __VLPI_MIG_H
#define __VLPI_MIG_H

#include <linux/kvm_types.h>
#include <linux/list.h>
#include <linux/types.h>

#include <kvm/arm_vgic_mig.h>

#include "../irqchip/vpt.h"

struct kvm;
struct kvm_device;
struct kvm_device_attr;

/**
 * struct vlpi_mig_host - what this host can do, fixed at module load
 * @info: how the host vGIC uses GICv4
 * @vpt_mode: how VPTs may be read
 * @caps: the KVM_VLPI_MIG_CAP_* bits reported to VMMs
 */
struct vlpi_mig_host {
	struct vgic_mig_host_info info;
	enum vlpi_mig_vpt_mode vpt_mode;
	u64 caps;
};

extern struct vlpi_mig_host vlpi_mig_host;

/**
 * struct vlpi_mig_vm - the module's state for one VM
 * @node: entry in the list of VMs, under vlpi_mig_vms_lock
 * @kvm: the VM; never dereferenced after vlpi_mig_vm_destroy()
 */
struct vlpi_mig_vm {
	struct list_head node;
	struct kvm *kvm;
};

/* vm.c */
struct vlpi_mig_vm *vlpi_mig_vm_get(struct kvm *kvm);
void vlpi_mig_vm_destroy(struct kvm *kvm);
void vlpi_mig_vm_free_all(void);
unsigned int vlpi_mig_vm_count(void);

/* attr.c */
u64 vlpi_mig_caps(const struct vgic_mig_host_info *info,
		  enum vlpi_mig_vpt_mode mode);
int vlpi_mig_get_attr(struct kvm_device *dev, struct kvm_device_attr *attr);
int vlpi_mig_has_attr(struct kvm_device *dev, struct kvm_device_attr *attr);

/* pendtable.c */
size_t vlpi_mig_pendtable_size(unsigned int idbits);
int vlpi_mig_pendtable_locate(u64 pendbaser, u32 intid, unsigned int idbits,
			      gpa_t *gpa, u8 *bit);

#endif /* __VLPI_MIG_H */
