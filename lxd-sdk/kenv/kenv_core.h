/*
 * The boundary inside the kernel environment.
 *
 * Two halves make up the environment of a driver domain:
 *   - the core (lxd-sdk/kenv/core/), freestanding C on the LXD SDK's
 *     headers: start-up, the heap allocator, the hypervisor log, time from
 *     the TSC, exceptions, the domain's loop;
 *   - the kernel-ABI layer (lxd-sdk/kenv/linux/), compiled by Kbuild with
 *     the guest kernel's own headers and flags like the driver itself: the
 *     kernel's function names (kmalloc, _printk, mutex_lock...), with the
 *     kernel's struct layouts (struct page, struct mutex, struct timer_list,
 *     struct kernel_param, struct bug_entry...).
 *
 * They meet only through the functions below, declared with C's own types
 * so that this header compiles on both sides (the kernel's headers and the
 * SDK's cannot be mixed in one file).
 */
#ifndef KENV_CORE_H
#define KENV_CORE_H

/* Exit codes of a driver domain (LXD_HC_EXIT; lxdctl status shows them). */
#define KENV_EXIT_OK            0
#define KENV_EXIT_BUG           0xB010  /* BUG(), BUG_ON() */
#define KENV_EXIT_PANIC         0xB011  /* panic(), or the environment found itself broken */
#define KENV_EXIT_EXCEPTION     0xB012  /* a CPU exception other than a BUG/WARN ud2 */
#define KENV_EXIT_INIT_FAILED   0xB013  /* module_init returned an error */
#define KENV_EXIT_BAD_ARGS      0xB014  /* the load arguments were refused */
#define KENV_EXIT_NO_HEAP       0xB015  /* the heap is too small to start */

/* ---- provided by the core ---- */

/* Memory (kheap over the domain's heap). */
void *kenv_heap_alloc(unsigned long bytes, unsigned long align);
int kenv_heap_free(const void *p);
unsigned long kenv_heap_usable(const void *p);
void *kenv_pages_alloc(unsigned int order);
int kenv_pages_free(const void *p, unsigned int order);
int kenv_heap_contains(const void *p);
/* The page-managed part of the heap: [*start, *end). */
void kenv_heap_range(unsigned long *start, unsigned long *end);
unsigned long kenv_heap_free_bytes(void);

/* One line into the hypervisor log (cut at 255 bytes). */
void kenv_log_line(const char *text, unsigned long len);
/* vsnprintf with the kernel's %p extensions (kfmt.c). */
int kenv_vsnprintf(char *buf, unsigned long size, const char *fmt, __builtin_va_list ap);
/*
 * Logs "<what>" and ends the domain with `code`.  Never returns (objtool,
 * which checks the Kbuild half, does not know that: there callers follow
 * it with kenv_die_loop()).
 */
#ifdef __KERNEL__
void kenv_die(unsigned long code, const char *what);
#define kenv_die_loop() for (;;) kenv_die(KENV_EXIT_PANIC, "kenv_die returned")
#else
__attribute__((noreturn)) void kenv_die(unsigned long code, const char *what);
#endif

/* Time: nanoseconds since the domain started, from the TSC. */
unsigned long long kenv_clock_ns(void);
/* Spins for ns nanoseconds, keeping the heartbeat moving. */
void kenv_spin_ns(unsigned long long ns);
/* Tells the hypervisor's watchdog that the domain is alive. */
void kenv_heartbeat(void);

/* The load arguments ("" if none). */
const char *kenv_load_args(void);
/* The domain's name (the boot info's). */
const char *kenv_domain_name(void);

/* ---- provided by the kernel-ABI layer ---- */

/* Before the driver: per-CPU data, struct pages for the heap, jiffies. */
int kenv_linux_init(void);
/* Sets the driver's module parameters from the load arguments; 0 or -errno. */
int kenv_linux_params(const char *args);
/* Calls module_init; its return value. */
int kenv_linux_module_init(void);
/* Calls module_exit (if the module has one). */
void kenv_linux_module_exit(void);
/* One turn of the domain's loop: expired timers, queued work, RCU callbacks. */
void kenv_linux_tick(void);
/*
 * A #UD at rip: 1 if it was a WARN (the text is logged; resume at rip + 2),
 * otherwise it does not return (BUG: logged, the domain ends) - or 0 if no
 * BUG/WARN is recorded at rip (an invalid instruction).
 */
int kenv_linux_ud(unsigned long rip);

#endif
