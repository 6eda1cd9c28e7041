/*
 * Linux's local APIC writes, emulated (see x86/linux_apic.h).  What Linux
 * may write: the registers that act on its own core only (TPR, EOI, LDR,
 * DFR, SVR, ESR, the LVTs, the timer); ICR_HIGH is kept per core and
 * ICR_LOW is decided by apic_icr_decide() against "Linux's cores".  The
 * APIC ID register and everything else is dropped and logged.
 */
#include <lxds/arch.h>
#include <lxds/cpu.h>
#include <lxds/domain.h>
#include <lxds/ept.h>
#include <lxds/errno.h>
#include <lxds/format.h>
#include <lxds/linux_guest.h>
#include <lxds/printk.h>
#include <x86/apic_icr.h>
#include <x86/lapic.h>
#include <x86/linux_apic.h>
#include <x86/mmio_decode.h>
#include <x86/virt.h>

#define APIC_ID         0x020
#define APIC_TPR        0x080
#define APIC_EOI        0x0B0
#define APIC_LDR        0x0D0
#define APIC_DFR        0x0E0
#define APIC_SVR        0x0F0
#define APIC_ESR        0x280
#define APIC_LVT_CMCI   0x2F0
#define APIC_ICR_LOW    0x300
#define APIC_ICR_HIGH   0x310
#define APIC_LVT_FIRST  0x320       /* timer, thermal, perf, LINT0, LINT1, error */
#define APIC_LVT_LAST   0x370
#define APIC_TMICT      0x380
#define APIC_TDCR       0x3E0
#define DFR_FLAT        0xF0000000u
#define LOGGED_MAX      128         /* dropped IPIs and refused writes logged, over the whole run */
#define STATS_EVERY     20000       /* a summary line every this many write exits */

static uint64_t apic_page;          /* physical base of the protected page, 0: not protected */
static uint64_t linux_cores;        /* cpus[] indexes */
static uint32_t icr_high[CONFIG_MAX_CPUS];
static uint32_t ldr[CONFIG_MAX_CPUS];
static uint32_t dfr = 0xFFFFFFFFu;
static unsigned int logged;      /* atomically: any of Linux's cores */

static struct {
    uint64_t writes, eoi, timer, icr, other, dropped, refused, cycles, since_cycles;
} stats;

/* The counters are shared by Linux's cores: atomic adds. */
#define COUNT(field)    __atomic_fetch_add(&stats.field, 1, __ATOMIC_RELAXED)

bool x86_linux_apic_page(uint64_t gpa)
{
    return apic_page && (gpa & ~0xFFFull) == apic_page;
}

static void log_line(const struct vcpu *v, const char *fmt_what, uint32_t a, uint32_t b,
                     const char *why)
{
    if (logged >= LOGGED_MAX)
        return;
    printk("apic: %s/%u: %s %#x, %#x: %s%s\n", v->dom->name, v->id, fmt_what, a, b, why,
           ++logged == LOGGED_MAX ? "; further refusals are not logged" : "");
}

/* Names the destination for the log: "physical APIC ID 1", "logical 0xff", "all but self". */
static const char *describe_dest(uint32_t lo, uint32_t hi, char *buf, size_t len)
{
    static const char *const sh[4] = { NULL, "self", "all including self", "all but self" };

    if (ICR_SHORTHAND(lo))
        return sh[ICR_SHORTHAND(lo)];
    fmt_snprintf(buf, len, "%s %#x", lo & ICR_DEST_LOGICAL ? "logical" : "physical APIC ID",
                 ICR_DEST(hi));
    return buf;
}

/*
 * INIT or SIPI to Linux's own other cores: never replayed on the hardware
 * (those cores are in VMX root, where INIT is blocked and SIPI ignored);
 * emulated by domains/linux.c.  What is ignored is logged (a second SIPI
 * to a started core is the normal case: one line per core).
 */
