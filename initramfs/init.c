// SPDX-License-Identifier: GPL-2.0-only
/*
 * /init of the vlpi-mig test bed.
 *
 * Runs inside the emulated arm64 host. It mounts the usual filesystems,
 * then interprets a plan, /plans/$VLPI_PLAN.plan, one directive a line,
 * and writes the results as KTAP to the results channel (/dev/hvc0, a
 * virtio console the host reads back as a file). Its own complaints go to
 * the kernel console. When the plan is done it powers the machine off.
 *
 * Directives (every one but "say" and "kmemleak-clear" is one top-level
 * KTAP result):
 *   say TEXT...                 print "# TEXT" (for the demo's story)
 *   kmemleak-clear              forget the leaks suspected so far (boot's)
 *   kmemleak                    no leak suspected since the last clear
 *   bind-vfio VEN DEV BDF...    bind PCI devices to vfio-pci (no-IOMMU)
 *   insmod FILE [PARAM...]      load a module
 *   rmmod NAME                  unload a module
 *   kunit SUITE                 report a KUnit suite from debugfs
 *   run SECONDS NAME PROG [ARG...]
 *                               run a program; exit 0 passes, 4 skips;
 *                               its output is nested, indented 4 spaces
 *
 * A program still running at its deadline has every task of its process
 * group printed (state, then kernel stack) before it is killed. One that
 * does not die within KILL_GRACE seconds is stuck in the kernel: its tasks
 * are printed again, to the console as well (where check.sh looks for
 * reports), and the rest of the plan is not run, since whatever it holds
 * would stall the next test too.
 */

#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS	32
#define KSFT_SKIP	4
#define KILL_GRACE	30

static FILE *out;		/* the results channel */
static int test_nr;
static int stuck;		/* a test outlived SIGKILL: stop the plan */

static void complain(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "init: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

static void result(int ok, const char *directive, const char *what,
		   const char *extra)
{
	fprintf(out, "%sok %d %s %s%s%s\n", ok ? "" : "not ", ++test_nr,
		directive, what, extra ? " # " : "", extra ? extra : "");
	fflush(out);
}

static void setup_mounts(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mkdir("/tmp", 01777);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
}

static void setup_stdio(void)
{
	int fd = open("/dev/console", O_RDWR);

	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}

	fd = open("/dev/hvc0", O_WRONLY | O_NOCTTY);
	if (fd < 0) {
		complain("no results channel /dev/hvc0 (%s); using the console",
			 strerror(errno));
		fd = dup(1);
	}
	out = fdopen(fd, "w");
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bound_to_vfio(const char *bdf)
{
	char path[128], link[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	return !!strstr(link, "/vfio-pci");
}

static void do_bind_vfio(char **argv, int argc)
{
	double deadline;
	char ids[32];
	int i, ret, all;

	if (argc < 4) {
		result(0, "bind-vfio", "(bad directive)", NULL);
		return;
	}

	snprintf(ids, sizeof(ids), "%s %s", argv[1], argv[2]);
	ret = write_file("/sys/bus/pci/drivers/vfio-pci/new_id", ids);
	if (ret && ret != -EEXIST) {
		complain("vfio-pci new_id %s: %s", ids, strerror(-ret));
		result(0, "bind-vfio", ids, "new_id failed");
		return;
	}

	/* Binding happens asynchronously of new_id's return */
	deadline = now() + 5;
	do {
		for (all = 1, i = 3; i < argc; i++)
			all &= bound_to_vfio(argv[i]);
		if (all)
			break;
		usleep(50000);
	} while (now() < deadline);

	for (i = 3; i < argc; i++)
		if (!bound_to_vfio(argv[i]))
			complain("%s is not bound to vfio-pci", argv[i]);
	snprintf(ids, sizeof(ids), "%d devices", argc - 3);
	result(all, "bind-vfio", ids, all ? NULL : "not all bound");
}

/*
 * bind-driver DRIVER BDF: unbind BDF from its driver, and bind it to
 * DRIVER through driver_override
 */
static void do_bind_driver(char **argv, int argc)
{
	char path[256], link[256];
	ssize_t n;
	int ret;

	if (argc != 3) {
		result(0, "bind-driver", "(bad directive)", NULL);
		return;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind",
		 argv[2]);
	write_file(path, argv[2]);
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/driver_override", argv[2]);
	ret = write_file(path, argv[1]);
	if (ret >= 0)
		ret = write_file("/sys/bus/pci/drivers_probe", argv[2]);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", argv[2]);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	if (ret < 0 || n <= 0 || strcmp(strrchr(link, '/') + 1, argv[1])) {
		complain("%s: not bound to %s (%s)", argv[2], argv[1],
			 ret < 0 ? strerror(-ret) : link);
		result(0, "bind-driver", argv[2], NULL);
		return;
	}
	snprintf(path, sizeof(path), "%s to %s", argv[2], argv[1]);
	result(1, "bind-driver", path, NULL);
}

static void do_insmod(char **argv, int argc)
{
	char params[512] = "";
	int fd, i, ret;

	if (argc < 2) {
		result(0, "insmod", "(bad directive)", NULL);
		return;
	}
	for (i = 2; i < argc; i++) {
		strncat(params, argv[i], sizeof(params) - strlen(params) - 2);
		strcat(params, " ");
	}

	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		complain("open %s: %s", argv[1], strerror(errno));
		result(0, "insmod", argv[1], "missing");
		return;
	}
	ret = syscall(SYS_finit_module, fd, params, 0);
	if (ret)
		complain("insmod %s: %s", argv[1], strerror(errno));
	close(fd);
	result(!ret, "insmod", argv[1], NULL);
}

