/*
 * VM-exit dispatch: one handler per basic exit reason; anything without a
 * handler is reported decoded and stops the vCPU (never a silent resume).
 */
#include <lxds/domain.h>
#include <lxds/exit_policy.h>
#include <lxds/format.h>
#include <lxds/hypercall_abi.h>
#include <lxds/printk.h>
#include <x86/cpu.h>
#include <x86/policy_exit.h>
#include <x86/linux_apic.h>
#include <x86/trap.h>
#include <x86/vmcs.h>
#include <x86/vmx_caps.h>
#include <x86/vmx_vcpu.h>
#include <x86/xcr0.h>

#define INTR_INFO_VALID        (1u << 31)
#define INTR_INFO_ERROR_CODE   (1u << 11)  /* deliver an error code (ENTRY_EXCEPTION_ERROR_CODE) */
#define INTR_TYPE_HW_EXCEPTION (3u << 8)
#define INTR_TYPE_NMI          (2u << 8)
#define EFER_LME_BIT           (1ull << 8)
#define EFER_LMA_BIT           (1ull << 10)
#define VECTOR_UD              6
#define VECTOR_GP              13
#define REFUSALS_LOGGED_MAX    128         /* per vCPU: a loop of refused exits cannot flood the log */
#define IO_REFUSALS_LOGGED_MAX 32          /* port refusals, counted apart (probing drivers) */

void vmx_stop(struct vcpu *v, enum vcpu_stop why, uint64_t addr, uint64_t detail)
{
    v->stop = why;
    v->stop_rip = vmread(GUEST_RIP);
    v->stop_addr = addr;
    v->stop_detail = detail;
}

static void skip_instruction(const struct vmx_exit *e)
{
    vmwrite(GUEST_RIP, e->rip + e->instruction_length);
    /* the skipped instruction ends any STI/MOV SS blocking */
    vmwrite(GUEST_INTERRUPTIBILITY, vmread(GUEST_INTERRUPTIBILITY) & ~3ull);
}

/*
 * The exceptions whose delivery pushes an error code.  VM entry checks that
 * the deliver-error-code bit is set exactly for these (SDM Vol. 3 27.2.1.3,
 * guest in protected mode): injecting #GP without it is an invalid VM entry.
 */
static bool exception_has_error_code(unsigned int vector)
{
    switch (vector) {
    case 8: case 10: case 11: case 12: case 13: case 14: case 17:
        return true;                    /* #DF #TS #NP #SS #GP #PF #AC */
    default:
        return false;
    }
}

/* Makes the next VM entry deliver a hardware exception (a fault: RIP is not advanced). */
static void inject_exception(unsigned int vector, uint32_t error_code)
{
    uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;

    if (exception_has_error_code(vector)) {
        info |= INTR_INFO_ERROR_CODE;
        vmwrite(ENTRY_EXCEPTION_ERROR_CODE, error_code);
    }
    vmwrite(ENTRY_INTERRUPTION_INFO, info);
}

static void inject_ud(void)
{
    inject_exception(VECTOR_UD, 0);
}

static void inject_gp0(void)
{
    inject_exception(VECTOR_GP, 0);
}

/* CR4 as the guest sees it: its own bits from GUEST_CR4, the host-owned ones from the shadow. */
static uint64_t guest_cr4(void)
{
    uint64_t mask = vmread(CR4_GUEST_HOST_MASK);

    return (vmread(GUEST_CR4) & ~mask) | (vmread(CR4_READ_SHADOW) & mask);
}

static unsigned int guest_cpl(void)
{
    return (vmread(GUEST_SS_AR) >> 5) & 3;
}

/* ---- decoding, for reports ---- */

