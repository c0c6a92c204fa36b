// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers shared by the vlpi-mig selftests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vlpi_mig_util.h"

struct vlpi_vm *vlpi_vm_create(unsigned int nr_vcpus, void *guest_code)
{
	struct vlpi_vm *v = calloc(1, sizeof(*v));

	TEST_ASSERT(v, "calloc");
	v->nr_vcpus = nr_vcpus;
	v->vcpus = calloc(nr_vcpus, sizeof(*v->vcpus));
	TEST_ASSERT(v->vcpus, "calloc");

	v->vm = vm_create_with_vcpus(nr_vcpus, guest_code, v->vcpus);
	v->gic_fd = vgic_v3_setup(v->vm, nr_vcpus, 64);
	__TEST_REQUIRE(v->gic_fd >= 0, "Failed to create vgic-v3, skipping");
	v->its_fd = vgic_its_setup(v->vm);
	return v;
}

void vlpi_vm_free(struct vlpi_vm *v)
{
	close(v->its_fd);
	close(v->gic_fd);
	kvm_vm_free(v->vm);
	free(v->vcpus);
	free(v);
}

bool vlpi_mig_loaded(void)
{
	return !access(VLPI_MIG_SYSFS, F_OK);
}

bool read_u64_file(const char *path, uint64_t *val)
{
	FILE *f = fopen(path, "r");
	int n;

	if (!f)
		return false;
	n = fscanf(f, "%li", (long *)val);
	fclose(f);
	return n == 1;
}

int vlpi_mig_unload(void)
{
	return syscall(SYS_delete_module, "vlpi_mig", O_NONBLOCK) ? errno : 0;
}

void vlpi_mig_load(void)
{
	int fd = open(VLPI_MIG_KO, O_RDONLY);

	TEST_ASSERT(fd >= 0, "open %s", VLPI_MIG_KO);
	TEST_ASSERT(!syscall(SYS_finit_module, fd, "", 0),
		    "insmod %s: %s", VLPI_MIG_KO, strerror(errno));
	close(fd);
}

int vlpi_mig_arm_fault(const char *name, int times)
{
	char path[128], buf[16];
	int ret;

#define FAULT_SET(file, val)						\
	(snprintf(path, sizeof(path), VLPI_MIG_DEBUGFS "/%s/" file, name), \
	 write_str_file(path, val))

	snprintf(buf, sizeof(buf), "%d", times);
	ret = FAULT_SET("verbose", "0");
	ret = ret ?: FAULT_SET("interval", "1");
	ret = ret ?: FAULT_SET("probability", times ? "100" : "0");
	return ret ?: FAULT_SET("times", buf);
#undef FAULT_SET
}

int write_str_file(const char *path, const char *str)
{
	ssize_t n, len = strlen(str);
	int fd, ret = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	n = write(fd, str, len);
	if (n != len)
		ret = n < 0 ? errno : EIO;
	close(fd);
	return ret;
}

int vlpi_mig_set_default_policy(unsigned int policy)
{
	char val[16];

	snprintf(val, sizeof(val), "%u", policy);
	return write_str_file(VLPI_MIG_SYSFS "/parameters/default_policy", val);
}

bool read_bool_param(const char *path, bool *val)
{
	FILE *f = fopen(path, "r");
	int c;

	if (!f)
		return false;
	c = fgetc(f);
	fclose(f);
	*val = c == 'Y' || c == '1';
	return c == 'Y' || c == 'N' || c == '1' || c == '0';
}

#define DELIM	" \t\n"

/*
 * The first word of the kernel command line that is @word, or starts
 * with it if @prefix, copied into @out; false if none
 */
