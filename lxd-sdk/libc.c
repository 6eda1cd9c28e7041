/*
 * The LXD's small libc: start-up after crt0, the log, exit, panic, and a
 * bump allocator over the heap the hypervisor maps for us.  Memory and
 * string functions come from lib/string.c, formatting from lib/format.c.
 */
#include <lxds/format.h>
#include <lxds/lxd.h>
#include <lxds/string.h>

struct lxd_boot_info *lxd_boot_info;

static uintptr_t lxd_heap_next, lxd_heap_end;

/*
 * Called by crt0 once it has checked RDI and the magic.  The boot info is
 * the hypervisor's, but a heap range that wraps is still refused rather
 * than believed: an empty heap only makes lxd_alloc return NULL.
 */
void lxd_sdk_start(struct lxd_boot_info *bi);
void lxd_sdk_start(struct lxd_boot_info *bi)
{
    lxd_boot_info = bi;
    if (bi->heap_bytes != 0 && bi->heap_va + bi->heap_bytes > bi->heap_va) {
        lxd_heap_next = bi->heap_va;
        lxd_heap_end = bi->heap_va + bi->heap_bytes;
    }
}

void lxd_exit(uint64_t code)
{
    for (;;)        /* LXD_HC_EXIT does not return; if it ever did, ask again */
        lxd_hypercall2(LXD_HC_EXIT, code, 0);
}

void lxd_log_text(const char *text, size_t len)
{
    if (len > LXD_LOG_LINE)
        len = LXD_LOG_LINE;
    lxd_hypercall2(LXD_HC_LOG, (uintptr_t)text, len);
}

int lxd_vprintf(const char *fmt, va_list ap)
{
    char buf[1024];
    int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t len = n < 0 ? 0 : ((size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    size_t start = 0, i;

    /* One record per line: the hypervisor frames each record as a line. */
    for (i = 0; i <= len; i++) {
        if (i == len || buf[i] == '\n') {
            if (i > start || (i < len && buf[i] == '\n'))
                lxd_log_text(buf + start, i - start);
            start = i + 1;
        }
    }
    return n;
}

int lxd_printf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = lxd_vprintf(fmt, ap);
    va_end(ap);
    return n;
}

void lxd_panic(const char *fmt, ...)
{
    char why[LXD_LOG_LINE + 1];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    lxd_printf("panic: %s", why);
    lxd_exit(LXD_EXIT_PANIC);
}

void *lxd_alloc(size_t bytes, size_t align)
{
    uintptr_t p;

    if (align == 0)
        align = 16;
    if ((align & (align - 1)) != 0 || lxd_heap_next == 0)
        return NULL;
    p = (lxd_heap_next + align - 1) & ~(uintptr_t)(align - 1);
    if (p < lxd_heap_next || p > lxd_heap_end || bytes > lxd_heap_end - p)
        return NULL;
    lxd_heap_next = p + bytes;
    return (void *)p;
}

size_t lxd_heap_left(void)
{
    return lxd_heap_end - lxd_heap_next;
}
