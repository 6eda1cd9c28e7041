/*
 * The porting hooks of <lxds/ipc_port.h> inside an LXD.  Async stacks come
 * from the bump heap and are never returned: the async runtime keeps its
 * stacks in a pool and only frees them in async_rt_fini, which a domain
 * that runs until it is stopped never calls.  There is no guard page (the
 * hypervisor builds the page tables), so LXD_DISPATCH_STACK must be
 * generous for what handlers do.
 */
#include <lxds/lxd.h>

void *ipc_port_stack_alloc(size_t bytes)
{
    return lxd_alloc(bytes, IPC_PAGE_SIZE);
}

void ipc_port_stack_free(void *base, size_t bytes)
{
    (void)base;
    (void)bytes;
}

void ipc_port_panic(const char *why)
{
    lxd_panic("ipc/async: %s", why);
}
