/*
 * #VMEXIT dispatch under SVM: one handler per exit code; anything without a
 * handler is reported decoded and stops the vCPU (never a silent resume).
 * QEMU TCG offers neither next-RIP save nor decode assists, so the length
 * of every instruction skipped here is decoded from guest memory
 * (svm/decode.c), except IN/OUT, whose EXITINFO2 is the next RIP.
 */
#include <lxds/domain.h>
#include <lxds/errno.h>
#include <lxds/exit_policy.h>
#include <lxds/format.h>
#include <lxds/hypercall_abi.h>
#include <lxds/printk.h>
#include <x86/cpu.h>
#include <x86/policy_exit.h>
#include <x86/svm_apic_write.h>
#include <x86/trap.h>
#include <x86/svm_policy.h>
#include <x86/svm_vcpu.h>
#include <x86/xcr0.h>

#define VECTOR_DB              1
#define VECTOR_NMI             2
#define VECTOR_BP              3
#define VECTOR_UD              6
#define VECTOR_GP              13
#define REFUSALS_LOGGED_MAX    128         /* per vCPU: a loop of refused exits cannot flood the log */
#define IO_REFUSALS_LOGGED_MAX 32          /* port refusals, counted apart (probing drivers) */
#define EFER_SCE               (1ull << 0)
#define EFER_LME               (1ull << 8)
#define EFER_LMA               (1ull << 10)
#define EFER_NXE               (1ull << 11)
#define EFER_GUEST_BITS        (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

static const uint8_t op_cpuid[] = { 0x0F, 0xA2 };
static const uint8_t op_vmmcall[] = { 0x0F, 0x01, 0xD9 };
static const uint8_t op_vmcall[] = { 0x0F, 0x01, 0xC1 };
static const uint8_t op_rdmsr[] = { 0x0F, 0x32 };
static const uint8_t op_wrmsr[] = { 0x0F, 0x30 };
static const uint8_t op_invd[] = { 0x0F, 0x08 };
static const uint8_t op_xsetbv[] = { 0x0F, 0x01, 0xD1 };
/* The SVM instructions: 0F 01 D8-DF (VMRUN, VMMCALL, VMLOAD, VMSAVE, STGI, CLGI, SKINIT, INVLPGA). */
static const char *const svm_insn_names[8] = {
    "VMRUN", "VMMCALL", "VMLOAD", "VMSAVE", "STGI", "CLGI", "SKINIT", "INVLPGA",
};

static struct vmcb *vmcb_of(const struct vcpu *v)
{
    return svm_of(v)->vmcb;
}

void svm_stop(struct vcpu *v, enum vcpu_stop why, uint64_t addr, uint64_t detail)
{
    v->stop = why;
    v->stop_rip = vmcb_of(v)->save.rip;
    v->stop_addr = addr;
    v->stop_detail = detail;
}

static bool exception_has_error_code(unsigned int vector)
{
    switch (vector) {
    case 8: case 10: case 11: case 12: case 13: case 14: case 17:
        return true;                    /* #DF #TS #NP #SS #GP #PF #AC */
    default:
        return false;
    }
}

/* The next VMRUN delivers a hardware exception (a fault: RIP is not advanced). */
void svm_inject_exception(struct vcpu *v, unsigned int vector, uint32_t error_code)
{
    uint64_t inj = SVM_EVTINJ_VALID | SVM_EVTINJ_EXC | vector;

    if (exception_has_error_code(vector))
        inj |= SVM_EVTINJ_ERR | (uint64_t)error_code << 32;
    vmcb_of(v)->ctl.event_inj = inj;
}

static unsigned int guest_cpl(const struct vcpu *v)
{
    return vmcb_of(v)->save.cpl & 3;
}

/* ---- decoding, for reports ---- */

