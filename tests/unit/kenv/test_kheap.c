/*
 * The kernel environment's allocator (lxd-sdk/kenv/core/kheap.c) over a
 * malloc'ed area, under ASan+UBSan: sizes and alignment of every class,
 * exact accounting back to the start after frees, buddies merging into
 * the largest block again, every bad free refused without damage, and a
 * long random alloc/free run checked against a shadow list (contents
 * intact, no overlap).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/errno.h>

#include "../../../lxd-sdk/kenv/core/kheap.h"

#define AREA (8u << 20)

static void *area;
static struct kheap h;

static int setup(void **state)
{
    (void)state;
    area = aligned_alloc(KHEAP_PAGE, AREA);
    assert_non_null(area);
    assert_int_equal(kheap_init(&h, (uintptr_t)area, AREA), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(area);
    return 0;
}

static void test_init_limits(void **state)
{
    struct kheap small;
    (void)state;
    assert_int_equal(kheap_init(&small, (uintptr_t)area, 3 * KHEAP_PAGE), -EINVAL);
    assert_int_equal(kheap_init(&small, UINTPTR_MAX - KHEAP_PAGE, 8 * KHEAP_PAGE), -EINVAL);
    /* metadata takes a small share */
    assert_true(kheap_free_bytes(&h) > AREA - AREA / 50);
    assert_true(kheap_free_bytes(&h) <= AREA);
}

static void test_classes_and_alignment(void **state)
{
    uint64_t before = kheap_free_bytes(&h);
    void *p[64];
    size_t sizes[] = { 1, 8, 16, 17, 100, 512, 2047, 2048, 2049, 4096, 5000, 1 << 20 };
    (void)state;

    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        p[i] = kheap_alloc(&h, sizes[i], 0);
        assert_non_null(p[i]);
        assert_true(kheap_contains(&h, p[i]));
        assert_true(kheap_usable(&h, p[i]) >= sizes[i]);
        size_t nat = 16;
        while (nat < sizes[i] && nat < KHEAP_PAGE)
            nat <<= 1;
        assert_int_equal((uintptr_t)p[i] % nat, 0);     /* naturally aligned, up to a page */
        memset(p[i], 0xA5, sizes[i]);
    }
    void *a = kheap_alloc(&h, 24, 256);
    assert_non_null(a);
    assert_int_equal((uintptr_t)a % 256, 0);
    assert_int_equal(kheap_free(&h, a), 0);
    assert_null(kheap_alloc(&h, 0, 0));
    assert_null(kheap_alloc(&h, 10, 3));
    assert_null(kheap_alloc(&h, 10, 2 * KHEAP_PAGE));
    assert_null(kheap_alloc(&h, (size_t)1 << 40, 0));
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        assert_int_equal(kheap_free(&h, p[i]), 0);
    assert_int_equal(kheap_free_bytes(&h), before);
    assert_int_equal(h.allocations, 0);
    assert_int_equal(h.used_bytes, 0);
}

static void test_bad_frees(void **state)
{
    uint64_t before = kheap_free_bytes(&h);
    (void)state;
    char *s = kheap_alloc(&h, 64, 0), *s2 = kheap_alloc(&h, 64, 0), *l = kheap_alloc(&h, 9000, 0);
    void *pg = kheap_alloc_pages(&h, 2);
    int local;

    assert_int_equal(kheap_free(&h, NULL), 0);
    assert_int_equal(kheap_free(&h, &local), -EINVAL);          /* not the heap's */
    assert_int_equal(kheap_free(&h, s + 8), -EINVAL);            /* inside an object */
    assert_int_equal(kheap_free(&h, s + 64 * 5), -EINVAL);       /* a free slot */
    assert_int_equal(kheap_free(&h, l + 4096), -EINVAL);         /* a tail page */
    assert_int_equal(kheap_free(&h, pg), -EINVAL);               /* pages are not kfree'd */
    assert_int_equal(kheap_free_pages(&h, pg, 1), -EINVAL);      /* wrong order */
    assert_int_equal(kheap_free_pages(&h, l, 2), -EINVAL);       /* not alloc_pages */
    assert_int_equal(kheap_usable(&h, s + 1), 0);
    assert_int_equal(kheap_free(&h, s), 0);
    assert_int_equal(kheap_free(&h, s), -EINVAL);                /* double free */
    assert_int_equal(kheap_usable(&h, s), 0);
    assert_int_equal(kheap_free(&h, s2), 0);
    assert_int_equal(kheap_free(&h, l), 0);
    assert_int_equal(kheap_free(&h, l), -EINVAL);
    assert_int_equal(kheap_free_pages(&h, pg, 2), 0);
    assert_int_equal(kheap_free_pages(&h, pg, 2), -EINVAL);
    assert_int_equal(kheap_free_bytes(&h), before);
}

