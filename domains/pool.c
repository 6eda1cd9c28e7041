/* The LXD pool: a second frame allocator, over memory Linux never sees. */
#include <lxds/arch.h>
#include <lxds/errno.h>
#include <lxds/frame_alloc.h>
#include <lxds/lxd_pool.h>
#include <lxds/memory.h>
#include <lxds/printk.h>
#include <lxds/spinlock.h>
#include <lxds/string.h>

static struct frame_alloc pool;
static spinlock_t pool_lock = SPINLOCK_INIT;

int pool_init(uint64_t start, uint64_t end)
{
    uint64_t nframes = (end - start) / PAGE_SIZE, bitmap;
    size_t bytes = ALIGN_UP(frame_alloc_bitmap_bytes(nframes), PAGE_SIZE);
    int rc = mem_alloc_frames(bytes / PAGE_SIZE, 1, &bitmap);

    if (rc)
        return rc;
    frame_alloc_init(&pool, "lxd pool", start, nframes, phys_to_virt(bitmap));
    frame_alloc_release(&pool, start, end - start);
    return 0;
}

int pool_alloc(uint64_t count, uint64_t align_frames, uint64_t *pa)
{
    if (!pool.bitmap)
        return trace_error(-ENOMEM);
    return frames_get_zeroed(&pool, &pool_lock, count, align_frames, pa);
}

void pool_free(uint64_t pa, uint64_t count)
{
    memset(phys_to_virt(pa), 0, count * PAGE_SIZE);     /* nothing of one LXD for the next */
    frames_put(&pool, &pool_lock, pa, count);
}

uint64_t pool_free_bytes(void)
{
    return __atomic_load_n(&pool.free_frames, __ATOMIC_RELAXED) * PAGE_SIZE;
}

uint64_t pool_total_bytes(void)
{
    return pool.nframes * PAGE_SIZE;
}
