/*
 * The LXD SDK: what code running inside a Lightweight Execution Domain may
 * call.  See docs/lxd-sdk.md for the environment (address space, entry
 * state, what stops a domain) and how to build an image.
 *
 * An LXD provides
 *     int lxd_main(struct lxd_boot_info *bi);
 * crt0 checks the boot info, sets up the SDK, calls it, and exits the
 * domain (LXD_HC_EXIT) with its return value.
 */
#ifndef LXDS_LXD_H
#define LXDS_LXD_H

#include <lxds/async_chan.h>
#include <lxds/compiler.h>
#include <lxds/hypercall_abi.h>
#include <lxds/types.h>

/* Exit codes of the SDK itself (an LXD's own codes should stay below 0x100). */
#define LXD_EXIT_BAD_BOOT_INFO  0xB001  /* RDI or the boot-info magic was wrong (crt0) */
#define LXD_EXIT_PANIC          0xB002  /* lxd_panic, ipc_port_panic */
#define LXD_EXIT_NO_CHANNEL     0xB003  /* lxd_dispatch_init found no usable grant */

/* Written by the LXD author. */
int lxd_main(struct lxd_boot_info *bi);

/* The boot-info page (also lxd_main's argument). */
extern struct lxd_boot_info *lxd_boot_info;

/* --- hypercalls ------------------------------------------------------------ */

static inline long lxd_hypercall2(unsigned long nr, unsigned long a0, unsigned long a1)
{
    long ret;

    /* The ABI keeps every register but RAX; "memory" because the hypervisor
     * reads our buffers. */
    __asm__ __volatile__("vmcall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1) : "memory");
    return ret;
}

/* Stops the domain with `code` (the status's exit_detail).  Never returns. */
__noreturn void lxd_exit(uint64_t code);

/* --- the hypervisor log ---------------------------------------------------- */

/* One log record, `lxd <name>: <text>`; text beyond 255 bytes is cut. */
void lxd_log_text(const char *text, size_t len);
/*
 * Formatted output (lib/format.c: d i u x X o p s c, widths, l ll z).
 * Each line (split at '\n'; a trailing '\n' is optional) becomes one log
 * record; a line longer than LXD_LOG_LINE bytes is cut.  Returns the
 * length of the formatted text.  lxd_log is the same, named for use.
 */
#define LXD_LOG_LINE 255
int lxd_printf(const char *fmt, ...) __printf(1, 2);
int lxd_vprintf(const char *fmt, va_list ap);
#define lxd_log lxd_printf

/* Logs the message and exits with LXD_EXIT_PANIC. */
__noreturn void lxd_panic(const char *fmt, ...) __printf(1, 2);

/* --- memory ---------------------------------------------------------------- */

/*
 * Bump allocator over the boot-info heap: `align` a power of two (0 = 16).
 * Memory is never given back; NULL when the heap is exhausted.
 */
void *lxd_alloc(size_t bytes, size_t align);
/* Bytes left in the heap. */
size_t lxd_heap_left(void);

/* --- the dispatch loop ----------------------------------------------------- */

/*
 * Handles one request or one-way message.  Runs on an async thread of its
 * own, so it may block (e.g. achan_call to Linux over the same channel).
 * *reply starts zeroed; fill its payload (w[]): the loop sets its type and
 * tag and sends it for a CHAN_T_REQUEST, and drops it for a CHAN_T_ONEWAY.
 */
typedef void (*lxd_handler_fn)(void *ctx, const struct chan_msg *req, struct chan_msg *reply);

#define LXD_DISPATCH_CALLS      16              /* outstanding calls from the LXD to Linux, per channel */
#define LXD_DISPATCH_THREADS    32              /* requests in progress at once */
#define LXD_DISPATCH_STACK      (16 * 1024)     /* per request thread, from the heap */
#define LXD_DISPATCH_MAX_CHANNELS LXDS_MAX_GRANTS   /* one per Linux CPU, at most */

/* One channel of a dispatch loop: its rings, the calls made over it, its count. */
struct lxd_dispatch_chan {
    struct chan ch;
    struct achan ac;                            /* calls this LXD makes, and replies */
    struct achan_call calls[LXD_DISPATCH_CALLS];
    void *va;                                   /* the shared area (the grant) */
    uint64_t bytes;
    uint64_t requests;                          /* requests and one-way messages taken from it */
};

struct lxd_dispatch {
    struct lxd_dispatch_chan chans[LXD_DISPATCH_MAX_CHANNELS];
    unsigned int nchans;                        /* 1 .. LXD_DISPATCH_MAX_CHANNELS */
    unsigned int next;                          /* the channel the loop polls next */
    struct async_rt rt;
    lxd_handler_fn handler;
    void *ctx;
    uint64_t requests;                          /* requests and one-way messages handled */
    uint64_t spawn_waits;                       /* times every thread was busy */
    void (*tick)(void *ctx);                    /* lxd_dispatch_set_tick */
    void *tick_ctx;
};

/*
 * Attaches to grant number `grant` as side 1 of a channel that Linux (side
 * 0) created with chan_mem_init over the whole grant, and sets up the async
 * runtime.  Returns 0, or -EINVAL if there is no such grant or it is not a
 * channel area.  The same as lxd_dispatch_init_channels(d, grant, 1, ...).
 */
int lxd_dispatch_init(struct lxd_dispatch *d, unsigned int grant, lxd_handler_fn fn, void *ctx);

/*
 * Several channels to the same handler (Linux gives a domain one per CPU
 * that calls it, `lxdctl load --channels N`): grants first .. first+count-1,
 * each a channel as above.  count 0 = every grant from `first` on (the
 * boot info's ngrants, at most LXD_DISPATCH_MAX_CHANNELS).  Every grant must
 * be a channel area, else -EINVAL and the loop must not run.  The loop polls
 * the channels round-robin, one message from each per turn, and replies on
 * the channel a request came from.
 */
int lxd_dispatch_init_channels(struct lxd_dispatch *d, unsigned int first, unsigned int count,
                               lxd_handler_fn fn, void *ctx);

/*
 * Work of the domain's own that must run while it waits for requests (the
 * kernel environment's timers, work items and RCU callbacks): fn(ctx) runs
 * whenever the loop finds every ring empty and whenever every thread is
 * blocked, on the loop's own stack (not in a request thread).  NULL: none.
 */
void lxd_dispatch_set_tick(struct lxd_dispatch *d, void (*fn)(void *ctx), void *ctx);

/*
 * Polls the channels forever: bumps the heartbeat every iteration, starts
 * one async thread per request (the handler, then the reply on the
 * request's channel).  Never returns.
 */
__noreturn void lxd_dispatch_run(struct lxd_dispatch *d);

#endif
