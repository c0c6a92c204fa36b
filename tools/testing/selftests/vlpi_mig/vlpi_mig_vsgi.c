// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_vsgi - IPIs between the two vCPUs of a guest, emulated and as
 * directly injected vSGIs, counted by the guest.
 *
 * On a GICv4.1 host with direct injection on, KVM offers its guests SGIs
 * without an active state (GICD_TYPER2.nASSGIcap); a guest that asks for
 * them (GICD_CTLR.nASSGIreq) gets its SGIs injected by the GIC itself: KVM
 * maps each to a vSGI of the vCPU's vPE, and a guest's IPI becomes a
 * GITS_SGIR write of the host's ITS. On any other host the capability is
 * absent. The test expects it from what the bed booted (the host's GIC
 * and kvm-arm.vgic_v4_enable on the kernel command line), not from KVM.
 *
 * Two runs of a VM of two vCPUs playing ping-pong, NR_IPIS IPIs each way
 * (each vCPU sends the other an SGI and waits for it to arrive before the
 * next, so that a vSGI, which has no active state, is never made pending
 * twice): first with the guest not asking, then asking. In each, both
 * vCPUs must receive exactly NR_IPIS, and KVM's vgic-state file must show
 * the SGI on each vCPU as the GIC's (HW) exactly when the guest was
 * granted nASSGIreq. Reading that file reads each HW vSGI's pending state
 * back through the ITS (GICR_VSGIPENDR), as upstream's debugfs does.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <linux/sizes.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "gic.h"
#include "gic_v3.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vlpi_mig_util.h"

#define NR_VCPUS	2
#define NR_IPIS		200
#define IPI_SGI		3

/* Shared with the guest */
static struct {
	bool ask;		/* the guest asks for nASSGIreq */
	uint32_t typer2, ctlr;	/* what it read back */
	atomic_uint ready;
	atomic_uint received[NR_VCPUS];
	atomic_uint other;	/* interrupts that were not the IPI */
} shared;

static void guest_irq_handler(struct ex_regs *regs)
{
	uint32_t intid = gic_get_and_ack_irq();

	if (intid == IPI_SGI)
		atomic_fetch_add(&shared.received[guest_get_vcpuid()], 1);
	else if (intid != IAR_SPURIOUS)
		atomic_fetch_add(&shared.other, 1);
	if (intid != IAR_SPURIOUS)
		gic_set_eoi(intid);
}

static void gicd_wait_rwp(void)
{
	while (readl(GICD_BASE_GVA + GICD_CTLR) & GICD_CTLR_RWP)
		cpu_relax();
}

static void guest_code(void)
{
	uint32_t cpu = guest_get_vcpuid(), other = !cpu, i;

	gic_init(GIC_V3, NR_VCPUS);
	if (!cpu) {
		if (shared.ask) {
			/* nASSGIreq only changes with the distributor off */
			writel(0, GICD_BASE_GVA + GICD_CTLR);
			gicd_wait_rwp();
			writel(GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_G1A |
			       GICD_CTLR_ENABLE_G1 | GICD_CTLR_nASSGIreq,
			       GICD_BASE_GVA + GICD_CTLR);
			gicd_wait_rwp();
		}
		shared.typer2 = readl(GICD_BASE_GVA + GICD_TYPER2);
		shared.ctlr = readl(GICD_BASE_GVA + GICD_CTLR);
	}
	gic_irq_enable(IPI_SGI);
	local_irq_enable();

	atomic_fetch_add(&shared.ready, 1);
	while (atomic_load(&shared.ready) < NR_VCPUS)
		cpu_relax();
	for (i = 0; i < NR_IPIS; i++) {
		write_sysreg_s(BIT(other) | (uint64_t)IPI_SGI << 24,
			       SYS_ICC_SGI1R_EL1);
		isb();
		while (atomic_load(&shared.received[other]) < i + 1)
			cpu_relax();
	}
	while (atomic_load(&shared.received[cpu]) < NR_IPIS)
		cpu_relax();
	/* Both done: the host reads vgic-state before the VM goes */
	GUEST_SYNC(1);
	GUEST_DONE();
}

