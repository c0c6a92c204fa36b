// SPDX-License-Identifier: GPL-2.0-only
/*
 * The module's trace events and a VM's vlpis file in debugfs, read as an
 * administrator reads them; the ITS driver's VMAPP commands, counted by a
 * kprobe event.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm_util.h"

#include "vlpi_observe.h"

#define TRACEFS		"/sys/kernel/tracing"
#define EVENTS		TRACEFS "/events/vlpi_mig/enable"

/*
 * The VMAPP probe records into a trace instance of its own, so that the
 * module's events (the top-level buffer) and it never mix.
 */
#define VMAPP		"vlpi_vmapp"
#define VMAPP_INST	TRACEFS "/instances/vlpi_its"
#define VMAPP_ENABLE	VMAPP_INST "/events/kprobes/" VMAPP "/enable"

/*
 * Timing VMAPPs: every vPE command goes through its_send_single_vcommand(),
 * which builds it, queues it and waits for the ITS; an entry and a return
 * probe around a VMAPP probe, in an instance of their own, bound one.
 */
#define VCMD		"vlpi_vcmd"
#define VCMD_RET	"vlpi_vcmd_ret"
#define VCMD_INST	TRACEFS "/instances/vlpi_vcmd"
#define VCMD_EVENTS	VCMD_INST "/events/kprobes/"

static bool tracefs_mount(void)
{
	return !access(TRACEFS "/trace", F_OK) ||
	       !mount("tracefs", TRACEFS, "tracefs", 0, NULL) || errno == EBUSY;
}

