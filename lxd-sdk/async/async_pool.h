/* The stack pool: free stacks on a list, new ones allocated lazily. */
#ifndef LXDS_ASYNC_POOL_H
#define LXDS_ASYNC_POOL_H

#include <lxds/async.h>

/* Slow path: allocates one more stack, or returns NULL at the limit. */
struct async_thread *async_pool_grow(struct async_rt *rt);

/* Returns every pooled stack to the environment. */
void async_pool_release(struct async_rt *rt);

IPC_INLINE struct async_thread *async_pool_get(struct async_rt *rt)
{
	struct async_thread *t = rt->pool;

	if (IPC_LIKELY(t != NULL)) {
		rt->pool = t->next;
		return t;
	}
	return async_pool_grow(rt);
}

IPC_INLINE void async_pool_put(struct async_rt *rt, struct async_thread *t)
{
	t->next = rt->pool;
	rt->pool = t;
}

#endif