static void decode_qualification(const struct vcpu *v, const struct vmx_exit *e,
                                 char *buf, size_t len)
{
    uint64_t q = e->qualification;

    switch (e->reason) {
    case EXIT_EPT_VIOLATION:
        fmt_snprintf(buf, len, "%s%s%s at GPA %#lx; the page is %s%s%s%s",
                     q & 1 ? "read" : "", q & 2 ? "write" : "", q & 4 ? "instruction fetch" : "",
                     vmread(GUEST_PHYSICAL_ADDRESS),
                     (q & 0x38) ? "mapped" : "not mapped",
                     q & 8 ? " R" : "", q & 16 ? "W" : "", q & 32 ? "X" : "");
        break;
    case EXIT_CR_ACCESS: {
        static const char *const kind[] = { "MOV to", "MOV from", "CLTS on", "LMSW on" };
        fmt_snprintf(buf, len, "%s CR%lu, GPR %lu", kind[(q >> 4) & 3], q & 15, (q >> 8) & 15);
        break;
    }
    case EXIT_IO:
        fmt_snprintf(buf, len, "%s%s port %#lx, %lu byte(s)%s", q & 8 ? "IN" : "OUT",
                     q & 16 ? "S" : "", (q >> 16) & 0xFFFF, (q & 7) + 1, q & 32 ? ", REP" : "");
        break;
    case EXIT_RDMSR:
    case EXIT_WRMSR:
        fmt_snprintf(buf, len, "MSR %#lx", v->regs.rcx & 0xFFFFFFFF);
        break;
    case EXIT_EXCEPTION_NMI: {
        uint32_t info = (uint32_t)vmread(EXIT_INTERRUPTION_INFO);
        fmt_snprintf(buf, len, "%s (vector %u), error code %#lx",
                     x86_exception_mnemonic(info & 0xFF), info & 0xFF,
                     vmread(EXIT_INTERRUPTION_ERROR_CODE));
        break;
    }
    case EXIT_VMCLEAR: case EXIT_VMPTRLD: case EXIT_VMPTRST: case EXIT_VMREAD:
    case EXIT_VMWRITE: case EXIT_VMXON: case EXIT_INVEPT: case EXIT_INVVPID:
        fmt_snprintf(buf, len, "operand displacement %#lx", q);
        break;
    case EXIT_XSETBV:
        fmt_snprintf(buf, len, "XCR%lu <- %#lx", v->regs.rcx & 0xFFFFFFFF,
                     (v->regs.rdx << 32) | (uint32_t)v->regs.rax);
        break;
    default:
        fmt_snprintf(buf, len, "qualification %#lx", q);
    }
}

void vmx_report_exit(const struct vcpu *v, const struct vmx_exit *e, const char *why)
{
    char q[160];
    const struct vcpu_regs *r = &v->regs;

    decode_qualification(v, e, q, sizeof(q));
    printk("vmx: %s/%u: %s: exit %s (reason %u), %s\n", v->dom->name, v->id, why,
           vmx_exit_reason_name(e->reason), e->reason, q);
    printk("  RIP=%016lx RSP=%016lx RFLAGS=%016lx CR3=%016lx CPL=%u\n", e->rip,
           vmread(GUEST_RSP), vmread(GUEST_RFLAGS), vmread(GUEST_CR3), guest_cpl());
    printk("  RAX=%016lx RBX=%016lx RCX=%016lx RDX=%016lx\n", r->rax, r->rbx, r->rcx, r->rdx);
    printk("  RSI=%016lx RDI=%016lx RBP=%016lx R8 =%016lx\n", r->rsi, r->rdi, r->rbp, r->r8);
}

/*
 * An exit the guest may cause but gets a fault for (Linux reading a VMX MSR,
 * user space executing VMXOFF): one line, so the log says who tried what,
 * for the first REFUSALS_LOGGED_MAX of them on this vCPU.
 */
