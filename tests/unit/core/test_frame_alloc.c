/* The bitmap frame allocator: accounting, alignment, errors, and random operations
 * checked against a simple reference model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/errno.h>
#include <lxds/frame_alloc.h>

#define BASE    0x100000ull             /* not 0: indices and addresses differ */
#define NFRAMES 3000u

static uint64_t bitmap[(NFRAMES + 63) / 64];
static struct frame_alloc fa;

static void setup_all_free(void)
{
    frame_alloc_init(&fa, "test", BASE, NFRAMES, bitmap);
    frame_alloc_release(&fa, BASE, NFRAMES * 4096ull);
}

static void test_init_release_reserve(void **state)
{
    (void)state;
    frame_alloc_init(&fa, "test", BASE, NFRAMES, bitmap);
    assert_int_equal(fa.free_frames, 0);
    frame_alloc_release(&fa, BASE + 100, 3 * 4096);         /* rounded inward: 2 frames */
    assert_int_equal(fa.free_frames, 2);
    frame_alloc_release(&fa, 0, ~0ull);                     /* clipped to the range */
    assert_int_equal(fa.free_frames, NFRAMES);
    assert_int_equal(frame_alloc_reserve(&fa, BASE + 4096 + 1, 1), 1);   /* rounded outward */
    assert_int_equal(frame_alloc_reserve(&fa, BASE + 4096, 4096), 0);    /* already taken */
    assert_true(frame_alloc_is_used(&fa, BASE + 4096));
    assert_false(frame_alloc_is_used(&fa, BASE));
    assert_true(frame_alloc_is_used(&fa, BASE - 4096));                  /* outside: used */
    assert_true(frame_alloc_is_used(&fa, BASE + NFRAMES * 4096ull));
    assert_int_equal(fa.free_frames, NFRAMES - 1);
}

static void test_alignment(void **state)
{
    uint64_t a, b;
    (void)state;

    setup_all_free();
    assert_int_equal(frame_alloc_get(&fa, 1, 1, &a), 0);
    assert_int_equal(a, BASE);
    assert_int_equal(frame_alloc_get(&fa, 512, 512, &b), 0);   /* 2 MiB aligned physically */
    assert_int_equal(b % (2u << 20), 0);
    assert_int_equal(frame_alloc_get(&fa, 3, 4, &a), 0);
    assert_int_equal(a % (4 * 4096), 0);
    assert_int_equal(frame_alloc_get(&fa, 1, 3, &a), -EINVAL); /* not a power of two */
    assert_int_equal(frame_alloc_get(&fa, 0, 1, &a), -EINVAL);
}

static void test_high(void **state)
{
    uint64_t a, b;
    (void)state;

    setup_all_free();
    assert_int_equal(frame_alloc_get_high(&fa, 1, 1, &a), 0);
    assert_int_equal(a, BASE + (NFRAMES - 1) * 4096ull);
    assert_int_equal(frame_alloc_get_high(&fa, 512, 512, &b), 0);
    assert_int_equal(b % (2u << 20), 0);
    assert_true(b + 512 * 4096ull <= a);
    assert_true(frame_alloc_is_used(&fa, b) && frame_alloc_is_used(&fa, b + 511 * 4096ull));
    assert_int_equal(fa.free_frames, NFRAMES - 513);
    assert_int_equal(frame_alloc_get_high(&fa, NFRAMES, 1, &a), -ENOMEM);
    assert_int_equal(frame_alloc_get_high(&fa, 1, 3, &a), -EINVAL);
}

static void test_exhaustion_and_fragmentation(void **state)
{
    uint64_t a;
    (void)state;

    setup_all_free();
    for (unsigned i = 0; i < NFRAMES; i++)
        assert_int_equal(frame_alloc_get(&fa, 1, 1, &a), 0);
    assert_int_equal(frame_alloc_get(&fa, 1, 1, &a), -ENOMEM);
    /* free every other frame: lots free, but no run of 2 */
    for (unsigned i = 0; i < NFRAMES; i += 2)
        assert_int_equal(frame_alloc_put(&fa, BASE + i * 4096ull, 1), 0);
    assert_int_equal(fa.free_frames, NFRAMES / 2);
    assert_int_equal(frame_alloc_get(&fa, 2, 1, &a), -ENOMEM);
    assert_int_equal(frame_alloc_get(&fa, 1, 1, &a), 0);
}

