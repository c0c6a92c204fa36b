// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_qemu - an unmodified QEMU as the VMM.
 *
 * QEMU's arm64 userspace (Debian's, scripts/qemu-userspace.sh) is in
 * /qemu, unpacked from the initramfs; this program chroots a QEMU into
 * it, with the edu at BDF passed through (vfio-pci behind the emulated
 * SMMUv3, the device bound to the test-only edu_vfio_pci driver, which
 * implements VFIO migration v2), and the bare-metal guest/vlpi_guest.elf
 * as its kernel. QMP is on QEMU's stdin and stdout, the guest's UART on a
 * pair of FIFOs.
 *
 *   vlpi_mig_qemu migrate LABEL [BDF]
 *	The guest leaves the edu's MSI pending as a vLPI, masked; the
 *	source stops and migrates to a file, and quits; a destination takes
 *	the file in, continues, and the guest unmasks: how often it took
 *	the interrupt is the result. LABEL "module" expects once, "upstream"
 *	(the module unloaded) never on a GICv4.0, where 6.12 refuses the ITS
 *	save of a forwarded vLPI and QEMU migrates all the same, and once on
 *	a GICv4.1, whose VPTs 6.12 reads (the bed's vlpi_host_gic=). With
 *	the module, its trace events show the order of QEMU's calls: they
 *	are printed as each step ends, and the source's save of the pending
 *	vLPI must come before the destination's restore of it.
 *
 *   vlpi_mig_qemu pause LABEL [BDF]
 *	stop and cont twenty times a running guest with a forwarded vLPI,
 *	under each default_policy of the module (once if it is not loaded):
 *	QEMU must survive every one (it aborts if the pending-table save
 *	fails), and the device's MSI must still arrive after.
 *
 *   vlpi_mig_qemu cpr LABEL [BDF]
 *	QEMU 11.1's cpr-transfer: the guest leaves the MSI pending as in
 *	migrate, the old QEMU stops and hands guest RAM, the device and the
 *	VM's state to a new QEMU; the new one continues and the guest
 *	unmasks. LABEL "module" expects the vLPI once, "upstream" never (see
 *	cpr_test()); the device's next MSI once either way. BDF must be a
 *	device QEMU can reset without touching it (the bed's 0000:01:00.0).
 *
 * Each ends with one "# qemu VERSION, LABEL: ..." summary line, which
 * make demo-qemu prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"

#include "vfio_edu.h"
#include "vlpi_mig_util.h"
#include "vlpi_observe.h"

#define ROOT		"/qemu"
#define GUEST_ELF	"/tests/vlpi_guest.elf"
#define POLICY_PARAM	"/sys/module/vlpi_mig/parameters/default_policy"
#define STATS_FILE	"/sys/kernel/debug/vlpi_mig/stats"
#define PAUSES		20
#define MIG_FILE	"/tmp/vlpi_mig.mig"	/* in QEMU's root */
#define MIG_URI		"file:" MIG_FILE
#define CPR_SOCK	"/tmp/cpr.sock"		/* in QEMU's root */
#define CPR_MAIN	"/tmp/cpr-main.sock"
#define TRACE_MAX	256

static const char *bdf = "0000:00:02.0";
static char version[64] = "?";

struct qemu {
	pid_t pid;
	int qmp_w, qmp_r;	/* QEMU's stdin and stdout */
	int ser_w, ser_r;	/* the guest's UART */
	int err_r;		/* QEMU's stderr */
	char qbuf[16384];
	size_t qlen;
	char sbuf[4096];
	size_t slen;
	char elog[16384];	/* all QEMU wrote on stderr */
	size_t elen;
	int status;
	bool exited;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* QEMU's root: /dev, /proc and /sys bound in, a tmpfs for what it writes */
static bool setup_root(void)
{
	static const char * const binds[] = { "dev", "proc", "sys" };
	char path[64];
	int fd;

	if (!access(ROOT "/tmp/.vlpi_mig_qemu", F_OK))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(binds); i++) {
		char target[64];

		snprintf(path, sizeof(path), "/%s", binds[i]);
		snprintf(target, sizeof(target), ROOT "/%s", binds[i]);
		if (mount(path, target, NULL, MS_BIND | MS_REC, NULL)) {
			ksft_print_msg("bind %s: %s\n", target, strerror(errno));
			return false;
		}
	}
	if (mount("tmpfs", ROOT "/tmp", "tmpfs", 0, NULL)) {
		ksft_print_msg("tmpfs on " ROOT "/tmp: %s\n", strerror(errno));
		return false;
	}
	fd = open(ROOT "/tmp/.vlpi_mig_qemu", O_CREAT | O_WRONLY, 0644);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in, out;
	ssize_t n;
	bool ok = true;

	in = open(from, O_RDONLY);
	if (in < 0)
		return false;
	out = open(to, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (out < 0) {
		close(in);
		return false;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ok &= write(out, buf, n) == n;
	close(in);
	close(out);
	return ok && !n;
}

static void read_version(void)
{
	FILE *f = fopen(ROOT "/VLPI_QEMU_VERSION", "r");

	if (f) {
		if (fgets(version, sizeof(version), f))
			version[strcspn(version, "\n")] = '\0';
		fclose(f);
	}
}

/* Append what @fd has to @buf (of @size, kept NUL-terminated) */
static void read_into(int fd, char *buf, size_t *len, size_t size)
{
	ssize_t n;

	if (*len >= size - 1)
		return;
	n = read(fd, buf + *len, size - 1 - *len);
	if (n > 0)
		*len += n;
	buf[*len] = '\0';
}

/* Collect whatever QEMU wrote, for up to @timeout_ms; note its exit */
static void drain(struct qemu *q, int timeout_ms)
{
	struct pollfd p[3] = {
		{ .fd = q->qmp_r, .events = POLLIN },
		{ .fd = q->ser_r, .events = POLLIN },
		{ .fd = q->err_r, .events = POLLIN },
	};

	if (poll(p, 3, timeout_ms) <= 0)
		goto reap;
	if (p[0].revents)
		read_into(q->qmp_r, q->qbuf, &q->qlen, sizeof(q->qbuf));
	if (p[1].revents)
		read_into(q->ser_r, q->sbuf, &q->slen, sizeof(q->sbuf));
	if (p[2].revents)
		read_into(q->err_r, q->elog, &q->elen, sizeof(q->elog));
reap:
	if (!q->exited && waitpid(q->pid, &q->status, WNOHANG) == q->pid)
		q->exited = true;
}

/* Take one whole line starting with @prefix out of @buf */
static bool take_line(char *buf, size_t *len, const char *prefix,
		      char *line, size_t size)
{
	char *start = buf, *nl;

	while ((nl = memchr(start, '\n', buf + *len - start))) {
		bool match = !strncmp(start, prefix, strlen(prefix));

		if (match) {
			size_t n = nl - start;

			snprintf(line, size, "%.*s", (int)(n < size ? n : size - 1),
				 start);
			line[strcspn(line, "\r")] = '\0';
		}
		memmove(buf, nl + 1, buf + *len - (nl + 1));
		*len -= nl + 1 - buf;
		buf[*len] = '\0';
		if (match)
			return true;
		start = buf;
	}
	return false;
}

/* Wait for the guest's next line starting with @prefix */
static bool guest_line(struct qemu *q, const char *prefix, char *line,
		       size_t size, double timeout)
{
	double end = now() + timeout;

	while (now() < end) {
		if (take_line(q->sbuf, &q->slen, prefix, line, size))
			return true;
		if (q->exited)
			break;
		drain(q, 100);
	}
	snprintf(line, size, "(no \"%s\" line%s)", prefix,
		 q->exited ? ", QEMU is gone" : "");
	return false;
}

static bool guest_cmd(struct qemu *q, char cmd, const char *prefix,
		      char *line, size_t size, double timeout)
{
	if (write(q->ser_w, &cmd, 1) != 1)
		return false;
	return guest_line(q, prefix, line, size, timeout);
}

/* How many times the guest says it took the interrupt, or -1 */
static int guest_took(struct qemu *q, char cmd)
{
	char line[256];
	int n;

	if (!guest_cmd(q, cmd, "vlpi-guest: took", line, sizeof(line), 60) ||
	    sscanf(line, "vlpi-guest: took %d", &n) != 1)
		return -1;
	return n;
}

/* One QMP command; its reply line (events skipped), or "" if none came */
static const char *qmp(struct qemu *q, const char *fmt, ...)
{
	static char reply[4096];
	char cmd[1024];
	double end = now() + 120;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	cmd[n++] = '\n';
	reply[0] = '\0';
	if (q->exited || write(q->qmp_w, cmd, n) != n)
		return reply;
	while (now() < end) {
		if (take_line(q->qbuf, &q->qlen, "{\"return\"", reply,
			      sizeof(reply)) ||
		    take_line(q->qbuf, &q->qlen, "{\"error\"", reply,
			      sizeof(reply)))
			return reply;
		if (q->exited)
			break;
		drain(q, 100);
	}
	return reply;
}

static void argv_add(char **argv, int *argc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&argv[(*argc)++], fmt, ap) < 0)
		abort();
	va_end(ap);
	argv[*argc] = NULL;
}

/* A migration channel on a unix socket, as QMP and -incoming take it */
static const char *unix_channel(char *buf, size_t size, const char *type,
				const char *path)
{
	snprintf(buf, size,
		 "{\"channel-type\":\"%s\",\"addr\":{\"transport\":\"socket\",\"type\":\"unix\",\"path\":\"%s\"}}",
		 type, path);
	return buf;
}

/* How a QEMU is started */
enum qemu_mode {
	QEMU_RUN,		/* the guest boots */
	QEMU_INCOMING,		/* -incoming defer: migrate-incoming follows */
	QEMU_CPR_OLD,		/* guest RAM shareable, for a cpr-transfer */
	QEMU_CPR_NEW,		/* takes a cpr-transfer on CPR_SOCK */
};

/* The QMP greeting, then leave capabilities negotiation */
static bool qemu_greet(struct qemu *q, double timeout)
{
	char greeting[1024] = "";
	double end = now() + timeout;

	while (now() < end && !q->exited &&
	       !take_line(q->qbuf, &q->qlen, "{\"QMP\"", greeting,
			  sizeof(greeting)))
		drain(q, 100);
	if (!strstr(greeting, "QMP"))
		return false;
	return strstr(qmp(q, "{\"execute\":\"qmp_capabilities\"}"),
		      "\"return\"");
}

static bool qemu_start(struct qemu *q, enum qemu_mode mode)
{
	bool cpr = mode == QEMU_CPR_OLD || mode == QEMU_CPR_NEW;
	/* Both QEMUs of a cpr-transfer run at once: a UART each */
	const char *ser = mode == QEMU_CPR_NEW ? "/tmp/ser2" : "/tmp/ser";
	int in[2], out[2], err[2], argc = 0;
	char *argv[48], path[64], chan[160];

	memset(q, 0, sizeof(*q));
	snprintf(path, sizeof(path), ROOT "%s.in", ser);
	unlink(path);
	if (mkfifo(path, 0600))
		return false;
	q->ser_w = open(path, O_RDWR | O_CLOEXEC);
	snprintf(path, sizeof(path), ROOT "%s.out", ser);
	unlink(path);
	if (mkfifo(path, 0600))
		return false;
	q->ser_r = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (q->ser_r < 0 || q->ser_w < 0 || pipe2(in, O_CLOEXEC) ||
	    pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return false;

	argv_add(argv, &argc, "/usr/bin/qemu-system-aarch64");
	argv_add(argv, &argc, "-M");
	/*
	 * cpr-transfer hands guest RAM over in place: a memfd, and one for
	 * each RAM a device allocates (aux-ram-share)
	 */
	argv_add(argv, &argc, "virt,gic-version=3,its=on,highmem=off%s",
		 cpr ? ",memory-backend=ram0,aux-ram-share=on" : "");
	if (cpr) {
		argv_add(argv, &argc, "-object");
		argv_add(argv, &argc, "memory-backend-memfd,id=ram0,size=64M");
	}
	argv_add(argv, &argc, "-accel");
	argv_add(argv, &argc, "kvm");
	argv_add(argv, &argc, "-cpu");
	argv_add(argv, &argc, "host");
	argv_add(argv, &argc, "-smp");
	argv_add(argv, &argc, "1");
	argv_add(argv, &argc, "-m");
	argv_add(argv, &argc, "64");
	argv_add(argv, &argc, "-nodefaults");
	argv_add(argv, &argc, "-no-user-config");
	argv_add(argv, &argc, "-display");
	argv_add(argv, &argc, "none");
	argv_add(argv, &argc, "-chardev");
	argv_add(argv, &argc, "stdio,id=qmp,signal=off");
	/* -mon is deprecated from 11.1; -qmp chardev: works on 10.0 too */
	argv_add(argv, &argc, "-qmp");
	argv_add(argv, &argc, "chardev:qmp");
	argv_add(argv, &argc, "-chardev");
	argv_add(argv, &argc, "pipe,id=ser,path=%s", ser);
	argv_add(argv, &argc, "-serial");
	argv_add(argv, &argc, "chardev:ser");
	argv_add(argv, &argc, "-device");
	/*
	 * A cpr-transfer hands the open device over, not a copy of its
	 * state: VFIO migration off
	 */
	argv_add(argv, &argc, "vfio-pci,host=%s,id=edu,enable-migration=%s",
		 bdf, cpr ? "off" : "on");
	argv_add(argv, &argc, "-kernel");
	argv_add(argv, &argc, "/tmp/vlpi_guest.elf");
	if (mode == QEMU_INCOMING) {
		argv_add(argv, &argc, "-incoming");
		argv_add(argv, &argc, "defer");
	} else if (mode == QEMU_CPR_NEW) {
		argv_add(argv, &argc, "-incoming");
		argv_add(argv, &argc, "unix:" CPR_MAIN);
		argv_add(argv, &argc, "-incoming");
		argv_add(argv, &argc, "%s",
			 unix_channel(chan, sizeof(chan), "cpr", CPR_SOCK));
	}

	q->pid = fork();
	if (!q->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (chroot(ROOT) || chdir("/")) {
			perror("chroot " ROOT);
			_exit(127);
		}
		execv(argv[0], argv);
		perror("exec qemu-system-aarch64");
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	q->qmp_w = in[1];
	q->qmp_r = out[0];
	q->err_r = err[0];
	fcntl(q->qmp_r, F_SETFL, O_NONBLOCK);
	fcntl(q->err_r, F_SETFL, O_NONBLOCK);
	if (q->pid < 0)
		return false;

	/* The new QEMU of a cpr-transfer opens its monitor once it has the state */
	return mode == QEMU_CPR_NEW || qemu_greet(q, 120);
}

/* Wait for QEMU to exit (killing it after @timeout); its exit status */
static int qemu_wait(struct qemu *q, double timeout)
{
	double end = now() + timeout;

	while (!q->exited && now() < end)
		drain(q, 100);
	if (!q->exited) {
		kill(q->pid, SIGKILL);
		waitpid(q->pid, &q->status, 0);
		q->exited = true;
	}
	/* The rest of its stderr, until EOF (or the log is full) */
	for (size_t had = SIZE_MAX; had != q->elen;) {
		had = q->elen;
		read_into(q->err_r, q->elog, &q->elen, sizeof(q->elog));
	}
	close(q->qmp_w);
	close(q->qmp_r);
	close(q->err_r);
	close(q->ser_w);
	close(q->ser_r);
	return q->status;
}

static void qemu_quit(struct qemu *q)
{
	if (!q->exited)
		qmp(q, "{\"execute\":\"quit\"}");
	qemu_wait(q, 60);
}

/* The migration's status once it ends ("completed", "failed", ...) */
static void migration_end(struct qemu *q, char *status, size_t size)
{
	double end = now() + 300;
	const char *r = "", *s;

	snprintf(status, size, "timeout");
	while (now() < end && !q->exited) {
		r = qmp(q, "{\"execute\":\"query-migrate\"}");
		s = strstr(r, "\"status\": \"");
		if (s) {
			s += strlen("\"status\": \"");
			snprintf(status, size, "%.*s", (int)strcspn(s, "\""), s);
			if (strcmp(status, "active") && strcmp(status, "setup") &&
			    strcmp(status, "device") && strcmp(status, "none") &&
			    strcmp(status, "wait-unplug") &&
			    strcmp(status, "pre-switchover"))
				break;
		}
		usleep(200000);
	}
	if (q->exited)
		snprintf(status, size, "QEMU is gone");
	if (strcmp(status, "completed"))
		ksft_print_msg("query-migrate: %s\n", r);
}

/* "ok", or the errno QEMU logged for KVM_DEV_ARM_ITS_SAVE_TABLES */
static void its_save_result(const struct qemu *q, char *res, size_t size)
{
	static const char tag[] = "Group 4 attr 0x0000000000000001: ";
	const char *p = strstr(q->elog, tag);

	if (!p) {
		snprintf(res, size, "ok");
		return;
	}
	p += strlen(tag);
	snprintf(res, size, "%.*s", (int)strcspn(p, "\n"), p);
	/* QEMU logs strerror(): give the errno's name, as a VMM author reads it */
	for (int e = 1; e < 134; e++) {
		if (!strcmp(strerror(e), res)) {
			snprintf(res, size, "%s", strerrorname_np(e));
			break;
		}
	}
}

static int count_its_save_errors(const struct qemu *q)
{
	const char *p = q->elog;
	int n = 0;

	while ((p = strstr(p, "Group 4 attr 0x0000000000000001: "))) {
		n++;
		p++;
	}
	return n;
}

static void print_log(const char *what, const char *log)
{
	char copy[sizeof(((struct qemu *)0)->elog)], *line, *save;

	snprintf(copy, sizeof(copy), "%s", log);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		ksft_print_msg("%s: %s\n", what, line);
}

/* The module's per-VM counter @field for QEMU's VM, or -1 */
static long long vm_counter(pid_t pid, const char *field)
{
	char line[1024], want[32], key[64];
	long long v = -1;
	FILE *f = fopen(STATS_FILE, "r");
	const char *p;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "pid %d ", pid);
	snprintf(key, sizeof(key), " %s ", field);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, want, strlen(want)) && !strstr(line, want))
			continue;
		p = strstr(line, key);
		if (p)
			v = atoll(p + strlen(key));
		break;
	}
	fclose(f);
	return v;
}

