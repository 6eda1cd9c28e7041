/*
 * Lookups in a domain kind's exit policy (include/lxds/exit_policy.h): the
 * first range that names a port or MSR decides; none means denied.  Pure
 * functions, shared by every virtualization backend and the host tests.
 */
#include <lxds/exit_policy.h>

enum policy_access policy_port_access(const struct exit_policy *p, uint16_t port)
{
    if (!p)
        return POLICY_DENY;
    for (unsigned int i = 0; i < p->nports; i++)
        if (port >= p->ports[i].first && port <= p->ports[i].last)
            return (enum policy_access)p->ports[i].access;
    return POLICY_DENY;
}

enum policy_access policy_msr_access(const struct exit_policy *p, uint32_t msr, bool write)
{
    if (!p)
        return POLICY_DENY;
    for (unsigned int i = 0; i < p->nmsrs; i++)
        if (msr >= p->msrs[i].first && msr <= p->msrs[i].last)
            return (enum policy_access)(write ? p->msrs[i].write : p->msrs[i].read);
    return POLICY_DENY;
}

enum policy_access policy_io_access(const struct exit_policy *p, uint16_t port, unsigned int size)
{
    bool denied = false;

    for (unsigned int i = 0; i < size; i++) {
        /* an access past 0xFFFF wraps on real hardware; treat the wrapped ports as covered */
        enum policy_access a = policy_port_access(p, (uint16_t)(port + i));
        if (a == POLICY_EMULATE)
            return POLICY_EMULATE;
        if (a == POLICY_DENY)
            denied = true;
    }
    return denied ? POLICY_DENY : POLICY_PASS;
}

const char *policy_result_name(enum policy_result r)
{
    switch (r) {
    case POLICY_DONE:
        return "emulated";
    case POLICY_REPLAY:
        return "done for the domain";
    case POLICY_REFUSED:
        return "refused";
    case POLICY_RESET:
        return "a reset request";
    case POLICY_POWER_OFF:
        return "a power-off or sleep request";
    }
    return "?";
}
