/* Host stand-in for <linux/minmax.h> (tests/unit/kenv/test_kradix.c). */
#define max(a, b) ((a) > (b) ? (a) : (b))
