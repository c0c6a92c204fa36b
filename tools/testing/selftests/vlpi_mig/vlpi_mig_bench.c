// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_bench - what the module costs, against upstream in the same
 * boot: the vGIC save on the source, the restore and re-forwarding on the
 * destination, unforwarding every vector and tearing the VM down.
 *
 * For each configuration (vCPUs, software LPIs, forwarded vLPIs) each side
 * (module loaded; unloaded: upstream, 6.12 plus the fixes the series
 * carries) builds its own source VM: it maps, through its vITS, the
 * forwarded vLPIs (the MSI-X vectors of an nvme of its own, 00:06.0 for
 * the module's, 00:08.0 for upstream's, an irqfd each) and the software
 * LPIs, spread over its vCPUs, and makes a quarter of each pending with
 * KVM_SIGNAL_MSI (for a forwarded LPI a VINT to the ITS once the vITS's
 * translation cache is flushed). The two sides' saves alternate (ABBA),
 * the module loaded and unloaded between them, the timed saves after
 * WARM_SAVES untimed ones of each kind; then each side's destinations,
 * the side that goes first alternating from one configuration to the
 * next. Each side times:
 *
 *   save_pending  KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES on its source
 *   save_its      KVM_DEV_ARM_ITS_SAVE_TABLES on its source
 *   restore       on a new destination VM, from its own source's tables:
 *                 ITS_RESTORE_TABLES, then an irqfd for each MSI-X vector
 *                 of the nvme at 00:07.0, which forwards it
 *   unforward     VFIO MSI-X disable of every vector, no vCPU running
 *   teardown      (vectors enabled and forwarded again) closing every
 *                 file descriptor of the destination VM
 *
 * Each line gives the median, the quartiles, min and max over the
 * repetitions. After its timed saves each side saves once more with
 * kprobes on the ITS driver: the pending bits that save left in guest RAM,
 * the VMAPPs it sent (V=0 unmaps, V=1 maps) and how long each VMAPP took.
 *
 * The floor of a save (op=floor side=bound) is a lower bound on what any
 * save of that configuration costs on this host: the bytes it must write
 * (each vCPU's pending-table bytes that hold a mapped LPI targeting it)
 * and read (each vPE's VPT bytes that hold a forwarded vLPI it owns) at
 * the memory bandwidth measured in this boot (the median of copies of
 * 64 MiB), plus, on GICv4.1, one VMAPP unmap and one map of each vPE that
 * owns a forwarded vLPI (what makes its VPT coherent), at the median
 * VMAPP time upstream's save measured. Reading KVM's own LPI state is left
 * out, so the bound stays below the truth.
 *
 * Each configuration is also a TAP test: the module's save must leave
 * every pending LPI's bit set, upstream's the software ones and, on
 * GICv4.1, the forwarded ones; the module's save unmaps and maps back each
 * vPE once on GICv4.1 (none on GICv4.0), as upstream's does; and
 * no unforward sends a VMAPP. The bed's host GIC (vlpi_host_gic=) says
 * which.
 *
 *   vlpi_mig_bench [-r reps] [-d reps] [-c vcpus,sw,fwd]
 *
 * -r: timed saves per side (default 21); -d: destinations per side
 * (default 5; 0: none), each of which sets up to 1024 vectors up in VFIO
 * for seconds under TCG; -c: one configuration, not the grid. In the grid
 * destinations are timed at 16 vCPUs with software LPIs only: restore
 * cost grows with vectors and vCPUs, and unforward and teardown never look
 * at software LPIs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/sizes.h>

#include "kselftest.h"
#include "gic_v3.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vfio_msix.h"
#include "vlpi_its.h"
#include "vlpi_mig_util.h"
#include "vlpi_observe.h"
#include "vlpi_migrate.h"

/* Each side's source VM forwards a device of its own */
#define MODULE_BDF	"0000:00:06.0"
#define UPSTREAM_BDF	"0000:00:08.0"
#define DST_BDF		"0000:00:07.0"
#define FWD_DEVID	0x100
#define SW_DEVID	0x200
#define MAX_FWD		1024
#define MAX_SW		8192	/* one 64K ITT of 8-byte entries */
#define PENDING_EVERY	4	/* a quarter of each kind is pending */
#define DEF_REPS	21	/* of the saves, which take milliseconds */
#define DEF_DST_REPS	5	/* of each destination, which take seconds */

/*
 * Untimed saves of each kind before the timed ones. The first save after
 * the module is loaded again gives an older VM its state back, and the
 * emulator translates the module's freshly loaded code as it first runs
 * it: the module's own share of a pending-table save (1 vCPU, 4 vLPIs;
 * the vPEs' VMAPPs left out) measured 2033 us at the first save after a
 * reload, 68 at the second, 44 at the third and 31 at the fourth
 * (medians of 20 reloads). Both sides warm up alike; a host loads the
 * module once.
 */
#define WARM_SAVES	3
#define MAX_REPS	64
#define LPI_PROP	(0xa0 | LPI_PROP_GROUP1 | LPI_PROP_ENABLED)
#define BW_BYTES	SZ_64M
#define BW_REPS		9
/* The bytes of a pending table for the vITS's 16 INTID bits */
#define TABLE_BYTES	(SZ_64K / 8)

enum op { SAVE_PENDING, SAVE_ITS, RESTORE, UNFORWARD, TEARDOWN, NR_OPS };
enum side { MODULE, UPSTREAM, NR_SIDES };

static const char * const op_names[NR_OPS] = {
	"save_pending", "save_its", "restore", "unforward", "teardown",
};

static const char * const side_names[NR_SIDES] = { "module", "upstream" };

struct config {
	unsigned int vcpus, sw, fwd;
};

static const struct config grid[] = {
	{ 1, 0, 4 }, { 1, 0, 256 }, { 1, 0, 1024 },
	{ 1, 8192, 4 }, { 1, 8192, 256 }, { 1, 8192, 1024 },
	{ 4, 0, 4 }, { 4, 0, 256 }, { 4, 0, 1024 },
	{ 4, 8192, 4 }, { 4, 8192, 256 }, { 4, 8192, 1024 },
	{ 16, 0, 4 }, { 16, 0, 256 }, { 16, 0, 1024 },
	{ 16, 8192, 4 }, { 16, 8192, 256 }, { 16, 8192, 1024 },
};

/* A configuration given with -c */
static struct config one;

/* Shared with the guest */
static uint32_t nr_fwd, nr_sw;

static uint32_t fwd_intid(uint32_t e)
{
	return VLPI_LPI_BASE + e;
}

static uint32_t sw_intid(uint32_t e)
{
	return VLPI_LPI_BASE + nr_fwd + e;
}

static void guest_code(void)
{
	uint32_t nr_vcpus = vlpi_its.nr_vcpus;
	uint32_t e;

	local_irq_disable();
	vlpi_guest_gic_init();
	if (guest_get_vcpuid() == 0) {
		vlpi_guest_its_init();
		vlpi_guest_map_device(FWD_DEVID, 0);
		for (e = 0; e < nr_fwd; e++)
			vlpi_guest_map_event(FWD_DEVID, e, e % nr_vcpus,
					     fwd_intid(e));
		if (nr_sw) {
			vlpi_guest_map_device(SW_DEVID, 1);
			for (e = 0; e < nr_sw; e++)
				vlpi_guest_map_event(SW_DEVID, e,
						     e % nr_vcpus, sw_intid(e));
		}
		vlpi_guest_invall();
	}
	GUEST_SYNC(1);
	GUEST_DONE();
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The @q quantile of @n sorted values, linearly interpolated */
static double quantile(const double *v, unsigned int n, double q)
{
	double pos = q * (n - 1);
	unsigned int i = pos;

	return i + 1 < n ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[n - 1];
}

struct sample {
	double us[MAX_REPS];
	unsigned int n;
};

/* What a side's untimed save left and sent */
struct save_seen {
	uint64_t bits;
	struct vlpi_vmapps vmapps;
	double vmapp_us;	/* the shortest, 0 if none was timed */
};

static struct sample samples[NR_OPS][NR_SIDES];
static struct save_seen seen[NR_SIDES];
static double mbps;

static void record(struct sample *s, double us)
{
	if (s->n < ARRAY_SIZE(s->us))
		s->us[s->n++] = us;
}

/* "vcpus=N sw=N fwd=N", as every bench line names its configuration */
static const char *config_text(const struct config *c)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "vcpus=%u sw=%u fwd=%u", c->vcpus, c->sw,
		 c->fwd);
	return buf;
}

static void print_sample(enum op op, enum side side, const struct config *c)
{
	struct sample *s = &samples[op][side];
	char times[128];

	if (!s->n)
		return;
	qsort(s->us, s->n, sizeof(s->us[0]), cmp_double);
	snprintf(times, sizeof(times),
		 "median_us=%.1f q1_us=%.1f q3_us=%.1f min_us=%.1f max_us=%.1f",
		 quantile(s->us, s->n, 0.5), quantile(s->us, s->n, 0.25),
		 quantile(s->us, s->n, 0.75), s->us[0], s->us[s->n - 1]);
	/* The line scripts/bench.sh reads */
	ksft_print_msg("bench op=%s %s side=%s reps=%u %s\n", op_names[op],
		       config_text(c), side_names[side], s->n, times);
}

static void set_side(enum side side)
{
	int ret;

	if (side == MODULE && !vlpi_mig_loaded())
		vlpi_mig_load();
	if (side == UPSTREAM && vlpi_mig_loaded()) {
		ret = vlpi_mig_unload();
		TEST_ASSERT(!ret, "rmmod vlpi_mig: %s", strerror(ret));
	}
}

/* Pending bits the save left for the VM's LPIs, over every table */
static uint64_t count_bits(struct vlpi_vm *v)
{
	uint32_t intid, last = VLPI_LPI_BASE + nr_fwd + nr_sw;
	uint64_t n = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < v->nr_vcpus; cpu++) {
		const uint8_t *t = vlpi_pend_table(v, cpu);

		for (intid = VLPI_LPI_BASE; intid < last; intid++)
			n += vlpi_pend_bit(t, intid);
	}
	return n;
}

