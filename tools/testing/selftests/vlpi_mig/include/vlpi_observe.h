/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What an administrator sees of the module: its trace events (tracefs,
 * events/vlpi_mig) and a VM's debugfs file of forwarded vLPIs.
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
