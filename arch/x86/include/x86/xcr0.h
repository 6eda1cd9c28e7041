/* XCR0: the SDM's rules for a value XSETBV accepts (Vol. 1 13.3, Vol. 2 XSETBV). */
#ifndef X86_XCR0_H
#define X86_XCR0_H

#include <lxds/types.h>

#define XCR0_X87        (1ull << 0)
#define XCR0_SSE        (1ull << 1)
#define XCR0_AVX        (1ull << 2)
#define XCR0_MPX        (3ull << 3)     /* BNDREGS, BNDCSR */
#define XCR0_AVX512     (7ull << 5)     /* opmask, ZMM_Hi256, Hi16_ZMM */
#define XCR0_AMX        (3ull << 17)    /* XTILECFG, XTILEDATA */

/*
 * Why XSETBV would fault (#GP) writing `value` to XCR`xcr`, or NULL when the
 * CPU accepts it.  `supported` is CPUID.(EAX=0DH,ECX=0):EDX:EAX, the
 * user-state components XCR0 may enable.  Pure: unit-tested on the host.
 */
const char *x86_xcr0_invalid(uint32_t xcr, uint64_t value, uint64_t supported);

#endif
