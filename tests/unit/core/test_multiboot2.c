/* Multiboot2 boot-information parsing on crafted, truncated and malformed buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/errno.h>
#include <lxds/multiboot2.h>

/* A little builder for boot information buffers. */
struct mb { uint8_t buf[4096]; uint32_t len; };

static void put32(struct mb *m, uint32_t off, uint32_t v) { memcpy(m->buf + off, &v, 4); }
static void put64(struct mb *m, uint32_t off, uint64_t v) { memcpy(m->buf + off, &v, 8); }

static void mb_begin(struct mb *m)
{
    memset(m, 0, sizeof(*m));
    m->len = 8;
}

/* Appends a tag header and payload; returns the tag's offset. */
static uint32_t mb_tag(struct mb *m, uint32_t type, const void *payload, uint32_t plen)
{
    uint32_t off = m->len;

    put32(m, off, type);
    put32(m, off + 4, 8 + plen);
    if (plen)
        memcpy(m->buf + off + 8, payload, plen);
    m->len = (off + 8 + plen + 7) & ~7u;
    return off;
}

static void mb_end(struct mb *m)
{
    mb_tag(m, 0, NULL, 0);
    put32(m, 0, m->len);
}

static void mb_mmap(struct mb *m, int n)
{
    uint8_t p[8 + 24 * 8] = { 0 };
    uint32_t esz = 24, ver = 0;

    memcpy(p, &esz, 4);
    memcpy(p + 4, &ver, 4);
    for (int i = 0; i < n; i++) {
        uint64_t base = (uint64_t)i << 20, len = 1 << 20;
        uint32_t type = i == 0 ? 2 : 1;
        memcpy(p + 8 + 24 * i, &base, 8);
        memcpy(p + 16 + 24 * i, &len, 8);
        memcpy(p + 24 + 24 * i, &type, 4);
    }
    mb_tag(m, 6, p, 8 + 24 * (uint32_t)n);
}

static void mb_module(struct mb *m, uint32_t start, uint32_t end, const char *name)
{
    uint8_t p[64] = { 0 };
    size_t n = strlen(name) + 1;

    memcpy(p, &start, 4);
    memcpy(p + 4, &end, 4);
    memcpy(p + 8, name, n);
    mb_tag(m, 3, p, 8 + (uint32_t)n);
}

static struct mb m;
static struct mb2_info info;
static const char *why;

static int parse(void) { return mb2_parse(m.buf, sizeof(m.buf), &info, &why); }

static void build_good(void)
{
    mb_begin(&m);
    mb_tag(&m, 1, "lxd_cores=1 selftest", 21);
    mb_tag(&m, 2, "GRUB 2.06", 10);
    mb_mmap(&m, 4);
    mb_module(&m, 0x200000, 0x300000, "bzImage");
    mb_module(&m, 0x300000, 0x310000, "initramfs");
    uint8_t rsdp[36] = "RSD PTR ";
    rsdp[15] = 2;
    mb_tag(&m, 14, rsdp, 20);
    mb_tag(&m, 15, rsdp, 36);
    mb_tag(&m, 21, "\x01\x02\x03\x04", 4);          /* unknown to us: skipped */
    mb_end(&m);
}

static void test_good(void **state)
{
    (void)state;
    build_good();
    assert_int_equal(parse(), 0);
    assert_string_equal(info.cmdline, "lxd_cores=1 selftest");
    assert_string_equal(info.loader_name, "GRUB 2.06");
    assert_int_equal(info.mmap_count, 4);
    struct mb2_mem_region r = mb2_mem_region_at(&info, 2);
    assert_int_equal(r.base, 2 << 20);
    assert_int_equal(r.len, 1 << 20);
    assert_int_equal(r.type, MB2_MEM_AVAILABLE);
    assert_int_equal(mb2_mem_region_at(&info, 0).type, MB2_MEM_RESERVED);
    assert_int_equal(info.module_count, 2);
    assert_int_equal(info.modules[1].start, 0x300000);
    assert_string_equal(info.modules[0].cmdline, "bzImage");
    assert_true(info.rsdp_is_v2);
    assert_int_equal(info.rsdp_len, 36);
}

