/* Per-core GDT and TSS: a 64-bit code segment, a data segment, and the TSS with IST stacks. */
#include <lxds/string.h>
#include <x86/percpu.h>

enum { IST_DOUBLE_FAULT = 1, IST_NMI = 2, IST_MACHINE_CHECK = 3 };

static void set_tss_descriptor(uint64_t *gdt, const struct tss64 *tss)
{
    uint64_t base = (uintptr_t)tss, limit = sizeof(*tss) - 1;

    gdt[GDT_TSS_LO] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 |
                      0x89ull << 40 |             /* present, 64-bit TSS (available) */
                      ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
    gdt[GDT_TSS_HI] = base >> 32;
}

void x86_gdt_load(struct x86_percpu *pc)
{
    struct { uint16_t limit; uint64_t base; } __packed ptr;

    pc->gdt[GDT_NULL] = 0;
    pc->gdt[GDT_CODE64] = 0x00AF9A000000FFFFull;
    pc->gdt[GDT_DATA] = 0x00CF92000000FFFFull;
    memset(&pc->tss, 0, sizeof(pc->tss));
    pc->tss.rsp[0] = pc->stack_top;
    for (int i = 0; i < 3; i++)
        pc->tss.ist[i] = (uintptr_t)pc->ist_stack[i] + IST_STACK_SIZE;
    pc->tss.iomap_base = sizeof(pc->tss);        /* no I/O bitmap */
    set_tss_descriptor(pc->gdt, &pc->tss);

    ptr.limit = sizeof(pc->gdt) - 1;
    ptr.base = (uintptr_t)pc->gdt;
    __asm__ volatile(
        "lgdt %0\n\t"
        "pushq %1\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movw %w2, %%ax\n\t"
        "movw %%ax, %%ds\n\t"
        "movw %%ax, %%es\n\t"
        "movw %%ax, %%ss\n\t"
        "ltr %w3\n\t"
        :: "m"(ptr), "i"(SEL_CODE64), "i"(SEL_DATA), "r"((uint16_t)SEL_TSS)
        : "rax", "memory");
}
