/*
 * vCPUs on VMX: build a VMCS for a 64-bit guest behind an EPT, run it until
 * it stops, and say exactly why when VM entry fails.  A vCPU is created,
 * run and destroyed on its home core (its VMCS is current only there).
 */
#include <lxds/arch.h>
#include <lxds/domain.h>
#include <lxds/errno.h>
#include <lxds/memory.h>
#include <lxds/printk.h>
#include <lxds/string.h>
#include <x86/core_state.h>
#include <x86/cpu.h>
#include <x86/percpu.h>
#include <x86/vmcs.h>
#include <x86/vmx_policy.h>
#include <x86/vmx_vcpu.h>

#define DEFAULT_PAT       0x0007040600070406ull
#define EFER_LME          (1ull << 8)
#define EFER_LMA          (1ull << 10)
#define EFER_NXE          (1ull << 11)
#define WATCHDOG_QUANTUM  2000000ull    /* TSC cycles between preemption-timer exits */
#define LINUX_AP_QUANTUM_MS 10ull       /* the same for Linux's other cores (no watchdog), in ms */

extern char vmx_exit_point[];


/* The domain kind's policy decides which ports and MSRs exit (deny by default). */
static const struct exit_policy *policy_of(const struct vcpu *v)
{
    return v->dom && v->dom->ops ? v->dom->ops->policy : NULL;
}

static void setup_controls(struct vcpu *v, struct arch_vcpu *a)
{
    bool is_linux = v->kind == VCPU_KIND_LINUX;
    struct vmx_controls c = is_linux ? vmx_controls_linux() : vmx_controls_isolated();

    vmwrite(PIN_BASED_CONTROLS, c.pin);
    vmwrite(PROC_BASED_CONTROLS, c.proc);
    vmwrite(PROC_BASED_CONTROLS2, c.proc2);
    vmwrite(EXIT_CONTROLS, c.exit);
    vmwrite(ENTRY_CONTROLS, c.entry);
    vmwrite(EXCEPTION_BITMAP, 0);           /* the guest handles its own exceptions */
    vmwrite(CR3_TARGET_COUNT, 0);
    vmwrite(MSR_BITMAP, a->msr_bitmap_pa);
    vmwrite(IO_BITMAP_A, a->io_bitmap_pa);
    vmwrite(IO_BITMAP_B, a->io_bitmap_pa + PAGE_SIZE);
    vmwrite(EPT_POINTER, a->eptp);
    if (c.proc2 & (1u << 5))
        vmwrite(VMCS_VPID, a->vpid);
    vmwrite(EXIT_MSR_STORE_COUNT, 0);
    vmwrite(EXIT_MSR_LOAD_COUNT, 0);
    vmwrite(ENTRY_MSR_LOAD_COUNT, 0);
    vmwrite(ENTRY_INTERRUPTION_INFO, 0);
    /*
     * The host owns the bits VMX fixes: the guest reads its own values from
     * the shadows, and a write that changes an owned bit exits (on_cr_access).
     */
    uint64_t cr0_owned = vmx_caps.cr0_fixed0 | ~vmx_caps.cr0_fixed1;
    if (a->unrestricted) {
        /* real mode to long mode by the guest itself: PE and PG are its own, the
         * CPU sets EFER.LMA, and a VM exit stores it in "IA-32e mode guest" */
        vmwrite(PROC_BASED_CONTROLS2, c.proc2 | PROC2_UNRESTRICTED_GUEST);
        /* and it exits at least every LINUX_AP_QUANTUM_MS, halted or not, so an INIT
         * from Linux (its CPU hotplug) reaches it: see arch_force_guest_exit() */
        vmwrite(PIN_BASED_CONTROLS, c.pin | PIN_PREEMPTION_TIMER);
        vmwrite(ENTRY_CONTROLS, c.entry & ~ENTRY_IA32E_MODE_GUEST);
        cr0_owned &= ~(uint64_t)(CR0_PE | CR0_PG);
    }
    vmwrite(CR0_GUEST_HOST_MASK, cr0_owned);
    vmwrite(CR4_GUEST_HOST_MASK, vmx_caps.cr4_fixed0 | ~vmx_caps.cr4_fixed1);
    vmwrite(CR4_READ_SHADOW, a->unrestricted ? 0 : CR4_PAE);
    vmx_policy_bitmaps(policy_of(v), phys_to_virt(a->io_bitmap_pa),
                       phys_to_virt(a->msr_bitmap_pa));
}

