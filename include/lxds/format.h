/* A small, freestanding vsnprintf: the formatting under printk and the LXD libc. */
#ifndef LXDS_FORMAT_H
#define LXDS_FORMAT_H

#include <lxds/compiler.h>
#include <lxds/types.h>

/*
 * Supports flags '-' '0' '+' ' ' '#', width and precision (numbers or '*'),
 * length modifiers hh h l ll z t j, conversions d i u x X o p s c %.
 * Like C's vsnprintf: always NUL-terminates when size > 0 and returns the
 * length the full output would have had.  Unknown conversions are printed
 * verbatim so a bad format string is visible, never undefined.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/*
 * Copies n bytes of untrusted text into out (size > 6) as one printable
 * line: backslash, newline, CR and tab become \\, \n, \r, \t; every other
 * byte outside printable ASCII (0x20-0x7E) becomes \xNN.  Text that does not
 * fit ends in "[...]".  Always NUL-terminates; returns the length.
 */
size_t fmt_escape(char *out, size_t size, const char *in, size_t n);

#endif
