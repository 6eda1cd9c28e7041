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

#endif
