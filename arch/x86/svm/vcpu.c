/*
 * vCPUs on SVM: a VMCB for a 64-bit guest behind nested page tables, the
 * VMRUN loop, ASIDs, and the watchdog's clock.  A vCPU is created, run and
 * destroyed on its home core.
 *
 * The watchdog: SVM has no preemption timer, so an isolated vCPU's core
 * runs its local APIC timer periodically while the vCPU exists; each tick
 * is a physical interrupt, which exits (INTR intercept) and lets the run loop
 * count a watchdog quantum (same quantum as VT-x: WATCHDOG_QUANTUM TSC cycles).
 */
#include <lxds/arch.h>
#include <lxds/cpu.h>
#include <lxds/domain.h>
#include <lxds/errno.h>
#include <lxds/memory.h>
#include <lxds/printk.h>
#include <lxds/spinlock.h>
#include <lxds/string.h>
#include <x86/core_state.h>
#include <x86/cpu.h>
#include <x86/lapic.h>
#include <x86/percpu.h>
#include <x86/svm_vcpu.h>

#define DEFAULT_PAT       0x0007040600070406ull
#define EFER_LME          (1ull << 8)
#define EFER_LMA          (1ull << 10)
#define EFER_NXE          (1ull << 11)
#define CR0_ET            (1ull << 4)
#define WATCHDOG_QUANTUM  2000000ull    /* TSC cycles between watchdog ticks, as on VT-x */
#define VECTOR_WATCHDOG   0xE0          /* acknowledged by the host's generic interrupt stub */
#define ASID_MAX          4096

void svm_enter(uint64_t vmcb_pa, struct vcpu_regs *regs, uint64_t host_vmcb_pa);
extern uint32_t svm_nasid;

/* ---- ASIDs: one per vCPU while they last; then one shared, flushed on every VMRUN ---- */

static uint64_t asid_used[ASID_MAX / 64] = { 1 };  /* ASID 0 is the host's */
static spinlock_t asid_lock = SPINLOCK_INIT;

static uint32_t asid_alloc(void)
{
    uint32_t id = 0, n = svm_nasid < ASID_MAX ? svm_nasid : ASID_MAX;

    spin_lock(&asid_lock);
    for (uint32_t i = 1; i + 1 < n; i++)        /* the last one is the shared one */
        if (!(asid_used[i / 64] >> (i % 64) & 1)) {
            asid_used[i / 64] |= 1ull << (i % 64);
            id = i;
            break;
        }
    spin_unlock(&asid_lock);
    return id;
}

static void asid_free(uint32_t id)
{
    spin_lock(&asid_lock);
    asid_used[id / 64] &= ~(1ull << (id % 64));
    spin_unlock(&asid_lock);
}

/* ---- guest state ---- */

/* VMX-style access rights (bits 7:0, 15:12) to the VMCB's 12-bit attribute. */
static uint16_t seg_attrib(uint32_t ar)
{
    return (uint16_t)((ar & 0xFF) | ((ar >> 4) & 0xF00));
}

static void set_seg(struct vmcb_seg *s, uint16_t sel, uint32_t ar, uint32_t limit, uint64_t base)
{
    s->sel = sel;
    s->attrib = seg_attrib(ar);
    s->limit = limit;
    s->base = base;
}

static void setup_guest_state(struct vmcb_save *g, const struct vcpu_boot *boot)
{
    uint16_t cs = boot->cs ? boot->cs : 0x08, ds = boot->ds ? boot->ds : 0x10;

    memset(g, 0, sizeof(*g));
    set_seg(&g->cs, cs, 0xA09B, 0xFFFFFFFF, 0);         /* 64-bit code, DPL 0 */
    set_seg(&g->ss, ds, 0xC093, 0xFFFFFFFF, 0);
    set_seg(&g->ds, ds, 0xC093, 0xFFFFFFFF, 0);
    set_seg(&g->es, ds, 0xC093, 0xFFFFFFFF, 0);
    set_seg(&g->fs, ds, 0xC093, 0xFFFFFFFF, 0);
    set_seg(&g->gs, ds, 0xC093, 0xFFFFFFFF, 0);
    set_seg(&g->tr, 0x18, 0x8B, 0x67, 0);               /* busy 64-bit TSS */
    set_seg(&g->ldtr, 0, 0, 0, 0);
    g->gdtr.base = boot->gdt_base;
    g->gdtr.limit = boot->gdt_base ? boot->gdt_limit : 0xFFFF;
    g->idtr.limit = 0xFFFF;
    g->cpl = 0;
    g->efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME;   /* SVME: VMRUN requires it */
    g->cr0 = CR0_PE | CR0_PG | CR0_NE | CR0_WP | CR0_ET;
    g->cr3 = boot->cr3;
    g->cr4 = CR4_PAE;
    g->dr7 = 0x400;
    g->dr6 = 0xFFFF0FF0;
    g->rflags = 0x2;
    g->rip = boot->rip;
    g->rsp = boot->rsp;
    g->g_pat = DEFAULT_PAT;
}

