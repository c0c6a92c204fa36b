// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_edu_mig - VFIO migration v2 of QEMU's edu device through the
 * test-only edu_vfio_pci variant driver.
 *
 *   vfio_edu_mig [BDF]		(default 0000:00:02.0)
 *
 * On an edu bound to edu_vfio_pci, opened through a type1 container (the
 * bed puts an SMMUv3 in front of it): the device reports STOP_COPY, its
 * registers survive a save (RUNNING -> STOP -> STOP_COPY, read the
 * stream) and a restore into the device after they were changed
 * (STOP -> RESUMING, write the stream, RESUMING -> STOP -> RUNNING), a
 * corrupt or truncated stream is refused and leaves the device usable,
 * and the transitions the device does not have are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "kselftest.h"

#define DRIVER			"edu_vfio_pci"

#define EDU_REG_ID		0x00
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_FACT		0x08
#define EDU_REG_STATUS		0x20
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_ACK		0x64

#define EDU_STATUS_COMPUTING	0x01
#define EDU_STATUS_IRQFACT	0x80

#define SCRATCH			0x12345678u
#define FACT_ARG		10		/* 10! = 3628800 */
#define FACT_VAL		3628800u
#define OTHER_SCRATCH		0xdeadbeefu
#define OTHER_FACT_ARG		5		/* 5! = 120 */
#define OTHER_FACT_VAL		120u

#define STREAM_MAX		4096

struct dev {
	const char *bdf;
	char group_path[PATH_MAX];
	int container;
	int group;
	int fd;
	uint64_t bar0;		/* region offsets in the device fd */
	uint64_t cfg;
};

static const char *state_name(uint32_t s)
{
	static const char * const names[] = {
		[VFIO_DEVICE_STATE_ERROR] = "ERROR",
		[VFIO_DEVICE_STATE_STOP] = "STOP",
		[VFIO_DEVICE_STATE_RUNNING] = "RUNNING",
		[VFIO_DEVICE_STATE_STOP_COPY] = "STOP_COPY",
		[VFIO_DEVICE_STATE_RESUMING] = "RESUMING",
		[VFIO_DEVICE_STATE_RUNNING_P2P] = "RUNNING_P2P",
		[VFIO_DEVICE_STATE_PRE_COPY] = "PRE_COPY",
		[VFIO_DEVICE_STATE_PRE_COPY_P2P] = "PRE_COPY_P2P",
	};

	return s < ARRAY_SIZE(names) && names[s] ? names[s] : "?";
}

/* BAR0 through the region (edu takes 32-bit accesses only) */
static bool reg_read(struct dev *d, uint32_t reg, uint32_t *val)
{
	return pread(d->fd, val, 4, d->bar0 + reg) == 4;
}

static bool reg_write(struct dev *d, uint32_t reg, uint32_t val)
{
	return pwrite(d->fd, &val, 4, d->bar0 + reg) == 4;
}

static uint32_t reg(struct dev *d, uint32_t r)
{
	uint32_t val = ~0u;

	if (!reg_read(d, r, &val))
		ksft_print_msg("read BAR0 %#x: %s\n", r, strerror(errno));
	return val;
}

