// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_lockdep - the vGIC's save holds every vcpu->mutex of a VM, and
 * lockdep must survive it on a VM with more vCPUs than it can track.
 *
 * KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES and KVM_DEV_ARM_ITS_SAVE_TABLES take
 * every vCPU's mutex under kvm->lock. Linux 6.12 took them without telling
 * lockdep they nest under kvm->lock: past 48 vCPUs lockdep reports
 * "BUG: MAX_LOCK_DEPTH too low!" and turns itself off for the rest of the
 * boot, so every later test runs without lock checking. The series carries
 * upstream's nest-locked kvm_trylock_all_vcpus().
 *
 * A VM with 64 vCPUs, vGICv3 and a vITS, vCPU 0 having mapped edu 00:02.0's
 * MSI as LPI 8192, forwarded and pending: both saves, then the irqfd
 * deassigned (unforward, no vCPU running), and lockdep still on afterwards
 * (/proc/lockdep_stats: debug_locks).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_mig_util.h"
#include "vlpi_migrate.h"

#define NR_VCPUS	64
#define LOCKDEP_STATS	"/proc/lockdep_stats"
#define BDF		"0000:00:02.0"

static const struct vlpi_msi msi = { 0, 0 };

static void guest_code(void)
{
	vlpi_guest_gic_init();
	vlpi_guest_its_setup(&msi, 1, 0);
	GUEST_DONE();
}

/* A "name: value" line of /proc/lockdep_stats; false if it has none */
static bool lockdep_stat(const char *name, unsigned long *val)
{
	char line[256], *colon;
	bool found = false;
	FILE *f;

	f = fopen(LOCKDEP_STATS, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		found = !strcmp(line + strspn(line, " "), name) &&
			sscanf(colon + 1, "%lu", val) == 1;
	}
	fclose(f);
	return found;
}

int main(int argc, char *argv[])
{
	unsigned long on = 0, depth = 0;
	bool forwarded, pending = false, hw = true, saved;
	bool readable = vlpi_vpt_readable();
	struct vlpi_vm *v;
	struct edu edu;
	int ret, efd;

	vlpi_mig_test_start(argc, argv);
	if (!lockdep_stat("debug_locks", &on))
		ksft_exit_skip("no %s: lockdep is not built in\n", LOCKDEP_STATS);
	if (!edu_open(&edu, BDF))
		ksft_exit_skip("%s is not bound to vfio-pci\n", BDF);
	ksft_set_plan(6);
	ksft_test_result(on == 1, "lockdep on before the test (debug_locks %lu)\n",
			 on);

	v = vlpi_its_vm_create(NR_VCPUS, guest_code);
	vcpu_run(v->vcpus[0]);
	TEST_ASSERT_EQ(get_ucall(v->vcpus[0], NULL), UCALL_DONE);
	efd = vlpi_forward_edu(v, &edu, &msi);
	forwarded = host_irq_forwarded(edu_host_irq(&edu));
	ksft_test_result(forwarded, "edu's MSI forwarded to vCPU 0 of %d\n",
			 NR_VCPUS);
	edu_raise(&edu, 1);
	edu_ack(&edu, 1);

	ret = vlpi_save_its_tables(v);
	ksft_test_result(!ret, "KVM_DEV_ARM_ITS_SAVE_TABLES with %d vCPUs: %s\n",
			 NR_VCPUS, strerror(ret));
	/* The device raised it: saved, and kept, where the VPT is readable */
	ret = vlpi_save_pending_tables(v);
	saved = vlpi_pend_bit(vlpi_pend_table(v, 0), VLPI_LPI_BASE);
	ksft_test_result(!ret && saved == readable,
			 "KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES with %d vCPUs: %s, LPI %u saved %d (want %d)\n",
			 NR_VCPUS, strerror(ret), VLPI_LPI_BASE, saved,
			 readable);
	vlpi_irqfd(v, 0, efd, false);
	vgic_lpi_state(v->vm, VLPI_LPI_BASE, &pending, &hw);
	ksft_test_result(!hw && pending == readable,
			 "unforwarded with %d vCPUs (LPI %u now %spending in software, want %spending)\n",
			 NR_VCPUS, VLPI_LPI_BASE, pending ? "" : "not ",
			 readable ? "" : "not ");

	edu_close(&edu);
	close(efd);
	vlpi_vm_free(v);

	on = 0;
	lockdep_stat("debug_locks", &on);
	lockdep_stat("max locking depth", &depth);
	ksft_test_result(on == 1,
			 "lockdep still on after holding %d vcpu->mutex (debug_locks %lu, max depth %lu)\n",
			 NR_VCPUS, on, depth);
	ksft_finished();
}
