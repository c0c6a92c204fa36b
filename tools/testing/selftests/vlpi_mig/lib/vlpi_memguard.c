// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest memory around an operation, byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include <linux/hashtable.h>

#include "kvm_util.h"

#include "vlpi_memguard.h"

void *vlpi_gpa_hva(struct kvm_vm *vm, uint64_t gpa, uint64_t len)
{
	struct userspace_mem_region *r;
	int bkt;

	hash_for_each(vm->regions.slot_hash, bkt, r, slot_node)
		if (gpa >= r->region.guest_phys_addr &&
		    gpa - r->region.guest_phys_addr + len <= r->region.memory_size &&
		    gpa + len > gpa)
			return r->host_mem + (gpa - r->region.guest_phys_addr);
	return NULL;
}

void vlpi_memguard_take(struct kvm_vm *vm, struct vlpi_memguard *g)
{
	struct userspace_mem_region *r;
	int bkt;

	g->n = 0;
	hash_for_each(vm->regions.slot_hash, bkt, r, slot_node) {
		TEST_ASSERT(g->n < VLPI_MEMGUARD_SLOTS, "too many memslots");
		g->slot[g->n].gpa = r->region.guest_phys_addr;
		g->slot[g->n].len = r->region.memory_size;
		g->slot[g->n].mem = r->host_mem;
		g->slot[g->n].copy = malloc(r->region.memory_size);
		TEST_ASSERT(g->slot[g->n].copy, "malloc");
		memcpy(g->slot[g->n].copy, r->host_mem, r->region.memory_size);
		g->n++;
	}
}

static bool allowed_at(const struct vlpi_range *allowed, unsigned int n,
		       uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (gpa >= allowed[i].gpa && gpa - allowed[i].gpa < allowed[i].len)
			return true;
	return false;
}

uint64_t vlpi_memguard_check(struct vlpi_memguard *g,
			     const struct vlpi_range *allowed, unsigned int n,
			     uint64_t *first)
{
	uint64_t changed = 0, off;
	unsigned int i;

	for (i = 0; i < g->n; i++) {
		const uint8_t *mem = g->slot[i].mem, *copy = g->slot[i].copy;

		for (off = 0; off < g->slot[i].len; off++) {
			/* Whole words first: the tables are a few KiB of GiBs */
			if (!(off % 8) && off + 8 <= g->slot[i].len &&
			    !memcmp(mem + off, copy + off, 8)) {
				off += 7;
				continue;
			}
			if (mem[off] == copy[off] ||
			    allowed_at(allowed, n, g->slot[i].gpa + off))
				continue;
			if (!changed++)
				*first = g->slot[i].gpa + off;
		}
		free(g->slot[i].copy);
	}
	g->n = 0;
	return changed;
}