/* Everything handed out in single pages comes back as the same big blocks. */
static void test_buddies_merge(void **state)
{
    uint64_t before = kheap_free_bytes(&h);
    unsigned n = (unsigned)(before / KHEAP_PAGE), i;
    void **pages = calloc(n, sizeof(void *));
    (void)state;

    for (i = 0; i < n; i++) {
        pages[i] = kheap_alloc_pages(&h, 0);
        assert_non_null(pages[i]);
    }
    assert_null(kheap_alloc_pages(&h, 0));                       /* exhausted: NULL, no crash */
    assert_null(kheap_alloc(&h, 16, 0));
    assert_int_equal(kheap_free_bytes(&h), 0);
    for (i = 0; i < n; i += 2)
        assert_int_equal(kheap_free_pages(&h, pages[i], 0), 0);
    assert_null(kheap_alloc_pages(&h, 1));                       /* only single pages free */
    for (i = 1; i < n; i += 2)
        assert_int_equal(kheap_free_pages(&h, pages[i], 0), 0);
    assert_int_equal(kheap_free_bytes(&h), before);
    void *big = kheap_alloc_pages(&h, 10);                       /* 4 MiB in one piece again */
    assert_non_null(big);
    assert_int_equal(kheap_free_pages(&h, big, 10), 0);
    free(pages);
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

struct shadow { uint8_t *p; size_t n; uint8_t tag; int pages; unsigned order; };

static void test_random(void **state)
{
    enum { SLOTS = 512, ROUNDS = 200000 };
    static struct shadow sh[SLOTS];
    uint64_t before = kheap_free_bytes(&h);
    (void)state;

    for (int r = 0; r < ROUNDS; r++) {
        struct shadow *s = &sh[rng() % SLOTS];
        if (s->p) {
            for (size_t k = 0; k < s->n; k += 61)
                assert_int_equal(s->p[k], s->tag);               /* nobody wrote over it */
            assert_int_equal(s->pages ? kheap_free_pages(&h, s->p, s->order) : kheap_free(&h, s->p), 0);
            s->p = NULL;
            continue;
        }
        uint64_t kind = rng() % 10;
        s->pages = kind == 0;
        if (s->pages) {
            s->order = (unsigned)(rng() % 4);
            s->n = KHEAP_PAGE << s->order;
            s->p = kheap_alloc_pages(&h, s->order);
        } else {
            s->n = kind < 8 ? 1 + rng() % 2048 : 1 + rng() % 40000;
            s->p = kheap_alloc(&h, s->n, 0);
        }
        if (!s->p)
            continue;                                            /* full: fine */
        s->tag = (uint8_t)rng();
        memset(s->p, s->tag, s->n);
    }
    for (int i = 0; i < SLOTS; i++)
        if (sh[i].p)
            assert_int_equal(sh[i].pages ? kheap_free_pages(&h, sh[i].p, sh[i].order)
                                         : kheap_free(&h, sh[i].p), 0);
    assert_int_equal(kheap_free_bytes(&h), before);
    assert_int_equal(h.allocations, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_limits),
        cmocka_unit_test(test_classes_and_alignment),
        cmocka_unit_test(test_bad_frees),
        cmocka_unit_test(test_buddies_merge),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
