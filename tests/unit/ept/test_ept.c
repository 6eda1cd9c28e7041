/* The EPT library against a fake physical-memory backing: page sizes chosen by
 * alignment, byte-exact translation, rights and memory types, splits and
 * merges, argument checks, -ENOMEM leaving the EPT unchanged, teardown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/compiler.h>
#include <lxds/errno.h>
#include <lxds/ept.h>

#include "ept_harness.h"

#define K4 EPT_PAGE_4K
#define M2 EPT_PAGE_2M
#define G1 EPT_PAGE_1G

/* The format every test of the group runs in (main runs the group once per format). */
static enum ept_format test_format;

struct fixture {
    struct fake_mem fm;
    struct ept ept;
    struct ref_model ref;
};

static int setup_with(void **state, bool allow_2m, bool allow_1g)
{
    struct fixture *f = calloc(1, sizeof(*f));

    fake_mem_init(&f->fm, 8192);
    assert_int_equal(ept_init(&f->ept, &f->fm.backing, test_format, allow_2m, allow_1g), 0);
    ref_init(&f->ref);
    *state = f;
    return 0;
}

static int setup_all(void **state)   { return setup_with(state, true, true); }
static int setup_2m(void **state)    { return setup_with(state, true, false); }
static int setup_4k(void **state)    { return setup_with(state, false, false); }

static int teardown(void **state)
{
    struct fixture *f = *state;

    assert_true(check_structure(&f->ept, &f->fm));
    ept_destroy(&f->ept);
    assert_int_equal(f->fm.used, 0);
    assert_int_equal(f->fm.allocs, f->fm.frees);
    fake_mem_fini(&f->fm);
    ref_fini(&f->ref);
    free(f);
    return 0;
}

/* Maps in both the EPT and the model, expecting success. */
static void map_ok(struct fixture *f, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned r,
                   enum ept_memtype mt)
{
    assert_int_equal(ept_map(&f->ept, gpa, hpa, size, r, mt), 0);
    ref_map(&f->ref, gpa, hpa, size, r, mt);
}

static void agree(struct fixture *f)
{
    assert_true(check_equal(&f->ept, &f->ref));
    assert_true(check_structure(&f->ept, &f->fm));
}

static void expect_page(struct fixture *f, uint64_t gpa, uint64_t hpa, uint64_t size,
                        unsigned rights, enum ept_memtype mt)
{
    uint64_t got_hpa, got_size;
    unsigned got_rights;
    enum ept_memtype got_mt;

    assert_int_equal(ept_translate(&f->ept, gpa, &got_hpa, &got_rights, &got_size, &got_mt), 0);
    assert_int_equal(got_hpa, hpa);
    assert_int_equal(got_size, size);
    assert_int_equal(got_rights, rights);
    assert_int_equal(got_mt, mt);
}

static void test_init_eptp_destroy(void **state)
{
    struct fixture *f = *state;
    struct fake_mem fm;
    struct ept e;
    struct ept_backing broken;

    assert_int_equal(f->ept.tables, 1);
    assert_int_equal(f->fm.used, 1);
    assert_int_equal(ept_eptp(&f->ept, false), f->ept.root | 6 | (3 << 3));
    assert_int_equal(ept_eptp(&f->ept, true), f->ept.root | 6 | (3 << 3) | (1 << 6));
    assert_int_equal(f->ept.root & 0xfff, 0);

    fake_mem_init(&fm, 4);
    assert_int_equal(ept_init(&e, &fm.backing, test_format, false, true), -EINVAL);   /* 1G needs 2M */
    assert_int_equal(ept_init(&e, &fm.backing, (enum ept_format)7, true, true), -EINVAL);
    broken = fm.backing;
    broken.phys_to_virt = NULL;
    assert_int_equal(ept_init(&e, &broken, test_format, true, true), -EINVAL);
    fm.limit = 0;
    assert_int_equal(ept_init(&e, &fm.backing, test_format, true, true), -ENOMEM);
    fm.limit = 4;
    assert_int_equal(ept_init(&e, &fm.backing, test_format, true, true), 0);
    assert_int_equal(ept_map(&e, 0, 0, G1, EPT_RWX, EPT_MT_WB), 0);
    ept_destroy(&e);
    ept_destroy(&e);                                    /* twice is harmless */
    assert_int_equal(e.tables, 0);
    assert_int_equal(ept_map(&e, 0, 0, K4, EPT_R, EPT_MT_WB), -EINVAL);
    assert_int_equal(ept_translate(&e, 0, NULL, NULL, NULL, NULL), -EINVAL);
    fake_mem_fini(&fm);                                 /* aborts on a leak */
}

