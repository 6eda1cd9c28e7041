/* The kernel's printf dialect of the kernel environment (lxd-sdk/kenv/core/kfmt.c over lib/format.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/errno.h>

#include "../../../lxd-sdk/kenv/core/kfmt.h"

static char buf[512];

static const char *f(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    kfmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return buf;
}

struct va_fmt { const char *fmt; va_list *va; };

static const char *via_pV(const char *outer, const char *fmt, ...)
{
    static char out[256];
    struct va_fmt v;
    va_list ap;

    va_start(ap, fmt);
    v.fmt = fmt;
    v.va = &ap;
    strcpy(out, f(outer, &v));
    va_end(ap);
    return out;
}

static void test_plain(void **state)
{
    (void)state;
    assert_string_equal(f("%d|%5u|%-4s|%03x|%lld|%c", -7, 42u, "ab", 0xf, -1099511627776LL, 'z'),
                        "-7|   42|ab  |00f|-1099511627776|z");
    assert_string_equal(f("%p", (void *)0x1234), "0x1234");
    assert_string_equal(f("%s", (char *)NULL), "(null)");
}

static void test_ptr_extensions(void **state)
{
    static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0xff };
    static const uint8_t ip[4] = { 10, 0, 2, 15 };
    uint64_t pa = 0x1000;
    (void)state;

    assert_string_equal(f("%pM", mac), "02:00:5e:10:20:ff");
    assert_string_equal(f("%pMR", mac), "ff:20:10:5e:00:02");
    assert_string_equal(f("%pMF", mac), "02-00-5e-10-20-ff");
    assert_string_equal(f("%pm.", mac), "02005e1020ff.");
    assert_string_equal(f("%pI4:%u", ip, 80u), "10.0.2.15:80");
    assert_string_equal(f("%pe", (void *)(intptr_t)-ENOMEM), "-ENOMEM");
    assert_string_equal(f("%pe", (void *)(intptr_t)-4000), "-4000");
    assert_string_equal(f("%*ph", 3, mac), "02 00 5e");
    assert_string_equal(f("%*phC", 2, mac), "02:00");
    assert_string_equal(f("%*phN!", 4, mac), "02005e10!");
    assert_string_equal(f("%ph", mac), "02");
    assert_string_equal(f("%pa", &pa), "0x0000000000001000");
    assert_string_equal(f("%pS+", (void *)0x401000), "0x401000+");
    assert_string_equal(f("%px", (void *)0xabc), "0xabc");
    assert_string_equal(f("%pK", (void *)0xabc), "0xabc");
    assert_string_equal(f("[%10pI4]", ip), "[ 10.0.2.15]");
    assert_string_equal(via_pV("<%pV>", "%s=%d", "x", 5), "<x=5>");
    /* unknown extensions: consumed, the pointer shown with a '?' */
    assert_string_equal(f("%pZz9 end", (void *)0x10), "0x10? end");
    /* NULL where bytes are expected */
    assert_string_equal(f("%pM", (void *)0), "(null)");
    assert_string_equal(f("%pI4", (void *)0), "(null)");
}

static void test_bounds(void **state)
{
    static uint8_t big[100];
    (void)state;
    /* %ph is capped at 64 bytes; output is always terminated */
    f("%*ph", 100, big);
    assert_true(strlen(buf) < 3 * 64 + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_ptr_extensions),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
