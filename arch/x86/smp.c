/*
 * Starting the other cores: copy the real-mode trampoline below 1 MiB, then
 * for each core the MADT lists send INIT-SIPI-SIPI to its APIC ID and wait
 * until it reports in.
 *
 * Every core the firmware lists must end in VMX root operation, where INIT
 * is blocked: a core left in wait-for-SIPI (it failed to start, failed
 * VMXON, or lies past MAX_CPUS or the table) could be started by Linux with
 * INIT-SIPI and run Linux's code with no EPT.  So such a core refuses the
 * boot.  "Online capable" cores (MADT flags bit 1) are started like enabled
 * ones; one that does not answer is taken to be absent (a hot-plug slot),
 * as nothing can start it.
 */
#include <lxds/arch.h>
#include <lxds/cmdline.h>
#include <lxds/cpu.h>
#include <lxds/errno.h>
#include <lxds/printk.h>
#include <lxds/string.h>
#include <x86/acpi.h>
#include <x86/cpu.h>
#include <x86/lapic.h>
#include <x86/percpu.h>
#include <x86/virt.h>

#define TRAMPOLINE_BASE     0x8000ul
#define START_TIMEOUT_US    200000      /* per core; Bochs at low ips is slow */

/* Mirrors the parameter block at offset 8 of boot/ap_trampoline.asm. */
struct ap_trampoline_params {
    uint64_t cr3, efer, stack, entry, cpu;
    uint32_t started, pad;
};

extern const char ap_trampoline_start[], ap_trampoline_end[];

static uint8_t cpu_stacks[MAX_CPUS][CPU_STACK_SIZE] __aligned(4096);

static volatile struct ap_trampoline_params *const params =
    (volatile struct ap_trampoline_params *)(TRAMPOLINE_BASE + 8);

static void __noreturn ap_entry(uint64_t cpu)
{
    struct x86_percpu *pc = x86_cpu((unsigned int)cpu);

    x86_set_this_cpu((unsigned int)cpu);
    x86_idt_load();
    x86_gdt_load(pc);
    write_cr0(read_cr0() | CR0_WP | CR0_NE);
    x86_cpu_features_enable();
    x86_lapic_enable();
    printk("cpu %lu: APIC ID %u online\n", cpu, x86_lapic_id());
    x86_virt_secondary_cpu_init((unsigned int)cpu);
    cpu_park((unsigned int)cpu);
}

static bool wait_started(unsigned int us)
{
    for (unsigned int t = 0; t < us; t += 10) {
        if (params->started)
            return true;
        arch_udelay(10);
    }
    return params->started != 0;
}

static bool wait_parked(unsigned int cpu, unsigned int us)
{
    for (unsigned int t = 0; t < us; t += 10) {
        if (__atomic_load_n(&cpus[cpu].state, __ATOMIC_ACQUIRE) == CPU_PARKED)
            return true;
        arch_udelay(10);
    }
    return false;
}

static int start_one(unsigned int cpu, uint32_t apic_id)
{
    struct x86_percpu *pc = x86_cpu(cpu);

    pc->apic_id = apic_id;
    pc->stack_top = (uintptr_t)cpu_stacks[cpu] + CPU_STACK_SIZE;
    params->cr3 = read_cr3();
    params->efer = rdmsr(MSR_IA32_EFER);
    params->stack = pc->stack_top;
    params->entry = (uintptr_t)ap_entry;
    params->cpu = cpu;
    params->started = 0;

    /* SDM 8.4.4.1: INIT, 10 ms, SIPI, 200 us, second SIPI if it has not started */
    x86_lapic_send_init(apic_id);
    arch_udelay(10000);
    x86_lapic_send_sipi(apic_id, TRAMPOLINE_BASE >> 12);
    if (!wait_started(200)) {
        x86_lapic_send_sipi(apic_id, TRAMPOLINE_BASE >> 12);
        if (!wait_started(START_TIMEOUT_US))
            return -ETIMEDOUT;
    }
    return wait_parked(cpu, START_TIMEOUT_US) ? 0 : -EIO;
}

int arch_start_secondary_cpus(void)
{
    uint32_t bsp = x86_lapic_id();

    cpus[0] = (struct cpu){ .id = 0, .arch_id = bsp, .state = CPU_PARKED };
    cpu_count = 1;
    x86_cpu(0)->apic_id = bsp;
    printk("cpu 0: APIC ID %u online (boot core)\n", bsp);

    if (ap_trampoline_end - ap_trampoline_start > 4096)
        panic("AP trampoline is larger than its page");
    memcpy((void *)TRAMPOLINE_BASE, ap_trampoline_start,
           (size_t)(ap_trampoline_end - ap_trampoline_start));

    unsigned int outside = acpi.cpus_ignored;
    if (acpi.cpus_ignored)
        pr_err("smp: %u core(s) beyond the MADT table size (%zu) cannot be started\n",
               acpi.cpus_ignored, ARRAY_SIZE(acpi.cpus));
    for (unsigned int i = 0; i < acpi.cpu_count; i++) {
        uint32_t id = acpi.cpus[i].apic_id;
        bool capable_only = !acpi.cpus[i].enabled;
        if (id == bsp)
            continue;
        if (cpu_count == MAX_CPUS) {
            pr_err("smp: core with APIC ID %u is past MAX_CPUS (%d): it cannot be started\n",
                   id, MAX_CPUS);
            outside += !capable_only;
            continue;
        }
        unsigned int cpu = cpu_count++;
        cpus[cpu] = (struct cpu){ .id = cpu, .arch_id = id, .state = CPU_ABSENT };
        int rc = hv_config.test_outside_core == cpu ? -ENODEV : start_one(cpu, id);
        if (rc) {
            cpus[cpu].state = CPU_FAILED;
            if (capable_only) {
                printk("smp: online-capable core with APIC ID %u does not answer INIT-SIPI-SIPI: "
                       "taken as absent\n", id);
                continue;
            }
            pr_err("smp: core with APIC ID %u failed to start (%s: %s)\n", id, errno_name(rc),
                   rc == -ETIMEDOUT ? "no answer to INIT-SIPI-SIPI" :
                   rc == -ENODEV ? "not started: test_outside_core=" :
                   "it did not reach its park loop");
            outside++;
        } else if (!x86_cpu(cpu)->vmx_on && !x86_cpu(cpu)->svm_on) {
            pr_err("smp: core with APIC ID %u is up but virtualisation is not on there "
                   "(VMXON or EFER.SVME failed)\n", id);
            outside++;
        }
    }
    if (outside) {
        pr_err("smp: %u core(s) the firmware lists are outside VMX root operation: Linux could "
               "start them with INIT-SIPI and run its code there without EPT. Refusing to boot.\n",
               outside);
        return -EPERM;
    }
    return (int)cpu_online_count();
}
