/* Property test of the EPT library: thousands of random map/unmap/protect
 * operations of random sizes and alignments in a few-GiB GPA window, some with
 * the backing nearly exhausted, each checked against a reference model
 * (translation sampled every step; full leaf-by-leaf comparison and table
 * audit every few steps and at the end). Seeds are fixed: failures reproduce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/errno.h>
#include <lxds/ept.h>

#include "ept_harness.h"

#define K4 EPT_PAGE_4K
#define M2 EPT_PAGE_2M
#define G1 EPT_PAGE_1G

struct config {
    bool allow_2m, allow_1g;
    enum ept_format format;
    uint64_t base, window;  /* GPA window */
    unsigned steps;
    uint64_t seed;
    uint64_t max_4k_span;   /* cap on ranges whose HPA is only 4K-congruent */
};

struct run {
    const struct config *cfg;
    uint64_t rng;
    struct fake_mem fm;
    struct ept ept;
    struct ref_model ref;
    unsigned enomem_seen, enoent_seen, ops_done;
    unsigned seen_size[3];  /* full checks at which leaves of 4K/2M/1G existed */
};

static const uint64_t aligns[] = { K4, M2, G1 };

/* An address in the window, aligned to a random page size, sometimes nudged
 * by a few 4K pages so ranges start and end inside large pages. */
static uint64_t pick_gpa(struct run *r)
{
    const struct config *c = r->cfg;
    uint64_t a = aligns[rng_below(&r->rng, 3)];
    uint64_t gpa = c->base + rng_below(&r->rng, c->window / a) * a;

    if (rng_below(&r->rng, 4) == 0)
        gpa += rng_below(&r->rng, 8) * K4;
    if (gpa >= c->base + c->window)
        gpa = c->base + c->window - K4;
    return gpa;
}

static uint64_t pick_size(struct run *r, uint64_t gpa)
{
    uint64_t room = r->cfg->base + r->cfg->window - gpa, size;

    switch (rng_below(&r->rng, 4)) {
    case 0:  size = (1 + rng_below(&r->rng, 16)) * K4; break;
    case 1:  size = (1 + rng_below(&r->rng, 8)) * M2; break;
    case 2:  size = (1 + rng_below(&r->rng, 3)) * G1; break;
    default: size = (1 + rng_below(&r->rng, 4)) * M2 + (1 + rng_below(&r->rng, 4)) * K4; break;
    }
    return size < room ? size : room;
}

/* An HPA for gpa congruent to it modulo 1G, 2M or only 4K, so the library has
 * large pages to use or not. */
static uint64_t pick_hpa(struct run *r, uint64_t gpa, uint64_t *congruence)
{
    uint64_t a = aligns[rng_below(&r->rng, 3)];

    *congruence = a;
    return rng_below(&r->rng, 1024) * G1 + (gpa & (a - 1)) +
           (a < G1 ? rng_below(&r->rng, G1 / a) * a : 0);
}

static unsigned pick_rights(struct run *r)
{
    static const unsigned valid[] = { EPT_R, EPT_R | EPT_W, EPT_R | EPT_X, EPT_RWX, EPT_X };

    /* NPT has no execute-only pages (the last entry) */
    return valid[rng_below(&r->rng, r->cfg->format == EPT_FORMAT_NPT ? 4 : 5)];
}

static enum ept_memtype pick_mt(struct run *r)
{
    static const enum ept_memtype mts[] = { EPT_MT_WB, EPT_MT_UC, EPT_MT_WC };

    return mts[rng_below(&r->rng, 3)];
}

/* With the backing sometimes starved, an error must leave everything as it was. */
static void after_op(struct run *r, int err, int want, uint64_t tables_before)
{
    if (err == -ENOMEM) {
        r->enomem_seen++;
        assert_int_equal(r->ept.tables, tables_before);
        return;
    }
    assert_int_equal(err, want);
}