static void decode_info(const struct vcpu *v, const struct svm_exit *e, char *buf, size_t len)
{
    uint64_t i1 = e->info1;

    switch (e->code) {
    case SVM_EXIT_NPF:
        fmt_snprintf(buf, len, "%s%s at GPA %#lx (%s%s%s)",
                     i1 & 16 ? "instruction fetch" : i1 & 2 ? "write" : "read",
                     i1 & (1ull << 33) ? " by the guest's page walk" : "", e->info2,
                     i1 & 1 ? "the page is mapped without that right" : "not mapped",
                     i1 & 4 ? ", user" : "", i1 & 8 ? ", reserved bit" : "");
        break;
    case SVM_EXIT_IOIO:
        fmt_snprintf(buf, len, "%s%s port %#lx, %u byte(s)%s", i1 & 1 ? "IN" : "OUT",
                     i1 & 4 ? "S" : "", (i1 >> 16) & 0xFFFF,
                     i1 & 0x10 ? 1 : i1 & 0x20 ? 2 : 4, i1 & 8 ? ", REP" : "");
        break;
    case SVM_EXIT_MSR:
        fmt_snprintf(buf, len, "%s MSR %#lx", i1 ? "WRMSR" : "RDMSR", v->regs.rcx & 0xFFFFFFFF);
        break;
    case SVM_EXIT_XSETBV:
        fmt_snprintf(buf, len, "XCR%lu <- %#lx", v->regs.rcx & 0xFFFFFFFF,
                     (v->regs.rdx << 32) | (uint32_t)v->regs.rax);
        break;
    default:
        if (e->code >= SVM_EXIT_EXCP_BASE && e->code < SVM_EXIT_EXCP_BASE + 32)
            fmt_snprintf(buf, len, "%s (vector %u), error code %#lx",
                         x86_exception_mnemonic(e->code - SVM_EXIT_EXCP_BASE),
                         e->code - SVM_EXIT_EXCP_BASE, i1);
        else
            fmt_snprintf(buf, len, "EXITINFO1 %#lx, EXITINFO2 %#lx", i1, e->info2);
    }
}

void svm_report_exit(const struct vcpu *v, const struct svm_exit *e, const char *why)
{
    char q[160];
    const struct vcpu_regs *r = &v->regs;
    const struct vmcb_save *g = &vmcb_of(v)->save;

    decode_info(v, e, q, sizeof(q));
    printk("svm: %s/%u: %s: exit %s (code %#x), %s\n", v->dom->name, v->id, why,
           svm_exit_name(e->code), e->code, q);
    printk("  RIP=%016lx RSP=%016lx RFLAGS=%016lx CR3=%016lx CPL=%u\n", e->rip,
           g->rsp, g->rflags, g->cr3, guest_cpl(v));
    printk("  RAX=%016lx RBX=%016lx RCX=%016lx RDX=%016lx\n", r->rax, r->rbx, r->rcx, r->rdx);
    printk("  RSI=%016lx RDI=%016lx RBP=%016lx R8 =%016lx\n", r->rsi, r->rdi, r->rbp, r->r8);
}

/*
 * An exit the guest gets a fault for: one line, for the first REFUSALS_LOGGED_MAX
 * of them on this vCPU (port refusals counted apart, as under VT-x: a driver
 * probing absent ports must not use up the lines of the refusals that matter).
 */
static void report_refusal(struct vcpu *v, const struct svm_exit *e, const char *what)
{
    bool io = e->code == SVM_EXIT_IOIO;
    unsigned int *count = io ? &v->io_refusals_logged : &v->refusals_logged;
    unsigned int max = io ? IO_REFUSALS_LOGGED_MAX : REFUSALS_LOGGED_MAX;
    char q[160];

    if (*count >= max)
        return;
    decode_info(v, e, q, sizeof(q));
    printk("svm: %s/%u: %s (%s) at CPL %u, RIP %#lx: %s%s\n", v->dom->name, v->id,
           svm_exit_name(e->code), q, guest_cpl(v), e->rip, what,
           ++*count == max ? (io ? "; further port refusals are not logged"
                                 : "; further refusals are not logged") : "");
}

static bool stop_unexpected(struct vcpu *v, const struct svm_exit *e)
{
    svm_report_exit(v, e, "stopped: not allowed in this domain");
    svm_stop(v, VCPU_STOP_UNEXPECTED_EXIT, 0, e->code);
    return false;
}

static const struct exit_policy *policy_of(const struct vcpu *v)
{
    return v->dom->ops ? v->dom->ops->policy : NULL;
}

static bool refuses_by_fault(const struct vcpu *v)
{
    const struct exit_policy *p = policy_of(v);

    return p && p->refusal == POLICY_FAULT;
}

