/*
 * The ELF note by which a kernel-environment image asks the hypervisor for
 * its heap (include/lxds/hypercall_abi.h: name "LXDS", type
 * LXD_NOTE_HEAP_BYTES, 8 bytes).  Compiled per image with
 * -DKENV_HEAP_BYTES=<bytes> (lxd-sdk/kenv/build.mk: KENV_HEAP_<image>).
 */
#include <lxds/hypercall_abi.h>

#ifndef KENV_HEAP_BYTES
#error "KENV_HEAP_BYTES must be given"
#endif
_Static_assert(KENV_HEAP_BYTES > 0 && KENV_HEAP_BYTES <= LXD_HEAP_MAX,
               "KENV_HEAP_BYTES must be 1..LXD_HEAP_MAX");

struct lxds_heap_note {
    uint32_t namesz, descsz, type;
    char name[8];                   /* "LXDS\0", padded to 4 bytes */
    uint32_t bytes_lo, bytes_hi;    /* 4-byte aligned, as notes are */
};

__attribute__((section(".note.lxds"), aligned(4), used))
static const struct lxds_heap_note kenv_heap_note = {
    .namesz = sizeof(LXD_NOTE_NAME), .descsz = 8, .type = LXD_NOTE_HEAP_BYTES,
    .name = LXD_NOTE_NAME,
    .bytes_lo = (uint32_t)(KENV_HEAP_BYTES & 0xFFFFFFFFull),
    .bytes_hi = (uint32_t)((unsigned long long)KENV_HEAP_BYTES >> 32),
};
