/*
 * Runs the real LXD images in this (host, user-space) process, to test the
 * SDK end to end before the hypervisor can: crt0, the linker layout, the
 * libc, the dispatch loop and the echo transform.
 *
 * The image's segments are mapped at their addresses with the rights their
 * flags ask for (as the hypervisor maps them), plus the boot-info page,
 * stack, heap and one channel grant at the ABI's addresses.  The domain
 * runs on its own thread.  VMCALL at CPL 3 traps: on bare metal as #UD
 * (SIGILL), but when this host is itself a VM its hypervisor decides, and
 * some deliver SIGSEGV.  So the signal's number means nothing here: a trap
 * whose RIP points at a VMCALL inside the image's executable segments is the
 * hypercall, and the handler plays the hypervisor (LXD_HC_LOG prints,
 * LXD_HC_EXIT ends the domain); any other SIGSEGV stands for the EPT
 * violation and ends the domain with the faulting address, and any other
 * SIGILL aborts (a real #UD).  This thread plays Linux: side 0 of
 * the channel.  Built without sanitizers (they would claim the signals).
 * Prints PASS:/FAIL: lines for the test runner.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

#include <lxds/channel.h>
#include <lxds/elf_image.h>
#include <lxds/hypercall_abi.h>

#define RUN_STACK_BYTES 0x10000ull
#define RUN_HEAP_BYTES  0x100000ull
#define RUN_GRANT_BYTES 0x1000ull

struct run {
    const char *name;
    struct elf_image img;
    unsigned char *file;
    size_t len;
    struct lxd_boot_info *bi;
    sigjmp_buf out;
    volatile int state;             /* 0 running, 1 exited, 2 faulted */
    volatile uint64_t exit_code, fault_addr, fault_rip;
    char log[8192];
    volatile size_t loglen;
};

static struct run *run_cur;         /* one domain at a time */
static int run_failures;

static void check(int ok, const char *what, const char *detail)
{
    if (ok)
        printf("PASS: %s\n", what);
    else
        printf("FAIL: %s: %s\n", what, detail);
    run_failures += !ok;
}