static void test_map_4k_byte_exact(void **state)
{
    struct fixture *f = *state;
    uint64_t hpa;

    map_ok(f, 0x7000, 0x123456789000ull, K4, EPT_R | EPT_X, EPT_MT_WB);
    expect_page(f, 0x7000, 0x123456789000ull, K4, EPT_R | EPT_X, EPT_MT_WB);
    expect_page(f, 0x7abc, 0x123456789abcull, K4, EPT_R | EPT_X, EPT_MT_WB);
    assert_int_equal(ept_translate(&f->ept, 0x7fff, &hpa, NULL, NULL, NULL), 0);
    assert_int_equal(hpa, 0x123456789fffull);
    assert_int_equal(ept_translate(&f->ept, 0x6fff, &hpa, NULL, NULL, NULL), -ENOENT);
    assert_int_equal(ept_translate(&f->ept, 0x8000, NULL, NULL, NULL, NULL), -ENOENT);
    assert_int_equal(ept_translate(&f->ept, 1ull << 48, NULL, NULL, NULL, NULL), -EINVAL);
    assert_int_equal(f->ept.tables, 4);                 /* PML4, PDPT, PD, PT */
    agree(f);
}

static void test_page_sizes_by_alignment(void **state)
{
    struct fixture *f = *state;
    uint64_t gpa = G1 - 2 * K4, size = 2 * K4 + G1 + M2 + K4, n[3];

    /* 2 x 4K up to the 1G line, one 1G page, one 2M page, one 4K page. */
    map_ok(f, gpa, gpa + 4 * G1, size, EPT_RWX, EPT_MT_WB);
    count_leaves(&f->ept, n);
    assert_int_equal(n[0], 3);
    assert_int_equal(n[1], 1);
    assert_int_equal(n[2], 1);
    expect_page(f, G1 + 0x1234567, 5 * G1 + 0x1234567, G1, EPT_RWX, EPT_MT_WB);
    expect_page(f, 2 * G1 + 0x12345, 6 * G1 + 0x12345, M2, EPT_RWX, EPT_MT_WB);
    expect_page(f, 2 * G1 + M2 + 5, 6 * G1 + M2 + 5, K4, EPT_RWX, EPT_MT_WB);
    /* PML4, PDPT, PD (below 1G), PT (4K below 1G), PD (above), PT (above) */
    assert_int_equal(f->ept.tables, 6);
    agree(f);

    /* The GPA is aligned but the HPA is only 2M aligned: no 1G page. */
    map_ok(f, 8 * G1, 16 * G1 + M2, G1, EPT_R, EPT_MT_UC);
    count_leaves(&f->ept, n);
    assert_int_equal(n[1], 1 + 512);
    assert_int_equal(n[2], 1);
    /* Only 4K aligned relative to each other: every page is 4K. */
    map_ok(f, 12 * G1, 20 * G1 + K4, 2 * M2, EPT_R, EPT_MT_UC);
    count_leaves(&f->ept, n);
    assert_int_equal(n[0], 3 + 1024);
    agree(f);
}

static void test_only_4k_when_large_disabled(void **state)
{
    struct fixture *f = *state;
    uint64_t n[3];

    map_ok(f, 0, 0, 2 * G1 / 64, EPT_RWX, EPT_MT_WB);  /* 32 MiB, 2M aligned */
    count_leaves(&f->ept, n);
    assert_int_equal(n[0], 2 * G1 / 64 / K4);
    assert_int_equal(n[1] + n[2], 0);
    agree(f);
}

