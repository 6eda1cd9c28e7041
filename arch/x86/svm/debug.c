/*
 * The debugger's mechanism on SVM, on the vCPU's home core: the guest state
 * the VMCB holds saved and loaded for domains/debug.c, #BP and #DB
 * intercepted while a debugger is attached, single steps by RFLAGS.TF (AMD
 * has no monitor trap flag): the step's #DB (DR6.BS) parks the vCPU and TF
 * goes back to what the guest had.  #UD stays intercepted (VMCALL).
 * Hardware breakpoints: DR0-3 are the core's, DR7 the VMCB's; DR6's B0-B3
 * in the VMCB say which slot matched.
 *
 * int3: on AMD hardware it raises #BP, which the exception intercept
 * catches; QEMU TCG (7.2, target/i386/tcg/excp_helper.c raise_interrupt2)
 * checks only the INTn intercept (SVM_EXIT_SWINT) for it, never #BP's.  So
 * both are intercepted while attached; a SWINT exit at a 0xCC byte is the
 * debugger's breakpoint (RIP at the int3, as on VT-x), any other INT n then
 * stops the domain as an unexpected exit (LXDs make none).
 */
#include <lxds/arch.h>
#include <lxds/debug.h>
#include <lxds/domain.h>
#include <lxds/ept.h>
#include <lxds/hypercall_abi.h>
#include <lxds/memory.h>
#include <lxds/vcpu.h>
#include <x86/cpu.h>
#include <x86/debug_regs.h>
#include <x86/svm_vcpu.h>

#define RFLAGS_RF        (1ull << 16)
#define VECTOR_DB        1
#define VECTOR_BP        3
#define DR6_BS           (1ull << 14)
#define RFLAGS_DEBUGGER_MAY_SET 0xCD5ull    /* CF PF AF ZF SF TF DF OF */

void svm_vcpu_save_state(struct vcpu *v, struct lxds_debug_regs *r)
{
    const struct vmcb_save *g = &svm_of(v)->vmcb->save;
    const struct vcpu_regs *x = &v->regs;
    uint64_t rflags = g->rflags;

    if (v->dbg.stepping)                    /* the debugger's TF is not the guest's */
        rflags = (rflags & ~RFLAGS_TF) | (v->dbg.guest_tf ? RFLAGS_TF : 0);
    r->gpr[0] = x->rax; r->gpr[1] = x->rbx; r->gpr[2] = x->rcx; r->gpr[3] = x->rdx;
    r->gpr[4] = x->rsi; r->gpr[5] = x->rdi; r->gpr[6] = x->rbp; r->gpr[7] = g->rsp;
    r->gpr[8] = x->r8; r->gpr[9] = x->r9; r->gpr[10] = x->r10; r->gpr[11] = x->r11;
    r->gpr[12] = x->r12; r->gpr[13] = x->r13; r->gpr[14] = x->r14; r->gpr[15] = x->r15;
    r->rip = g->rip;
    r->rflags = rflags;
    r->cr0 = g->cr0;
    r->cr2 = g->cr2;
    r->cr3 = g->cr3;
    r->cr4 = g->cr4;
    r->fs_base = g->fs.base;
    r->gs_base = g->gs.base;
    r->cs = g->cs.sel;
    r->ss = g->ss.sel;
    r->ds = g->ds.sel;
    r->es = g->es.sel;
    r->fs = g->fs.sel;
    r->gs = g->gs.sel;
}

/* What the debugger may change: as on VT-x (arch/x86/vmx/debug.c). */
void svm_vcpu_load_state(struct vcpu *v, const struct lxds_debug_regs *r)
{
    struct vmcb_save *g = &svm_of(v)->vmcb->save;
    struct vcpu_regs *x = &v->regs;

    x->rax = r->gpr[0]; x->rbx = r->gpr[1]; x->rcx = r->gpr[2]; x->rdx = r->gpr[3];
    x->rsi = r->gpr[4]; x->rdi = r->gpr[5]; x->rbp = r->gpr[6];
    x->r8 = r->gpr[8]; x->r9 = r->gpr[9]; x->r10 = r->gpr[10]; x->r11 = r->gpr[11];
    x->r12 = r->gpr[12]; x->r13 = r->gpr[13]; x->r14 = r->gpr[14]; x->r15 = r->gpr[15];
    g->rsp = r->gpr[7];
    g->rip = r->rip;
    g->rflags = (g->rflags & ~RFLAGS_DEBUGGER_MAY_SET) | (r->rflags & RFLAGS_DEBUGGER_MAY_SET);
    v->dbg.guest_tf = (g->rflags & RFLAGS_TF) != 0;
    if ((r->fs_base >> 47) == 0 || (r->fs_base >> 47) == 0x1FFFF)   /* canonical only */
        g->fs.base = r->fs_base;
    if ((r->gs_base >> 47) == 0 || (r->gs_base >> 47) == 0x1FFFF)
        g->gs.base = r->gs_base;
}