static void *vcpu_thread(void *arg)
{
	vlpi_run_to_sync(arg, 1);
	return NULL;
}

/* Whether vgic-state shows @vcpu's SGI @intid as the GIC's (HW) */
static bool sgi_hw(struct kvm_vm *vm, unsigned int vcpu, uint32_t intid)
{
	bool pending, hw = false;

	TEST_ASSERT(vgic_irq_state(vm, "SGI", intid, vcpu, &pending, &hw),
		    "SGI %u of vCPU %u not in vgic-state", intid, vcpu);
	return hw;
}

static void run(bool ask, bool want_direct)
{
	const char *how = ask ? "asking for nASSGIreq" : "not asking";
	struct kvm_vcpu *vcpus[NR_VCPUS];
	pthread_t threads[NR_VCPUS];
	bool hw[NR_VCPUS];
	struct kvm_vm *vm;
	int gic_fd, i;

	memset(&shared, 0, sizeof(shared));
	shared.ask = ask;
	vm = vm_create_with_vcpus(NR_VCPUS, guest_code, vcpus);
	vm_init_descriptor_tables(vm);
	for (i = 0; i < NR_VCPUS; i++)
		vcpu_init_descriptor_tables(vcpus[i]);
	vm_install_exception_handler(vm, VECTOR_IRQ_CURRENT, guest_irq_handler);
	gic_fd = vgic_v3_setup(vm, NR_VCPUS, 64);
	TEST_ASSERT(gic_fd >= 0, "vGICv3");
	sync_global_to_guest(vm, shared);

	for (i = 0; i < NR_VCPUS; i++)
		pthread_create(&threads[i], NULL, vcpu_thread, vcpus[i]);
	for (i = 0; i < NR_VCPUS; i++)
		pthread_join(threads[i], NULL);
	sync_global_from_guest(vm, shared);
	for (i = 0; i < NR_VCPUS; i++)
		hw[i] = sgi_hw(vm, i, IPI_SGI);

	ksft_print_msg("%s: nASSGIcap %d, nASSGIreq %d; taken: vCPU 0 %u, vCPU 1 %u, other %u\n",
		       how, !!(shared.typer2 & GICD_TYPER2_nASSGIcap),
		       !!(shared.ctlr & GICD_CTLR_nASSGIreq),
		       atomic_load(&shared.received[0]),
		       atomic_load(&shared.received[1]),
		       atomic_load(&shared.other));
	ksft_print_msg("%s: SGI %d HW on vCPU 0 %d, vCPU 1 %d\n", how, IPI_SGI,
		       hw[0], hw[1]);
	ksft_test_result(!!(shared.typer2 & GICD_TYPER2_nASSGIcap) ==
			 want_direct,
			 "%s: the guest is offered SGIs without an active state: %s\n",
			 how, want_direct ? "yes" : "no");
	ksft_test_result(atomic_load(&shared.received[0]) == NR_IPIS &&
			 atomic_load(&shared.received[1]) == NR_IPIS &&
			 !atomic_load(&shared.other),
			 "%s: each vCPU takes the %d IPIs sent to it, and nothing else\n",
			 how, NR_IPIS);
	ksft_test_result(hw[0] == (ask && want_direct) &&
			 hw[1] == (ask && want_direct),
			 "%s: the SGI is %s\n", how,
			 ask && want_direct ? "a vSGI of each vPE (HW)" :
					      "emulated by KVM");
	close(gic_fd);
	kvm_vm_free(vm);
}

int main(int argc, char *argv[])
{
	/* What the bed booted: a GICv4.1, its direct injection on */
	bool direct = vlpi_host_gicv4_1() &&
		      cmdline_has("kvm-arm.vgic_v4_enable=1");

	vlpi_mig_test_start(argc, argv);
	ksft_set_plan(6);
	run(false, direct);
	run(true, direct);
	ksft_finished();
}