static void test_bad_frees_change_nothing(void **state)
{
    uint64_t a;
    (void)state;

    setup_all_free();
    assert_int_equal(frame_alloc_get(&fa, 4, 1, &a), 0);
    assert_int_equal(frame_alloc_put(&fa, a, 5), -EINVAL);    /* 5th frame is free */
    assert_int_equal(fa.free_frames, NFRAMES - 4);
    assert_true(frame_alloc_is_used(&fa, a));
    assert_int_equal(frame_alloc_put(&fa, a + 1, 1), -EINVAL);  /* unaligned */
    assert_int_equal(frame_alloc_put(&fa, BASE - 4096, 1), -EINVAL);
    assert_int_equal(frame_alloc_put(&fa, BASE + NFRAMES * 4096ull, 1), -EINVAL);
    assert_int_equal(frame_alloc_put(&fa, a, 4), 0);
    assert_int_equal(frame_alloc_put(&fa, a, 4), -EINVAL);      /* double free */
    assert_int_equal(fa.free_frames, NFRAMES);
}

static void test_self_check(void **state)
{
    const char *why = NULL;
    (void)state;

    setup_all_free();
    assert_int_equal(frame_alloc_self_check(&fa, &why), 0);
    assert_int_equal(fa.free_frames, NFRAMES);
    fa.free_frames++;                                           /* corrupt the counter */
    assert_int_equal(frame_alloc_self_check(&fa, &why), -EINVAL);
    assert_non_null(why);
}

/* Random allocations and frees against a byte-per-frame reference. */
static void test_random_against_reference(void **state)
{
    static uint8_t ref[NFRAMES];
    struct { uint64_t addr, n; } live[256];
    unsigned nlive = 0;
    (void)state;

    setup_all_free();
    memset(ref, 0, sizeof(ref));
    srand(7);
    for (int op = 0; op < 50000; op++) {
        if (nlive < 256 && (rand() % 3 || nlive == 0)) {
            uint64_t n = 1 + rand() % 40, align = 1u << (rand() % 6), a;
            int rc = frame_alloc_get(&fa, n, align, &a);
            if (rc) {
                assert_int_equal(rc, -ENOMEM);
                continue;
            }
            assert_int_equal(a % (align * 4096), 0);
            for (uint64_t k = 0; k < n; k++) {
                uint64_t i = (a - BASE) / 4096 + k;
                assert_true(i < NFRAMES);
                assert_int_equal(ref[i], 0);                    /* never handed out twice */
                ref[i] = 1;
            }
            live[nlive].addr = a;
            live[nlive++].n = n;
        } else {
            unsigned j = (unsigned)rand() % nlive;
            assert_int_equal(frame_alloc_put(&fa, live[j].addr, live[j].n), 0);
            for (uint64_t k = 0; k < live[j].n; k++)
                ref[(live[j].addr - BASE) / 4096 + k] = 0;
            live[j] = live[--nlive];
        }
        uint64_t used = 0;
        for (unsigned i = 0; i < NFRAMES; i += 97)
            assert_int_equal(frame_alloc_is_used(&fa, BASE + i * 4096ull), ref[i]);
        for (unsigned i = 0; i < nlive; i++)
            used += live[i].n;
        assert_int_equal(fa.free_frames, NFRAMES - used);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_release_reserve),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_high),
        cmocka_unit_test(test_exhaustion_and_fragmentation),
        cmocka_unit_test(test_bad_frees_change_nothing),
        cmocka_unit_test(test_self_check),
        cmocka_unit_test(test_random_against_reference),
    };
    return cmocka_run_group_tests_name("frame_alloc", tests, NULL, NULL);
}
