/*
 * The ICR decision for Linux's IPIs (arch/x86/apic_icr.c): four cores, APIC
 * IDs 0-3, Linux on core 0 (and, for the SMP cases, on 0 and 2); every
 * delivery mode, every shorthand, physical and logical (flat and cluster)
 * destinations, the vector edge 31/32 and the broadcast destination 0xFF.
 * Only fixed and lowest-priority IPIs with a vector >= 32 reach a core, and
 * only cores Linux owns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <x86/apic_icr.h>

#define PHYS(mode, vec)   (((uint32_t)(mode) << 8) | (vec))
#define LOGICAL           ICR_DEST_LOGICAL
#define SH(s)             ((uint32_t)(s) << 18)
#define DEST(d)           ((uint32_t)(d) << 24)

/* flat logical IDs 1, 2, 4, 8 for cores 0-3 (Linux's way); LDR known only for Linux's cores */
static struct apic_icr_core cores[4] = {
    { true, 0, 0x01000000 }, { true, 1, 0 }, { true, 2, 0x04000000 }, { true, 3, 0 },
};

static struct apic_icr_verdict decide(uint64_t linux_cores, uint32_t lo, uint32_t hi)
{
    struct apic_icr_view v = { .cores = cores, .ncores = 4, .linux_cores = linux_cores, .self = 0 };
    struct apic_icr_verdict out;

    memset(&out, 0xA5, sizeof(out));
    apic_icr_decide(&v, lo, hi, &out);
    return out;
}

static void test_modes_refused(void **state)
{
    static const uint32_t bad[] = { ICR_MODE_SMI, 3, ICR_MODE_NMI, ICR_MODE_INIT, ICR_MODE_SIPI,
                                    ICR_MODE_EXTINT };
    (void)state;
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        /* to another core, to itself, to everyone: never delivered */
        struct apic_icr_verdict o = decide(1, PHYS(bad[i], 0x40), DEST(1));
        assert_non_null(o.refused);
        assert_int_equal(o.deliver, 0);
        assert_int_equal(o.dropped, 2);
        o = decide(1, PHYS(bad[i], 0x40), DEST(0));
        assert_non_null(o.refused);
        assert_int_equal(o.deliver, 0);
        o = decide(1, PHYS(bad[i], 0x40) | SH(ICR_SH_SELF), 0);
        assert_non_null(o.refused);
        assert_int_equal(o.deliver, 0);
        o = decide(0xF, PHYS(bad[i], 0x40) | SH(ICR_SH_ALL), 0);
        assert_non_null(o.refused);
        assert_int_equal(o.deliver, 0);
    }
    /* INIT level de-assert and SIPI page 0x10: still refused */
    assert_non_null(decide(1, PHYS(ICR_MODE_INIT, 0) | (1u << 15), DEST(1)).refused);
    assert_non_null(decide(1, PHYS(ICR_MODE_SIPI, 0x10), DEST(1)).refused);
    assert_string_equal(apic_icr_mode_name(PHYS(ICR_MODE_NMI, 0)), "NMI");
    assert_string_equal(apic_icr_mode_name(PHYS(ICR_MODE_EXTINT, 0)), "ExtINT");
}

/* Linux on cores 0 and 2: INIT and SIPI to core 2 are handed back to be emulated, nothing replayed */
static void test_start_up_of_linux_cores(void **state)
{
    (void)state;
    struct apic_icr_verdict o = decide(0x5, PHYS(ICR_MODE_INIT, 0) | ICR_LEVEL_ASSERT |
                                       ICR_TRIGGER_LEVEL, DEST(2));
    assert_null(o.refused);
    assert_int_equal(o.init, 0x4);
    assert_int_equal(o.deliver, 0);
    assert_int_equal(o.sipi, 0);
    assert_int_equal(o.dropped, 0);
    o = decide(0x5, PHYS(ICR_MODE_INIT, 0) | ICR_TRIGGER_LEVEL, DEST(2));    /* de-assert */
    assert_null(o.refused);
    assert_true(o.init_deassert);
    assert_int_equal(o.init, 0);
    o = decide(0x5, PHYS(ICR_MODE_SIPI, 0x9a), DEST(2));
    assert_null(o.refused);
    assert_int_equal(o.sipi, 0x4);
    assert_int_equal(o.vector, 0x9a);
    assert_int_equal(o.deliver, 0);
    /* logical flat ID 4 is core 2: the same */
    o = decide(0x5, PHYS(ICR_MODE_SIPI, 0x9a) | LOGICAL, DEST(0x04));
    assert_int_equal(o.sipi, 0x4);
    /* to a hidden core, to itself, to Linux's core and a hidden one, to everyone: refused whole */
    o = decide(0x5, PHYS(ICR_MODE_SIPI, 0x9a), DEST(3));
    assert_non_null(o.refused);
    assert_int_equal(o.sipi | o.init | o.deliver, 0);
    o = decide(0x5, PHYS(ICR_MODE_INIT, 0) | ICR_LEVEL_ASSERT, DEST(0));
    assert_non_null(o.refused);
    assert_int_equal(o.init, 0);
    o = decide(0x5, PHYS(ICR_MODE_INIT, 0) | ICR_LEVEL_ASSERT | LOGICAL, DEST(0x0C));
    assert_non_null(o.refused);
    o = decide(0x5, PHYS(ICR_MODE_SIPI, 0x9a) | SH(ICR_SH_OTHERS), 0);
    assert_non_null(o.refused);
    assert_int_equal(o.sipi, 0);
    o = decide(0x5, PHYS(ICR_MODE_SIPI, 0x9a), DEST(0x7));                    /* no such core */
    assert_non_null(o.refused);
    /* NMI to Linux's own core: still refused */
    o = decide(0x5, PHYS(ICR_MODE_NMI, 0), DEST(2));
    assert_non_null(o.refused);
    assert_int_equal(o.deliver, 0);
}

