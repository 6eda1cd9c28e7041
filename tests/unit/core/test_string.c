/*
 * lib/string.c's memset, memcpy and memmove (the hypervisor's and every
 * LXD's: they copy and clear a word at a time, then the tail) against byte
 * loops written here: every length 0..80 at every pair of misalignments
 * 0..7, and memmove over overlapping buffers both ways.  Linked into this
 * test, they are the memset/memcpy/memmove the test calls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#define BUF 128
#define GUARD 0xa5

static void fill(unsigned char *b, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)(seed * 131 + i * 7 + 1);
}

static void test_memcpy_every_length_and_alignment(void **state)
{
	unsigned char src[BUF], dst[BUF], want[BUF];
	size_t n, so, doff, i;

	(void)state;
	for (n = 0; n <= 80; n++)
		for (so = 0; so < 8; so++)
			for (doff = 0; doff < 8; doff++) {
				fill(src, BUF, (unsigned)(n + so));
				for (i = 0; i < BUF; i++)
					dst[i] = want[i] = GUARD;
				for (i = 0; i < n; i++)
					want[doff + i] = src[so + i];
				assert_ptr_equal(memcpy(dst + doff, src + so, n), dst + doff);
				assert_memory_equal(dst, want, BUF);   /* nothing outside written */
			}
}

static void test_memset_every_length_and_alignment(void **state)
{
	unsigned char b[BUF], want[BUF];
	size_t n, off, i;
	int c;

	(void)state;
	for (c = 0; c < 512; c += 0x5b)           /* beyond 255: only the low byte counts */
		for (n = 0; n <= 80; n++)
			for (off = 0; off < 8; off++) {
				for (i = 0; i < BUF; i++)
					b[i] = want[i] = GUARD;
				for (i = 0; i < n; i++)
					want[off + i] = (unsigned char)c;
				assert_ptr_equal(memset(b + off, c, n), b + off);
				assert_memory_equal(b, want, BUF);
			}
}

static void test_memmove_overlapping_both_ways(void **state)
{
	unsigned char b[BUF], want[BUF], orig[BUF];
	size_t n, from, to, i;

	(void)state;
	for (n = 0; n <= 40; n++)
		for (from = 0; from < 24; from++)
			for (to = 0; to < 24; to++) {
				fill(orig, BUF, (unsigned)(n * 3 + from));
				for (i = 0; i < BUF; i++)
					b[i] = want[i] = orig[i];
				for (i = 0; i < n; i++)
					want[to + i] = orig[from + i];
				assert_ptr_equal(memmove(b + to, b + from, n), b + to);
				assert_memory_equal(b, want, BUF);
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcpy_every_length_and_alignment),
		cmocka_unit_test(test_memset_every_length_and_alignment),
		cmocka_unit_test(test_memmove_overlapping_both_ways),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
