/* A debugger's hardware breakpoints (struct vcpu_debug.hw) in x86's debug registers. */
#ifndef X86_DEBUG_REGS_H
#define X86_DEBUG_REGS_H

#include <lxds/types.h>

struct vcpu;

#define DR7_INIT 0x400ull           /* bit 10 reads as one; nothing enabled */

/* DR7 for the guest: the slots in use, locally enabled, exact data matches. */
uint64_t x86_debug_dr7(const struct vcpu *v);

/* Loads DR0-DR3 with the slots' addresses (0 for a free slot).  On the home
 * core: VM entry and exit do not switch DR0-3, and nothing else on an LXD
 * core uses them (the domain's MOV DR exits; root mode runs with DR7 0x400). */
void x86_debug_load_addrs(const struct vcpu *v);

/* DR6-style B0-B3 bits (from a #DB exit) -> the slots in use that matched. */
uint32_t x86_debug_hits(const struct vcpu *v, uint64_t dr6);

/* Whether one of hits is an execution breakpoint (a fault: resume with RF). */
bool x86_debug_hit_exec(const struct vcpu *v, uint32_t hits);

#endif
