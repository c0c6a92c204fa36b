/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the vlpi-mig selftests, on top of the KVM selftest
 * library.
 */
#ifndef SELFTEST_VLPI_MIG_UTIL_H
#define SELFTEST_VLPI_MIG_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm_util.h"

#include "vlpi_mig.h"

#define VLPI_MIG_DEBUGFS	"/sys/kernel/debug/vlpi_mig"
#define VLPI_MIG_SYSFS		"/sys/module/vlpi_mig"

/* A VM with vGICv3 and a vITS, as every test here uses */
struct vlpi_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu **vcpus;
	unsigned int nr_vcpus;
	int gic_fd;
	int its_fd;
};

struct vlpi_vm *vlpi_vm_create(unsigned int nr_vcpus, void *guest_code);
void vlpi_vm_free(struct vlpi_vm *v);

bool vlpi_mig_loaded(void);
/*
 * Parse -m (the module is loaded) or -n (it is not), print the TAP header
 * and fail unless the module's state is the one the test was told.
 * Returns true for -m.
 */
bool vlpi_mig_test_start(int argc, char *argv[]);
/* Read a number from a sysfs or debugfs file; false if it can't be read */
bool read_u64_file(const char *path, uint64_t *val);
#define VLPI_MIG_KO		"/modules/vlpi_mig.ko"
/* rmmod vlpi_mig without waiting; 0 or the errno (EAGAIN: in use) */
int vlpi_mig_unload(void);
/* insmod the bed's vlpi_mig.ko */
void vlpi_mig_load(void);
/*
 * Arm one of the module's fault points (debugfs vlpi_mig/NAME) for the
 * next @times calls (-1: every call), quietly; 0 or the errno
 */
int vlpi_mig_arm_fault(const char *name, int times);
/* Write a string to a sysfs or debugfs file; 0 or the errno */
int write_str_file(const char *path, const char *str);
/* Set the module's default_policy parameter; 0 or the errno */
int vlpi_mig_set_default_policy(unsigned int policy);
/* Read a bool module parameter ("Y"/"N") */
bool read_bool_param(const char *path, bool *val);
/*
 * An LPI's software pending latch and HW (forwarded) flag, from KVM's
 * vgic-state debugfs file; false if the LPI isn't listed
 */
bool vgic_lpi_state(struct kvm_vm *vm, uint32_t intid, bool *pending,
		    bool *hw);
/*
 * The same for an interrupt of @type ("SGI", "PPI", "SPI", "LPI") whose
 * target is vCPU @vcpu (any, if -1)
 */
bool vgic_irq_state(struct kvm_vm *vm, const char *type, uint32_t intid,
		    int vcpu, bool *pending, bool *hw);
/* The module's debugfs counters, summed over this process's VMs */
struct vlpi_stats {
	uint64_t forwarded;
	uint64_t saved_pending;
	uint64_t skipped;
	uint64_t refused;
	uint64_t restored;
	uint64_t kept;
	uint64_t unforward_running;
	uint64_t restore_busy;
	uint64_t unreadable;
	uint64_t full_saves;
};

bool vlpi_mig_read_stats(struct vlpi_stats *st);
/* The module's STATS attribute of @v's vGIC; 0 or the errno */
int vlpi_mig_get_stats(struct vlpi_vm *v, struct kvm_vlpi_mig_stats *st);

/* Run @vcpu until its next GUEST_SYNC, which must be @stage */
void vlpi_run_to_sync(struct kvm_vcpu *vcpu, uint64_t stage);
/* Whether the kernel command line holds @word */
bool cmdline_has(const char *word);
/*
 * Whether the host's GIC is a GICv4.1, as the bed that booted it says on
 * the kernel command line (vlpi_host_gic=4.0 or 4.1); fails the test if
 * it says neither
 */
bool vlpi_host_gicv4_1(void);

/*
 * A fuzzer's seed when no -s gives one: vlpi_seed= on the command line
 * (make check SEED=N, to replay a run), else a new one each run
 */
uint64_t vlpi_fuzz_seed(void);
/*
 * Part K of N of a fuzzer's run (vlpi_fuzz_part=K/N on the command line,
 * make fuzz PART=K/N): of the run's *@nr sequences from *@seed, only the
 * K-th of N equal slices, so that the N parts of one seed run the same
 * sequences as the whole run. Leaves both alone without the word.
 */
void vlpi_fuzz_slice(uint64_t *seed, int *nr);
/*
 * The vPEs a pending-table save unmaps on this host for a VM of
 * @nr_vcpus, with the module or without: each of them on GICv4.1 (VMAPP
 * with V=0 makes its VPT coherent), none on GICv4.0
 */
unsigned int vlpi_save_vpe_unmaps(unsigned int nr_vcpus);
/*
 * Whether the module can read vLPI state on this host, by what the bed
 * booted: a GICv4.1
 */
bool vlpi_vpt_readable(void);

/*
 * The CAPS a VM under @policy should read, worked out from the command
 * line the bed booted and the GIC it emulates, never from the module's
 * answer. The plans load the module with its default policy, strict.
 */
uint64_t vlpi_expected_caps(uint64_t policy);
/*
 * The KVM_VLPI_MIG_SAVE_* a VM under @policy should read, worked out as
 * vlpi_expected_caps() is
 */
uint64_t vlpi_expected_save_action(uint64_t policy);

#endif /* SELFTEST_VLPI_MIG_UTIL_H */