static void step(struct run *r, unsigned i)
{
    uint64_t gpa = pick_gpa(r), size = pick_size(r, gpa), tables = r->ept.tables;
    unsigned kind = rng_below(&r->rng, 20);
    bool starve = rng_below(&r->rng, 16) == 0;
    int err;

    if (starve)
        r->fm.limit = r->fm.used + rng_below(&r->rng, 4);
    if (kind < 9) {
        uint64_t congruence, hpa = pick_hpa(r, gpa, &congruence);
        unsigned rights = pick_rights(r);
        enum ept_memtype mt = pick_mt(r);

        /* Keep the leaf count bounded: ranges of 4K pages stay short. */
        if (congruence == K4 || !r->cfg->allow_2m)
            size = size < r->cfg->max_4k_span ? size : r->cfg->max_4k_span;
        err = ept_map(&r->ept, gpa, hpa, size, rights, mt);
        after_op(r, err, 0, tables);
        if (!err)
            ref_map(&r->ref, gpa, hpa, size, rights, mt);
    } else if (kind < 15) {
        err = ept_unmap(&r->ept, gpa, size);
        after_op(r, err, 0, tables);
        if (!err)
            ref_unmap(&r->ref, gpa, size);
    } else {
        unsigned rights = pick_rights(r);

        /* Half the time inside a mapped range, so protect mostly succeeds. */
        if (r->ref.n && rng_below(&r->rng, 2)) {
            const struct ref_range *m = &r->ref.r[rng_below(&r->rng, r->ref.n)];
            uint64_t pages = (m->end - m->gpa) / K4;
            uint64_t first = rng_below(&r->rng, pages);

            gpa = m->gpa + first * K4;
            size = (1 + rng_below(&r->rng, pages - first)) * K4;
        }
        err = ept_protect(&r->ept, gpa, size, rights);
        if (err == -ENOENT)
            r->enoent_seen++;
        after_op(r, err, ref_covered(&r->ref, gpa, size) ? 0 : -ENOENT, tables);
        if (!err)
            ref_protect(&r->ref, gpa, size, rights);
    }
    r->fm.limit = r->fm.cap;
    if (!err)
        r->ops_done++;

    /* Sample: both edges of the range, just outside them, and random GPAs. */
    assert_true(check_translate(&r->ept, &r->ref, gpa));
    assert_true(check_translate(&r->ept, &r->ref, gpa + size - 1));
    if (gpa > 0)
        assert_true(check_translate(&r->ept, &r->ref, gpa - 1));
    assert_true(check_translate(&r->ept, &r->ref, gpa + size));
    for (int s = 0; s < 8; s++) {
        assert_true(check_translate(&r->ept, &r->ref, gpa + rng_below(&r->rng, size)));
        assert_true(check_translate(&r->ept, &r->ref,
                                    r->cfg->base + rng_below(&r->rng, r->cfg->window)));
    }
    if (i % 8 == 0 || err) {
        uint64_t n[3];

        assert_true(check_equal(&r->ept, &r->ref));
        assert_true(check_structure(&r->ept, &r->fm));
        count_leaves(&r->ept, n);
        for (int s = 0; s < 3; s++)
            r->seen_size[s] += n[s] != 0;
    }
}

static void run_config(const struct config *cfg)
{
    struct run r = { .cfg = cfg, .rng = cfg->seed };

    fake_mem_init(&r.fm, 16384);
    ref_init(&r.ref);
    assert_int_equal(ept_init(&r.ept, &r.fm.backing, cfg->format, cfg->allow_2m, cfg->allow_1g), 0);
    for (unsigned i = 0; i < cfg->steps; i++)
        step(&r, i);
    assert_true(check_equal(&r.ept, &r.ref));
    assert_true(check_structure(&r.ept, &r.fm));
    /* The run must have exercised the error paths, not only the happy one. */
    assert_true(r.enomem_seen > 10);
    assert_true(r.enoent_seen > 10);
    assert_true(r.ops_done > cfg->steps / 2);
    assert_true(r.seen_size[0] > 0);
    assert_true((r.seen_size[1] > 0) == cfg->allow_2m);
    assert_true((r.seen_size[2] > 0) == cfg->allow_1g);

    assert_int_equal(ept_unmap(&r.ept, cfg->base, cfg->window), 0);
    assert_int_equal(r.ept.tables, 1);
    ept_destroy(&r.ept);
    assert_int_equal(r.fm.used, 0);
    fake_mem_fini(&r.fm);
    ref_fini(&r.ref);
}

static void test_random_all_sizes(void **state)
{
    static const struct config c = { true, true, EPT_FORMAT_VMX, 0, 4 * G1, 3000, 0x1234567, 8 * M2 };

    (void)state;
    run_config(&c);
}

static void test_random_top_of_gpa_space(void **state)
{
    static const struct config c = { true, true, EPT_FORMAT_VMX, (1ull << 48) - 4 * G1, 4 * G1, 1500,
                                     0xfeedf00d, 8 * M2 };

    (void)state;
    run_config(&c);
}

static void test_random_2m_only_across_pml4_line(void **state)
{
    static const struct config c = { true, false, EPT_FORMAT_VMX, 510 * G1, 4 * G1, 1500, 0xabcdef1,
                                      8 * M2 };

    (void)state;
    run_config(&c);
}

static void test_random_4k_only(void **state)
{
    static const struct config c = { false, false, EPT_FORMAT_VMX, 3 * G1, G1 / 4, 1000, 0x5eed, 4 * M2 };

    (void)state;
    run_config(&c);
}

static void test_random_npt_all_sizes(void **state)
{
    static const struct config c = { true, true, EPT_FORMAT_NPT, 0, 4 * G1, 3000, 0x7654321,
                                     8 * M2 };

    (void)state;
    run_config(&c);
}

static void test_random_npt_2m_only_across_pml4_line(void **state)
{
    static const struct config c = { true, false, EPT_FORMAT_NPT, 510 * G1, 4 * G1, 1500,
                                     0x1badcafe, 8 * M2 };

    (void)state;
    run_config(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_all_sizes),
        cmocka_unit_test(test_random_top_of_gpa_space),
        cmocka_unit_test(test_random_2m_only_across_pml4_line),
        cmocka_unit_test(test_random_4k_only),
        cmocka_unit_test(test_random_npt_all_sizes),
        cmocka_unit_test(test_random_npt_2m_only_across_pml4_line),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
