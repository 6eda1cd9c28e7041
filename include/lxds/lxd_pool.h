/* The LXD pool: RAM kept from Linux, from which LXD images, stacks, heaps come. */
#ifndef LXDS_LXD_POOL_H
#define LXDS_LXD_POOL_H

#include <lxds/types.h>

/* Sets up the pool over [start, end) (its bitmap comes from the hypervisor's frames). */
int pool_init(uint64_t start, uint64_t end);
/* count zeroed frames aligned to align_frames: 0 or -ENOMEM. */
int pool_alloc(uint64_t count, uint64_t align_frames, uint64_t *pa);
void pool_free(uint64_t pa, uint64_t count);
uint64_t pool_free_bytes(void);
uint64_t pool_total_bytes(void);

#endif