/*
 * An application processor after INIT and a SIPI (AMD APM vol. 2, 14.1.3
 * and 16.5): real mode at CS = vector << 8 (base vector << 12), IP 0, CR0 =
 * 0x60000010 (CD, NW, ET), CR3/CR4 0, GDTR/IDTR base 0 limit 0xFFFF.  With
 * nested paging the guest runs real mode as it is.  EFER keeps SVME (VMRUN
 * requires it; the guest's own EFER reads and writes are the backend's,
 * svm/exit.c), and only SVME.
 */
static void setup_guest_state_sipi(struct vmcb_save *g, uint8_t vector)
{
    memset(g, 0, sizeof(*g));
    set_seg(&g->cs, (uint16_t)(vector << 8), 0x9B, 0xFFFF, (uint64_t)vector << 12);
    set_seg(&g->ss, 0, 0x93, 0xFFFF, 0);
    set_seg(&g->ds, 0, 0x93, 0xFFFF, 0);
    set_seg(&g->es, 0, 0x93, 0xFFFF, 0);
    set_seg(&g->fs, 0, 0x93, 0xFFFF, 0);
    set_seg(&g->gs, 0, 0x93, 0xFFFF, 0);
    set_seg(&g->tr, 0, 0x8B, 0xFFFF, 0);
    set_seg(&g->ldtr, 0, 0x82, 0xFFFF, 0);
    g->gdtr.limit = 0xFFFF;
    g->idtr.limit = 0xFFFF;
    g->cpl = 0;
    g->efer = EFER_SVME;
    g->cr0 = 0x60000010;
    g->dr7 = 0x400;
    g->dr6 = 0xFFFF0FF0;
    g->rflags = 0x2;
    g->g_pat = DEFAULT_PAT;
}

const char *svm_linux_smp_refusal(void)
{
    return NULL;            /* nested paging is required at detection: real mode runs as it is */
}

/*
 * Makes the Linux AP on that core exit: an NMI (its vCPU intercepts them;
 * the host's handler takes it quietly, arch/x86/trap.c).  A fixed vector
 * would go to Linux, which takes its own interrupts on its cores.
 */
void svm_force_guest_exit(unsigned int cpu)
{
    __atomic_fetch_add(&x86_cpu(cpu)->nmis_expected, 1, __ATOMIC_RELAXED);
    x86_lapic_send_nmi(cpus[cpu].arch_id);
}

/* ---- the watchdog's clock: the local APIC timer, calibrated against the TSC once ---- */

static uint64_t apic_ticks_per_ms;

static void watchdog_clock_start(struct svm_vcpu *s)
{
    if (!apic_ticks_per_ms) {
        x86_lapic_timer_start(0, 0xFFFFFFFFu, false);
        arch_udelay(1000);
        apic_ticks_per_ms = 0xFFFFFFFFu - x86_lapic_timer_current();
        x86_lapic_timer_stop();
        if (!apic_ticks_per_ms)
            apic_ticks_per_ms = 1;
    }
    uint64_t period = WATCHDOG_QUANTUM * apic_ticks_per_ms / (arch_cycles_khz() ? arch_cycles_khz() : 1);
    s->quantum = WATCHDOG_QUANTUM;
    s->next_tick = rdtsc() + WATCHDOG_QUANTUM;
    x86_lapic_timer_start(VECTOR_WATCHDOG, period ? (uint32_t)MIN(period, 0xFFFFFFFFull) : 1, true);
}

/* ---- create / destroy ---- */

static int alloc_pages(struct svm_vcpu *s)
{
    int rc = mem_alloc_frames(1, 1, &s->vmcb_pa);

    if (!rc)
        rc = mem_alloc_frames(3, 1, &s->iopm_pa);
    if (!rc)
        rc = mem_alloc_frames(2, 1, &s->msrpm_pa);
    if (rc)
        return rc;
    s->vmcb = phys_to_virt(s->vmcb_pa);
    memset(s->vmcb, 0, PAGE_SIZE);
    return 0;
}

void svm_vcpu_destroy(struct vcpu *v)
{
    struct svm_vcpu *s = svm_of(v);

    if (!s)
        return;
    if (s->quantum)
        x86_lapic_timer_stop();
    if (s->asid && !s->asid_shared)
        asid_free(s->asid);
    if (v->kind == VCPU_KIND_ISOLATED)
        x86_core_state_reset();         /* nothing of it stays in the core's registers */
    if (s->vmcb_pa)
        mem_free_frames(s->vmcb_pa, 1);
    if (s->iopm_pa)
        mem_free_frames(s->iopm_pa, 3);
    if (s->msrpm_pa)
        mem_free_frames(s->msrpm_pa, 2);
    mem_free_frames((uintptr_t)s, 1);
    v->arch = NULL;
}