/*
 * Something the policy does not allow: the domain is stopped (POLICY_STOP),
 * or gets the fault a machine without the resource gives (POLICY_FAULT).
 */
static bool refuse(struct vcpu *v, const struct svm_exit *e, unsigned int vector, const char *what)
{
    if (!refuses_by_fault(v))
        return stop_unexpected(v, e);
    report_refusal(v, e, what);
    svm_inject_exception(v, vector, 0);
    return true;
}

/* The domain's hook asked to reset or power off the machine: its vCPU stops. */
static bool power_request(struct vcpu *v, const struct svm_exit *e, enum policy_result r,
                          uint64_t where)
{
    printk("svm: %s/%u: %s at RIP %#lx (%s): the domain stops\n", v->dom->name, v->id,
           policy_result_name(r), e->rip, svm_exit_name(e->code));
    svm_stop(v, VCPU_STOP_REQUESTED, 0, where);
    return false;
}

/* The instruction that exited could not be read (-EFAULT) or is not the expected one. */
static bool stop_undecodable(struct vcpu *v, const struct svm_exit *e, int err, const char *other)
{
    svm_report_exit(v, e, err == -EFAULT ? "stopped: its instruction cannot be read "
                    "(RIP not mapped)" : other);
    svm_stop(v, VCPU_STOP_UNEXPECTED_EXIT, 0, e->code);
    return false;
}

/* Moves RIP past the intercepted instruction (opcode op after any prefixes). */
static bool skip(struct vcpu *v, const struct svm_exit *e, const uint8_t *op, size_t n)
{
    int len = svm_insn_length(v, op, n);

    if (len < 0)
        return stop_undecodable(v, e, len, "stopped: the instruction at RIP is not the one "
                                "that exited");
    vmcb_of(v)->save.rip = e->rip + (uint64_t)len;
    vmcb_of(v)->ctl.interrupt_shadow = 0;   /* the skipped instruction ends STI/MOV SS blocking */
    return true;
}

/* ---- handlers: true = resume the guest ---- */

static bool on_cpuid(struct vcpu *v, const struct svm_exit *e)
{
    struct cpuid_regs r = x86_guest_cpuid((uint32_t)v->regs.rax, (uint32_t)v->regs.rcx,
                                          vmcb_of(v)->save.cr4 & CR4_OSXSAVE);

    if (!skip(v, e, op_cpuid, sizeof(op_cpuid)))
        return false;
    v->regs.rax = r.eax;
    v->regs.rbx = r.ebx;
    v->regs.rcx = r.ecx;
    v->regs.rdx = r.edx;
    return true;
}

/* VMMCALL, or VMCALL met as #UD: the hypercall (the instruction is already skipped). */
static bool hypercall(struct vcpu *v)
{
    v->hypercalls++;
    v->watchdog_count = 0;                  /* a hypercall is progress */
    if (!v->dom->ops || !v->dom->ops->hypercall) {
        v->regs.rax = (uint64_t)-38;        /* -ENOSYS */
        return true;
    }
    switch (v->dom->ops->hypercall(v)) {
    case HC_RESUME:
        return true;
    case HC_EXIT:
        svm_stop(v, VCPU_STOP_EXITED, 0, v->exit_code);
        return false;
    case HC_STOP:
        break;
    }
    svm_stop(v, VCPU_STOP_REQUESTED, 0, 0);
    return false;
}

static bool on_vmmcall(struct vcpu *v, const struct svm_exit *e)
{
    if (guest_cpl(v) != 0) {                /* only the guest kernel may call */
        report_refusal(v, e, "#UD injected (a hypercall from CPL > 0)");
        svm_inject_exception(v, VECTOR_UD, 0);
        return true;
    }
    return skip(v, e, op_vmmcall, sizeof(op_vmmcall)) && hypercall(v);
}

/*
 * #UD: VMCALL is Intel's hypercall instruction and #UD on AMD; klxd and the
 * LXD SDK use it, so a VMCALL at CPL 0 is taken as the hypercall (as KVM
 * does).  Any other #UD (Linux's BUG() is UD2) goes back to the guest.
 */
