// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_unload - rmmod and insmod under load: never a use-after-free,
 * and the VMs alive across it keep working.
 *
 * One vCPU; edu 00:02.0 forwarded as LPI 8192 and pending. Two threads
 * work the module's paths in a loop: one saves (ITS_SAVE_TABLES, then
 * SAVE_PENDING_TABLES), one removes and adds the irqfd (unforward,
 * forward). Meanwhile the module is unloaded and loaded again ROUNDS
 * times; the VM set no POLICY, so nothing pins the module and each rmmod
 * must go through.
 *
 * While the module is out the vGIC is upstream's: unforward drops the
 * pending state, and on GICv4.0 the ITS save refuses forwarded ITEs
 * (EACCES; on GICv4.1 upstream saves them). So the pending save must
 * return 0 throughout, the ITS save 0 (or EACCES on GICv4.0). The
 * module back, the VM that lived through it all keeps a raised MSI across
 * a save and a rebuilt forwarding and takes it exactly once (on GICv4.1),
 * and STATS and CAPS answer it. The kernel's console (KASAN, lockdep,
 * kmemleak) is checked by make check.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_mig_util.h"
#include "vlpi_migrate.h"

#define BDF		"0000:00:02.0"
#define ROUNDS		10

static struct vlpi_vm *vm;
static int efd;
static bool gicv4_1;
static atomic_bool stop;
static atomic_uint saves, pend_bad, its_bad, cycles;
static atomic_int last_bad;

static void *save_loop(void *arg)
{
	while (!atomic_load(&stop)) {
		int its = vlpi_save_its_tables(vm);
		int pend = vlpi_save_pending_tables(vm);

		if (its && (gicv4_1 || its != EACCES)) {
			atomic_fetch_add(&its_bad, 1);
			atomic_store(&last_bad, its);
		}
		if (pend) {
			atomic_fetch_add(&pend_bad, 1);
			atomic_store(&last_bad, pend);
		}
		atomic_fetch_add(&saves, 1);
	}
	return NULL;
}

static void *cycle_loop(void *arg)
{
	while (!atomic_load(&stop)) {
		vlpi_irqfd(vm, 0, efd, false);
		vlpi_irqfd(vm, 0, efd, true);
		atomic_fetch_add(&cycles, 1);
	}
	return NULL;
}

int main(int argc, char *argv[])
{
	unsigned int unloaded = 0, refused = 0, i;
	struct kvm_vlpi_mig_stats st;
	pthread_t saver, cycler;
	uint64_t caps;
	struct edu edu;
	int its, pend, ret, err = 0;

	if (!vlpi_mig_test_start(argc, argv))
		ksft_exit_skip("unloads the module (-m)\n");
	if (!edu_open(&edu, BDF))
		ksft_exit_skip("%s is not bound to vfio-pci\n", BDF);
	ksft_set_plan(6);

	gicv4_1 = vlpi_host_gicv4_1();
	vm = vlpi_edu_vm_create(1, &edu, true, &efd);

	pthread_create(&saver, NULL, save_loop, NULL);
	pthread_create(&cycler, NULL, cycle_loop, NULL);
	for (i = 0; i < ROUNDS; i++) {
		usleep(50000);
		ret = vlpi_mig_unload();
		if (ret) {
			refused++;
			err = ret;
			continue;
		}
		unloaded++;
		usleep(20000);
		vlpi_mig_load();
	}
	usleep(50000);
	atomic_store(&stop, true);
	pthread_join(saver, NULL);
	pthread_join(cycler, NULL);

	ksft_print_msg("%u saves and %u irqfd cycles across %u unloads\n",
		       atomic_load(&saves), atomic_load(&cycles), unloaded);
	ksft_test_result(unloaded == ROUNDS,
			 "rmmod went through every time, nothing pinning it (%u of %u%s%s)\n",
			 unloaded, ROUNDS, refused ? ", last error " : "",
			 refused ? strerror(err) : "");
	ksft_test_result(!atomic_load(&pend_bad),
			 "SAVE_PENDING_TABLES returned 0 throughout (%u other)\n",
			 atomic_load(&pend_bad));
	ksft_test_result(!atomic_load(&its_bad),
			 "ITS_SAVE_TABLES returned 0%s throughout (%u other%s%s)\n",
			 gicv4_1 ? "" : " or EACCES",
			 atomic_load(&its_bad), atomic_load(&its_bad) ? ", e.g. " : "",
			 atomic_load(&its_bad) ? strerror(atomic_load(&last_bad)) : "");

	/*
	 * The module back, a VMM's stop and a rebuilt forwarding keep the
	 * device's next MSI, taken once: the vCPU first takes whatever the
	 * reloads left pending, then the device raises with the vCPU out, the
	 * VMM saves both tables, removes the irqfd and adds it again. Until
	 * then only the saves reached a hook of the module's that may sleep:
	 * they, not a query, must set up its state of a VM older than the
	 * module. On GICv4.1, where a save reads the VPT, as the plans run it.
	 */
	if (gicv4_1) {
		vlpi_run_to_sync(vm->vcpus[0], 2);
		edu_raise(&edu, 1);
		edu_ack(&edu, 1);
		its = vlpi_save_its_tables(vm);
		pend = vlpi_save_pending_tables(vm);
		vlpi_irqfd(vm, 0, efd, false);
		vlpi_irqfd(vm, 0, efd, true);
		vlpi_delivered_reset(vm);
		vlpi_run_to_sync(vm->vcpus[0], 2);
		vlpi_delivered_sync(vm);
		ksft_test_result(!its && !pend && vlpi_delivered[0] == 1,
				 "after the reloads: saved (ITS %s, pending %s), irqfd removed and added, LPI 8192 taken %u time(s) (want 1)\n",
				 strerror(its), strerror(pend),
				 vlpi_delivered[0]);
	} else {
		ksft_test_result_skip("the MSI kept across a rebuilt forwarding: GICv4.1 only\n");
	}

	ret = vlpi_mig_get_stats(vm, &st);
	ksft_test_result(!ret && st.forwarded == 1,
			 "the reloaded module's STATS (%s): forwarded %lu, want 1\n",
			 strerror(ret), (unsigned long)st.forwarded);

	caps = ~0ull;
	ret = __kvm_device_attr_get(vm->gic_fd, KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
				    KVM_DEV_ARM_VLPI_MIG_CAPS, &caps) ? errno : 0;
	ksft_test_result(!ret && caps == vlpi_expected_caps(KVM_VLPI_MIG_POLICY_STRICT),
			 "the reloaded module answers the VM: CAPS %#lx (%s), want %#lx\n",
			 (unsigned long)caps, strerror(ret),
			 (unsigned long)vlpi_expected_caps(KVM_VLPI_MIG_POLICY_STRICT));
	vlpi_edu_vm_free(vm, &edu, efd);
	edu_close(&edu);
	ksft_finished();
}
