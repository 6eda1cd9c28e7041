// SPDX-License-Identifier: GPL-2.0
/*
 * Output and failure: printk and dev_* into the hypervisor log (one record
 * per line, "lxd <domain>: <text>"), the snprintf family with the kernel's
 * %p extensions (lxd-sdk/kenv/core/kfmt.c over lib/format.c), WARN/BUG
 * through the #UD handler and the __bug_table, panic.
 */
#include <linux/bug.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/bug.h>

#include "kenv_linux.h"

#define KENV_LINE 256

/* Logs text line by line (a record is one line of at most 255 bytes). */
static void kenv_log_text(const char *text, size_t len)
{
	size_t start = 0, i;

	for (i = 0; i <= len; i++) {
		if (i == len || text[i] == '\n') {
			if (i > start)
				kenv_log_line(text + start, i - start);
			start = i + 1;
		}
	}
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	return kenv_vsnprintf(buf, size, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int vscnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);

	if (n < 0 || !size)
		return 0;
	return (size_t)n < size ? n : (int)size - 1;
}

int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vscnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* The kernel's sprintf has no bound either; INT_MAX as vsprintf does. */
int vsprintf(char *buf, const char *fmt, va_list ap)
{
	return vsnprintf(buf, INT_MAX, fmt, ap);
}

int sprintf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsprintf(buf, fmt, ap);
	va_end(ap);
	return n;
}

char *kvasprintf(gfp_t gfp, const char *fmt, va_list ap)
{
	va_list aq;
	char *p;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	p = kmalloc(n + 1, gfp);
	if (p)
		vsnprintf(p, n + 1, fmt, ap);
	return p;
}

char *kasprintf(gfp_t gfp, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = kvasprintf(gfp, fmt, ap);
	va_end(ap);
	return p;
}

/* "\001" + level digit (KERN_*): dropped; KERN_DEBUG lines are not logged. */
static const char *kenv_strip_level(const char *fmt, int *level)
{
	*level = LOGLEVEL_DEFAULT;
	while (fmt[0] == KERN_SOH_ASCII && fmt[1]) {
		if (fmt[1] >= '0' && fmt[1] <= '7')
			*level = fmt[1] - '0';
		fmt += 2;
	}
	return fmt;
}

static int kenv_vprintk(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	int level, n, p = 0;

	fmt = kenv_strip_level(fmt, &level);
	if (level == LOGLEVEL_DEBUG)
		return 0;
	if (prefix)
		p = scnprintf(buf, sizeof(buf), "%s", prefix);
	n = vscnprintf(buf + p, sizeof(buf) - p, fmt, ap);
	kenv_log_text(buf, p + n);
	return n;
}

int vprintk(const char *fmt, va_list ap)
{
	return kenv_vprintk(NULL, fmt, ap);
}

int _printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kenv_vprintk(NULL, fmt, ap);
	va_end(ap);
	return n;
}

/* dev_info() and friends: "<driver> <device>: text", as the kernel prints them. */
static void kenv_dev_printk(const char *level, const struct device *dev, const char *fmt,
			    va_list ap)
{
	char prefix[96];

	if (dev)
		snprintf(prefix, sizeof(prefix), "%s %s: ", dev->driver ? dev->driver->name : "",
			 dev_name(dev) ? dev_name(dev) : "(unnamed)");
	else
		snprintf(prefix, sizeof(prefix), "(NULL device *): ");
	kenv_vprintk(prefix, fmt, ap);
}

#define KENV_DEV_PRINTK(fn)							\
void fn(const struct device *dev, const char *fmt, ...)				\
{										\
	va_list ap;								\
										\
	va_start(ap, fmt);							\
	kenv_dev_printk(#fn, dev, fmt, ap);					\
	va_end(ap);								\
}
KENV_DEV_PRINTK(_dev_emerg)
KENV_DEV_PRINTK(_dev_alert)
KENV_DEV_PRINTK(_dev_crit)
KENV_DEV_PRINTK(_dev_err)
KENV_DEV_PRINTK(_dev_warn)
KENV_DEV_PRINTK(_dev_notice)
KENV_DEV_PRINTK(_dev_info)

void _dev_printk(const char *level, const struct device *dev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kenv_dev_printk(level, dev, fmt, ap);
	va_end(ap);
}

void kenv_fatal(unsigned long code, const char *fmt, ...)
{
	char why[KENV_LINE];
	va_list ap;

	va_start(ap, fmt);
	vscnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	kenv_die(code, why);
	kenv_die_loop();
}

void panic(const char *fmt, ...)
{
	char why[KENV_LINE];
	va_list ap;
	int n;

	n = scnprintf(why, sizeof(why), "panic: ");
	va_start(ap, fmt);
	vscnprintf(why + n, sizeof(why) - n, fmt, ap);
	va_end(ap);
	kenv_die(KENV_EXIT_PANIC, why);
	kenv_die_loop();
}

/* WARN(cond, fmt...) prints its text here, then traps on ud2 (kenv_linux_ud). */
void __warn_printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kenv_vprintk(NULL, fmt, ap);
	va_end(ap);
}

void warn_slowpath_fmt(const char *file, int line, unsigned int taint, const char *fmt, ...)
{
	va_list ap;

	pr_warn("WARNING: at %s:%d\n", file, line);
	if (fmt) {
		va_start(ap, fmt);
		kenv_vprintk(NULL, fmt, ap);
		va_end(ap);
	}
}

/* The linker script collects every module's __bug_table between these. */
extern const struct bug_entry __start___bug_table[], __stop___bug_table[];

static unsigned long kenv_bug_addr(const struct bug_entry *b)
{
#ifdef CONFIG_GENERIC_BUG_RELATIVE_POINTERS
	return (unsigned long)&b->bug_addr_disp + b->bug_addr_disp;
#else
	return b->bug_addr;
#endif
}

static const char *kenv_bug_file(const struct bug_entry *b)
{
#ifdef CONFIG_DEBUG_BUGVERBOSE
#ifdef CONFIG_GENERIC_BUG_RELATIVE_POINTERS
	return (const char *)&b->file_disp + b->file_disp;
#else
	return b->file;
#endif
#else
	return "?";
#endif
}

static unsigned int kenv_bug_line(const struct bug_entry *b)
{
#ifdef CONFIG_DEBUG_BUGVERBOSE
	return b->line;
#else
	return 0;
#endif
}

static unsigned long kenv_warnings;

int kenv_linux_ud(unsigned long rip)
{
	const struct bug_entry *b;

	for (b = __start___bug_table; b < __stop___bug_table; b++) {
		if (kenv_bug_addr(b) != rip)
			continue;
		if (b->flags & BUGFLAG_WARNING) {
			kenv_warnings++;
			pr_warn("WARNING: at %s:%u (RIP %#lx): the domain goes on (warning %lu)\n",
				kenv_bug_file(b), kenv_bug_line(b), rip, kenv_warnings);
			return 1;
		}
		kenv_fatal(KENV_EXIT_BUG, "BUG at %s:%u (RIP %#lx)", kenv_bug_file(b),
			   kenv_bug_line(b), rip);
	}
	return 0;
}