static int device_irq(void)
{
	char name[64];

	snprintf(name, sizeof(name), "vfio-msi[0](%s)", bdf);
	return host_irq_by_name(name);
}

/*
 * The device's PCI command register as the host sees it, or -1: QEMU's
 * reset of a device clears its memory decode, and then the guest's access
 * to a BAR ends KVM_RUN with EFAULT
 */
static int device_command(void)
{
	char path[96];
	uint16_t cmd;
	int fd, n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = pread(fd, &cmd, sizeof(cmd), 4);
	close(fd);
	return n == sizeof(cmd) ? cmd : -1;
}

/* The module's trace events so far, and how many of them were printed */
static struct vlpi_event evs[TRACE_MAX];
static int nr_evs, shown_evs;

/* Print the events that came since the last call, as @step's */
static void trace_step(const char *step)
{
	int n = vlpi_trace_read(evs, TRACE_MAX);

	nr_evs = n < 0 ? 0 : n;
	ksft_print_msg("trace: %s: %d event(s)\n", step, nr_evs - shown_evs);
	for (; shown_evs < nr_evs; shown_evs++) {
		const struct vlpi_event *e = &evs[shown_evs];

		ksft_print_msg("trace: vlpi_mig_%s: " VLPI_EVENT_FMT "\n",
			       e->name, e->pid, e->vm_id, e->vcpu, e->intid,
			       e->host_irq, e->pending, e->ret);
	}
}

