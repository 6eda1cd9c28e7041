/* Hypervisor logging: printk to the console and the in-memory log, panic, ASSERT. */
#ifndef LXDS_PRINTK_H
#define LXDS_PRINTK_H

#include <lxds/compiler.h>
#include <lxds/types.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_threshold;

void printk(const char *fmt, ...) __printf(1, 2);
void printk_level(enum log_level level, const char *fmt, ...) __printf(2, 3);
void vprintk(const char *fmt, va_list ap);

#define pr_err(...)   printk_level(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  printk_level(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  printk_level(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk_level(LOG_DEBUG, __VA_ARGS__)

/* Copies up to len bytes of the in-memory log starting at byte offset *pos. */
size_t log_read(uint64_t *pos, char *buf, size_t len);

void __noreturn panic_at(const char *file, int line, const char *fmt, ...) __printf(3, 4);
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)
#define ASSERT(c) \
    do { if (unlikely(!(c))) panic("assertion failed: %s", #c); } while (0)

/* Returns err unchanged; when tracing, says where a negative errno came from. */
/* The trace option: trace_error() prints where a negative errno comes from (core/panic.c). */
extern bool trace_errors;
int trace_error_at(int err, const char *file, int line);
#define trace_error(err) trace_error_at((err), __FILE__, __LINE__)

#endif
