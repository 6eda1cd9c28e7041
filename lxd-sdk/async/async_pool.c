/*
 * Stack pool.  Each stack is one allocation with its thread control block
 * at the very top, so taking a thread is a single list pop and there is no
 * separate descriptor to allocate or free.
 *
 *     stack_base                                  stack_top   base + bytes
 *     | ...stack grows down...                          |  struct async_thread |
 */
#include "async_pool.h"

#define ASYNC_TCB_BYTES \
	((sizeof(struct async_thread) + IPC_CACHELINE - 1) & ~(size_t)(IPC_CACHELINE - 1))

struct async_thread *async_pool_grow(struct async_rt *rt)
{
	struct async_thread *t;
	char *base;

	if (rt->stacks >= rt->stack_limit)
		return NULL;
	base = ipc_port_stack_alloc(rt->stack_bytes);
	if (base == NULL)
		return NULL;
	rt->stacks++;
	t = (struct async_thread *)(base + rt->stack_bytes - ASYNC_TCB_BYTES);
	t->sp = NULL;
	t->cont = NULL;
	t->next = NULL;
	t->fb = NULL;
	t->fn = NULL;
	t->arg = NULL;
	t->stack_top = t;  /* cache-line aligned, so 16-byte aligned as the ABI wants */
	t->stack_base = base;
	t->stack_size = rt->stack_bytes - ASYNC_TCB_BYTES;
	t->san_fake_stack = NULL;
	return t;
}

void async_pool_release(struct async_rt *rt)
{
	struct async_thread *t;

	while ((t = rt->pool) != NULL) {
		rt->pool = t->next;
		ipc_port_stack_free(t->stack_base, rt->stack_bytes);
		rt->stacks--;
	}
}
