/* The assembly primitives in ctx_x86_64.asm, and AddressSanitizer fiber
 * annotations around them (host test builds only; no-ops otherwise). */
#ifndef LXDS_ASYNC_CTX_H
#define LXDS_ASYNC_CTX_H

#include <lxds/async.h>

void async_ctx_switch(void **save_sp, void *load_sp);
/* Does not return (resumes the thread saved at load_sp); declared with a
 * result so that "return async_ctx_resume(sp);" is a tail jump. */
void *async_ctx_resume(void *load_sp);
/* Returns 0 whenever the caller is resumed (see ctx_x86_64.asm). */
int async_ctx_start(void **save_sp, void *stack_top, void *(*entry)(struct async_thread *),
		    struct async_thread *arg);

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>

/* Tells ASan which stack we are about to run on; fake_save is NULL when the
 * current thread is exiting and will never be resumed. */
IPC_INLINE void async_san_leave(void **fake_save, const struct async_thread *to)
{
	__sanitizer_start_switch_fiber(fake_save, to->stack_base, to->stack_size);
}

/* Called on arrival.  The first arrival ever comes from the OS thread's own
 * stack, whose bounds only ASan knows: record them for switching back. */
IPC_INLINE void async_san_arrive(struct async_rt *rt, void *fake)
{
	const void *from_base;
	size_t from_size;

	__sanitizer_finish_switch_fiber(fake, &from_base, &from_size);
	if (rt->main.stack_size == 0) {
		rt->main.stack_base = (void *)from_base;
		rt->main.stack_size = from_size;
	}
}

/* A recycled stack still carries the poisoned red zones of frames that
 * never returned (the exiting thread's last frames): clear them. */
IPC_INLINE void async_san_reset_stack(const struct async_thread *t)
{
	__asan_unpoison_memory_region(t->stack_base, t->stack_size);
}
#else
IPC_INLINE void async_san_leave(void **fake_save, const struct async_thread *to)
{
	(void)fake_save;
	(void)to;
}

IPC_INLINE void async_san_arrive(struct async_rt *rt, void *fake)
{
	(void)rt;
	(void)fake;
}

IPC_INLINE void async_san_reset_stack(const struct async_thread *t)
{
	(void)t;
}
#endif

#endif
