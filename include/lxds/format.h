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

/*
 * fmt_vsnprintf with an extension for %p followed by letters (the Linux kernel's
 * %pM, %pI4, %pe...): ext(f, p, &width, tmp, size) gets the text after the
 * 'p', the pointer and the field width; it writes the text into tmp (NUL-
 * terminated) and returns how many format characters it consumed, or 0
 * to print the plain pointer (the letters then print as text).  It may
 * set *width (e.g. to 0 when the width was its own count, as in %*ph).
 * The text is printed with the conversion's width and precision.
 */
#define FMT_PTR_EXT_MAX 256
typedef int (*fmt_ptr_ext_fn)(const char *f, const void *p, int *width, char *tmp, size_t size);
int fmt_vxsnprintf(char *buf, size_t size, const char *fmt, va_list ap, fmt_ptr_ext_fn ext);

#endif
