/*
 * VMX's form of an exit policy: the I/O and MSR bitmaps, built from the
 * domain kind's declared ranges (as Jailhouse builds them from a cell's
 * config).  No VMCS access: a pure function the host tests check.
 */
#include <x86/vmx_policy.h>

static void set_all(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = 0xFF;
}

static void clear_bit(uint8_t *bitmap, uint32_t bit)
{
    bitmap[bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

void vmx_policy_bitmaps(const struct exit_policy *p, uint8_t *io, uint8_t *msr)
{
    set_all(io, VMX_IO_BITMAP_BYTES);
    set_all(msr, VMX_MSR_BITMAP_BYTES);
    if (!p)
        return;
    for (uint32_t port = 0; port <= 0xFFFF; port++)
        if (policy_port_access(p, (uint16_t)port) == POLICY_PASS)
            clear_bit(io, port);
    /* the MSR bitmap: reads of 0-0x1FFF, reads of 0xC0000000-0xC0001FFF, then the writes */
    static const uint32_t bases[2] = { 0, 0xC0000000u };
    for (unsigned int half = 0; half < 2; half++)
        for (uint32_t i = 0; i < 0x2000; i++) {
            uint32_t m = bases[half] + i;
            if (policy_msr_access(p, m, false) == POLICY_PASS)
                clear_bit(msr + half * 1024, i);
            if (policy_msr_access(p, m, true) == POLICY_PASS)
                clear_bit(msr + 2048 + half * 1024, i);
        }
}