/* The factorial runs in edu's own thread: wait for its status bit */
static bool wait_fact(struct dev *d)
{
	struct timespec ts = { 0, 1000000 };
	int i;

	for (i = 0; i < 10000; i++) {
		uint32_t st;

		if (!reg_read(d, EDU_REG_STATUS, &st))
			return false;
		if (!(st & EDU_STATUS_COMPUTING))
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/*
 * Set the registers: IRQFACT goes on only once the factorial is done, so
 * that no completion interrupt is raised (nobody would take it).
 */
static bool set_regs(struct dev *d, uint32_t scratch, uint32_t fact_arg,
		     bool irqfact)
{
	return reg_write(d, EDU_REG_STATUS, 0) &&
	       wait_fact(d) &&
	       reg_write(d, EDU_REG_FACT, fact_arg) &&
	       wait_fact(d) &&
	       reg_write(d, EDU_REG_LIVENESS, ~scratch) &&
	       reg_write(d, EDU_REG_STATUS, irqfact ? EDU_STATUS_IRQFACT : 0);
}

static bool regs_are(struct dev *d, uint32_t scratch, uint32_t fact,
		     bool irqfact, const char *what)
{
	uint32_t l = reg(d, EDU_REG_LIVENESS), f = reg(d, EDU_REG_FACT);
	uint32_t s = reg(d, EDU_REG_STATUS);
	bool ok = l == scratch && f == fact &&
		  !!(s & EDU_STATUS_IRQFACT) == irqfact;

	if (!ok)
		ksft_print_msg("%s: scratch %#x fact %u status %#x, expected %#x %u %s\n",
			       what, l, f, s, scratch, fact,
			       irqfact ? "IRQFACT" : "0");
	return ok;
}

static int feature(struct dev *d, uint32_t flags, void *data, size_t size)
{
	uint64_t buf[(sizeof(struct vfio_device_feature) + 64) / 8] = { 0 };
	struct vfio_device_feature *f = (struct vfio_device_feature *)buf;
	int ret;

	f->argsz = sizeof(*f) + size;
	f->flags = flags;
	memcpy(f->data, data, size);
	ret = ioctl(d->fd, VFIO_DEVICE_FEATURE, f);
	memcpy(data, f->data, size);
	return ret ? -errno : 0;
}

/* Set @state; a data fd in *data_fd if the state has one, else -1 */
static int set_state(struct dev *d, uint32_t state, int *data_fd)
{
	struct vfio_device_feature_mig_state mig = {
		.device_state = state,
		.data_fd = -1,
	};
	int ret;

	ret = feature(d, VFIO_DEVICE_FEATURE_SET |
			 VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
		      &mig, sizeof(mig));
	if (ret)
		ksft_print_msg("-> %s: %s\n", state_name(state),
			       strerror(-ret));
	if (data_fd)
		*data_fd = ret ? -1 : mig.data_fd;
	else if (!ret && mig.data_fd >= 0)
		close(mig.data_fd);
	return ret;
}

static uint32_t get_state(struct dev *d)
{
	struct vfio_device_feature_mig_state mig = { 0 };

	if (feature(d, VFIO_DEVICE_FEATURE_GET |
		       VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &mig, sizeof(mig)))
		return ~0u;
	return mig.device_state;
}

static bool open_device(struct dev *d)
{
	struct vfio_region_info info = { .argsz = sizeof(info) };
	uint16_t cmd;

	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (d->fd < 0)
		return false;

	info.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &info))
		return false;
	d->bar0 = info.offset;
	info.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &info))
		return false;
	d->cfg = info.offset;

	/* Memory decoding on, whatever the last user left */
	if (pread(d->fd, &cmd, 2, d->cfg + PCI_COMMAND) != 2)
		return false;
	cmd |= PCI_COMMAND_MEMORY;
	return pwrite(d->fd, &cmd, 2, d->cfg + PCI_COMMAND) == 2;
}