static void do_rmmod(char **argv, int argc)
{
	int ret;

	if (argc != 2) {
		result(0, "rmmod", "(bad directive)", NULL);
		return;
	}
	ret = syscall(SYS_delete_module, argv[1], O_NONBLOCK);
	if (ret)
		complain("rmmod %s: %s", argv[1], strerror(errno));
	result(!ret, "rmmod", argv[1], NULL);
}

/* Nest a KUnit suite's debugfs results under one top-level result */
static void do_kunit(char **argv, int argc)
{
	char path[256], line[1024], last[1024] = "";
	FILE *f;

	if (argc != 2) {
		result(0, "kunit", "(bad directive)", NULL);
		return;
	}
	snprintf(path, sizeof(path), "/sys/kernel/debug/kunit/%s/results",
		 argv[1]);
	f = fopen(path, "r");
	if (!f) {
		complain("%s: %s", path, strerror(errno));
		result(0, "kunit", argv[1], "no results");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		fprintf(out, "    %s", line);
		if (line[0] && !isspace((unsigned char)line[0]))
			snprintf(last, sizeof(last), "%s", line);
	}
	fclose(f);
	/* The suite's own result is the last unindented line */
	result(!strncmp(last, "ok ", 3), "kunit", argv[1], NULL);
}

#define KMEMLEAK	"/sys/kernel/debug/kmemleak"

static void do_kmemleak_clear(void)
{
	int ret = write_file(KMEMLEAK, "clear");

	if (ret)
		complain("kmemleak clear: %s", strerror(-ret));
}

static void do_kmemleak(void)
{
	char line[1024];
	int leaks = 0;
	FILE *f;

	/* kmemleak reports nothing younger than 5s; two scans settle it */
	sleep(6);
	if (write_file(KMEMLEAK, "scan") || write_file(KMEMLEAK, "scan")) {
		result(0, "kmemleak", "scan", "kmemleak unavailable");
		return;
	}
	f = fopen(KMEMLEAK, "r");
	if (!f) {
		result(0, "kmemleak", "scan", "kmemleak unreadable");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		leaks += !strncmp(line, "unreferenced object", 19);
		fprintf(out, "    # %s", line);
	}
	fclose(f);
	snprintf(line, sizeof(line), "%d suspected leaks", leaks);
	result(!leaks, "kmemleak", "scan", leaks ? line : NULL);
}

/* Copies /proc/PID/task/TID/FILE into @f, each line after @prefix */
static void print_proc(FILE *f, const char *prefix, const char *pid,
		       const char *tid, const char *file)
{
	char path[128], line[256];
	FILE *in;

	snprintf(path, sizeof(path), "/proc/%s/task/%s/%s", pid, tid, file);
	in = fopen(path, "r");
	if (!in)
		return;
	while (fgets(line, sizeof(line), in))
		fprintf(f, "%s%s", prefix, line);
	fclose(in);
}

