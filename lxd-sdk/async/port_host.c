/*
 * The porting hooks of <lxds/ipc_port.h> for host programs (tests and
 * benchmarks).  Stacks are mmap'ed with an inaccessible guard page below,
 * so a stack overflow faults instead of silently corrupting a neighbour.
 */
#include <lxds/ipc_port.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

void *ipc_port_stack_alloc(size_t bytes)
{
	char *p = mmap(NULL, bytes + IPC_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p, IPC_PAGE_SIZE, PROT_NONE) != 0) {
		munmap(p, bytes + IPC_PAGE_SIZE);
		return NULL;
	}
	return p + IPC_PAGE_SIZE;
}

void ipc_port_stack_free(void *base, size_t bytes)
{
	munmap((char *)base - IPC_PAGE_SIZE, bytes + IPC_PAGE_SIZE);
}

void ipc_port_panic(const char *why)
{
	fprintf(stderr, "lxds ipc/async: fatal: %s\n", why);
	abort();
}