int svm_vcpu_create(struct vcpu *v, const struct vcpu_boot *boot)
{
    struct x86_percpu *pc = this_x86_cpu();
    uint64_t pa;
    int rc;

    if (!pc->svm_on)
        return -ENODEV;
    if (v->dom->ept.format != EPT_FORMAT_NPT) {
        pr_err("svm: %s/%u: its stage-2 table is not in the NPT format\n", v->dom->name, v->id);
        return -EINVAL;
    }
    if (boot->sipi_start && v->kind != VCPU_KIND_LINUX)
        return -ENOTSUP;
    if (mem_alloc_frames(1, 1, &pa))
        return -ENOMEM;
    struct svm_vcpu *s = phys_to_virt(pa);
    memset(s, 0, sizeof(*s));
    v->arch = (struct arch_vcpu *)(void *)s;
    v->home_cpu = pc->cpu;
    v->stop = VCPU_RUNNABLE;
    s->cpu = pc->cpu;
    rc = alloc_pages(s);
    if (rc) {
        pr_err("svm: %s/%u: cannot set up a VMCB (%s)\n", v->dom->name, v->id, errno_name(rc));
        svm_vcpu_destroy(v);
        return rc;
    }
    s->asid = asid_alloc();
    if (!s->asid) {
        s->asid = svm_nasid - 1;
        s->asid_shared = true;
    }
    if (v->kind == VCPU_KIND_ISOLATED)
        x86_core_state_reset();         /* it starts from the init state, not the last guest's */
    s->linux_ap = boot->sipi_start;
    svm_intercepts_apply(v, s);
    s->vmcb->ctl.asid = s->asid;
    s->vmcb->ctl.tlb_control = SVM_TLB_FLUSH_ALL;   /* nothing stale from an earlier table */
    s->vmcb->ctl.nested_ctl = SVM_NESTED_PAGING;
    s->vmcb->ctl.nested_cr3 = v->dom->ept.root;
    if (boot->sipi_start) {
        setup_guest_state_sipi(&s->vmcb->save, boot->sipi_vector);
    } else {
        setup_guest_state(&s->vmcb->save, boot);
        v->regs.rsi = boot->rsi;
    }
    if (v->kind == VCPU_KIND_ISOLATED && v->watchdog_limit)
        watchdog_clock_start(s);
    return 0;
}

/* ---- the run loop ---- */

static void report_invalid(struct vcpu *v)
{
    const struct vmcb_save *g = &svm_of(v)->vmcb->save;

    printk("svm: %s/%u: VMRUN failed: VMEXIT_INVALID (the guest state in the VMCB is "
           "inconsistent)\n", v->dom->name, v->id);
    printk("  EFER=%#lx CR0=%#lx CR3=%#lx CR4=%#lx RIP=%#lx RSP=%#lx RFLAGS=%#lx\n",
           g->efer, g->cr0, g->cr3, g->cr4, g->rip, g->rsp, g->rflags);
    printk("  CS=%#x/%#x SS=%#x/%#x TR=%#x/%#x ASID=%u nCR3=%#lx\n", g->cs.sel, g->cs.attrib,
           g->ss.sel, g->ss.attrib, g->tr.sel, g->tr.attrib, svm_of(v)->vmcb->ctl.asid,
           svm_of(v)->vmcb->ctl.nested_cr3);
    svm_stop(v, VCPU_STOP_ENTRY_FAILED, 0, SVM_EXIT_INVALID);
}

int svm_vcpu_run(struct vcpu *v)
{
    struct svm_vcpu *s = svm_of(v);
    struct x86_percpu *pc = this_x86_cpu();
    struct vmcb *vmcb = s->vmcb;

    if (s->cpu != pc->cpu)
        panic("vCPU %s/%u runs on cpu %u but its VMCB lives on cpu %u",
              v->dom->name, v->id, pc->cpu, s->cpu);
    unsigned long flags = arch_irq_save();
    v->stop = VCPU_RUNNABLE;
    for (;;) {
        /* before every entry, the first too: a debugger attached before the
         * start holds the vCPU at its first instruction */
        if (v->dbg.pause_req) {
            vcpu_debug_park(v);
            if (v->stop_requested) {        /* stopped or destroyed while parked */
                svm_stop(v, VCPU_STOP_REQUESTED, 0, 0);
                break;
            }
        }
        vmcb->save.rax = v->regs.rax;
        svm_enter(s->vmcb_pa, &v->regs, pc->svm_host_vmcb_pa);
        v->regs.rax = vmcb->save.rax;
        vmcb->ctl.tlb_control = s->asid_shared ? SVM_TLB_FLUSH_ALL : 0;
        struct svm_exit e = {
            .code = (uint32_t)vmcb->ctl.exit_code,
            .info1 = vmcb->ctl.exit_info1,
            .info2 = vmcb->ctl.exit_info2,
            .rip = vmcb->save.rip,
        };
        if (e.code == SVM_EXIT_INVALID) {
            report_invalid(v);
            break;
        }
        if (!svm_handle_exit(v, &e))
            break;
    }
    /* the state it stopped in stays for the debugger until the domain is destroyed */
    svm_vcpu_save_state(v, &v->dbg.regs);
    v->dbg.event = LXDS_DBG_EV_STOPPED;
    arch_irq_restore(flags);
    return v->stop;
}
