/* The IDT, shared by all cores: the 32 exception stubs plus the wake-up vector. */
#include <lxds/string.h>
#include <x86/percpu.h>
#include <x86/trap.h>

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __packed;

extern const uint64_t x86_exception_stubs[32];
extern char x86_wakeup_entry[];
extern char x86_spurious_entry[];

static struct idt_gate idt[256] __aligned(16);

static void set_gate(unsigned int vec, uint64_t handler, uint8_t ist)
{
    idt[vec] = (struct idt_gate){
        .offset_lo = handler & 0xFFFF,
        .selector = SEL_CODE64,
        .ist = ist,
        .type_attr = 0x8E,              /* present, DPL 0, 64-bit interrupt gate */
        .offset_mid = (handler >> 16) & 0xFFFF,
        .offset_hi = handler >> 32,
    };
}

void x86_idt_init(void)
{
    memset(idt, 0, sizeof(idt));
    for (unsigned int v = 0; v < 32; v++)
        set_gate(v, x86_exception_stubs[v], 0);
    set_gate(8, x86_exception_stubs[8], 1);     /* #DF on its own stack */
    set_gate(2, x86_exception_stubs[2], 2);     /* NMI */
    set_gate(18, x86_exception_stubs[18], 3);   /* #MC */
    /* any other interrupt (a stray IPI from a guest, say) is acknowledged and ignored */
    for (unsigned int v = 32; v < 256; v++)
        set_gate(v, (uintptr_t)x86_wakeup_entry, 0);
    set_gate(VECTOR_WAKEUP, (uintptr_t)x86_wakeup_entry, 0);
    set_gate(VECTOR_SPURIOUS, (uintptr_t)x86_spurious_entry, 0);
}

void x86_idt_load(void)
{
    struct { uint16_t limit; uint64_t base; } __packed ptr = {
        sizeof(idt) - 1, (uintptr_t)idt,
    };

    __asm__ volatile("lidt %0" :: "m"(ptr));
}