/*
 * The bytes a save must touch and the vPEs it must unmap, from how the
 * guest mapped the LPIs: event e of either device targets vCPU e % vcpus
 */
static void floor_work(const struct config *c, uint64_t *bytes,
		       unsigned int *vpes)
{
	/* On the heap: the test's ELF, BSS included, is loaded in the guest */
	uint8_t (*written)[TABLE_BYTES] = calloc(c->vcpus, TABLE_BYTES);
	uint8_t (*read)[TABLE_BYTES] = calloc(c->vcpus, TABLE_BYTES);
	unsigned int cpu, i;
	uint32_t e;

	TEST_ASSERT(written && read, "calloc");
	for (e = 0; e < c->fwd; e++) {
		read[e % c->vcpus][(VLPI_LPI_BASE + e) / 8] = 1;
		written[e % c->vcpus][(VLPI_LPI_BASE + e) / 8] = 1;
	}
	for (e = 0; e < c->sw; e++)
		written[e % c->vcpus][(VLPI_LPI_BASE + c->fwd + e) / 8] = 1;
	*bytes = 0;
	*vpes = 0;
	for (cpu = 0; cpu < c->vcpus; cpu++) {
		bool owns = false;

		for (i = 0; i < TABLE_BYTES; i++) {
			*bytes += written[cpu][i] + read[cpu][i];
			owns |= read[cpu][i];
		}
		*vpes += owns;
	}
	free(written);
	free(read);
	if (!vlpi_host_gicv4_1())
		*vpes = 0;
}