/* The index of the first event @name from QEMU @pid for @intid, or -1 */
static int trace_index(const char *name, pid_t pid, unsigned int intid)
{
	for (int i = 0; i < nr_evs; i++)
		if (!strcmp(evs[i].name, name) && evs[i].pid == pid &&
		    evs[i].intid == intid)
			return i;
	return -1;
}

/*
 * The order a VMM must keep, as the events show it: the source saved the
 * vLPI pending (with its host IRQ) before the destination, another QEMU,
 * moved its restored state to the ITS as it set forwarding up
 */
static void trace_check(pid_t src, int src_irq, pid_t dst, int dst_irq,
			unsigned int intid)
{
	int s = trace_index("save", src, intid);
	int r = trace_index("restore", dst, intid);
	const struct vlpi_event *se = s >= 0 ? &evs[s] : NULL;
	const struct vlpi_event *re = r >= 0 ? &evs[r] : NULL;
	bool saved = se && se->pending == 1 && !se->ret &&
		     (src_irq <= 0 || se->host_irq == src_irq);
	bool restored = re && !re->ret &&
			(dst_irq <= 0 || re->host_irq == dst_irq);

	ksft_test_result(src != dst && saved && restored && s < r,
			 "trace: source QEMU %d saved vLPI %u pending (event %d, host IRQ %d), then destination QEMU %d restored it (event %d, host IRQ %d)\n",
			 src, intid, s, se ? se->host_irq : -1, dst, r,
			 re ? re->host_irq : -1);
}

