/*
 * probe: a domain that misbehaves on purpose, for the isolation tests.  It
 * reads guest-physical 0x1000000, which is Linux's kernel and is not in
 * its EPT: the read must end in an EPT violation that stops this domain
 * (state crashed, exit_addr 0x1000000) and nothing else.  If the read ever
 * returns, isolation is broken: say so loudly and exit with 1.
 */
#include <lxds/lxd.h>

#define PROBE_ADDR 0x1000000ull

int lxd_main(struct lxd_boot_info *bi)
{
    volatile const uint64_t *p = (volatile const uint64_t *)(uintptr_t)PROBE_ADDR;
    uint64_t v;

    lxd_log("probe: reading 0x%llx (domain %u)", PROBE_ADDR, bi->domain_id);
    v = *p;
    lxd_log("probe: READ SUCCEEDED: 0x%llx holds 0x%llx", PROBE_ADDR, (unsigned long long)v);
    return 1;
}
