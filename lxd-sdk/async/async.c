/*
 * The async runtime: run queue, ASYNC (spawn and exit), blocking, waits and
 * DO_FINISH scopes.  Stack switching itself is in ctx_x86_64.asm.
 *
 * Who runs next when a thread blocks or exits:
 *   1. its parent, if the parent is still parked in async_spawn() waiting
 *      for this thread's first block (THC's "eager" ASYNC: the code after
 *      ASYNC is the continuation, and it resumes as soon as the child
 *      cannot go on);
 *   2. otherwise the head of the run queue;
 *   3. otherwise the idle hook is run, on the blocked thread's stack, until
 *      it has woken somebody (possibly the blocked thread itself).
 */
#include <lxds/async.h>
#include "async_ctx.h"
#include "async_pool.h"

IPC_THREAD_LOCAL struct async_rt *async_self;

static void async_runq_push(struct async_rt *rt, struct async_thread *t)
{
	t->next = NULL;
	if (rt->runq_tail)
		rt->runq_tail->next = t;
	else
		rt->runq_head = t;
	rt->runq_tail = t;
}

static struct async_thread *async_runq_pop(struct async_rt *rt)
{
	struct async_thread *t = rt->runq_head;

	if (t) {
		rt->runq_head = t->next;
		if (rt->runq_head == NULL)
			rt->runq_tail = NULL;
	}
	return t;
}

static struct async_thread *async_next_ready(struct async_rt *rt)
{
	struct async_thread *t;

	while ((t = async_runq_pop(rt)) == NULL) {
		if (rt->idle == NULL)
			ipc_port_panic("async: every thread is blocked and there is no idle hook");
		rt->in_idle = true;
		rt->idle(rt->idle_arg);
		rt->in_idle = false;
	}
	return t;
}

/* Switches from self (which the caller has recorded wherever it waits) to
 * the next thread; returns when someone switches back to self. */
static void async_block(struct async_rt *rt, struct async_thread *self)
{
	struct async_thread *next = self->cont;

	/* The hook stands on a blocked thread's stack: blocking "it" again
	 * would make that thread runnable before its wait is over. */
	if (IPC_UNLIKELY(rt->in_idle))
		ipc_port_panic("async: a thread blocked or yielded inside the idle hook");

	if (next) {
		self->cont = NULL;
	} else {
		next = async_next_ready(rt);
		if (next == self)
			return;  /* the idle hook woke us: nothing to switch */
	}
	rt->cur = next;
	async_san_leave(&self->san_fake_stack, next);
	async_ctx_switch(&self->sp, next->sp);
	async_san_arrive(rt, self->san_fake_stack);
}

/*
 * Runs on the exiting thread's stack.  A thread that never blocked returns
 * its parent's saved stack pointer to async_ctx_start, which resumes the
 * parent with a matched ret; otherwise the next thread is resumed from here
 * by a tail jump (async_ctx_resume) and this does not return.
 */
static void *async_thread_exit(struct async_rt *rt, struct async_thread *t)
{
	struct async_finish *fb = t->fb;
	struct async_thread *next = t->cont;
	bool never_blocked = next != NULL;  /* next: the parent in async_ctx_start */

	if (--fb->count == 0 && fb->waiter) {
		/* The scope's owner can go on; run it next if nobody else must. */
		if (next == NULL)
			next = fb->waiter;
		else
			async_runq_push(rt, fb->waiter);
		fb->waiter = NULL;
	}
	if (next == NULL)
		next = async_next_ready(rt);  /* idle hook may run here: t is still ours */
	/* From here on nothing else runs until the switch, so the stack we are
	 * standing on can go back to the pool already. */
	async_san_reset_stack(t);
	async_pool_put(rt, t);
	rt->cur = next;
	async_san_leave(NULL, next);
	if (never_blocked)
		return next->sp;
	return async_ctx_resume(next->sp);
}

