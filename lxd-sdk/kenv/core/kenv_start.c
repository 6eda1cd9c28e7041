/*
 * The kernel environment's start-up and loop (the freestanding half; see
 * lxd-sdk/kenv/kenv_core.h for the split and docs/lxd-kenv.md).
 *
 * crt0 -> lxd_sdk_start -> lxd_main (here):
 *   1. a GDT and an IDT of the domain's own, so that a CPU exception is
 *      delivered to kenv_trap (BUG/WARN are ud2 with a __bug_table entry);
 *   2. the heap: all of it but KENV_SDK_RESERVE goes to kheap;
 *   3. the kernel-ABI layer: per-CPU data, struct pages, the module's
 *      parameters from the load arguments, then module_init;
 *   4. the loop: heartbeat, timers, work, RCU callbacks.  An image with
 *      IDL glue (core/kenv_glue.c) runs module_init and its own loop
 *      instead: an async thread per request from Linux.  With the load
 *      argument kenv.exit_after_ms=N the loop calls module_exit after N ms
 *      and the domain exits with 0 (the only way to run module_exit until
 *      Linux can ask for a shutdown over the channel: docs/lxd-kenv.md).
 */
#include <lxds/errno.h>
#include <lxds/format.h>
#include <lxds/lxd.h>
#include <lxds/string.h>

#include "../kenv_core.h"
#include "kfmt.h"
#include "kheap.h"
#include "kparams.h"

/* What the SDK keeps for itself (async stacks once a dispatch loop runs). */
#define KENV_SDK_RESERVE    (640ul * 1024)
#define KENV_HEAP_MIN       (64ul * 1024)

static struct kheap kenv_heap;
static uint64_t kenv_tsc0, kenv_tsc_khz;
static uint64_t kenv_exit_after_ms;          /* 0: run forever */

/* ---- descriptor tables ---- */

struct kenv_trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

#define KENV_TRAP_VECTORS 22
extern const uint64_t kenv_trap_stubs[KENV_TRAP_VECTORS];