void svm_vcpu_debug_apply(struct vcpu *v)
{
    struct svm_vcpu *s = svm_of(v);
    struct vmcb_save *g = &s->vmcb->save;

    svm_intercept_exception(s, VECTOR_DB, v->dbg.attached);
    svm_intercept_exception(s, VECTOR_BP, v->dbg.attached);
    if (v->dbg.attached)
        s->vmcb->ctl.intercept1 |= SVM_I1_INTN;
    else
        s->vmcb->ctl.intercept1 &= ~SVM_I1_INTN;
    if (v->dbg.attached && v->dbg.step) {
        if (!v->dbg.stepping)
            v->dbg.guest_tf = (g->rflags & RFLAGS_TF) != 0;
        v->dbg.stepping = true;
        g->rflags |= RFLAGS_TF | RFLAGS_RF;
        s->vmcb->ctl.interrupt_shadow = 0;
    } else if (v->dbg.stepping) {
        v->dbg.stepping = false;
        g->rflags = (g->rflags & ~RFLAGS_TF) | (v->dbg.guest_tf ? RFLAGS_TF : 0);
    }
    v->dbg.step = false;
    x86_debug_load_addrs(v);
    g->dr7 = x86_debug_dr7(v);
    v->dbg.hw_dirty = false;
    /* an execution breakpoint is a fault: resume past it with RF */
    if (v->dbg.attached && v->dbg.event == LXDS_DBG_EV_HWBREAK &&
        x86_debug_hit_exec(v, v->dbg.hw_hit))
        g->rflags |= RFLAGS_RF;
}

/* An intercepted #BP/#DB: true when it was the debugger's (the vCPU parks after this exit). */
bool svm_debug_exception(struct vcpu *v, unsigned int vector)
{
    struct vmcb_save *g = &svm_of(v)->vmcb->save;

    if (!v->dbg.attached)
        return false;
    if (vector == VECTOR_BP) {
        v->dbg.event = LXDS_DBG_EV_BREAKPOINT;  /* RIP is the int3's own address */
        v->dbg.pause_req = true;
        return true;
    }
    uint32_t hits = vector == VECTOR_DB ? x86_debug_hits(v, g->dr6) : 0;
    if (hits) {
        if (v->dbg.stepping) {
            v->dbg.stepping = false;
            g->rflags = (g->rflags & ~RFLAGS_TF) | (v->dbg.guest_tf ? RFLAGS_TF : 0);
        }
        g->dr6 &= ~(0xFull | DR6_BS);
        v->dbg.hw_hit = hits;
        v->dbg.event = LXDS_DBG_EV_HWBREAK;
        v->dbg.pause_req = true;
        return true;
    }
    if (vector == VECTOR_DB && v->dbg.stepping && (g->dr6 & DR6_BS)) {
        v->dbg.stepping = false;
        g->rflags = (g->rflags & ~RFLAGS_TF) | (v->dbg.guest_tf ? RFLAGS_TF : 0);
        g->dr6 &= ~DR6_BS;
        v->dbg.event = LXDS_DBG_EV_STEP;
        v->dbg.pause_req = true;
        return true;
    }
    return false;
}

bool svm_debug_swint(struct vcpu *v)
{
    const struct vmcb_save *g = &svm_of(v)->vmcb->save;
    uint64_t gpa, hpa;

    if (!v->dbg.attached)
        return false;
    /* no decode assists: read the opcode through the domain's page tables */
    if (debug_translate(&v->dom->ept, g->cr3, g->rip, &gpa) ||
        ept_translate(&v->dom->ept, gpa, &hpa, NULL, NULL, NULL) ||
        *(const volatile uint8_t *)phys_to_virt(hpa) != 0xCC)
        return false;
    v->dbg.event = LXDS_DBG_EV_BREAKPOINT;  /* RIP is the int3's own address */
    v->dbg.pause_req = true;
    return true;
}
