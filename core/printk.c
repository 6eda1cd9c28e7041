/*
 * printk: formats a line, appends it to the in-memory log (readable later,
 * e.g. by a hypercall) and writes it to the console, one core at a time.
 */
#include <lxds/arch.h>
#include <lxds/format.h>
#include <lxds/printk.h>
#include <lxds/string.h>

#define LOG_BUF_SIZE (64 * 1024)        /* power of two */
#define NO_OWNER     (~0u)

enum log_level log_threshold = LOG_INFO;

static char log_buf[LOG_BUF_SIZE];
static uint64_t log_head;               /* bytes ever written */
/* The console lock is its owner's core number (NO_OWNER when free). */
static unsigned int console_owner = NO_OWNER;

static void log_append(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        log_buf[(log_head + i) & (LOG_BUF_SIZE - 1)] = s[i];
    log_head += n;
}

/*
 * Taking the lock and naming its owner are one compare-and-swap, so a core
 * holds the lock exactly when console_owner is its number.  That makes
 * printk safe from an NMI (or a fault) on any core at any point:
 *  - on the core that holds the lock, printk re-enters without locking
 *    (the output may interleave, but it is seen);
 *  - on a core waiting for the lock, the NMI's printk waits too, holding
 *    nothing, and gets the lock when the holder lets go; the interrupted
 *    wait resumes afterwards.
 * A ticket lock deadlocks in the second case: the NMI draws a ticket behind
 * the one its own core is waiting with.  Not fair, but the console is not
 * a fast path.
 */
static bool console_acquire(void)
{
    unsigned int me = arch_cpu_id();

    for (;;) {
        unsigned int owner = __atomic_load_n(&console_owner, __ATOMIC_RELAXED);

        if (owner == me)
            return false;
        if (owner == NO_OWNER &&
            __atomic_compare_exchange_n(&console_owner, &owner, me, false,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return true;
        arch_cpu_relax();
    }
}

static void console_release(bool locked)
{
    if (locked)
        __atomic_store_n(&console_owner, NO_OWNER, __ATOMIC_RELEASE);
}

void vprintk(const char *fmt, va_list ap)
{
    char line[512];
    int n = fmt_vsnprintf(line, sizeof(line), fmt, ap);
    size_t len = n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1;
    unsigned long flags = arch_irq_save();
    bool locked = console_acquire();

    log_append(line, len);
    arch_console_write(line, len);
    console_release(locked);
    arch_irq_restore(flags);
}

void printk(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void printk_level(enum log_level level, const char *fmt, ...)
{
    static const char *const prefix[] = {
        [LOG_ERR] = "error: ", [LOG_WARN] = "warning: ",
        [LOG_INFO] = "", [LOG_DEBUG] = "debug: ",
    };
    char msg[480];
    va_list ap;

    if (level > log_threshold)
        return;
    va_start(ap, fmt);
    fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printk("%s%s", prefix[level], msg);
}

size_t log_read(uint64_t *pos, char *buf, size_t len)
{
    unsigned long flags = arch_irq_save();
    bool locked = console_acquire();
    uint64_t oldest = log_head > LOG_BUF_SIZE ? log_head - LOG_BUF_SIZE : 0;
    size_t n = 0;

    if (*pos < oldest)
        *pos = oldest;              /* the reader fell behind: skip what was overwritten */
    while (n < len && *pos < log_head) {
        buf[n++] = log_buf[*pos & (LOG_BUF_SIZE - 1)];
        (*pos)++;
    }
    console_release(locked);
    arch_irq_restore(flags);
    return n;
}
