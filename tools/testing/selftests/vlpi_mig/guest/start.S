/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Entry point and exception vectors of the vlpi_mig test guest (see
 * guest.c). Entered at EL1 with the MMU and caches off, as QEMU's
 * "virt" machine starts an ELF image given with -kernel.
 */

	.section .text.start, "ax"
	.globl	_start
_start:
	msr	daifset, #0xf

	adrp	x0, __stack_top
	add	x0, x0, :lo12:__stack_top
	mov	sp, x0

	/* BSS is 16-byte aligned and sized by the linker script */
	adrp	x0, __bss_start
	add	x0, x0, :lo12:__bss_start
	adrp	x1, __bss_end
	add	x1, x1, :lo12:__bss_end
1:	cmp	x0, x1
	b.hs	2f
	stp	xzr, xzr, [x0], #16
	b	1b
2:
	adrp	x0, vectors
	add	x0, x0, :lo12:vectors
	msr	vbar_el1, x0
	isb
	/* SErrors are reported; IRQs stay masked until a command unmasks */
	msr	daifclr, #4

	bl	main
	/* main() does not return; stop the CPU if it ever does */
3:	wfi
	b	3b

/* Any exception but an IRQ from EL1 with SP_EL1: report and power off */
	.macro	bad_vector idx
	.balign	0x80
	mov	x0, #\idx
	b	bad_entry
	.endm

	.text
	.balign	0x800
vectors:
	bad_vector	0	/* EL1t sync */
	bad_vector	1	/* EL1t IRQ */
	bad_vector	2	/* EL1t FIQ */
	bad_vector	3	/* EL1t SError */
	bad_vector	4	/* EL1h sync */
	.balign	0x80		/* EL1h IRQ, vectors + 0x280 */
	b	irq_entry
	bad_vector	6	/* EL1h FIQ */
	bad_vector	7	/* EL1h SError */
	bad_vector	8	/* EL0 64-bit sync */
	bad_vector	9	/* EL0 64-bit IRQ */
	bad_vector	10	/* EL0 64-bit FIQ */
	bad_vector	11	/* EL0 64-bit SError */
	bad_vector	12	/* EL0 32-bit sync */
	bad_vector	13	/* EL0 32-bit IRQ */
	bad_vector	14	/* EL0 32-bit FIQ */
	bad_vector	15	/* EL0 32-bit SError */

bad_entry:
	/* The stack may be what faulted: start again from its top */
	adrp	x4, __stack_top
	add	x4, x4, :lo12:__stack_top
	mov	sp, x4
	mrs	x1, esr_el1
	mrs	x2, elr_el1
	mrs	x3, far_el1
	bl	bad_exception
4:	wfi
	b	4b

/*
 * IRQs are taken with PSTATE.I set and the handler never unmasks, so
 * there is no nesting: saving the caller-saved registers is enough.
 */
irq_entry:
	sub	sp, sp, #(24 * 8)
	stp	x0, x1, [sp, #(0 * 8)]
	stp	x2, x3, [sp, #(2 * 8)]
	stp	x4, x5, [sp, #(4 * 8)]
	stp	x6, x7, [sp, #(6 * 8)]
	stp	x8, x9, [sp, #(8 * 8)]
	stp	x10, x11, [sp, #(10 * 8)]
	stp	x12, x13, [sp, #(12 * 8)]
	stp	x14, x15, [sp, #(14 * 8)]
	stp	x16, x17, [sp, #(16 * 8)]
	stp	x18, x29, [sp, #(18 * 8)]
	mrs	x0, elr_el1
	mrs	x1, spsr_el1
	stp	x30, x0, [sp, #(20 * 8)]
	str	x1, [sp, #(22 * 8)]

	bl	irq_handler

	ldr	x1, [sp, #(22 * 8)]
	ldp	x30, x0, [sp, #(20 * 8)]
	msr	spsr_el1, x1
	msr	elr_el1, x0
	ldp	x18, x29, [sp, #(18 * 8)]
	ldp	x16, x17, [sp, #(16 * 8)]
	ldp	x14, x15, [sp, #(14 * 8)]
	ldp	x12, x13, [sp, #(12 * 8)]
	ldp	x10, x11, [sp, #(10 * 8)]
	ldp	x8, x9, [sp, #(8 * 8)]
	ldp	x6, x7, [sp, #(6 * 8)]
	ldp	x4, x5, [sp, #(4 * 8)]
	ldp	x2, x3, [sp, #(2 * 8)]
	ldp	x0, x1, [sp, #(0 * 8)]
	add	sp, sp, #(24 * 8)
	eret

	.section .note.GNU-stack, "", %progbits
