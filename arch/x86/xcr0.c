/* x86_xcr0_invalid: see arch/x86/include/x86/xcr0.h. */
#include <x86/xcr0.h>

const char *x86_xcr0_invalid(uint32_t xcr, uint64_t value, uint64_t supported)
{
    if (xcr != 0)
        return "only XCR0 (ECX = 0) is writable";
    if (!(value & XCR0_X87))
        return "x87 (bit 0) must be set";
    if (value & ~supported)
        return "sets a bit the CPU does not support";
    if ((value & XCR0_AVX) && !(value & XCR0_SSE))
        return "AVX (bit 2) needs SSE (bit 1)";
    if ((value & XCR0_AVX512) && (value & XCR0_AVX512) != XCR0_AVX512)
        return "the AVX-512 bits (5-7) must be set together";
    if ((value & XCR0_AVX512) && !(value & XCR0_AVX))
        return "AVX-512 (bits 5-7) needs AVX (bit 2)";
    if ((value & XCR0_MPX) && (value & XCR0_MPX) != XCR0_MPX)
        return "the MPX bits (3, 4) must be set together";
    if ((value & XCR0_AMX) && (value & XCR0_AMX) != XCR0_AMX)
        return "the AMX bits (17, 18) must be set together";
    return NULL;
}
