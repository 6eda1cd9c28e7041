/*
 * What an I/O or MSR exit comes to under a domain kind's exit policy, for
 * both virtualization backends (arch/x86/policy_exit.c).  The backend
 * decodes the exit, calls one of these, and applies the result in its own
 * terms (skip the instruction, inject the fault, stop the vCPU); the
 * decision, the emulation hooks and the replay on the hardware are here,
 * once.
 */
#ifndef X86_POLICY_EXIT_H
#define X86_POLICY_EXIT_H

#include <lxds/exit_policy.h>

/*
 * IN or OUT of size bytes at port that exited.  *val is the value written
 * (OUT) or receives the value read (IN).  Returns
 *   POLICY_DONE       handled: passed ports replayed on the hardware,
 *                     emulated ones answered by the policy's hook;
 *   POLICY_REFUSED    denied (a read gets all ones in *val: no device);
 *   POLICY_RESET, POLICY_POWER_OFF: the domain asked for one (stop it).
 * Never POLICY_REPLAY.
 */
enum policy_result x86_policy_io(const struct exit_policy *p, struct vcpu *v, uint16_t port,
                                 unsigned int size, bool in, uint32_t *val);

/*
 * RDMSR or WRMSR of msr that exited; the same results.  An MSR the policy
 * passes is replayed on the hardware (one that exits although passed lies
 * outside the backend's bitmap ranges); an emulated one goes to the hook.
 */
enum policy_result x86_policy_msr(const struct exit_policy *p, struct vcpu *v, uint32_t msr,
                                  bool write, uint64_t *val);

/* The log's words for a refused MSR access, the same under both backends. */
static inline const char *x86_policy_msr_refusal(bool write)
{
    return write ? "#GP injected (the policy does not let it write this MSR)"
                 : "#GP injected (the policy does not let it read this MSR)";
}

#endif
