/* Per-core state of the x86 side: descriptor tables, stacks, APIC ID. */
#ifndef X86_PERCPU_H
#define X86_PERCPU_H

#include <lxds/compiler.h>
#include <lxds/types.h>

#define MAX_CPUS        64
#define CPU_STACK_SIZE  (16 * 1024)
#define IST_STACK_SIZE  (8 * 1024)

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __packed;

enum { GDT_NULL, GDT_CODE64, GDT_DATA, GDT_TSS_LO, GDT_TSS_HI, GDT_ENTRIES };
#define SEL_CODE64 (GDT_CODE64 * 8)
#define SEL_DATA   (GDT_DATA * 8)
#define SEL_TSS    (GDT_TSS_LO * 8)

struct x86_percpu {
    uint64_t gdt[GDT_ENTRIES] __aligned(16);
    struct tss64 tss __aligned(16);
    unsigned int cpu;                   /* index, 0 = boot core */
    uint32_t apic_id;
    uint64_t stack_top;                 /* the core's own stack */
    uint64_t vmxon_pa;                  /* VMXON region, 0 until VMX is on */
    bool vmx_on;
    uint64_t current_vmcs;              /* loaded VMCS (VMPTRLD), 0 if none */
    uint32_t vmwrite_failures;          /* counted by vmwrite(), read by vmcs_check_writes() */
    uint32_t first_bad_field;
    bool svm_on;                        /* EFER.SVME set, host save area given */
    uint64_t svm_hsave_pa;              /* VM_HSAVE_PA: where VMRUN keeps the host state */
    uint64_t svm_host_vmcb_pa;          /* VMSAVE/VMLOAD area for the host's FS/GS/TR/... */
    uint32_t nmis_expected;             /* sent by the hypervisor to force an exit: not logged */
    uint8_t ist_stack[3][IST_STACK_SIZE] __aligned(16);  /* #DF, NMI, #MC */
};

/* The running core's entry (GS base points at it once the core is set up). */
struct x86_percpu *this_x86_cpu(void);
struct x86_percpu *x86_cpu(unsigned int cpu);

/* Sets the running core's per-core pointer (GS base) to cpus[cpu] (arch/x86/cpu.c). */
void x86_set_this_cpu(unsigned int cpu);
/* Turns on the CPU features the hypervisor relies on, on the running core (arch/x86/cpu.c). */
void x86_cpu_features_enable(void);

void x86_gdt_load(struct x86_percpu *pc);
void x86_idt_load(void);
void x86_idt_init(void);

#endif