static void report_refusal(struct vcpu *v, const struct vmx_exit *e, const char *what)
{
    bool io = e->reason == EXIT_IO;
    unsigned int *count = io ? &v->io_refusals_logged : &v->refusals_logged;
    unsigned int max = io ? IO_REFUSALS_LOGGED_MAX : REFUSALS_LOGGED_MAX;
    char q[160];

    if (*count >= max)
        return;
    decode_qualification(v, e, q, sizeof(q));
    printk("vmx: %s/%u: %s (%s) at CPL %u, RIP %#lx: %s%s\n", v->dom->name, v->id,
           vmx_exit_reason_name(e->reason), q, guest_cpl(), e->rip, what,
           ++*count == max ? (io ? "; further port refusals are not logged"
                                 : "; further refusals are not logged") : "");
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

/* ---- handlers: true = resume the guest ---- */

static bool on_cpuid(struct vcpu *v, const struct vmx_exit *e)
{
    struct cpuid_regs r = x86_guest_cpuid((uint32_t)v->regs.rax, (uint32_t)v->regs.rcx,
                                          guest_cr4() & CR4_OSXSAVE);

    v->regs.rax = r.eax;
    v->regs.rbx = r.ebx;
    v->regs.rcx = r.ecx;
    v->regs.rdx = r.edx;
    skip_instruction(e);
    return true;
}

static bool on_vmcall(struct vcpu *v, const struct vmx_exit *e)
{
    if (guest_cpl() != 0) {                 /* only the guest kernel may call */
        inject_ud();                        /* #UD, as on a machine without VMX */
        return true;
    }
    v->hypercalls++;
    v->watchdog_count = 0;                  /* a hypercall is progress */
    skip_instruction(e);
    if (!v->dom->ops || !v->dom->ops->hypercall) {
        v->regs.rax = (uint64_t)-38;        /* -ENOSYS */
        return true;
    }
    switch (v->dom->ops->hypercall(v)) {
    case HC_RESUME:
        return true;
    case HC_EXIT:
        vmx_stop(v, VCPU_STOP_EXITED, 0, v->exit_code);
        return false;
    case HC_STOP:
        break;
    }
    vmx_stop(v, VCPU_STOP_REQUESTED, 0, 0);
    return false;
}

static bool on_hlt(struct vcpu *v, const struct vmx_exit *e)
{
    if (policy_allows(policy_of(v), POLICY_OP_HALT)) {
        skip_instruction(e);
        return true;
    }
    vmx_stop(v, VCPU_STOP_HALTED, 0, 0);
    return false;
}

/* A write to Linux's read-only APIC page: decoded and replayed (x86/linux_apic.h). */
static bool on_apic_write(struct vcpu *v, const struct vmx_exit *e, uint64_t gpa)
{
    struct vcpu_regs *r = &v->regs;
    struct apic_write_exit x = {
        .gpa = gpa, .rip = vmread(GUEST_CS_BASE) + e->rip,
        .paging = { .cr0 = vmread(GUEST_CR0), .cr3 = vmread(GUEST_CR3),
                    .cr4 = vmread(GUEST_CR4), .efer = vmread(GUEST_IA32_EFER) },
        .gpr = { &r->rax, &r->rcx, &r->rdx, &r->rbx, NULL, &r->rbp, &r->rsi, &r->rdi,
                 &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15 },
    };
    unsigned int len = x86_linux_apic_write(v, &v->dom->ept, &x);

    if (!len) {
        inject_gp0();
        return true;
    }
    vmwrite(GUEST_RIP, e->rip + len);
    vmwrite(GUEST_INTERRUPTIBILITY, vmread(GUEST_INTERRUPTIBILITY) & ~3ull);
    return true;
}

static bool on_ept_violation(struct vcpu *v, const struct vmx_exit *e)
{
    uint64_t gpa = vmread(GUEST_PHYSICAL_ADDRESS);

    if ((e->qualification & 2) && !(e->qualification & 4) &&
        policy_allows(policy_of(v), POLICY_OP_APIC_WRITES) && x86_linux_apic_page(gpa))
        return on_apic_write(v, e, gpa);

    vmx_report_exit(v, e, "stopped: access outside its memory");
    vmx_stop(v, VCPU_STOP_EPT_VIOLATION, gpa, e->qualification);
    return false;
}

static bool on_triple_fault(struct vcpu *v, const struct vmx_exit *e)
{
    vmx_report_exit(v, e, refuses_by_fault(v) ? "stopped (a triple fault is how "
                          "Linux sometimes resets)" : "stopped");
    vmx_stop(v, VCPU_STOP_TRIPLE_FAULT, 0, 0);
    return false;
}

static bool on_preemption_timer(struct vcpu *v, const struct vmx_exit *e)
{
    if (v->dom->ops && v->dom->ops->progress && v->dom->ops->progress(v))
        v->watchdog_count = 0;
    if (v->watchdog_limit && ++v->watchdog_count >= v->watchdog_limit) {
        vmx_report_exit(v, e, "stopped by the watchdog: no progress");
        vmx_stop(v, VCPU_STOP_WATCHDOG, 0, v->watchdog_count);
        return false;
    }
    return true;
}

static bool on_external_interrupt(struct vcpu *v, const struct vmx_exit *e)
{
    (void)v;
    (void)e;
    __asm__ volatile("sti; nop; cli" ::: "memory");     /* let the host take it */
    return true;
}

static bool on_exception_or_nmi(struct vcpu *v, const struct vmx_exit *e)
{
    uint32_t info = (uint32_t)vmread(EXIT_INTERRUPTION_INFO);

    if ((info & (7u << 8)) == INTR_TYPE_NMI) {
        __asm__ volatile("int $2");                     /* hand the NMI to the host */
        return true;
    }
    if (vmx_debug_exception(v, info, e->qualification))
        return true;                                    /* a breakpoint or step: it parks */
    vmx_report_exit(v, e, "stopped: exception");
    vmx_stop(v, VCPU_STOP_EXCEPTION, 0, info & 0xFF);
    return false;
}

/* ---- what the domain's policy decides ---- */

static bool stop_unexpected(struct vcpu *v, const struct vmx_exit *e)
{
    vmx_report_exit(v, e, "stopped: not allowed in this domain");
    vmx_stop(v, VCPU_STOP_UNEXPECTED_EXIT, 0, e->reason);
    return false;
}

/*
 * Something the policy does not allow: the domain is stopped (POLICY_STOP),
 * or gets the fault a machine without the resource gives (POLICY_FAULT).
 */
static bool refuse(struct vcpu *v, const struct vmx_exit *e, unsigned int vector,
                   const char *what)
{
    if (!refuses_by_fault(v))
        return stop_unexpected(v, e);
    report_refusal(v, e, what);
    inject_exception(vector, 0);
    return true;
}

/* The domain's hook asked to reset or power off the machine: its vCPU stops. */
static bool power_request(struct vcpu *v, const struct vmx_exit *e, enum policy_result r,
                          uint64_t where)
{
    printk("vmx: %s/%u: %s at RIP %#lx (%s): the domain stops\n", v->dom->name, v->id,
           policy_result_name(r), e->rip, vmx_exit_reason_name(e->reason));
    vmx_stop(v, VCPU_STOP_REQUESTED, 0, where);
    return false;
}

/* The value of the GPR that exit qualifications number 0..15 (4 is RSP, kept in the VMCS). */
static uint64_t gpr_value(const struct vcpu *v, unsigned int n)
{
    const struct vcpu_regs *r = &v->regs;
    const uint64_t values[16] = {
        r->rax, r->rcx, r->rdx, r->rbx, 0, r->rbp, r->rsi, r->rdi,
        r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15,
    };

    return (n & 15) == 4 ? vmread(GUEST_RSP) : values[n & 15];
}

/*
 * RDMSR and WRMSR that exit: the MSR is denied or emulated by the policy
 * (passed MSRs inside the bitmap's ranges do not exit).  A denied one is #GP
 * for Linux, a stop for an LXD.
 */
static bool on_msr(struct vcpu *v, const struct vmx_exit *e, bool write)
{
    uint32_t msr = (uint32_t)v->regs.rcx;
    uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
    enum policy_result r = x86_policy_msr(policy_of(v), v, msr, write, &val);

    switch (r) {
    case POLICY_DONE:
        if (!write) {
            v->regs.rax = (uint32_t)val;
            v->regs.rdx = val >> 32;
        }
        skip_instruction(e);
        return true;
    case POLICY_RESET:
    case POLICY_POWER_OFF:
        return power_request(v, e, r, msr);
    case POLICY_REFUSED:
    case POLICY_REPLAY:                 /* never returned by x86_policy_msr */
        break;
    }
    return refuse(v, e, VECTOR_GP, x86_policy_msr_refusal(write));
}

static bool on_rdmsr(struct vcpu *v, const struct vmx_exit *e)
{
    return on_msr(v, e, false);
}

static bool on_wrmsr(struct vcpu *v, const struct vmx_exit *e)
{
    return on_msr(v, e, true);
}

static void set_gpr(struct vcpu *v, unsigned int n, uint64_t val)
{
    struct vcpu_regs *r = &v->regs;
    uint64_t *regs[16] = {
        &r->rax, &r->rcx, &r->rdx, &r->rbx, NULL, &r->rbp, &r->rsi, &r->rdi,
        &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
    };

    if ((n & 15) == 4)
        vmwrite(GUEST_RSP, val);
    else
        *regs[n & 15] = val;
}

/*
 * MOV to/from CR8 in an isolated guest (CR8-load and -store exiting): a
 * virtual TPR that never reaches the APIC.  The real TPR is the core's, and
 * a domain that raised it would mask the hypervisor's wake-up IPI for every
 * later domain on that core.  Bits 63:4 are reserved: the domain is stopped.
 */
static bool on_cr8_access(struct vcpu *v, const struct vmx_exit *e)
{
    uint64_t q = e->qualification;
    unsigned int type = (q >> 4) & 3, gpr = (unsigned int)(q >> 8) & 15;

    if (type == 1) {                            /* MOV from CR8 */
        set_gpr(v, gpr, v->arch->tpr);
    } else {
        uint64_t val = gpr_value(v, gpr);
        if (val & ~0xFull)
            return stop_unexpected(v, e);
        v->arch->tpr = (uint8_t)val;
    }
    skip_instruction(e);
    return true;
}

/*
 * CR0 of a vCPU that started in real mode (a Linux AP), when a write changes
 * a bit the host owns (NE): the mode bits are the guest's, checked as the
 * CPU checks them (SDM Vol. 3 2.5, MOV CR0 #GP: PG without PE, bits the CPU
 * does not have, NW without CD, PG with EFER.LME but no CR4.PAE).  Paging on
 * or off with EFER.LME moves EFER.LMA (vmx_sync_ia32e_mode() follows it).
 */
static bool set_cr0_unrestricted(uint64_t val)
{
    uint64_t old = vmread(GUEST_CR0), efer = vmread(GUEST_IA32_EFER);

    if (((val & CR0_PG) && !(val & CR0_PE)) || (val >> 32) || (val & ~vmx_caps.cr0_fixed1 &
        ~(uint64_t)(CR0_PE | CR0_PG)) || ((val & (1ul << 29)) && !(val & (1ul << 30))))
        return false;
    if ((val & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME_BIT)) {
        if (!(vmread(GUEST_CR4) & CR4_PAE))
            return false;
        vmwrite(GUEST_IA32_EFER, efer | EFER_LMA_BIT);
    } else if (!(val & CR0_PG) && (old & CR0_PG) && (efer & EFER_LMA_BIT)) {
        vmwrite(GUEST_IA32_EFER, efer & ~EFER_LMA_BIT);
    }
    vmwrite(CR0_READ_SHADOW, val);
    vmwrite(GUEST_CR0, vmx_fix_cr0(val, true));
    return true;
}

/* MOV to CR0/CR4 that changes a bit the host owns: keep the fixed bits, show the guest its value. */
static bool on_cr_access(struct vcpu *v, const struct vmx_exit *e)
{
    uint64_t q = e->qualification;
    unsigned int cr = q & 15, type = (q >> 4) & 3;

    if (cr == 8 && type <= 1 && policy_allows(policy_of(v), POLICY_OP_CR8_VIRTUAL))
        return on_cr8_access(v, e);
    if (!policy_allows(policy_of(v), POLICY_OP_CR0_CR4) || type != 0 || (cr != 0 && cr != 4))
        return refuse(v, e, VECTOR_GP, "#GP injected (a control-register access it may not make)");
    uint64_t val = gpr_value(v, (unsigned int)(q >> 8) & 15);
    if (cr == 0 && v->arch->unrestricted) {
        if (!set_cr0_unrestricted(val)) {
            inject_gp0();
            return true;
        }
    } else if (cr == 0) {
        if ((val & (CR0_PE | CR0_PG)) != (CR0_PE | CR0_PG) || (val & ~vmx_caps.cr0_fixed1)) {
            inject_gp0();                       /* leaving long mode is not supported */
            return true;
        }
        vmwrite(CR0_READ_SHADOW, val);
        vmwrite(GUEST_CR0, vmx_fix_cr0(val, false));
    } else {
        if ((val & ~vmx_caps.cr4_fixed1) || (val & CR4_VMXE)) {
            inject_gp0();                       /* unsupported bits, or nested VT-x */
            return true;
        }
        vmwrite(CR4_READ_SHADOW, val);
        vmwrite(GUEST_CR4, vmx_fix_cr4(val));
    }
    skip_instruction(e);
    return true;
}

/*
 * XSETBV exits at CPL 0 only (at CPL 3, or with CR4.OSXSAVE clear, the CPU
 * faults first).  Linux's value is checked by the CPU's rules before the
 * hypervisor executes it for Linux: a value the CPU would refuse is #GP
 * for Linux, never a fault in the hypervisor.
 */
static bool on_xsetbv(struct vcpu *v, const struct vmx_exit *e)
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
        inject_gp0();
        return true;
    }
    __asm__ volatile("xsetbv" :: "a"((uint32_t)val), "d"((uint32_t)(val >> 32)), "c"(0));
    skip_instruction(e);
    return true;
}

