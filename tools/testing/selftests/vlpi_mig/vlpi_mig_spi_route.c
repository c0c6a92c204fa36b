// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi_mig_spi_route - only an MSI can become a vLPI (patch 0004).
 *
 * A VMM may route an irqfd's GSI to a pin of the vGIC (an SPI) while a
 * passed-through device's MSI feeds the eventfd, as it would for a
 * device's INTx. KVM then hands that routing entry to the vGIC's
 * forwarding, which must not read it as an MSI: the entry's union holds a
 * pin, not a DeviceID and EventID, and a device forwarded from it would
 * raise an LPI nobody routed it to.
 *
 * One vCPU. The guest maps the edu's would-be MSI (DevID 0x10, EventID 0)
 * to LPI 8192, so that a misread entry could find a translation, and
 * configures SPI 40 edge-triggered and enabled. The host routes GSI 0 to
 * pin 8 (SPI 40), assigns an irqfd on it and gives its eventfd to VFIO as
 * the edu's MSI: the host IRQ must not be forwarded (irq debugfs), and
 * the device's MSI, raised while the guest is masked, must arrive as SPI
 * 40 exactly once when the guest unmasks, and LPI 8192 never. Then GSI 0
 * is routed to the MSI and the irqfd assigned again: now the host IRQ is
 * forwarded, and the next MSI arrives as LPI 8192 once: the same device
 * and VM can forward, so the first check tested the route, not the bed.
 *
 * On arm64 an irqchip entry cannot alias a vITS doorbell (its pin is
 * below 988, its irqchip 0, and its union lacks KVM_MSI_VALID_DEVID), so
 * the vGIC refused to forward it before 0004 as well; the test pins the
 * claim, whichever check keeps it. The same with (-m) and without (-n)
 * the module.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "gic.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"
#include "vlpi_mig_util.h"

#define BDF		"0000:00:02.0"
#define DEVID		0x10
#define SPI		40

static const struct vlpi_msi msi = { DEVID, 0 };

/* SPI 40's deliveries; the LPIs' are in vlpi_delivered[] */
static uint32_t spi_taken;

static void guest_irq_handler(struct ex_regs *regs)
{
	uint32_t intid = gic_get_and_ack_irq();

	if (intid == IAR_SPURIOUS)
		return;
	if (intid == SPI)
		WRITE_ONCE(spi_taken, spi_taken + 1);
	else if (intid >= VLPI_LPI_BASE &&
		 intid < VLPI_LPI_BASE + VLPI_NR_LPIS)
		WRITE_ONCE(vlpi_delivered[intid - VLPI_LPI_BASE],
			   vlpi_delivered[intid - VLPI_LPI_BASE] + 1);
	gic_set_eoi(intid);
}

static void guest_code(void)
{
	uint32_t stage;

	local_irq_disable();
	vlpi_guest_gic_init();
	vlpi_guest_its_setup(&msi, 1, 0);
	gic_irq_set_config(SPI, true);
	gic_set_priority(SPI, 0xa0);
	gic_irq_enable(SPI);
	GUEST_SYNC(1);

	for (stage = 2; stage <= 3; stage++) {
		vlpi_guest_unmask_for(VLPI_GUEST_WAIT_US);
		GUEST_SYNC(stage);
	}
	GUEST_DONE();
}

static void route_to_spi(struct vlpi_vm *v)
{
	struct kvm_irq_routing *routing = kvm_gsi_routing_create();

	kvm_gsi_routing_irqchip_add(routing, 0, SPI - 32);
	kvm_gsi_routing_write(v->vm, routing);
}

int main(int argc, char *argv[])
{
	uint32_t lpi_taken;
	struct vlpi_vm *v;
	struct edu edu;
	int efd;

	vlpi_mig_test_start(argc, argv);
	if (!edu_open(&edu, BDF))
		ksft_exit_fail_msg("%s is not bound to vfio-pci\n", BDF);
	ksft_set_plan(4);

	v = vlpi_its_vm_create(1, guest_code);
	vm_init_descriptor_tables(v->vm);
	vcpu_init_descriptor_tables(v->vcpus[0]);
	vm_install_exception_handler(v->vm, VECTOR_IRQ_CURRENT,
				     guest_irq_handler);
	vlpi_run_to_sync(v->vcpus[0], 1);

	/* GSI 0 to SPI 40, fed by the edu's MSI */
	route_to_spi(v);
	efd = eventfd(0, EFD_NONBLOCK);
	TEST_ASSERT(efd >= 0, "eventfd");
	vlpi_irqfd(v, 0, efd, true);
	edu_enable_msi(&edu, efd);
	ksft_test_result(!host_irq_forwarded(edu_host_irq(&edu)),
			 "an irqfd routed to an SPI: host IRQ %d not forwarded\n",
			 edu_host_irq(&edu));

	edu_raise(&edu, 1);
	vlpi_run_to_sync(v->vcpus[0], 2);
	sync_global_from_guest(v->vm, spi_taken);
	vlpi_delivered_sync(v);
	lpi_taken = vlpi_delivered[0];
	ksft_test_result(spi_taken == 1 && !lpi_taken,
			 "the MSI arrived as SPI %u %u time(s) (want 1), as LPI %u %u time(s) (want 0)\n",
			 SPI, spi_taken, VLPI_LPI_BASE, lpi_taken);
	edu_ack(&edu, 1);

	/* The same device and VM with the MSI routed: forwarded */
	vlpi_irqfd(v, 0, efd, false);
	vlpi_irqfds(v, &msi, &efd, 1, true);
	ksft_test_result(host_irq_forwarded(edu_host_irq(&edu)),
			 "routed to the MSI: host IRQ %d forwarded\n",
			 edu_host_irq(&edu));
	edu_raise(&edu, 1);
	vlpi_run_to_sync(v->vcpus[0], 3);
	sync_global_from_guest(v->vm, spi_taken);
	vlpi_delivered_sync(v);
	ksft_test_result(vlpi_delivered[0] == 1 && spi_taken == 1,
			 "the next MSI arrived as LPI %u %u time(s) (want 1), SPI %u %u in all (want 1)\n",
			 VLPI_LPI_BASE, vlpi_delivered[0], SPI, spi_taken);

	vlpi_irqfd(v, 0, efd, false);
	edu_ack(&edu, 1);
	edu_disable_msi(&edu);
	close(efd);
	vlpi_vm_free(v);
	edu_close(&edu);
	ksft_finished();
}
