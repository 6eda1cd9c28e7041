/* The kernel's printf dialect: lib/format.c plus the %p extensions (kfmt.c). */
#ifndef KENV_KFMT_H
#define KENV_KFMT_H

#include <lxds/types.h>

int kfmt_ptr_ext(const char *f, const void *p, int *width, char *tmp, size_t size);
int kfmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif
