// SPDX-License-Identifier: GPL-2.0
/*
 * Library code with no state of the kernel: strings beyond lib/string.c
 * (which gives mem*, strlen, strnlen, strcmp, strncmp, strchr), kstrto*,
 * and the module-parameter types (param_ops_*).  Written for the
 * environment; the kernel's semantics (bases, trailing newline, ranges).
 */
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/refcount.h>

#include "kenv_linux.h"

/* ---- strings ---- */

ssize_t strscpy(char *dst, const char *src, size_t count)
{
	size_t i;

	if (!count)
		return -E2BIG;
	for (i = 0; i < count; i++) {
		dst[i] = src[i];
		if (!src[i])
			return i;
	}
	dst[count - 1] = '\0';
	return -E2BIG;
}

char *strcpy(char *dst, const char *src)
{
	char *d = dst;

	while ((*d++ = *src++))
		;
	return dst;
}

char *strncpy(char *dst, const char *src, size_t count)
{
	size_t i = 0;

	for (; i < count && src[i]; i++)
		dst[i] = src[i];
	for (; i < count; i++)
		dst[i] = '\0';
	return dst;
}

char *strcat(char *dst, const char *src)
{
	strcpy(dst + strlen(dst), src);
	return dst;
}

char *strncat(char *dst, const char *src, size_t count)
{
	char *d = dst + strlen(dst);

	while (count-- && *src)
		*d++ = *src++;
	*d = '\0';
	return dst;
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len >= size ? size - 1 : len;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	do {
		if (*s == (char)c)
			last = s;
	} while (*s++);
	return (char *)last;
}

char *strnchr(const char *s, size_t count, int c)
{
	for (; count-- && *s; s++)
		if (*s == (char)c)
			return (char *)s;
	return NULL;
}

char *strstr(const char *s1, const char *s2)
{
	size_t l2 = strlen(s2);

	if (!l2)
		return (char *)s1;
	for (; *s1; s1++)
		if (*s1 == *s2 && !strncmp(s1, s2, l2))
			return (char *)s1;
	return NULL;
}

char *skip_spaces(const char *s)
{
	while (isspace(*s))
		s++;
	return (char *)s;
}

char *strim(char *s)
{
	size_t len = strlen(s);
	char *end;

	if (!len)
		return s;
	end = s + len - 1;
	while (end >= s && isspace(*end))
		end--;
	*(end + 1) = '\0';
	return skip_spaces(s);
}

char *strsep(char **s, const char *ct)
{
	char *start = *s, *end;

	if (!start)
		return NULL;
	end = start + strcspn(start, ct);
	if (*end) {
		*end = '\0';
		*s = end + 1;
	} else {
		*s = NULL;
	}
	return start;
}

size_t strspn(const char *s, const char *accept)
{
	size_t n = 0;

	while (s[n] && strchr(accept, s[n]))
		n++;
	return n;
}

size_t strcspn(const char *s, const char *reject)
{
	size_t n = 0;

	while (s[n] && !strchr(reject, s[n]))
		n++;
	return n;
}

int strcasecmp(const char *a, const char *b)
{
	int d;

	do {
		d = tolower(*a) - tolower(*b);
	} while (!d && *a++ && *b++);
	return d;
}

int strncasecmp(const char *a, const char *b, size_t n)
{
	int d = 0;

	while (n-- && !(d = tolower(*a) - tolower(*b)) && *a)
		a++, b++;
	return d;
}

bool sysfs_streq(const char *s1, const char *s2)
{
	while (*s1 && *s1 == *s2) {
		s1++;
		s2++;
	}
	if (*s1 == *s2)
		return true;
	if (!*s1 && *s2 == '\n' && !s2[1])
		return true;
	if (*s1 == '\n' && !s1[1] && !*s2)
		return true;
	return false;
}

void *memchr_inv(const void *start, int c, size_t bytes)
{
	const u8 *p = start;

	for (; bytes--; p++)
		if (*p != (u8)c)
			return (void *)p;
	return NULL;
}

/* The kernel's _ctype table (linux/ctype.h's macros index it). */
const unsigned char _ctype[256] = {
	[0 ... 8] = _C, [9 ... 13] = _C | _S, [14 ... 31] = _C, [32] = _S | _SP,
	[33 ... 47] = _P, [48 ... 57] = _D, [58 ... 64] = _P,
	[65 ... 70] = _U | _X, [71 ... 90] = _U, [91 ... 96] = _P,
	[97 ... 102] = _L | _X, [103 ... 122] = _L, [123 ... 126] = _P, [127] = _C,
	[160] = _S | _SP, [161 ... 191] = _P, [192 ... 214] = _U, [215] = _P,
	[216 ... 222] = _U, [223 ... 246] = _L, [247] = _P, [248 ... 255] = _L,
};

