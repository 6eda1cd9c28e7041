/*
 * Exit policies as data (issue 10 item 1, 2): the lookups, Linux's port and
 * MSR lists, the VMX bitmaps and SVM permission maps built from them, and
 * Linux's reset and sleep
 * emulation, access by access: every way the issue found to reset the
 * machine behind the hypervisor's back is a reset (or power-off) request.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/arch.h>
#include <lxds/linux_guest.h>
#include <x86/svm_policy.h>
#include <x86/vmx_policy.h>

#define PM1A      0xB004
#define RESET_REG 0xB010
#define S5        (5u << 10)
#define APIC_BASE 0xFEE00900ull

/* what linux_policy.c asks of the architecture and the log */
void arch_power_ports(struct arch_power_ports *out)
{
    *out = (struct arch_power_ports){ .pm1a_cnt = PM1A, .slp_typ_s5 = S5, .s5_known = true,
                                      .reset_port = RESET_REG,
                                      .reset_value = 5, .has_reset_port = true,
                                      /* where QEMU's PIIX4 has them: below PCI I/O space */
                                      .pm1a_evt = { 0x600, 4 }, .pm_tmr = { 0x608, 4 },
                                      .gpe0 = { 0xAFE0, 4 }, .gpe1 = { 0xFFFE, 4 } };
}
uint64_t arch_apic_base_msr(void) { return APIC_BASE; }
void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

static const struct exit_policy *lp;

static int setup(void **state)
{
    (void)state;
    lp = linux_policy_init();
    return lp ? 0 : -1;
}

static void test_lookup_denies_by_default(void **state)
{
    static const struct policy_ports ports[] = {
        { 0x10, 0x10, POLICY_EMULATE, "" }, { 0x10, 0x1F, POLICY_PASS, "" },
    };
    static const struct policy_msrs msrs[] = { { 5, 6, POLICY_PASS, POLICY_DENY, "" } };
    const struct exit_policy p = { .ports = ports, .nports = 2, .msrs = msrs, .nmsrs = 1 };
    (void)state;
    assert_int_equal(policy_port_access(&p, 0x10), POLICY_EMULATE);  /* the first range decides */
    assert_int_equal(policy_port_access(&p, 0x11), POLICY_PASS);
    assert_int_equal(policy_port_access(&p, 0x20), POLICY_DENY);
    assert_int_equal(policy_port_access(NULL, 0x11), POLICY_DENY);
    assert_int_equal(policy_io_access(&p, 0x0E, 4), POLICY_EMULATE); /* covers 0x10 */
    assert_int_equal(policy_io_access(&p, 0x1E, 4), POLICY_DENY);    /* 0x20, 0x21 denied */
    assert_int_equal(policy_io_access(&p, 0x11, 4), POLICY_PASS);
    assert_int_equal(policy_io_access(&p, 0xFFFF, 2), POLICY_DENY);  /* wraps to port 0 */
    assert_int_equal(policy_msr_access(&p, 5, false), POLICY_PASS);
    assert_int_equal(policy_msr_access(&p, 5, true), POLICY_DENY);
    assert_int_equal(policy_msr_access(&p, 7, false), POLICY_DENY);
    assert_int_equal(policy_msr_access(NULL, 5, false), POLICY_DENY);
}

