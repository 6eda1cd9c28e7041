/*
 * LXD domains: load an ELF image into pool memory behind a fresh EPT, run
 * it on a core of its own, stop it, destroy it with every frame returned.
 * The calls come from Linux's hypercalls on the boot core; the domain's own
 * core runs lxd_core_main() and records how the domain ended.
 */
#include <lxds/arch.h>
#include <lxds/cmdline.h>
#include <lxds/cpu.h>
#include <lxds/debug.h>
#include <lxds/domain.h>
#include <lxds/elf_image.h>
#include <lxds/errno.h>
#include <lxds/format.h>
#include <lxds/lxd_domain.h>
#include <lxds/lxd_pool.h>
#include <lxds/memory.h>
#include <lxds/printk.h>
#include <lxds/string.h>

#define LXD_PT_GPA          LXD_PAGE_TABLES_VA  /* PML4, PDPT, PD: VA = GPA for the first GiB */
#define LXD_STACK_BYTES     KiB(64)
#define LXD_MAX_CHUNKS      (ELF_MAX_SEGMENTS + 4)
#define LXD_WATCHDOG_TICKS  50              /* preemption-timer ticks without a heartbeat */
#define LXD_STOP_TIMEOUT_US 2000000


struct lxd_chunk {
    uint64_t pa, count;
};

struct lxd {
    struct domain dom;
    struct vcpu vcpu;
    volatile uint32_t state;                /* enum lxds_domain_state */
    volatile int core;
    uint64_t entry;
    struct lxd_chunk chunks[LXD_MAX_CHUNKS];
    unsigned int nchunks;
    struct lxd_boot_info *bi;
    uint64_t last_heartbeat;
    uint64_t log_window_start;              /* LXD_HC_LOG rate limit: cycles, records, dropped */
    uint32_t log_in_window;
    uint64_t log_suppressed;
};

static struct lxd lxds[LXDS_MAX_DOMAINS];   /* domain id = index + 1 */

static struct lxd *lxd_get(uint32_t id)
{
    if (id == 0 || id > LXDS_MAX_DOMAINS || lxds[id - 1].state == LXDS_STATE_FREE)
        return NULL;
    return &lxds[id - 1];
}

/* ---- what an LXD may ask of the hypervisor ---- */

/*
 * LXD_HC_LOG text goes into the hypervisor's log as one line, whatever it
 * holds: fmt_escape() writes every byte outside printable ASCII, and the
 * backslash, as an escape (\n, \r, \t, \\, \xNN), so a domain can neither
 * start a line of its own (forging the hypervisor's lines that lxdctl and
 * the tests read) nor send terminal control sequences.  The escaped text
 * is cut at LXD_LOG_ESCAPED bytes with "[...]".
 */
#define LXD_LOG_ESCAPED     400

/*
 * Each domain may log a burst of LXD_LOG_BURST records (start-up chatter,
 * e.g. a kernel-environment driver's messages), then LXD_LOG_PER_SECOND
 * records a second: a token bucket, one record's credit back every
 * 1/LXD_LOG_PER_SECOND s.  The rest are counted, and the count is logged
 * when a record is allowed again (or when the domain ends), so a flood costs
 * the console little and hides nothing.
 */
#define LXD_LOG_PER_SECOND  20
#define LXD_LOG_BURST       100

static void lxd_log_suppressed_report(struct lxd *d)
{
    if (d->log_suppressed)
        printk("lxd %s: %lu log record(s) suppressed (more than %u a second)\n", d->dom.name,
               d->log_suppressed, LXD_LOG_PER_SECOND);
    d->log_suppressed = 0;
}

/* log_in_window: credits spent, at most LXD_LOG_BURST; log_window_start: last refill. */
static bool lxd_log_allowed(struct lxd *d)
{
    uint64_t now = arch_cycles();
    uint64_t per_record = 1000000 * arch_cycles_per_us() / LXD_LOG_PER_SECOND;
    uint64_t earned = per_record ? (now - d->log_window_start) / per_record : LXD_LOG_BURST;

    if (earned) {
        d->log_in_window = earned >= d->log_in_window ? 0 : d->log_in_window - (uint32_t)earned;
        d->log_window_start = now;
    }
    if (d->log_in_window >= LXD_LOG_BURST) {
        d->log_suppressed++;
        return false;
    }
    lxd_log_suppressed_report(d);
    d->log_in_window++;
    return true;
}

