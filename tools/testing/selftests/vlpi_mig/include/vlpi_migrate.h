/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Moving a VM's state to another VM in the same process, as a VMM on
 * another host would receive it: guest RAM, vCPU registers, the GIC CPU
 * interfaces, redistributors and distributor, and the vITS, restored in
 * the order Documentation/virt/kvm/devices/arm-vgic-its.rst gives.
 */
#ifndef SELFTEST_VLPI_MIGRATE_H
#define SELFTEST_VLPI_MIGRATE_H

#include "vlpi_mig_util.h"

/* Source side: KVM_DEV_ARM_ITS_SAVE_TABLES; 0 or the errno */
int vlpi_save_its_tables(struct vlpi_vm *src);
/* Source side: KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES; 0 or the errno */
int vlpi_save_pending_tables(struct vlpi_vm *src);

/*
 * Copy everything but the devices from @src, stopped and saved, to @dst,
 * created alike and never run. Returns 0 or the errno of
 * KVM_DEV_ARM_ITS_RESTORE_TABLES.
 */
int vlpi_migrate_state(struct vlpi_vm *dst, struct vlpi_vm *src);
/* Its two halves: all but the ITS tables, then those and GITS_CTLR */
void vlpi_migrate_prepare(struct vlpi_vm *dst, struct vlpi_vm *src);
int vlpi_migrate_its(struct vlpi_vm *dst, struct vlpi_vm *src);

#endif /* SELFTEST_VLPI_MIGRATE_H */
