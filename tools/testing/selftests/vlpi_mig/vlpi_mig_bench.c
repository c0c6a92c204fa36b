// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_bench - what the module costs, against upstream in the same
 * boot: the vGIC save on the source, the restore and re-forwarding on the
 * destination, unforwarding every vector and tearing the VM down.
 *
 * For each configuration (vCPUs, software LPIs, forwarded vLPIs) a source
 * VM maps, through its vITS, the forwarded vLPIs (the MSI-X vectors of the
 * nvme at 00:06.0, an irqfd each) and the software LPIs, spread over its
 * vCPUs; a quarter of each are made pending: the software ones and the
 * forwarded ones with KVM_SIGNAL_MSI, which for a forwarded LPI is a VINT
 * to the ITS once the vITS's translation cache is flushed. Then, with the
 * module loaded and unloaded in turn (ABBA, so that neither side always
 * runs first), each repetition times:
 *
 *   save_pending  KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES on the source
 *   save_its      KVM_DEV_ARM_ITS_SAVE_TABLES on the source (upstream
 *                 refuses forwarded ITEs on GICv4.0: EACCES, timed anyway)
 *   restore       on a new destination VM: ITS_RESTORE_TABLES, then an
 *                 irqfd for each MSI-X vector of the nvme at 00:07.0,
 *                 which forwards it
 *   unforward     VFIO MSI-X disable of every vector, no vCPU running
 *   teardown      (vectors enabled and forwarded again) closing every
 *                 file descriptor of the destination VM
 *   floor         reading and writing back the LPI part of every pending
 *                 table of the VM once: a plain copy of the bytes a save
 *                 can touch
 *
 * Each line gives the median, min and max over the repetitions, the
 * pending bits the save left in guest RAM (upstream drops the forwarded
 * ones on GICv4.0 and reads them on GICv4.1), and the vPE unmaps and maps
 * the module counted (STATS). Each configuration is also a TAP test: the
 * module must save every pending LPI, upstream the software ones and, on
 * GICv4.1, the forwarded ones; the module's save unmaps each vPE once on
 * GICv4.1 (none on GICv4.0, or with nothing forwarded), and unforward and
 * teardown must unmap no vPE. The bed's host GIC (vlpi_host_gic=) says
 * which.
 *
 *   vlpi_mig_bench [-r reps] [-d reps] [-c vcpus,sw,fwd]
 *
 * -r: repetitions of the saves (default 5); -d: of the destination's
 * operations (default 3; 0 skips them), each of which sets 1024 vectors
 * up in VFIO for seconds under TCG; -c: one configuration, not the grid.
 * In the grid the destination is timed only with software LPIs: unforward
 * and teardown never look at them, and the bed needs about two minutes
 * for each destination of 1024 vectors.
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
#include "vlpi_migrate.h"

#define SRC_BDF		"0000:00:06.0"
#define DST_BDF		"0000:00:07.0"
#define FWD_DEVID	0x100
#define SW_DEVID	0x200
#define MAX_FWD		1024
#define MAX_SW		8192	/* one 64K ITT of 8-byte entries */
#define PENDING_EVERY	4	/* a quarter of each kind is pending */
#define DEF_REPS	5	/* of the saves, which take milliseconds */
#define DEF_DST_REPS	3	/* of each destination, which take seconds */
#define LPI_PROP	(0xa0 | LPI_PROP_GROUP1 | LPI_PROP_ENABLED)
/* The LPI part of a table for the vITS's 16 INTID bits */
#define TABLE_LPI_BYTES	((SZ_64K - VLPI_LPI_BASE) / 8)

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

struct sample {
	double us[64];
	unsigned int n;
	uint64_t bits, vpe_unmaps, vpe_maps;
};

static struct sample samples[NR_OPS][NR_SIDES], floor_sample;

static void record(struct sample *s, double us)
{
	if (s->n < ARRAY_SIZE(s->us))
		s->us[s->n++] = us;
}

/* The median, spread and counts of @s, sorted */
static const char *sample_text(const struct sample *s)
{
	static char buf[256];
	double median = s->n % 2 ? s->us[s->n / 2] :
			(s->us[s->n / 2 - 1] + s->us[s->n / 2]) / 2;

	snprintf(buf, sizeof(buf),
		 "median_us=%.1f min_us=%.1f max_us=%.1f bits=%lu vpe_unmaps=%lu vpe_maps=%lu",
		 median, s->us[0], s->us[s->n - 1], (unsigned long)s->bits,
		 (unsigned long)s->vpe_unmaps, (unsigned long)s->vpe_maps);
	return buf;
}

