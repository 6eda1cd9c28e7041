/*
 * The built-in virtualization self-tests (command line `selftest`), the same
 * for every backend: on this core, one small 64-bit guest per test, each in
 * its own domain with its own stage-2 table, each outcome printed by name;
 * the core is reused for the next guest.  Only the two "broken state" tests
 * ask the backend (x86_virt()->selftest_break) how to break a vCPU on purpose.
 * Guest programs: arch/x86/selftest_guest.asm (their hypercall is VMCALL:
 * under SVM it is met as #UD and taken as the hypercall).
 */
#include <lxds/arch.h>
#include <lxds/domain.h>
#include <lxds/errno.h>
#include <lxds/format.h>
#include <lxds/memory.h>
#include <lxds/printk.h>
#include <lxds/string.h>
#include <x86/cpu.h>
#include <x86/virt.h>

/* Guest-physical layout of a test guest (2 MiB of RAM at GPA 0) */
#define GUEST_RAM        MiB(2)
#define GUEST_PML4       0x1000
#define GUEST_PDPT       0x2000
#define GUEST_PD_LOW     0x3000          /* GPA 0..1 GiB */
#define GUEST_PD_HIGH    0x4000          /* GPA 1..2 GiB: page tables map it, EPT does not */
#define GUEST_CODE       0x10000
#define GUEST_STACK_TOP  0x1F0000
#define UNMAPPED_GPA     0x40000000ull
#define SECRET           0x5EC12E75EC12E7ull
#define SECRET_GPA       0x100000

enum { HC_ECHO = 1, HC_REPORT = 2, HC_DONE = 3 };
enum guest_entry {
    G_VMCALL, G_CPUID, G_EPT_VIOLATION, G_HLT, G_TRIPLE_FAULT, G_ENDLESS_LOOP,
    G_WRITE_SECRET, G_READ_SECRET, G_USER_VMCALL,
};

extern const char selftest_guest_start[], selftest_guest_end[];

struct test_guest {
    struct domain dom;
    struct vcpu vcpu;
    uint64_t ram_hpa;
    uint64_t reports[4];
    unsigned int nreports;
};

static enum hypercall_action selftest_hypercall(struct vcpu *v)
{
    struct test_guest *g = v->dom->priv;

    switch (v->regs.rax) {
    case HC_ECHO:
        v->regs.rax = v->regs.rbx + 1;
        return HC_RESUME;
    case HC_REPORT:
        if (g->nreports < ARRAY_SIZE(g->reports))
            g->reports[g->nreports++] = v->regs.rbx;
        v->regs.rax = 0;
        return HC_RESUME;
    case HC_DONE:
        return HC_STOP;
    default:
        v->regs.rax = (uint64_t)-ENOSYS;
        return HC_RESUME;
    }
}

/* Self-test guests are isolated like LXDs: every port, MSR and privileged operation stops them. */
static const struct exit_policy selftest_policy = {
    .name = "selftest",
    .ops = POLICY_OP(POLICY_OP_CR8_VIRTUAL),
    .refusal = POLICY_STOP,
};
static const struct domain_ops selftest_ops = { .hypercall = selftest_hypercall,
                                                .policy = &selftest_policy };

/* Identity page tables for the guest: 0..2 MiB present, 1 GiB..+2 MiB present too. */
static void build_guest_page_tables(uint8_t *ram)
{
    uint64_t *pml4 = (uint64_t *)(ram + GUEST_PML4), *pdpt = (uint64_t *)(ram + GUEST_PDPT);
    uint64_t *pd_low = (uint64_t *)(ram + GUEST_PD_LOW), *pd_high = (uint64_t *)(ram + GUEST_PD_HIGH);
    const uint64_t user_rw = 7, large = 0x80;       /* present, writable, user; 2 MiB page */

    pml4[0] = GUEST_PDPT | user_rw;
    pdpt[0] = GUEST_PD_LOW | user_rw;
    pdpt[1] = GUEST_PD_HIGH | user_rw;
    pd_low[0] = 0 | user_rw | large;
    pd_high[0] = UNMAPPED_GPA | user_rw | large;
}