static void test_vector_edge(void **state)
{
    (void)state;
    struct apic_icr_verdict o = decide(1, PHYS(ICR_MODE_FIXED, 31), DEST(0));
    assert_non_null(o.refused);
    assert_int_equal(o.deliver, 0);
    o = decide(1, PHYS(ICR_MODE_FIXED, 0x10), DEST(0));
    assert_non_null(o.refused);
    o = decide(1, PHYS(ICR_MODE_FIXED, 0), SH(ICR_SH_SELF));
    assert_non_null(o.refused);
    o = decide(1, PHYS(ICR_MODE_FIXED, 32), DEST(0));
    assert_null(o.refused);
    assert_int_equal(o.deliver, 1);
    assert_int_equal(o.vector, 32);
    assert_int_equal(o.dropped, 0);
    o = decide(1, PHYS(ICR_MODE_LOWEST, 31), DEST(0));
    assert_non_null(o.refused);
    o = decide(1, PHYS(ICR_MODE_FIXED, 0xFF), DEST(0));
    assert_null(o.refused);
    assert_int_equal(o.deliver, 1);
}

static void test_physical(void **state)
{
    (void)state;
    /* to an LXD core: dropped, nothing delivered */
    for (uint32_t id = 1; id < 4; id++) {
        struct apic_icr_verdict o = decide(1, PHYS(ICR_MODE_FIXED, 0x40), DEST(id));
        assert_null(o.refused);
        assert_int_equal(o.deliver, 0);
        assert_int_equal(o.dropped, 1ull << id);
    }
    /* vectors 0x10, 0x1F, 0xFF at an LXD core */
    assert_int_equal(decide(1, PHYS(ICR_MODE_FIXED, 0x10), DEST(1)).deliver, 0);
    assert_int_equal(decide(1, PHYS(ICR_MODE_FIXED, 0x1F), DEST(1)).deliver, 0);
    assert_int_equal(decide(1, PHYS(ICR_MODE_FIXED, 0xFF), DEST(1)).deliver, 0);
    /* an ID no core has */
    struct apic_icr_verdict o = decide(1, PHYS(ICR_MODE_FIXED, 0x40), DEST(7));
    assert_int_equal(o.deliver, 0);
    assert_true(o.dropped_other);
    /* broadcast 0xFF: only Linux's cores */
    o = decide(1, PHYS(ICR_MODE_FIXED, 0x40), DEST(0xFF));
    assert_int_equal(o.deliver, 1);
    assert_int_equal(o.dropped, 0xE);
    o = decide(0x5, PHYS(ICR_MODE_FIXED, 0x40), DEST(0xFF));
    assert_int_equal(o.deliver, 0x5);
    assert_int_equal(o.dropped, 0xA);
    /* SMP: Linux on cores 0 and 2 may IPI core 2 */
    o = decide(0x5, PHYS(ICR_MODE_FIXED, 0x40), DEST(2));
    assert_int_equal(o.deliver, 0x4);
    assert_int_equal(o.dropped, 0);
    /* ICR_HIGH's low bits are ignored, as the APIC ignores them */
    o = decide(1, PHYS(ICR_MODE_FIXED, 0x40), DEST(0) | 0x00FFFFFF);
    assert_int_equal(o.deliver, 1);
}

static void test_shorthands(void **state)
{
    (void)state;
    struct apic_icr_verdict o = decide(1, PHYS(ICR_MODE_FIXED, 0x40) | SH(ICR_SH_SELF), DEST(3));
    assert_int_equal(o.deliver, 1);
    assert_int_equal(o.dropped, 0);
    o = decide(1, PHYS(ICR_MODE_FIXED, 0x40) | SH(ICR_SH_ALL), 0);
    assert_int_equal(o.deliver, 1);
    assert_int_equal(o.dropped, 0xE);
    o = decide(1, PHYS(ICR_MODE_FIXED, 0x40) | SH(ICR_SH_OTHERS), 0);
    assert_int_equal(o.deliver, 0);
    assert_int_equal(o.dropped, 0xE);
    o = decide(0x5, PHYS(ICR_MODE_FIXED, 0x40) | SH(ICR_SH_OTHERS), 0);
    assert_int_equal(o.deliver, 0x4);
    assert_int_equal(o.dropped, 0xA);
    /* all-but-self NMI (Linux's backtrace IPI) and INIT: refused whole */
    o = decide(0x5, PHYS(ICR_MODE_NMI, 0) | SH(ICR_SH_OTHERS), 0);
    assert_non_null(o.refused);
    assert_int_equal(o.deliver, 0);
    o = decide(0x5, PHYS(ICR_MODE_INIT, 0) | SH(ICR_SH_ALL), 0);
    assert_non_null(o.refused);
    assert_int_equal(o.dropped, 0xF);
}