/* A reference count went wrong: the kernel saturates it and warns; so do we. */
void refcount_warn_saturate(refcount_t *r, enum refcount_saturation_type t)
{
	refcount_set(r, REFCOUNT_SATURATED);
	pr_warn("kenv: refcount_t %px: %s; saturated (leaks from now on)\n", r,
		t == REFCOUNT_ADD_UAF || t == REFCOUNT_ADD_NOT_ZERO_OVF ? "use after free or overflow" :
		t == REFCOUNT_SUB_UAF ? "underflow, use after free" : "misuse");
}

/* ---- kstrto*: the whole string (one trailing '\n' allowed), range-checked ---- */

static int kenv_parse_ull(const char *s, unsigned int base, unsigned long long *res)
{
	unsigned long long v = 0;
	int digits = 0;

	if (s[0] == '+')
		s++;
	if (base == 0) {
		if (s[0] == '0' && tolower(s[1]) == 'x' && isxdigit(s[2]))
			base = 16, s += 2;
		else if (s[0] == '0')
			base = 8;
		else
			base = 10;
	} else if (base == 16 && s[0] == '0' && tolower(s[1]) == 'x') {
		s += 2;
	}
	for (; *s; s++, digits++) {
		unsigned int d;

		if (*s == '\n' && !s[1])
			break;
		if (isdigit(*s))
			d = *s - '0';
		else if (isxdigit(*s))
			d = tolower(*s) - 'a' + 10;
		else
			return -EINVAL;
		if (d >= base)
			return -EINVAL;
		if (v > (ULLONG_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (!digits)
		return -EINVAL;
	*res = v;
	return 0;
}

int kstrtoull(const char *s, unsigned int base, unsigned long long *res)
{
	return kenv_parse_ull(s, base, res);
}

int kstrtoll(const char *s, unsigned int base, long long *res)
{
	unsigned long long v;
	int neg = s[0] == '-', rc = kenv_parse_ull(s + neg, base, &v);

	if (rc)
		return rc;
	if (neg ? v > (unsigned long long)LLONG_MAX + 1 : v > LLONG_MAX)
		return -ERANGE;
	*res = neg ? -(long long)v : (long long)v;
	return 0;
}

int _kstrtoul(const char *s, unsigned int base, unsigned long *res)
{
	unsigned long long v;
	int rc = kstrtoull(s, base, &v);

	if (!rc)
		*res = v;
	return rc;
}

int _kstrtol(const char *s, unsigned int base, long *res)
{
	long long v;
	int rc = kstrtoll(s, base, &v);

	if (!rc)
		*res = v;
	return rc;
}

#define KENV_KSTRTO(name, type, via, vtype, lo, hi)				\
int name(const char *s, unsigned int base, type *res)				\
{										\
	vtype v;								\
	int rc = via(s, base, &v);						\
										\
	if (rc)									\
		return rc;							\
	if (v < (vtype)(lo) || v > (vtype)(hi))					\
		return -ERANGE;							\
	*res = (type)v;								\
	return 0;								\
}
KENV_KSTRTO(kstrtouint, unsigned int, kstrtoull, unsigned long long, 0, UINT_MAX)
KENV_KSTRTO(kstrtoint, int, kstrtoll, long long, INT_MIN, INT_MAX)
KENV_KSTRTO(kstrtou16, u16, kstrtoull, unsigned long long, 0, U16_MAX)
KENV_KSTRTO(kstrtos16, s16, kstrtoll, long long, S16_MIN, S16_MAX)
KENV_KSTRTO(kstrtou8, u8, kstrtoull, unsigned long long, 0, U8_MAX)
KENV_KSTRTO(kstrtos8, s8, kstrtoll, long long, S8_MIN, S8_MAX)

int kstrtobool(const char *s, bool *res)
{
	if (!s)
		return -EINVAL;
	switch (s[0]) {
	case 'y': case 'Y': case 't': case 'T': case '1':
		*res = true;
		return 0;
	case 'n': case 'N': case 'f': case 'F': case '0':
		*res = false;
		return 0;
	case 'o': case 'O':
		if (tolower(s[1]) == 'n') {
			*res = true;
			return 0;
		}
		if (tolower(s[1]) == 'f') {
			*res = false;
			return 0;
		}
		break;
	}
	return -EINVAL;
}

/* ---- module parameter types ---- */

#define KENV_PARAM_NUM(name, type, parse, fmt)					\
int param_set_##name(const char *val, const struct kernel_param *kp)		\
{										\
	if (!val)								\
		return -EINVAL;							\
	return parse(val, 0, (type *)kp->arg);					\
}										\
int param_get_##name(char *buffer, const struct kernel_param *kp)		\
{										\
	return scnprintf(buffer, PAGE_SIZE, fmt "\n", *(type *)kp->arg);	\
}										\
const struct kernel_param_ops param_ops_##name = {				\
	.set = param_set_##name, .get = param_get_##name,			\
};
KENV_PARAM_NUM(byte, unsigned char, kstrtou8, "%hhu")
KENV_PARAM_NUM(short, short, kstrtos16, "%hi")
KENV_PARAM_NUM(ushort, unsigned short, kstrtou16, "%hu")
KENV_PARAM_NUM(int, int, kstrtoint, "%i")
KENV_PARAM_NUM(uint, unsigned int, kstrtouint, "%u")
KENV_PARAM_NUM(long, long, kstrtol, "%li")
KENV_PARAM_NUM(ulong, unsigned long, kstrtoul, "%lu")
KENV_PARAM_NUM(ullong, unsigned long long, kstrtoull, "%llu")

int param_set_hexint(const char *val, const struct kernel_param *kp)
{
	return val ? kstrtouint(val, 16, (unsigned int *)kp->arg) : -EINVAL;
}

int param_get_hexint(char *buffer, const struct kernel_param *kp)
{
	return scnprintf(buffer, PAGE_SIZE, "%#08x\n", *(unsigned int *)kp->arg);
}

const struct kernel_param_ops param_ops_hexint = {
	.set = param_set_hexint, .get = param_get_hexint,
};

/* A bool with no value ("flag") means true, as on the kernel command line. */
int param_set_bool(const char *val, const struct kernel_param *kp)
{
	if (!val)
		val = "1";
	return kstrtobool(val, (bool *)kp->arg);
}

int param_get_bool(char *buffer, const struct kernel_param *kp)
{
	return sprintf(buffer, "%c\n", *(bool *)kp->arg ? 'Y' : 'N');
}

const struct kernel_param_ops param_ops_bool = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = param_set_bool, .get = param_get_bool,
};

int param_set_invbool(const char *val, const struct kernel_param *kp)
{
	bool v;
	int rc = kstrtobool(val ? val : "1", &v);

	if (!rc)
		*(bool *)kp->arg = !v;
	return rc;
}

int param_get_invbool(char *buffer, const struct kernel_param *kp)
{
	return sprintf(buffer, "%c\n", *(bool *)kp->arg ? 'N' : 'Y');
}

const struct kernel_param_ops param_ops_invbool = {
	.set = param_set_invbool, .get = param_get_invbool,
};

/* charp: a copy on the heap (the load arguments are the boot info's). */
int param_set_charp(const char *val, const struct kernel_param *kp)
{
	char **slot = kp->arg, *copy;

	if (!val)
		return -EINVAL;
	if (strlen(val) > 1024)
		return -ENOSPC;
	copy = kstrdup(val, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	kfree_const(*slot);       /* a default is static: only heap strings are freed */
	*slot = copy;
	return 0;
}

int param_get_charp(char *buffer, const struct kernel_param *kp)
{
	return scnprintf(buffer, PAGE_SIZE, "%s\n", *((char **)kp->arg) ?: "(null)");
}

void param_free_charp(void *arg)
{
	kfree_const(*(char **)arg);
}

const struct kernel_param_ops param_ops_charp = {
	.set = param_set_charp, .get = param_get_charp, .free = param_free_charp,
};

int param_set_copystring(const char *val, const struct kernel_param *kp)
{
	const struct kparam_string *kps = kp->str;

	if (!val || strlen(val) + 1 > kps->maxlen)
		return -ENOSPC;
	strcpy(kps->string, val);
	return 0;
}

int param_get_string(char *buffer, const struct kernel_param *kp)
{
	return scnprintf(buffer, PAGE_SIZE, "%s\n", kp->str->string);
}

const struct kernel_param_ops param_ops_string = {
	.set = param_set_copystring, .get = param_get_string,
};

/* ---- user copies ---- */

/*
 * A domain has no user space.  The "user" buffers a driver's file
 * operations get in a domain are the IDL glue's own buffers (the Linux side
 * copies to and from the real user memory, docs/idl.md "[user] arrays"),
 * so copy_{to,from}_user are plain copies that cannot fault.
 */
unsigned long _copy_to_user(void __user *to, const void *from, unsigned long n)
{
	memcpy((void __force *)to, from, n);
	return 0;
}

unsigned long _copy_from_user(void *to, const void __user *from, unsigned long n)
{
	memcpy(to, (const void __force *)from, n);
	return 0;
}
