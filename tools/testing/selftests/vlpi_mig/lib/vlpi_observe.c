// SPDX-License-Identifier: GPL-2.0-only
/*
 * The module's trace events and a VM's vlpis file in debugfs, read as an
 * administrator reads them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "kvm_util.h"

#include "vlpi_observe.h"

#define TRACEFS		"/sys/kernel/tracing"
#define EVENTS		TRACEFS "/events/vlpi_mig/enable"

/* Mounts tracefs if need be, empties the buffer, enables the events */
bool vlpi_trace_start(void)
{
	int fd;

	if (access(EVENTS, F_OK) &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY)
		return false;
	/* Opened for writing with O_TRUNC, the trace file is emptied */
	fd = open(TRACEFS "/trace", O_WRONLY | O_TRUNC);
	if (fd < 0)
		return false;
	close(fd);
	return !write_str_file(TRACEFS "/buffer_size_kb", "1024") &&
	       !write_str_file(EVENTS, "1") &&
	       !write_str_file(TRACEFS "/tracing_on", "1");
}

void vlpi_trace_stop(void)
{
	write_str_file(EVENTS, "0");
}

/*
 * Lines such as
 *   vlpi_mig_test-93 [001] ..... 41.2: vlpi_mig_save: vm 93/1 vcpu 0
 *   intid 8192 host_irq 45 pending 1 ret 0
 * (one line in the file); returns how many, at most @max, or -1.
 */
int vlpi_trace_read(struct vlpi_event *evs, int max)
{
	FILE *f = fopen(TRACEFS "/trace", "r");
	char line[512], *p;
	int n = 0;

	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		struct vlpi_event *e = &evs[n];

		/* The event's name, not the task's (this test is vlpi_mig_...) */
		p = strstr(line, ": vlpi_mig_");
		if (!p || line[0] == '#')
			continue;
		if (sscanf(p, ": vlpi_mig_%23[a-z]: " VLPI_EVENT_FMT, e->name,
			   &e->pid, &e->vm_id, &e->vcpu, &e->intid,
			   &e->host_irq, &e->pending, &e->ret) == 8)
			n++;
	}
	fclose(f);
	return n;
}

/* The first event @name for @intid in VM @vm_id (0: any VM) */
const struct vlpi_event *vlpi_trace_find(const struct vlpi_event *evs, int n,
					 const char *name, unsigned int intid,
					 unsigned int vm_id)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(evs[i].name, name) && evs[i].intid == intid &&
		    (!vm_id || evs[i].vm_id == vm_id))
			return &evs[i];
	return NULL;
}

/*
 * The VM's directory is named as KVM names its own: <pid>-<fd>. Returns
 * the number of rows read, at most @max, with the module's id for the VM,
 * or -1 if there is no such file.
 */
int vlpi_debugfs_vlpis(struct vlpi_vm *v, unsigned int *vm_id,
		       struct vlpi_row *rows, int max)
{
	char path[128], line[256], pend[8];
	int pid, n = 0;
	FILE *f;

	snprintf(path, sizeof(path), VLPI_MIG_DEBUGFS "/%d-%d/vlpis",
		 getpid(), v->vm->fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	*vm_id = 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		struct vlpi_row *r = &rows[n];

		if (sscanf(line, "# VM %d, id %u", &pid, vm_id) == 2)
			continue;
		if (line[0] == '#' ||
		    sscanf(line, "%u %d %d %7s", &r->intid, &r->host_irq,
			   &r->vcpu, pend) != 4)
			continue;
		r->pending = !strcmp(pend, "-") ? -1 : atoi(pend);
		n++;
	}
	fclose(f);
	return n;
}

const struct vlpi_row *vlpi_row_find(const struct vlpi_row *rows, int n,
				     unsigned int intid)
{
	int i;

	for (i = 0; i < n; i++)
		if (rows[i].intid == intid)
			return &rows[i];
	return NULL;
}