/*
 * Two results: the edu's MSI reaches the guest as a forwarded vLPI, then
 * the guest leaves it pending, masked and acknowledged at the device, so
 * that only the vLPI holds it
 */
static void vlpi_left_pending(struct qemu *q, int irq)
{
	char line[256];

	ksft_test_result(irq > 0 && host_irq_forwarded(irq) &&
			 guest_took(q, 'r') == 1,
			 "the edu's MSI is a forwarded vLPI (host IRQ %d), and the guest takes it\n",
			 irq);
	ksft_test_result(guest_cmd(q, 'p', "vlpi-guest: pending", line,
				   sizeof(line), 60) &&
			 strstr(line, "hppir=8192 "),
			 "%s (only the vLPI holds it)\n", line);
}

static void migrate_test(const char *label)
{
	bool module = !strcmp(label, "module");
	bool carries = module || vlpi_host_gicv4_1();
	char line[256], status[64], its[64];
	uint64_t host0 = 0, host_src = 0, host_dst = 0;
	long long saved = -1;
	struct qemu src, dst;
	int irq, src_irq, took = -1, after = -1;
	unsigned int lpi = 8192;
	bool tracing = false;
	const char *p;

	ksft_set_plan(module ? 11 : 10);
	if (module) {
		tracing = vlpi_trace_start();
		if (!tracing)
			ksft_print_msg("trace: cannot enable the vlpi_mig events\n");
	}

	/* The source */
	ksft_test_result(qemu_start(&src, QEMU_RUN), "source QEMU %s starts\n",
			 version);
	ksft_test_result(guest_line(&src, "vlpi-guest: ready", line,
				    sizeof(line), 180), "%s\n", line);
	p = strstr(line, " lpi=");
	if (p)
		lpi = strtoul(p + strlen(" lpi="), NULL, 10);
	irq = device_irq();
	src_irq = irq;
	if (irq > 0)
		host0 = host_irq_count(irq);
	vlpi_left_pending(&src, irq);

	/*
	 * The VM is stopped before the migration, as for a snapshot. The
	 * type1 container reports every page the device can reach dirty on
	 * every pass (the edu has no dirty tracking of its own), so precopy
	 * would never converge: allow the whole RAM as downtime.
	 */
	qmp(&src, "{\"execute\":\"stop\"}");
	if (tracing) {
		snprintf(line, sizeof(line), "source QEMU %d stopped", src.pid);
		trace_step(line);
	}
	qmp(&src, "{\"execute\":\"migrate-set-parameters\",\"arguments\":%s}",
	    "{\"downtime-limit\":2000000}");
	qmp(&src, "{\"execute\":\"%s\",\"arguments\":{\"uri\":\"%s\"}}",
	    "migrate", MIG_URI);
	migration_end(&src, status, sizeof(status));
	if (tracing)
		trace_step("its migration ended");
	its_save_result(&src, its, sizeof(its));
	if (module)
		saved = vm_counter(src.pid, "saved_pending");
	if (irq > 0)
		host_src = host_irq_count(irq) - host0;
	ksft_test_result(!strcmp(status, "completed"),
			 "the source migrates to a file: %s (ITS save %s%s)\n",
			 status, its,
			 module ? (saved > 0 ? ", the vLPI saved as pending" :
				   ", the vLPI NOT saved") : "");
	qemu_quit(&src);
	if (tracing)
		trace_step("it quit");
	print_log("source", src.elog);
	if (strcmp(status, "completed")) {
		for (int i = 6; i <= (module ? 11 : 10); i++)
			ksft_test_result_fail("no destination: the source failed\n");
		goto out;
	}

	/* The destination */
	ksft_test_result(qemu_start(&dst, QEMU_INCOMING), "destination QEMU starts\n");
	qmp(&dst, "{\"execute\":\"%s\",\"arguments\":{\"uri\":\"%s\"}}",
	    "migrate-incoming", MIG_URI);
	migration_end(&dst, status, sizeof(status));
	if (tracing) {
		snprintf(line, sizeof(line),
			 "destination QEMU %d took the migration in", dst.pid);
		trace_step(line);
	}
	ksft_test_result(!strcmp(status, "completed"),
			 "the destination takes it in: %s\n", status);
	qmp(&dst, "{\"execute\":\"cont\"}");
	irq = device_irq();
	if (irq > 0)
		host0 = host_irq_count(irq);
	took = guest_took(&dst, 'u');
	after = guest_took(&dst, 'r');
	if (irq > 0)
		host_dst = host_irq_count(irq) - host0;
	/* Upstream reads a GICv4.1's VPTs, and carries the vLPI as well */
	if (carries)
		ksft_test_result(took == 1,
				 "the pending vLPI arrives on the destination once: %d time(s)\n",
				 took);
	else
		ksft_test_result(took == 0,
				 "upstream loses the pending vLPI: delivered %d time(s)\n",
				 took);
	/*
	 * Upstream's ITS save stopped at the forwarded ITE with EACCES,
	 * before the device's table entry and the collection table, and
	 * QEMU migrated what was there: the destination's ITS cannot
	 * translate the device's MSI, so every later one is lost too
	 */
	if (carries)
		ksft_test_result(after == 1,
				 "the device's next MSI arrives on the destination: %d time(s)\n",
				 after);
	else
		ksft_test_result(after == 0,
				 "upstream loses the device's next MSI too (its DTE was never saved): %d time(s)\n",
				 after);
	guest_cmd(&dst, 'q', "vlpi-guest: bye", line, sizeof(line), 30);
	qemu_wait(&dst, 60);
	if (tracing)
		trace_step("it continued, the guest took the vLPI, and it quit");
	print_log("destination", dst.elog);
	if (carries)
		ksft_test_result(host_src == 0 && host_dst == 0,
				 "the host never took the device's MSI (source %llu, destination %llu): direct injection\n",
				 (unsigned long long)host_src,
				 (unsigned long long)host_dst);
	else
		ksft_test_result(host_src == 0,
				 "the host never took the device's MSI on the source (%llu): direct injection; on the destination, not forwarded, %llu\n",
				 (unsigned long long)host_src,
				 (unsigned long long)host_dst);
	if (module)
		trace_check(src.pid, src_irq, dst.pid, irq, lpi);
out:
	if (tracing)
		vlpi_trace_stop();
	unlink(ROOT MIG_FILE);
	snprintf(line, sizeof(line), "%s:", label);
	ksft_print_msg("qemu %s, %-9s ITS save %s, delivered %d time(s) on the destination\n",
		       version, line, its, took);
}

