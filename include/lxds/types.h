/* Basic types for freestanding code: only the headers C11 guarantees without libc. */
#ifndef LXDS_TYPES_H
#define LXDS_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t phys_addr_t;

#endif