static void test_no_1g_when_only_2m(void **state)
{
    struct fixture *f = *state;
    uint64_t n[3];

    map_ok(f, G1, G1, G1, EPT_RWX, EPT_MT_WB);
    count_leaves(&f->ept, n);
    assert_int_equal(n[1], 512);
    assert_int_equal(n[2], 0);
    /* Split of a 2M page and merge back still work. */
    assert_int_equal(ept_unmap(&f->ept, G1 + 3 * K4, K4), 0);
    ref_unmap(&f->ref, G1 + 3 * K4, K4);
    agree(f);
    map_ok(f, G1 + 3 * K4, G1 + 3 * K4, K4, EPT_RWX, EPT_MT_WB);
    count_leaves(&f->ept, n);
    assert_int_equal(n[0], 0);
    assert_int_equal(n[1], 512);
    agree(f);
}

static void test_rights_and_memtypes(void **state)
{
    struct fixture *f = *state;
    static const unsigned rights[] = { EPT_R, EPT_R | EPT_W, EPT_R | EPT_X, EPT_RWX, EPT_X };
    static const enum ept_memtype mts[] = { EPT_MT_UC, EPT_MT_WC, EPT_MT_WT, EPT_MT_WP,
                                            EPT_MT_WB };
    /* NPT has no execute-only pages: the last rights are refused there */
    unsigned nrights = test_format == EPT_FORMAT_NPT ? ARRAY_SIZE(rights) - 1 : ARRAY_SIZE(rights);

    if (test_format == EPT_FORMAT_NPT)
        assert_int_equal(ept_map(&f->ept, 0, 0, K4, EPT_X, EPT_MT_WB), -EINVAL);
    for (unsigned i = 0; i < nrights; i++)
        for (unsigned j = 0; j < ARRAY_SIZE(mts); j++) {
            uint64_t gpa = (i * 8 + j) * M2;

            map_ok(f, gpa, gpa + G1, M2, rights[i], mts[j]);
            expect_page(f, gpa + 0x777, gpa + G1 + 0x777, M2, rights[i], mts[j]);
        }
    agree(f);
}

static void test_invalid_arguments(void **state)
{
    struct fixture *f = *state;
    uint64_t top = 1ull << 48;

    assert_int_equal(ept_map(&f->ept, 0, 0, K4, EPT_W, EPT_MT_WB), -EINVAL);
    assert_int_equal(ept_map(&f->ept, 0, 0, K4, EPT_W | EPT_X, EPT_MT_WB), -EINVAL);
    assert_int_equal(ept_map(&f->ept, 0, 0, K4, 0, EPT_MT_WB), -EINVAL);
    assert_int_equal(ept_map(&f->ept, 0, 0, K4, 8 | EPT_R, EPT_MT_WB), -EINVAL);
    assert_int_equal(ept_map(&f->ept, 0, 0, K4, EPT_R, 2), -EINVAL);
    assert_int_equal(ept_map(&f->ept, 0, 0, K4, EPT_R, 3), -EINVAL);
    assert_int_equal(ept_map(&f->ept, 0, 0, K4, EPT_R, 7), -EINVAL);
    assert_int_equal(ept_map(&f->ept, 0x800, 0, K4, EPT_R, EPT_MT_WB), -EINVAL);
    assert_int_equal(ept_map(&f->ept, 0, 0x800, K4, EPT_R, EPT_MT_WB), -EINVAL);
    assert_int_equal(ept_map(&f->ept, 0, 0, 0x1800, EPT_R, EPT_MT_WB), -EINVAL);
    assert_int_equal(ept_map(&f->ept, 0, 0, 0, EPT_R, EPT_MT_WB), -EINVAL);
    assert_int_equal(ept_map(&f->ept, top, 0, K4, EPT_R, EPT_MT_WB), -EINVAL);
    assert_int_equal(ept_map(&f->ept, top - K4, 0, 2 * K4, EPT_R, EPT_MT_WB), -EINVAL);
    assert_int_equal(ept_map(&f->ept, top - K4, 0, ~0xfffull, EPT_R, EPT_MT_WB), -EINVAL);
    assert_int_equal(ept_map(&f->ept, 0, 1ull << 52, K4, EPT_R, EPT_MT_WB), -EINVAL);
    assert_int_equal(ept_map(&f->ept, 0, (1ull << 52) - K4, 2 * K4, EPT_R, EPT_MT_WB), -EINVAL);
    assert_int_equal(ept_unmap(&f->ept, 0x10, K4), -EINVAL);
    assert_int_equal(ept_unmap(&f->ept, 0, 0), -EINVAL);
    assert_int_equal(ept_protect(&f->ept, 0, K4, EPT_W), -EINVAL);
    assert_int_equal(ept_protect(&f->ept, 0, K4, 0), -EINVAL);
    assert_int_equal(f->fm.allocs, 1);                  /* nothing was even prepared */

    /* The very top of the 48-bit space is usable. */
    map_ok(f, top - G1, (1ull << 52) - G1, G1, EPT_R, EPT_MT_WB);
    expect_page(f, top - 1, (1ull << 52) - 1, G1, EPT_R, EPT_MT_WB);
    agree(f);
}

