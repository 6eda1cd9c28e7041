/* The bitmap frame allocator: see include/lxds/frame_alloc.h. */
#include <lxds/errno.h>
#include <lxds/frame_alloc.h>
#include <lxds/string.h>

#define BITS 64

size_t frame_alloc_bitmap_bytes(uint64_t nframes)
{
    return (size_t)((nframes + BITS - 1) / BITS) * sizeof(uint64_t);
}

static bool bit_get(const struct frame_alloc *fa, uint64_t i)
{
    return fa->bitmap[i / BITS] >> (i % BITS) & 1;
}

static void bit_set(struct frame_alloc *fa, uint64_t i)
{
    fa->bitmap[i / BITS] |= 1ull << (i % BITS);
}

static void bit_clear(struct frame_alloc *fa, uint64_t i)
{
    fa->bitmap[i / BITS] &= ~(1ull << (i % BITS));
}

void frame_alloc_init(struct frame_alloc *fa, const char *name, uint64_t base,
                      uint64_t nframes, uint64_t *bitmap)
{
    *fa = (struct frame_alloc){ .name = name, .base = base, .nframes = nframes,
                                .bitmap = bitmap };
    memset(bitmap, 0xff, frame_alloc_bitmap_bytes(nframes));
}

/* Clips [addr, addr+len) to the managed range, in frame indices [*first, *last). */
static bool clip(const struct frame_alloc *fa, uint64_t start, uint64_t end,
                 uint64_t *first, uint64_t *last)
{
    uint64_t lo = fa->base, hi = fa->base + fa->nframes * PAGE_SIZE;

    if (end <= start || end <= lo || start >= hi)
        return false;
    start = start < lo ? lo : start;
    end = end > hi ? hi : end;
    *first = (start - lo) >> PAGE_SHIFT;
    *last = (end - lo) >> PAGE_SHIFT;
    return *first < *last;
}

void frame_alloc_release(struct frame_alloc *fa, uint64_t addr, uint64_t len)
{
    uint64_t first, last;
    uint64_t end = addr + len < addr ? UINT64_MAX : addr + len;

    if (!clip(fa, ALIGN_UP(addr, PAGE_SIZE), ALIGN_DOWN(end, PAGE_SIZE), &first, &last))
        return;
    for (uint64_t i = first; i < last; i++)
        if (bit_get(fa, i)) {
            bit_clear(fa, i);
            fa->free_frames++;
        }
}

uint64_t frame_alloc_reserve(struct frame_alloc *fa, uint64_t addr, uint64_t len)
{
    uint64_t first, last, taken = 0;
    uint64_t end = addr + len < addr ? UINT64_MAX : addr + len;

    if (!clip(fa, ALIGN_DOWN(addr, PAGE_SIZE), ALIGN_UP(end, PAGE_SIZE), &first, &last))
        return 0;
    for (uint64_t i = first; i < last; i++)
        if (!bit_get(fa, i)) {
            bit_set(fa, i);
            fa->free_frames--;
            taken++;
        }
    return taken;
}

/* Length of the free run starting at i, up to want frames. */
static uint64_t free_run(const struct frame_alloc *fa, uint64_t i, uint64_t want)
{
    uint64_t n = 0;

    while (n < want && i + n < fa->nframes && !bit_get(fa, i + n))
        n++;
    return n;
}

static bool search(struct frame_alloc *fa, uint64_t from, uint64_t to,
                   uint64_t count, uint64_t align, uint64_t *found)
{
    /* alignment is of the physical address, not of the index */
    uint64_t base_frame = fa->base >> PAGE_SHIFT;

    for (uint64_t i = from; i + count <= to; ) {
        uint64_t aligned = ALIGN_UP(base_frame + i, align) - base_frame;
        if (aligned != i) {
            i = aligned;
            continue;
        }
        if (fa->bitmap[i / BITS] == ~0ull && i % BITS == 0) {
            i += BITS;              /* skip a full word quickly */
            continue;
        }
        uint64_t run = free_run(fa, i, count);
        if (run == count) {
            *found = i;
            return true;
        }
        i += run + 1;
    }
    return false;
}

static bool bad_request(uint64_t count, uint64_t align_frames)
{
    return count == 0 || align_frames == 0 || (align_frames & (align_frames - 1));
}

/* Marks the run [i, i + count) in use and returns its address. */
static uint64_t claim(struct frame_alloc *fa, uint64_t i, uint64_t count)
{
    for (uint64_t k = 0; k < count; k++)
        bit_set(fa, i + k);
    fa->free_frames -= count;
    return fa->base + (i << PAGE_SHIFT);
}

