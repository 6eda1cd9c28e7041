/*
 * Host tests of lxdctl's hardware breakpoint bookkeeping
 * (linux-guest/lxdctl/gdb_hwbp.c): what x86's debug registers can match,
 * four slots at most, the same request inserted twice, removal, which hit
 * gdb hears of, and a hostile stream of Z/z requests that never leaves the
 * table inconsistent.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "gdb_hwbp.h"

static void test_check(void **state)
{
	(void)state;
	assert_int_equal(gdb_hwbp_check(GDB_Z_SW, 0x1000, 1), -ENOSYS);   /* int3: gdb's own */
	assert_int_equal(gdb_hwbp_check(GDB_Z_READ, 0x1000, 4), -ENOSYS); /* no read-only match */
	assert_int_equal(gdb_hwbp_check(5, 0x1000, 4), -ENOSYS);
	assert_int_equal(gdb_hwbp_check(-1, 0x1000, 4), -ENOSYS);
	assert_int_equal(gdb_hwbp_check(GDB_Z_HW, 0x401003, 1), 0);       /* any byte */
	assert_int_equal(gdb_hwbp_check(GDB_Z_HW, 0x401000, 2), -EINVAL);
	for (int len = 0; len <= 16; len++) {
		int ok = len == 1 || len == 2 || len == 4 || len == 8;

		assert_int_equal(gdb_hwbp_check(GDB_Z_WRITE, 0x2000, len), ok ? 0 : -EINVAL);
		assert_int_equal(gdb_hwbp_check(GDB_Z_ACCESS, 0x2000, len), ok ? 0 : -EINVAL);
	}
	assert_int_equal(gdb_hwbp_check(GDB_Z_WRITE, 0x2004, 8), -EINVAL);  /* unaligned */
	assert_int_equal(gdb_hwbp_check(GDB_Z_WRITE, 0x2002, 4), -EINVAL);
	assert_int_equal(gdb_hwbp_check(GDB_Z_WRITE, 0x2001, 2), -EINVAL);
	assert_int_equal(gdb_hwbp_check(GDB_Z_WRITE, 0x2001, 1), 0);
	assert_int_equal(gdb_hwbp_check(GDB_Z_ACCESS, 0x2008, 8), 0);
	assert_int_equal(gdb_hwbp_check(GDB_Z_WRITE, 0x2000, -8), -EINVAL);
}

static void test_slots(void **state)
{
	struct gdb_hwbp_table t = { 0 };
	int fresh, last;

	(void)state;
	assert_int_equal(gdb_hwbp_insert(&t, GDB_Z_HW, 0x401000, 1, &fresh), 0);
	assert_true(fresh);
	assert_int_equal(gdb_hwbp_insert(&t, GDB_Z_WRITE, 0x2000, 8, &fresh), 1);
	assert_true(fresh);
	/* the same again: same slot, nothing to load */
	assert_int_equal(gdb_hwbp_insert(&t, GDB_Z_WRITE, 0x2000, 8, &fresh), 1);
	assert_false(fresh);
	/* same address, other type or length: another slot */
	assert_int_equal(gdb_hwbp_insert(&t, GDB_Z_ACCESS, 0x2000, 8, &fresh), 2);
	assert_int_equal(gdb_hwbp_insert(&t, GDB_Z_WRITE, 0x2000, 4, &fresh), 3);
	assert_int_equal(gdb_hwbp_insert(&t, GDB_Z_WRITE, 0x3000, 4, &fresh), -ENOSPC);
	assert_false(fresh);
	assert_int_equal(gdb_hwbp_insert(&t, GDB_Z_READ, 0x3000, 4, &fresh), -ENOSYS);
	/* removal: the twice-inserted one needs two */
	assert_int_equal(gdb_hwbp_remove(&t, GDB_Z_WRITE, 0x2000, 8, &last), 1);
	assert_false(last);
	assert_int_equal(gdb_hwbp_remove(&t, GDB_Z_WRITE, 0x2000, 8, &last), 1);
	assert_true(last);
	assert_int_equal(gdb_hwbp_remove(&t, GDB_Z_WRITE, 0x2000, 8, &last), -ENOENT);
	assert_int_equal(gdb_hwbp_remove(&t, GDB_Z_SW, 0, 0, &last), -ENOENT);   /* a free slot */
	/* the freed slot is reused */
	assert_int_equal(gdb_hwbp_insert(&t, GDB_Z_WRITE, 0x3000, 4, &fresh), 1);
	assert_true(fresh);
}

static void test_reported(void **state)
{
	struct gdb_hwbp_table t = { 0 };
	int fresh;

	(void)state;
	gdb_hwbp_insert(&t, GDB_Z_HW, 0x401000, 1, &fresh);        /* slot 0 */
	gdb_hwbp_insert(&t, GDB_Z_ACCESS, 0x2000, 8, &fresh);      /* slot 1 */
	assert_int_equal(gdb_hwbp_reported(&t, 0x1), 0);
	assert_int_equal(gdb_hwbp_reported(&t, 0x2), 1);
	assert_int_equal(gdb_hwbp_reported(&t, 0x3), 1);           /* the watchpoint first */
	assert_int_equal(gdb_hwbp_reported(&t, 0x4), -1);          /* a free slot */
	assert_int_equal(gdb_hwbp_reported(&t, 0), -1);
	assert_int_equal(gdb_hwbp_reported(&t, 0xFFFFFFF0u), -1);  /* no such slots */
}

/* Random requests: the table never holds a duplicate, an
 * invalid entry, more than four, or a count below one. */
static void test_hostile(void **state)
{
	struct gdb_hwbp_table t = { 0 };

	(void)state;
	srand(14);
	for (int n = 0; n < 200000; n++) {
		int type = rand() % 7 - 1, len = rand() % 10 - 1, changed;
		uint64_t addr = (uint64_t)(rand() % 4) * 4 + (rand() % 8 == 0 ? (uint64_t)rand() : 0);
		int slot = rand() % 2 ? gdb_hwbp_insert(&t, type, addr, len, &changed)
				      : gdb_hwbp_remove(&t, type, addr, len, &changed);

		if (slot >= 0) {
			assert_in_range(slot, 0, GDB_HWBP_SLOTS - 1);
			assert_int_equal(gdb_hwbp_check(type, addr, len), 0);
		}
		for (int i = 0; i < GDB_HWBP_SLOTS; i++) {
			const struct gdb_hwbp_slot *s = &t.slot[i];

			if (!s->type) {
				assert_int_equal(s->refs, 0);
				continue;
			}
			assert_int_equal(gdb_hwbp_check(s->type, s->addr, s->len), 0);
			assert_true(s->refs >= 1);
			for (int j = 0; j < i; j++)
				assert_false(t.slot[j].type == s->type && t.slot[j].addr == s->addr &&
					     t.slot[j].len == s->len);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_reported),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