/*
 * The VMX instructions exit in VMX non-root operation whatever the CPL,
 * before the CPU's own checks (SDM Vol. 3 26.1.2).  Guests are shown a CPU
 * without VMX (CPUID hides it, CR4.VMXE cannot be set), so they get what
 * such a CPU gives at every CPL: #UD ("not in VMX operation" / CR4.VMXE = 0,
 * the first check of each instruction).  GETSEC and ENCLS are treated alike:
 * SMX and SGX are not offered to guests.  An LXD has no business with any
 * of them and is stopped.
 */
static bool on_vmx_instruction(struct vcpu *v, const struct vmx_exit *e)
{
    return refuse(v, e, VECTOR_UD, "#UD injected (VMX is not offered to guests)");
}

static bool on_invd(struct vcpu *v, const struct vmx_exit *e)
{
    if (!policy_allows(policy_of(v), POLICY_OP_INVD))
        return refuse(v, e, VECTOR_GP, "#GP injected (INVD and WBINVD are not allowed)");
    __asm__ volatile("wbinvd" ::: "memory");    /* never drop dirty lines of others' memory */
    skip_instruction(e);
    return true;
}

/*
 * IN/OUT that exit: at least one port the access covers is denied or
 * emulated by the policy (an access that merely overlaps an emulated port,
 * as a word write to 0xCF8 covers 0xCF9, goes to the hook whole).  A denied
 * port reads as no device (all ones) and drops writes for Linux, and stops
 * an LXD.  String I/O (INS/OUTS) to such ports is dropped for Linux.
 */
