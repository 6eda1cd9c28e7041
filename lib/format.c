/* fmt_vsnprintf: see include/lxds/format.h. */
#include <lxds/format.h>

struct out {
    char *buf;
    size_t size;
    size_t len;     /* length the output would have */
};

static void out_char(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void out_repeat(struct out *o, char c, int n)
{
    while (n-- > 0)
        out_char(o, c);
}

struct spec {
    bool left, zero, plus, space, alt;
    int width;
    int prec;       /* -1: none */
};

static void out_string(struct out *o, const char *s, const struct spec *sp)
{
    size_t n = 0;

    if (!s)
        s = "(null)";
    while (s[n] && (sp->prec < 0 || n < (size_t)sp->prec))
        n++;
    if (!sp->left)
        out_repeat(o, ' ', sp->width - (int)n);
    for (size_t i = 0; i < n; i++)
        out_char(o, s[i]);
    if (sp->left)
        out_repeat(o, ' ', sp->width - (int)n);
}

static void out_number(struct out *o, uint64_t v, bool neg, unsigned base,
                       bool upper, const struct spec *sp)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    char sign = neg ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;
    const char *prefix = "";

    while (v) {
        tmp[n++] = digits[v % base];
        v /= base;
    }
    if (sp->alt && base == 16 && n > 0)
        prefix = upper ? "0X" : "0x";
    if (sp->alt && base == 8 && (n == 0 || tmp[n - 1] != '0') &&
        sp->prec <= n)
        prefix = "0";
    if (n == 0 && sp->prec != 0 && !(sp->alt && base == 8))
        tmp[n++] = '0';

    int zeros = sp->prec > n ? sp->prec - n : 0;
    int body = n + zeros + (sign ? 1 : 0) + (int)__builtin_strlen(prefix);
    int pad = sp->width > body ? sp->width - body : 0;

    if (sp->zero && !sp->left && sp->prec < 0) {
        zeros += pad;
        pad = 0;
    }
    if (!sp->left)
        out_repeat(o, ' ', pad);
    if (sign)
        out_char(o, sign);
    for (const char *p = prefix; *p; p++)
        out_char(o, *p);
    out_repeat(o, '0', zeros);
    while (n)
        out_char(o, tmp[--n]);
    if (sp->left)
        out_repeat(o, ' ', pad);
}

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE };

static int parse_int(const char **f)
{
    int v = 0;

    while (**f >= '0' && **f <= '9') {
        if (v < 100000)
            v = v * 10 + (**f - '0');
        (*f)++;
    }
    return v;
}

static uint64_t arg_unsigned(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_CHAR:  return (unsigned char)va_arg(*ap, unsigned int);
    case LEN_SHORT: return (unsigned short)va_arg(*ap, unsigned int);
    case LEN_LONG:  return va_arg(*ap, unsigned long);
    case LEN_LLONG: return va_arg(*ap, unsigned long long);
    case LEN_SIZE:  return va_arg(*ap, size_t);
    default:        return va_arg(*ap, unsigned int);
    }
}

static int64_t arg_signed(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_CHAR:  return (signed char)va_arg(*ap, int);
    case LEN_SHORT: return (short)va_arg(*ap, int);
    case LEN_LONG:  return va_arg(*ap, long);
    case LEN_LLONG: return va_arg(*ap, long long);
    case LEN_SIZE:  return va_arg(*ap, ptrdiff_t);
    default:        return va_arg(*ap, int);
    }
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    *sp = (struct spec){ .prec = -1 };
    for (;; f++) {
        if (*f == '-') sp->left = true;
        else if (*f == '0') sp->zero = true;
        else if (*f == '+') sp->plus = true;
        else if (*f == ' ') sp->space = true;
        else if (*f == '#') sp->alt = true;
        else break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            sp->left = true;
            sp->width = -sp->width;
        }
        f++;
    } else {
        sp->width = parse_int(&f);
    }
    if (*f == '.') {
        f++;
        if (*f == '*') {
            sp->prec = va_arg(*ap, int);
            if (sp->prec < 0)
                sp->prec = -1;
            f++;
        } else {
            sp->prec = parse_int(&f);
        }
    }
    return f;
}