static void set_props(struct vlpi_vm *v)
{
	uint8_t *prop = addr_gpa2hva(v->vm, vlpi_its.prop_table);

	memset(prop, LPI_PROP, nr_fwd + nr_sw);
}

/* Flush the vITS's translation cache: GITS_CTLR.Enabled off and on */
static void flush_translations(struct vlpi_vm *v)
{
	uint64_t ctlr = 0, off = 0;

	kvm_device_attr_get(v->its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
			    GITS_CTLR, &ctlr);
	kvm_device_attr_set(v->its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
			    GITS_CTLR, &off);
	kvm_device_attr_set(v->its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
			    GITS_CTLR, &ctlr);
}

static void route_fwd(struct vlpi_vm *v)
{
	struct vlpi_msi *msis = calloc(nr_fwd, sizeof(*msis));
	uint32_t e;

	TEST_ASSERT(msis, "calloc");
	for (e = 0; e < nr_fwd; e++)
		msis[e] = (struct vlpi_msi){ FWD_DEVID, e };
	vlpi_route_msis(v, msis, nr_fwd);
	free(msis);
}

static void irqfds(struct vlpi_vm *v, const int *efds, bool assign)
{
	uint32_t e;

	for (e = 0; e < nr_fwd; e++)
		vlpi_irqfd(v, e, efds[e], assign);
}

