/* The frame the exception stubs build (arch/x86/exception_entry.asm), lowest address first. */
#ifndef X86_TRAP_H
#define X86_TRAP_H

#include <lxds/types.h>

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;     /* pushed by the CPU */
};

#define VECTOR_WAKEUP 0xF0                 /* IPI that ends a parked core's HLT */
#define VECTOR_SPURIOUS 0xFF

void x86_trap(struct trap_frame *f);
const char *x86_exception_name(unsigned int vector);
const char *x86_exception_mnemonic(unsigned int vector);

#endif