static void lxd_log(struct lxd *d, uint64_t va, uint64_t len)
{
    char text[256], escaped[LXD_LOG_ESCAPED];
    size_t n = 0;

    if (!lxd_log_allowed(d))
        return;
    len = MIN(len, sizeof(text) - 1);
    while (n < len) {                       /* through its EPT, page by page */
        uint64_t hpa;
        if (ept_translate(&d->dom.ept, va + n, &hpa, NULL, NULL, NULL))
            break;
        size_t chunk = MIN(len - n, PAGE_SIZE - ((va + n) & (PAGE_SIZE - 1)));
        memcpy(text + n, phys_to_virt(hpa), chunk);
        n += chunk;
    }
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\0'))
        n--;
    fmt_escape(escaped, sizeof(escaped), text, n);
    printk("lxd %s: %s\n", d->dom.name, escaped);
}

static enum hypercall_action lxd_hypercall(struct vcpu *v)
{
    struct lxd *d = v->dom->priv;

    switch (v->regs.rax) {
    case LXD_HC_LOG:
        lxd_log(d, v->regs.rdi, v->regs.rsi);
        v->regs.rax = 0;
        return HC_RESUME;
    case LXD_HC_EXIT:
        v->exit_code = v->regs.rdi;
        printk("lxd %s: exits with code %ld\n", d->dom.name, (long)v->regs.rdi);
        return HC_EXIT;
    default:
        v->regs.rax = (uint64_t)-ENOSYS;
        return HC_RESUME;
    }
}

/* The watchdog's question: did the heartbeat in the boot-info page move? */
static bool lxd_progress(struct vcpu *v)
{
    struct lxd *d = v->dom->priv;
    uint64_t hb = d->bi->heartbeat;
    bool moved = hb != d->last_heartbeat;

    d->last_heartbeat = hb;
    return moved;
}

/*
 * An LXD's exit policy: deny by default and no exceptions.  No port, no MSR,
 * no HLT, no control register but a virtual CR8 (a TPR that never reaches
 * the core's APIC), no XSETBV or INVD: any of them stops the domain, which
 * is reported with the exit; the rest of the machine goes on.  What an LXD
 * may do is its EPT (its memory) and its two hypercalls.
 */
static const struct exit_policy lxd_policy = {
    .name = "lxd",
    .ops = POLICY_OP(POLICY_OP_CR8_VIRTUAL),
    .refusal = POLICY_STOP,
};

static const struct domain_ops lxd_ops = {
    .hypercall = lxd_hypercall, .progress = lxd_progress, .policy = &lxd_policy,
};

/* ---- memory ---- */

static int map_new(struct lxd *d, uint64_t gpa, uint64_t bytes, unsigned int rights, uint64_t *hpa)
{
    uint64_t pages = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE, pa;
    int rc;

    if (d->nchunks == LXD_MAX_CHUNKS)
        return trace_error(-E2BIG);
    rc = pool_alloc(pages, 1, &pa);
    if (rc)
        return rc;
    rc = trace_error(ept_map(&d->dom.ept, gpa, pa, pages * PAGE_SIZE, rights, EPT_MT_WB));
    if (rc) {
        pool_free(pa, pages);
        return rc;
    }
    d->chunks[d->nchunks++] = (struct lxd_chunk){ pa, pages };
    if (hpa)
        *hpa = pa;
    return 0;
}

static void free_memory(struct lxd *d)
{
    for (unsigned int i = 0; i < d->nchunks; i++)
        pool_free(d->chunks[i].pa, d->chunks[i].count);
    d->nchunks = 0;
    domain_destroy(&d->dom);
}