int frame_alloc_get(struct frame_alloc *fa, uint64_t count, uint64_t align_frames,
                    uint64_t *addr)
{
    uint64_t i;

    if (bad_request(count, align_frames))
        return -EINVAL;
    if (count > fa->free_frames)
        return -ENOMEM;
    if (!search(fa, fa->hint, fa->nframes, count, align_frames, &i) &&
        !search(fa, 0, fa->nframes, count, align_frames, &i))
        return -ENOMEM;
    *addr = claim(fa, i, count);
    fa->hint = i + count;
    return 0;
}

/* Top-down: the highest aligned run of count free frames. */
static bool search_high(const struct frame_alloc *fa, uint64_t count, uint64_t align,
                        uint64_t *found)
{
    uint64_t base_frame = fa->base >> PAGE_SHIFT;

    if (count > fa->nframes)
        return false;
    for (uint64_t i = fa->nframes - count + 1; i-- > 0; ) {
        uint64_t aligned = ALIGN_DOWN(base_frame + i, align);
        if (aligned < base_frame)
            return false;
        if (aligned - base_frame != i) {
            i = aligned - base_frame + 1;      /* the loop's i-- lands on the aligned index */
            continue;
        }
        if (free_run(fa, i, count) == count) {
            *found = i;
            return true;
        }
    }
    return false;
}

int frame_alloc_get_high(struct frame_alloc *fa, uint64_t count, uint64_t align_frames,
                         uint64_t *addr)
{
    uint64_t i;

    if (bad_request(count, align_frames))
        return -EINVAL;
    if (count > fa->free_frames || !search_high(fa, count, align_frames, &i))
        return -ENOMEM;
    *addr = claim(fa, i, count);
    return 0;
}

int frame_alloc_put(struct frame_alloc *fa, uint64_t addr, uint64_t count)
{
    uint64_t i;

    if (!IS_ALIGNED(addr, PAGE_SIZE) || addr < fa->base || count == 0)
        return -EINVAL;
    i = (addr - fa->base) >> PAGE_SHIFT;
    if (i >= fa->nframes || count > fa->nframes - i)
        return -EINVAL;
    for (uint64_t k = 0; k < count; k++)
        if (!bit_get(fa, i + k))
            return -EINVAL;         /* double free: change nothing */
    for (uint64_t k = 0; k < count; k++)
        bit_clear(fa, i + k);
    fa->free_frames += count;
    if (i < fa->hint)
        fa->hint = i;
    return 0;
}

bool frame_alloc_is_used(const struct frame_alloc *fa, uint64_t addr)
{
    if (addr < fa->base)
        return true;
    uint64_t i = (addr - fa->base) >> PAGE_SHIFT;
    return i >= fa->nframes || bit_get(fa, i);
}

static uint64_t count_free(const struct frame_alloc *fa)
{
    uint64_t n = 0;

    for (uint64_t i = 0; i < fa->nframes; i++)
        n += !bit_get(fa, i);
    return n;
}

int frame_alloc_self_check(struct frame_alloc *fa, const char **why)
{
    uint64_t before = fa->free_frames, a, b, c;

    if (count_free(fa) != before) {
        *why = "free counter disagrees with the bitmap";
        return -EINVAL;
    }
    if (before < 1 + 8 + 512) {
        *why = "too little free memory to self-check";
        return -ENOMEM;
    }
    if (frame_alloc_get(fa, 1, 1, &a) || frame_alloc_get(fa, 8, 8, &b) ||
        frame_alloc_get(fa, 512, 512, &c)) {
        *why = "could not allocate 1, 8 (aligned) and 512 (2 MiB-aligned) frames";
        return -ENOMEM;
    }
    bool ok = IS_ALIGNED(b, 8 * PAGE_SIZE) &&
              IS_ALIGNED(c, 512 * PAGE_SIZE) && a != b && frame_alloc_is_used(fa, c) &&
              (a + PAGE_SIZE <= b || a >= b + 8 * PAGE_SIZE);
    int bad_free = frame_alloc_put(fa, a, 1) | frame_alloc_put(fa, b, 8) |
                   frame_alloc_put(fa, c, 512);
    bool double_free_caught = frame_alloc_put(fa, a, 1) == -EINVAL;

    if (!ok || bad_free || !double_free_caught || fa->free_frames != before ||
        count_free(fa) != before) {
        *why = !ok ? "allocations overlap or are misaligned"
             : !double_free_caught ? "a double free was not caught"
             : "frames lost across allocate/free";
        return -EINVAL;
    }
    return 0;
}
