/* The running core: its identity (via GS), interrupts flag, features, boot-core set-up. */
#include <lxds/arch.h>
#include <lxds/cpu.h>
#include <lxds/multiboot2.h>
#include <lxds/printk.h>
#include <lxds/string.h>
#include <x86/acpi.h>
#include <x86/cpu.h>
#include <x86/lapic.h>
#include <x86/percpu.h>
#include <x86/trap.h>
#include <x86/virt.h>

extern uint32_t boot_has_vmx;           /* set by boot/entry.asm from CPUID.1:ECX */
extern char boot_stack_top[];

static struct x86_percpu percpu[MAX_CPUS];

_Static_assert(MAX_CPUS == CONFIG_MAX_CPUS, "per-core tables disagree");

struct x86_percpu *x86_cpu(unsigned int cpu)
{
    return &percpu[cpu];
}

/* GS base points at the core's x86_percpu; the core index is read through it. */
void x86_set_this_cpu(unsigned int cpu)
{
    percpu[cpu].cpu = cpu;
    wrmsr(MSR_GS_BASE, (uintptr_t)&percpu[cpu]);
}

struct x86_percpu *this_x86_cpu(void)
{
    return (struct x86_percpu *)rdmsr(MSR_GS_BASE);
}

unsigned int arch_cpu_id(void)
{
    unsigned int id;

    __asm__ volatile("movl %%gs:%c1, %0" : "=r"(id)
                     : "i"(__builtin_offsetof(struct x86_percpu, cpu)));
    return id;
}

void arch_cpu_relax(void)
{
    cpu_pause();
}

unsigned long arch_irq_save(void)
{
    unsigned long f = read_rflags();

    cli();
    return f;
}

void arch_irq_restore(unsigned long flags)
{
    if (flags & RFLAGS_IF)
        sti();
}

void arch_describe_cpu(void)
{
    char brand[49] = { 0 };
    struct cpuid_regs r = cpuid(0x80000000, 0);

    if (r.eax >= 0x80000004) {
        for (uint32_t i = 0; i < 3; i++) {
            struct cpuid_regs b = cpuid(0x80000002 + i, 0);
            memcpy(brand + 16 * i, &b, 16);
        }
    } else {
        memcpy(brand, "unknown model", 14);
    }
    const char *name = brand;
    while (*name == ' ')
        name++;
    struct cpuid_regs f = cpuid(1, 0);
    bool svm = cpuid(0x80000000, 0).eax >= 0x80000001 && (cpuid(0x80000001, 0).ecx & (1u << 2));
    printk("cpu: %s (family %u model %u), VT-x %s, AMD SVM %s%s\n", name,
           ((f.eax >> 8) & 0xF) + ((f.eax >> 20) & 0xFF), ((f.eax >> 4) & 0xF) | ((f.eax >> 12) & 0xF0),
           boot_has_vmx ? "present" : "absent", svm ? "present" : "absent",
           f.ecx & CPUID1_ECX_HYPERVISOR ? ", running under a hypervisor" : "");
}

/* The first thing on the boot core, before any printk: GS and the console. */
void arch_early_init(void)
{
    x86_set_this_cpu(0);
    arch_console_init();
}

/*
 * The FPU usable by the hypervisor's own FXRSTOR/XRSTOR (it never computes
 * with it: it is built with -mgeneral-regs-only): CR0.EM and TS clear, MP
 * set; CR4.OSFXSR, so FXRSTOR resets the XMM registers between guests; and
 * CR4.OSXSAVE, so it can execute XSETBV for Linux and XRSTOR.
 */
void x86_cpu_features_enable(void)
{
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    if (cpuid(1, 0).ecx & (1u << 26))
        write_cr4(read_cr4() | CR4_OSXSAVE);
}

void arch_init_boot_cpu(const struct mb2_info *mbi)
{
    struct x86_percpu *pc = &percpu[0];
    const char *why = NULL;

    pc->stack_top = (uintptr_t)boot_stack_top;
    x86_idt_init();
    x86_idt_load();
    x86_gdt_load(pc);
    write_cr0(read_cr0() | CR0_WP | CR0_NE);
    x86_cpu_features_enable();
    if (acpi_init(mbi->rsdp, mbi->rsdp_len, &acpi, &why))
        pr_warn("acpi: %s; only the boot core is used\n", why);
    x86_lapic_init(acpi.lapic_base ? acpi.lapic_base
                                   : rdmsr(MSR_IA32_APIC_BASE) & ~0xFFFull);
    x86_lapic_enable();
    x86_time_calibrate();
}

/* TPR 0 first: whatever a guest left there must not mask the wake-up IPI. */
void arch_wait_for_kick(void)
{
    write_cr8(0);
    __asm__ volatile("sti; hlt; cli" ::: "memory");
}

void arch_kick_cpu(unsigned int cpu)
{
    x86_lapic_send_ipi(cpus[cpu].arch_id, VECTOR_WAKEUP);
}

/*
 * The only vCPUs this is asked for are Linux's other cores.  Under VT-x
 * nothing is sent: they have the VMX-preemption timer on (arch/x86/vmx/
 * vcpu.c, every 10 ms of TSC time, halted or not), and the run loop sees
 * the stop request at that exit.  An INIT would make the exit at once on
 * hardware (in VMX non-root it is a VM exit), but Bochs 2.7 leaves the INIT
 * pending after that exit, so every later VM entry on the core exits again
 * (seen: the restarted core never ran).  SVM has no such timer: its
 * backend sends an NMI (arch/x86/svm/vcpu.c).
 */
void arch_force_guest_exit(unsigned int cpu)
{
    const struct x86_virt_backend *b = x86_virt();

    if (b && b->force_guest_exit)
        b->force_guest_exit(cpu);
}