static bool trace_empty(const char *path)
{
	/* Opened for writing with O_TRUNC, a trace file is emptied */
	int fd = open(path, O_WRONLY | O_TRUNC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Mounts tracefs if need be, empties the buffer, enables the events */
bool vlpi_trace_start(void)
{
	if (!tracefs_mount())
		return false;
	return trace_empty(TRACEFS "/trace") &&
	       !write_str_file(TRACEFS "/buffer_size_kb", "1024") &&
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
 * its_build_vmapp_cmd(its, cmd, desc) builds every VMAPP the ITS driver
 * sends; desc->its_vmapp_cmd is { vpe, col, valid } (6.12's
 * drivers/irqchip/irq-gic-v3-its.c), so V sits 16 bytes into the third
 * argument. vlpi_mig_vpe_ops checks the probe against the maps a new VM's
 * vPEs need, so a wrong offset fails there.
 */
static const char vmapp_probe[] =
	"p:" VMAPP " its_build_vmapp_cmd valid=+16(%x2):u8";

/* A trace instance of our own, made once per boot */
static bool trace_instance(const char *path)
{
	return !access(path, F_OK) || !mkdir(path, 0755);
}

/* A kprobe event @name, defined as @def once per boot */
static bool kprobe_defined(const char *name, const char *def)
{
	char path[128];

	snprintf(path, sizeof(path), TRACEFS "/events/kprobes/%s", name);
	/* Without O_TRUNC, kprobe_events keeps the probes it has */
	return !access(path, F_OK) ||
	       !write_str_file(TRACEFS "/kprobe_events", def);
}

/* Defines the probe once per boot, empties its buffer and enables it */
bool vlpi_vmapp_start(void)
{
	if (!tracefs_mount() || !trace_instance(VMAPP_INST) ||
	    !kprobe_defined(VMAPP, vmapp_probe))
		return false;
	return !write_str_file(VMAPP_ENABLE, "0") &&
	       trace_empty(VMAPP_INST "/trace") &&
	       !write_str_file(VMAPP_INST "/tracing_on", "1") &&
	       !write_str_file(VMAPP_ENABLE, "1");
}

/*
 * Lines such as
 *   vlpi_mig_save-93 [001] ..... 41.2: vlpi_vmapp:
 *   (its_build_vmapp_cmd+0x0/0x1c8) valid=0
 * (one line in the file). False if the buffer cannot be read, or lost
 * events (its header then says so).
 */
bool vlpi_vmapp_read(struct vlpi_vmapps *c)
{
	FILE *f = fopen(VMAPP_INST "/trace", "r");
	unsigned long in = 0, written = 1;
	char line[512], *p;
	int v;

	if (!f)
		return false;
	c->maps = 0;
	c->unmaps = 0;
	while (fgets(line, sizeof(line), f)) {
		/* The header says whether the buffer lost events */
		if (sscanf(line, "# entries-in-buffer/entries-written: %lu/%lu",
			   &in, &written) == 2 || line[0] == '#')
			continue;
		p = strstr(line, ": " VMAPP ": ");
		p = p ? strstr(p, " valid=") : NULL;
		if (!p || sscanf(p, " valid=%d", &v) != 1)
			continue;
		if (v)
			c->maps++;
		else
			c->unmaps++;
	}
	fclose(f);
	return in == written && in == c->maps + c->unmaps;
}

void vlpi_vmapp_stop(void)
{
	write_str_file(VMAPP_ENABLE, "0");
}

static const char * const vcmd_events[] = { VCMD, VCMD_RET, VMAPP };

static int vcmd_enable(const char *val)
{
	char path[256];
	unsigned int i;
	int ret = 0;

	for (i = 0; i < ARRAY_SIZE(vcmd_events); i++) {
		snprintf(path, sizeof(path), VCMD_EVENTS "%s/enable",
			 vcmd_events[i]);
		ret |= write_str_file(path, val);
	}
	return ret;
}

bool vlpi_vmapp_time_start(void)
{
	if (!tracefs_mount() || !trace_instance(VCMD_INST) ||
	    !kprobe_defined(VMAPP, vmapp_probe) ||
	    !kprobe_defined(VCMD, "p:" VCMD " its_send_single_vcommand") ||
	    !kprobe_defined(VCMD_RET, "r:" VCMD_RET " its_send_single_vcommand"))
		return false;
	return !vcmd_enable("0") && trace_empty(VCMD_INST "/trace") &&
	       !write_str_file(VCMD_INST "/tracing_on", "1") &&
	       !vcmd_enable("1");
}

/*
 * Lines such as
 *   vlpi_mig_bench-93 [001] ..... 41.234567: vlpi_vcmd: (...)
 * A command is a VMAPP if the VMAPP probe fired on its CPU between its
 * entry and its return. Returns how many durations, at most @max, or -1
 * if the buffer cannot be read or lost events.
 */
int vlpi_vmapp_time_read(double *us, int max)
{
	double entry[256] = { 0 }, ts;
	bool vmapp[256] = { false };
	FILE *f = fopen(VCMD_INST "/trace", "r");
	unsigned long in = 0, written = 1;
	char line[512], name[32], *p, *q;
	int cpu, n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "# entries-in-buffer/entries-written: %lu/%lu",
			   &in, &written) == 2 || line[0] == '#')
			continue;
		p = strstr(line, "] ");
		if (!p)
			continue;
		*p = '\0';
		q = strrchr(line, '[');
		if (!q || sscanf(q + 1, "%d", &cpu) != 1 || cpu < 0 ||
		    cpu >= 256 ||
		    sscanf(p + 2, "%*s %lf: %31[a-z_]:", &ts, name) != 2)
			continue;
		if (!strcmp(name, VCMD)) {
			entry[cpu] = ts;
			vmapp[cpu] = false;
		} else if (!strcmp(name, VMAPP)) {
			vmapp[cpu] = true;
		} else if (!strcmp(name, VCMD_RET) && vmapp[cpu] && n < max) {
			us[n++] = (ts - entry[cpu]) * 1e6;
			vmapp[cpu] = false;
		}
	}
	fclose(f);
	return in == written ? n : -1;
}

void vlpi_vmapp_time_stop(void)
{
	vcmd_enable("0");
}

int vlpi_vm_free_vmapps(struct vlpi_vm *v)
{
	struct vlpi_vmapps c;
	bool ok;

	TEST_ASSERT(vlpi_vmapp_start(), "kprobe on its_build_vmapp_cmd");
	vlpi_vm_free(v);
	ok = vlpi_vmapp_read(&c);
	vlpi_vmapp_stop();
	return ok && !c.maps ? (int)c.unmaps : -1;
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