static void new_eventfds(int *efds)
{
	uint32_t e;

	for (e = 0; e < nr_fwd; e++) {
		efds[e] = eventfd(0, EFD_NONBLOCK);
		TEST_ASSERT(efds[e] >= 0, "eventfd: %s", strerror(errno));
	}
}

static void close_eventfds(const int *efds)
{
	uint32_t e;

	for (e = 0; e < nr_fwd; e++)
		close(efds[e]);
}

static void msix_enable(struct vfio_msix *d, const int *efds)
{
	int ret = vfio_msix_enable(d, efds, nr_fwd);

	TEST_ASSERT(!ret, "%s: MSI-X enable of %u vectors: %s", d->bdf,
		    nr_fwd, strerror(ret));
}

/* How many of the device's vectors irq debugfs shows forwarded */
static unsigned int nr_forwarded(struct vfio_msix *d)
{
	static int irqs[MAX_FWD];
	unsigned int i, n, fwd = 0;

	n = vfio_msix_host_irqs(d, irqs, nr_fwd);
	for (i = 0; i < n; i++)
		fwd += irqs[i] > 0 && host_irq_forwarded(irqs[i]);
	return fwd;
}

static struct vlpi_vm *source_create(const struct config *c,
				     struct vfio_msix *dev, int *efds)
{
	struct vlpi_vm *v;
	unsigned int cpu;
	uint32_t e;

	v = vlpi_its_vm_create(c->vcpus, guest_code);
	set_props(v);
	sync_global_to_guest(v->vm, nr_fwd);
	sync_global_to_guest(v->vm, nr_sw);
	for (cpu = c->vcpus; cpu-- > 0;)
		vlpi_run_to_sync(v->vcpus[cpu], 1);

	route_fwd(v);
	new_eventfds(efds);
	irqfds(v, efds, true);
	msix_enable(dev, efds);

	flush_translations(v);
	for (e = 0; e < nr_fwd; e += PENDING_EVERY)
		TEST_ASSERT(vlpi_signal_msi(v, (struct vlpi_msi){ FWD_DEVID, e }) == 1,
			    "KVM_SIGNAL_MSI, vLPI %u", fwd_intid(e));
	for (e = 0; e < nr_sw; e += PENDING_EVERY)
		TEST_ASSERT(vlpi_signal_msi(v, (struct vlpi_msi){ SW_DEVID, e }) == 1,
			    "KVM_SIGNAL_MSI, LPI %u", sw_intid(e));
	return v;
}

static void source_free(struct vlpi_vm *v, struct vfio_msix *dev,
			const int *efds)
{
	irqfds(v, efds, false);
	TEST_ASSERT(!vfio_msix_disable(dev), "MSI-X disable");
	close_eventfds(efds);
	vlpi_vm_free(v);
}

/* Upstream refuses forwarded ITEs on GICv4.0: a save all the same */
static void check_its_save(enum side side, int ret)
{
	TEST_ASSERT(!ret || (side == UPSTREAM && ret == EACCES &&
			     !vlpi_host_gicv4_1()),
		    "%s: ITS_SAVE_TABLES: %s", side_names[side],
		    strerror(ret));
}

/*
 * One timed save of each kind on @src, after WARM_SAVES untimed pairs of
 * them, in the order a VMM saves
 */