static int guest_create(struct test_guest *g, const char *name, enum guest_entry entry)
{
    const uint64_t *entries = (const uint64_t *)selftest_guest_start;
    size_t code_len = (size_t)(selftest_guest_end - selftest_guest_start);
    int rc;

    memset(g, 0, sizeof(*g));
    rc = domain_init(&g->dom, name, &selftest_ops, g);
    if (rc)
        return rc;
    rc = mem_alloc_frames(GUEST_RAM / PAGE_SIZE, GUEST_RAM / PAGE_SIZE, &g->ram_hpa);
    if (rc) {
        domain_destroy(&g->dom);
        return rc;
    }
    uint8_t *ram = phys_to_virt(g->ram_hpa);
    build_guest_page_tables(ram);
    memcpy(ram + GUEST_CODE, selftest_guest_start, code_len);
    rc = ept_map(&g->dom.ept, 0, g->ram_hpa, GUEST_RAM, EPT_RWX, EPT_MT_WB);
    if (!rc) {
        struct vcpu_boot boot = { .rip = entries[entry], .rsp = GUEST_STACK_TOP,
                                  .cr3 = GUEST_PML4 };
        g->vcpu.dom = &g->dom;
        g->vcpu.watchdog_limit = 5;
        rc = arch_vcpu_create(&g->vcpu, &boot);
    }
    if (rc) {
        mem_free_frames(g->ram_hpa, GUEST_RAM / PAGE_SIZE);
        domain_destroy(&g->dom);
    }
    return rc;
}

static void guest_destroy(struct test_guest *g)
{
    arch_vcpu_destroy(&g->vcpu);        /* INVEPT before the frames go back */
    domain_destroy(&g->dom);
    mem_free_frames(g->ram_hpa, GUEST_RAM / PAGE_SIZE);
}

struct tally {
    unsigned int cpu, passed, failed;
};

static void verdict(struct tally *t, const char *test, bool ok, const struct vcpu *v,
                    const char *detail)
{
    printk("selftest cpu %u: %-16s %-24s %s%s%s\n", t->cpu, test, vcpu_stop_name(v->stop),
           ok ? "PASS" : "FAIL", detail[0] ? ": " : "", detail);
    if (ok)
        t->passed++;
    else
        t->failed++;
}

/* Creates, runs and destroys one guest; returns false if it could not even start. */
static bool run_guest(struct tally *t, struct test_guest *g, const char *test, enum guest_entry e)
{
    int rc = guest_create(g, test, e);

    if (rc) {
        printk("selftest cpu %u: %-16s could not create the guest: %s\n", t->cpu, test,
               errno_name(rc));
        t->failed++;
        return false;
    }
    arch_vcpu_run(&g->vcpu);
    return true;
}

static void test_vmcall(struct tally *t)
{
    struct test_guest g;
    char d[80];

    if (!run_guest(t, &g, "vmcall", G_VMCALL))
        return;
    fmt_snprintf(d, sizeof(d), "echo 41 -> %lu, handled and resumed", g.nreports ? g.reports[0] : 0);
    verdict(t, "vmcall", g.vcpu.stop == VCPU_STOP_REQUESTED && g.nreports == 1 &&
            g.reports[0] == 42 && g.vcpu.hypercalls == 3, &g.vcpu, d);
    guest_destroy(&g);
}

static void test_cpuid(struct tally *t)
{
    struct test_guest g;
    char d[96];
    uint32_t sig;

    if (!run_guest(t, &g, "cpuid", G_CPUID))
        return;
    memcpy(&sig, "lxds", 4);
    bool vmx_hidden = g.nreports >= 1 && !(g.reports[0] & CPUID1_ECX_VMX);
    bool hv_bit = g.nreports >= 1 && (g.reports[0] & CPUID1_ECX_HYPERVISOR);
    bool leaf = g.nreports >= 2 && (uint32_t)g.reports[1] == sig;
    fmt_snprintf(d, sizeof(d), "VMX %s, hypervisor bit %s, leaf 0x40000000 %s",
                 vmx_hidden ? "hidden" : "VISIBLE", hv_bit ? "set" : "CLEAR",
                 leaf ? "says lxds" : "WRONG");
    verdict(t, "cpuid", g.vcpu.stop == VCPU_STOP_REQUESTED && vmx_hidden && hv_bit && leaf,
            &g.vcpu, d);
    guest_destroy(&g);
}

static void test_stop(struct tally *t, const char *name, enum guest_entry e,
                      enum vcpu_stop expect, uint64_t expect_addr)
{
    struct test_guest g;
    char d[96];

