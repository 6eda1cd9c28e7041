/*
 * The debugger's mechanism on VMX, on the vCPU's home core: the guest state
 * the VMCS holds (RIP, RFLAGS, RSP, control registers, segments) saved and
 * loaded for domains/debug.c, #BP and #DB intercepted while a debugger is
 * attached, and single steps by RFLAGS.TF (the monitor trap flag would be
 * cleaner, but Bochs never delivers it, and AMD has none): the step's #DB
 * exit parks the vCPU and TF goes back to what the guest had.  Hardware
 * breakpoints: the slots in DR0-3 (the core's) and the guest DR7 (the
 * VMCS's, loaded at entry); a #DB exit's qualification says which matched.
 */
#include <lxds/arch.h>
#include <lxds/hypercall_abi.h>
#include <lxds/vcpu.h>
#include <x86/cpu.h>
#include <x86/debug_regs.h>
#include <x86/vmcs.h>
#include <x86/vmx_vcpu.h>

#define RFLAGS_RF        (1ull << 16)
#define VECTOR_DB        1
#define VECTOR_BP        3
#define DB_QUAL_BS       (1ull << 14)       /* exit qualification of #DB: single step */
#define INTR_TYPE_MASK   (7u << 8)
#define INTR_TYPE_SW_EXC (6u << 8)          /* int3 */
#define INTERRUPTIBILITY_STI_MOVSS 3u

/* struct vcpu_regs order (rax rbx rcx rdx rsi rdi rbp r8..r15) <-> gdb's (rsp at 7). */
static void gprs_to_debug(const struct vcpu_regs *g, uint64_t rsp, uint64_t out[16])
{
    out[0] = g->rax; out[1] = g->rbx; out[2] = g->rcx; out[3] = g->rdx;
    out[4] = g->rsi; out[5] = g->rdi; out[6] = g->rbp; out[7] = rsp;
    out[8] = g->r8; out[9] = g->r9; out[10] = g->r10; out[11] = g->r11;
    out[12] = g->r12; out[13] = g->r13; out[14] = g->r14; out[15] = g->r15;
}

static void gprs_from_debug(struct vcpu_regs *g, const uint64_t in[16])
{
    g->rax = in[0]; g->rbx = in[1]; g->rcx = in[2]; g->rdx = in[3];
    g->rsi = in[4]; g->rdi = in[5]; g->rbp = in[6];
    g->r8 = in[8]; g->r9 = in[9]; g->r10 = in[10]; g->r11 = in[11];
    g->r12 = in[12]; g->r13 = in[13]; g->r14 = in[14]; g->r15 = in[15];
}

void vmx_vcpu_save_state(struct vcpu *v, struct lxds_debug_regs *r)
{
    uint64_t rflags = vmread(GUEST_RFLAGS);

    if (v->dbg.stepping)                    /* the debugger's TF is not the guest's */
        rflags = (rflags & ~RFLAGS_TF) | (v->dbg.guest_tf ? RFLAGS_TF : 0);
    gprs_to_debug(&v->regs, vmread(GUEST_RSP), r->gpr);
    r->rip = vmread(GUEST_RIP);
    r->rflags = rflags;
    r->cr0 = vmread(CR0_READ_SHADOW);       /* what the guest believes it wrote */
    r->cr2 = read_cr2();                    /* not in the VMCS: the core's own, still the guest's */
    r->cr3 = vmread(GUEST_CR3);
    r->cr4 = vmread(CR4_READ_SHADOW);
    r->fs_base = vmread(GUEST_FS_BASE);
    r->gs_base = vmread(GUEST_GS_BASE);
    r->cs = (uint16_t)vmread(GUEST_CS_SEL);
    r->ss = (uint16_t)vmread(GUEST_SS_SEL);
    r->ds = (uint16_t)vmread(GUEST_DS_SEL);
    r->es = (uint16_t)vmread(GUEST_ES_SEL);
    r->fs = (uint16_t)vmread(GUEST_FS_SEL);
    r->gs = (uint16_t)vmread(GUEST_GS_SEL);
}

/*
 * What the debugger may change: the general registers, RIP, the arithmetic
 * and direction flags (not IF, IOPL, VM or anything that changes how the CPU
 * runs the guest: those keep the guest's values), and the FS/GS bases.
 * Control registers and selectors are shown, never loaded: a bad value there
 * would make the next VM entry fail instead of the domain misbehaving.
 */
#define RFLAGS_DEBUGGER_MAY_SET 0xCD5ull    /* CF PF AF ZF SF TF DF OF */

