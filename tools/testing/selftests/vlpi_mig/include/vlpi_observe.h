/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What an administrator sees of the module: its trace events (tracefs,
 * events/vlpi_mig) and a VM's debugfs file of forwarded vLPIs. And what
 * the GIC was sent: the VMAPP commands the ITS driver built, counted by a
 * kprobe event, so that a test checks vPE unmaps without asking the module.
 */
#ifndef SELFTEST_VLPI_OBSERVE_H
#define SELFTEST_VLPI_OBSERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "vlpi_mig_util.h"

/* How the trace file prints an event's fields (vgic/trace.h's TP_printk) */
#define VLPI_EVENT_FMT \
	"vm %d/%u vcpu %d intid %u host_irq %d pending %d ret %d"

/* One vlpi_mig trace event, as the trace file prints it */
struct vlpi_event {
	char name[24];		/* without the "vlpi_mig_" prefix: save, ... */
	int pid;
	unsigned int vm_id;
	int vcpu;
	unsigned int intid;
	int host_irq;
	int pending;
	int ret;
};

bool vlpi_trace_start(void);
void vlpi_trace_stop(void);
int vlpi_trace_read(struct vlpi_event *evs, int max);
const struct vlpi_event *vlpi_trace_find(const struct vlpi_event *evs, int n,
					 const char *name, unsigned int intid,
					 unsigned int vm_id);

/* VMAPP commands built since vlpi_vmapp_start(): V=1 maps, V=0 unmaps */
struct vlpi_vmapps {
	unsigned int maps;
	unsigned int unmaps;
};

bool vlpi_vmapp_start(void);
bool vlpi_vmapp_read(struct vlpi_vmapps *c);
void vlpi_vmapp_stop(void);
/*
 * Frees @v; returns the vPEs its teardown unmapped (VMAPP V=0), or -1 if
 * the count was lost or it mapped one
 */
int vlpi_vm_free_vmapps(struct vlpi_vm *v);

/*
 * How long the ITS driver took over each VMAPP since
 * vlpi_vmapp_time_start(), from building the command to the ITS having
 * done it (its_send_single_vcommand(), entry to return)
 */
bool vlpi_vmapp_time_start(void);
int vlpi_vmapp_time_read(double *us, int max);
void vlpi_vmapp_time_stop(void);

/* One line of a VM's vlpis file; pending is -1 when never read */
struct vlpi_row {
	unsigned int intid;
	int host_irq;
	int vcpu;
	int pending;
};

int vlpi_debugfs_vlpis(struct vlpi_vm *v, unsigned int *vm_id,
		       struct vlpi_row *rows, int max);
const struct vlpi_row *vlpi_row_find(const struct vlpi_row *rows, int n,
				     unsigned int intid);

#endif /* SELFTEST_VLPI_OBSERVE_H */