/*
 * Prints every task of process group @pgrp: name, state and kernel stack.
 * With @console, to the kernel console too, as "init: stuck in D state"
 * for each task that is.
 */
static void dump_group(pid_t pgrp, int console)
{
	char path[600], line[256], comm[64], state;
	struct dirent *p, *t;
	DIR *procs, *tasks;
	int pid, grp;

	procs = opendir("/proc");
	if (!procs)
		return;
	while ((p = readdir(procs))) {
		FILE *f;

		if (!isdigit(p->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", p->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(line, sizeof(line), f) ||
		    sscanf(line, "%d (%63[^)]) %c %*d %d", &pid, comm, &state,
			   &grp) != 4 || grp != pgrp) {
			fclose(f);
			continue;
		}
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%s/task", p->d_name);
		tasks = opendir(path);
		while (tasks && (t = readdir(tasks))) {
			if (!isdigit(t->d_name[0]))
				continue;
			snprintf(path, sizeof(path), "/proc/%s/task/%s/stat",
				 p->d_name, t->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			if (!fgets(line, sizeof(line), f) ||
			    sscanf(line, "%*d (%63[^)]) %c", comm, &state) != 2)
				state = '?';
			fclose(f);
			fprintf(out, "    # task %s/%s (%s) state %c\n",
				p->d_name, t->d_name, comm, state);
			print_proc(out, "    #   ", p->d_name, t->d_name, "stack");
			if (console && state == 'D') {
				fprintf(stderr, "init: stuck in D state: task %s/%s (%s)\n",
					p->d_name, t->d_name, comm);
				print_proc(stderr, "init:   ", p->d_name,
					   t->d_name, "stack");
			}
		}
		if (tasks)
			closedir(tasks);
	}
	closedir(procs);
	fflush(out);
}

/* Reaps @pid, waiting at most KILL_GRACE seconds; 0 if it would not die */
static int reap(pid_t pid, int *status)
{
	for (int i = 0; i < KILL_GRACE * 10; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 1;
		usleep(100000);
	}
	return 0;
}

static void do_run(char **argv, int argc)
{
	char buf[4096], *p, *nl;
	int pipefd[2], status = 0;
	size_t held = 0;
	double deadline, start;
	int timed_out = 0;
	pid_t pid;

	if (argc < 4 || atoi(argv[1]) <= 0) {
		result(0, "run", "(bad directive)", NULL);
		return;
	}
	if (pipe2(pipefd, O_CLOEXEC)) {
		result(0, "run", argv[2], "pipe failed");
		return;
	}

	fprintf(out, "# run %s:", argv[2]);
	for (int i = 3; i < argc; i++)
		fprintf(out, " %s", argv[i]);
	fprintf(out, "\n");
	fflush(out);

	start = now();
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		execv(argv[3], &argv[3]);
		fprintf(stderr, "exec %s: %s\n", argv[3], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		result(0, "run", argv[2], "fork failed");
		return;
	}

	deadline = now() + atoi(argv[1]);
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		int left = (int)((deadline - now()) * 1000);
		ssize_t n;

		if (left <= 0) {
			timed_out = 1;
			fprintf(out, "# %s: deadline passed, its tasks:\n",
				argv[2]);
			dump_group(pid, 0);
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, left) <= 0)
			continue;
		n = read(pipefd[0], buf + held, sizeof(buf) - 1 - held);
		if (n <= 0)
			break;
		held += n;
		buf[held] = '\0';
		/* Forward whole lines, indented; flush a full buffer as is */
		p = buf;
		while ((nl = strchr(p, '\n'))) {
			*nl = '\0';
			fprintf(out, "    %s\n", p);
			p = nl + 1;
		}
		held = strlen(p);
		memmove(buf, p, held + 1);
		if (held == sizeof(buf) - 1) {
			fprintf(out, "    %s\n", buf);
			held = 0;
		}
		fflush(out);
	}
	if (held)
		fprintf(out, "    %.*s\n", (int)held, buf);
	close(pipefd[0]);
	if (timed_out && !reap(pid, &status)) {
		fprintf(out, "# %s: alive %d s after SIGKILL, its tasks:\n",
			argv[2], KILL_GRACE);
		dump_group(pid, 1);
		stuck = 1;
		result(0, "run", argv[2], "TIMEOUT, stuck in the kernel");
		return;
	}
	if (!timed_out)
		waitpid(pid, &status, 0);
	fprintf(out, "# %s: %.1f s\n", argv[2], now() - start);

	if (timed_out) {
		result(0, "run", argv[2], "TIMEOUT");
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_SKIP) {
		result(1, "run", argv[2], "SKIP");
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		result(1, "run", argv[2], NULL);
	} else {
		snprintf(buf, sizeof(buf), WIFEXITED(status) ?
			 "exit status %d" : "killed by signal %d",
			 WIFEXITED(status) ? WEXITSTATUS(status) :
			 WTERMSIG(status));
		result(0, "run", argv[2], buf);
	}
}

