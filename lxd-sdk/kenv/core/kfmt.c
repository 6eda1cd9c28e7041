/*
 * The kernel's printf dialect on top of lib/format.c: the %p extensions
 * Linux code uses (fmt_vxsnprintf's ext hook).  Portable: host-tested.
 *
 *   %pK %px         the pointer in hex (nothing is hashed: the log is the
 *                   hypervisor's, and the domain's addresses are its own)
 *   %pM %pMR %pMF %pm   a MAC address (6 bytes): colons, reversed, dashes, none
 *   %pI4 %pi4       an IPv4 address (4 bytes)
 *   %pe             an error pointer/code by name ("-ENOMEM"), else the number
 *   %ph %phC %phD %phN  up to 64 bytes in hex; the field width is the count
 *   %pV             a struct va_format, formatted in place
 *   %pa %pad %pap   the phys_addr_t / dma_addr_t the pointer points at
 *   %pS %ps %pSR %pB %pF %pf   a code address: printed in hex (no kallsyms here)
 * Any other letters after %p are consumed with the pointer printed in hex
 * and a '?', so an unsupported extension is visible, never misread.
 */
#include "kfmt.h"

#include <lxds/errno.h>
#include <lxds/format.h>

struct kfmt_va_format {         /* the kernel's struct va_format */
    const char *fmt;
    va_list *va;
};

static int is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int fmt_mac(const char *f, const uint8_t *m, char *tmp, size_t size)
{
    char sep = f[1] == 'F' ? '-' : ':';
    int rev = f[1] == 'R', used = (f[1] == 'F' || f[1] == 'R') ? 2 : 1;

    if (f[0] == 'm')
        fmt_snprintf(tmp, size, "%02x%02x%02x%02x%02x%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    else if (rev)
        fmt_snprintf(tmp, size, "%02x:%02x:%02x:%02x:%02x:%02x", m[5], m[4], m[3], m[2], m[1], m[0]);
    else
        fmt_snprintf(tmp, size, "%02x%c%02x%c%02x%c%02x%c%02x%c%02x", m[0], sep, m[1], sep, m[2],
                     sep, m[3], sep, m[4], sep, m[5]);
    return f[0] == 'm' ? 1 : used;
}

static int fmt_hex(const char *f, const uint8_t *b, int *width, char *tmp, size_t size)
{
    int n = *width > 0 ? *width : 1, used = 1;
    char sep = ' ';
    size_t at = 0;

    if (f[1] == 'C' || f[1] == 'D' || f[1] == 'N') {
        sep = f[1] == 'C' ? ':' : f[1] == 'D' ? '-' : 0;
        used = 2;
    }
    if (n > 64)
        n = 64;
    *width = 0;                 /* the width was the count */
    tmp[0] = '\0';
    for (int i = 0; i < n && at + 4 < size; i++) {
        at += (size_t)fmt_snprintf(tmp + at, size - at, "%02x", b[i]);
        if (sep && i + 1 < n)
            tmp[at++] = sep, tmp[at] = '\0';
    }
    return used;
}

int kfmt_ptr_ext(const char *f, const void *p, int *width, char *tmp, size_t size)
{
    int used = 0;

    switch (f[0]) {
    case 'K': case 'x':
        fmt_snprintf(tmp, size, "%#lx", (unsigned long)p);
        return 1;
    case 'M': case 'm':
        return p ? fmt_mac(f, p, tmp, size) : (fmt_snprintf(tmp, size, "(null)"), 1);
    case 'I': case 'i':
        if (f[1] == '4') {
            const uint8_t *a = p;
            if (!a)
                fmt_snprintf(tmp, size, "(null)");
            else
                fmt_snprintf(tmp, size, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
            return 2;
        }
        break;
    case 'e': {
        long e = (long)p;
        if (e < 0 && e >= -4095 && errno_name((int)e)[1] != '?')
            fmt_snprintf(tmp, size, "-%s", errno_name((int)e));
        else
            fmt_snprintf(tmp, size, "%ld", e);
        return 1;
    }
    case 'h':
        return p ? fmt_hex(f, p, width, tmp, size) : (fmt_snprintf(tmp, size, "(null)"), 1);
    case 'V': {
        const struct kfmt_va_format *v = p;
        va_list aq;
        if (!v || !v->fmt || !v->va) {
            fmt_snprintf(tmp, size, "(null)");
            return 1;
        }
        va_copy(aq, *v->va);
        kfmt_vsnprintf(tmp, size, v->fmt, aq);
        va_end(aq);
        return 1;
    }
    case 'a':
        used = (f[1] == 'd' || f[1] == 'p') ? 2 : 1;
        if (!p)
            fmt_snprintf(tmp, size, "(null)");
        else
            fmt_snprintf(tmp, size, "0x%016llx", (unsigned long long)*(const uint64_t *)p);
        return used;
    case 'S': case 's': case 'B': case 'F': case 'f':
        fmt_snprintf(tmp, size, "%#lx", (unsigned long)p);
        return f[1] == 'R' ? 2 : 1;
    default:
        break;
    }
    while (is_alnum(f[used]))
        used++;
    fmt_snprintf(tmp, size, "%#lx?", (unsigned long)p);
    return used;
}

int kfmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return fmt_vxsnprintf(buf, size, fmt, ap, kfmt_ptr_ext);
}