static void print_sample(const char *op, const char *side,
			 const struct config *c, struct sample *s)
{
	if (!s->n)
		return;
	qsort(s->us, s->n, sizeof(s->us[0]), cmp_double);
	/* The line scripts/bench.sh reads */
	ksft_print_msg("bench op=%s vcpus=%u sw=%u fwd=%u side=%s reps=%u %s\n",
		       op, c->vcpus, c->sw, c->fwd, side, s->n,
		       sample_text(s));
}

static void set_side(enum side side)
{
	int ret;

	if (side == MODULE && !vlpi_mig_loaded())
		vlpi_mig_load(true);
	if (side == UPSTREAM && vlpi_mig_loaded()) {
		ret = vlpi_mig_unload();
		TEST_ASSERT(!ret, "rmmod vlpi_mig: %s", strerror(ret));
	}
}

/* The module's vPE counters for @v, 0 with the module unloaded */
static void vpe_counts(struct vlpi_vm *v, uint64_t *unmaps, uint64_t *maps)
{
	struct kvm_vlpi_mig_stats st = { .size = sizeof(st) };

	*unmaps = *maps = 0;
	if (vlpi_mig_loaded() && !vlpi_mig_get_stats(v, &st)) {
		*unmaps = st.vpe_unmaps;
		*maps = st.vpe_maps;
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

static void time_saves(struct vlpi_vm *src, enum side side)
{
	uint64_t u0, m0, u1, m1;
	double t;
	int ret;

	vpe_counts(src, &u0, &m0);
	t = now_us();
	ret = vlpi_save_pending_tables(src);
	t = now_us() - t;
	TEST_ASSERT(!ret, "%s: SAVE_PENDING_TABLES: %s", side_names[side],
		    strerror(ret));
	vpe_counts(src, &u1, &m1);
	record(&samples[SAVE_PENDING][side], t);
	samples[SAVE_PENDING][side].bits = count_bits(src);
	samples[SAVE_PENDING][side].vpe_unmaps = u1 - u0;
	samples[SAVE_PENDING][side].vpe_maps = m1 - m0;

	t = now_us();
	ret = vlpi_save_its_tables(src);
	t = now_us() - t;
	TEST_ASSERT(!ret || (side == UPSTREAM && ret == EACCES),
		    "%s: ITS_SAVE_TABLES: %s", side_names[side], strerror(ret));
	record(&samples[SAVE_ITS][side], t);
}

/*
 * One destination: restore, unforward, forward again, tear down. Returns
 * whether neither unforward nor teardown unmapped a vPE, and every
 * vector was forwarded after the restore.
 */
static bool time_destination(struct vlpi_vm *src, struct vfio_msix *dev,
			     enum side side)
{
	static int efds[MAX_FWD];
	uint64_t u0, m0, u1, m1;
	struct vlpi_vm *dst;
	unsigned int fwd;
	double t;
	int ret;
	bool ok;

	dst = vlpi_its_vm_create(src->nr_vcpus, guest_code);
	vlpi_migrate_prepare(dst, src);
	new_eventfds(efds);
	msix_enable(dev, efds);
	vpe_counts(dst, &u0, &m0);

	t = now_us();
	ret = vlpi_migrate_its(dst, src);
	route_fwd(dst);
	irqfds(dst, efds, true);
	t = now_us() - t;
	TEST_ASSERT(!ret, "ITS_RESTORE_TABLES: %s", strerror(ret));
	record(&samples[RESTORE][side], t);
	fwd = nr_forwarded(dev);

	t = now_us();
	ret = vfio_msix_disable(dev);
	t = now_us() - t;
	TEST_ASSERT(!ret, "MSI-X disable: %s", strerror(ret));
	record(&samples[UNFORWARD][side], t);
	vpe_counts(dst, &u1, &m1);
	samples[UNFORWARD][side].vpe_unmaps = u1 - u0;
	samples[UNFORWARD][side].vpe_maps = m1 - m0;
	ok = fwd == nr_fwd && u1 == u0;
	if (fwd != nr_fwd)
		ksft_print_msg("%s: %u of %u vectors forwarded after the restore\n",
			       side_names[side], fwd, nr_fwd);

	/* Forwarded again, as VFIO does when the guest turns MSI-X back on */
	msix_enable(dev, efds);
	vpe_counts(dst, &u0, &m0);
	t = now_us();
	vlpi_vm_free(dst);
	t = now_us() - t;
	record(&samples[TEARDOWN][side], t);
	/* The VM and its counters are gone: teardown's vPE ops are not counted */
	ret = vfio_msix_disable(dev);
	TEST_ASSERT(!ret, "MSI-X disable: %s", strerror(ret));
	close_eventfds(efds);
	return ok;
}

static void time_floor(struct vlpi_vm *v)
{
	static uint8_t buf[TABLE_LPI_BYTES];
	unsigned int cpu;
	double t;

	t = now_us();
	for (cpu = 0; cpu < v->nr_vcpus; cpu++) {
		uint8_t *table = vlpi_pend_table(v, cpu) + VLPI_LPI_BASE / 8;

		memcpy(buf, table, sizeof(buf));
		/* Keep the compiler from dropping the copies */
		__asm__ __volatile__("" : : "r"(buf) : "memory");
		memcpy(table, buf, sizeof(buf));
	}
	record(&floor_sample, now_us() - t);
}

static bool run_config(const struct config *c, unsigned int reps,
		       unsigned int dst_reps, struct vfio_msix *src_dev,
		       struct vfio_msix *dst_dev)
{
	static int efds[MAX_FWD];
	uint64_t want_fwd, want_sw, want_up, unmaps;
	struct vlpi_vm *src;
	unsigned int r, i;
	bool ok = true;

	nr_fwd = c->fwd;
	nr_sw = c->sw;
	memset(samples, 0, sizeof(samples));
	memset(&floor_sample, 0, sizeof(floor_sample));

	src = source_create(c, src_dev, efds);
	for (r = 0; r < max(reps, dst_reps); r++) {
		for (i = 0; i < NR_SIDES; i++) {
			/* ABBA: module first in even repetitions */
			enum side side = (r % 2) ? NR_SIDES - 1 - i : i;

			set_side(side);
			if (r < reps) {
				time_saves(src, side);
				time_floor(src);
			}
			if (r < dst_reps && (c->sw || c == &one))
				ok &= time_destination(src, dst_dev, side);
		}
	}

	want_fwd = (nr_fwd + PENDING_EVERY - 1) / PENDING_EVERY;
	want_sw = (nr_sw + PENDING_EVERY - 1) / PENDING_EVERY;
	for (i = 0; i < NR_OPS; i++) {
		print_sample(op_names[i], side_names[MODULE], c,
			     &samples[i][MODULE]);
		print_sample(op_names[i], side_names[UPSTREAM], c,
			     &samples[i][UPSTREAM]);
	}
	print_sample("floor", "copy", c, &floor_sample);

	/* Upstream reads a GICv4.1's VPTs; the module unmaps only there */
	want_up = want_sw + (vlpi_host_gicv4_1() ? want_fwd : 0);
	unmaps = c->fwd ? vlpi_save_vpe_unmaps(c->vcpus) : 0;
	ok &= samples[SAVE_PENDING][MODULE].bits == want_fwd + want_sw &&
	      samples[SAVE_PENDING][UPSTREAM].bits == want_up &&
	      samples[SAVE_PENDING][MODULE].vpe_unmaps == unmaps &&
	      samples[SAVE_PENDING][MODULE].vpe_maps == unmaps;

	set_side(MODULE);
	irqfds(src, efds, false);
	TEST_ASSERT(!vfio_msix_disable(src_dev), "MSI-X disable");
	close_eventfds(efds);
	vlpi_vm_free(src);

	ksft_test_result(ok,
			 "vcpus %u sw %u fwd %u: module saved %lu of %lu pending, upstream %lu; vPE unmaps per save %lu\n",
			 c->vcpus, c->sw, c->fwd,
			 (unsigned long)samples[SAVE_PENDING][MODULE].bits,
			 (unsigned long)(want_fwd + want_sw),
			 (unsigned long)samples[SAVE_PENDING][UPSTREAM].bits,
			 (unsigned long)samples[SAVE_PENDING][MODULE].vpe_unmaps);
	return ok;
}

int main(int argc, char *argv[])
{
	struct vfio_msix src_dev, dst_dev;
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
	if (!reps || reps > ARRAY_SIZE(samples[0][0].us) ||
	    dst_reps > ARRAY_SIZE(samples[0][0].us))
		ksft_exit_fail_msg("-r: 1 to %zu\n",
				   ARRAY_SIZE(samples[0][0].us));
	for (i = 0; i < nr; i++)
		if (cs[i].fwd > MAX_FWD || cs[i].sw > MAX_SW ||
		    cs[i].vcpus > VLPI_MAX_VCPUS)
			ksft_exit_fail_msg("configuration past the bench's limits\n");
	if (!vfio_msix_open(&src_dev, SRC_BDF) ||
	    !vfio_msix_open(&dst_dev, DST_BDF))
		ksft_exit_skip("%s and %s must be bound to vfio-pci (VLPI_BED=bench)\n",
			       SRC_BDF, DST_BDF);
	vfio_msix_raise_nofile(4 * MAX_FWD + 256);
	ksft_set_plan(nr);

	for (i = 0; i < nr; i++)
		run_config(&cs[i], reps, dst_reps, &src_dev, &dst_dev);

	vfio_msix_close(&src_dev);
	vfio_msix_close(&dst_dev);
	ksft_finished();
}