static void setup_host_state(void)
{
    struct x86_percpu *pc = this_x86_cpu();
    struct { uint16_t limit; uint64_t base; } __packed gdtr, idtr;

    __asm__ volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
    vmwrite(HOST_CR0, read_cr0());
    vmwrite(HOST_CR3, read_cr3());
    vmwrite(HOST_CR4, read_cr4());
    vmwrite(HOST_CS_SEL, SEL_CODE64);
    vmwrite(HOST_SS_SEL, SEL_DATA);
    vmwrite(HOST_DS_SEL, SEL_DATA);
    vmwrite(HOST_ES_SEL, SEL_DATA);
    vmwrite(HOST_FS_SEL, 0);
    vmwrite(HOST_GS_SEL, 0);
    vmwrite(HOST_TR_SEL, SEL_TSS);
    vmwrite(HOST_FS_BASE, rdmsr(MSR_FS_BASE));
    vmwrite(HOST_GS_BASE, (uintptr_t)pc);           /* arch_cpu_id() works after exits */
    vmwrite(HOST_TR_BASE, (uintptr_t)&pc->tss);
    vmwrite(HOST_GDTR_BASE, gdtr.base);
    vmwrite(HOST_IDTR_BASE, idtr.base);
    vmwrite(HOST_SYSENTER_CS, 0);
    vmwrite(HOST_SYSENTER_ESP, 0);
    vmwrite(HOST_SYSENTER_EIP, 0);
    vmwrite(HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
    vmwrite(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
    vmwrite(HOST_RIP, (uintptr_t)vmx_exit_point);
}

static void set_segment(enum vmcs_field sel, uint16_t s, uint32_t ar)
{
    /* selector, limit, access rights and base fields are laid out in parallel */
    uint32_t i = (sel - GUEST_ES_SEL) / 2;

    vmwrite(sel, s);
    vmwrite((enum vmcs_field)(GUEST_ES_LIMIT + 2 * i), 0xFFFFFFFF);
    vmwrite((enum vmcs_field)(GUEST_ES_AR + 2 * i), ar);
    vmwrite((enum vmcs_field)(GUEST_ES_BASE + 2 * i), 0);
}

/*
 * An application processor after INIT and a SIPI (SDM Vol. 3 9.1.1, Table
 * 9-1, and 10.4.7.3): real mode at CS = vector << 8 (base vector << 12),
 * IP 0, CR0 = 0x60000010 (CD, NW, ET), CR4/CR3/EFER 0, EDX the processor
 * signature, GDTR/IDTR base 0 limit 0xFFFF.  Unrestricted guest runs it as
 * it is; CR0.NE, which VMX fixes to 1, is the hypervisor's (the guest reads
 * its own value from the shadow).
 */
static void setup_guest_state_sipi(struct vcpu *v, uint8_t vector)
{
    uint64_t cr0 = 0x60000010;

    vmwrite(GUEST_CR0, vmx_fix_cr0(cr0, true));
    vmwrite(CR0_READ_SHADOW, cr0);
    vmwrite(GUEST_CR3, 0);
    vmwrite(GUEST_CR4, vmx_fix_cr4(0));
    vmwrite(GUEST_IA32_EFER, 0);
    vmwrite(GUEST_IA32_PAT, DEFAULT_PAT);
    vmwrite(GUEST_DR7, 0x400);
    vmwrite(GUEST_IA32_DEBUGCTL, 0);
    for (unsigned int i = 0; i < 6; i++) {           /* ES CS SS DS FS GS, laid out in parallel */
        bool cs = GUEST_ES_SEL + 2 * i == GUEST_CS_SEL;
        vmwrite((enum vmcs_field)(GUEST_ES_SEL + 2 * i), cs ? (uint16_t)(vector << 8) : 0);
        vmwrite((enum vmcs_field)(GUEST_ES_LIMIT + 2 * i), 0xFFFF);
        vmwrite((enum vmcs_field)(GUEST_ES_AR + 2 * i), cs ? 0x9B : 0x93);
        vmwrite((enum vmcs_field)(GUEST_ES_BASE + 2 * i), cs ? (uint64_t)vector << 12 : 0);
    }
    vmwrite(GUEST_LDTR_SEL, 0);
    vmwrite(GUEST_LDTR_AR, 0x82);
    vmwrite(GUEST_LDTR_LIMIT, 0xFFFF);
    vmwrite(GUEST_LDTR_BASE, 0);
    vmwrite(GUEST_TR_SEL, 0);
    vmwrite(GUEST_TR_AR, 0x8B);
    vmwrite(GUEST_TR_LIMIT, 0xFFFF);
    vmwrite(GUEST_TR_BASE, 0);
    vmwrite(GUEST_GDTR_BASE, 0);
    vmwrite(GUEST_GDTR_LIMIT, 0xFFFF);
    vmwrite(GUEST_IDTR_BASE, 0);
    vmwrite(GUEST_IDTR_LIMIT, 0xFFFF);
    vmwrite(GUEST_SYSENTER_CS, 0);
    vmwrite(GUEST_SYSENTER_ESP, 0);
    vmwrite(GUEST_SYSENTER_EIP, 0);
    vmwrite(GUEST_RIP, 0);
    vmwrite(GUEST_RSP, 0);
    vmwrite(GUEST_RFLAGS, 0x2);
    vmwrite(GUEST_INTERRUPTIBILITY, 0);
    vmwrite(GUEST_ACTIVITY_STATE, 0);
    vmwrite(GUEST_PENDING_DBG, 0);
    vmwrite(VMCS_LINK_POINTER, ~0ull);
    memset(&v->regs, 0, sizeof(v->regs));
    v->regs.rdx = cpuid(1, 0).eax;                  /* the processor signature */
}

static void setup_guest_state(const struct vcpu_boot *boot)
{
    uint16_t cs = boot->cs ? boot->cs : 0x08, ds = boot->ds ? boot->ds : 0x10;

    vmwrite(GUEST_CR0, vmx_fix_cr0(CR0_PE | CR0_PG | CR0_NE | CR0_WP | (1u << 4), false));
    vmwrite(CR0_READ_SHADOW, CR0_PE | CR0_PG | CR0_NE | CR0_WP | (1u << 4));
    vmwrite(GUEST_CR3, boot->cr3);
    vmwrite(GUEST_CR4, vmx_fix_cr4(CR4_PAE));
    vmwrite(GUEST_IA32_EFER, EFER_LME | EFER_LMA | EFER_NXE);
    vmwrite(GUEST_IA32_PAT, DEFAULT_PAT);
    vmwrite(GUEST_DR7, 0x400);
    vmwrite(GUEST_IA32_DEBUGCTL, 0);
    set_segment(GUEST_CS_SEL, cs, 0xA09B);         /* 64-bit code, DPL 0 */
    set_segment(GUEST_SS_SEL, ds, 0xC093);
    set_segment(GUEST_DS_SEL, ds, 0xC093);
    set_segment(GUEST_ES_SEL, ds, 0xC093);
    set_segment(GUEST_FS_SEL, ds, 0xC093);
    set_segment(GUEST_GS_SEL, ds, 0xC093);
    vmwrite(GUEST_LDTR_SEL, 0);
    vmwrite(GUEST_LDTR_AR, 1u << 16);               /* unusable */
    vmwrite(GUEST_LDTR_LIMIT, 0);
    vmwrite(GUEST_LDTR_BASE, 0);
    vmwrite(GUEST_TR_SEL, 0x18);
    vmwrite(GUEST_TR_AR, 0x8B);                     /* busy 64-bit TSS */
    vmwrite(GUEST_TR_LIMIT, 0x67);
    vmwrite(GUEST_TR_BASE, 0);
    vmwrite(GUEST_GDTR_BASE, boot->gdt_base);
    vmwrite(GUEST_GDTR_LIMIT, boot->gdt_base ? boot->gdt_limit : 0xFFFF);
    vmwrite(GUEST_IDTR_BASE, 0);
    vmwrite(GUEST_IDTR_LIMIT, 0xFFFF);
    vmwrite(GUEST_SYSENTER_CS, 0);
    vmwrite(GUEST_SYSENTER_ESP, 0);
    vmwrite(GUEST_SYSENTER_EIP, 0);
    vmwrite(GUEST_RIP, boot->rip);
    vmwrite(GUEST_RSP, boot->rsp);
    vmwrite(GUEST_RFLAGS, 0x2);
    vmwrite(GUEST_INTERRUPTIBILITY, 0);
    vmwrite(GUEST_ACTIVITY_STATE, 0);
    vmwrite(GUEST_PENDING_DBG, 0);
    vmwrite(VMCS_LINK_POINTER, ~0ull);
}

static int alloc_pages(struct arch_vcpu *a)
{
    int rc = mem_alloc_frames(1, 1, &a->vmcs_pa);

    if (!rc)
        rc = mem_alloc_frames(1, 1, &a->msr_bitmap_pa);
    if (!rc)
        rc = mem_alloc_frames(2, 1, &a->io_bitmap_pa);
    if (rc)
        return rc;
    *(uint32_t *)phys_to_virt(a->vmcs_pa) = vmx_caps.revision;
    memset(phys_to_virt(a->msr_bitmap_pa), 0xFF, PAGE_SIZE);
    memset(phys_to_virt(a->io_bitmap_pa), 0xFF, 2 * PAGE_SIZE);
    return 0;
}

static void free_pages(struct arch_vcpu *a)
{
    if (a->vmcs_pa)
        mem_free_frames(a->vmcs_pa, 1);
    if (a->msr_bitmap_pa)
        mem_free_frames(a->msr_bitmap_pa, 1);
    if (a->io_bitmap_pa)
        mem_free_frames(a->io_bitmap_pa, 2);
}

void vmx_vcpu_destroy(struct vcpu *v)
{
    struct arch_vcpu *a = v->arch;

    if (!a)
        return;
    if (a->vmcs_pa) {
        vmx_clear(a->vmcs_pa);
        if (this_x86_cpu()->current_vmcs == a->vmcs_pa)
            this_x86_cpu()->current_vmcs = 0;
    }
    vmx_invept(a->eptp);                /* its EPT frames may be reused */
    vpid_free(a->vpid);
    if (v->kind == VCPU_KIND_ISOLATED)
        x86_core_state_reset();         /* nothing of it stays in the core's registers */
    free_pages(a);
    mem_free_frames((uintptr_t)a, 1);
    v->arch = NULL;
}

int vmx_vcpu_create(struct vcpu *v, const struct vcpu_boot *boot)
{
    struct x86_percpu *pc = this_x86_cpu();
    uint64_t pa;
    int rc;

    if (!pc->vmx_on)
        return -ENODEV;
    if (mem_alloc_frames(1, 1, &pa))
        return -ENOMEM;
    struct arch_vcpu *a = phys_to_virt(pa);
    v->arch = a;
    v->home_cpu = pc->cpu;
    v->stop = VCPU_RUNNABLE;
    a->cpu = pc->cpu;
    a->eptp = ept_eptp(&v->dom->ept, false);
    a->vpid = vpid_alloc();
    a->timer_quantum = (uint32_t)(WATCHDOG_QUANTUM >> vmx_caps.preemption_shift);
    a->unrestricted = boot->sipi_start;
    if (a->unrestricted)
        a->timer_quantum = (uint32_t)MIN(UINT32_MAX, (arch_cycles_khz() * LINUX_AP_QUANTUM_MS) >>
                                                      vmx_caps.preemption_shift);
    rc = boot->sipi_start && (v->kind != VCPU_KIND_LINUX || !vmx_caps.has_unrestricted)
             ? -ENOTSUP : alloc_pages(a);
    if (!rc && (vmx_clear(a->vmcs_pa) || vmx_ptrld(a->vmcs_pa)))
        rc = -EIO;
    if (rc) {
        pr_err("vmx: %s/%u: cannot set up a VMCS (%s)\n", v->dom->name, v->id, errno_name(rc));
        vmx_vcpu_destroy(v);
        return rc;
    }
    pc->current_vmcs = a->vmcs_pa;
    if (v->kind == VCPU_KIND_ISOLATED)
        x86_core_state_reset();         /* it starts from the init state, not the last guest's */
    setup_controls(v, a);
    setup_host_state();
    if (boot->sipi_start) {
        setup_guest_state_sipi(v, boot->sipi_vector);
    } else {
        setup_guest_state(boot);
        v->regs.rsi = boot->rsi;
    }
    vmx_invept(a->eptp);                /* nothing stale from an earlier EPT at this root */
    rc = vmcs_check_writes("setting up the VMCS");
    if (rc)
        vmx_vcpu_destroy(v);
    return rc;
}

/*
 * A guest that enters long mode by itself (unrestricted guest, PG its own):
 * "IA-32e mode guest" must equal EFER.LMA at the next entry.  The CPU
 * stores LMA there on every exit (SDM Vol. 3 28.2; not relied on): set it
 * from the EFER the exit saved.
 */
void vmx_sync_ia32e_mode(void)
{
    uint64_t entry = vmread(ENTRY_CONTROLS);
    bool lma = vmread(GUEST_IA32_EFER) & EFER_LMA;

    if (!!(entry & ENTRY_IA32E_MODE_GUEST) != lma)
        vmwrite(ENTRY_CONTROLS, lma ? entry | ENTRY_IA32E_MODE_GUEST
                                    : entry & ~(uint64_t)ENTRY_IA32E_MODE_GUEST);
}

static void report_entry_failure(struct vcpu *v, int rc)
{
    const char *insn = v->arch->launched ? "VMRESUME" : "VMLAUNCH";

    if (rc == 1) {
        printk("vmx: %s/%u: %s failed: VMfailInvalid (no valid current VMCS)\n",
               v->dom->name, v->id, insn);
    } else {
        uint32_t err = (uint32_t)vmread(VM_INSTRUCTION_ERROR);
        printk("vmx: %s/%u: %s failed: VM-instruction error %u (%s)\n", v->dom->name, v->id,
               insn, err, vmx_instruction_error_name(err));
        vmcs_dump();
    }
    vmx_stop(v, VCPU_STOP_ENTRY_FAILED, 0, rc == 1 ? 0 : vmread(VM_INSTRUCTION_ERROR));
}

/* Exit reason with bit 31: the entry itself failed after the checks on controls/host. */
static void report_entry_exit_failure(struct vcpu *v, uint32_t reason)
{
    static const char *const qual[] = {
        [0] = "no detail", [2] = "loading PDPTEs failed", [3] = "NMI injection blocked",
        [4] = "invalid VMCS link pointer",
    };
    uint64_t q = vmread(EXIT_QUALIFICATION);
    uint32_t basic = reason & 0xFFFF;

    printk("vmx: %s/%u: VM entry failed: %s (exit reason %u with the failure bit), "
           "qualification %lu (%s)\n", v->dom->name, v->id, vmx_exit_reason_name(basic),
           basic, q, q < ARRAY_SIZE(qual) && qual[q] ? qual[q] : "?");
    vmcs_dump();
    vmx_stop(v, VCPU_STOP_ENTRY_FAILED, 0, reason);
}

int vmx_vcpu_run(struct vcpu *v)
{
    struct arch_vcpu *a = v->arch;
    struct x86_percpu *pc = this_x86_cpu();

    if (a->cpu != pc->cpu)
        panic("vCPU %s/%u runs on cpu %u but its VMCS lives on cpu %u",
              v->dom->name, v->id, pc->cpu, a->cpu);
    if (pc->current_vmcs != a->vmcs_pa) {
        vmx_ptrld(a->vmcs_pa);
        pc->current_vmcs = a->vmcs_pa;
    }
    unsigned long flags = arch_irq_save();
    v->stop = VCPU_RUNNABLE;
    for (;;) {
        /* before every entry, the first too: a debugger attached before the
         * start holds the vCPU at its first instruction */
        if (v->dbg.pause_req) {
            vcpu_debug_park(v);
            if (v->stop_requested) {        /* stopped or destroyed while parked */
                vmx_stop(v, VCPU_STOP_REQUESTED, 0, 0);
                break;
            }
        }
        vmwrite(GUEST_PREEMPTION_TIMER, a->timer_quantum);
        if (a->unrestricted)
            vmx_sync_ia32e_mode();
        int rc = vmx_enter(&v->regs, a->launched);
        if (rc) {
            report_entry_failure(v, rc);
            break;
        }
        uint32_t reason = (uint32_t)vmread(EXIT_REASON);
        if (reason & EXIT_REASON_ENTRY_FAILURE) {
            report_entry_exit_failure(v, reason);
            break;
        }
        a->launched = true;
        struct vmx_exit e = {
            .reason = reason & 0xFFFF,
            .qualification = vmread(EXIT_QUALIFICATION),
            .rip = vmread(GUEST_RIP),
            .instruction_length = (uint32_t)vmread(EXIT_INSTRUCTION_LENGTH),
        };
        if (!vmx_handle_exit(v, &e))
            break;
    }
    /* the state it stopped in stays for the debugger until the domain is destroyed */
    vmx_vcpu_save_state(v, &v->dbg.regs);
    v->dbg.event = LXDS_DBG_EV_STOPPED;
    arch_irq_restore(flags);
    return v->stop;
}