/*
 * What a cpr-transfer did to the vLPI, as the module's events show it: the
 * old QEMU's stop saved it pending, then the old QEMU tore forwarding down
 * and the module kept that state (upstream drops it here), then the new
 * QEMU set forwarding up and the state went to the ITS
 */
static void cpr_trace_check(pid_t old, pid_t new, unsigned int intid)
{
	int s = trace_index("save", old, intid);
	int u = trace_index("unforward", old, intid);
	int r = trace_index("restore", new, intid);

	ksft_test_result(s >= 0 && evs[s].pending == 1 && !evs[s].ret &&
			 u > s && evs[u].pending == 1 && !evs[u].ret &&
			 r > u && !evs[r].ret,
			 "trace: old QEMU %d saved vLPI %u pending (event %d), tore forwarding down with it kept (event %d), new QEMU %d restored it (event %d)\n",
			 old, intid, s, u, new, r);
}

/*
 * cpr-transfer (QEMU 10.2 and later; a VFIO device handed over from 11.1):
 * the old QEMU stops, hands guest RAM (memfds), the device's file
 * descriptors and the VM's state over to a new QEMU on the same host, and
 * the new QEMU builds a new VM on them. On the old side the device's
 * irqfds go when the update starts, after the stop's saves: forwarding is
 * torn down with no vCPU run since, which drops a pending vLPI from the
 * ITS; then, at precopy-done, QEMU saves the pending tables again, and
 * what that save writes in guest RAM is what the new VM's ITS restore
 * reads. The module keeps the state the stop's save read and writes it
 * again ("quiesce, then SAVE_PENDING_TABLES"): the vLPI arrives once.
 * Upstream writes it as not pending: it is lost. The device's next MSI
 * arrives either way.
 */