static const char *parse_length(const char *f, enum length *len)
{
    *len = LEN_INT;
    if (f[0] == 'h' && f[1] == 'h') { *len = LEN_CHAR; return f + 2; }
    if (f[0] == 'l' && f[1] == 'l') { *len = LEN_LLONG; return f + 2; }
    switch (*f) {
    case 'h': *len = LEN_SHORT; return f + 1;
    case 'l': *len = LEN_LONG; return f + 1;
    case 'z': case 't': *len = LEN_SIZE; return f + 1;
    case 'j': *len = LEN_LLONG; return f + 1;
    }
    return f;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
    return fmt_vxsnprintf(buf, size, fmt, ap_in, NULL);
}

/* %p followed by letters, handed to ext; 0 consumed means a plain pointer. */
static const char *out_pointer_ext(struct out *o, const char *f, const void *p, struct spec *sp,
                                   fmt_ptr_ext_fn ext)
{
    char tmp[FMT_PTR_EXT_MAX];
    int width = sp->width;
    int used = ext(f + 1, p, &width, tmp, sizeof(tmp));

    if (used <= 0)
        return NULL;
    tmp[sizeof(tmp) - 1] = '\0';
    sp->width = width;
    out_string(o, tmp, sp);
    return f + used;
}

int fmt_vxsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in, fmt_ptr_ext_fn ext)
{
    struct out o = { .buf = buf, .size = size, .len = 0 };
    va_list ap;

    va_copy(ap, ap_in);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            out_char(&o, *f);
            continue;
        }
        const char *start = f;
        struct spec sp;
        enum length len;
        f = parse_spec(f + 1, &sp, &ap);
        f = parse_length(f, &len);

        switch (*f) {
        case 'd': case 'i': {
            int64_t v = arg_signed(&ap, len);
            out_number(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, false, &sp);
            break;
        }
        case 'u': out_number(&o, arg_unsigned(&ap, len), false, 10, false, &sp); break;
        case 'x': out_number(&o, arg_unsigned(&ap, len), false, 16, false, &sp); break;
        case 'X': out_number(&o, arg_unsigned(&ap, len), false, 16, true, &sp); break;
        case 'o': out_number(&o, arg_unsigned(&ap, len), false, 8, false, &sp); break;
        case 'p': {
            const void *p = va_arg(ap, void *);
            const char *end = NULL;
            if (ext && ((f[1] >= 'a' && f[1] <= 'z') || (f[1] >= 'A' && f[1] <= 'Z')))
                end = out_pointer_ext(&o, f, p, &sp, ext);
            if (end) {
                f = end;
                break;
            }
            sp.alt = true;
            out_number(&o, (uintptr_t)p, false, 16, false, &sp);
            break;
        }
        case 's': out_string(&o, va_arg(ap, const char *), &sp); break;
        case 'c': {
            char c[2] = { (char)va_arg(ap, int), 0 };
            sp.prec = 1;
            out_string(&o, c, &sp);
            break;
        }
        case '%': out_char(&o, '%'); break;
        default:
            /* unknown conversion: show it as written, so the mistake is visible */
            for (const char *p = start; p <= f && *p; p++)
                out_char(&o, *p);
            if (!*f)
                f--;
            break;
        }
    }
    va_end(ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* The escape for one byte of untrusted text (1, 2 or 4 characters) in e; its length. */
static size_t escape_byte(unsigned char c, char e[4])
{
    static const char hex[] = "0123456789abcdef";

    if (c == '\\' || c == '\n' || c == '\r' || c == '\t') {
        e[0] = '\\';
        e[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : '\\';
        return 2;
    }
    if (c < 0x20 || c > 0x7E) {
        e[0] = '\\';
        e[1] = 'x';
        e[2] = hex[c >> 4];
        e[3] = hex[c & 15];
        return 4;
    }
    e[0] = (char)c;
    return 1;
}

size_t fmt_escape(char *out, size_t size, const char *in, size_t n)
{
    static const char cut[] = "[...]";
    size_t total = 0, room, o = 0;
    char e[4];

    for (size_t i = 0; i < n; i++)
        total += escape_byte((unsigned char)in[i], e);
    /* all of it when it fits, else as much as leaves room for the cut mark */
    room = total < size ? total : size - sizeof(cut);
    for (size_t i = 0; i < n; i++) {
        size_t k = escape_byte((unsigned char)in[i], e);
        if (o + k > room)
            break;
        for (size_t j = 0; j < k; j++)
            out[o++] = e[j];
    }
    if (total >= size)
        for (size_t j = 0; j < sizeof(cut) - 1; j++)
            out[o++] = cut[j];
    out[o] = '\0';
    return o;
}
