// SPDX-License-Identifier: GPL-2.0-only
/*
 * A VM whose guest drives a vITS. Modelled on the memory layout of
 * upstream's vgic_lpi_stress.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/compiler.h>
#include <linux/sizes.h>

#include "kvm_util.h"
#include "delay.h"
#include "gic.h"
#include "gic_v3.h"
#include "gic_v3_its.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic.h"

#include "vfio_edu.h"
#include "vlpi_its.h"

#define LPI_PROP_PRIO		0xa0

struct vlpi_its_layout vlpi_its;

static vm_paddr_t alloc_64k(struct kvm_vm *vm, vm_paddr_t base, int n)
{
	size_t pages = vm_calc_num_guest_pages(vm->mode, SZ_64K) * n;

	return vm_phy_pages_alloc(vm, pages, base, VLPI_MEMSLOT);
}

struct vlpi_vm *vlpi_its_vm_create(unsigned int nr_vcpus, void *guest_code)
{
	/* Device, collection tables, command queue, ITTs, props, pending */
	size_t sz = (3 + VLPI_MAX_DEVICES + 1 + nr_vcpus) * SZ_64K;
	struct vlpi_vm *v;
	vm_paddr_t base;
	uint8_t *prop;
	int i;

	TEST_ASSERT(nr_vcpus <= VLPI_MAX_VCPUS, "too many vCPUs");
	v = vlpi_vm_create(nr_vcpus, guest_code);

	base = (vm_compute_max_gfn(v->vm) + 1) * v->vm->page_size - sz;
	vm_userspace_mem_region_add(v->vm, VM_MEM_SRC_ANONYMOUS, base,
				    VLPI_MEMSLOT, sz / v->vm->page_size, 0);

	vlpi_its.nr_vcpus = nr_vcpus;
	vlpi_its.device_table = alloc_64k(v->vm, base, 1);
	vlpi_its.collection_table = alloc_64k(v->vm, base, 1);
	vlpi_its.cmdq = alloc_64k(v->vm, base, 1);
	virt_map(v->vm, vlpi_its.cmdq, vlpi_its.cmdq,
		 vm_calc_num_guest_pages(v->vm->mode, SZ_64K));
	vlpi_its.itts = alloc_64k(v->vm, base, VLPI_MAX_DEVICES);
	vlpi_its.prop_table = alloc_64k(v->vm, base, 1);
	vlpi_its.pend_tables = alloc_64k(v->vm, base, nr_vcpus);

	prop = addr_gpa2hva(v->vm, vlpi_its.prop_table);
	for (i = 0; i < VLPI_NR_LPIS; i++)
		prop[i] = LPI_PROP_PRIO | LPI_PROP_GROUP1 | LPI_PROP_ENABLED;

	sync_global_to_guest(v->vm, vlpi_its);
	return v;
}

uint8_t *vlpi_pend_table(struct vlpi_vm *v, unsigned int vcpu)
{
	return addr_gpa2hva(v->vm, vlpi_its.pend_tables + vcpu * SZ_64K);
}

bool vlpi_pend_bit(const uint8_t *table, uint32_t intid)
{
	return table[intid / 8] & (1 << (intid % 8));
}

int vlpi_signal_msi(struct vlpi_vm *v, struct vlpi_msi m)
{
	struct kvm_msi msi = {
		.address_lo	= (uint32_t)VLPI_ITS_DOORBELL,
		.address_hi	= VLPI_ITS_DOORBELL >> 32,
		.data		= m.eventid,
		.devid		= m.devid,
		.flags		= KVM_MSI_VALID_DEVID,
	};

	return __vm_ioctl(v->vm, KVM_SIGNAL_MSI, &msi);
}

int __vlpi_route_msis(struct vlpi_vm *v, const struct vlpi_msi *msis, int n)
{
	struct kvm_irq_routing *r;
	int i, ret;

	r = calloc(1, sizeof(*r) + n * sizeof(r->entries[0]));
	TEST_ASSERT(r, "calloc");
	r->nr = n;
	for (i = 0; i < n; i++) {
		r->entries[i].gsi = i;
		r->entries[i].type = KVM_IRQ_ROUTING_MSI;
		r->entries[i].flags = KVM_MSI_VALID_DEVID;
		r->entries[i].u.msi.address_lo = (uint32_t)VLPI_ITS_DOORBELL;
		r->entries[i].u.msi.address_hi = VLPI_ITS_DOORBELL >> 32;
		r->entries[i].u.msi.data = msis[i].eventid;
		r->entries[i].u.msi.devid = msis[i].devid;
	}
	ret = __vm_ioctl(v->vm, KVM_SET_GSI_ROUTING, r) ? errno : 0;
	free(r);
	return ret;
}

void vlpi_route_msis(struct vlpi_vm *v, const struct vlpi_msi *msis, int n)
{
	int ret = __vlpi_route_msis(v, msis, n);

	TEST_ASSERT(!ret, "KVM_SET_GSI_ROUTING: %s", strerror(ret));
}