static uint64_t memory_bytes(const struct lxd *d)
{
    uint64_t n = 0;

    for (unsigned int i = 0; i < d->nchunks; i++)
        n += d->chunks[i].count * PAGE_SIZE;
    return n;
}

/* Identity page tables for the domain's first GiB (its EPT decides what exists). */
static int map_page_tables(struct lxd *d)
{
    uint64_t pa;
    int rc = map_new(d, LXD_PT_GPA, 3 * PAGE_SIZE, EPT_R | EPT_W, &pa);

    if (rc)
        return rc;
    uint64_t *pml4 = phys_to_virt(pa), *pdpt = phys_to_virt(pa + PAGE_SIZE);
    uint64_t *pd = phys_to_virt(pa + 2 * PAGE_SIZE);
    pml4[0] = (LXD_PT_GPA + PAGE_SIZE) | 3;
    pdpt[0] = (LXD_PT_GPA + 2 * PAGE_SIZE) | 3;
    for (uint64_t i = 0; i < 512; i++)
        pd[i] = (i << 21) | 0x83;           /* present, writable, 2 MiB */
    return 0;
}

static int load_segments(struct lxd *d, const uint8_t *image, const struct elf_image *img)
{
    for (unsigned int i = 0; i < img->nsegs; i++) {
        const struct elf_segment *s = &img->segs[i];
        uint64_t start = ALIGN_DOWN(s->vaddr, PAGE_SIZE);
        uint64_t end = ALIGN_UP(s->vaddr + s->memsz, PAGE_SIZE), hpa;
        unsigned int rights = EPT_R | (s->flags & 2 ? EPT_W : 0) | (s->flags & 1 ? EPT_X : 0);
        int rc = map_new(d, start, end - start, rights, &hpa);
        if (rc)
            return rc;
        memcpy((uint8_t *)phys_to_virt(hpa) + (s->vaddr - start), image + s->offset, s->filesz);
    }
    return 0;
}

static int build_domain(struct lxd *d, const uint8_t *image, const struct elf_image *img)
{
    uint64_t heap_bytes = img->heap_bytes ? img->heap_bytes : LXD_HEAP_DEFAULT, bi_pa;
    int rc = map_page_tables(d);

    if (!rc)
        rc = load_segments(d, image, img);
    if (!rc)
        rc = map_new(d, LXD_BOOT_INFO_VA, PAGE_SIZE, EPT_R | EPT_W, &bi_pa);
    if (!rc)
        rc = map_new(d, LXD_STACK_TOP_VA - LXD_STACK_BYTES, LXD_STACK_BYTES, EPT_R | EPT_W, NULL);
    if (!rc)
        rc = map_new(d, LXD_HEAP_VA, heap_bytes, EPT_R | EPT_W, NULL);
    if (rc)
        return rc;
    d->bi = phys_to_virt(bi_pa);
    d->bi->magic = LXD_BOOT_INFO_MAGIC;
    d->bi->domain_id = (uint32_t)d->dom.id;
    d->bi->heap_va = LXD_HEAP_VA;
    d->bi->heap_bytes = heap_bytes;
    d->bi->tsc_khz = arch_cycles_khz();
    memcpy(d->bi->name, d->dom.name, sizeof(d->bi->name));
    return 0;
}