static void test_split_2m_on_partial_unmap_then_merge(void **state)
{
    struct fixture *f = *state;
    uint64_t n[3];

    map_ok(f, 4 * M2, 100 * M2, M2, EPT_RWX, EPT_MT_WB);
    assert_int_equal(f->ept.tables, 3);
    assert_int_equal(ept_unmap(&f->ept, 4 * M2 + 5 * K4, 2 * K4), 0);
    ref_unmap(&f->ref, 4 * M2 + 5 * K4, 2 * K4);
    assert_int_equal(f->ept.tables, 4);
    expect_page(f, 4 * M2 + 4 * K4 + 1, 100 * M2 + 4 * K4 + 1, K4, EPT_RWX, EPT_MT_WB);
    assert_int_equal(ept_translate(&f->ept, 4 * M2 + 6 * K4, NULL, NULL, NULL, NULL), -ENOENT);
    expect_page(f, 4 * M2 + 7 * K4, 100 * M2 + 7 * K4, K4, EPT_RWX, EPT_MT_WB);
    count_leaves(&f->ept, n);
    assert_int_equal(n[0], 510);
    agree(f);

    /* Filling the hole with the matching pages merges back into a 2M page. */
    map_ok(f, 4 * M2 + 5 * K4, 100 * M2 + 5 * K4, 2 * K4, EPT_RWX, EPT_MT_WB);
    count_leaves(&f->ept, n);
    assert_int_equal(n[0], 0);
    assert_int_equal(n[1], 1);
    assert_int_equal(f->ept.tables, 3);
    agree(f);

    /* A hole with a different HPA does not merge. */
    map_ok(f, 4 * M2 + 5 * K4, 7 * K4, K4, EPT_RWX, EPT_MT_WB);
    count_leaves(&f->ept, n);
    assert_int_equal(n[0], 512);
    agree(f);
}

static void test_split_1g_on_partial_unmap_then_merge(void **state)
{
    struct fixture *f = *state;
    uint64_t n[3];

    map_ok(f, 3 * G1, 7 * G1, G1, EPT_R | EPT_X, EPT_MT_WT);
    assert_int_equal(f->ept.tables, 2);
    assert_int_equal(ept_unmap(&f->ept, 3 * G1 + 9 * M2 + 4 * K4, K4), 0);
    ref_unmap(&f->ref, 3 * G1 + 9 * M2 + 4 * K4, K4);
    count_leaves(&f->ept, n);
    assert_int_equal(n[0], 511);
    assert_int_equal(n[1], 511);
    assert_int_equal(n[2], 0);
    assert_int_equal(f->ept.tables, 4);
    expect_page(f, 3 * G1 + 9 * M2 + 3 * K4 + 8, 7 * G1 + 9 * M2 + 3 * K4 + 8, K4,
                EPT_R | EPT_X, EPT_MT_WT);
    expect_page(f, 3 * G1 + 10 * M2, 7 * G1 + 10 * M2, M2, EPT_R | EPT_X, EPT_MT_WT);
    agree(f);

    /* Re-mapping the whole split region gives one 1G page back. */
    map_ok(f, 3 * G1, 7 * G1, G1, EPT_R | EPT_X, EPT_MT_WT);
    count_leaves(&f->ept, n);
    assert_int_equal(n[0] + n[1], 0);
    assert_int_equal(n[2], 1);
    assert_int_equal(f->ept.tables, 2);
    agree(f);

    /* Unmapping a whole 2M inside splits only down to 2M. */
    assert_int_equal(ept_unmap(&f->ept, 3 * G1 + M2, M2), 0);
    ref_unmap(&f->ref, 3 * G1 + M2, M2);
    count_leaves(&f->ept, n);
    assert_int_equal(n[1], 511);
    assert_int_equal(f->ept.tables, 3);
    agree(f);
}

