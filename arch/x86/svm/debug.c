/*
 * The debugger's mechanism on SVM, on the vCPU's home core: the guest state
 * the VMCB holds saved and loaded for domains/debug.c, #BP and #DB
 * intercepted while a debugger is attached, single steps by RFLAGS.TF (AMD
 * has no monitor trap flag): the step's #DB (DR6.BS) parks the vCPU and TF
 * goes back to what the guest had.  #UD stays intercepted (VMCALL).
 */
#include <lxds/arch.h>
#include <lxds/hypercall_abi.h>
#include <lxds/vcpu.h>
#include <x86/cpu.h>
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