int lxd_create(const void *image, uint64_t len, const char *name, const char **why)
{
    struct elf_image img;
    struct lxd *d = NULL;
    int rc;

    for (unsigned int i = 0; i < LXDS_MAX_DOMAINS && !d; i++)
        if (lxds[i].state == LXDS_STATE_FREE)
            d = &lxds[i];
    if (!d) {
        *why = "no free domain slot";
        return trace_error(-ENOSPC);
    }
    rc = elf_image_parse(image, len, LXD_IMAGE_BASE, LXD_IMAGE_LIMIT, &img, why);
    if (rc) {
        static char reason[sizeof(img.why_buf)];    /* *why may point into img */
        fmt_snprintf(reason, sizeof(reason), "%s", *why);
        *why = reason;
        return rc;
    }
    memset(d, 0, sizeof(*d));
    rc = domain_init(&d->dom, name, &lxd_ops, d);
    if (rc) {
        *why = "no memory for its EPT";
        return rc;
    }
    d->dom.id = (int)(d - lxds) + 1;
    d->entry = img.entry;
    d->core = -1;
    rc = build_domain(d, image, &img);
    if (rc) {
        *why = rc == -ENOMEM ? "the LXD pool is too small for it" : "mapping its memory failed";
        free_memory(d);
        return rc;
    }
    d->state = LXDS_STATE_LOADED;
    printk("lxd: created domain %d '%s': %u segment(s), %lu KiB of pool (heap %lu KiB), entry %#lx\n",
           d->dom.id, d->dom.name, img.nsegs, memory_bytes(d) >> 10, d->bi->heap_bytes >> 10,
           img.entry);
    return d->dom.id;
}

int lxd_grant(uint32_t id, uint64_t hpa, uint64_t pages, uint64_t *va)
{
    struct lxd *d = lxd_get(id);

    if (!d)
        return trace_error(-ENOENT);
    if (d->state != LXDS_STATE_LOADED)
        return trace_error(-EBUSY);                      /* only before it runs: no INVEPT on its core needed */
    if (d->bi->ngrants == LXDS_MAX_GRANTS || pages == 0 || pages * PAGE_SIZE > LXD_GRANT_STRIDE)
        return trace_error(-EINVAL);
    uint64_t at = LXD_GRANT_VA + d->bi->ngrants * LXD_GRANT_STRIDE;
    int rc = trace_error(ept_map(&d->dom.ept, at, hpa, pages * PAGE_SIZE, EPT_R | EPT_W, EPT_MT_WB));
    if (rc)
        return rc;
    d->bi->grants[d->bi->ngrants++] = (struct lxd_grant){ at, pages * PAGE_SIZE };
    printk("lxd: domain %u '%s' granted %lu page(s) of Linux at %#lx, seen at %#lx\n",
           id, d->dom.name, pages, hpa, at);
    *va = at;
    return 0;
}

/*
 * The load arguments (module parameters for a kernel-environment LXD),
 * copied by the caller out of Linux's memory.  Printable ASCII only, so the
 * domain's parser and its log lines never see control bytes; the domain
 * still treats the text as hostile.
 */
int lxd_set_args(uint32_t id, const char *text, uint64_t len)
{
    struct lxd *d = lxd_get(id);

    if (!d)
        return trace_error(-ENOENT);
    if (d->state != LXDS_STATE_LOADED)
        return trace_error(-EBUSY);                      /* the domain may be reading them */
    if (len >= LXD_ARGS_MAX)
        return trace_error(-E2BIG);
    for (uint64_t i = 0; i < len; i++)
        if (text[i] < 0x20 || text[i] > 0x7e)
            return trace_error(-EINVAL);
    memcpy(d->bi->args, text, len);
    d->bi->args[len] = '\0';
    printk("lxd: domain %u '%s' load arguments: \"%s\"\n", id, d->dom.name, d->bi->args);
    return 0;
}

/* ---- running, on the domain's own core ---- */

static void lxd_core_main(void *arg)
{
    struct lxd *d = arg;
    struct vcpu_boot boot = { .rip = d->entry, .rsp = LXD_STACK_TOP_VA, .cr3 = LXD_PT_GPA };
    int rc;

    d->vcpu.dom = &d->dom;
    d->vcpu.kind = VCPU_KIND_ISOLATED;
    d->vcpu.watchdog_limit = LXD_WATCHDOG_TICKS;
    rc = arch_vcpu_create(&d->vcpu, &boot);
    if (rc) {
        printk("lxd %s: cannot run on cpu %u: %s\n", d->dom.name, arch_cpu_id(), errno_name(rc));
        d->vcpu.stop = VCPU_STOP_ENTRY_FAILED;
    } else {
        d->vcpu.regs.rdi = LXD_BOOT_INFO_VA;
        printk("lxd %s: running on cpu %u\n", d->dom.name, arch_cpu_id());
        arch_vcpu_run(&d->vcpu);
        arch_vcpu_destroy(&d->vcpu);
    }
    lxd_log_suppressed_report(d);
    bool clean = d->vcpu.stop == VCPU_STOP_REQUESTED || d->vcpu.stop == VCPU_STOP_EXITED;
    printk("lxd %s: %s on cpu %u: %s at RIP %#lx%s\n", d->dom.name, clean ? "stopped" : "CRASHED",
           arch_cpu_id(), vcpu_stop_name(d->vcpu.stop), d->vcpu.stop_rip,
           clean ? "" : "; only this domain was stopped");
    d->core = -1;
    __atomic_store_n(&d->state, clean ? LXDS_STATE_STOPPED : LXDS_STATE_CRASHED, __ATOMIC_RELEASE);
}