static void test_partial_protect_2m_and_1g(void **state)
{
    struct fixture *f = *state;
    uint64_t n[3];

    map_ok(f, 0, 0, G1, EPT_RWX, EPT_MT_WB);
    map_ok(f, G1, G1, M2, EPT_RWX, EPT_MT_WB);

    assert_int_equal(ept_protect(&f->ept, G1 + K4, K4, EPT_R), 0);
    ref_protect(&f->ref, G1 + K4, K4, EPT_R);
    expect_page(f, G1 + K4 + 9, G1 + K4 + 9, K4, EPT_R, EPT_MT_WB);
    expect_page(f, G1, G1, K4, EPT_RWX, EPT_MT_WB);
    agree(f);

    assert_int_equal(ept_protect(&f->ept, 5 * M2, 3 * M2 + K4, EPT_R | EPT_X), 0);
    ref_protect(&f->ref, 5 * M2, 3 * M2 + K4, EPT_R | EPT_X);
    expect_page(f, 6 * M2, 6 * M2, M2, EPT_R | EPT_X, EPT_MT_WB);
    expect_page(f, 8 * M2, 8 * M2, K4, EPT_R | EPT_X, EPT_MT_WB);
    expect_page(f, 8 * M2 + K4, 8 * M2 + K4, K4, EPT_RWX, EPT_MT_WB);
    expect_page(f, 4 * M2, 4 * M2, M2, EPT_RWX, EPT_MT_WB);
    agree(f);

    /* Protecting everything back merges to the original pages. */
    assert_int_equal(ept_protect(&f->ept, 0, G1 + M2, EPT_RWX), 0);
    ref_protect(&f->ref, 0, G1 + M2, EPT_RWX);
    count_leaves(&f->ept, n);
    assert_int_equal(n[0], 0);
    assert_int_equal(n[1], 1);
    assert_int_equal(n[2], 1);
    agree(f);
}

static void test_protect_hole_changes_nothing(void **state)
{
    struct fixture *f = *state;
    uint64_t tables;

    map_ok(f, 0, 0, G1, EPT_RWX, EPT_MT_WB);
    map_ok(f, G1 + M2, G1 + M2, M2, EPT_RWX, EPT_MT_WB);
    tables = f->ept.tables;
    /* Splits the 1G page at the start before finding the hole at G1. */
    assert_int_equal(ept_protect(&f->ept, G1 - K4, 2 * K4, EPT_R), -ENOENT);
    assert_int_equal(ept_protect(&f->ept, G1 + M2 - K4, 2 * K4, EPT_R), -ENOENT);
    assert_int_equal(ept_protect(&f->ept, 5 * G1, K4, EPT_R), -ENOENT);
    assert_int_equal(f->ept.tables, tables);
    agree(f);
}

static void test_remap_replaces(void **state)
{
    struct fixture *f = *state;

    map_ok(f, 0, 0, 2 * G1, EPT_RWX, EPT_MT_WB);
    map_ok(f, M2 - K4, 0x5000000000ull, 3 * K4, EPT_R, EPT_MT_UC);
    map_ok(f, G1 + 3 * M2, 0x6000000000ull, M2, EPT_R, EPT_MT_WC);
    expect_page(f, M2, 0x5000001000ull, K4, EPT_R, EPT_MT_UC);
    expect_page(f, G1 + 3 * M2 + 5, 0x6000000005ull, M2, EPT_R, EPT_MT_WC);
    expect_page(f, G1 + 4 * M2, G1 + 4 * M2, M2, EPT_RWX, EPT_MT_WB);
    agree(f);
    /* Replacing split regions by one large mapping frees their tables. */
    map_ok(f, 0, 8 * G1, 2 * G1, EPT_R, EPT_MT_WB);
    assert_int_equal(f->ept.tables, 2);
    agree(f);
}