static bool on_ud(struct vcpu *v, const struct svm_exit *e)
{
    if (guest_cpl(v) == 0 && svm_insn_length(v, op_vmcall, sizeof(op_vmcall)) > 0)
        return skip(v, e, op_vmcall, sizeof(op_vmcall)) && hypercall(v);
    svm_inject_exception(v, VECTOR_UD, 0);
    return true;
}

static bool on_hlt(struct vcpu *v, const struct svm_exit *e)
{
    static const uint8_t op_hlt[] = { 0xF4 };

    if (policy_allows(policy_of(v), POLICY_OP_HALT))
        return skip(v, e, op_hlt, 1);
    svm_stop(v, VCPU_STOP_HALTED, 0, 0);
    return false;
}

static bool on_npf(struct vcpu *v, const struct svm_exit *e)
{
    if (svm_apic_write(v, e))
        return true;
    svm_report_exit(v, e, "stopped: access outside its memory");
    svm_stop(v, VCPU_STOP_EPT_VIOLATION, e->info2, e->info1);
    return false;
}

static bool on_shutdown(struct vcpu *v, const struct svm_exit *e)
{
    svm_report_exit(v, e, v->kind == VCPU_KIND_LINUX ? "stopped (a triple fault is how "
                    "Linux sometimes resets)" : "stopped");
    svm_stop(v, VCPU_STOP_TRIPLE_FAULT, 0, 0);
    return false;
}

/* A watchdog quantum has passed when the local timer's interrupt made the guest exit. */
static bool watchdog_tick(struct vcpu *v, const struct svm_exit *e)
{
    struct svm_vcpu *s = svm_of(v);
    uint64_t now = rdtsc();

    if (!s->quantum || now < s->next_tick)
        return true;
    s->next_tick = now + s->quantum;
    if (v->dom->ops && v->dom->ops->progress && v->dom->ops->progress(v))
        v->watchdog_count = 0;
    if (v->watchdog_limit && ++v->watchdog_count >= v->watchdog_limit) {
        svm_report_exit(v, e, "stopped by the watchdog: no progress");
        svm_stop(v, VCPU_STOP_WATCHDOG, 0, v->watchdog_count);
        return false;
    }
    return true;
}

static bool on_intr(struct vcpu *v, const struct svm_exit *e)
{
    __asm__ volatile("sti; nop; cli" ::: "memory");     /* let the host take it */
    return watchdog_tick(v, e);
}

/*
 * The host took the NMI at STGI (arch/x86/trap.c).  An isolated vCPU's core
 * is the hypervisor's: nothing more.  A Linux AP intercepts NMIs only for
 * arch_force_guest_exit, whose stop request the run loop saw before this;
 * any other NMI there came from the platform (Linux's NMI IPIs are refused,
 * arch/x86/apic_icr.c): it is injected into the vCPU, as the CPU would
 * have delivered it.
 */
static bool on_nmi(struct vcpu *v, const struct svm_exit *e)
{
    (void)e;
    if (v->kind == VCPU_KIND_LINUX)
        vmcb_of(v)->ctl.event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_NMI | VECTOR_NMI;
    return true;
}

static bool on_gp(struct vcpu *v, const struct svm_exit *e);

static bool on_exception(struct vcpu *v, const struct svm_exit *e)
{
    unsigned int vector = e->code - SVM_EXIT_EXCP_BASE;

    if (vector == VECTOR_UD)
        return on_ud(v, e);
    if (vector == VECTOR_GP && refuses_by_fault(v))
        return on_gp(v, e);
    if ((vector == VECTOR_BP || vector == VECTOR_DB) && svm_debug_exception(v, vector))
        return true;                                    /* a breakpoint or step: it parks */
    if (vector == VECTOR_BP || vector == VECTOR_DB) {   /* intercepted for a debugger gone */
        svm_inject_exception(v, vector, 0);
        return true;
    }
    svm_report_exit(v, e, "stopped: exception");
    svm_stop(v, VCPU_STOP_EXCEPTION, 0, vector);
    return false;
}

/* ---- what only Linux may do; an isolated guest doing it is stopped ---- */

static bool valid_pat(uint64_t pat)
{
    for (int i = 0; i < 8; i++) {
        uint8_t t = (uint8_t)(pat >> (8 * i));
        if (t == 2 || t == 3 || t > 7)
            return false;
    }
    return true;
}

