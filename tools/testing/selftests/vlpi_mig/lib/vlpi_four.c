// SPDX-License-Identifier: GPL-2.0-only
/*
 * The migration tests' VM (include/vlpi_four.h): guest code and the host
 * side that creates and runs it.
 */
#include "kvm_util.h"
#include "delay.h"
#include "gic.h"
#include "processor.h"
#include "ucall_common.h"

#include "vlpi_four.h"
#include "vlpi_mig_util.h"

#define GUEST_WAIT_US	20000

const struct four_lpi four_lpis[FOUR_LPIS] = {
	{ "0000:00:02.0", { 0x10, 0 }, 0, 8192, true },
	{ "0000:00:03.0", { 0x11, 0 }, 1, 8193, false },
	{ "0000:00:04.0", { 0x12, 0 }, 0, 8194, false },
	{ "0000:00:05.0", { 0x13, 0 }, 1, 8195, true },
};

uint32_t four_delivered[FOUR_LPIS + 1];

static void guest_irq_handler(struct ex_regs *regs)
{
	uint32_t intid = gic_get_and_ack_irq();
	uint32_t i;

	if (intid == IAR_SPURIOUS)
		return;
	for (i = 0; i < FOUR_LPIS && four_lpis[i].intid != intid; i++)
		;
	WRITE_ONCE(four_delivered[i], four_delivered[i] + 1);
	gic_set_eoi(intid);
}

static void guest_code(void)
{
	unsigned int i;

	local_irq_disable();
	vlpi_guest_gic_init();
	if (guest_get_vcpuid() == 0) {
		vlpi_guest_its_init();
		for (i = 0; i < FOUR_LPIS; i++) {
			vlpi_guest_map_device(four_lpis[i].msi.devid, i);
			vlpi_guest_map_event(four_lpis[i].msi.devid,
					     four_lpis[i].msi.eventid,
					     four_lpis[i].vcpu, four_lpis[i].intid);
		}
		vlpi_guest_invall();
	}
	GUEST_SYNC(1);

	/* On the destination: take whatever is pending, twice */
	for (i = 2; i <= 3; i++) {
		local_irq_enable();
		udelay(GUEST_WAIT_US);
		local_irq_disable();
		GUEST_SYNC(i);
	}
	GUEST_DONE();
}

struct vlpi_vm *four_vm_create(void)
{
	struct vlpi_vm *v = vlpi_its_vm_create(FOUR_VCPUS, guest_code);
	unsigned int cpu;

	vm_init_descriptor_tables(v->vm);
	for (cpu = 0; cpu < FOUR_VCPUS; cpu++)
		vcpu_init_descriptor_tables(v->vcpus[cpu]);
	vm_install_exception_handler(v->vm, VECTOR_IRQ_CURRENT,
				     guest_irq_handler);
	return v;
}

void four_forward(struct vlpi_vm *v, int *efds, bool on)
{
	struct vlpi_msi msis[FOUR_LPIS];
	unsigned int i;

	for (i = 0; i < FOUR_LPIS; i++)
		msis[i] = four_lpis[i].msi;
	vlpi_irqfds(v, msis, efds, FOUR_LPIS, on);
}

void four_run_all(struct vlpi_vm *v, uint64_t stage)
{
	unsigned int cpu;

	for (cpu = 0; cpu < FOUR_VCPUS; cpu++)
		vlpi_run_to_sync(v->vcpus[cpu], stage);
	sync_global_from_guest(v->vm, four_delivered);
}
