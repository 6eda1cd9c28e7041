/*
 * The kernel environment's radix tree (lxd-sdk/kenv/linux/kenv_radix.c),
 * built on the host with stand-in headers (tests/unit/kenv/shim), under
 * ASan+UBSan: a long random run checked against a plain reference list
 * (dense, sparse and top-of-range indices: inserts, duplicates, lookups,
 * deletes of the right and the wrong item, gang lookups from anywhere);
 * every allocation of an insert failing in turn (-ENOMEM, the tree as
 * before, nothing leaked); the root empty (NULL) exactly when the tree is;
 * and deleting 100 000 items from the front in linear time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/radix-tree.h>

/* ---- kzalloc/kfree for kenv_radix.c: counted, failing on demand ---- */

static long live;               /* allocations not freed */
static long calls;              /* kzalloc calls so far */
static long fail_at = -1;       /* the call (0-based) that fails, or -1 */

void *kzalloc(size_t size, gfp_t gfp)
{
	(void)gfp;
	if (calls++ == fail_at)
		return NULL;
	live++;
	return calloc(1, size);
}

void kfree(const void *p)
{
	if (p)
		live--;
	free((void *)p);
}

/* ---- the reference: (index, item) pairs, unsorted ---- */

#define REF_MAX 6000

static struct { unsigned long index; void *item; } ref[REF_MAX];
static unsigned int nref;

static int ref_find(unsigned long index)
{
	for (unsigned int i = 0; i < nref; i++)
		if (ref[i].index == index)
			return (int)i;
	return -1;
}

/* The first index >= from in the reference, or 0 with *none. */
static unsigned long ref_next(unsigned long from, bool *none)
{
	unsigned long best = 0;

	*none = true;
	for (unsigned int i = 0; i < nref; i++)
		if (ref[i].index >= from && (*none || ref[i].index < best)) {
			best = ref[i].index;
			*none = false;
		}
	return best;
}

static void *item_of(unsigned long index, unsigned int salt)
{
	return (void *)(((index * 0x9e3779b97f4a7c15ul) ^ salt) << 4 | 8);
}

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* An index from one of three crowds: dense, anywhere, near the top. */
static unsigned long some_index(void)
{
	switch (rnd() % 3) {
	case 0:
		return rnd() % 5000;
	case 1:
		return rnd() >> (rnd() % 64);
	default:
		return ULONG_MAX - rnd() % 300;
	}
}

static void check_gang(struct radix_tree_root *root, unsigned long from)
{
	void *got[16];
	unsigned int n = radix_tree_gang_lookup(root, got, from, 16);
	bool none;

	for (unsigned int k = 0; k < n; k++) {
		unsigned long want = ref_next(from, &none);

		assert_false(none);
		assert_ptr_equal(got[k], ref[ref_find(want)].item);
		if (want == ULONG_MAX) {
			assert_int_equal(k + 1, n);
			return;
		}
		from = want + 1;
	}
	if (n < 16) {
		ref_next(from, &none);
		assert_true(none);  /* nothing left the lookup missed */
	}
}

static void empty_the_tree(struct radix_tree_root *root)
{
	while (nref) {
		nref--;
		assert_ptr_equal(radix_tree_delete(root, ref[nref].index), ref[nref].item);
	}
	assert_true(radix_tree_empty(root));
	assert_int_equal(live, 0);
}