static void test_unmap_holes_and_everything(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(ept_unmap(&f->ept, 0, 4 * G1), 0);     /* nothing mapped */
    map_ok(f, K4, K4, K4, EPT_R, EPT_MT_WB);
    map_ok(f, 3 * G1 + 5 * M2, 0, 9 * M2, EPT_R, EPT_MT_WB);
    map_ok(f, (1ull << 40) + K4 * 3, 0, K4, EPT_R, EPT_MT_WB);
    agree(f);
    assert_int_equal(ept_unmap(&f->ept, 0, 4 * G1), 0);
    ref_unmap(&f->ref, 0, 4 * G1);
    agree(f);
    assert_int_equal(ept_unmap(&f->ept, 0, 1ull << 48), 0);
    ref_unmap(&f->ref, 0, 1ull << 48);
    assert_int_equal(f->ept.tables, 1);
    assert_int_equal(f->fm.used, 1);
    agree(f);
}

/* Runs op with the backing limited to k more frames for k = 0, 1, ... until
 * it succeeds; every failure must leave mapping and tables as they were. */
static void enomem_sweep(struct fixture *f, int (*op)(struct ept *, const void *),
                         const void *arg)
{
    uint64_t tables = f->ept.tables;

    for (size_t k = 0;; k++) {
        int err;

        f->fm.limit = f->fm.used + k;
        err = op(&f->ept, arg);
        if (err == 0)
            break;
        assert_int_equal(err, -ENOMEM);
        assert_int_equal(f->ept.tables, tables);
        assert_true(check_equal(&f->ept, &f->ref));
        assert_true(check_structure(&f->ept, &f->fm));
        assert_true(k < 64);
    }
    f->fm.limit = f->fm.cap;
}

struct range_args { uint64_t gpa, hpa, size; unsigned rights; };

static int op_map(struct ept *e, const void *p)
{
    const struct range_args *a = p;

    return ept_map(e, a->gpa, a->hpa, a->size, a->rights, EPT_MT_WB);
}

static int op_unmap(struct ept *e, const void *p)
{
    const struct range_args *a = p;

    return ept_unmap(e, a->gpa, a->size);
}

static int op_protect(struct ept *e, const void *p)
{
    const struct range_args *a = p;

    return ept_protect(e, a->gpa, a->size, a->rights);
}

static void test_enomem_leaves_ept_unchanged(void **state)
{
    struct fixture *f = *state;
    uint64_t allocs_before;
    /* Across a PML4 boundary, with 4K pieces at both ends. */
    struct range_args m = { (512 * G1) - M2 - K4, (512 * G1) - M2 - K4, 2 * M2 + 2 * K4,
                            EPT_RWX };
    struct range_args u = { 3 * G1 + 7 * M2 + K4, 0, K4, 0 };
    struct range_args p = { 5 * G1 - K4, 0, 2 * K4, EPT_R };

    map_ok(f, 3 * G1, 3 * G1, G1, EPT_RWX, EPT_MT_WB);
    map_ok(f, 4 * G1, 4 * G1, 2 * G1, EPT_RWX, EPT_MT_WB);
    agree(f);

    allocs_before = f->fm.allocs;
    enomem_sweep(f, op_map, &m);
    assert_true(f->fm.allocs > allocs_before + 4);       /* it really failed along the way */
    ref_map(&f->ref, m.gpa, m.hpa, m.size, m.rights, EPT_MT_WB);
    agree(f);

    enomem_sweep(f, op_unmap, &u);                        /* splits 1G, then 2M */
    ref_unmap(&f->ref, u.gpa, u.size);
    agree(f);

    enomem_sweep(f, op_protect, &p);                      /* splits two 1G pages */
    ref_protect(&f->ref, p.gpa, p.size, p.rights);
    agree(f);
}

