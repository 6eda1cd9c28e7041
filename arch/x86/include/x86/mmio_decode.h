/*
 * The instruction behind a guest's write to an emulated MMIO page (Linux's
 * local APIC page, mapped read-only): decoded from its bytes, so that the
 * hypervisor knows the value and the length to skip.  Only the forms Linux's
 * APIC accessors compile to are accepted, in 64-bit mode: MOV r/m32, r32
 * (89 /r), MOV r/m32, imm32 (C7 /0) and XCHG r/m32, r32 (87 /r, Linux's
 * X86_BUG_11AP accessor), with any memory operand.  Anything else (a byte
 * or word or quadword store, a string store, a register destination) is
 * refused with a reason: the hypervisor never guesses.  The address is not
 * decoded: the exit gives it.  Pure: tested on the host.
 */
#ifndef X86_MMIO_DECODE_H
#define X86_MMIO_DECODE_H

#include <lxds/types.h>

#define X86_MAX_INSN 15

struct mmio_write {
    unsigned int length;        /* bytes of the instruction */
    bool imm;                   /* the value is the immediate, else GPR reg */
    bool xchg;                  /* XCHG: reg also receives the old value */
    uint32_t value;             /* the immediate */
    unsigned int reg;           /* 0-15 in the ModRM order: rax rcx rdx rbx rsp rbp rsi rdi r8-r15 */
};

/* 0 and *out filled, or -EBADMSG with *why, -EFAULT if the n bytes end inside the instruction. */
int x86_decode_mmio_write(const uint8_t *insn, size_t n, struct mmio_write *out, const char **why);

#endif