/*
 * EFER and PAT, which the SVM backend keeps in the VMCB (svm_msr_backend_owned):
 * always intercepted; done here on the VMCB when the policy passes the access.
 */
static bool vmcb_msr(struct vcpu *v, const struct svm_exit *e, uint32_t msr, bool write,
                     uint64_t val)
{
    struct vmcb_save *g = &vmcb_of(v)->save;
    uint64_t out;

    if (msr == MSR_IA32_EFER) {
        if (!write) {
            out = g->efer & ~EFER_SVME;             /* SVM is not offered to guests */
        } else if ((val & ~EFER_GUEST_BITS) || (!(val & EFER_LME) && (g->efer & EFER_LMA))) {
            report_refusal(v, e, "#GP injected (EFER: only SCE and NXE may change; SVME "
                           "is not offered, long mode cannot be left)");
            svm_inject_exception(v, VECTOR_GP, 0);
            return true;
        } else {
            g->efer = (val & ~EFER_LMA) | (g->efer & EFER_LMA) | EFER_SVME;
            return skip(v, e, op_wrmsr, sizeof(op_wrmsr));
        }
    } else {                                        /* PAT: the guest's is G_PAT */
        if (!write) {
            out = g->g_pat;
        } else if (!valid_pat(val)) {
            report_refusal(v, e, "#GP injected (reserved PAT memory type)");
            svm_inject_exception(v, VECTOR_GP, 0);
            return true;
        } else {
            g->g_pat = val;
            return skip(v, e, op_wrmsr, sizeof(op_wrmsr));
        }
    }
    if (!skip(v, e, op_rdmsr, sizeof(op_rdmsr)))
        return false;
    v->regs.rax = (uint32_t)out;
    v->regs.rdx = out >> 32;
    return true;
}

/*
 * RDMSR and WRMSR that exit: the MSR is denied or emulated by the policy, lies
 * outside the MSRPM's ranges, or is one the backend keeps in the VMCB.  A denied
 * one is #GP for Linux, a stop for an LXD (as under VT-x).
 */
static bool on_msr(struct vcpu *v, const struct svm_exit *e)
{
    const struct exit_policy *p = policy_of(v);
    uint32_t msr = (uint32_t)v->regs.rcx;
    bool write = e->info1 & 1;
    uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
    enum policy_result r = POLICY_REFUSED;

    if (svm_msr_backend_owned(msr)) {
        if (policy_msr_access(p, msr, write) == POLICY_PASS)
            return vmcb_msr(v, e, msr, write, val);
    } else {
        r = x86_policy_msr(p, v, msr, write, &val);
    }
    switch (r) {
    case POLICY_DONE:
        if (!skip(v, e, write ? op_wrmsr : op_rdmsr, 2))
            return false;
        if (!write) {
            v->regs.rax = (uint32_t)val;
            v->regs.rdx = val >> 32;
        }
        return true;
    case POLICY_RESET:
    case POLICY_POWER_OFF:
        return power_request(v, e, r, msr);
    case POLICY_REFUSED:
    case POLICY_REPLAY:                             /* never returned by x86_policy_msr */
        break;
    }
    return refuse(v, e, VECTOR_GP, x86_policy_msr_refusal(write));
}

/*
 * XSETBV: Linux's value is checked by the CPU's rules before the hypervisor
 * executes it for Linux (a value the CPU would refuse is #GP for Linux).
 */
static bool on_xsetbv(struct vcpu *v, const struct svm_exit *e)
{
    uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
    struct cpuid_regs xs = cpuid(0xD, 0);
    uint64_t supported = ((uint64_t)xs.edx << 32) | xs.eax;
    const char *why = x86_xcr0_invalid((uint32_t)v->regs.rcx, val, supported);

    if (!policy_allows(policy_of(v), POLICY_OP_XSETBV))
        return refuse(v, e, VECTOR_GP, "#GP injected (XSETBV is not allowed)");
    if (why) {
        char what[160];
        fmt_snprintf(what, sizeof(what), "#GP injected: XCR%u <- %#lx refused: %s",
                     (uint32_t)v->regs.rcx, val, why);
        report_refusal(v, e, what);
        svm_inject_exception(v, VECTOR_GP, 0);
        return true;
    }
    if (!skip(v, e, op_xsetbv, sizeof(op_xsetbv)))
        return false;
    __asm__ volatile("xsetbv" :: "a"((uint32_t)val), "d"((uint32_t)(val >> 32)), "c"(0));
    return true;
}

