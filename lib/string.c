/* Freestanding memory and string functions (the compiler may also emit calls to these). */
#include <lxds/string.h>

/* Eight bytes a move where there are eight (the glue's messages, the
 * loaders' copies, kenv's allocations are mostly whole words): a byte loop
 * costs five instructions a byte.  Any alignment (x86 allows it; the type
 * tells the compiler so, and that it may alias anything). */
typedef uint64_t __attribute__((may_alias, aligned(1))) string_word;

void *memset(void *s, int c, size_t n)
{
    unsigned char *p = s;
    string_word w = 0x0101010101010101ull * (unsigned char)c;

    for (; n >= 8; n -= 8, p += 8)
        *(string_word *)p = w;
    while (n--)
        *p++ = (unsigned char)c;
    return s;
}

/* Forward, a word then the tail: memmove relies on that for dst < src. */
void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    for (; n >= 8; n -= 8, d += 8, s += 8)
        *(string_word *)d = *(const string_word *)s;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d < s)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;

    for (; n; n--, p++)
        if (*p == (unsigned char)c)
            return (void *)p;
    return NULL;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            break;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}