static void setup(struct dev *d, const char *bdf)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	memset(d, 0, sizeof(*d));
	d->bdf = bdf;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	if (n <= 0 || strcmp(basename(link), DRIVER))
		ksft_exit_skip("%s is not bound to %s\n", bdf, DRIVER);

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		ksft_exit_fail_msg("%s has no IOMMU group\n", bdf);
	link[n] = '\0';
	snprintf(d->group_path, sizeof(d->group_path), "/dev/vfio/%s",
		 basename(link));

	d->container = open("/dev/vfio/vfio", O_RDWR);
	if (d->container < 0)
		ksft_exit_fail_msg("open /dev/vfio/vfio: %s\n", strerror(errno));
	if (ioctl(d->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(d->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		ksft_exit_fail_msg("no VFIO type1v2 IOMMU\n");
	d->group = open(d->group_path, O_RDWR);
	if (d->group < 0)
		ksft_exit_fail_msg("open %s: %s\n", d->group_path,
				   strerror(errno));
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		ksft_exit_fail_msg("%s is not viable\n", d->group_path);
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container) ||
	    ioctl(d->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		ksft_exit_fail_msg("type1v2 container for %s: %s\n",
				   d->group_path, strerror(errno));
	if (!open_device(d))
		ksft_exit_fail_msg("open %s: %s\n", bdf, strerror(errno));
}

/* Read a save fd to EOF (or STREAM_MAX); the last read()'s return */
static ssize_t read_stream(int fd, uint8_t *stream, ssize_t *len)
{
	ssize_t n;

	do {
		n = read(fd, stream + *len, STREAM_MAX - *len);
		if (n > 0)
			*len += n;
	} while (n > 0 && *len < STREAM_MAX);
	if (n < 0)
		ksft_print_msg("read the stream: %s\n", strerror(errno));
	return n;
}

/* Save: RUNNING -> STOP -> STOP_COPY, read to EOF, back to STOP */
static ssize_t save(struct dev *d, uint8_t *stream, uint64_t *data_size)
{
	struct vfio_device_feature_mig_data_size ds = { 0 };
	ssize_t len = 0, n;
	int fd;

	if (set_state(d, VFIO_DEVICE_STATE_STOP, NULL) ||
	    set_state(d, VFIO_DEVICE_STATE_STOP_COPY, &fd))
		return -1;
	*data_size = 0;
	if (!feature(d, VFIO_DEVICE_FEATURE_GET |
			VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &ds, sizeof(ds)))
		*data_size = ds.stop_copy_length;
	n = read_stream(fd, stream, &len);
	close(fd);
	if (set_state(d, VFIO_DEVICE_STATE_STOP, NULL) || n < 0)
		return -1;
	return len;
}

/*
 * Restore: STOP -> RESUMING, write @len bytes of @stream; the fd is left
 * in *fd for the caller to end the session its own way.
 */
static int resume_write(struct dev *d, const uint8_t *stream, size_t len,
			int *fd)
{
	ssize_t n;

	if (set_state(d, VFIO_DEVICE_STATE_RESUMING, fd))
		return -EIO;
	n = write(*fd, stream, len);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

/*
 * After a refused stream: VFIO_DEVICE_RESET if the device has one, else
 * close and open the device again (open_device() starts in RUNNING).
 * QEMU's edu has no reset method.
 */
static bool recover(struct dev *d)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	if (!ioctl(d->fd, VFIO_DEVICE_GET_INFO, &info) &&
	    (info.flags & VFIO_DEVICE_FLAGS_RESET)) {
		ksft_print_msg("VFIO_DEVICE_RESET\n");
		if (!ioctl(d->fd, VFIO_DEVICE_RESET))
			return get_state(d) == VFIO_DEVICE_STATE_RUNNING;
		ksft_print_msg("VFIO_DEVICE_RESET: %s\n", strerror(errno));
	}
	ksft_print_msg("no reset: the device closed and opened again\n");
	close(d->fd);
	return open_device(d) && get_state(d) == VFIO_DEVICE_STATE_RUNNING;
}

/* PCI_COMMAND as the user sets it, and as the device has it */
static bool set_memory_decode(struct dev *d, bool on)
{
	uint16_t cmd;

	if (pread(d->fd, &cmd, 2, d->cfg + PCI_COMMAND) != 2)
		return false;
	cmd = on ? cmd | PCI_COMMAND_MEMORY : cmd & ~PCI_COMMAND_MEMORY;
	return pwrite(d->fd, &cmd, 2, d->cfg + PCI_COMMAND) == 2;
}

static uint16_t hw_command(struct dev *d)
{
	char path[PATH_MAX];
	uint16_t cmd = 0xffff;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", d->bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, &cmd, 2, PCI_COMMAND) != 2)
		ksft_print_msg("read %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return cmd;
}

static void check_state(struct dev *d, uint32_t want, int ret,
			const char *what)
{
	uint32_t st = get_state(d);

	ksft_test_result(!ret && st == want, "%s: now %s\n", what,
			 state_name(st));
}

/* A transition the device does not have: EINVAL, and no state change */
static void invalid_transition(struct dev *d, uint32_t state)
{
	int ret = set_state(d, state, NULL);
	uint32_t st = get_state(d);

	ksft_test_result(ret == -EINVAL && st == VFIO_DEVICE_STATE_RUNNING,
			 "RUNNING -> %s (%u) is refused: %s, still %s\n",
			 state_name(state), state, strerror(-ret),
			 state_name(st));
}

int main(int argc, char *argv[])
{
	const char *bdf = argc > 1 ? argv[1] : "0000:00:02.0";
	struct vfio_device_feature_migration mig = { 0 };
	struct vfio_device_feature_mig_data_size ds = { 0 };
	uint8_t stream[STREAM_MAX], bad[STREAM_MAX];
	ssize_t len = 0, n;
	struct dev dev, *d = &dev;
	uint64_t size = 0;
	uint32_t st;
	int ret, fd;
	bool ok;

	ksft_print_header();
	setup(d, bdf);
	ksft_set_plan(28);

	ret = feature(d, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION,
		      &mig, sizeof(mig));
	ksft_test_result(!ret && (mig.flags & VFIO_MIGRATION_STOP_COPY),
			 "VFIO_DEVICE_FEATURE_MIGRATION: flags %#llx have STOP_COPY\n",
			 (unsigned long long)mig.flags);
	if (ret)
		ksft_exit_fail_msg("%s has no VFIO migration\n", bdf);

	st = get_state(d);
	ksft_test_result(st == VFIO_DEVICE_STATE_RUNNING,
			 "the device starts in RUNNING: %s\n", state_name(st));

	st = reg(d, EDU_REG_ID);
	ksft_test_result(st == 0x010000ed, "BAR0 answers: edu ID %#x\n", st);

	ok = set_regs(d, SCRATCH, FACT_ARG, true) &&
	     regs_are(d, SCRATCH, FACT_VAL, true, "set");
	ksft_test_result(ok, "registers set: scratch %#x, %d! = %u, IRQFACT\n",
			 SCRATCH, FACT_ARG, FACT_VAL);

	/* Nothing should have raised one; acknowledge it if anything did */
	st = reg(d, EDU_REG_IRQ_STATUS);
	if (st && st != ~0u) {
		ksft_print_msg("interrupt status %#x before the stop\n", st);
		reg_write(d, EDU_REG_IRQ_ACK, st);
	}

	/* Save */
	ret = set_state(d, VFIO_DEVICE_STATE_STOP, NULL);
	check_state(d, VFIO_DEVICE_STATE_STOP, ret, "RUNNING -> STOP");

	ret = set_state(d, VFIO_DEVICE_STATE_STOP_COPY, &fd);
	check_state(d, VFIO_DEVICE_STATE_STOP_COPY, ret || fd < 0,
		    "STOP -> STOP_COPY gives a data fd");

	ret = feature(d, VFIO_DEVICE_FEATURE_GET |
			 VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &ds, sizeof(ds));
	n = -1;
	if (fd >= 0)
		n = read_stream(fd, stream, &len);
	ksft_test_result(!n && len > 0, "the stream is %zd bytes, then EOF\n",
			 len);
	ksft_test_result(!ret && ds.stop_copy_length == (uint64_t)len,
			 "VFIO_DEVICE_FEATURE_MIG_DATA_SIZE says %llu bytes\n",
			 (unsigned long long)ds.stop_copy_length);

	ret = set_state(d, VFIO_DEVICE_STATE_STOP, NULL);
	n = fd >= 0 ? read(fd, bad, sizeof(bad)) : -1;
	check_state(d, VFIO_DEVICE_STATE_STOP, ret || n > 0,
		    "STOP_COPY -> STOP ends the save fd");
	if (fd >= 0)
		close(fd);

	/* What a destination's device would hold before the restore */
	ok = set_regs(d, OTHER_SCRATCH, OTHER_FACT_ARG, false) &&
	     regs_are(d, OTHER_SCRATCH, OTHER_FACT_VAL, false, "changed");
	ksft_test_result(ok, "registers changed: scratch %#x, %d! = %u, no IRQFACT\n",
			 OTHER_SCRATCH, OTHER_FACT_ARG, OTHER_FACT_VAL);

	/* Restore */
	fd = -1;
	ret = resume_write(d, stream, len, &fd);
	check_state(d, VFIO_DEVICE_STATE_RESUMING, ret,
		    "STOP -> RESUMING, the stream written");
	ret = set_state(d, VFIO_DEVICE_STATE_STOP, NULL);
	check_state(d, VFIO_DEVICE_STATE_STOP, ret, "RESUMING -> STOP loads it");
	if (fd >= 0)
		close(fd);
	ret = set_state(d, VFIO_DEVICE_STATE_RUNNING, NULL);
	check_state(d, VFIO_DEVICE_STATE_RUNNING, ret, "STOP -> RUNNING");

	st = reg(d, EDU_REG_LIVENESS);
	ksft_test_result(st == SCRATCH, "scratch register restored: %#x\n", st);
	st = reg(d, EDU_REG_FACT);
	ksft_test_result(st == FACT_VAL, "factorial register restored: %u\n",
			 st);
	st = reg(d, EDU_REG_STATUS);
	ksft_test_result(st == EDU_STATUS_IRQFACT,
			 "status register restored: %#x\n", st);

	/* A corrupt stream: bad magic */
	memcpy(bad, stream, len);
	bad[0] ^= 0xff;
	ret = set_state(d, VFIO_DEVICE_STATE_STOP, NULL);
	if (!ret)
		ret = resume_write(d, bad, len, &fd);
	ksft_test_result(ret == -EINVAL,
			 "a stream with a bad magic is refused on write: %s\n",
			 strerror(-ret));
	ret = set_state(d, VFIO_DEVICE_STATE_STOP, NULL);
	st = get_state(d);
	ksft_test_result(ret == -EINVAL && st == VFIO_DEVICE_STATE_RESUMING,
			 "... and at RESUMING -> STOP: %s, still %s\n",
			 strerror(-ret), state_name(st));
	if (fd >= 0)
		close(fd);
	ok = recover(d) && regs_are(d, SCRATCH, FACT_VAL, true, "refused");
	ksft_test_result(ok, "back in RUNNING, the device untouched by it\n");

	/* A truncated stream */
	fd = -1;
	ret = set_state(d, VFIO_DEVICE_STATE_STOP, NULL);
	if (!ret)
		ret = resume_write(d, stream, len - 4, &fd);
	if (!ret)
		ret = set_state(d, VFIO_DEVICE_STATE_STOP, NULL);
	ksft_test_result(ret == -EINVAL,
			 "a truncated stream (%zd of %zd bytes) is refused at RESUMING -> STOP: %s\n",
			 len - 4, len, strerror(-ret));
	if (fd >= 0)
		close(fd);
	ok = recover(d) && set_regs(d, OTHER_SCRATCH, OTHER_FACT_ARG, false) &&
	     regs_are(d, OTHER_SCRATCH, OTHER_FACT_VAL, false, "usable");
	ksft_test_result(ok, "back in RUNNING, the device usable\n");

	/* Migration still works after the refusals */
	fd = -1;
	n = save(d, stream, &size);
	ok = n == len && size == (uint64_t)n &&
	     set_regs(d, SCRATCH, FACT_ARG, true) &&
	     !resume_write(d, stream, n, &fd) &&
	     !set_state(d, VFIO_DEVICE_STATE_RUNNING, NULL) &&
	     regs_are(d, OTHER_SCRATCH, OTHER_FACT_VAL, false, "again");
	if (fd >= 0)
		close(fd);
	ksft_test_result(ok, "and it migrates again\n");

	/*
	 * The driver reaches BAR0 with the user's memory decoding off, and
	 * leaves it off
	 */
	ok = set_memory_decode(d, false) &&
	     !(hw_command(d) & PCI_COMMAND_MEMORY);
	n = ok ? save(d, bad, &size) : -1;
	ok = ok && n == len && !memcmp(bad, stream, len) &&
	     !(hw_command(d) & PCI_COMMAND_MEMORY);
	ksft_test_result(ok && set_memory_decode(d, true) &&
			 !set_state(d, VFIO_DEVICE_STATE_RUNNING, NULL),
			 "a save with memory decoding off reads the same state, and leaves it off\n");

	/* Transitions the device does not have */
	invalid_transition(d, VFIO_DEVICE_STATE_ERROR);
	invalid_transition(d, VFIO_DEVICE_STATE_RUNNING_P2P);
	invalid_transition(d, VFIO_DEVICE_STATE_PRE_COPY);
	invalid_transition(d, VFIO_DEVICE_STATE_PRE_COPY_P2P);
	invalid_transition(d, 42);

	/* Leave edu quiet: no IRQFACT for whoever comes next */
	set_regs(d, 0, 0, false);
	close(d->fd);
	close(d->group);
	close(d->container);
	ksft_finished();
}
