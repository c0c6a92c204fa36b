// SPDX-License-Identifier: GPL-2.0-only
/*
 * Moving a VM's state to another VM in the same process.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/hashtable.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vlpi_migrate.h"

#define SYSREG_ENC(op0, op1, crn, crm, op2) \
	(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))

/* The GIC CPU interface, in an order KVM accepts on restore */
static const uint64_t icc_regs[] = {
	SYSREG_ENC(3, 0, 12, 12, 5),	/* ICC_SRE_EL1 */
	SYSREG_ENC(3, 0, 12, 12, 4),	/* ICC_CTLR_EL1 */
	SYSREG_ENC(3, 0, 4, 6, 0),	/* ICC_PMR_EL1 */
	SYSREG_ENC(3, 0, 12, 8, 3),	/* ICC_BPR0_EL1 */
	SYSREG_ENC(3, 0, 12, 12, 3),	/* ICC_BPR1_EL1 */
	SYSREG_ENC(3, 0, 12, 8, 4),	/* ICC_AP0R0_EL1 */
	SYSREG_ENC(3, 0, 12, 9, 0),	/* ICC_AP1R0_EL1 */
	SYSREG_ENC(3, 0, 12, 12, 6),	/* ICC_IGRPEN0_EL1 */
	SYSREG_ENC(3, 0, 12, 12, 7),	/* ICC_IGRPEN1_EL1 */
};

/* Redistributor registers, 32 bits at a time; EnableLPIs last */
static const uint32_t gicr_regs[] = {
	0x70, 0x74,			/* GICR_PROPBASER */
	0x78, 0x7c,			/* GICR_PENDBASER */
	0x00,				/* GICR_CTLR */
};

#define GITS_REG_CTLR		0x0000
#define GITS_REG_IIDR		0x0004
#define GITS_REG_CBASER		0x0080
#define GITS_REG_CWRITER	0x0088
#define GITS_REG_CREADR		0x0090
#define GITS_REG_BASER(n)	(0x0100 + 8 * (n))

/* GITS registers but CTLR, CBASER first, as the uAPI asks */
static const uint64_t gits_regs[] = {
	GITS_REG_IIDR, GITS_REG_CBASER, GITS_REG_CREADR, GITS_REG_CWRITER,
	GITS_REG_BASER(0), GITS_REG_BASER(1), GITS_REG_BASER(2),
	GITS_REG_BASER(3), GITS_REG_BASER(4), GITS_REG_BASER(5),
	GITS_REG_BASER(6), GITS_REG_BASER(7),
};

static int ctrl(int fd, uint64_t attr)
{
	return __kvm_device_attr_set(fd, KVM_DEV_ARM_VGIC_GRP_CTRL, attr,
				     NULL) ? errno : 0;
}

int vlpi_save_its_tables(struct vlpi_vm *src)
{
	return ctrl(src->its_fd, KVM_DEV_ARM_ITS_SAVE_TABLES);
}

int vlpi_save_pending_tables(struct vlpi_vm *src)
{
	return ctrl(src->gic_fd, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES);
}

/*
 * Something no real VMM meets: each ucall slot of the selftest library,
 * in guest RAM, holds its own host virtual address. A copied slot would
 * send the destination's ucalls to the source's memory. Find the slots by
 * that self-reference and point them at their copies.
 */
static void rebase_ucalls(struct userspace_mem_region *d,
			  struct userspace_mem_region *s)
{
	const size_t off = offsetof(struct ucall, hva);
	uint64_t n = s->region.memory_size;
	uint8_t *sm = s->host_mem, *dm = d->host_mem;
	uint64_t i;

	for (i = off; i + sizeof(uint64_t) <= n; i += sizeof(uint64_t)) {
		uint64_t self = (uint64_t)(sm + i - off);

		if (*(uint64_t *)(sm + i) == self)
			*(uint64_t *)(dm + i) = (uint64_t)(dm + i - off);
	}
}