static void *async_thread_entry(struct async_thread *t)
{
	struct async_rt *rt = async_self;

	async_san_arrive(rt, NULL);
	t->fn(t->arg);
	return async_thread_exit(rt, t);
}

int async_spawn(async_fn fn, void *arg)
{
	struct async_rt *rt = async_self;
	struct async_thread *self = rt->cur;
	struct async_thread *t;
	int rc;

	if (IPC_UNLIKELY(rt->in_idle))
		ipc_port_panic("async: ASYNC inside the idle hook");
	t = async_pool_get(rt);
	if (IPC_UNLIKELY(t == NULL))
		return IPC_ENOMEM;
	t->fn = fn;
	t->arg = arg;
	t->fb = self->fb;
	t->fb->count++;
	t->cont = self;
	rt->cur = t;
	async_san_leave(&self->san_fake_stack, t);
	rc = async_ctx_start(&self->sp, t->stack_top, async_thread_entry, t);
	/* Without sanitizers this is a no-op and the call above is a tail
	 * jump: a parent resumed after its child blocked goes straight back to
	 * our caller (why it matters: ctx_x86_64.asm, "Returning 0"). */
	async_san_arrive(rt, self->san_fake_stack);
	return rc;
}

void async_yield(void)
{
	struct async_rt *rt = async_self;
	struct async_thread *self = rt->cur;

	async_runq_push(rt, self);
	async_block(rt, self);
}

void async_await(struct async_wait *w)
{
	struct async_rt *rt = async_self;
	struct async_thread *self = rt->cur;

	/* Only async_wake() makes us runnable, after setting done, so one
	 * block is enough; ending on it lets the switch be a tail jump (no
	 * ret left to mispredict when we are resumed on another stack). */
	if (!w->done) {
		w->thread = self;
		async_block(rt, self);
	}
}

void async_wake(struct async_wait *w)
{
	struct async_thread *t = w->thread;

	w->done = true;
	if (t) {
		w->thread = NULL;
		async_runq_push(async_self, t);
	}
}

void async_finish_begin(struct async_finish *fb)
{
	struct async_thread *self = async_self->cur;

	fb->count = 0;
	fb->waiter = NULL;
	fb->outer = self->fb;
	self->fb = fb;
}

void async_finish_end(struct async_finish *fb)
{
	struct async_rt *rt = async_self;
	struct async_thread *self = rt->cur;

	self->fb = fb->outer;
	/* Only the last of the scope's threads to end makes us runnable
	 * (async_thread_exit), so one block is enough; ending on it lets the
	 * switch be a tail jump, as in async_await. */
	if (fb->count != 0) {
		fb->waiter = self;
		async_block(rt, self);
	}
}

int async_rt_init(struct async_rt *rt, size_t stack_bytes, uint32_t stack_limit)
{
	if (stack_bytes < 2 * IPC_PAGE_SIZE || stack_limit == 0)
		return IPC_EINVAL;
	rt->runq_head = NULL;
	rt->runq_tail = NULL;
	rt->pool = NULL;
	rt->stacks = 0;
	rt->stack_limit = stack_limit;
	rt->stack_bytes = (stack_bytes + IPC_PAGE_SIZE - 1) & ~(IPC_PAGE_SIZE - 1);
	rt->idle = NULL;
	rt->in_idle = false;
	rt->idle_arg = NULL;
	rt->root.count = 0;
	rt->root.waiter = NULL;
	rt->root.outer = NULL;
	rt->main = (struct async_thread){ .fb = &rt->root };
	rt->cur = &rt->main;
	async_self = rt;
	return 0;
}

void async_rt_fini(struct async_rt *rt)
{
	while (rt->root.count != 0) {
		rt->root.waiter = rt->cur;
		async_block(rt, rt->cur);
	}
	async_pool_release(rt);
	async_self = NULL;
}

void async_set_idle(struct async_rt *rt, void (*idle)(void *arg), void *arg)
{
	rt->idle = idle;
	rt->idle_arg = arg;
}