static bool cmdline_word(const char *word, bool prefix, char *out,
			 size_t len)
{
	char buf[4096], *tok, *save;
	FILE *f = fopen("/proc/cmdline", "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';

	for (tok = strtok_r(buf, DELIM, &save); tok;
	     tok = strtok_r(NULL, DELIM, &save)) {
		if (prefix ? strncmp(tok, word, strlen(word)) :
			     strcmp(tok, word))
			continue;
		snprintf(out, len, "%s", tok);
		return true;
	}
	return false;
}

bool cmdline_has(const char *word)
{
	char tok[128];

	return cmdline_word(word, false, tok, sizeof(tok));
}

uint64_t vlpi_fuzz_seed(void)
{
	char tok[128], *val = tok + strlen("vlpi_seed="), *end;
	uint64_t seed;

	if (cmdline_word("vlpi_seed=", true, tok, sizeof(tok))) {
		seed = strtoull(val, &end, 0);
		TEST_ASSERT(end != val && !*end, "bad %s", tok);
		return seed;
	}
	TEST_ASSERT(getrandom(&seed, sizeof(seed), 0) == sizeof(seed),
		    "getrandom");
	return seed & 0xffffffff;
}

void vlpi_fuzz_slice(uint64_t *seed, int *nr)
{
	char tok[128], *val = tok + strlen("vlpi_fuzz_part="), *end;
	unsigned long k, n, first, last;

	if (!cmdline_word("vlpi_fuzz_part=", true, tok, sizeof(tok)))
		return;
	k = strtoul(val, &end, 10);
	TEST_ASSERT(end != val && *end == '/', "bad %s", tok);
	val = end + 1;
	n = strtoul(val, &end, 10);
	TEST_ASSERT(end != val && !*end && k >= 1 && k <= n && n <= *nr,
		    "bad %s (K/N, 1 <= K <= N <= %d)", tok, *nr);
	first = *nr * (k - 1) / n;
	last = *nr * k / n;
	ksft_print_msg("part %lu of %lu of seed %lu's %d: %lu to %lu\n",
		       k, n, (unsigned long)*seed, *nr, first, last - 1);
	*seed += first;
	*nr = last - first;
}

bool vlpi_host_gicv4_1(void)
{
	bool v41 = cmdline_has("vlpi_host_gic=4.1");

	TEST_ASSERT(v41 || cmdline_has("vlpi_host_gic=4.0"),
		    "the kernel command line names no host GIC (vlpi_host_gic=)");
	return v41;
}

unsigned int vlpi_save_vpe_unmaps(unsigned int nr_vcpus)
{
	return vlpi_host_gicv4_1() ? nr_vcpus : 0;
}

/*
 * The caps, by uapi/vlpi_mig.h's rules: without direct injection nothing
 * is forwarded and every save carries all; a GICv4.1's VPTs are read
 * under every policy (by the vGIC itself under legacy); a GICv4.0's
 * state is saved only as all pending (conservative); the restore transfer
 * is the module's unless it steps aside (legacy)
 */
uint64_t vlpi_expected_caps(uint64_t policy)
{
	uint64_t caps = KVM_VLPI_MIG_CAP_DIRECT_INJECTION;

	if (!cmdline_has("kvm-arm.vgic_v4_enable=1"))
		return KVM_VLPI_MIG_CAP_SAVE;
	if (vlpi_host_gicv4_1())
		caps |= KVM_VLPI_MIG_CAP_GICV4_1 | KVM_VLPI_MIG_CAP_SAVE;
	else if (policy == KVM_VLPI_MIG_POLICY_CONSERVATIVE)
		caps |= KVM_VLPI_MIG_CAP_SAVE | KVM_VLPI_MIG_CAP_SPURIOUS;
	if (policy != KVM_VLPI_MIG_POLICY_LEGACY)
		caps |= KVM_VLPI_MIG_CAP_RESTORE;
	return caps;
}

uint64_t vlpi_expected_save_action(uint64_t policy)
{
	if (!cmdline_has("kvm-arm.vgic_v4_enable=1") ||
	    policy == KVM_VLPI_MIG_POLICY_LEGACY)
		return KVM_VLPI_MIG_SAVE_UPSTREAM;
	if (vlpi_host_gicv4_1())
		return KVM_VLPI_MIG_SAVE_READ;
	if (policy == KVM_VLPI_MIG_POLICY_CONSERVATIVE)
		return KVM_VLPI_MIG_SAVE_ALL_PENDING;
	return KVM_VLPI_MIG_SAVE_REFUSE;
}

bool vlpi_vpt_readable(void)
{
	return vlpi_host_gicv4_1();
}

bool vlpi_mig_test_start(int argc, char *argv[])
{
	int opt, module = -1;

	while ((opt = getopt(argc, argv, "mn")) != -1)
		module = opt == 'm';
	if (module < 0) {
		fprintf(stderr, "usage: %s -m|-n  (module loaded or not)\n",
			argv[0]);
		exit(KSFT_FAIL);
	}

	ksft_print_header();
	if (vlpi_mig_loaded() != module)
		ksft_exit_fail_msg("vlpi_mig is %sloaded, expected the opposite\n",
				   module ? "not " : "");
	return module;
}

bool vgic_irq_state(struct kvm_vm *vm, const char *type, uint32_t intid,
		    int vcpu, bool *pending, bool *hw)
{
	char path[128], line[256], typ[4], flags[8];
	bool found = false;
	unsigned int id;
	int tgt;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/vgic-state",
		 getpid(), vm->fd);
	f = fopen(path, "r");
	if (!f)
		return false;
	/* "       LPI 8192     0 PLAEHCG ...", "       SGI    3     1 ..." */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %3s %u %d %7s", typ, &id, &tgt, flags) == 4 &&
		    !strcmp(typ, type) && id == intid &&
		    (vcpu < 0 || tgt == vcpu) && strlen(flags) == 7) {
			*pending = flags[0] == '1';
			*hw = flags[4] == '1';
			found = true;
		}
	fclose(f);
	return found;
}