/*
 * MOV to CR0/CR4 by an isolated vCPU (Linux's never exit: svm/intercepts.c).
 * Under SVM every bit is the guest's VMCB state, so these exits are where the
 * hypervisor keeps to an LXD what VT-x's fixed bits keep: the bits below may
 * change (what an LXD sets up for x87/SSE and FSGSBASE), any other change
 * (paging, protection, VMXE, ...) stops the domain with the bits named.
 * The value is read from the register the instruction names: there are no
 * decode assists in QEMU TCG.
 */
#define CR0_ISOLATED_MAY_CHANGE (CR0_MP | CR0_EM | CR0_TS)
#define CR4_TSD                 (1ul << 2)
#define CR4_DE                  (1ul << 3)
#define CR4_PCE                 (1ul << 8)
#define CR4_FSGSBASE            (1ul << 16)
#define CR4_ISOLATED_MAY_CHANGE (CR4_TSD | CR4_DE | CR4_PGE | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT)

static uint64_t gpr_value(const struct vcpu *v, unsigned int n)
{
    const struct vcpu_regs *r = &v->regs;
    const uint64_t gprs[16] = { r->rax, r->rcx, r->rdx, r->rbx, vmcb_of(v)->save.rsp, r->rbp,
                                r->rsi, r->rdi, r->r8, r->r9, r->r10, r->r11, r->r12, r->r13,
                                r->r14, r->r15 };
    return gprs[n & 15];
}

static bool on_cr_write(struct vcpu *v, const struct svm_exit *e)
{
    unsigned int cr, gpr, want = e->code - SVM_EXIT_CR0_WRITE;
    int len = svm_decode_mov_to_cr(v, &cr, &gpr);
    struct vmcb_save *g = &vmcb_of(v)->save;
    uint64_t old = want == 0 ? g->cr0 : g->cr4, may;
    char what[128];

    if (len < 0 || cr != want)
        return stop_undecodable(v, e, len, "stopped: the instruction at RIP is not the MOV "
                                "to that control register");
    if (want == 0)
        may = CR0_ISOLATED_MAY_CHANGE;
    else
        may = CR4_ISOLATED_MAY_CHANGE | (cpuid(7, 0).ebx & 1 ? CR4_FSGSBASE : 0);
    uint64_t val = gpr_value(v, gpr), changed = (val ^ old) & ~may;
    if (changed) {
        fmt_snprintf(what, sizeof(what), "stopped: CR%u %#lx -> %#lx changes bit(s) %#lx it may not",
                     want, old, val, changed);
        svm_report_exit(v, e, what);
        svm_stop(v, VCPU_STOP_UNEXPECTED_EXIT, 0, e->code);
        return false;
    }
    if (want == 0)
        g->cr0 = val;
    else
        g->cr4 = val;
    vmcb_of(v)->ctl.tlb_control = SVM_TLB_FLUSH_ALL;   /* as MOV to CR0/CR4 flushes its TLB */
    g->rip = e->rip + (uint64_t)len;
    vmcb_of(v)->ctl.interrupt_shadow = 0;
    return true;
}

/* VMRUN, VMLOAD, VMSAVE, STGI, CLGI, SKINIT, INVLPGA at CPL 0: SVM is not offered to
 * guests (#UD, as on a CPU with EFER.SVME clear); an LXD has no business with them
 * and is stopped.  At CPL > 0 the CPU raises #GP before the intercept: on_gp. */
static bool on_svm_instruction(struct vcpu *v, const struct svm_exit *e)
{
    return refuse(v, e, VECTOR_UD, "#UD injected (SVM is not offered to guests)");
}

/*
 * #GP (intercepted for domains refused by fault): the SVM instructions other
 * than VMMCALL check the CPL before their intercept, so at CPL 3 they raise
 * #GP where a CPU without SVM raises #UD; the hypervisor gives the #UD, as
 * VT-x gives #UD for a VMX instruction at any CPL.  Any other #GP goes back
 * to the guest with its error code.  A #GP met while delivering another
 * event (EXITINTINFO valid) is delivered as #GP; the original event is not
 * re-queued (the CPU would have made it a #DF where both are contributory).
 */
