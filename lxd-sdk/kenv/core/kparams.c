/* kparams: see kparams.h. */
#include "kparams.h"

#include <lxds/errno.h>
#include <lxds/types.h>

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* Copies one token (name or value) into dst[size]; stops at stop chars. */
static int take(const char **p, char *dst, size_t size, int is_name, const char **why)
{
    const char *s = *p;
    size_t n = 0;
    int quoted = 0;

    if (!is_name && *s == '"') {
        quoted = 1;
        s++;
    }
    while (*s && (quoted ? *s != '"' : !is_space(*s) && !(is_name && *s == '='))) {
        if (n + 1 >= size) {
            *why = is_name ? "parameter name too long" : "parameter value too long";
            return -EINVAL;
        }
        dst[n++] = (is_name && *s == '-') ? '_' : *s;
        s++;
    }
    if (quoted) {
        if (*s != '"') {
            *why = "unterminated quote in a parameter value";
            return -EINVAL;
        }
        s++;
        if (*s && !is_space(*s)) {
            *why = "text after a closing quote";
            return -EINVAL;
        }
    }
    dst[n] = '\0';
    *p = s;
    return 0;
}

int kparams_next(const char **cursor, struct kparam_word *w, const char **why)
{
    const char *s = *cursor;
    int rc;

    while (is_space(*s))
        s++;
    *cursor = s;
    if (!*s)
        return 0;
    rc = take(&s, w->name, sizeof(w->name), 1, why);
    if (rc)
        return rc;
    if (!w->name[0]) {
        *why = "a parameter without a name";
        return -EINVAL;
    }
    w->has_value = *s == '=';
    w->value[0] = '\0';
    if (w->has_value) {
        s++;
        rc = take(&s, w->value, sizeof(w->value), 0, why);
        if (rc)
            return rc;
    }
    *cursor = s;
    return 1;
}

int kparams_name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}