static void cpr_test(const char *label)
{
	bool module = !strcmp(label, "module");
	int want = module ? 1 : 0, irq, took = -1, after = -1, cmd;
	char line[256], old_status[64], new_status[64], main_ch[160], cpr_ch[160];
	bool up, tracing = false;
	struct qemu old, new;
	double end;

	ksft_set_plan(module ? 9 : 8);
	if (module) {
		tracing = vlpi_trace_start();
		if (!tracing)
			ksft_print_msg("trace: cannot enable the vlpi_mig events\n");
	}
	ksft_test_result(qemu_start(&old, QEMU_CPR_OLD) &&
			 guest_line(&old, "vlpi-guest: ready", line,
				    sizeof(line), 180),
			 "old QEMU %s starts, guest RAM a memfd: %s\n", version,
			 line);
	irq = device_irq();
	vlpi_left_pending(&old, irq);

	qmp(&old, "{\"execute\":\"stop\"}");
	qmp(&old, "{\"execute\":\"migrate-set-parameters\",\"arguments\":%s}",
	    "{\"mode\":\"cpr-transfer\"}");
	unlink(ROOT CPR_SOCK);
	up = qemu_start(&new, QEMU_CPR_NEW);
	for (end = now() + 120; up && access(ROOT CPR_SOCK, F_OK) &&
	     now() < end;)
		drain(&new, 100);
	qmp(&old, "{\"execute\":\"migrate\",\"arguments\":{\"channels\":[%s,%s]}}",
	    unix_channel(main_ch, sizeof(main_ch), "main", CPR_MAIN),
	    unix_channel(cpr_ch, sizeof(cpr_ch), "cpr", CPR_SOCK));
	migration_end(&old, old_status, sizeof(old_status));
	snprintf(new_status, sizeof(new_status), "no monitor");
	if (qemu_greet(&new, 120))
		migration_end(&new, new_status, sizeof(new_status));
	ksft_test_result(!strcmp(old_status, "completed") &&
			 !strcmp(new_status, "completed"),
			 "cpr-transfer: the old QEMU %s, the new one %s\n",
			 old_status, new_status);
	if (tracing) {
		snprintf(line, sizeof(line),
			 "old QEMU %d handed over to new QEMU %d", old.pid,
			 new.pid);
		trace_step(line);
	}
	qemu_quit(&old);
	print_log("old QEMU", old.elog);

	qmp(&new, "{\"execute\":\"cont\"}");
	took = guest_took(&new, 'u');
	after = guest_took(&new, 'r');
	ksft_test_result(took == want,
			 "the vLPI pending at the stop arrives in the new VM %d time(s) (want %d%s)\n",
			 took, want, module ? "" :
			 ": upstream's second save writes what the teardown dropped");
	ksft_test_result(after == 1,
			 "the device's next MSI arrives in the new VM: %d time(s)\n",
			 after);
	irq = device_irq();
	ksft_test_result(irq > 0 && host_irq_forwarded(irq),
			 "the new VM forwards the device's MSI (host IRQ %d)\n",
			 irq);
	cmd = device_command();
	guest_cmd(&new, 'q', "vlpi-guest: bye", line, sizeof(line), 30);
	ksft_test_result(qemu_wait(&new, 60) == 0 &&
			 !strstr(new.elog, "kvm run failed"),
			 "the new QEMU ran the guest to its end (status %#x; the device's PCI_COMMAND %#x)\n",
			 new.status, cmd);
	print_log("new QEMU", new.elog);
	if (tracing)
		trace_step("the new QEMU ran the guest and quit");
	if (module)
		cpr_trace_check(old.pid, new.pid, 8192);
	if (tracing)
		vlpi_trace_stop();
	snprintf(line, sizeof(line), "%s:", label);
	ksft_print_msg("qemu %s, cpr-transfer, %-9s delivered %d time(s) in the new VM\n",
		       version, line, took);
}