static void start_up(const struct vcpu *v, const struct apic_icr_verdict *out)
{
    for (unsigned int i = 0; i < cpu_count; i++) {
        const char *why;
        if (out->init & (1ull << i))
            why = linux_ap_init(i);
        else if (out->sipi & (1ull << i))
            why = linux_ap_sipi(i, out->vector);
        else
            continue;
        if (why && __atomic_fetch_add(&logged, 1, __ATOMIC_RELAXED) < LOGGED_MAX)
            printk("apic: %s/%u: %s to its cpu %u (APIC ID %#x): %s\n", v->dom->name, v->id,
                   out->init & (1ull << i) ? "INIT" : "SIPI", i, cpus[i].arch_id, why);
    }
}

static void send_icr(const struct vcpu *v, uint32_t lo)
{
    unsigned int self = arch_cpu_id();
    struct apic_icr_core cores[CONFIG_MAX_CPUS];
    struct apic_icr_view view = {
        .cores = cores, .ncores = cpu_count, .linux_cores = linux_cores, .self = self,
        .cluster = (dfr & DFR_FLAT) != DFR_FLAT,
    };
    struct apic_icr_verdict out;
    char buf[40];

    for (unsigned int i = 0; i < cpu_count; i++) {
        cores[i].present = cpus[i].state != CPU_ABSENT;
        cores[i].apic_id = cpus[i].arch_id;
        cores[i].ldr = linux_cores & (1ull << i) ? ldr[i] : 0;
    }
    apic_icr_decide(&view, lo, icr_high[self], &out);
    for (unsigned int i = 0; i < cpu_count; i++)
        if (out.deliver & (1ull << i))
            x86_lapic_send_fixed(cpus[i].arch_id, out.vector);
    if (out.init || out.sipi) {
        start_up(v, &out);
        return;
    }
    if (!out.refused && !out.dropped)
        return;
    COUNT(dropped);
    if (logged >= LOGGED_MAX)
        return;
    if (out.refused) {
        printk("apic: %s/%u: IPI %s vector %#x to %s dropped: %s\n", v->dom->name, v->id,
               apic_icr_mode_name(lo), out.vector, describe_dest(lo, icr_high[self], buf, sizeof(buf)),
               out.refused);
    } else {
        printk("apic: %s/%u: IPI %s vector %#x to %s: delivered to %u of Linux's cores, "
               "dropped for cores %#lx (not Linux's)\n", v->dom->name, v->id,
               apic_icr_mode_name(lo), out.vector, describe_dest(lo, icr_high[self], buf, sizeof(buf)),
               (unsigned int)__builtin_popcountll(out.deliver), out.dropped);
    }
    if (++logged == LOGGED_MAX)
        printk("apic: %s/%u: further dropped IPIs and refused APIC writes are not logged\n",
               v->dom->name, v->id);
}

/* One register write; false if refused. */
static bool write_reg(const struct vcpu *v, uint32_t off, uint32_t val)
{
    unsigned int self = arch_cpu_id();

    switch (off) {
    case APIC_EOI:
        COUNT(eoi);
        break;
    case APIC_TMICT: case APIC_TDCR: case APIC_LVT_FIRST:
        COUNT(timer);
        break;
    case APIC_ICR_HIGH:
        COUNT(icr);
        icr_high[self] = val;
        return true;
    case APIC_ICR_LOW:
        COUNT(icr);
        send_icr(v, val);
        return true;
    case APIC_LDR:
        ldr[self] = val;
        COUNT(other);
        break;
    case APIC_DFR:
        dfr = val;
        COUNT(other);
        break;
    case APIC_TPR: case APIC_SVR: case APIC_ESR: case APIC_LVT_CMCI:
        COUNT(other);
        break;
    default:
        if (off > APIC_LVT_FIRST && off <= APIC_LVT_LAST && !(off & 0xF)) {
            COUNT(other);
            break;
        }
        log_line(v, "APIC write refused: register", off, val,
                 off == APIC_ID ? "the APIC ID is the hypervisor's" : "not a register Linux may write");
        return false;
    }
    x86_lapic_write(off, val);
    return true;
}

