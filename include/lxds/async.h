/*
 * Asynchronous runtime: lightweight cooperative threads (after THC, as used
 * by LXDs to overlap many outstanding cross-domain calls).
 *
 *     DO_FINISH(
 *         ASYNC(fetch, &a);      // runs fetch(&a) at once, on its own stack
 *         ASYNC(fetch, &b);      // runs as soon as fetch(&a) blocks
 *     );                         // waits until both have returned
 *
 * ASYNC(fn, arg) starts fn(arg) eagerly on a fresh stack.  If fn returns
 * without blocking, the caller simply continues (cost: one stack switch
 * there and back).  If fn blocks (AWAIT, async_yield), the caller resumes
 * right after its ASYNC, and fn continues later when whatever it waited for
 * wakes it.  DO_FINISH(...) waits for every ASYNC begun inside it,
 * including those begun by the threads it started that have no DO_FINISH of
 * their own.  The body is given as a function and an argument rather than a
 * statement block because a block would need GCC nested functions, and
 * those need an executable stack.
 *
 * One runtime per OS thread (or per CPU in an LXD); nothing is shared
 * between runtimes, so there is no locking.  Stacks come from a small pool
 * that grows lazily through ipc_port_stack_alloc() and is never shrunk
 * until async_rt_fini(); the fast path never allocates.
 */
#ifndef LXDS_ASYNC_H
#define LXDS_ASYNC_H

#include <lxds/ipc_port.h>

typedef void (*async_fn)(void *arg);

struct async_finish;

/* A cooperative thread.  Lives at the top of its own stack (except main). */
struct async_thread {
	void *sp;                   /* saved stack pointer while switched out */
	struct async_thread *cont;  /* parent parked in async_spawn(): resumed when
				       this thread first blocks or returns */
	struct async_thread *next;  /* run-queue or stack-pool link */
	struct async_finish *fb;    /* innermost DO_FINISH this thread counts in */
	async_fn fn;
	void *arg;
	void *stack_top;            /* initial stack pointer (16-byte aligned) */
	void *stack_base;           /* lowest address of the stack area */
	size_t stack_size;          /* bytes below stack_top */
	void *san_fake_stack;       /* AddressSanitizer bookkeeping (host tests) */
} IPC_ALIGNED(IPC_CACHELINE);

/* A DO_FINISH scope; lives on the stack of the thread that opened it. */
struct async_finish {
	uint64_t count;              /* ASYNCs begun in the scope, not yet returned */
	struct async_thread *waiter; /* owner, when blocked at the end of the scope */
	struct async_finish *outer;  /* owner's previous scope */
};

/* Something one thread waits for (e.g. the reply to one request). */
struct async_wait {
	struct async_thread *thread; /* blocked in async_await(), or NULL */
	bool done;
};

struct async_rt {
	struct async_thread *cur;        /* thread running now */
	struct async_thread *runq_head;  /* runnable threads, FIFO */
	struct async_thread *runq_tail;
	struct async_thread *pool;       /* free stacks */
	uint32_t stacks;                 /* stacks allocated so far */
	uint32_t stack_limit;            /* most stacks this runtime may allocate */
	size_t stack_bytes;              /* size of one stack allocation */
	void (*idle)(void *arg);         /* runs when every thread is blocked */
	void *idle_arg;
	bool in_idle;                    /* the idle hook is running */
	struct async_finish root;        /* counts ASYNCs begun outside any DO_FINISH */
	struct async_thread main;        /* the OS thread that called async_rt_init */
};

/* The runtime of the calling OS thread (set by async_rt_init). */
extern IPC_THREAD_LOCAL struct async_rt *async_self;

#define ASYNC_DEFAULT_STACK  (16 * 1024)

/*
 * Makes the calling OS thread the main thread of runtime rt.  stack_bytes
 * (rounded up to pages) is the size of each ASYNC stack; at most
 * stack_limit stacks are ever allocated (ASYNC returns IPC_ENOMEM beyond).
 */
int async_rt_init(struct async_rt *rt, size_t stack_bytes, uint32_t stack_limit);

/* Waits for ASYNCs begun outside any DO_FINISH, then frees every stack. */
void async_rt_fini(struct async_rt *rt);

/*
 * Sets the function run whenever every thread is blocked, typically a
 * channel poll that wakes the threads whose replies have arrived.  It runs
 * on the stack of a blocked thread, so it may wake threads but must not
 * start or block any (no ASYNC, AWAIT, DO_FINISH or async_yield inside):
 * those stop the program with a message there (code that may run in either
 * place asks async_in_idle() and waits by spinning in the hook).
 */
void async_set_idle(struct async_rt *rt, void (*idle)(void *arg), void *arg);

/* Is the calling code running inside the idle hook? */
IPC_INLINE bool async_in_idle(void)
{
	return async_self && async_self->in_idle;
}

/* Starts fn(arg) now; returns 0 once it has returned or blocked. */
int async_spawn(async_fn fn, void *arg);

/* Lets every other runnable thread run once; returns when it is our turn. */
void async_yield(void);

IPC_INLINE void async_wait_init(struct async_wait *w)
{
	w->thread = NULL;
	w->done = false;
}

/* Blocks until async_wake(w) (returns at once if that already happened). */
void async_await(struct async_wait *w);

/* Marks w done and makes its waiter runnable. */
void async_wake(struct async_wait *w);

void async_finish_begin(struct async_finish *fb);
void async_finish_end(struct async_finish *fb);

#define ASYNC(fn, arg)  async_spawn((fn), (arg))
#define AWAIT(w)        async_await(w)
#define DO_FINISH(...)                                          \
	do {                                                    \
		struct async_finish async_fb_;                  \
		async_finish_begin(&async_fb_);                 \
		{ __VA_ARGS__; }                                \
		async_finish_end(&async_fb_);                   \
	} while (0)

#endif