static const char * const policies[] = { "strict", "conservative", "legacy" };

/*
 * QEMU logs the ITS save's error at each stop: the save refuses the
 * forwarded ITE where the VPT cannot be read (a GICv4.0 upstream, or the
 * module not told to trust it), unless the policy is conservative
 */
static int its_errors_expected(int policy)
{
	bool readable = vlpi_host_gicv4_1() ||
			(policy >= 0 && vlpi_vpt_readable());

	return readable || policy == KVM_VLPI_MIG_POLICY_CONSERVATIVE ? 0 : PAUSES;
}

static void pause_one(const char *label, int policy)
{
	int stops = 0, errors, took_before, took_after;
	const char *name = policy < 0 ? "none (no module)" : policies[policy];
	long long vm_policy = -1, refused = -1;
	char line[256];
	struct qemu q;
	bool alive;

	if (policy >= 0 && vlpi_mig_set_default_policy(policy)) {
		ksft_test_result_fail("%s, policy %s: default_policy not set\n",
				      label, name);
		return;
	}
	if (!qemu_start(&q, QEMU_RUN) ||
	    !guest_line(&q, "vlpi-guest: ready", line, sizeof(line), 180)) {
		ksft_test_result_fail("%s, policy %s: QEMU or its guest did not start: %s\n",
				      label, name, line);
		qemu_quit(&q);
		print_log("qemu", q.elog);
		return;
	}
	took_before = guest_took(&q, 'r');
	for (int i = 0; i < PAUSES && !q.exited; i++) {
		if (!strstr(qmp(&q, "{\"execute\":\"stop\"}"), "return") ||
		    !strstr(qmp(&q, "{\"execute\":\"query-status\"}"),
			    "\"paused\"") ||
		    !strstr(qmp(&q, "{\"execute\":\"cont\"}"), "return") ||
		    !strstr(qmp(&q, "{\"execute\":\"query-status\"}"),
			    "\"running\""))
			break;
		stops++;
	}
	took_after = guest_took(&q, 'r');
	if (policy >= 0) {
		vm_policy = vm_counter(q.pid, "policy");
		refused = vm_counter(q.pid, "refused");
	}
	drain(&q, 100);
	alive = !q.exited;
	errors = count_its_save_errors(&q);
	guest_cmd(&q, 'q', "vlpi-guest: bye", line, sizeof(line), 30);
	qemu_wait(&q, 60);
	if (!alive)
		print_log("qemu", q.elog);
	if (policy >= 0)
		ksft_print_msg("%s, policy %s: the VM's policy %lld, ITS saves refused %lld\n",
			       label, name, vm_policy, refused);
	ksft_test_result(alive && stops == PAUSES && took_before == 1 &&
			 took_after == 1 && vm_policy == policy &&
			 errors == its_errors_expected(policy),
			 "%s, policy %s: %d/%d stop/cont, QEMU %s, ITS save errors logged %d (want %d), MSI before %d after %d\n",
			 label, name, stops, PAUSES, alive ? "alive" : "DEAD",
			 errors, its_errors_expected(policy), took_before,
			 took_after);
}

