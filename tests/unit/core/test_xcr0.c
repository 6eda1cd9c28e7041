/*
 * x86_xcr0_invalid against the SDM's XCR0 rules, with a CPU that has every
 * component (so each pairing rule is reached) and one that has only
 * x87/SSE/AVX (so unsupported bits are refused first).  Bochs may lack
 * AVX-512, MPX and AMX, so the system test cannot reach these rules there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <x86/xcr0.h>

#define ALL  (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_MPX | XCR0_AVX512 | (1ull << 9) | XCR0_AMX)
#define AVX2 (XCR0_X87 | XCR0_SSE | XCR0_AVX)

static void refused(uint32_t xcr, uint64_t v, uint64_t supported, const char *why)
{
    const char *r = x86_xcr0_invalid(xcr, v, supported);

    assert_non_null(r);
    assert_non_null(strstr(r, why));
}

static void test_accepted(void **state)
{
    (void)state;
    assert_null(x86_xcr0_invalid(0, XCR0_X87, ALL));
    assert_null(x86_xcr0_invalid(0, XCR0_X87 | XCR0_SSE, ALL));
    assert_null(x86_xcr0_invalid(0, AVX2, ALL));
    assert_null(x86_xcr0_invalid(0, AVX2 | XCR0_AVX512, ALL));
    assert_null(x86_xcr0_invalid(0, AVX2 | XCR0_MPX, ALL));
    assert_null(x86_xcr0_invalid(0, AVX2 | XCR0_AMX, ALL));
    assert_null(x86_xcr0_invalid(0, ALL, ALL));
    assert_null(x86_xcr0_invalid(0, AVX2, AVX2));
}

static void test_refused(void **state)
{
    (void)state;
    refused(1, AVX2, ALL, "only XCR0");
    refused(0, 0, ALL, "x87");
    refused(0, AVX2 & ~XCR0_X87, ALL, "x87");
    refused(0, AVX2 | (1ull << 62), ALL, "does not support");
    refused(0, AVX2 | XCR0_AVX512, AVX2, "does not support");
    refused(0, XCR0_X87 | XCR0_AVX, ALL, "AVX (bit 2) needs SSE");
    refused(0, AVX2 | (1ull << 5), ALL, "AVX-512 bits (5-7) must be set together");
    refused(0, AVX2 | (3ull << 6), ALL, "AVX-512 bits (5-7) must be set together");
    refused(0, XCR0_X87 | XCR0_SSE | XCR0_AVX512, ALL, "AVX-512 (bits 5-7) needs AVX");
    refused(0, AVX2 | (1ull << 3), ALL, "MPX bits");
    refused(0, AVX2 | (1ull << 4), ALL, "MPX bits");
    refused(0, AVX2 | (1ull << 17), ALL, "AMX bits");
    refused(0, AVX2 | (1ull << 18), ALL, "AMX bits");
}

/* Every value of the low 19 bits: accepted exactly when each rule holds. */
static void test_every_low_value(void **state)
{
    (void)state;
    for (uint64_t v = 0; v < (1ull << 19); v++) {
        bool ok = (v & XCR0_X87) && !(v & ~ALL) &&
                  (!(v & XCR0_AVX) || (v & XCR0_SSE)) &&
                  ((v & XCR0_AVX512) == 0 || ((v & XCR0_AVX512) == XCR0_AVX512 && (v & XCR0_AVX))) &&
                  ((v & XCR0_MPX) == 0 || (v & XCR0_MPX) == XCR0_MPX) &&
                  ((v & XCR0_AMX) == 0 || (v & XCR0_AMX) == XCR0_AMX);
        assert_int_equal(x86_xcr0_invalid(0, v, ALL) == NULL, ok);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_every_low_value),
    };
    return cmocka_run_group_tests_name("xcr0", tests, NULL, NULL);
}