void vlpi_irqfd(struct vlpi_vm *v, uint32_t gsi, int efd, bool assign)
{
	struct kvm_irqfd irqfd = {
		.fd	= efd,
		.gsi	= gsi,
		.flags	= assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	vm_ioctl(v->vm, KVM_IRQFD, &irqfd);
}

void vlpi_irqfds(struct vlpi_vm *v, const struct vlpi_msi *msis,
		 const int *efds, int n, bool assign)
{
	int i;

	if (assign)
		vlpi_route_msis(v, msis, n);
	for (i = 0; i < n; i++)
		vlpi_irqfd(v, i, efds[i], assign);
}

uint32_t vlpi_delivered[VLPI_NR_LPIS];

static void vlpi_count_irq(struct ex_regs *regs)
{
	uint32_t intid = gic_get_and_ack_irq();

	if (intid == IAR_SPURIOUS)
		return;
	if (intid >= VLPI_LPI_BASE && intid < VLPI_LPI_BASE + VLPI_NR_LPIS)
		WRITE_ONCE(vlpi_delivered[intid - VLPI_LPI_BASE],
			   vlpi_delivered[intid - VLPI_LPI_BASE] + 1);
	gic_set_eoi(intid);
}

void vlpi_count_deliveries(struct vlpi_vm *v)
{
	unsigned int cpu;

	vm_init_descriptor_tables(v->vm);
	for (cpu = 0; cpu < v->nr_vcpus; cpu++)
		vcpu_init_descriptor_tables(v->vcpus[cpu]);
	vm_install_exception_handler(v->vm, VECTOR_IRQ_CURRENT, vlpi_count_irq);
}

void vlpi_delivered_reset(struct vlpi_vm *v)
{
	memset(vlpi_delivered, 0, sizeof(vlpi_delivered));
	sync_global_to_guest(v->vm, vlpi_delivered);
}

void vlpi_delivered_sync(struct vlpi_vm *v)
{
	sync_global_from_guest(v->vm, vlpi_delivered);
}

void vlpi_forward_edus(struct vlpi_vm *v, struct edu *edus,
		       const struct vlpi_msi *msis, int n, int *efds)
{
	int i;

	vlpi_route_msis(v, msis, n);
	for (i = 0; i < n; i++) {
		efds[i] = eventfd(0, EFD_NONBLOCK);
		TEST_ASSERT(efds[i] >= 0, "eventfd: %s", strerror(errno));
		vlpi_irqfd(v, i, efds[i], true);
		edu_enable_msi(&edus[i], efds[i]);
	}
}

struct vlpi_vm *vlpi_edu_vm_create(unsigned int nr_vcpus, struct edu *edu,
				   bool raise, int *efd)
{
	static const struct vlpi_msi msi = { 0, 0 };
	struct vlpi_vm *v = vlpi_its_vm_create(nr_vcpus, vlpi_guest_one_msi);

	vlpi_count_deliveries(v);
	vlpi_run_to_sync(v->vcpus[0], 1);
	*efd = vlpi_forward_edu(v, edu, &msi);
	if (raise) {
		edu_raise(edu, 1);
		edu_ack(edu, 1);
	}
	return v;
}

void vlpi_edu_vm_free(struct vlpi_vm *v, struct edu *edu, int efd)
{
	vlpi_irqfd(v, 0, efd, false);
	edu_disable_msi(edu);
	close(efd);
	vlpi_vm_free(v);
}

int vlpi_forward_edu(struct vlpi_vm *v, struct edu *edu,
		     const struct vlpi_msi *msi)
{
	int efd;

	vlpi_forward_edus(v, edu, msi, 1, &efd);
	return efd;
}

/* Guest side */

static void *vlpi_gicr_base(uint32_t cpu)
{
	/* The selftest library lays redistributors out sequentially */
	return (void *)(GICR_BASE_GPA + cpu * SZ_64K * 2);
}

void vlpi_guest_gic_init(void)
{
	gic_init(GIC_V3, vlpi_its.nr_vcpus);
	vlpi_guest_enable_lpis();
}

void vlpi_guest_enable_lpis(void)
{
	uint32_t cpu = guest_get_vcpuid();

	gic_rdist_enable_lpis(vlpi_its.prop_table, SZ_64K,
			      vlpi_its.pend_tables + cpu * SZ_64K);
}

void vlpi_guest_disable_lpis(void)
{
	void *rd = vlpi_gicr_base(guest_get_vcpuid());

	/*
	 * GICR_PENDBASER keeps its value, as with a real guest: with LPIs off
	 * that memory is the guest's to reuse, and nothing may write to it.
	 */
	writel(readl(rd + GICR_CTLR) & ~GICR_CTLR_ENABLE_LPIS, rd + GICR_CTLR);
	while (readl(rd + GICR_CTLR) & GICR_CTLR_RWP)
		cpu_relax();
}

void vlpi_guest_its_init(void)
{
	uint32_t cpu;

	its_init(vlpi_its.collection_table, SZ_64K, vlpi_its.device_table,
		 SZ_64K, vlpi_its.cmdq, SZ_64K);
	/*
	 * its_send_mapc_cmd() encodes its "vcpu_id" as a target address,
	 * shifting it right by 16: pass the processor number (GITS_TYPER.PTA
	 * is 0) where that field wants it, or every collection lands on
	 * vCPU 0.
	 */
	for (cpu = 0; cpu < vlpi_its.nr_vcpus; cpu++)
		its_send_mapc_cmd((void *)vlpi_its.cmdq, cpu << 16, cpu, true);
}

void vlpi_guest_its_setup(const struct vlpi_msi *msis, int n, uint32_t vcpu)
{
	int i;

	vlpi_guest_its_init();
	for (i = 0; i < n; i++) {
		vlpi_guest_map_device(msis[i].devid, i);
		vlpi_guest_map_event(msis[i].devid, msis[i].eventid, vcpu,
				     VLPI_LPI_BASE + i);
	}
	vlpi_guest_invall();
}

void vlpi_guest_unmask_for(uint32_t us)
{
	local_irq_enable();
	udelay(us);
	local_irq_disable();
}

static const struct vlpi_msi vlpi_one_msi = { 0, 0 };

void vlpi_guest_one_msi(void)
{
	local_irq_disable();
	vlpi_guest_gic_init();
	vlpi_guest_its_setup(&vlpi_one_msi, 1, 0);
	GUEST_SYNC(1);

	for (;;) {
		vlpi_guest_unmask_for(VLPI_GUEST_WAIT_US);
		GUEST_SYNC(2);
	}
}

void vlpi_guest_map_device(uint32_t devid, unsigned int itt_index)
{
	GUEST_ASSERT(itt_index < VLPI_MAX_DEVICES);
	its_send_mapd_cmd((void *)vlpi_its.cmdq, devid,
			  vlpi_its.itts + itt_index * SZ_64K, SZ_64K, true);
}

void vlpi_guest_map_event(uint32_t devid, uint32_t eventid, uint32_t vcpu,
			  uint32_t intid)
{
	its_send_mapti_cmd((void *)vlpi_its.cmdq, devid, eventid, vcpu, intid);
}

void vlpi_guest_invall(void)
{
	uint32_t cpu;

	for (cpu = 0; cpu < vlpi_its.nr_vcpus; cpu++)
		its_send_invall_cmd((void *)vlpi_its.cmdq, cpu);
}

void vlpi_guest_unmap_device(uint32_t devid, unsigned int itt_index)
{
	GUEST_ASSERT(itt_index < VLPI_MAX_DEVICES);
	its_send_mapd_cmd((void *)vlpi_its.cmdq, devid,
			  vlpi_its.itts + itt_index * SZ_64K, SZ_64K, false);
}

/*
 * Commands the library's driver lacks. Its its_send_cmd() is static, so
 * this mirrors it: the command goes where GITS_CWRITER points, CWRITER
 * moves past it, and KVM, which processes the queue synchronously on that
 * write, has moved GITS_CREADR there by the time the write returns.
 */
struct vlpi_its_cmd {
	uint64_t raw[4];
};

static void vlpi_its_send_cmd(struct vlpi_its_cmd *cmd)
{
	uint64_t cwriter = readq_relaxed(GITS_BASE_GVA + GITS_CWRITER);
	uint64_t cbaser = readq_relaxed(GITS_BASE_GVA + GITS_CBASER);
	uint64_t *dst = (void *)(vlpi_its.cmdq + cwriter);
	uint64_t size = ((cbaser & 0xff) + 1) * SZ_4K;
	uint64_t next = (cwriter + sizeof(*cmd)) % size;
	int i;

	for (i = 0; i < 4; i++)
		WRITE_ONCE(dst[i], cpu_to_le64(cmd->raw[i]));
	dsb(ishst);
	writeq_relaxed(next, GITS_BASE_GVA + GITS_CWRITER);
	__GUEST_ASSERT(readq_relaxed(GITS_BASE_GVA + GITS_CREADR) == next,
		       "ITS didn't process command at offset %lu",
		       (unsigned long)cwriter);
}

void vlpi_guest_discard(uint32_t devid, uint32_t eventid)
{
	struct vlpi_its_cmd cmd = {
		.raw[0] = GITS_CMD_DISCARD | (uint64_t)devid << 32,
		.raw[1] = eventid,
	};

	vlpi_its_send_cmd(&cmd);
}

void vlpi_guest_movi(uint32_t devid, uint32_t eventid, uint32_t icid)
{
	struct vlpi_its_cmd cmd = {
		.raw[0] = GITS_CMD_MOVI | (uint64_t)devid << 32,
		.raw[1] = eventid,
		.raw[2] = icid,
	};

	vlpi_its_send_cmd(&cmd);
}