static void time_saves(struct vlpi_vm *src, enum side side)
{
	unsigned int i;
	double t;
	int ret;

	for (i = 0; i < WARM_SAVES; i++) {
		check_its_save(side, vlpi_save_its_tables(src));
		ret = vlpi_save_pending_tables(src);
		TEST_ASSERT(!ret, "%s: SAVE_PENDING_TABLES: %s",
			    side_names[side], strerror(ret));
	}

	t = now_us();
	ret = vlpi_save_pending_tables(src);
	t = now_us() - t;
	TEST_ASSERT(!ret, "%s: SAVE_PENDING_TABLES: %s", side_names[side],
		    strerror(ret));
	record(&samples[SAVE_PENDING][side], t);

	t = now_us();
	ret = vlpi_save_its_tables(src);
	t = now_us() - t;
	check_its_save(side, ret);
	record(&samples[SAVE_ITS][side], t);
}

/*
 * One save more, untimed, watched: its bits, its VMAPPs and the shortest
 * of their times
 */
static void watch_save(struct vlpi_vm *src, enum side side)
{
	static double us[4 * VLPI_MAX_VCPUS];
	struct save_seen *s = &seen[side];
	int n, ret;

	memset(s, 0, sizeof(*s));
	/* What this save leaves, not what an earlier one did */
	for (n = 0; n < (int)src->nr_vcpus; n++)
		memset(vlpi_pend_table(src, n) + VLPI_LPI_BASE / 8, 0,
		       TABLE_BYTES - VLPI_LPI_BASE / 8);
	TEST_ASSERT(vlpi_vmapp_start() && vlpi_vmapp_time_start(),
		    "kprobes on the ITS driver");
	ret = vlpi_save_pending_tables(src);
	TEST_ASSERT(!ret, "%s: SAVE_PENDING_TABLES: %s", side_names[side],
		    strerror(ret));
	TEST_ASSERT(vlpi_vmapp_read(&s->vmapps), "VMAPP count lost");
	n = vlpi_vmapp_time_read(us, ARRAY_SIZE(us));
	TEST_ASSERT(n >= 0, "VMAPP times lost");
	vlpi_vmapp_time_stop();
	vlpi_vmapp_stop();
	while (n--)
		if (!s->vmapp_us || us[n] < s->vmapp_us)
			s->vmapp_us = us[n];
	s->bits = count_bits(src);
}

/*
 * One destination of @src: restore, unforward, forward again, tear down.
 * Returns whether every vector was forwarded after the restore and the
 * unforward sent no VMAPP.
 */
static bool time_destination(struct vlpi_vm *src, struct vfio_msix *dev,
			     enum side side)
{
	static int efds[MAX_FWD];
	struct vlpi_vmapps vmapps;
	struct vlpi_vm *dst;
	unsigned int fwd;
	double t;
	int ret;

	dst = vlpi_its_vm_create(src->nr_vcpus, guest_code);
	vlpi_migrate_prepare(dst, src);
	new_eventfds(efds);
	msix_enable(dev, efds);

	t = now_us();
	ret = vlpi_migrate_its(dst, src);
	route_fwd(dst);
	irqfds(dst, efds, true);
	t = now_us() - t;
	TEST_ASSERT(!ret, "ITS_RESTORE_TABLES: %s", strerror(ret));
	record(&samples[RESTORE][side], t);
	fwd = nr_forwarded(dev);

	TEST_ASSERT(vlpi_vmapp_start(), "kprobe on its_build_vmapp_cmd");
	t = now_us();
	ret = vfio_msix_disable(dev);
	t = now_us() - t;
	TEST_ASSERT(!ret, "MSI-X disable: %s", strerror(ret));
	TEST_ASSERT(vlpi_vmapp_read(&vmapps), "VMAPP count lost");
	vlpi_vmapp_stop();
	record(&samples[UNFORWARD][side], t);
	if (fwd != nr_fwd)
		ksft_print_msg("%s: %u of %u vectors forwarded after the restore\n",
			       side_names[side], fwd, nr_fwd);

	/* Forwarded again, as VFIO does when the guest turns MSI-X back on */
	msix_enable(dev, efds);
	t = now_us();
	vlpi_vm_free(dst);
	t = now_us() - t;
	record(&samples[TEARDOWN][side], t);
	ret = vfio_msix_disable(dev);
	TEST_ASSERT(!ret, "MSI-X disable: %s", strerror(ret));
	close_eventfds(efds);
	return fwd == nr_fwd && !vmapps.maps && !vmapps.unmaps;
}

