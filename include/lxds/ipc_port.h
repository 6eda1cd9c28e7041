/*
 * Porting header for the channel (ipc/) and async (lxd-sdk/async/) libraries.
 *
 * The two libraries are linked into three environments: a Linux kernel
 * module, LXD domains running on the bare hypervisor, and host programs
 * (tests, benchmarks).  Everything they need from their surroundings is
 * named here, so a new environment only has to adapt this one file.  It
 * deliberately does not include <lxds/compiler.h>: the Linux kernel defines
 * likely(), barrier() and friends itself and the names would clash.
 *
 * What the libraries need:
 *   - fixed-width integers, size_t, bool   (C11 freestanding headers, or the
 *                                           kernel's own types);
 *   - negative errno values                (IPC_EAGAIN, ...);
 *   - a compiler barrier, a spin-wait hint, acquire/release accessors;
 *   - thread-local storage for the async runtime's "current runtime" pointer;
 *   - page-granular allocation of thread stacks (only on the async slow
 *     path: the stack pool calls it when it runs dry);
 *   - a fatal-error hook.
 * GCC may also emit calls to memcpy/memset for struct copies and zeroing
 * loops even in freestanding mode; every environment provides those.
 */
#ifndef LXDS_IPC_PORT_H
#define LXDS_IPC_PORT_H

#if defined(__KERNEL__)
#include <linux/types.h>
#include <linux/errno.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#if !defined(__x86_64__)
#error "lxds ipc: only x86-64 is supported (the ordering rules below rely on TSO)"
#endif

/* Errors are returned as negative Linux errno values in every environment. */
#define IPC_EAGAIN   (-11)   /* ring full (send) or empty (receive) */
#define IPC_ENOMEM   (-12)   /* no stack or no call slot available */
#define IPC_EINVAL   (-22)   /* bad argument from the local caller */
#define IPC_EBADMSG  (-74)   /* the peer sent something invalid; it was dropped */

#define IPC_CACHELINE   64
#define IPC_PAGE_SIZE   4096UL

#define IPC_ALIGNED(n)  __attribute__((aligned(n)))
#define IPC_LIKELY(x)   __builtin_expect(!!(x), 1)
#define IPC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define IPC_INLINE      static inline __attribute__((always_inline))
#define IPC_NOINLINE    __attribute__((noinline))

/* Stops the compiler (not the CPU) from moving memory accesses across it. */
#define ipc_barrier()   __asm__ __volatile__("" ::: "memory")

/* Spin-wait hint: lets the sibling hyperthread run and avoids the memory-order
 * machine clear when the polled line finally changes. */
#define ipc_cpu_relax() __asm__ __volatile__("pause" ::: "memory")

/*
 * Prefetch a line for writing (PREFETCHW; a no-op hint on CPUs without it,
 * which decode it as a NOP).  Only a performance hint: it never changes
 * what any load returns or the order in which stores become visible.
 */
#define ipc_prefetchw(p) __asm__ __volatile__("prefetchw %0" :: "m"(*(const char *)(p)))

/*
 * Acquire/release on x86-64.
 *
 * x86-64 is TSO: (1) stores become visible to other cores in program order,
 * (2) loads are not reordered with older loads, (3) stores are not reordered
 * with older loads.  Only a younger load may pass an older store (through the
 * store buffer).  So a plain load already has acquire semantics and a plain
 * store already has release semantics *for the hardware*; what remains is to
 * stop the compiler from reordering, which the barrier does.  The volatile
 * access makes the compiler emit exactly one 8-byte mov, never tear or repeat
 * it.  No fence instruction is needed because the channel never relies on
 * "my store, then my load of another location" being ordered (no Dekker-style
 * handshake): each slot is handed back and forth through its own status word.
 */
IPC_INLINE uint64_t ipc_load_acquire64(const volatile uint64_t *p)
{
	uint64_t v = *p;
	ipc_barrier();  /* later loads and stores stay after this load */
	return v;
}

IPC_INLINE void ipc_store_release64(volatile uint64_t *p, uint64_t v)
{
	ipc_barrier();  /* earlier loads and stores stay before this store */
	*p = v;
}

/*
 * Thread-local storage for the async runtime's per-thread state.  Host
 * programs run one runtime per pthread; an LXD runs one per vCPU and builds
 * with a per-CPU definition; a kernel module pins its dispatch thread.
 */
#ifndef IPC_THREAD_LOCAL
#if defined(__KERNEL__) || defined(LXDS_FREESTANDING_SINGLE_CPU)
#define IPC_THREAD_LOCAL
#else
#define IPC_THREAD_LOCAL __thread
#endif
#endif

/*
 * Environment hooks, implemented once per environment (host:
 * lxd-sdk/async/port_host.c).  Stacks come back page-aligned; the size is a
 * multiple of IPC_PAGE_SIZE.
 */
void *ipc_port_stack_alloc(size_t bytes);
void ipc_port_stack_free(void *base, size_t bytes);
void ipc_port_panic(const char *why) __attribute__((noreturn));

#endif