static bool is_lxd_core(unsigned int c)
{
    unsigned int first = cpu_count - (unsigned int)hv_config.lxd_cores;

    return c >= 1 && c >= hv_config.linux_cores && c < cpu_count && c >= first;
}

static bool core_in_use(unsigned int c)
{
    for (unsigned int i = 0; i < LXDS_MAX_DOMAINS; i++)
        if (lxds[i].state == LXDS_STATE_RUNNING && lxds[i].core == (int)c)
            return true;
    return false;
}

int lxd_start(uint32_t id, int core)
{
    struct lxd *d = lxd_get(id);

    if (!d)
        return trace_error(-ENOENT);
    if (d->state != LXDS_STATE_LOADED)
        return d->state == LXDS_STATE_RUNNING ? -EBUSY : -EINVAL;
    if (core < 0) {
        for (unsigned int c = 1; c < cpu_count && core < 0; c++)
            if (is_lxd_core(c) && !core_in_use(c) && cpus[c].state != CPU_FAILED)
                core = (int)c;
        if (core < 0)
            return trace_error(-EBUSY);                  /* every LXD core is taken */
    }
    if (!is_lxd_core((unsigned int)core) || cpus[core].state == CPU_FAILED)
        return trace_error(-EINVAL);
    if (core_in_use((unsigned int)core))
        return trace_error(-EBUSY);
    /* a domain that just stopped there may still be leaving the core */
    for (unsigned int t = 0; t < 100000 && cpus[core].state != CPU_PARKED; t += 100)
        arch_udelay(100);
    d->core = core;
    d->state = LXDS_STATE_RUNNING;
    int rc = cpu_run_on((unsigned int)core, lxd_core_main, d);
    if (rc) {
        d->core = -1;
        d->state = LXDS_STATE_LOADED;
        return rc;
    }
    return core;
}

int lxd_stop(uint32_t id)
{
    struct lxd *d = lxd_get(id);

    if (!d)
        return trace_error(-ENOENT);
    if (d->state == LXDS_STATE_LOADED) {
        d->state = LXDS_STATE_STOPPED;
        return 0;
    }
    if (d->state != LXDS_STATE_RUNNING)
        return 0;
    int core = d->core;
    d->vcpu.stop_requested = true;
    if (core >= 0)
        arch_kick_cpu((unsigned int)core);  /* an exit makes its core see the request */
    for (unsigned int t = 0; t < LXD_STOP_TIMEOUT_US; t += 100) {
        if (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) != LXDS_STATE_RUNNING)
            return 0;
        arch_udelay(100);
    }
    pr_err("lxd: domain %u '%s' did not stop on cpu %d\n", id, d->dom.name, core);
    return trace_error(-ETIMEDOUT);
}

int lxd_destroy(uint32_t id)
{
    struct lxd *d = lxd_get(id);
    int rc;

    if (!d)
        return trace_error(-ENOENT);
    rc = lxd_stop(id);
    if (rc)
        return rc;
    uint64_t bytes = memory_bytes(d);
    free_memory(d);
    printk("lxd: destroyed domain %u '%s'; %lu KiB back to the pool (%lu KiB free)\n", id,
           d->dom.name, bytes >> 10, pool_free_bytes() >> 10);
    memset(d, 0, sizeof(*d));
    return 0;
}