/*
 * The floor of @c's save, from the bandwidth and the shortest VMAPP either
 * side's watched save sent: a lower bound, which a median is not (of the
 * two VMAPPs a 1-vCPU save sends, the median is their mean)
 */
static void print_floor(const struct config *c)
{
	double vmapp_us = seen[UPSTREAM].vmapp_us, us;
	unsigned int vpes;
	char work[96];
	uint64_t bytes;

	if (seen[MODULE].vmapp_us &&
	    (!vmapp_us || seen[MODULE].vmapp_us < vmapp_us))
		vmapp_us = seen[MODULE].vmapp_us;
	floor_work(c, &bytes, &vpes);
	us = bytes / mbps + 2.0 * vpes * vmapp_us;
	snprintf(work, sizeof(work),
		 "bytes=%lu mbps=%.0f vpes=%u vmapp_us=%.1f",
		 (unsigned long)bytes, mbps, vpes, vmapp_us);
	ksft_print_msg("bench op=floor %s side=bound median_us=%.1f %s\n",
		       config_text(c), us, work);
}

/*
 * Each side's source VM, built with the module loaded or not, on a device
 * of its own; their saves interleaved (ABBA), so that a slow spell of the
 * machine weighs on both sides alike; then each side's watched save and
 * destinations, the side that goes first alternating by configuration
 */
static bool run_config(const struct config *c, unsigned int index,
		       unsigned int reps, unsigned int dst_reps,
		       struct vfio_msix *src_devs, struct vfio_msix *dst_dev)
{
	static int efds[NR_SIDES][MAX_FWD];
	struct vlpi_vm *src[NR_SIDES];
	uint64_t want_fwd, want_sw, want_up;
	unsigned int i, r, unmaps;
	enum side side;
	bool ok = true, dst_ok;

	nr_fwd = c->fwd;
	nr_sw = c->sw;
	memset(samples, 0, sizeof(samples));

	for (side = 0; side < NR_SIDES; side++) {
		set_side(side);
		src[side] = source_create(c, &src_devs[side], efds[side]);
	}
	for (r = 0; r < reps; r++)
		for (i = 0; i < NR_SIDES; i++) {
			side = (index + r + i) % NR_SIDES;
			set_side(side);
			time_saves(src[side], side);
		}
	for (i = 0; i < NR_SIDES; i++) {
		side = (index + i) % NR_SIDES;
		set_side(side);
		watch_save(src[side], side);
		for (r = 0; r < dst_reps; r++)
			ok &= time_destination(src[side], dst_dev, side);
	}
	for (side = 0; side < NR_SIDES; side++)
		source_free(src[side], &src_devs[side], efds[side]);
	dst_ok = ok;

	for (i = 0; i < NR_OPS; i++) {
		print_sample(i, MODULE, c);
		print_sample(i, UPSTREAM, c);
	}
	print_floor(c);
	for (i = 0; i < NR_SIDES; i++)
		ksft_print_msg("bench op=watch %s side=%s bits=%lu vmapp_unmaps=%u vmapp_maps=%u\n",
			       config_text(c), side_names[i],
			       (unsigned long)seen[i].bits,
			       seen[i].vmapps.unmaps, seen[i].vmapps.maps);

	/* Both read a GICv4.1's VPTs, the vPEs unmapped by the vGIC */
	want_fwd = (nr_fwd + PENDING_EVERY - 1) / PENDING_EVERY;
	want_sw = (nr_sw + PENDING_EVERY - 1) / PENDING_EVERY;
	want_up = want_sw + (vlpi_host_gicv4_1() ? want_fwd : 0);
	unmaps = vlpi_save_vpe_unmaps(c->vcpus);
	ok &= seen[MODULE].bits == want_fwd + want_sw &&
	      seen[UPSTREAM].bits == want_up &&
	      seen[MODULE].vmapps.unmaps == unmaps &&
	      seen[MODULE].vmapps.maps == unmaps;

