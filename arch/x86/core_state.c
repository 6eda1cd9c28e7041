/*
 * Resetting what a guest leaves in the core's own registers.  VM exit and
 * entry switch only what the VMCS holds; the x87/SSE/AVX registers, MXCSR,
 * CR2, the TPR (CR8), IA32_KERNEL_GS_BASE (SWAPGS), PKRU and the debug
 * registers DR0-3/DR6 stay as the last guest left them.  A core that runs
 * one LXD after another resets them between domains, so no domain sees
 * what the previous one had in them.  (Linux's core is never shared with
 * another guest: its state is its own.)
 */
#include <lxds/compiler.h>
#include <x86/core_state.h>
#include <x86/cpu.h>

#define MSR_KERNEL_GS_BASE 0xC0000102
#define FCW_INIT           0x037F
#define MXCSR_INIT         0x1F80
#define DR6_INIT           0xFFFF0FF0ull
#define CR4_PKE            (1ul << 22)
#define CPUID7_ECX_PKU     (1u << 3)

/*
 * An FXSAVE/XSAVE area in the init state: FCW and MXCSR at their reset
 * values, every register zero, FTW (abridged) 0 = all empty, and an XSAVE
 * header with XSTATE_BV = XCOMP_BV = 0 (standard form: every component to
 * its init state).  Read-only, shared by all cores.
 */
static const uint8_t init_area[4096] __aligned(64) = {
    [0] = FCW_INIT & 0xFF, [1] = FCW_INIT >> 8,                 /* legacy area: FCW */
    [24] = MXCSR_INIT & 0xFF, [25] = (MXCSR_INIT >> 8) & 0xFF,  /* legacy area: MXCSR */
};

/*
 * FXRSTOR loads x87 (FCW 0x37F, FSW/FTW 0, registers 0), XMM0-15 (needs
 * CR4.OSFXSR, set on every core) and MXCSR 0x1F80; then, with XSAVE on,
 * XRSTOR puts every component XCR0 enables (AVX upper halves, AVX-512, ...)
 * in its init state.
 */
static void reset_fpu(void)
{
    if (!(read_cr4() & CR4_OSFXSR))
        return;                             /* x86_cpu_features_enable() did not run */
    __asm__ volatile("fxrstor64 %0" :: "m"(*(const uint8_t(*)[512])init_area));
    if (read_cr4() & CR4_OSXSAVE)
        __asm__ volatile("xrstor64 %0" :: "m"(*(const uint8_t(*)[4096])init_area),
                         "a"(0xFFFFFFFFu), "d"(0xFFFFFFFFu));
}

/* PKRU is written with WRPKRU, which needs CR4.PKE for the moment it runs. */
static void reset_pkru(void)
{
    if (cpuid(0, 0).eax < 7 || !(cpuid(7, 0).ecx & CPUID7_ECX_PKU))
        return;
    uint64_t cr4 = read_cr4();
    write_cr4(cr4 | CR4_PKE);
    __asm__ volatile("wrpkru" :: "a"(0), "c"(0), "d"(0));
    write_cr4(cr4);
}

static void reset_debug_registers(void)
{
    __asm__ volatile("mov %0, %%db0; mov %0, %%db1; mov %0, %%db2; mov %0, %%db3"
                     :: "r"(0ull));
    __asm__ volatile("mov %0, %%db6" :: "r"(DR6_INIT));
}

void x86_core_state_reset(void)
{
    reset_fpu();
    write_cr2(0);
    write_cr8(0);                           /* TPR: every interrupt class deliverable */
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    reset_pkru();
    reset_debug_registers();
}