static void pause_test(const char *label)
{
	bool module = !access(POLICY_PARAM, F_OK);
	int err;

	ksft_set_plan(module ? 4 : 1);
	if (!module) {
		pause_one(label, -1);
		return;
	}
	err = vlpi_mig_set_default_policy(3);
	ksft_test_result(err == EINVAL, "default_policy=3 is refused: %s\n",
			 strerror(err));
	for (int p = 0; p < 3; p++)
		pause_one(label, p);
	vlpi_mig_set_default_policy(0);
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "migrate") && strcmp(argv[1], "pause") &&
			 strcmp(argv[1], "cpr"))) {
		fprintf(stderr, "usage: %s migrate|pause|cpr LABEL [BDF]\n", argv[0]);
		return KSFT_FAIL;
	}
	if (argc > 3)
		bdf = argv[3];

	ksft_print_header();
	if (access(ROOT "/usr/bin/qemu-system-aarch64", X_OK))
		ksft_exit_skip("no QEMU under " ROOT "\n");
	if (!setup_root() || !copy_file(GUEST_ELF, ROOT "/tmp/vlpi_guest.elf"))
		ksft_exit_fail_msg("cannot set up QEMU's root: %s\n",
				   strerror(errno));
	read_version();
	signal(SIGPIPE, SIG_IGN);

	if (!strcmp(argv[1], "migrate"))
		migrate_test(argv[2]);
	else if (!strcmp(argv[1], "cpr"))
		cpr_test(argv[2]);
	else
		pause_test(argv[2]);
	ksft_finished();
}
