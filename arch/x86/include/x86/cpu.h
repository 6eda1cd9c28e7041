/* x86 instructions as inline functions: port I/O, MSRs, CPUID, control registers. */
#ifndef X86_CPU_H
#define X86_CPU_H

#include <lxds/types.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* An access of size 1, 2 or 4 bytes, as an intercepted IN/OUT replays it. */
static inline uint32_t port_in(uint16_t port, unsigned int size)
{
    return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

static inline void port_out(uint16_t port, unsigned int size, uint32_t v)
{
    if (size == 1)
        outb(port, (uint8_t)v);
    else if (size == 2)
        outw(port, (uint16_t)v);
    else
        outl(port, v);
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

struct cpuid_regs { uint32_t eax, ebx, ecx, edx; };

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;

    __asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
    return r;
}

/* The TSC's frequency as measured against the PIT at boot (0 before). */
void x86_time_calibrate(void);
uint64_t x86_tsc_hz(void);

/* What CPUID returns to a guest (Linux or an LXD) for leaf/subleaf; osxsave is
 * the guest's own CR4.OSXSAVE, which CPUID.1:ECX[27] reflects. */
struct cpuid_regs x86_guest_cpuid(uint32_t leaf, uint32_t subleaf, bool osxsave);

#define DEFINE_CR(n) \
    static inline uint64_t read_cr##n(void) { uint64_t v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
    static inline void write_cr##n(uint64_t v) { __asm__ volatile("mov %0, %%cr" #n :: "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
DEFINE_CR(8)
#undef DEFINE_CR

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static inline uint64_t read_rflags(void)
{
    uint64_t f;

    __asm__ volatile("pushfq; popq %0" : "=r"(f));
    return f;
}

static inline void cpu_pause(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }

#define RFLAGS_IF        (1ul << 9)
#define RFLAGS_TF        (1ul << 8)

#define CR0_PE           (1ul << 0)
#define CR0_MP           (1ul << 1)
#define CR0_EM           (1ul << 2)
#define CR0_TS           (1ul << 3)
#define CR0_NE           (1ul << 5)
#define CR0_WP           (1ul << 16)
#define CR0_PG           (1ul << 31)
#define CR4_PAE          (1ul << 5)
#define CR4_PGE          (1ul << 7)
#define CR4_OSFXSR       (1ul << 9)
#define CR4_OSXMMEXCPT   (1ul << 10)
#define CR4_VMXE         (1ul << 13)
#define CR4_OSXSAVE      (1ul << 18)

#define MSR_IA32_APIC_BASE        0x1B
#define MSR_IA32_FEATURE_CONTROL  0x3A
#define MSR_IA32_EFER             0xC0000080
#define MSR_FS_BASE               0xC0000100
#define MSR_GS_BASE               0xC0000101

#define CPUID1_ECX_VMX   (1u << 5)
#define CPUID1_ECX_X2APIC (1u << 21)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID80000001_EDX_PDPE1GB (1u << 26)

#endif
