/* Host stand-in for <linux/errno.h> (tests/unit/kenv/test_kradix.c): the
 * kernel's numbers, as lxds spells them.  (glibc's <errno.h> includes
 * <linux/errno.h> too, so this must not include <errno.h>.) */
#include <lxds/errno.h>
