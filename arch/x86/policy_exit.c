/*
 * The I/O and MSR exits a domain kind's exit policy routes to the
 * hypervisor, decided and carried out once for VT-x and SVM
 * (arch/x86/vmx/exit.c and arch/x86/svm/exit.c call these).  The first
 * range that names a port or MSR decides (domains/exit_policy.c); emulated
 * ones go to the policy's hook, which may ask for the access to be done on
 * the hardware (POLICY_REPLAY), done here.
 */
#include <x86/cpu.h>
#include <x86/policy_exit.h>

enum policy_result x86_policy_io(const struct exit_policy *p, struct vcpu *v, uint16_t port,
                                 unsigned int size, bool in, uint32_t *val)
{
    uint32_t mask = size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    enum policy_access a = policy_io_access(p, port, size);
    enum policy_result r = a == POLICY_PASS ? POLICY_REPLAY : POLICY_REFUSED;

    if (a == POLICY_EMULATE && p->port_io)
        r = p->port_io(v, port, size, in, val);
    switch (r) {
    case POLICY_REPLAY:
        if (in)
            *val = port_in(port, size) & mask;
        else
            port_out(port, size, *val & mask);
        return POLICY_DONE;
    case POLICY_REFUSED:
        if (in)
            *val = mask;                /* no device: all ones */
        return POLICY_REFUSED;
    case POLICY_DONE:
        if (in)
            *val &= mask;
        return POLICY_DONE;
    case POLICY_RESET:
    case POLICY_POWER_OFF:
        break;
    }
    return r;
}

enum policy_result x86_policy_msr(const struct exit_policy *p, struct vcpu *v, uint32_t msr,
                                  bool write, uint64_t *val)
{
    enum policy_access a = policy_msr_access(p, msr, write);
    enum policy_result r = a == POLICY_PASS ? POLICY_REPLAY : POLICY_REFUSED;

    if (a == POLICY_EMULATE && p->msr)
        r = p->msr(v, msr, write, val);
    if (r == POLICY_REPLAY) {           /* the policy vouches that this MSR exists */
        if (write)
            wrmsr(msr, *val);
        else
            *val = rdmsr(msr);
        return POLICY_DONE;
    }
    return r;
}