static bool on_gp(struct vcpu *v, const struct svm_exit *e)
{
    uint8_t op[3] = { 0x0F, 0x01, 0 };

    for (unsigned int i = 0; i < 8; i++) {
        op[2] = (uint8_t)(0xD8 + i);
        if (svm_insn_length(v, op, sizeof(op)) > 0) {
            char what[96];
            fmt_snprintf(what, sizeof(what), "%s raised #GP before its intercept: #UD injected "
                         "(SVM is not offered to guests)", svm_insn_names[i]);
            return refuse(v, e, VECTOR_UD, what);
        }
    }
    svm_inject_exception(v, VECTOR_GP, (uint32_t)e->info1);
    return true;
}

/*
 * INVD and WBINVD (POLICY_OP_INVD), both done as WBINVD.  QEMU 7.2 TCG reports
 * INVD with the WBINVD exit code (its translator checks SVM_EXIT_WBINVD for
 * both opcodes), so either exit may carry either instruction.
 */
static bool on_invd(struct vcpu *v, const struct svm_exit *e)
{
    static const uint8_t op_wbinvd[] = { 0x0F, 0x09 };

    if (!policy_allows(policy_of(v), POLICY_OP_INVD))
        return refuse(v, e, VECTOR_GP, "#GP injected (INVD and WBINVD are not allowed)");
    if (svm_insn_length(v, op_wbinvd, sizeof(op_wbinvd)) > 0) {
        if (!skip(v, e, op_wbinvd, sizeof(op_wbinvd)))
            return false;
    } else if (!skip(v, e, op_invd, sizeof(op_invd))) {
        return false;
    }
    __asm__ volatile("wbinvd" ::: "memory");    /* never drop dirty lines of others' memory */
    return true;
}

/*
 * IN/OUT that exit: at least one port the access covers is denied or emulated by
 * the policy, or the access runs past port 0xFFFF (x86_policy_io decides, as
 * under VT-x).  A denied port reads as no device and drops writes for Linux, and
 * stops an LXD; string I/O to such ports is dropped for Linux.  EXITINFO2 is the
 * next RIP.
 */
static bool on_io(struct vcpu *v, const struct svm_exit *e)
{
    const struct exit_policy *p = policy_of(v);
    uint64_t i1 = e->info1;
    uint16_t port = (uint16_t)(i1 >> 16);
    unsigned int size = i1 & 0x10 ? 1 : i1 & 0x20 ? 2 : 4;
    bool in = i1 & 1, string = i1 & 4;
    uint64_t mask = size == 4 ? 0xFFFFFFFFull : (1ull << (8 * size)) - 1;
    uint32_t val = in ? (uint32_t)mask : (uint32_t)(v->regs.rax & mask);

    if (!refuses_by_fault(v) && (policy_io_access(p, port, size) == POLICY_DENY || string))
        return stop_unexpected(v, e);
    if (string) {                               /* INS/OUTS: dropped, REP count consumed */
        report_refusal(v, e, "string I/O dropped");
        if (i1 & 8)
            v->regs.rcx = 0;
    } else {
        enum policy_result r = x86_policy_io(p, v, port, size, in, &val);
        if (r == POLICY_RESET || r == POLICY_POWER_OFF)
            return power_request(v, e, r, port);
        if (r == POLICY_REFUSED)
            report_refusal(v, e, in ? "no device: reads all ones" : "write dropped");
        if (in)
            v->regs.rax = (v->regs.rax & ~mask) | (val & mask);
    }
    vmcb_of(v)->save.rip = e->info2;
    vmcb_of(v)->ctl.interrupt_shadow = 0;
    return true;
}

static bool on_init(struct vcpu *v, const struct svm_exit *e)
{
    (void)e;
    printk("svm: %s/%u: INIT signal ignored (a guest may not reset another core)\n",
           v->dom->name, v->id);
    return true;
}

static bool on_smi(struct vcpu *v, const struct svm_exit *e)
{
    (void)v;
    (void)e;
    return true;                    /* the firmware's SMI handler runs after the exit */
}