	ksft_test_result(ok,
			 "vcpus %u sw %u fwd %u: saved module %lu, upstream %lu (want %lu, %lu); module's save VMAPP %u unmaps %u maps (want %u each); %s\n",
			 c->vcpus, c->sw, c->fwd,
			 (unsigned long)seen[MODULE].bits,
			 (unsigned long)seen[UPSTREAM].bits,
			 (unsigned long)(want_fwd + want_sw),
			 (unsigned long)want_up, seen[MODULE].vmapps.unmaps,
			 seen[MODULE].vmapps.maps, unmaps,
			 !dst_reps ? "no destination" :
			 dst_ok ? "every destination forwarded, no unforward VMAPP" :
			 "a destination not forwarded, or an unforward VMAPP");
	return ok;
}

/* The memory bandwidth of this boot, copying 64 MiB: MB/s = bytes/us */
static double measure_bandwidth(void)
{
	double us[BW_REPS], t;
	char *a = malloc(BW_BYTES), *b = malloc(BW_BYTES);
	unsigned int r;

	TEST_ASSERT(a && b, "malloc");
	memset(a, 1, BW_BYTES);
	memset(b, 2, BW_BYTES);
	for (r = 0; r < BW_REPS; r++) {
		t = now_us();
		memcpy(r % 2 ? a : b, r % 2 ? b : a, BW_BYTES);
		__asm__ __volatile__("" : : "r"(a), "r"(b) : "memory");
		us[r] = now_us() - t;
	}
	free(a);
	free(b);
	qsort(us, BW_REPS, sizeof(us[0]), cmp_double);
	/* A copy reads and writes each byte */
	return 2.0 * BW_BYTES / quantile(us, BW_REPS, 0.5);
}

int main(int argc, char *argv[])
{
	struct vfio_msix src_devs[NR_SIDES], dst_dev;
	unsigned int reps = DEF_REPS, dst_reps = DEF_DST_REPS;
	unsigned int i, nr = ARRAY_SIZE(grid);
	const struct config *cs = grid;
	int opt;

	while ((opt = getopt(argc, argv, "r:d:c:")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'd':
			dst_reps = atoi(optarg);
			break;
		case 'c':
			if (sscanf(optarg, "%u,%u,%u", &one.vcpus, &one.sw,
				   &one.fwd) != 3)
				ksft_exit_fail_msg("-c vcpus,sw,fwd\n");
			cs = &one;
			nr = 1;
			break;
		default:
			ksft_exit_fail_msg("usage: %s [-r reps] [-d reps] [-c vcpus,sw,fwd]\n",
					   argv[0]);
		}
	}
	ksft_print_header();
	if (!reps || reps > MAX_REPS || dst_reps > MAX_REPS)
		ksft_exit_fail_msg("-r, -d: up to %d\n", MAX_REPS);
	for (i = 0; i < nr; i++)
		if (cs[i].fwd > MAX_FWD || cs[i].sw > MAX_SW ||
		    !cs[i].vcpus || cs[i].vcpus > VLPI_MAX_VCPUS)
			ksft_exit_fail_msg("configuration past the bench's limits\n");
	if (!vfio_msix_open(&src_devs[MODULE], MODULE_BDF) ||
	    !vfio_msix_open(&src_devs[UPSTREAM], UPSTREAM_BDF) ||
	    !vfio_msix_open(&dst_dev, DST_BDF))
		ksft_exit_fail_msg("%s, %s and %s must be bound to vfio-pci (VLPI_BED=bench)\n",
				   MODULE_BDF, UPSTREAM_BDF, DST_BDF);
	vfio_msix_raise_nofile(6 * MAX_FWD + 256);
	ksft_set_plan(nr);

	mbps = measure_bandwidth();
	ksft_print_msg("bench host gic=%s mbps=%.0f\n",
		       vlpi_host_gicv4_1() ? "4.1" : "4.0", mbps);
	for (i = 0; i < nr; i++) {
		bool dst = cs == &one || (cs[i].vcpus == 16 && cs[i].sw);

		run_config(&cs[i], i, reps, dst ? dst_reps : 0, src_devs,
			   &dst_dev);
	}

	vfio_msix_close(&src_devs[MODULE]);
	vfio_msix_close(&src_devs[UPSTREAM]);
	vfio_msix_close(&dst_dev);
	ksft_finished();
}