void vmx_vcpu_load_state(struct vcpu *v, const struct lxds_debug_regs *r)
{
    uint64_t rflags = vmread(GUEST_RFLAGS);

    gprs_from_debug(&v->regs, r->gpr);
    vmwrite(GUEST_RSP, r->gpr[7]);
    vmwrite(GUEST_RIP, r->rip);
    rflags = (rflags & ~RFLAGS_DEBUGGER_MAY_SET) | (r->rflags & RFLAGS_DEBUGGER_MAY_SET);
    v->dbg.guest_tf = (rflags & RFLAGS_TF) != 0;
    vmwrite(GUEST_RFLAGS, rflags);
    if ((r->fs_base >> 47) == 0 || (r->fs_base >> 47) == 0x1FFFF)   /* canonical only */
        vmwrite(GUEST_FS_BASE, r->fs_base);
    if ((r->gs_base >> 47) == 0 || (r->gs_base >> 47) == 0x1FFFF)
        vmwrite(GUEST_GS_BASE, r->gs_base);
}

void vmx_vcpu_debug_apply(struct vcpu *v)
{
    uint64_t rflags = vmread(GUEST_RFLAGS);

    vmwrite(EXCEPTION_BITMAP, v->dbg.attached ? (1u << VECTOR_DB) | (1u << VECTOR_BP) : 0);
    if (v->dbg.attached && v->dbg.step) {
        if (!v->dbg.stepping)
            v->dbg.guest_tf = (rflags & RFLAGS_TF) != 0;
        v->dbg.stepping = true;
        /* RF: the instruction at RIP must not raise an instruction breakpoint again */
        vmwrite(GUEST_RFLAGS, rflags | RFLAGS_TF | RFLAGS_RF);
        /* a step right after STI or MOV SS would be delayed by one instruction */
        vmwrite(GUEST_INTERRUPTIBILITY,
                vmread(GUEST_INTERRUPTIBILITY) & ~(uint64_t)INTERRUPTIBILITY_STI_MOVSS);
    } else if (v->dbg.stepping) {
        v->dbg.stepping = false;
        vmwrite(GUEST_RFLAGS, (rflags & ~RFLAGS_TF) | (v->dbg.guest_tf ? RFLAGS_TF : 0));
    }
    v->dbg.step = false;
    x86_debug_load_addrs(v);
    vmwrite(GUEST_DR7, x86_debug_dr7(v));
    v->dbg.hw_dirty = false;
    /* an execution breakpoint is a fault: RIP is still at it, and without RF
     * the same breakpoint would stop it again before it ran one instruction */
    if (v->dbg.attached && v->dbg.event == LXDS_DBG_EV_HWBREAK &&
        x86_debug_hit_exec(v, v->dbg.hw_hit))
        vmwrite(GUEST_RFLAGS, vmread(GUEST_RFLAGS) | RFLAGS_RF);
}

/*
 * An exception exit while a debugger may be attached.  Returns true when it
 * was the debugger's (the vCPU parks at the end of this exit), false when the
 * exception is the domain's own (it is handled as without a debugger).
 */
bool vmx_debug_exception(struct vcpu *v, uint32_t intr_info, uint64_t qualification)
{
    unsigned int vector = intr_info & 0xFF;

    if (!v->dbg.attached)
        return false;
    if (vector == VECTOR_BP && (intr_info & INTR_TYPE_MASK) == INTR_TYPE_SW_EXC) {
        /* RIP is the int3's own address (the exit came before it completed):
         * that is where gdb's breakpoint is, so report it there */
        v->dbg.event = LXDS_DBG_EV_BREAKPOINT;
        v->dbg.pause_req = true;
        return true;
    }
    uint32_t hits = vector == VECTOR_DB ? x86_debug_hits(v, qualification) : 0;
    if (hits) {
        /* a data match is a trap (RIP after the access), an execution match
         * a fault (RIP at it); a step that also matched reports the match */
        if (v->dbg.stepping) {
            uint64_t rflags = vmread(GUEST_RFLAGS);

            v->dbg.stepping = false;
            vmwrite(GUEST_RFLAGS, (rflags & ~RFLAGS_TF) | (v->dbg.guest_tf ? RFLAGS_TF : 0));
        }
        v->dbg.hw_hit = hits;
        v->dbg.event = LXDS_DBG_EV_HWBREAK;
        v->dbg.pause_req = true;
        return true;
    }
    if (vector == VECTOR_DB && v->dbg.stepping && (qualification & DB_QUAL_BS)) {
        uint64_t rflags = vmread(GUEST_RFLAGS);

        v->dbg.stepping = false;
        vmwrite(GUEST_RFLAGS, (rflags & ~RFLAGS_TF) | (v->dbg.guest_tf ? RFLAGS_TF : 0));
        v->dbg.event = LXDS_DBG_EV_STEP;
        v->dbg.pause_req = true;
        return true;
    }
    return false;
}
