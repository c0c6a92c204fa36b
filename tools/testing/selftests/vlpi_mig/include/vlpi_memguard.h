/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest memory around an operation: every memslot of a VM copied, then
 * compared byte for byte, so that a test can tell whether the kernel
 * wrote anywhere but where the ABI lets it.
 */
#ifndef SELFTEST_VLPI_MEMGUARD_H
#define SELFTEST_VLPI_MEMGUARD_H

#include <stdint.h>

#include "kvm_util.h"

#define VLPI_MEMGUARD_SLOTS	8

/* A range of guest physical addresses */
struct vlpi_range {
	uint64_t gpa;
	uint64_t len;
};

struct vlpi_memguard {
	unsigned int n;
	struct {
		uint64_t gpa;
		uint64_t len;
		uint8_t *mem;		/* the memslot's host mapping */
		uint8_t *copy;
	} slot[VLPI_MEMGUARD_SLOTS];
};

/* The host address of @len bytes at @gpa if one memslot holds them, or NULL */
void *vlpi_gpa_hva(struct kvm_vm *vm, uint64_t gpa, uint64_t len);
/* Copy every memslot of @vm */
void vlpi_memguard_take(struct kvm_vm *vm, struct vlpi_memguard *g);
/*
 * Bytes changed since vlpi_memguard_take() outside the @n ranges of
 * @allowed; the first such GPA in *@first (if any changed). Frees the
 * copies.
 */
uint64_t vlpi_memguard_check(struct vlpi_memguard *g,
			     const struct vlpi_range *allowed, unsigned int n,
			     uint64_t *first);

#endif /* SELFTEST_VLPI_MEMGUARD_H */