static void test_teardown_frees_everything(void **state)
{
    struct fixture *f = *state;

    for (unsigned i = 0; i < 64; i++)
        map_ok(f, (uint64_t)i * 37 * G1 + i * 3 * M2 + i * K4, (uint64_t)i * G1,
               (i % 4 + 1) * M2 + K4, i % 2 ? EPT_R : EPT_RWX, EPT_MT_WB);
    agree(f);
    assert_true(f->fm.used > 100);
    /* teardown() destroys and checks the backing is empty. */
}

static int stop_at_second(void *arg, uint64_t gpa, uint64_t hpa, uint64_t size,
                          unsigned rights, enum ept_memtype mt)
{
    int *calls = arg;

    (void)gpa, (void)hpa, (void)size, (void)rights, (void)mt;
    return ++*calls == 2 ? 42 : 0;
}

static void test_walk_stops_on_nonzero(void **state)
{
    struct fixture *f = *state;
    int calls = 0;

    map_ok(f, 0, 0, 4 * K4, EPT_R, EPT_MT_WB);
    map_ok(f, 10 * K4, 0, K4, EPT_R, EPT_MT_WB);
    assert_int_equal(ept_walk(&f->ept, stop_at_second, &calls), 42);
    assert_int_equal(calls, 2);
    assert_int_equal(ept_walk(&f->ept, NULL, NULL), -EINVAL);
}

/* A/D bits set by the CPU survive protect, are copied into split pieces and
 * ORed when merged. The raw entries are reached through the backing. */
static void test_accessed_dirty_kept(void **state)
{
    struct fixture *f = *state;
    const struct ept_backing *b = &f->fm.backing;
    uint64_t *pml4, *pdpt, *pd, *pt;

    if (test_format == EPT_FORMAT_NPT)
        return;                         /* test_npt_raw_entries covers NPT's A/D bits */

    map_ok(f, 0, 0, M2, EPT_RWX, EPT_MT_WB);
    pml4 = b->phys_to_virt(b->ctx, f->ept.root);
    pdpt = b->phys_to_virt(b->ctx, pml4[0] & 0xffffffffff000ull);
    pd = b->phys_to_virt(b->ctx, pdpt[0] & 0xffffffffff000ull);
    assert_int_equal(pd[0] & (3 << 8), 0);              /* created with A/D clear */
    pd[0] |= 3 << 8;
    assert_int_equal(ept_protect(&f->ept, K4, K4, EPT_R), 0);
    ref_protect(&f->ref, K4, K4, EPT_R);
    pt = b->phys_to_virt(b->ctx, pd[0] & 0xffffffffff000ull);
    assert_int_equal(pt[0] & (3 << 8), 3 << 8);
    assert_int_equal(pt[1] & (3 << 8), 3 << 8);
    assert_int_equal(pt[1] & 7, EPT_R);
    pt[5] &= ~(3ull << 8);
    assert_int_equal(ept_protect(&f->ept, K4, K4, EPT_RWX), 0);
    ref_protect(&f->ref, K4, K4, EPT_RWX);
    assert_int_equal(pd[0] & ((3 << 8) | (1 << 7)), (3 << 8) | (1 << 7));
    agree(f);
}

/* NPT leaves as the APM defines them: P, U/S, R/W for W, NX unless X, the
 * memory type as a PAT index (PAT bit 7 on 4K, 12 on large), PS on large;
 * A/D (bits 5/6) kept by protect and ORed by merges. */