static void test_linux_ports(void **state)
{
    (void)state;
    assert_int_equal(policy_port_access(lp, 0x3F8), POLICY_PASS);    /* COM1: Linux's */
    for (uint16_t p = 0x2E8; p < 0x2F0; p++)                          /* COM4: lxdctl gdb's line */
        assert_int_equal(policy_port_access(lp, p), POLICY_PASS);
    assert_int_equal(policy_port_access(lp, 0x3E8), POLICY_PASS);    /* COM3 */
    for (uint16_t p = 0x2F8; p < 0x300; p++)                          /* COM2: the hypervisor's */
        assert_int_equal(policy_port_access(lp, p), POLICY_DENY);
    for (uint16_t p = 0x600; p < 0x604; p++)                          /* the FADT's PM1a event block */
        assert_int_equal(policy_port_access(lp, p), POLICY_PASS);
    for (uint16_t p = 0x608; p < 0x60C; p++)                          /* its PM timer */
        assert_int_equal(policy_port_access(lp, p), POLICY_PASS);
    assert_int_equal(policy_port_access(lp, 0x5FF), POLICY_DENY);    /* no more than the blocks */
    assert_int_equal(policy_port_access(lp, 0x604), POLICY_DENY);
    assert_int_equal(policy_port_access(lp, 0x60C), POLICY_DENY);
    assert_int_equal(policy_port_access(lp, 0x92), POLICY_EMULATE);
    assert_int_equal(policy_port_access(lp, 0x64), POLICY_EMULATE);
    assert_int_equal(policy_port_access(lp, 0xCF9), POLICY_EMULATE);
    assert_int_equal(policy_port_access(lp, PM1A), POLICY_EMULATE);
    assert_int_equal(policy_port_access(lp, PM1A + 1), POLICY_EMULATE);
    assert_int_equal(policy_port_access(lp, RESET_REG), POLICY_EMULATE);
    assert_int_equal(policy_port_access(lp, 0xCFC), POLICY_PASS);
    assert_int_equal(policy_port_access(lp, 0xC000), POLICY_PASS);   /* PCI I/O BARs */
    assert_int_equal(policy_port_access(lp, 0x0000), POLICY_PASS);   /* not an empty slot's 0 */
    assert_int_equal(policy_port_access(lp, 0x22), POLICY_DENY);     /* unlisted */
    assert_int_equal(policy_io_access(lp, 0xCF8, 4), POLICY_EMULATE); /* covers 0xCF9 */
    assert_int_equal(policy_io_access(lp, 0xCF8, 2), POLICY_EMULATE);
}

static void test_linux_msrs(void **state)
{
    (void)state;
    static const uint32_t denied[] = {
        0x480, 0x491, 0xFE, 0x200, 0x250, 0x2FF, 0x179, 0x17A, 0x400, 0x401, 0x600, 0x3F1,
        0x570, 0x186, 0xC1, 0x38F, 0x802, 0x830, 0x8FF, 0x79, 0x140, 0x1B0,
    };
    for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
        assert_int_equal(policy_msr_access(lp, denied[i], false), POLICY_DENY);
        assert_int_equal(policy_msr_access(lp, denied[i], true), POLICY_DENY);
    }
    assert_int_equal(policy_msr_access(lp, 0x1B, false), POLICY_PASS);
    assert_int_equal(policy_msr_access(lp, 0x1B, true), POLICY_EMULATE);
    assert_int_equal(policy_msr_access(lp, 0x3A, false), POLICY_EMULATE);
    assert_int_equal(policy_msr_access(lp, 0x3A, true), POLICY_DENY);
    assert_int_equal(policy_msr_access(lp, 0x1A0, false), POLICY_PASS);
    assert_int_equal(policy_msr_access(lp, 0x1A0, true), POLICY_DENY);
    assert_int_equal(policy_msr_access(lp, 0x10, true), POLICY_DENY);
    assert_int_equal(policy_msr_access(lp, 0xC0000080, true), POLICY_PASS);
    assert_int_equal(policy_msr_access(lp, 0xC0000102, true), POLICY_PASS);

    uint64_t v = 0;
    assert_int_equal(lp->msr(NULL, 0x3A, false, &v), POLICY_DONE);
    assert_int_equal(v, 1);                                           /* locked, VMX off */
    v = APIC_BASE;
    assert_int_equal(lp->msr(NULL, 0x1B, true, &v), POLICY_DONE);     /* the same value */
    v = APIC_BASE | (1u << 10);
    assert_int_equal(lp->msr(NULL, 0x1B, true, &v), POLICY_REFUSED);  /* x2APIC mode */
    v = APIC_BASE + 0x1000;
    assert_int_equal(lp->msr(NULL, 0x1B, true, &v), POLICY_REFUSED);  /* moved */
    v = APIC_BASE & ~(1ull << 11);
    assert_int_equal(lp->msr(NULL, 0x1B, true, &v), POLICY_REFUSED);  /* disabled */
}

