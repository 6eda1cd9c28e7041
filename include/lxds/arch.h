/*
 * What generic code needs from the architecture.  Generic code includes only
 * this header; each architecture implements it under arch/<arch>/ and keeps
 * its internals (registers, descriptor tables, APIC, VMX) to itself.
 */
#ifndef LXDS_ARCH_H
#define LXDS_ARCH_H

#include <lxds/compiler.h>
#include <lxds/types.h>

struct mb2_info;
struct hv_config;

/* The generic boot path, entered from boot/entry.asm on the boot core (core/main.c). */
void __noreturn hv_main(uint64_t mb2_phys);

/* First call on the boot core: per-core pointer and console, before any printk */
void arch_early_init(void);

/* Console (a polled serial port) */
void arch_console_init(void);
void arch_console_write(const char *s, size_t n);
void arch_console_flush(void);         /* wait until every byte has left */

/* The running core */
unsigned int arch_cpu_id(void);          /* index into cpus[], 0 = boot core */
void arch_cpu_relax(void);               /* spin-wait hint */
unsigned long arch_irq_save(void);
void arch_irq_restore(unsigned long flags);
uint64_t arch_cycles(void);
uint64_t arch_cycles_per_us(void);       /* arch_cycles() ticks per microsecond */
uint64_t arch_cycles_khz(void);         /* arch_cycles() ticks per millisecond */
void arch_udelay(unsigned int us);

/* Boot-time set-up of the boot core, then ACPI and the other cores */
void arch_describe_cpu(void);
void arch_init_boot_cpu(const struct mb2_info *mbi);
/* Adds RAM [start, end) above the boot map to the hypervisor's identity map
 * (rounded out to the arch's page size): 0, -ERANGE past MEMORY_LIMIT, or
 * -ENOMEM when no page-table page could be had.  Boot core, before the APs. */
int arch_map_ram(uint64_t start, uint64_t end);
int arch_start_secondary_cpus(void);

/* Parked cores wait here for work (see core/cpu.c) */
void arch_wait_for_kick(void);           /* sleep until kicked or interrupted */
void arch_kick_cpu(unsigned int cpu);
/* Makes the guest running on that core exit even if it halts with interrupts
 * masked (a Linux vCPU takes its own interrupts); its run loop then sees
 * v->stop_requested.  Only for a core running one of Linux's other vCPUs
 * (VT-x: its preemption timer; SVM: an NMI, which those vCPUs intercept). */
void arch_force_guest_exit(unsigned int cpu);

/*
 * Virtualization.  The architecture has one backend per kind of hardware
 * support (x86: VT-x + EPT, AMD SVM + nested paging) and picks one in
 * arch_virt_detect(); every call below goes to it.  Generic code never knows
 * which one runs: it sees vCPUs, their stop reasons, and a stage-2 table
 * (struct ept) in the format arch_stage2_params() names.
 */
struct vcpu;
struct vcpu_boot;
enum ept_format;
/* Picks the backend; NULL when one is usable, else one line saying what is missing. */
const char *arch_virt_detect(void);
const char *arch_virt_name(void);        /* "VT-x", "SVM" (after arch_virt_detect) */
int arch_virt_init(void);                /* capabilities and enabling on the boot core */
/* How domains' stage-2 tables must be built: large pages allowed, entry format. */
void arch_stage2_params(bool *allow_2m, bool *allow_1g, enum ept_format *format);
int arch_vcpu_create(struct vcpu *v, const struct vcpu_boot *boot);  /* on its home core */
int arch_vcpu_run(struct vcpu *v);       /* returns enum vcpu_stop */
void arch_vcpu_destroy(struct vcpu *v);
/* The debugger's view of a vCPU, on its home core only (domains/debug.c):
 * save/load the guest state the VMCS holds beside v->regs, and apply the
 * debug controls (intercept #BP and #DB while attached; TF for one step). */
struct lxds_debug_regs;
void arch_vcpu_save_state(struct vcpu *v, struct lxds_debug_regs *r);
void arch_vcpu_load_state(struct vcpu *v, const struct lxds_debug_regs *r);
void arch_vcpu_debug_apply(struct vcpu *v);
/* The backend's built-in self-tests on this core; counts what passed and failed. */
void arch_virt_selftest(unsigned int *passed, unsigned int *failed);

/* Linux as the privileged guest: boot protocol, boot structures in its RAM */
struct linux_load;
int arch_linux_load(const struct linux_load *l, struct vcpu_boot *boot, const char **why);
/* Linux's local APIC page read-only in its stage-2 table, writes emulated and
 * IPIs only to the cores in the mask (cpus[] indexes), where the backend can;
 * else one line saying why not, and 0.  -errno if the mapping failed. */
struct ept;
int arch_linux_apic_protect(struct ept *ept, uint64_t linux_cores);
/* Hides the cores Linux does not get (not in the mask of cpus[] indexes) from its
 * firmware tables. */
void arch_hide_cpus_from_linux(uint64_t linux_cores);
/* NULL if Linux may run on more than one core with this backend, else why not. */
const char *arch_linux_smp_refusal(void);
/* Moves the console off the port the first guest is given (COM1 -> COM2). */
void arch_console_handover(void);

/* Trigger a CPU exception on purpose (the test_exception= option) */
int arch_raise_test_exception(const char *name);

/*
 * The firmware's power and reset registers that are ports (x86: ACPI FADT
 * PM1a/PM1b control, RESET_REG), for the policy of the guest that owns the
 * chipset: a write to them is a sleep, power-off or reset request.  0: none.
 */
struct arch_power_ports {
    uint16_t pm1a_cnt, pm1b_cnt;
    uint16_t slp_typ_s5;        /* SLP_TYP of S5 (power off), in bits 10-12, if s5_known */
    bool s5_known;
    uint16_t reset_port;
    uint8_t reset_value;
    bool has_reset_port;
    /* The FADT's other fixed-hardware blocks, which Linux's ACPI driver reads
     * and writes (port 0: none): PM1a/b event (status and enable), the PM
     * timer, GPE0/1.  Linux's policy passes them wherever the firmware put them. */
    struct arch_port_block { uint16_t port; uint8_t len; } pm1a_evt, pm1b_evt, pm_tmr, gpe0, gpe1;
};
void arch_power_ports(struct arch_power_ports *out);
/* x86: IA32_APIC_BASE of this core as the hypervisor set it up. */
uint64_t arch_apic_base_msr(void);

/* End of the run */
void __noreturn arch_halt_cpu(void);     /* stop this core for good */
void __noreturn arch_poweroff(void);

#endif