static void test_npt_raw_entries(void **state)
{
    struct fixture *f = *state;
    const struct ept_backing *b = &f->fm.backing;
    uint64_t *pml4, *pdpt, *pd, *pt;

    if (test_format != EPT_FORMAT_NPT)
        return;
    map_ok(f, 0, 0x40000000, M2, EPT_R | EPT_W, EPT_MT_WC);
    pml4 = b->phys_to_virt(b->ctx, f->ept.root);
    assert_int_equal(pml4[0] & 0xfff, 7);                       /* table: P RW US */
    pdpt = b->phys_to_virt(b->ctx, pml4[0] & 0xffffffffff000ull);
    pd = b->phys_to_virt(b->ctx, pdpt[0] & 0xffffffffff000ull);
    /* 2M leaf: P RW US, PS, PAT index 4 (bit 12), NX */
    assert_int_equal(pd[0], 0x40000000ull | 7 | (1 << 7) | (1 << 12) | (1ull << 63));
    pd[0] |= 3 << 5;                                            /* the CPU set A and D */
    assert_int_equal(ept_protect(&f->ept, K4, K4, EPT_R | EPT_X), 0);
    ref_protect(&f->ref, K4, K4, EPT_R | EPT_X);
    pt = b->phys_to_virt(b->ctx, pd[0] & 0xffffffffff000ull);
    /* 4K pieces: PAT bit moved to bit 7, A/D copied; the protected one RX (no RW, no NX) */
    assert_int_equal(pt[0], 0x40000000ull | 7 | (3 << 5) | (1 << 7) | (1ull << 63));
    assert_int_equal(pt[1], 0x40001000ull | 5 | (3 << 5) | (1 << 7));
    pt[5] &= ~(3ull << 5);
    assert_int_equal(ept_protect(&f->ept, K4, K4, EPT_R | EPT_W), 0);
    ref_protect(&f->ref, K4, K4, EPT_R | EPT_W);
    assert_int_equal(pd[0], 0x40000000ull | 7 | (3 << 5) | (1 << 7) | (1 << 12) | (1ull << 63));
    map_ok(f, M2, 0x1000, K4, EPT_RWX, EPT_MT_UC);              /* UC: PCD PWT, executable */
    pt = b->phys_to_virt(b->ctx, pd[1] & 0xffffffffff000ull);
    assert_int_equal(pt[0], 0x1000ull | 7 | (1 << 3) | (1 << 4));
    map_ok(f, M2 + K4, 0x2000, K4, EPT_R, EPT_MT_WT);           /* WT: PWT, read-only */
    assert_int_equal(pt[1], 0x2000ull | 5 | (1 << 3) | (1ull << 63));
    agree(f);
}

static int run_group(enum ept_format format)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_eptp_destroy, setup_all, teardown),
        cmocka_unit_test_setup_teardown(test_map_4k_byte_exact, setup_all, teardown),
        cmocka_unit_test_setup_teardown(test_page_sizes_by_alignment, setup_all, teardown),
        cmocka_unit_test_setup_teardown(test_only_4k_when_large_disabled, setup_4k, teardown),
        cmocka_unit_test_setup_teardown(test_no_1g_when_only_2m, setup_2m, teardown),
        cmocka_unit_test_setup_teardown(test_rights_and_memtypes, setup_all, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_arguments, setup_all, teardown),
        cmocka_unit_test_setup_teardown(test_split_2m_on_partial_unmap_then_merge, setup_all,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_split_1g_on_partial_unmap_then_merge, setup_all,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_partial_protect_2m_and_1g, setup_all, teardown),
        cmocka_unit_test_setup_teardown(test_protect_hole_changes_nothing, setup_all, teardown),
        cmocka_unit_test_setup_teardown(test_remap_replaces, setup_all, teardown),
        cmocka_unit_test_setup_teardown(test_unmap_holes_and_everything, setup_all, teardown),
        cmocka_unit_test_setup_teardown(test_enomem_leaves_ept_unchanged, setup_all, teardown),
        cmocka_unit_test_setup_teardown(test_teardown_frees_everything, setup_all, teardown),
        cmocka_unit_test_setup_teardown(test_walk_stops_on_nonzero, setup_all, teardown),
        cmocka_unit_test_setup_teardown(test_accessed_dirty_kept, setup_all, teardown),
        cmocka_unit_test_setup_teardown(test_npt_raw_entries, setup_all, teardown),
    };

    test_format = format;
    return format == EPT_FORMAT_VMX ? cmocka_run_group_tests_name("ept (Intel EPT format)", tests, NULL, NULL)
                                    : cmocka_run_group_tests_name("ept (AMD NPT format)", tests, NULL, NULL);
}

int main(void)
{
    int failed = run_group(EPT_FORMAT_VMX);

    return failed + run_group(EPT_FORMAT_NPT);
}
