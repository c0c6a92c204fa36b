/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vlpi-mig: trace events, one per forwarded vLPI the module handles.
 *
 * Each carries the VM (its creator's pid, as the module's log lines name
 * it, and the module's id for it, as its debugfs directory shows it; 0
 * for a VM the module keeps no state for), the vCPU the LPI targets (-1:
 * none), the INTID, the host IRQ (-1: none), the pending state (-1: not
 * known) and an errno (0: done as described):
 *
 * vlpi_mig_save	the state a save gives the vLPI; a non-zero ret is the
 *			VPT read's error, the latch's state being saved instead
 * vlpi_mig_skip	the save could not write it: -ENOENT, LPIs off;
 *			-EFAULT, the table byte (or, in a one-pass save, the
 *			whole table: the INTID is its first) is not guest RAM
 * vlpi_mig_refuse	the ITS save refused because of it (-EACCES)
 * vlpi_mig_restore	forwarding set up with a pending latch: 0, the state
 *			moved to the ITS; -EBUSY, its vCPU runs and the vGIC
 *			moves it; another errno, the ITS refused it
 * vlpi_mig_unforward	forwarding torn down: 0, pending read and kept as
 *			the vGIC keeps it; -EBUSY, its vPE was resident;
 *			-EOPNOTSUPP, this host or policy reads no VPT here
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vlpi_mig

#if !defined(__VLPI_MIG_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define __VLPI_MIG_TRACE_H

#include <linux/kvm_host.h>
#include <linux/tracepoint.h>

#include "vlpi_mig.h"

/* @vm and @vcpu may be NULL; @vcpu is the LPI's target, read under its irq_lock */
DECLARE_EVENT_CLASS(vlpi_mig_vlpi,
		    TP_PROTO(const struct kvm *kvm, const struct vlpi_mig_vm *vm,
			     const struct kvm_vcpu *vcpu, u32 intid,
			     int host_irq, int pending, int ret),
		    TP_ARGS(kvm, vm, vcpu, intid, host_irq, pending, ret),
		    TP_STRUCT__entry(__field(pid_t, pid)
				     __field(u32, vm_id)
				     __field(int, vcpu)
				     __field(u32, intid)
				     __field(int, host_irq)
				     __field(int, pending)
				     __field(int, ret)),
		    TP_fast_assign(__entry->pid = kvm->userspace_pid;
				   __entry->vm_id = vm ? vm->id : 0;
				   __entry->vcpu = vcpu ? vcpu->vcpu_id : -1;
				   __entry->intid = intid;
				   __entry->host_irq = host_irq;
				   __entry->pending = pending;
				   __entry->ret = ret;),
		    TP_printk("vm %d/%u vcpu %d intid %u host_irq %d pending %d ret %d",
			      __entry->pid, __entry->vm_id, __entry->vcpu,
			      __entry->intid, __entry->host_irq,
			      __entry->pending, __entry->ret));

#define VLPI_MIG_EVENT(name)						\
DEFINE_EVENT(vlpi_mig_vlpi, name,					\
	TP_PROTO(const struct kvm *kvm, const struct vlpi_mig_vm *vm,	\
		 const struct kvm_vcpu *vcpu, u32 intid, int host_irq,	\
		 int pending, int ret),					\
	TP_ARGS(kvm, vm, vcpu, intid, host_irq, pending, ret))

VLPI_MIG_EVENT(vlpi_mig_save);
VLPI_MIG_EVENT(vlpi_mig_skip);
VLPI_MIG_EVENT(vlpi_mig_refuse);
VLPI_MIG_EVENT(vlpi_mig_restore);
VLPI_MIG_EVENT(vlpi_mig_unforward);

#endif /* __VLPI_MIG_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
