/*
 * CPU exceptions in the hypervisor itself: say which, where and with what
 * registers, then stop.  A fault on the boot core ends the run (power off);
 * a fault on another core stops only that core.
 */
#include <lxds/arch.h>
#include <lxds/printk.h>
#include <x86/cpu.h>
#include <x86/percpu.h>
#include <x86/trap.h>

static const struct { const char *mnemonic, *name; } exceptions[32] = {
    [0] = { "#DE", "Divide Error" },         [1] = { "#DB", "Debug" },
    [2] = { "NMI", "Non-Maskable Interrupt" }, [3] = { "#BP", "Breakpoint" },
    [4] = { "#OF", "Overflow" },             [5] = { "#BR", "BOUND Range Exceeded" },
    [6] = { "#UD", "Invalid Opcode" },       [7] = { "#NM", "Device Not Available" },
    [8] = { "#DF", "Double Fault" },         [9] = { "CSO", "Coprocessor Segment Overrun" },
    [10] = { "#TS", "Invalid TSS" },         [11] = { "#NP", "Segment Not Present" },
    [12] = { "#SS", "Stack-Segment Fault" }, [13] = { "#GP", "General Protection" },
    [14] = { "#PF", "Page Fault" },          [16] = { "#MF", "x87 Floating-Point Error" },
    [17] = { "#AC", "Alignment Check" },     [18] = { "#MC", "Machine Check" },
    [19] = { "#XM", "SIMD Floating-Point" }, [20] = { "#VE", "Virtualization Exception" },
    [21] = { "#CP", "Control Protection" },  [28] = { "#HV", "Hypervisor Injection" },
    [29] = { "#VC", "VMM Communication" },   [30] = { "#SX", "Security Exception" },
};

const char *x86_exception_mnemonic(unsigned int v)
{
    return v < 32 && exceptions[v].mnemonic ? exceptions[v].mnemonic : "#??";
}

const char *x86_exception_name(unsigned int v)
{
    return v < 32 && exceptions[v].name ? exceptions[v].name : "Reserved";
}

static void describe_page_fault(uint64_t err)
{
    printk("  page fault at CR2=%#lx: %s, %s access, %s mode%s%s\n", read_cr2(),
           err & 1 ? "protection violation" : "page not present",
           err & 16 ? "instruction fetch" : err & 2 ? "write" : "read",
           err & 4 ? "user" : "supervisor",
           err & 8 ? ", reserved bit set" : "", err & 32 ? ", protection key" : "");
}

static void dump_frame(const struct trap_frame *f)
{
    printk("  RIP=%016lx CS=%04lx RFLAGS=%016lx RSP=%016lx SS=%04lx\n",
           f->rip, f->cs, f->rflags, f->rsp, f->ss);
    printk("  RAX=%016lx RBX=%016lx RCX=%016lx RDX=%016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
    printk("  RSI=%016lx RDI=%016lx RBP=%016lx R8 =%016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
    printk("  R9 =%016lx R10=%016lx R11=%016lx R12=%016lx\n", f->r9, f->r10, f->r11, f->r12);
    printk("  R13=%016lx R14=%016lx R15=%016lx\n", f->r13, f->r14, f->r15);
    printk("  CR0=%016lx CR3=%016lx CR4=%016lx\n", read_cr0(), read_cr3(), read_cr4());
}

void x86_trap(struct trap_frame *f)
{
    unsigned int cpu = arch_cpu_id();

    if (f->vector == 2) {           /* an NMI (a guest can send one) stops nothing */
        uint32_t *expected = &this_x86_cpu()->nmis_expected;
        if (__atomic_load_n(expected, __ATOMIC_RELAXED)) {
            __atomic_fetch_sub(expected, 1, __ATOMIC_RELAXED);  /* arch_force_guest_exit's */
            return;
        }
        printk("cpu %u: NMI at RIP %#lx ignored\n", cpu, f->rip);
        return;
    }
    printk("\nEXCEPTION %s (%s, vector %lu) on cpu %u, error code %#lx\n",
           x86_exception_mnemonic(f->vector), x86_exception_name(f->vector),
           f->vector, cpu, f->error_code);
    if (f->vector == 14)
        describe_page_fault(f->error_code);
    dump_frame(f);
    if (f->vector == 3) {           /* a breakpoint is a trap: resume after it */
        printk("breakpoint: resuming at %#lx\n", f->rip);
        return;
    }
    if (cpu == 0) {
        printk("the boot core cannot go on: powering off\n");
        arch_poweroff();
    }
    printk("cpu %u stopped; the other cores go on\n", cpu);
    arch_halt_cpu();
}

int arch_raise_test_exception(const char *name)
{
    volatile int zero = 0;

    printk("test_exception: raising %s on purpose\n", name);
    switch (name[0]) {
    case 'd': return 1 / zero;                                          /* de */
    case 'u': __asm__ volatile("ud2"); break;                           /* ud */
    case 'b': __asm__ volatile("int3"); return 0;                       /* bp: returns */
    case 'g': wrmsr(0xDEADBEEF, 0); break;                              /* gp */
    case 'p': return *(volatile int *)0xFFFF800000000000ull;            /* pf */
    }
    return -1;
}