static void copy_memory(struct kvm_vm *dst, struct kvm_vm *src)
{
	struct userspace_mem_region *s, *d;
	int bkt;

	hash_for_each(src->regions.slot_hash, bkt, s, slot_node) {
		d = memslot2region(dst, s->region.slot);
		TEST_ASSERT(d->region.guest_phys_addr ==
			    s->region.guest_phys_addr &&
			    d->region.memory_size == s->region.memory_size,
			    "memslot %u differs", s->region.slot);
		memcpy(d->host_mem, s->host_mem, s->region.memory_size);
		rebase_ucalls(d, s);
	}
}

static void copy_vcpu_regs(struct kvm_vcpu *dst, struct kvm_vcpu *src)
{
	struct kvm_reg_list *list = vcpu_get_reg_list(src);
	uint8_t buf[256];
	uint64_t i;

	for (i = 0; i < list->n; i++) {
		struct kvm_one_reg reg = {
			.id = list->reg[i],
			.addr = (uint64_t)buf,
		};

		TEST_ASSERT(KVM_REG_SIZE(reg.id) <= sizeof(buf),
			    "register %#lx too large", (unsigned long)reg.id);
		vcpu_ioctl(src, KVM_GET_ONE_REG, &reg);
		vcpu_ioctl(dst, KVM_SET_ONE_REG, &reg);
	}
	free(list);
}

/* The attribute's MPIDR field: Aff3.Aff2.Aff1.Aff0 */
static uint64_t vcpu_mpidr_attr(struct kvm_vcpu *vcpu)
{
	uint64_t mpidr;

	vcpu_get_reg(vcpu, ARM64_SYS_REG(3, 0, 0, 0, 5), &mpidr);
	return ((mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000)) << 32;
}

/*
 * KVM reads and writes only the attribute's own width (32 bits for the
 * distributor and redistributor, 64 for the rest); a zeroed u64 holds
 * either on this little-endian host.
 */
static void copy_attr(int dst_fd, int src_fd, uint32_t group, uint64_t attr)
{
	uint64_t val = 0;

	kvm_device_attr_get(src_fd, group, attr, &val);
	kvm_device_attr_set(dst_fd, group, attr, &val);
}

void vlpi_migrate_prepare(struct vlpi_vm *dst, struct vlpi_vm *src)
{
	unsigned int cpu, i;

	/* a) guest memory and vCPUs */
	copy_memory(dst->vm, src->vm);
	for (cpu = 0; cpu < src->nr_vcpus; cpu++)
		copy_vcpu_regs(dst->vcpus[cpu], src->vcpus[cpu]);

	/* b) the GIC: CPU interfaces, distributor, redistributors */
	for (cpu = 0; cpu < src->nr_vcpus; cpu++) {
		uint64_t mpidr = vcpu_mpidr_attr(src->vcpus[cpu]);

		for (i = 0; i < ARRAY_SIZE(icc_regs); i++)
			copy_attr(dst->gic_fd, src->gic_fd,
				  KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
				  mpidr | icc_regs[i]);
	}
	copy_attr(dst->gic_fd, src->gic_fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0);
	for (cpu = 0; cpu < src->nr_vcpus; cpu++) {
		uint64_t mpidr = vcpu_mpidr_attr(src->vcpus[cpu]);

		for (i = 0; i < ARRAY_SIZE(gicr_regs); i++)
			copy_attr(dst->gic_fd, src->gic_fd,
				  KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
				  mpidr | gicr_regs[i]);
	}

	/* c) the ITS base address was given when @dst was created */

	/* d) the ITS: registers but CTLR */
	for (i = 0; i < ARRAY_SIZE(gits_regs); i++)
		copy_attr(dst->its_fd, src->its_fd,
			  KVM_DEV_ARM_VGIC_GRP_ITS_REGS, gits_regs[i]);
}

int vlpi_migrate_its(struct vlpi_vm *dst, struct vlpi_vm *src)
{
	int ret;

	/* e) the ITS tables, then CTLR */
	ret = ctrl(dst->its_fd, KVM_DEV_ARM_ITS_RESTORE_TABLES);
	copy_attr(dst->its_fd, src->its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
		  GITS_REG_CTLR);
	return ret;
}

int vlpi_migrate_state(struct vlpi_vm *dst, struct vlpi_vm *src)
{
	vlpi_migrate_prepare(dst, src);
	return vlpi_migrate_its(dst, src);
}