static void test_random_against_a_list(void **state)
{
	struct radix_tree_root root = { NULL };

	(void)state;
	for (int step = 0; step < 200000; step++) {
		unsigned long index = some_index();
		int at = ref_find(index);
		unsigned int op = rnd() % 10;

		if (op < 4 && nref < REF_MAX) {
			void *item = item_of(index, (unsigned int)step);
			int rc = radix_tree_insert(&root, index, item);

			if (at >= 0) {
				assert_int_equal(rc, -EEXIST);
			} else {
				assert_int_equal(rc, 0);
				ref[nref].index = index;
				ref[nref++].item = item;
			}
		} else if (op < 7) {
			assert_ptr_equal(radix_tree_lookup(&root, index), at >= 0 ? ref[at].item : NULL);
		} else if (op < 8) {
			/* the wrong item: refused, nothing changes */
			if (at >= 0)
				assert_null(radix_tree_delete_item(&root, index, item_of(index, ~0u)));
			else
				assert_null(radix_tree_delete(&root, index));
		} else if (op < 9) {
			void *got = radix_tree_delete_item(&root, index, at >= 0 ? ref[at].item : NULL);

			assert_ptr_equal(got, at >= 0 ? ref[at].item : NULL);
			if (at >= 0)
				ref[at] = ref[--nref];
		} else {
			check_gang(&root, rnd() % 4 ? index : 0);
		}
		assert_int_equal(radix_tree_empty(&root), nref == 0);
	}
	assert_true(nref > 1000);
	empty_the_tree(&root);
}

/* Each kzalloc of an insert fails in turn: -ENOMEM, every item still there,
 * the new one not, no allocation left behind; then it goes in. */
static void test_every_allocation_failing(void **state)
{
	static const unsigned long into_empty[] = { 0, 63, 64, 4096, 1ul << 40, ULONG_MAX };
	struct radix_tree_root root = { NULL };

	(void)state;
	/* into an empty tree: the root goes back to NULL */
	for (unsigned int i = 0; i < sizeof(into_empty) / sizeof(into_empty[0]); i++) {
		for (fail_at = 0;; fail_at++) {
			long live0 = live;
			int rc;

			calls = 0;
			rc = radix_tree_insert(&root, into_empty[i], item_of(into_empty[i], 1));
			if (rc == 0)
				break;
			assert_int_equal(rc, -ENOMEM);
			assert_true(radix_tree_empty(&root));
			assert_int_equal(live, live0);
		}
		fail_at = -1;
		assert_ptr_equal(radix_tree_delete(&root, into_empty[i]), item_of(into_empty[i], 1));
		assert_true(radix_tree_empty(&root));
		assert_int_equal(live, 0);
	}
	/* into a tree of 300: far indices need a taller tree and new nodes */
	for (unsigned long i = 0; i < 300; i++) {
		assert_int_equal(radix_tree_insert(&root, i * 3, item_of(i * 3, 2)), 0);
		ref[nref].index = i * 3;
		ref[nref++].item = item_of(i * 3, 2);
	}
	for (int k = 0; k < 40; k++) {
		unsigned long index = some_index() | 1ul << (rnd() % 64);

		if (ref_find(index) >= 0)
			continue;
		for (fail_at = 0;; fail_at++) {
			long live0 = live;
			int rc;

			calls = 0;
			rc = radix_tree_insert(&root, index, item_of(index, 3));
			if (rc == 0)
				break;
			assert_int_equal(rc, -ENOMEM);
			assert_null(radix_tree_lookup(&root, index));
			assert_true(live <= live0 + 11);  /* taller tops may stay */
			for (unsigned int j = 0; j < nref; j += 37)
				assert_ptr_equal(radix_tree_lookup(&root, ref[j].index), ref[j].item);
		}
		fail_at = -1;
		ref[nref].index = index;
		ref[nref++].item = item_of(index, 3);
		check_gang(&root, 0);
	}
	empty_the_tree(&root);
}

/* 100 000 dense items deleted from the front (null_blk's discard of 400
 * MiB of pages): the environment's first tree, a sorted array, moved the
 * rest of the array on each delete. */
static void test_deleting_from_the_front(void **state)
{
	struct radix_tree_root root = { NULL };
	const unsigned long n = 100000;

	(void)state;
	for (unsigned long i = 0; i < n; i++)
		assert_int_equal(radix_tree_insert(&root, (i * 7919) % n, item_of((i * 7919) % n, 4)), 0);
	for (unsigned long i = 0; i < n; i++)
		assert_ptr_equal(radix_tree_delete(&root, i), item_of(i, 4));
	assert_true(radix_tree_empty(&root));
	assert_int_equal(live, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_against_a_list),
		cmocka_unit_test(test_every_allocation_failing),
		cmocka_unit_test(test_deleting_from_the_front),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