static bool on_io(struct vcpu *v, const struct vmx_exit *e)
{
    const struct exit_policy *p = policy_of(v);
    uint64_t q = e->qualification;
    uint16_t port = (uint16_t)(q >> 16);
    unsigned int size = (unsigned int)(q & 7) + 1;
    bool in = q & 8, string = q & 16;
    uint64_t mask = size == 4 ? 0xFFFFFFFFull : (1ull << (8 * size)) - 1;
    uint32_t val = in ? (uint32_t)mask : (uint32_t)(v->regs.rax & mask);

    if (!refuses_by_fault(v) && (policy_io_access(p, port, size) == POLICY_DENY || string))
        return stop_unexpected(v, e);
    if (string) {                               /* INS/OUTS: dropped, REP count consumed */
        report_refusal(v, e, "string I/O dropped");
        if (q & 32)
            v->regs.rcx = 0;
        skip_instruction(e);
        return true;
    }
    enum policy_result r = x86_policy_io(p, v, port, size, in, &val);
    if (r == POLICY_RESET || r == POLICY_POWER_OFF)
        return power_request(v, e, r, port);
    if (r == POLICY_REFUSED)
        report_refusal(v, e, in ? "no device: reads all ones" : "write dropped");
    if (in)
        v->regs.rax = (v->regs.rax & ~mask) | (val & mask);
    skip_instruction(e);
    return true;
}