static void test_logical(void **state)
{
    (void)state;
    /* flat: bit 0 is core 0 */
    struct apic_icr_verdict o = decide(1, PHYS(ICR_MODE_FIXED, 0x40) | LOGICAL, DEST(1));
    assert_int_equal(o.deliver, 1);
    assert_false(o.dropped_other);
    /* flat broadcast 0xFF: Linux's cores only */
    o = decide(1, PHYS(ICR_MODE_FIXED, 0x40) | LOGICAL, DEST(0xFF));
    assert_int_equal(o.deliver, 1);
    assert_int_equal(o.dropped, 0xE);
    assert_true(o.dropped_other);
    /* bits naming no Linux core (an LXD core whose LDR someone set to 2): nothing */
    o = decide(1, PHYS(ICR_MODE_FIXED, 0x40) | LOGICAL, DEST(0x02));
    assert_int_equal(o.deliver, 0);
    assert_true(o.dropped_other);
    /* Linux on 0 and 2 (logical 1 and 4) */
    o = decide(0x5, PHYS(ICR_MODE_FIXED, 0x40) | LOGICAL, DEST(0x0F));
    assert_int_equal(o.deliver, 0x5);
    assert_true(o.dropped_other);
    /* lowest priority: one core, the sender when it is addressed */
    o = decide(0x5, PHYS(ICR_MODE_LOWEST, 0x40) | LOGICAL, DEST(0x05));
    assert_int_equal(o.deliver, 0x1);
    o = decide(0x5, PHYS(ICR_MODE_LOWEST, 0x40) | LOGICAL, DEST(0x04));
    assert_int_equal(o.deliver, 0x4);
    /* cluster model: cluster 0, members 1 and 4 */
    struct apic_icr_view v = { .cores = cores, .ncores = 4, .linux_cores = 0x5, .self = 0,
                               .cluster = true };
    apic_icr_decide(&v, PHYS(ICR_MODE_FIXED, 0x40) | LOGICAL, DEST(0x05), &o);
    assert_int_equal(o.deliver, 0x5);
    apic_icr_decide(&v, PHYS(ICR_MODE_FIXED, 0x40) | LOGICAL, DEST(0x15), &o);
    assert_int_equal(o.deliver, 0);
    assert_true(o.dropped_other);
    /* cluster 0xFF is not a broadcast in the decision: no Linux core is in cluster 0xF */
    apic_icr_decide(&v, PHYS(ICR_MODE_FIXED, 0x40) | LOGICAL, DEST(0xFF), &o);
    assert_int_equal(o.deliver, 0);
}

/* every combination: nothing ever reaches a core outside Linux's set */
static void test_exhaustive_never_outside(void **state)
{
    (void)state;
    for (uint64_t linux_cores = 1; linux_cores < 16; linux_cores += 2)
        for (uint32_t mode = 0; mode < 8; mode++)
            for (uint32_t sh = 0; sh < 4; sh++)
                for (uint32_t lg = 0; lg < 2; lg++)
                    for (uint32_t dest = 0; dest < 256; dest++)
                        for (uint32_t vec = 0; vec < 256; vec += 15) {
                            uint32_t lo = PHYS(mode, vec) | SH(sh) | (lg ? LOGICAL : 0);
                            struct apic_icr_verdict o = decide(linux_cores, lo, DEST(dest));
                            assert_int_equal(o.deliver & ~linux_cores, 0);
                            /* a start-up only ever for Linux's other cores */
                            assert_int_equal((o.init | o.sipi) & ~(linux_cores & ~1ull), 0);
                            if (mode != ICR_MODE_INIT)
                                assert_int_equal(o.init, 0);
                            if (mode != ICR_MODE_SIPI)
                                assert_int_equal(o.sipi, 0);
                            if (mode != ICR_MODE_FIXED && mode != ICR_MODE_LOWEST)
                                assert_int_equal(o.deliver, 0);
                            if (vec < 32)
                                assert_int_equal(o.deliver, 0);
                            if (o.deliver)
                                assert_int_equal(o.vector, vec);
                            if (mode == ICR_MODE_LOWEST)
                                assert_true(__builtin_popcountll(o.deliver) <= 1);
                        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modes_refused),
        cmocka_unit_test(test_vector_edge),
        cmocka_unit_test(test_start_up_of_linux_cores),
        cmocka_unit_test(test_physical),
        cmocka_unit_test(test_shorthands),
        cmocka_unit_test(test_logical),
        cmocka_unit_test(test_exhaustive_never_outside),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