static void *map_at(uint64_t va, uint64_t bytes)
{
    void *p = mmap((void *)va, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

    if (p != (void *)va) {
        fprintf(stderr, "lxd_run: cannot map 0x%llx\n", (unsigned long long)va);
        exit(2);
    }
    return p;
}

static int run_load(struct run *r, const char *path)
{
    const char *why;
    FILE *f = fopen(path, "rb");
    unsigned i;

    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    r->len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    r->file = malloc(r->len);
    if (fread(r->file, 1, r->len, f) != r->len)
        return -1;
    fclose(f);
    if (elf_image_parse(r->file, r->len, LXD_IMAGE_BASE, LXD_IMAGE_LIMIT, &r->img, &why)) {
        fprintf(stderr, "lxd_run: %s: %s\n", path, why);
        return -1;
    }
    for (i = 0; i < r->img.nsegs; i++) {
        const struct elf_segment *s = &r->img.segs[i];
        uint64_t lo = s->vaddr & ~0xfffull, hi = (s->vaddr + s->memsz + 0xfff) & ~0xfffull;
        int prot = ((s->flags & ELF_PF_R) ? PROT_READ : 0) |
                   ((s->flags & ELF_PF_W) ? PROT_WRITE : 0) |
                   ((s->flags & ELF_PF_X) ? PROT_EXEC : 0);

        map_at(lo, hi - lo);
        memcpy((void *)s->vaddr, r->file + s->offset, s->filesz);
        mprotect((void *)lo, hi - lo, prot);
    }
    map_at(LXD_STACK_TOP_VA - RUN_STACK_BYTES, RUN_STACK_BYTES);
    map_at(LXD_HEAP_VA, RUN_HEAP_BYTES);
    r->bi = map_at(LXD_BOOT_INFO_VA, 0x1000);
    r->bi->magic = LXD_BOOT_INFO_MAGIC;
    r->bi->domain_id = 1;
    r->bi->heap_va = LXD_HEAP_VA;
    r->bi->heap_bytes = RUN_HEAP_BYTES;
    snprintf(r->bi->name, sizeof(r->bi->name), "%s", r->name);
    return 0;
}

static void run_unload(struct run *r)
{
    unsigned i;

    for (i = 0; i < r->img.nsegs; i++) {
        const struct elf_segment *s = &r->img.segs[i];
        uint64_t lo = s->vaddr & ~0xfffull, hi = (s->vaddr + s->memsz + 0xfff) & ~0xfffull;
        munmap((void *)lo, hi - lo);
    }
    munmap((void *)(LXD_STACK_TOP_VA - RUN_STACK_BYTES), RUN_STACK_BYTES);
    munmap((void *)LXD_HEAP_VA, RUN_HEAP_BYTES);
    if (r->bi->ngrants)
        munmap((void *)LXD_GRANT_VA, RUN_GRANT_BYTES);
    munmap((void *)LXD_BOOT_INFO_VA, 0x1000);
    free(r->file);
}

/* Does [rip, rip+3) lie in an executable segment of the image and hold VMCALL?
 * (Checked through the segment table, so a fetch fault at an unmapped RIP is
 * never read.) */
static int rip_is_vmcall(const struct run *r, uint64_t rip)
{
    unsigned i;

    for (i = 0; i < r->img.nsegs; i++) {
        const struct elf_segment *s = &r->img.segs[i];

        if ((s->flags & ELF_PF_X) && (s->flags & ELF_PF_R) &&
            rip >= s->vaddr && rip + 3 <= s->vaddr + s->filesz) {
            const unsigned char *ip = (const unsigned char *)rip;
            return ip[0] == 0x0f && ip[1] == 0x01 && ip[2] == 0xc1;
        }
    }
    return 0;
}

/* The hypervisor's side of VMCALL. */
static void hypercall(struct run *r, greg_t *g)
{
    if (g[REG_RAX] == LXD_HC_LOG) {
        size_t n = (size_t)g[REG_RSI] > 255 ? 255 : (size_t)g[REG_RSI];
        size_t at = r->loglen;

        if (at + n + 2 < sizeof(r->log)) {
            memcpy(r->log + at, (const char *)g[REG_RDI], n);
            r->log[at + n] = '\n';
            r->log[at + n + 1] = '\0';
            r->loglen = at + n + 1;
        }
        g[REG_RAX] = 0;
        g[REG_RIP] += 3;
        return;
    }
    if (g[REG_RAX] == LXD_HC_EXIT) {
        r->exit_code = (uint64_t)g[REG_RDI];
        r->state = 1;
        siglongjmp(r->out, 1);
    }
    g[REG_RAX] = -38;                   /* -ENOSYS */
    g[REG_RIP] += 3;
}

/* SIGILL and SIGSEGV alike: a VMCALL is the hypercall, whichever signal the
 * host turned it into; any other SIGSEGV is the EPT violation's stand-in. */
static void on_trap(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    greg_t *g = uc->uc_mcontext.gregs;
    struct run *r = run_cur;

    if (rip_is_vmcall(r, (uint64_t)g[REG_RIP])) {
        hypercall(r, g);
        return;
    }
    if (sig != SIGSEGV)
        abort();                        /* a real #UD: not ours to handle */
    r->fault_addr = (uint64_t)si->si_addr;
    r->fault_rip = (uint64_t)g[REG_RIP];
    r->state = 2;
    siglongjmp(r->out, 1);
}

static void *domain_thread(void *arg)
{
    struct run *r = arg;
    stack_t alt = { .ss_sp = malloc(SIGSTKSZ * 4), .ss_size = SIGSTKSZ * 4 };

    /* Signals on a stack of our own: the domain's is only 64 KiB. */
    sigaltstack(&alt, NULL);
    if (sigsetjmp(r->out, 1) == 0) {
        /* The entry state: RSP at the stack top, RDI = boot info. */
        __asm__ __volatile__("mov %0, %%rsp\n\txor %%ebp, %%ebp\n\tjmp *%1"
                             :: "r"(LXD_STACK_TOP_VA), "r"(r->img.entry), "D"(r->bi)
                             : "memory");
        __builtin_unreachable();
    }
    return NULL;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Linux's side of one channel in test_echo: a thread of its own, like a Linux CPU. */
struct echo_pinger {
    struct chan ch;
    struct run *r;
    uint64_t n, done, bad;
    double deadline;
};

static void *echo_pinger_thread(void *arg)
{
    struct echo_pinger *p = arg;
    uint64_t i;

    for (i = 0; i < p->n && p->r->state == 0 && now() < p->deadline; i++) {
        struct chan_msg req = { .hdr = { .type = CHAN_T_REQUEST, .tag = (uint32_t)i } }, rep;
        int k, ret;

        for (k = 0; k < CHAN_PAYLOAD_WORDS; k++)
            req.w[k] = i * 0x9e3779b97f4a7c15ull + (uint64_t)k + ((uint64_t)(uintptr_t)p << 32);
        while (chan_try_send(&p->ch, &req) != 0 && p->r->state == 0 && now() < p->deadline)
            ;
        while ((ret = chan_try_recv(&p->ch, &rep)) == IPC_EAGAIN && p->r->state == 0 &&
               now() < p->deadline)
            ;
        if (ret != 0) {
            p->bad++;
            break;
        }
        p->bad += rep.hdr.type != CHAN_T_REPLY || rep.hdr.tag != (uint32_t)i;
        for (k = 0; k < CHAN_PAYLOAD_WORDS; k++)
            p->bad += rep.w[k] != ~req.w[k];
    }
    p->done = i;
    return NULL;
}

/*
 * The echo LXD with ECHO_CHANNELS channels (grants 0..2, as klxd gives a
 * domain one per Linux CPU): one pinger thread per channel at once, every
 * reply checked on the channel its request went out on.
 */
#define ECHO_CHANNELS 3
#define ECHO_PER_CHANNEL 40000ull

static void test_echo(const char *dir)
{
    static struct echo_pinger pingers[ECHO_CHANNELS];
    struct run r = { .name = "echo" };
    char path[512], detail[9000], want[128];
    pthread_t t, pt[ECHO_CHANNELS];
    uint64_t done = 0, bad = 0;
    double t0;
    int c;

    snprintf(path, sizeof(path), "%s/echo.lxd", dir);
    if (run_load(&r, path)) {
        check(0, "echo: load", path);
        return;
    }
    for (c = 0; c < ECHO_CHANNELS; c++) {
        uint64_t va = LXD_GRANT_VA + (uint64_t)c * LXD_GRANT_STRIDE;
        void *grant = map_at(va, RUN_GRANT_BYTES);

        chan_mem_init(grant, RUN_GRANT_BYTES);                  /* Linux creates ... */
        chan_attach(&pingers[c].ch, grant, RUN_GRANT_BYTES, 0,
                    CHAN_ACCEPT(CHAN_T_REPLY));                 /* ... side 0 */
        r.bi->grants[c].va = va;
        r.bi->grants[c].bytes = RUN_GRANT_BYTES;
    }
    r.bi->ngrants = ECHO_CHANNELS;
    run_cur = &r;
    pthread_create(&t, NULL, domain_thread, &r);

    t0 = now();
    for (c = 0; c < ECHO_CHANNELS; c++) {
        pingers[c].r = &r;
        pingers[c].n = ECHO_PER_CHANNEL;
        pingers[c].deadline = t0 + 90;
        pthread_create(&pt[c], NULL, echo_pinger_thread, &pingers[c]);
    }
    for (c = 0; c < ECHO_CHANNELS; c++) {
        pthread_join(pt[c], NULL);
        done += pingers[c].done;
        bad += pingers[c].bad;
    }
    snprintf(detail, sizeof(detail),
             "%llu, %llu, %llu of %llu round trips per channel, %llu bad, state %d, log:\n%s",
             (unsigned long long)pingers[0].done, (unsigned long long)pingers[1].done,
             (unsigned long long)pingers[2].done, ECHO_PER_CHANNEL, (unsigned long long)bad,
             r.state, r.log);
    check(done == ECHO_CHANNELS * ECHO_PER_CHANNEL && bad == 0,
          "echo: 3 channels pinged at once, 40000 round trips each, every reply complemented",
          detail);
    printf("echo: %.0f round trips/s over 3 channels (host threads)\n", done / (now() - t0));
    for (c = 0; c < ECHO_CHANNELS; c++) {
        snprintf(want, sizeof(want), "echo: ready on channel %d of 3 at 0x%llx", c,
                 (unsigned long long)(LXD_GRANT_VA + (uint64_t)c * LXD_GRANT_STRIDE));
        check(strstr(r.log, want) != NULL, "echo: a ready line per channel", r.log);
    }
    check(strstr(r.log, "echo: 100000 requests (channel 0: ") != NULL,
          "echo: count line with per-channel counts", r.log);
    check(r.bi->heartbeat > done, "echo: heartbeat moves", "heartbeat did not pass the request count");
    /* Stop it the hard way (the hypervisor would stop its core): the thread
     * never returns, so cancel it; the test process ends soon anyway. */
    pthread_cancel(t);
    run_cur = NULL;
}

static void run_to_end(struct run *r)
{
    pthread_t t;
    double deadline = now() + 10;

    run_cur = r;
    pthread_create(&t, NULL, domain_thread, r);
    while (r->state == 0 && now() < deadline)
        usleep(1000);
    if (r->state != 0)
        pthread_join(t, NULL);
    run_cur = NULL;
}

static void test_probe(const char *dir)
{
    struct run r = { .name = "probe" };
    char path[512], detail[9000];

    snprintf(path, sizeof(path), "%s/probe.lxd", dir);
    if (run_load(&r, path)) {
        check(0, "probe: load", path);
        return;
    }
    run_to_end(&r);
    snprintf(detail, sizeof(detail), "state %d, addr 0x%llx, code %llu, log:\n%s", r.state,
             (unsigned long long)r.fault_addr, (unsigned long long)r.exit_code, r.log);
    check(r.state == 2 && r.fault_addr == 0x1000000, "probe: faults reading 0x1000000", detail);
    check(r.fault_rip >= LXD_IMAGE_BASE && r.fault_rip < LXD_IMAGE_BASE + 0x100000,
          "probe: fault RIP is in its text", detail);
    check(strstr(r.log, "probe: reading 0x1000000") && !strstr(r.log, "SUCCEEDED"),
          "probe: logs the read and not a success", detail);
    run_unload(&r);
}

/* Boot-info checks in crt0: a wrong magic exits with LXD_EXIT_BAD_BOOT_INFO, no C run. */
static void test_bad_magic(const char *dir)
{
    struct run r = { .name = "probe" };
    char path[512], detail[9000];

    snprintf(path, sizeof(path), "%s/probe.lxd", dir);
    if (run_load(&r, path)) {
        check(0, "crt0: load", path);
        return;
    }
    r.bi->magic ^= 1;
    run_to_end(&r);
    snprintf(detail, sizeof(detail), "state %d, code 0x%llx, log:\n%s", r.state,
             (unsigned long long)r.exit_code, r.log);
    check(r.state == 1 && r.exit_code == 0xB001 && r.loglen == 0,
          "crt0: bad boot-info magic exits with 0xB001 before any C", detail);
    run_unload(&r);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : LXD_IMAGE_DIR;
    struct sigaction sa = { .sa_flags = SA_SIGINFO | SA_ONSTACK };

    setvbuf(stdout, NULL, _IOLBF, 0);
    sa.sa_sigaction = on_trap;
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    test_bad_magic(dir);
    test_probe(dir);
    test_echo(dir);             /* last: its domain thread is left spinning */
    fflush(stdout);
    _exit(run_failures ? 1 : 0);
}
