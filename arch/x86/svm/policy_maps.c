/*
 * SVM's form of an exit policy: the I/O and MSR permission maps, built from
 * the domain kind's declared ranges, as arch/x86/vmx/policy_bitmaps.c builds
 * VT-x's bitmaps.  No VMCB access: a pure function the host tests check.
 */
#include <x86/cpu.h>
#include <x86/svm_policy.h>
#include <x86/vmcb.h>

#define MSRPM_RANGE_MSRS 0x2000u        /* MSRs per range: 2 bits each, 2 KiB */

static const uint32_t msrpm_ranges[3] = { 0, 0xC0000000u, 0xC0010000u };

bool svm_msr_backend_owned(uint32_t msr)
{
    return msr == MSR_IA32_EFER || msr == MSR_IA32_PAT;
}

static void set_all(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = 0xFF;
}

static void clear_bit(uint8_t *map, uint32_t bit)
{
    map[bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

void svm_policy_maps(const struct exit_policy *p, uint8_t *iopm, uint8_t *msrpm)
{
    set_all(iopm, SVM_IOPM_BYTES);
    set_all(msrpm, SVM_MSRPM_BYTES);
    if (!p)
        return;
    /* ports 0-0xFFFF only: the bits after them (accesses running past 0xFFFF) stay set */
    for (uint32_t port = 0; port <= 0xFFFF; port++)
        if (policy_port_access(p, (uint16_t)port) == POLICY_PASS)
            clear_bit(iopm, port);
    for (unsigned int r = 0; r < 3; r++)
        for (uint32_t i = 0; i < MSRPM_RANGE_MSRS; i++) {
            uint32_t m = msrpm_ranges[r] + i, bit = (r * MSRPM_RANGE_MSRS + i) * 2;
            if (svm_msr_backend_owned(m))
                continue;
            if (policy_msr_access(p, m, false) == POLICY_PASS)
                clear_bit(msrpm, bit);
            if (policy_msr_access(p, m, true) == POLICY_PASS)
                clear_bit(msrpm, bit + 1);
        }
}