static int split(char *line, char **argv)
{
	int argc = 0;
	char *tok, *save;

	for (tok = strtok_r(line, " \t\n", &save); tok && argc < MAX_ARGS;
	     tok = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return argc;
}

static int is_silent(const char *directive)
{
	return directive[0] == '#' || !strcmp(directive, "say") ||
	       !strcmp(directive, "kmemleak-clear");
}

static int count_results(FILE *plan)
{
	char line[1024], *argv[MAX_ARGS + 1];
	int n = 0;

	while (fgets(line, sizeof(line), plan)) {
		int argc = split(line, argv);

		if (argc && !is_silent(argv[0]))
			n++;
	}
	rewind(plan);
	return n;
}

static void run_plan(const char *name)
{
	char path[128], line[1024], *argv[MAX_ARGS + 1];
	FILE *plan;

	snprintf(path, sizeof(path), "/plans/%s.plan", name);
	plan = fopen(path, "r");
	if (!plan) {
		complain("no plan %s: %s", path, strerror(errno));
		fprintf(out, "KTAP version 1\n1..1\nnot ok 1 plan %s\n", name);
		return;
	}

	fprintf(out, "KTAP version 1\n1..%d\n", count_results(plan));
	while (fgets(line, sizeof(line), plan)) {
		char copy[1024];
		int argc;

		snprintf(copy, sizeof(copy), "%s", line);
		argc = split(copy, argv);
		if (!argc || argv[0][0] == '#')
			continue;
		if (stuck) {
			if (!is_silent(argv[0]))
				result(0, argv[0], argc > 2 ? argv[2] : "",
				       "not run: an earlier test is stuck");
			continue;
		}

		if (!strcmp(argv[0], "say")) {
			char *text = strstr(line, "say") + 3;

			fprintf(out, "#%s", text);
		} else if (!strcmp(argv[0], "kmemleak-clear")) {
			do_kmemleak_clear();
		} else if (!strcmp(argv[0], "kmemleak")) {
			do_kmemleak();
		} else if (!strcmp(argv[0], "bind-vfio")) {
			do_bind_vfio(argv, argc);
		} else if (!strcmp(argv[0], "bind-driver")) {
			do_bind_driver(argv, argc);
		} else if (!strcmp(argv[0], "insmod")) {
			do_insmod(argv, argc);
		} else if (!strcmp(argv[0], "rmmod")) {
			do_rmmod(argv, argc);
		} else if (!strcmp(argv[0], "kunit")) {
			do_kunit(argv, argc);
		} else if (!strcmp(argv[0], "run")) {
			do_run(argv, argc);
		} else {
			complain("unknown directive '%s'", argv[0]);
			result(0, argv[0], "(unknown directive)", NULL);
		}
		fflush(out);
	}
	fclose(plan);
}

int main(void)
{
	const char *plan = getenv("VLPI_PLAN");

	setup_mounts();
	setup_stdio();
	setenv("PATH", "/tests:/bin", 1);

	run_plan(plan ? plan : "check");

	fprintf(out, "# vlpi-mig: plan complete\n");
	fflush(out);
	fsync(fileno(out));
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