bool svm_handle_exit(struct vcpu *v, const struct svm_exit *e)
{
    v->exits++;
    if (v->stop_requested) {                    /* another core asked (e.g. Linux: stop this LXD) */
        svm_stop(v, VCPU_STOP_REQUESTED, 0, 0);
        return false;
    }
    if (e->code >= SVM_EXIT_EXCP_BASE && e->code < SVM_EXIT_EXCP_BASE + 32)
        return on_exception(v, e);
    switch (e->code) {
    case SVM_EXIT_INTR:     return on_intr(v, e);
    case SVM_EXIT_NMI:      return on_nmi(v, e);
    case SVM_EXIT_SMI:      return on_smi(v, e);
    case SVM_EXIT_INIT:     return on_init(v, e);
    case SVM_EXIT_CPUID:    return on_cpuid(v, e);
    case SVM_EXIT_INVD:     return on_invd(v, e);
    case SVM_EXIT_WBINVD:   return on_invd(v, e);
    case SVM_EXIT_HLT:      return on_hlt(v, e);
    case SVM_EXIT_IOIO:     return on_io(v, e);
    case SVM_EXIT_MSR:      return on_msr(v, e);
    case SVM_EXIT_SHUTDOWN: return on_shutdown(v, e);
    case SVM_EXIT_VMMCALL:  return on_vmmcall(v, e);
    case SVM_EXIT_VMRUN: case SVM_EXIT_VMLOAD: case SVM_EXIT_VMSAVE:
    case SVM_EXIT_STGI: case SVM_EXIT_CLGI: case SVM_EXIT_SKINIT: case SVM_EXIT_INVLPGA:
        return on_svm_instruction(v, e);
    case SVM_EXIT_XSETBV:   return on_xsetbv(v, e);
    case SVM_EXIT_CR0_WRITE:
    case SVM_EXIT_CR0_WRITE + 4: return on_cr_write(v, e);
    case SVM_EXIT_NPF:      return on_npf(v, e);
    case SVM_EXIT_SWINT:                    /* intercepted only while a debugger is attached */
        if (svm_debug_swint(v))
            return true;
        break;
    }
    svm_report_exit(v, e, "stopped: no handler for this exit");
    svm_stop(v, VCPU_STOP_UNEXPECTED_EXIT, 0, e->code);
    return false;
}

const char *svm_exit_name(uint32_t code)
{
    if (code < 0x10)
        return "CR read";
    if (code < 0x20)
        return "CR write";
    if (code < SVM_EXIT_DR0_WRITE)
        return "DR read";
    if (code < SVM_EXIT_DR0_WRITE + 0x10)
        return "DR write";
    if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32)
        return "exception";
    switch (code) {
    case SVM_EXIT_INTR: return "INTR";
    case SVM_EXIT_NMI: return "NMI";
    case SVM_EXIT_SMI: return "SMI";
    case SVM_EXIT_INIT: return "INIT";
    case SVM_EXIT_VINTR: return "VINTR";
    case SVM_EXIT_RDPMC: return "RDPMC";
    case SVM_EXIT_CPUID: return "CPUID";
    case SVM_EXIT_INVD: return "INVD";
    case SVM_EXIT_WBINVD: return "WBINVD";
    case SVM_EXIT_MONITOR: return "MONITOR";
    case SVM_EXIT_MWAIT: case SVM_EXIT_MWAIT_ARMED: return "MWAIT";
    case SVM_EXIT_HLT: return "HLT";
    case SVM_EXIT_IOIO: return "IOIO";
    case SVM_EXIT_MSR: return "MSR";
    case SVM_EXIT_SHUTDOWN: return "SHUTDOWN";
    case SVM_EXIT_VMRUN: return "VMRUN";
    case SVM_EXIT_VMMCALL: return "VMMCALL";
    case SVM_EXIT_VMLOAD: return "VMLOAD";
    case SVM_EXIT_VMSAVE: return "VMSAVE";
    case SVM_EXIT_STGI: return "STGI";
    case SVM_EXIT_CLGI: return "CLGI";
    case SVM_EXIT_SKINIT: return "SKINIT";
    case SVM_EXIT_INVLPGA: return "INVLPGA";
    case SVM_EXIT_XSETBV: return "XSETBV";
    case SVM_EXIT_NPF: return "NPF (nested page fault)";
    case SVM_EXIT_INVALID: return "INVALID";
    default: return "unknown";
    }
}