static bool on_init(struct vcpu *v, const struct vmx_exit *e)
{
    (void)e;
    printk("vmx: %s/%u: INIT signal ignored (a guest may not reset another core)\n",
           v->dom->name, v->id);
    return true;
}

typedef bool (*exit_handler)(struct vcpu *v, const struct vmx_exit *e);

static const exit_handler handlers[EXIT_REASON_MAX] = {
    [EXIT_EXCEPTION_NMI] = on_exception_or_nmi,
    [EXIT_EXTERNAL_INTERRUPT] = on_external_interrupt,
    [EXIT_TRIPLE_FAULT] = on_triple_fault,
    [EXIT_CPUID] = on_cpuid,
    [EXIT_HLT] = on_hlt,
    [EXIT_VMCALL] = on_vmcall,
    [EXIT_EPT_VIOLATION] = on_ept_violation,
    [EXIT_PREEMPTION_TIMER] = on_preemption_timer,
    [EXIT_RDMSR] = on_rdmsr,
    [EXIT_WRMSR] = on_wrmsr,
    [EXIT_CR_ACCESS] = on_cr_access,
    [EXIT_XSETBV] = on_xsetbv,
    [EXIT_INVD] = on_invd,
    [EXIT_WBINVD] = on_invd,          /* WBINVD exiting is on: the same policy */
    [EXIT_IO] = on_io,
    [EXIT_INIT] = on_init,
    [EXIT_GETSEC] = on_vmx_instruction,
    [EXIT_VMCLEAR] = on_vmx_instruction,
    [EXIT_VMLAUNCH] = on_vmx_instruction,
    [EXIT_VMPTRLD] = on_vmx_instruction,
    [EXIT_VMPTRST] = on_vmx_instruction,
    [EXIT_VMREAD] = on_vmx_instruction,
    [EXIT_VMRESUME] = on_vmx_instruction,
    [EXIT_VMWRITE] = on_vmx_instruction,
    [EXIT_VMXOFF] = on_vmx_instruction,
    [EXIT_VMXON] = on_vmx_instruction,
    [EXIT_INVEPT] = on_vmx_instruction,
    [EXIT_INVVPID] = on_vmx_instruction,
    [EXIT_VMFUNC] = on_vmx_instruction,
    [EXIT_ENCLS] = on_vmx_instruction,
};

bool vmx_handle_exit(struct vcpu *v, const struct vmx_exit *e)
{
    exit_handler h = e->reason < EXIT_REASON_MAX ? handlers[e->reason] : NULL;

    v->exits++;
    if (v->stop_requested) {                    /* another core asked (e.g. Linux: stop this LXD) */
        vmx_stop(v, VCPU_STOP_REQUESTED, 0, 0);
        return false;
    }
    if (h)
        return h(v, e);
    vmx_report_exit(v, e, "stopped: no handler for this exit");
    vmx_stop(v, VCPU_STOP_UNEXPECTED_EXIT, 0, e->reason);
    return false;
}