static void test_truncated_everywhere(void **state)
{
    (void)state;
    build_good();
    /* every shorter buffer is refused, never read past (ASan checks that) */
    for (uint32_t avail = 0; avail < m.len; avail++) {
        uint8_t *copy = malloc(avail ? avail : 1);
        memcpy(copy, m.buf, avail);
        assert_int_not_equal(mb2_parse(copy, avail, &info, &why), 0);
        free(copy);
    }
}

static void test_bad_total_size(void **state)
{
    (void)state;
    build_good();
    put32(&m, 0, 12);
    assert_int_equal(parse(), -EINVAL);
    put32(&m, 0, 0xFFFFFFF8u);
    assert_int_equal(parse(), -EINVAL);
    put32(&m, 0, m.len + 1);                        /* not a multiple of 8 */
    assert_int_equal(parse(), -EINVAL);
}

static void test_tag_too_small_or_too_big(void **state)
{
    (void)state;
    build_good();
    put32(&m, 8 + 4, 4);                            /* first tag: size 4 */
    assert_int_equal(parse(), -EINVAL);
    assert_non_null(strstr(why, "smaller than a tag header"));
    build_good();
    put32(&m, 8 + 4, 4000);                         /* first tag beyond total */
    assert_int_equal(parse(), -EFAULT);
}

static void test_no_end_tag(void **state)
{
    (void)state;
    mb_begin(&m);
    mb_mmap(&m, 2);
    put32(&m, 0, m.len);                            /* no end tag */
    assert_int_equal(parse(), -ENODATA);
    assert_non_null(strstr(why, "end tag"));
}

static void test_no_memory_map(void **state)
{
    (void)state;
    mb_begin(&m);
    mb_tag(&m, 1, "x", 2);
    mb_end(&m);
    assert_int_equal(parse(), -ENODATA);
    assert_non_null(strstr(why, "memory map"));
}

static void test_unterminated_string(void **state)
{
    (void)state;
    mb_begin(&m);
    mb_tag(&m, 1, "abcd", 4);                       /* no NUL inside the tag */
    mb_mmap(&m, 1);
    mb_end(&m);
    assert_int_equal(parse(), -EINVAL);
}

static void test_bad_module_and_mmap(void **state)
{
    (void)state;
    mb_begin(&m);
    mb_mmap(&m, 1);
    mb_module(&m, 0x300000, 0x200000, "backwards");
    mb_end(&m);
    assert_int_equal(parse(), -EINVAL);
    assert_non_null(strstr(why, "ends before it starts"));

    mb_begin(&m);
    uint32_t off = m.len;
    mb_mmap(&m, 1);
    put32(&m, off + 8, 20);                         /* entry size 20 */
    mb_end(&m);
    assert_int_equal(parse(), -EINVAL);
}

static void test_too_many_modules(void **state)
{
    (void)state;
    mb_begin(&m);
    mb_mmap(&m, 1);
    for (int i = 0; i < MB2_MAX_MODULES + 3; i++)
        mb_module(&m, 0x100000u * i, 0x100000u * i + 10, "m");
    mb_end(&m);
    assert_int_equal(parse(), 0);
    assert_int_equal(info.module_count, MB2_MAX_MODULES);
    assert_int_equal(info.modules_dropped, 3);
}

static void test_random_corruption(void **state)
{
    (void)state;
    srand(1);
    for (int round = 0; round < 20000; round++) {
        build_good();
        for (int k = 0; k < 1 + rand() % 4; k++)
            m.buf[rand() % m.len] = (uint8_t)rand();
        int rc = mb2_parse(m.buf, m.len, &info, &why);
        if (rc == 0) {                              /* what it accepted is consistent */
            assert_true(info.total_size <= m.len);
            assert_non_null(info.mmap);
            for (uint32_t i = 0; i < info.mmap_count; i++)
                (void)mb2_mem_region_at(&info, i);  /* stays inside the buffer */
        }
    }
    (void)put64;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_bad_total_size),
        cmocka_unit_test(test_tag_too_small_or_too_big),
        cmocka_unit_test(test_no_end_tag),
        cmocka_unit_test(test_no_memory_map),
        cmocka_unit_test(test_unterminated_string),
        cmocka_unit_test(test_bad_module_and_mmap),
        cmocka_unit_test(test_too_many_modules),
        cmocka_unit_test(test_random_corruption),
    };
    return cmocka_run_group_tests_name("multiboot2", tests, NULL, NULL);
}