struct kenv_idt_gate {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __attribute__((packed));

/* null, 64-bit code (0x08), data (0x10): the selectors the hypervisor loaded. */
static const uint64_t kenv_gdt[3] __attribute__((aligned(16))) = {
    0, 0x00AF9B000000FFFFull, 0x00CF93000000FFFFull,
};
static struct kenv_idt_gate kenv_idt[KENV_TRAP_VECTORS] __attribute__((aligned(16)));

static void kenv_tables_init(void)
{
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdtr, idtr;

    for (unsigned int v = 0; v < KENV_TRAP_VECTORS; v++) {
        uint64_t a = kenv_trap_stubs[v];
        kenv_idt[v] = (struct kenv_idt_gate){
            .off_lo = (uint16_t)a, .sel = 0x08, .type = 0x8E,   /* present, DPL 0, interrupt gate */
            .off_mid = (uint16_t)(a >> 16), .off_hi = (uint32_t)(a >> 32),
        };
    }
    gdtr.limit = sizeof(kenv_gdt) - 1;
    gdtr.base = (uintptr_t)kenv_gdt;
    idtr.limit = sizeof(kenv_idt) - 1;
    idtr.base = (uintptr_t)kenv_idt;
    /* The selectors keep their cached descriptors; new loads find the same. */
    __asm__ volatile("lgdt %0; lidt %1" : : "m"(gdtr), "m"(idtr) : "memory");
}

static const char *kenv_vector_name(uint64_t v)
{
    static const char *const names[KENV_TRAP_VECTORS] = {
        "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
        "#BR bound range", "#UD invalid opcode", "#NM no FPU", "#DF double fault",
        "coprocessor overrun", "#TS invalid TSS", "#NP segment not present",
        "#SS stack fault", "#GP general protection", "#PF page fault", "reserved",
        "#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD error",
        "#VE virtualization", "#CP control protection",
    };
    return v < KENV_TRAP_VECTORS ? names[v] : "?";
}

unsigned long kenv_trap(struct kenv_trap_frame *f);
unsigned long kenv_trap(struct kenv_trap_frame *f)
{
    char why[200];
    uint64_t cr2 = 0;

    if (f->vector == 6 && kenv_linux_ud(f->rip) == 1) {
        f->rip += 2;                /* a WARN: past its ud2 */
        return 0;
    }
    if (f->vector == 14)
        __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    fmt_snprintf(why, sizeof(why),
                 "exception %s at RIP %#lx (error code %#lx, CR2 %#lx, RSP %#lx)",
                 kenv_vector_name(f->vector), f->rip, f->error, cr2, f->rsp);
    kenv_die(KENV_EXIT_EXCEPTION, why);
}

/* ---- services for the kernel-ABI layer ---- */

void *kenv_heap_alloc(unsigned long bytes, unsigned long align)
{
    return kheap_alloc(&kenv_heap, bytes, align);
}

int kenv_heap_free(const void *p) { return kheap_free(&kenv_heap, p); }
unsigned long kenv_heap_usable(const void *p) { return kheap_usable(&kenv_heap, p); }
void *kenv_pages_alloc(unsigned int order) { return kheap_alloc_pages(&kenv_heap, order); }
int kenv_pages_free(const void *p, unsigned int order) { return kheap_free_pages(&kenv_heap, p, order); }
int kenv_heap_contains(const void *p) { return kheap_contains(&kenv_heap, p); }
unsigned long kenv_heap_free_bytes(void) { return kheap_free_bytes(&kenv_heap); }

void kenv_heap_range(unsigned long *start, unsigned long *end)
{
    *start = kenv_heap.base;
    *end = kenv_heap.base + (uint64_t)kenv_heap.npages * KHEAP_PAGE;
}

void kenv_log_line(const char *text, unsigned long len)
{
    lxd_log_text(text, len);
}

int kenv_vsnprintf(char *buf, unsigned long size, const char *fmt, va_list ap)
{
    return kfmt_vsnprintf(buf, size, fmt, ap);
}

void kenv_die(unsigned long code, const char *what)
{
    lxd_printf("kenv: %s; the domain ends (exit code %#lx)", what, code);
    lxd_exit(code);
}

void kenv_heartbeat(void)
{
    lxd_boot_info->heartbeat++;
}

static uint64_t kenv_rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

unsigned long long kenv_clock_ns(void)
{
    uint64_t t = kenv_rdtsc() - kenv_tsc0;

    /* t / khz ms, in two steps so that nothing overflows 64 bits */
    return t / kenv_tsc_khz * 1000000ull + (t % kenv_tsc_khz) * 1000000ull / kenv_tsc_khz;
}

void kenv_spin_ns(unsigned long long ns)
{
    unsigned long long end = kenv_clock_ns() + ns;

    while (kenv_clock_ns() < end) {
        kenv_heartbeat();
        __asm__ volatile("pause");
    }
}

/* The stand-in of a crossing symbol in a link-test image (tools/kenv-crossstubs.sh). */
__noreturn void kenv_cross_unlinked(const char *name);
void kenv_cross_unlinked(const char *name)
{
    char why[96];

    fmt_snprintf(why, sizeof(why), "%s must cross to Linux, and this image has no IDL glue", name);
    kenv_die(KENV_EXIT_PANIC, why);
}

const char *kenv_load_args(void) { return lxd_boot_info->args; }
const char *kenv_domain_name(void) { return lxd_boot_info->name; }

/*
 * For the IDL glue, which runs the SDK's dispatch loop instead of ours:
 * lxd_dispatch_set_tick(d, kenv_dispatch_tick, NULL) keeps timers, work
 * and RCU callbacks running from it.
 */
void kenv_dispatch_tick(void *ctx);
void kenv_dispatch_tick(void *ctx)
{
    (void)ctx;
    kenv_linux_tick();
}

/* ---- start-up ---- */

static int kenv_heap_init(void)
{
    size_t left = lxd_heap_left();

    if (left < KENV_SDK_RESERVE + KENV_HEAP_MIN)
        return -ENOMEM;
    size_t bytes = (left - KENV_SDK_RESERVE) & ~(KHEAP_PAGE - 1);
    void *area = lxd_alloc(bytes, KHEAP_PAGE);
    if (!area)
        return -ENOMEM;
    return kheap_init(&kenv_heap, (uintptr_t)area, bytes);
}

/* The environment's own load arguments: kenv.NAME=VALUE (the driver never sees them). */
static int kenv_own_args(const char *args)
{
    struct kparam_word w;
    const char *why = "";
    int rc;

    while ((rc = kparams_next(&args, &w, &why)) == 1) {
        if (memcmp(w.name, "kenv.", 5) != 0)
            continue;
        if (kparams_name_eq(w.name, "kenv.exit_after_ms") && w.has_value) {
            uint64_t v = 0;
            const char *s = w.value;
            if (!*s)
                return -EINVAL;
            for (; *s; s++) {
                if (*s < '0' || *s > '9' || v > 86400000ull)
                    return -EINVAL;
                v = v * 10 + (uint64_t)(*s - '0');
            }
            kenv_exit_after_ms = v ? v : 1;
        } else {
            lxd_printf("kenv: unknown environment parameter '%s'", w.name);
            return -EINVAL;
        }
    }
    if (rc < 0)
        lxd_printf("kenv: load arguments refused: %s", why);
    return rc;
}

/* Defined by core/kenv_glue.c in images with IDL glue only. */
int kenv_glue_run(void) __attribute__((weak));

int lxd_main(struct lxd_boot_info *bi)
{
    int rc;

    kenv_tables_init();
    bi->args[LXD_ARGS_MAX - 1] = '\0';     /* the hypervisor terminates them; be sure */
    bi->name[LXDS_NAME_MAX - 1] = '\0';
    kenv_tsc0 = kenv_rdtsc();
    kenv_tsc_khz = bi->tsc_khz ? bi->tsc_khz : 1000000;     /* ABI 1.0 hypervisor: assume 1 GHz */
    rc = kenv_heap_init();
    if (rc)
        kenv_die(KENV_EXIT_NO_HEAP, "the heap is too small for the kernel environment");
    lxd_printf("kenv: domain '%s': heap %lu KiB, TSC %lu kHz, arguments \"%s\"", bi->name,
               (unsigned long)(kheap_free_bytes(&kenv_heap) >> 10), (unsigned long)kenv_tsc_khz,
               bi->args);
    if (kenv_own_args(bi->args))
        kenv_die(KENV_EXIT_BAD_ARGS, "bad environment arguments");
    rc = kenv_linux_init();
    if (rc)
        kenv_die(KENV_EXIT_PANIC, "the kernel-ABI layer did not start");
    rc = kenv_linux_params(bi->args);
    if (rc)
        kenv_die(KENV_EXIT_BAD_ARGS, "the module parameters were refused");
    if (kenv_glue_run) {
        /* An image with IDL glue: module_init and the loop run under the
         * glue's async runtime (core/kenv_glue.c), which never returns. */
        rc = kenv_glue_run();
        kenv_die(KENV_EXIT_PANIC, rc ? "the IDL glue did not start" : "the glue's loop ended");
    }
    rc = kenv_linux_module_init();
    if (rc) {
        char why[64];
        fmt_snprintf(why, sizeof(why), "module_init failed: %d (%s)", rc, errno_name(rc));
        kenv_die(KENV_EXIT_INIT_FAILED, why);
    }
    lxd_printf("kenv: module_init done; %lu KiB of heap free", 
               (unsigned long)(kheap_free_bytes(&kenv_heap) >> 10));
    uint64_t start = kenv_clock_ns();
    for (;;) {
        kenv_heartbeat();
        kenv_linux_tick();
        if (kenv_exit_after_ms && kenv_clock_ns() - start >= kenv_exit_after_ms * 1000000ull) {
            lxd_printf("kenv: kenv.exit_after_ms=%lu reached: module_exit",
                       (unsigned long)kenv_exit_after_ms);
            kenv_linux_module_exit();
            lxd_printf("kenv: module_exit done; %lu allocation(s) still live",
                       (unsigned long)kenv_heap.allocations);
            return KENV_EXIT_OK;
        }
        __asm__ volatile("pause");
    }
}