static bool io_bit(const uint8_t *io, uint16_t port) { return io[port / 8] & (1u << (port % 8)); }
static bool msr_bit(const uint8_t *m, uint32_t msr, bool write)
{
    uint32_t base = (msr >= 0xC0000000u ? 1024 : 0) + (write ? 2048 : 0), bit = msr & 0x1FFF;
    return m[base + bit / 8] & (1u << (bit % 8));
}

static void test_vmx_bitmaps(void **state)
{
    static uint8_t io[VMX_IO_BITMAP_BYTES], msr[VMX_MSR_BITMAP_BYTES];
    const struct exit_policy lxd = { .name = "lxd", .ops = POLICY_OP(POLICY_OP_CR8_VIRTUAL) };
    (void)state;

    vmx_policy_bitmaps(lp, io, msr);
    assert_false(io_bit(io, 0x3F8));
    assert_false(io_bit(io, 0xCF8));
    assert_false(io_bit(io, 0x20));
    assert_true(io_bit(io, 0x2F8));
    assert_true(io_bit(io, 0xCF9));
    assert_true(io_bit(io, 0x92));
    assert_true(io_bit(io, PM1A));
    assert_true(io_bit(io, 0x22));
    assert_false(msr_bit(msr, 0x1B, false));
    assert_true(msr_bit(msr, 0x1B, true));
    assert_true(msr_bit(msr, 0x480, false));
    assert_true(msr_bit(msr, 0x200, false));
    assert_true(msr_bit(msr, 0x3A, false));
    assert_false(msr_bit(msr, 0xC0000080, false));
    assert_false(msr_bit(msr, 0xC0000080, true));
    assert_false(msr_bit(msr, 0xC0000102, true));
    assert_true(msr_bit(msr, 0xC0000104, false));
    unsigned int passed = 0;
    for (uint32_t p = 0; p <= 0xFFFF; p++)
        passed += !io_bit(io, (uint16_t)p);
    assert_true(passed > 0xE000 && passed < 0x10000);

    /* an LXD's policy and none: every bit set */
    const struct exit_policy *none[] = { &lxd, NULL };
    for (int k = 0; k < 2; k++) {
        vmx_policy_bitmaps(none[k], io, msr);
        for (size_t i = 0; i < sizeof(io); i++)
            assert_int_equal(io[i], 0xFF);
        for (size_t i = 0; i < sizeof(msr); i++)
            assert_int_equal(msr[i], 0xFF);
    }
}

/* SVM's MSRPM: two bits (read, write) per MSR in three 2 KiB ranges; -1 outside them. */
static int msrpm_bit(const uint8_t *m, uint32_t msr, bool write)
{
    uint32_t base;

    if (msr <= 0x1FFF)
        base = 0;
    else if (msr >= 0xC0000000u && msr <= 0xC0001FFFu)
        base = 0x2000;
    else if (msr >= 0xC0010000u && msr <= 0xC0011FFFu)
        base = 0x4000;
    else
        return -1;
    uint32_t bit = (base + (msr & 0x1FFF)) * 2 + write;
    return (m[bit / 8] >> (bit % 8)) & 1;
}

