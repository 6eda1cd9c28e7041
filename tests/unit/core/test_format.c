/* fmt_vsnprintf against the C library's snprintf, plus truncation and bad formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/format.h>

#define SAME(...) do { \
        char a[128], b[128]; \
        int na = fmt_snprintf(a, sizeof(a), __VA_ARGS__); \
        int nb = snprintf(b, sizeof(b), __VA_ARGS__); \
        assert_string_equal(a, b); \
        assert_int_equal(na, nb); \
    } while (0)

static void test_integers(void **state)
{
    (void)state;
    SAME("%d %i %u", 0, -1, 4000000000u);
    SAME("%d", INT32_MIN);
    SAME("%ld %lu", (long)INT64_MIN, (unsigned long)UINT64_MAX);
    SAME("%lld %llx", -42ll, 0xdeadbeefcafeull);
    SAME("%zu %zd", (size_t)123456789, (ptrdiff_t)-5);
    SAME("%hhu %hd", 300, 70000);
    SAME("%x %X %o %#x %#o %#X", 255, 255, 8, 255, 8, 0xabc);
    SAME("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42);
    SAME("[%.3d] [%8.3d] [%-8.3x] [%.0d]", 7, 7, 7, 0);
    SAME("[%*d] [%-*d] [%.*d]", 6, 1, 6, 1, 4, 1);
    SAME("%#018lx", 0x1234ul);
    SAME("%016lx", 0xfffful);
}

static void test_strings_and_chars(void **state)
{
    (void)state;
    SAME("[%s] [%10s] [%-10s] [%.2s]", "abc", "abc", "abc", "abc");
    SAME("%c%c%c", 'l', 'x', 'd');
    SAME("[%3c] [%-3c]", 'a', 'b');
    SAME("100%% sure");
    SAME("%p", (void *)0x1000);
}

static void test_truncation(void **state)
{
    char buf[8];
    (void)state;

    memset(buf, 'x', sizeof(buf));
    assert_int_equal(fmt_snprintf(buf, sizeof(buf), "%s", "hypervisor"), 10);
    assert_string_equal(buf, "hypervi");
    assert_int_equal(fmt_snprintf(buf, 1, "abc"), 3);
    assert_string_equal(buf, "");
    buf[0] = 'q';
    assert_int_equal(fmt_snprintf(buf, 0, "abc"), 3);
    assert_int_equal(buf[0], 'q');          /* size 0 writes nothing */
}

/* Without the format attribute, so deliberately bad formats reach the code. */
static int unchecked(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void test_null_string_and_bad_format(void **state)
{
    char buf[64];
    (void)state;

    unchecked(buf, sizeof(buf), "%s", (char *)NULL);
    assert_string_equal(buf, "(null)");
    unchecked(buf, sizeof(buf), "a%qb");
    assert_string_equal(buf, "a%qb");       /* unknown conversion shown verbatim */
    unchecked(buf, sizeof(buf), "end%");
    assert_string_equal(buf, "end%");
}

static void test_escape(void **state)
{
    char out[64];
    size_t n;
    (void)state;

    n = fmt_escape(out, sizeof(out), "plain text", 10);
    assert_string_equal(out, "plain text");
    assert_int_equal(n, 10);
    /* a forged second line, CR, ESC, NUL, DEL, a high byte, the backslash itself */
    n = fmt_escape(out, sizeof(out), "a\nlxd: x\r\x1b[2J\0\x7f\xc3\\t\t", 19);
    assert_string_equal(out, "a\\nlxd: x\\r\\x1b[2J\\x00\\x7f\\xc3\\\\t\\t");
    assert_int_equal(n, strlen(out));
    for (size_t i = 0; i < n; i++)
        assert_true(out[i] >= 0x20 && out[i] <= 0x7e);
    /* too long: cut with a mark, NUL inside the buffer */
    char big[300];
    memset(big, '\n', sizeof(big));
    n = fmt_escape(out, sizeof(out), big, sizeof(big));
    assert_true(n < sizeof(out));
    assert_int_equal(n, strlen(out));
    assert_string_equal(out + n - 5, "[...]");
    /* exactly full: no mark */
    memset(big, 'x', sizeof(big));
    n = fmt_escape(out, sizeof(out), big, sizeof(out) - 1);
    assert_int_equal(n, sizeof(out) - 1);
    assert_null(strstr(out, "[...]"));
    n = fmt_escape(out, sizeof(out), big, sizeof(out));
    assert_string_equal(out + n - 5, "[...]");
    /* every size and length: never past the buffer, always terminated */
    for (size_t size = 7; size < 24; size++)
        for (size_t len = 0; len < 40; len++) {
            char small[24];
            memset(small, 0x55, sizeof(small));
            n = fmt_escape(small, size, "\x01\x02" "ab\\\n\xff\x80" "xyz0123456789abcdefghijklmnopqrstuv", len);
            assert_true(n < size);
            assert_int_equal(small[n], '\0');
            for (size_t i = size; i < sizeof(small); i++)
                assert_int_equal((unsigned char)small[i], 0x55);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_strings_and_chars),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_null_string_and_bad_format),
        cmocka_unit_test(test_escape),
    };
    return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