    if (!run_guest(t, &g, name, e))
        return;
    fmt_snprintf(d, sizeof(d), "stopped at RIP %#lx%s", g.vcpu.stop_rip,
                 expect == VCPU_STOP_EPT_VIOLATION ? ", guest stopped, core survives" : "");
    if (expect == VCPU_STOP_EPT_VIOLATION)
        fmt_snprintf(d, sizeof(d), "GPA %#lx at RIP %#lx, guest stopped, core survives",
                     g.vcpu.stop_addr, g.vcpu.stop_rip);
    verdict(t, name, g.vcpu.stop == expect && g.vcpu.stop_addr == expect_addr, &g.vcpu, d);
    guest_destroy(&g);
}

/* Two guests at once: the second must not see the first one's memory. */
static void test_isolation(struct tally *t)
{
    struct test_guest a, b;
    uint64_t hpa;
    char d[120];

    if (!run_guest(t, &a, "isolation-a", G_WRITE_SECRET))
        return;
    uint64_t in_a = *(uint64_t *)phys_to_virt(a.ram_hpa + SECRET_GPA);
    if (!run_guest(t, &b, "isolation-b", G_READ_SECRET)) {
        guest_destroy(&a);
        return;
    }
    bool b_saw_zero = b.nreports == 1 && b.reports[0] == 0;
    bool a_wrote = in_a == SECRET;
    bool unmapped = ept_translate(&b.dom.ept, SECRET_GPA, &hpa, NULL, NULL, NULL) == 0 &&
                    (hpa < a.ram_hpa || hpa >= a.ram_hpa + GUEST_RAM);
    fmt_snprintf(d, sizeof(d), "first wrote %#lx, second read %#lx, EPTs %s",
                 in_a, b.nreports ? b.reports[0] : ~(uint64_t)0, unmapped ? "disjoint" : "OVERLAP");
    verdict(t, "isolation", a_wrote && b_saw_zero && unmapped, &b.vcpu, d);
    guest_destroy(&b);
    guest_destroy(&a);
}

static void test_user_vmcall(struct tally *t)
{
    struct test_guest g;

    if (!run_guest(t, &g, "user-vmcall", G_USER_VMCALL))
        return;
    verdict(t, "user-vmcall", g.vcpu.stop == VCPU_STOP_REQUESTED && g.nreports == 1 &&
            g.reports[0] == 0x0D06, &g.vcpu,
            g.nreports == 1 && g.reports[0] == 0x0D06 ? "ring-3 VMCALL got #UD" : "no #UD seen");
    guest_destroy(&g);
}

/* A deliberately broken VMCS/VMCB: the failure must be decoded, not hang. */
static void test_broken(struct tally *t, const char *name, enum x86_selftest_break how)
{
    uint64_t expect_detail;
    struct test_guest g;
    char d[80];
    int rc = guest_create(&g, name, G_VMCALL);

    if (rc) {
        printk("selftest cpu %u: %-16s could not create the guest: %s\n", t->cpu, name,
               errno_name(rc));
        t->failed++;
        return;
    }
    printk("selftest cpu %u: %s: %s on purpose\n", t->cpu, name,
           x86_virt()->selftest_break(&g.vcpu, how, &expect_detail));
    arch_vcpu_run(&g.vcpu);
    fmt_snprintf(d, sizeof(d), "decoded (detail %#lx)", g.vcpu.stop_detail);
    verdict(t, name, g.vcpu.stop == VCPU_STOP_ENTRY_FAILED && g.vcpu.stop_detail == expect_detail,
            &g.vcpu, d);
    guest_destroy(&g);
}

void arch_virt_selftest(unsigned int *passed, unsigned int *failed)
{
    struct tally t = { .cpu = arch_cpu_id() };

    test_vmcall(&t);
    test_cpuid(&t);
    test_stop(&t, "ept-violation", G_EPT_VIOLATION, VCPU_STOP_EPT_VIOLATION, UNMAPPED_GPA);
    test_stop(&t, "hlt", G_HLT, VCPU_STOP_HALTED, 0);
    test_stop(&t, "triple-fault", G_TRIPLE_FAULT, VCPU_STOP_TRIPLE_FAULT, 0);
    test_stop(&t, "endless-loop", G_ENDLESS_LOOP, VCPU_STOP_WATCHDOG, 0);
    test_isolation(&t);
    test_user_vmcall(&t);
    test_broken(&t, "bad-control", X86_BREAK_CONTROL);
    test_broken(&t, "bad-guest-state", X86_BREAK_GUEST_STATE);
    *passed = t.passed;
    *failed = t.failed;
}