static void test_svm_maps(void **state)
{
    static uint8_t iopm[SVM_IOPM_BYTES], msrpm[SVM_MSRPM_BYTES];
    static const struct policy_ports ports[] = {
        { 0xFFF0, 0xFFFF, POLICY_PASS, "up to the last port" },
    };
    static const struct policy_msrs msrs[] = {
        { 0x10, 0x10, POLICY_PASS, POLICY_DENY, "" },
        { 0xC0010000, 0xC0010003, POLICY_PASS, POLICY_PASS, "third range" },
        { 0xC0011FFF, 0xC0012005, POLICY_PASS, POLICY_PASS, "third range's end and past it" },
        { 0x2000, 0x3000, POLICY_PASS, POLICY_PASS, "between the ranges" },
        { 0x40000000, 0x400000FF, POLICY_PASS, POLICY_PASS, "hypervisor range" },
        { 0xC0000080, 0xC0000080, POLICY_PASS, POLICY_PASS, "EFER (the backend's)" },
        { 0x277, 0x277, POLICY_PASS, POLICY_PASS, "PAT (the backend's)" },
    };
    const struct exit_policy edge = { .name = "edge", .ports = ports, .nports = 1,
                                      .msrs = msrs, .nmsrs = ARRAY_SIZE(msrs) };
    const struct exit_policy lxd = { .name = "lxd", .ops = POLICY_OP(POLICY_OP_CR8_VIRTUAL) };
    (void)state;

    /* Linux's policy: the same ports and MSRs pass as under VT-x */
    static uint8_t io[VMX_IO_BITMAP_BYTES], msr[VMX_MSR_BITMAP_BYTES];
    vmx_policy_bitmaps(lp, io, msr);
    svm_policy_maps(lp, iopm, msrpm);
    for (uint32_t p = 0; p <= 0xFFFF; p++)
        assert_int_equal(io_bit(io, (uint16_t)p), io_bit(iopm, (uint16_t)p));
    for (uint32_t i = 0; i < 0x2000; i++)
        for (int w = 0; w < 2; w++) {
            uint32_t lo = i, hi = 0xC0000000u + i;
            if (hi == 0xC0000080u || lo == 0x277)
                continue;                               /* EFER, PAT: the SVM backend's */
            assert_int_equal(msr_bit(msr, lo, w), msrpm_bit(msrpm, lo, w));
            assert_int_equal(msr_bit(msr, hi, w), msrpm_bit(msrpm, hi, w));
        }
    assert_true(io_bit(iopm, 0x2F8));                   /* COM2 */
    assert_true(io_bit(iopm, 0xCF9) && io_bit(iopm, 0x92) && io_bit(iopm, 0x64) && io_bit(iopm, PM1A));
    assert_false(io_bit(iopm, 0x3F8) || io_bit(iopm, 0xCF8));
    assert_int_equal(msrpm_bit(msrpm, 0x10, false), 0);        /* TSC read passes */
    assert_int_equal(msrpm_bit(msrpm, 0x10, true), 1);         /* its write does not */
    assert_int_equal(msrpm_bit(msrpm, 0x1B, true), 1);         /* APIC_BASE write: emulated */
    assert_int_equal(msrpm_bit(msrpm, 0x200, false), 1);       /* MTRR: denied */
    assert_int_equal(msrpm_bit(msrpm, 0x480, false), 1);       /* VMX */
    assert_int_equal(msrpm_bit(msrpm, 0xC0000080, false), 1);  /* EFER: always the backend's */
    assert_int_equal(msrpm_bit(msrpm, 0xC0000080, true), 1);
    assert_int_equal(msrpm_bit(msrpm, 0x277, false), 1);       /* PAT */
    assert_int_equal(msrpm_bit(msrpm, 0xC0000100, true), 0);   /* FS_BASE */
    assert_int_equal(msrpm_bit(msrpm, 0xC0010114, false), 1);  /* VM_CR */
    assert_int_equal(msrpm_bit(msrpm, 0xC0010117, true), 1);   /* VM_HSAVE_PA */
    for (size_t i = 0x1800; i < SVM_MSRPM_BYTES; i++)          /* the reserved fourth quarter */
        assert_int_equal(msrpm[i], 0xFF);
    for (size_t i = 0x2000; i < SVM_IOPM_BYTES; i++)           /* past port 0xFFFF */
        assert_int_equal(iopm[i], 0xFF);

    /* edges: a port range up to 0xFFFF passes those ports, never the bits past them
     * (an access at 0xFFFF of 2 or 4 bytes, which runs past the last port, exits);
     * MSRs outside the three ranges have no bits (the CPU intercepts them always),
     * and nothing outside the ranges is written */
    svm_policy_maps(&edge, iopm, msrpm);
    for (uint32_t p = 0xFFF0; p <= 0xFFFF; p++)
        assert_false(io_bit(iopm, (uint16_t)p));
    assert_true(io_bit(iopm, 0xFFEF));
    assert_int_equal(iopm[0x2000], 0xFF);                       /* bits 0x10000-0x10007 */
    for (size_t i = 0x2001; i < SVM_IOPM_BYTES; i++)
        assert_int_equal(iopm[i], 0xFF);
    assert_int_equal(msrpm_bit(msrpm, 0x10, false), 0);
    assert_int_equal(msrpm_bit(msrpm, 0x10, true), 1);
    for (uint32_t m = 0xC0010000; m <= 0xC0010003; m++) {
        assert_int_equal(msrpm_bit(msrpm, m, false), 0);
        assert_int_equal(msrpm_bit(msrpm, m, true), 0);
    }
    assert_int_equal(msrpm_bit(msrpm, 0xC0010004, false), 1);
    assert_int_equal(msrpm_bit(msrpm, 0xC0011FFF, true), 0);   /* the third range's last MSR */
    assert_int_equal(msrpm_bit(msrpm, 0xC0012000, false), -1); /* past it: no bit */
    assert_int_equal(msrpm_bit(msrpm, 0x2000, false), -1);
    assert_int_equal(msrpm_bit(msrpm, 0x40000000, false), -1);
    assert_int_equal(msrpm_bit(msrpm, 0xC0000080, false), 1);  /* EFER stays the backend's */
    assert_int_equal(msrpm_bit(msrpm, 0x277, true), 1);        /* PAT too */
    assert_true(svm_msr_backend_owned(0xC0000080) && svm_msr_backend_owned(0x277));
    assert_false(svm_msr_backend_owned(0x10));
    unsigned int clear = 0;                                     /* exactly what edge passes */
    for (size_t i = 0; i < SVM_MSRPM_BYTES * 8; i++)
        clear += !((msrpm[i / 8] >> (i % 8)) & 1);
    assert_int_equal(clear, 1 + 4 * 2 + 1 * 2);                 /* TSC read, 4 + 1 MSRs r/w */
    for (size_t i = 0x1800; i < SVM_MSRPM_BYTES; i++)
        assert_int_equal(msrpm[i], 0xFF);

    /* an LXD's policy and none: every bit set */
    const struct exit_policy *none[] = { &lxd, NULL };
    for (int k = 0; k < 2; k++) {
        svm_policy_maps(none[k], iopm, msrpm);
        for (size_t i = 0; i < sizeof(iopm); i++)
            assert_int_equal(iopm[i], 0xFF);
        for (size_t i = 0; i < sizeof(msrpm); i++)
            assert_int_equal(msrpm[i], 0xFF);
    }
}

