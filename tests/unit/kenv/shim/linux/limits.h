/* Host stand-in for <linux/limits.h> (tests/unit/kenv/test_kradix.c). */
#include <limits.h>
