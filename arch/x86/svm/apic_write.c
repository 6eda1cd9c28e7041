/*
 * SVM's side of Linux's APIC-write emulation (x86/linux_apic.h): a nested
 * page fault that is a write to the read-only APIC page is decoded and
 * replayed as under VT-x; RIP moves past the instruction (QEMU TCG has no
 * decode assists, so the decoder reads it from guest memory either way).
 */
#include <lxds/domain.h>
#include <lxds/exit_policy.h>
#include <x86/linux_apic.h>
#include <x86/svm_apic_write.h>
#include <x86/svm_vcpu.h>
#include <x86/vmcb.h>

#define NPF_WRITE   (1ull << 1)     /* EXITINFO1: the access was a write */
#define NPF_FETCH   (1ull << 4)     /* ... an instruction fetch */
#define VECTOR_GP   13

bool svm_apic_write(struct vcpu *v, const struct svm_exit *e)
{
    struct vmcb_save *g = &svm_of(v)->vmcb->save;
    struct vcpu_regs *r = &v->regs;

    if (!(e->info1 & NPF_WRITE) || (e->info1 & NPF_FETCH) || !v->dom->ops ||
        !policy_allows(v->dom->ops->policy, POLICY_OP_APIC_WRITES) || !x86_linux_apic_page(e->info2))
        return false;

    struct apic_write_exit x = {
        .gpa = e->info2, .rip = g->cs.base + e->rip,
        .paging = { .cr0 = g->cr0, .cr3 = g->cr3, .cr4 = g->cr4, .efer = g->efer },
        .gpr = { &r->rax, &r->rcx, &r->rdx, &r->rbx, NULL, &r->rbp, &r->rsi, &r->rdi,
                 &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15 },
    };
    unsigned int len = x86_linux_apic_write(v, &v->dom->ept, &x);

    if (!len) {
        svm_inject_exception(v, VECTOR_GP, 0);
        return true;
    }
    g->rip = e->rip + len;
    svm_of(v)->vmcb->ctl.interrupt_shadow = 0;
    return true;
}
