/*
 * What CPUID says to a guest, Linux or an LXD, whatever the virtualization
 * backend: the CPU's own answer, less what a guest must not see (VMX, SVM), plus
 * the hypervisor's leaves and the TSC frequency the hypervisor measured.
 *
 * Time: a guest that derives its TSC frequency from the CPU model (CPUID 0x16
 * "base frequency") is wrong wherever the TSC does not tick at that rate: in
 * an emulator (Bochs' TSC counts instructions) and under nested hypervisors.
 * So unless the CPU itself reports the TSC/crystal ratio and the crystal in
 * leaf 0x15 (then the CPU knows best and is passed through), leaf 0x15 is
 * made to say "TSC = crystal * n / 1, crystal = measured Hz / n" and leaf 0x16
 * to say the measured MHz.  Linux then takes the frequency from 0x15 as
 * known (no recalibration against a PIT it might read at another pace).
 *
 * Idle: MONITOR/MWAIT are not offered (leaf 1 ECX.MONITOR clear, leaf 5
 * empty), as KVM does not offer them: Linux then idles in HLT and is woken by
 * an IPI, which its APIC's ICR (emulated, linux_apic.c) sends.  With three
 * Linux cores in Bochs 2.7, a core idle in MWAIT missed the store that should
 * have woken it (the stop_machine of Linux's clocksource switch waited for
 * its next timer, 440 s of emulated time: max_idle_ns), and a wake-up that
 * depends on the emulator's monitor is not one to rely on anyway.  LXDs end
 * on MONITOR/MWAIT (their policy) and must not see them either.
 */
#include <lxds/hypercall_abi.h>
#include <lxds/types.h>
#include <x86/cpu.h>
#include <x86/linux_apic.h>

#define CPUID_HV_LEAF      0x40000000u
#define CPUID_HV_MAX       0x40000003u    /* 2, 3: Linux's APIC-write counters */
#define CPUID_MWAIT_LEAF   0x5u
#define CPUID_TSC_LEAF     0x15u
#define CPUID_FREQ_LEAF    0x16u
#define CPUID1_ECX_MONITOR (1u << 3)
#define CPUID1_ECX_OSXSAVE (1u << 27)
#define CPUID81_ECX_SVM    (1u << 2)

/* Does the CPU report a complete TSC/crystal ratio and crystal frequency? */
static bool cpu_reports_tsc_hz(void)
{
    if (cpuid(0, 0).eax < CPUID_TSC_LEAF)
        return false;
    struct cpuid_regs r = cpuid(CPUID_TSC_LEAF, 0);
    return r.eax && r.ebx && r.ecx;
}

/* Leaf 0x15 built from the measured frequency: EAX = denominator, EBX =
 * numerator, ECX = crystal Hz (32 bits: above 4.29 GHz the ratio grows). */
static struct cpuid_regs tsc_leaf(uint64_t hz, uint32_t edx)
{
    uint32_t n = 1;

    while (hz / n > 0xFFFFFFFFull)
        n++;
    return (struct cpuid_regs){ .eax = 1, .ebx = n, .ecx = (uint32_t)(hz / n), .edx = edx };
}

static struct cpuid_regs hypervisor_leaf(uint32_t leaf)
{
    struct cpuid_regs r = { 0 };

    if (leaf == CPUID_HV_LEAF) {
        r.eax = CPUID_HV_MAX;
        __builtin_memcpy(&r.ebx, "lxds", 4);            /* signature "lxds" */
    } else if (leaf == CPUID_HV_LEAF + 1) {
        r.eax = LXDS_ABI_VERSION;                       /* major << 16 | minor */
    } else if (leaf == CPUID_HV_LEAF + 2 || leaf == CPUID_HV_LEAF + 3) {
        uint32_t c[8];                                  /* counts only: no addresses */
        x86_linux_apic_stats(c);
        unsigned int o = leaf == CPUID_HV_LEAF + 2 ? 0 : 4;
        r = (struct cpuid_regs){ .eax = c[o], .ebx = c[o + 1], .ecx = c[o + 2], .edx = c[o + 3] };
    }
    return r;
}

struct cpuid_regs x86_guest_cpuid(uint32_t leaf, uint32_t subleaf, bool osxsave)
{
    if (leaf >= CPUID_HV_LEAF && leaf <= CPUID_HV_LEAF + 0xFF)
        return hypervisor_leaf(leaf);

    struct cpuid_regs r = cpuid(leaf, subleaf);
    uint64_t hz = x86_tsc_hz();
    bool synth_tsc = hz && !cpu_reports_tsc_hz();

    switch (leaf) {
    case 0:
        if (synth_tsc && r.eax < CPUID_FREQ_LEAF)
            r.eax = CPUID_FREQ_LEAF;
        break;
    case 1:
        r.ecx &= ~CPUID1_ECX_VMX;                       /* no nested VT-x for guests */
        r.ecx |= CPUID1_ECX_HYPERVISOR;
        r.ecx &= ~CPUID1_ECX_MONITOR;                   /* idle in HLT (see above) */
        r.ecx &= ~CPUID1_ECX_OSXSAVE;                   /* follows the guest's CR4 */
        if (osxsave)
            r.ecx |= CPUID1_ECX_OSXSAVE;
        break;
    case CPUID_MWAIT_LEAF:
        r = (struct cpuid_regs){ 0 };                   /* no MONITOR/MWAIT */
        break;
    case 0x80000001:
        r.ecx &= ~CPUID81_ECX_SVM;                      /* no nested SVM for guests */
        break;
    case 0x8000000A:
        r = (struct cpuid_regs){ 0 };                   /* SVM features: none */
        break;
    case CPUID_TSC_LEAF:
        if (synth_tsc)
            r = tsc_leaf(hz, 0);
        break;
    case CPUID_FREQ_LEAF:
        if (synth_tsc) {
            uint32_t mhz = (uint32_t)(hz / 1000000);
            r.eax = mhz ? mhz : 1;                      /* base MHz */
            r.ebx = r.eax;                              /* maximum MHz */
        }
        break;
    }
    return r;
}
