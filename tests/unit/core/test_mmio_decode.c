/*
 * The decoder of stores to Linux's read-only APIC page
 * (arch/x86/mmio_decode.c): the encodings Linux's APIC accessors compile to
 * (taken from objdump of native_apic_mem_write and its inlined callers),
 * every ModRM form's length, and the refusals: byte/word/quadword stores,
 * string stores, register operands, truncated bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/errno.h>
#include <x86/mmio_decode.h>

static struct mmio_write ok(const uint8_t *b, size_t n, unsigned int len)
{
    struct mmio_write w;
    const char *why = NULL;

    assert_int_equal(x86_decode_mmio_write(b, n, &w, &why), 0);
    assert_int_equal(w.length, len);
    return w;
}

static void bad(const uint8_t *b, size_t n, int rc, const char *why_part)
{
    struct mmio_write w;
    const char *why = NULL;

    assert_int_equal(x86_decode_mmio_write(b, n, &w, &why), rc);
    if (why_part)
        assert_non_null(strstr(why, why_part));
}

#define OK(len, ...) ({ static const uint8_t b_[] = { __VA_ARGS__ }; ok(b_, sizeof(b_), len); })
#define BAD(rc, why, ...) do { static const uint8_t b_[] = { __VA_ARGS__ }; bad(b_, sizeof(b_), rc, why); } while (0)

static void test_linux_forms(void **state)
{
    (void)state;
    /* mov %edi, 0xffffffffff5fc0b0 (absolute, SIB no base): 89 3c 25 disp32 */
    struct mmio_write w = OK(7, 0x89, 0x3C, 0x25, 0xB0, 0xC0, 0x5F, 0xFF);
    assert_false(w.imm);
    assert_int_equal(w.reg, 7);
    /* mov %esi, (%rdi,%rax) / mov %eax,(%rdx) */
    w = OK(3, 0x89, 0x34, 0x07);
    assert_int_equal(w.reg, 6);
    w = OK(2, 0x89, 0x02);
    assert_int_equal(w.reg, 0);
    /* mov %r12d, 0x300(%rbx): 44 89 a3 00 03 00 00 */
    w = OK(7, 0x44, 0x89, 0xA3, 0x00, 0x03, 0x00, 0x00);
    assert_int_equal(w.reg, 12);
    /* mov %ecx, 0x10(%rax): 89 48 10 */
    w = OK(3, 0x89, 0x48, 0x10);
    assert_int_equal(w.reg, 1);
    /* movl $0x0, 0xffffffffff5fc0b0: c7 04 25 disp32 imm32 */
    w = OK(11, 0xC7, 0x04, 0x25, 0xB0, 0xC0, 0x5F, 0xFF, 0x00, 0x00, 0x00, 0x00);
    assert_true(w.imm);
    assert_int_equal(w.value, 0);
    /* movl $0x12345678, 0xb0(%rip): c7 05 disp32 imm32 */
    w = OK(10, 0xC7, 0x05, 0, 0, 0, 0, 0x78, 0x56, 0x34, 0x12);
    assert_int_equal(w.value, 0x12345678);
    /* xchg %eax, 0xffffffffff5fc300 (X86_BUG_11AP) */
    w = OK(7, 0x87, 0x04, 0x25, 0x00, 0xC3, 0x5F, 0xFF);
    assert_true(w.xchg);
    assert_int_equal(w.reg, 0);
    /* segment, address-size and lock prefixes pass; REX.B/X do not change the register */
    w = OK(4, 0x65, 0x67, 0x89, 0x02);
    w = OK(3, 0x43, 0x89, 0x0A);
    assert_int_equal(w.reg, 1);
    /* a REX before another prefix is ignored (REX.R lost) */
    w = OK(4, 0x44, 0x65, 0x89, 0x02);
    assert_int_equal(w.reg, 0);
    /* mod 1 with SIB: 89 44 24 08 */
    w = OK(4, 0x89, 0x44, 0x24, 0x08);
    /* mod 2 with SIB: 89 84 24 disp32 */
    w = OK(7, 0x89, 0x84, 0x24, 0, 0, 0, 0);
}

static void test_refused(void **state)
{
    (void)state;
    BAD(-EBADMSG, "16-bit", 0x66, 0x89, 0x02);
    BAD(-EBADMSG, "64-bit", 0x48, 0x89, 0x02);
    BAD(-EBADMSG, "REP", 0xF3, 0xAB);
    BAD(-EBADMSG, "not a 32-bit MOV", 0x88, 0x02);         /* byte store */
    BAD(-EBADMSG, "not a 32-bit MOV", 0xC6, 0x02, 0x00);
    BAD(-EBADMSG, "not a 32-bit MOV", 0xAB);               /* stosd */
    BAD(-EBADMSG, "not a 32-bit MOV", 0x0F, 0x11, 0x02);   /* movups */
    BAD(-EBADMSG, "not a 32-bit MOV", 0x01, 0x02);         /* add */
    BAD(-EBADMSG, "register operand", 0x89, 0xC0);
    BAD(-EBADMSG, "ModRM reg", 0xC7, 0x0A, 0, 0, 0, 0);
    /* truncated */
    BAD(-EFAULT, NULL, 0x89);
    BAD(-EFAULT, NULL, 0x89, 0x04);
    BAD(-EFAULT, NULL, 0x89, 0x04, 0x25, 0xB0);
    BAD(-EFAULT, NULL, 0xC7, 0x02, 0x00, 0x00);
    BAD(-EBADMSG, "16-bit", 0x66);                         /* refused before the rest is read */
    BAD(-EFAULT, NULL, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65,
        0x65, 0x65, 0x65, 0x65, 0x89, 0x02);                /* past 15 bytes */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_forms),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