bool vgic_lpi_state(struct kvm_vm *vm, uint32_t intid, bool *pending,
		    bool *hw)
{
	return vgic_irq_state(vm, "LPI", intid, -1, pending, hw);
}

void vlpi_run_to_sync(struct kvm_vcpu *vcpu, uint64_t stage)
{
	struct ucall uc;

	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		TEST_ASSERT(uc.args[1] == stage, "vCPU %u at stage %lu, not %lu",
			    vcpu->id, (unsigned long)uc.args[1],
			    (unsigned long)stage);
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	default:
		TEST_FAIL("vCPU %u: unexpected exit", vcpu->id);
	}
}

static const struct {
	const char *name;
	size_t offset;
} stat_fields[] = {
	{ "forwarded", offsetof(struct vlpi_stats, forwarded) },
	{ "saved_pending", offsetof(struct vlpi_stats, saved_pending) },
	{ "skipped", offsetof(struct vlpi_stats, skipped) },
	{ "refused", offsetof(struct vlpi_stats, refused) },
	{ "restored", offsetof(struct vlpi_stats, restored) },
	{ "kept", offsetof(struct vlpi_stats, kept) },
	{ "unforward_running", offsetof(struct vlpi_stats, unforward_running) },
	{ "restore_busy", offsetof(struct vlpi_stats, restore_busy) },
	{ "unreadable", offsetof(struct vlpi_stats, unreadable) },
	{ "full_saves", offsetof(struct vlpi_stats, full_saves) },
};

/* Lines of "pid <pid>" then "<name> <value>" pairs, one line per VM */
bool vlpi_mig_read_stats(struct vlpi_stats *st)
{
	FILE *f = fopen(VLPI_MIG_DEBUGFS "/stats", "r");
	char line[512], *name, *val, *save;
	bool found = false;
	unsigned int i;

	memset(st, 0, sizeof(*st));
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		name = strtok_r(line, DELIM, &save);
		val = strtok_r(NULL, DELIM, &save);
		if (!name || !val || strcmp(name, "pid") || atoi(val) != getpid())
			continue;
		found = true;
		while ((name = strtok_r(NULL, DELIM, &save)) &&
		       (val = strtok_r(NULL, DELIM, &save)))
			for (i = 0; i < ARRAY_SIZE(stat_fields); i++)
				if (!strcmp(name, stat_fields[i].name))
					*(uint64_t *)((char *)st +
						      stat_fields[i].offset) +=
						strtoull(val, NULL, 10);
	}
	fclose(f);
	return found;
}

int vlpi_mig_get_stats(struct vlpi_vm *v, struct kvm_vlpi_mig_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return __kvm_device_attr_get(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_VLPI_MIG,
				     KVM_DEV_ARM_VLPI_MIG_STATS, st) ? errno : 0;
}
