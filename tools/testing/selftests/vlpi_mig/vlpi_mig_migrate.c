// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_migrate - a VM with forwarded vLPIs migrated, source VM to
 * destination VM in one process, as a VMM on two hosts would do it.
 *
 * Two vCPUs; four edu devices passed through with VFIO no-IOMMU, each MSI
 * forwarded as a vLPI:
 *
 *   edu 00:02.0  LPI 8192  vCPU 0  pending at the source
 *   edu 00:03.0  LPI 8193  vCPU 1  not pending; raised again after the
 *                                  migration, to show forwarding is live
 *   edu 00:04.0  LPI 8194  vCPU 0  not pending
 *   edu 00:05.0  LPI 8195  vCPU 1  pending at the source
 *
 * The guest sets up its ITS, masks interrupts, and the devices raise their
 * MSIs. The VMM saves the ITS and pending tables, builds the destination
 * (guest RAM, vCPU registers, GIC, ITS, in the uAPI's order), hands the
 * devices over (irqfds off the source, onto the destination) and lets the
 * destination guest unmask: each vLPI pending at the source must arrive
 * exactly once and no other; then a fresh MSI must arrive exactly once.
 *
 * Without the module (-n), upstream's result is asserted and reported:
 * on GICv4.0 the ITS save is refused, and the interrupts are lost; on
 * GICv4.1, whose VPTs upstream reads, the migration carries them as it
 * does with the module (the bed's vlpi_host_gic= says which).
 *
 * With it, what an administrator sees is checked too: each VM's vlpis file
 * in debugfs, and the trace events of the whole migration, printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "delay.h"
#include "gic.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_four.h"
#include "vlpi_observe.h"
#include "vlpi_migrate.h"
#include "vlpi_mig_util.h"

/* What a vlpis file's pending column must show */
enum vlpis_state {
	UNREAD,		/* never read: "-" */
	SAVED,		/* as the save read it */
	RESTORED,	/* the pending ones restored: 1, the others never read */
};

/*
 * The VM's vlpis file lists the four forwarded vLPIs, their host IRQs and
 * vCPUs, and their pending state as last known (@want)
 */
static bool vlpis_file_ok(struct vlpi_vm *v, const int *host_irqs,
			  enum vlpis_state want, unsigned int *vm_id)
{
	struct vlpi_row rows[8];
	const struct vlpi_row *r;
	bool ok;
	int n, i;

	n = vlpi_debugfs_vlpis(v, vm_id, rows, 8);
	ok = n == FOUR_LPIS && *vm_id;
	for (i = 0; i < n; i++)
		ksft_print_msg("debugfs vlpis of VM %u: intid %u host_irq %d vcpu %d pending %d\n",
			       *vm_id, rows[i].intid, rows[i].host_irq,
			       rows[i].vcpu, rows[i].pending);
	for (i = 0; ok && i < (int)FOUR_LPIS; i++) {
		r = vlpi_row_find(rows, n, four_lpis[i].intid);
		ok = r && r->host_irq == host_irqs[i] &&
		     r->vcpu == (int)four_lpis[i].vcpu &&
		     r->pending == (want == SAVED ? (int)four_lpis[i].pending :
				    want == RESTORED && four_lpis[i].pending ? 1 :
				    -1);
	}
	return ok;
}

static int vlpis_count(struct vlpi_vm *v)
{
	struct vlpi_row rows[8];
	unsigned int id;

	return vlpi_debugfs_vlpis(v, &id, rows, 8);
}

/*
 * The migration's trace events: each vLPI saved by the source with its
 * state, restored on the destination if pending, and unforwarded from
 * the source, each with its VM, vCPU and host IRQ
 */
static void trace_check(unsigned int src_id, unsigned int dst_id,
			const int *host_irqs)
{
	static struct vlpi_event evs[256];
	const struct vlpi_event *e;
	bool saved = true, restored = true, unfwd = true;
	int n, i;

	n = vlpi_trace_read(evs, 256);
	for (i = 0; i < n; i++)
		ksft_print_msg("trace: vlpi_mig_%s: " VLPI_EVENT_FMT "\n",
			       evs[i].name, evs[i].pid, evs[i].vm_id,
			       evs[i].vcpu, evs[i].intid, evs[i].host_irq,
			       evs[i].pending, evs[i].ret);
	for (i = 0; i < (int)FOUR_LPIS; i++) {
		e = vlpi_trace_find(evs, n, "save", four_lpis[i].intid, src_id);
		saved &= e && e->pid == getpid() &&
			 e->vcpu == (int)four_lpis[i].vcpu &&
			 e->host_irq == host_irqs[i] &&
			 e->pending == four_lpis[i].pending && !e->ret;
		e = vlpi_trace_find(evs, n, "restore", four_lpis[i].intid, dst_id);
		restored &= four_lpis[i].pending ?
			    e && e->host_irq == host_irqs[i] &&
			    e->vcpu == (int)four_lpis[i].vcpu && !e->ret : !e;
		e = vlpi_trace_find(evs, n, "unforward", four_lpis[i].intid, src_id);
		unfwd &= e && e->host_irq == host_irqs[i] && !e->ret &&
			 e->pending == four_lpis[i].pending;
	}
	ksft_test_result(saved,
			 "trace: a save event per vLPI, from the source, with its vCPU, host IRQ and state\n");
	ksft_test_result(restored,
			 "trace: a restore event on the destination for each pending vLPI, none for the others\n");
	ksft_test_result(unfwd,
			 "trace: an unforward event per vLPI as the source let go, its state read\n");
}

int main(int argc, char *argv[])
{
	char got[128] = "", lost[128] = "", extra[128] = "";
	struct edu edus[FOUR_LPIS];
	int efds[FOUR_LPIS], host_irqs[FOUR_LPIS], its_err, pend_err, rest_err;
	unsigned int src_id = 0, dst_id = 0;
	struct vlpi_vm *src, *dst;
	bool module, once = true;
	struct vlpi_stats st = {};
	unsigned int i, late;

	module = vlpi_mig_test_start(argc, argv);
	for (i = 0; i < FOUR_LPIS; i++)
		if (!edu_open(&edus[i], four_lpis[i].bdf))
			ksft_exit_skip("%s is not bound to vfio-pci\n",
				       four_lpis[i].bdf);
	ksft_set_plan(module ? 17 : 6);
	if (module)
		TEST_ASSERT(vlpi_trace_start(), "tracefs: vlpi_mig events");

	/* The source: forwarding up, the chosen subset pending, saved */
	src = four_vm_create();
	for (i = FOUR_VCPUS; i-- > 0;)
		vlpi_run_to_sync(src->vcpus[i], 1);
	for (i = 0; i < FOUR_LPIS; i++) {
		efds[i] = eventfd(0, EFD_NONBLOCK);
		TEST_ASSERT(efds[i] >= 0, "eventfd");
	}
	four_forward(src, efds, true);
	for (i = 0; i < FOUR_LPIS; i++)
		edu_enable_msi(&edus[i], efds[i]);
	for (i = 0; i < FOUR_LPIS; i++) {
		int irq = edu_host_irq(&edus[i]);

		TEST_ASSERT(irq > 0 && host_irq_forwarded(irq),
			    "%s: host IRQ %d not forwarded", four_lpis[i].bdf, irq);
		host_irqs[i] = irq;
		ksft_print_msg("source: edu %s MSI, host IRQ %d -> vLPI %u, vCPU %u\n",
			       four_lpis[i].bdf + 5, irq, four_lpis[i].intid, four_lpis[i].vcpu);
	}
	for (i = 0; i < FOUR_LPIS; i++)
		if (four_lpis[i].pending) {
			edu_raise(&edus[i], 1);
			ksft_print_msg("source: guest masked; edu %s raises vLPI %u\n",
				       four_lpis[i].bdf + 5, four_lpis[i].intid);
		}

	if (module)
		ksft_test_result(vlpis_file_ok(src, host_irqs, UNREAD, &src_id),
				 "debugfs: the source's vlpis file lists each vLPI, host IRQ and vCPU, never read\n");

	its_err = vlpi_save_its_tables(src);
	pend_err = vlpi_save_pending_tables(src);
	{
		char bits[64] = "";

		for (i = 0; i < FOUR_LPIS; i++)
			if (vlpi_pend_bit(vlpi_pend_table(src, four_lpis[i].vcpu),
					  four_lpis[i].intid))
				snprintf(bits + strlen(bits),
					 sizeof(bits) - strlen(bits), " %u",
					 four_lpis[i].intid);
		ksft_print_msg("source: ITS_SAVE_TABLES %s, SAVE_PENDING_TABLES %s\n",
			       its_err ? strerror(its_err) : "ok",
			       pend_err ? strerror(pend_err) : "ok");
		ksft_print_msg("source: pending bits saved in guest RAM:%s\n",
			       *bits ? bits : " none");
	}
	if (module) {
		ksft_test_result(!its_err && !pend_err,
				 "source saved its ITS and pending tables\n");
		ksft_test_result(vlpis_file_ok(src, host_irqs, SAVED, &src_id),
				 "debugfs: the source's vlpis file shows each state as the save read it\n");
	} else if (vlpi_host_gicv4_1()) {
		ksft_test_result(!its_err && !pend_err,
				 "baseline, GICv4.1: the source saved its ITS and pending tables\n");
	} else {
		ksft_test_result(its_err == EACCES && !pend_err,
				 "baseline: the source's ITS save is refused (%s)\n",
				 strerror(its_err));
	}

	/* The destination: state restored, then the devices handed over */
	dst = four_vm_create();
	rest_err = vlpi_migrate_state(dst, src);
	ksft_test_result(!rest_err, "destination restored: ITS_RESTORE_TABLES %s\n",
			 strerror(rest_err));
	ksft_print_msg("destination: RAM, vCPUs, GIC, ITS restored; devices moved\n");

	four_forward(src, efds, false);
	four_forward(dst, efds, true);
	for (i = 0; i < FOUR_LPIS; i++)
		edu_ack(&edus[i], 1);
	{
		bool fwd = true;

		for (i = 0; i < FOUR_LPIS; i++)
			fwd &= host_irq_forwarded(edu_host_irq(&edus[i]));
		if (module) {
			bool in_its = true, p, hw;

			ksft_test_result(fwd, "forwarding moved to the destination\n");
			ksft_test_result(vlpis_count(src) == 0,
					 "debugfs: the source's vlpis file lists none once it let go\n");
			ksft_test_result(vlpis_file_ok(dst, host_irqs, RESTORED,
						       &dst_id),
					 "debugfs: the destination's vlpis file lists each vLPI on its host IRQ and vCPU, the restored ones pending\n");
			/* The restored state went to the ITS, none is left in software */
			for (i = 0; i < FOUR_LPIS; i++)
				in_its &= vgic_lpi_state(dst->vm, four_lpis[i].intid,
							 &p, &hw) && hw && !p;
			ksft_test_result(in_its,
					 "no forwarded LPI is still pending in software (vgic-state)\n");
		} else {
			ksft_print_msg("baseline: forwarding on the destination: %s\n",
				       fwd ? "yes" : "no (no ITS mapping restored)");
		}
	}

	/* The destination guest unmasks */
	four_run_all(dst, 2);
	for (i = 0; i < FOUR_LPIS; i++) {
		char *list = four_lpis[i].pending ?
			     (four_delivered[i] ? got : lost) : extra;

		if (four_delivered[i] != four_lpis[i].pending)
			once = false;
		if (four_lpis[i].pending || four_delivered[i])
			snprintf(list + strlen(list), 128 - strlen(list),
				 " %u(x%u)", four_lpis[i].intid, four_delivered[i]);
	}
	ksft_print_msg("destination: unmasked: got:%s; lost:%s; unexpected:%s; other: %u\n",
		       *got ? got : " none", *lost ? lost : " none",
		       *extra ? extra : " none", four_delivered[FOUR_LPIS]);
	if (module) {
		ksft_test_result(once && !four_delivered[FOUR_LPIS],
				 "each vLPI pending at the source arrived exactly once, no other did\n");
		ksft_test_result(vlpi_mig_read_stats(&st) && st.restored == 2,
				 "module moved %lu restored states to the ITS\n",
				 (unsigned long)st.restored);
	} else if (vlpi_host_gicv4_1()) {
		ksft_test_result(once && !four_delivered[FOUR_LPIS],
				 "baseline, GICv4.1: each vLPI pending at the source arrived exactly once\n");
	} else {
		ksft_test_result(!*got && !*extra,
				 "baseline: the pending vLPIs were lost:%s\n", lost);
	}

	/* A fresh MSI from the device, on the destination */
	memset(four_delivered, 0, sizeof(four_delivered));
	sync_global_to_guest(dst->vm, four_delivered);
	edu_raise(&edus[FOUR_FRESH], 1);
	four_run_all(dst, 3);
	ksft_print_msg("destination: fresh MSI from edu %s: vLPI %u four_delivered %u time(s)\n",
		       four_lpis[FOUR_FRESH].bdf + 5, four_lpis[FOUR_FRESH].intid,
		       four_delivered[FOUR_FRESH]);
	if (module || vlpi_host_gicv4_1())
		ksft_test_result(four_delivered[FOUR_FRESH] == 1,
				 "a fresh MSI arrives exactly once: forwarding is live\n");
	else
		ksft_test_result(!four_delivered[FOUR_FRESH],
				 "baseline: the fresh MSI is lost too\n");

	if (module) {
		uint64_t ev, n = 0;

		for (i = 0; i < FOUR_LPIS; i++)
			n += read(efds[i], &ev, sizeof(ev)) > 0;
		ksft_test_result(n == 0,
				 "no MSI went through the host's eventfds (%lu did)\n",
				 (unsigned long)n);
	}
	ksft_test_result(four_delivered[FOUR_LPIS] == 0, "no stray LPI on the destination\n");
	/* Nothing from before the fresh MSI arrives late, a second time */
	late = 0;
	for (i = 0; i < FOUR_LPIS; i++)
		if (i != FOUR_FRESH)
			late += four_delivered[i];
	ksft_test_result(!late,
			 "no LPI but the fresh one taken after the first unmask (%u)\n",
			 late);
	if (module) {
		vlpi_trace_stop();
		trace_check(src_id, dst_id, host_irqs);
	}

	four_forward(dst, efds, false);
	for (i = 0; i < FOUR_LPIS; i++) {
		edu_ack(&edus[i], 1);
		edu_close(&edus[i]);
		close(efds[i]);
	}
	vlpi_vm_free(dst);
	vlpi_vm_free(src);
	ksft_finished();
}
