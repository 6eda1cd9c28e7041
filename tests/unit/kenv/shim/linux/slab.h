/*
 * Host stand-in for <linux/slab.h> (tests/unit/kenv/test_kradix.c): the
 * test provides kzalloc and kfree, and makes allocations fail on demand.
 */
#include <stddef.h>
typedef unsigned int gfp_t;
#define GFP_ATOMIC 0x20u
void *kzalloc(size_t size, gfp_t gfp);
void kfree(const void *p);