static enum policy_result out(uint16_t port, unsigned int size, uint32_t val)
{
    return lp->port_io(NULL, port, size, false, &val);
}

static void test_linux_reset_and_sleep(void **state)
{
    uint32_t port, value, v;
    (void)state;

    assert_int_equal(out(0x92, 1, 0x01), POLICY_RESET);              /* fast reset */
    assert_int_equal(out(0x92, 1, 0x03), POLICY_RESET);
    assert_int_equal(out(0x92, 1, 0x02), POLICY_DONE);               /* A20 only: dropped */
    assert_int_equal(out(0x91, 2, 0x0100), POLICY_RESET);            /* a word covering 0x92 */
    assert_int_equal(out(0xCF9, 1, 0x06), POLICY_RESET);
    assert_int_equal(out(0xCF9, 1, 0x04), POLICY_RESET);
    assert_int_equal(out(0xCF9, 1, 0x02), POLICY_DONE);
    assert_int_equal(out(0xCF8, 2, 0x0400), POLICY_RESET);           /* the word write of the issue */
    assert_int_equal(out(0xCF8, 2, 0x0000), POLICY_DONE);
    assert_int_equal(out(0xCF6, 4, 0x04000000), POLICY_RESET);       /* a dword at 0xCF6 covering 0xCF9 */
    assert_int_equal(out(0xCF8, 4, 0x80000000), POLICY_REPLAY);      /* CONFIG_ADDRESS */
    assert_int_equal(out(0xCF8, 4, 0x80000400), POLICY_REPLAY);      /* ... any dword */
    assert_int_equal(out(0x64, 1, 0xFE), POLICY_RESET);
    assert_int_equal(out(0x64, 1, 0xAE), POLICY_REPLAY);             /* other 8042 commands */
    assert_int_equal(out(0x64, 1, 0xD1), POLICY_DONE);               /* output port write: kept */
    assert_int_equal(out(0x60, 1, 0x00), POLICY_RESET);              /* ... bit 0 clear resets */
    assert_int_equal(out(0x64, 1, 0xD1), POLICY_DONE);
    assert_int_equal(out(0x60, 1, 0xDF), POLICY_DONE);               /* A20 on, no reset: dropped */
    assert_int_equal(out(0x60, 1, 0x00), POLICY_REPLAY);             /* keyboard data again */
    assert_int_equal(out(RESET_REG, 1, 5), POLICY_RESET);            /* the FADT's reset register */
    assert_int_equal(out(RESET_REG, 1, 4), POLICY_REPLAY);
    assert_int_equal(out(PM1A, 2, 0x0001), POLICY_REPLAY);           /* SCI_EN, no sleep */
    assert_int_equal(out(PM1A, 2, S5), POLICY_REPLAY);               /* SLP_TYP alone */
    assert_int_equal(out(PM1A, 2, S5 | 0x2000), POLICY_POWER_OFF);
    assert_non_null(strstr(linux_power_request(&port, &value), "power off"));
    assert_int_equal(port, PM1A);
    assert_int_equal(out(PM1A, 2, (3u << 10) | 0x2000), POLICY_POWER_OFF);   /* S3 */
    assert_non_null(strstr(linux_power_request(&port, &value), "sleep"));
    assert_int_equal(out(PM1A + 1, 1, 0x20), POLICY_POWER_OFF);      /* SLP_EN by its byte */
    assert_int_equal(out(PM1A, 4, 0x2000), POLICY_POWER_OFF);        /* a dword */
    assert_int_equal(out(0xCF9, 1, 0x04), POLICY_RESET);
    assert_string_equal(linux_power_request(&port, &value), "reset");
    assert_int_equal(port, 0xCF9);
    v = 0;
    assert_int_equal(lp->port_io(NULL, 0x92, 1, true, &v), POLICY_DONE);
    assert_int_equal(v, 2);                                           /* A20 on */
    assert_int_equal(lp->port_io(NULL, 0xCF9, 1, true, &v), POLICY_REPLAY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_denies_by_default),
        cmocka_unit_test(test_linux_ports),
        cmocka_unit_test(test_linux_msrs),
        cmocka_unit_test(test_vmx_bitmaps),
        cmocka_unit_test(test_svm_maps),
        cmocka_unit_test(test_linux_reset_and_sleep),
    };
    return cmocka_run_group_tests_name("exit_policy", tests, setup, NULL);
}