unsigned int x86_linux_apic_write(struct vcpu *v, const struct ept *ept,
                                  const struct apic_write_exit *x)
{
    uint64_t t0 = arch_cycles();
    uint8_t insn[X86_MAX_INSN];
    size_t n = x86_guest_fetch_insn(ept, &x->paging, x->rip, insn);
    struct mmio_write w;
    const char *why = "the instruction is not in Linux's RAM";
    uint32_t off = (uint32_t)(x->gpa & 0xFFF), val;
    int rc = n ? x86_decode_mmio_write(insn, n, &w, &why) : -EFAULT;

    uint64_t nwrites = COUNT(writes) + 1;
    if (!rc && (off & 3))
        why = "not a 4-byte aligned access", rc = -EINVAL;
    if (!rc && !w.imm && !x->gpr[w.reg])
        why = "RSP as the operand", rc = -EINVAL;
    if (rc) {
        COUNT(refused);
        log_line(v, "APIC write refused (#GP): at offset, RIP low bits", off, (uint32_t)x->rip, why);
        return 0;
    }
    val = w.imm ? w.value : (uint32_t)*x->gpr[w.reg];
    if (w.xchg)
        *x->gpr[w.reg] = x86_lapic_read(off & ~0xFu);   /* XCHG's load, then the store */
    if (!(off & 0xF))
        write_reg(v, off, val);                         /* a refused register: dropped, logged */
    else
        log_line(v, "APIC write refused: not at a register's start, offset", off, val,
                 "dropped");
    __atomic_fetch_add(&stats.cycles, arch_cycles() - t0, __ATOMIC_RELAXED);
    if (nwrites % STATS_EVERY == 0) {
        uint64_t now = arch_cycles();
        printk("apic: %s: %lu APIC writes emulated (EOI %lu, timer %lu, ICR %lu, other %lu; "
               "%lu IPIs dropped, %lu refused), %lu cycles each in the handler; the last %u in "
               "%lu ms\n", v->dom->name, stats.writes, stats.eoi, stats.timer, stats.icr,
               stats.other, stats.dropped, stats.refused, stats.cycles / stats.writes,
               STATS_EVERY, stats.since_cycles ? (now - stats.since_cycles) / arch_cycles_khz() : 0);
        stats.since_cycles = now;
    }
    return w.length;
}

void x86_linux_apic_stats(uint32_t c[8])
{
    c[0] = (uint32_t)stats.writes;
    c[1] = (uint32_t)stats.eoi;
    c[2] = (uint32_t)stats.icr;
    c[3] = (uint32_t)stats.dropped;
    c[4] = (uint32_t)stats.timer;
    c[5] = (uint32_t)stats.other;
    c[6] = (uint32_t)stats.refused;
    c[7] = stats.writes ? (uint32_t)(stats.cycles / stats.writes) : 0;
}

int arch_linux_apic_protect(struct ept *ept, uint64_t cores)
{
    const struct x86_virt_backend *b = x86_virt();
    uint64_t base = x86_lapic_base();
    int rc;

    linux_cores = cores;
    if (!b || !b->emulates_apic_writes) {
        printk("linux: its local APIC page stays writable: the %s backend does not emulate "
               "APIC writes yet, so Linux can send any IPI to any core\n", b ? b->name : "(no)");
        return 0;
    }
    rc = ept_map(ept, base, base, PAGE_SIZE, EPT_R, EPT_MT_UC);
    if (rc) {
        pr_err("linux: write-protecting its local APIC page at %#lx failed (%s)\n", base,
               errno_name(rc));
        return rc;
    }
    apic_page = base;
    stats.since_cycles = arch_cycles();
    printk("linux: its local APIC page %#lx is read-only; writes are emulated, IPIs only to "
           "Linux's cores %#lx (fixed and lowest-priority, vectors >= 32)\n", base, cores);
    return 0;
}