int lxd_status(uint32_t id, struct lxds_domain_status *st)
{
    struct lxd *d = lxd_get(id);

    if (!d)
        return trace_error(-ENOENT);
    memset(st, 0, sizeof(*st));
    st->id = id;
    st->state = d->state;
    st->core = d->state == LXDS_STATE_RUNNING ? d->core : -1;
    if (d->state == LXDS_STATE_STOPPED || d->state == LXDS_STATE_CRASHED) {
        st->exit_reason = d->vcpu.stop;
        st->exit_rip = d->vcpu.stop_rip;
        st->exit_addr = d->vcpu.stop_addr;
        st->exit_detail = d->vcpu.stop_detail;
    }
    st->mem_bytes = memory_bytes(d);
    st->exits = d->vcpu.exits;
    st->hypercalls = d->vcpu.hypercalls;
    st->heartbeats = d->bi ? d->bi->heartbeat : 0;
    memcpy(st->name, d->dom.name, sizeof(st->name));
    st->name[sizeof(st->name) - 1] = '\0';
    return 0;
}

int lxd_list(uint32_t *ids, uint32_t max)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < LXDS_MAX_DOMAINS; i++)
        if (lxds[i].state != LXDS_STATE_FREE) {
            if (n < max)
                ids[n] = i + 1;
            n++;
        }
    return (int)n;
}

void lxd_info(struct lxds_info *info)
{
    memset(info, 0, sizeof(*info));
    info->abi_version = LXDS_ABI_VERSION;
    info->cpus = cpu_online_count();
    for (unsigned int c = 0; c < cpu_count && c < 64; c++)
        if (is_lxd_core(c) && cpus[c].state != CPU_FAILED)
            info->lxd_core_mask |= 1ull << c;
    for (unsigned int c = 0; c < hv_config.linux_cores && c < 64; c++)
        info->linux_core_mask |= 1ull << c;
    info->pool_bytes = pool_total_bytes();
    info->pool_free_bytes = pool_free_bytes();
    info->max_domains = LXDS_MAX_DOMAINS;
    info->domains = (uint32_t)lxd_list(NULL, 0);
}

/* ---- the debugger (domains/debug.c does the work) ---- */

static bool dbg_is_running(const struct debug_target *t)
{
    const struct lxd *d = t->owner;

    return __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) == LXDS_STATE_RUNNING;
}

static bool dbg_was_started(const struct debug_target *t)
{
    const struct lxd *d = t->owner;
    uint32_t st = __atomic_load_n(&d->state, __ATOMIC_ACQUIRE);

    return st == LXDS_STATE_RUNNING || st == LXDS_STATE_STOPPED || st == LXDS_STATE_CRASHED;
}

static bool dbg_is_loaded(const struct debug_target *t)
{
    const struct lxd *d = t->owner;

    return __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) == LXDS_STATE_LOADED;
}

static void dbg_kick(const struct debug_target *t)
{
    const struct lxd *d = t->owner;
    int core = d->core;

    if (core >= 0)
        arch_kick_cpu((unsigned int)core);
}

int lxd_debug(uint32_t id, struct lxds_debug *req, void *buf)
{
    struct lxd *d = lxd_get(id);

    if (!d)
        return trace_error(-ENOENT);
    struct debug_target t = {
        .v = &d->vcpu, .ept = &d->dom.ept, .owner = d,
        .is_running = dbg_is_running, .was_started = dbg_was_started,
        .is_loaded = dbg_is_loaded, .kick = dbg_kick,
    };
    int rc = debug_op(&t, req, buf);
    if (req->op == LXDS_DBG_GET)
        req->state = d->state;
    if (req->op == LXDS_DBG_GET && (d->state == LXDS_STATE_STOPPED || d->state == LXDS_STATE_CRASHED)) {
        req->exit_reason = d->vcpu.stop;
        req->exit_detail = d->vcpu.stop_detail;
    }
    return rc;
}
