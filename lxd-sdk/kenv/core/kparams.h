/*
 * kparams: splits a domain's load arguments ("nr_devices=1 size=64
 * name=\"a b\" flag") into name/value pairs the way a module's command line
 * is split: words separated by spaces, a value may be double-quoted (the
 * quotes are dropped), a word without '=' is a name with no value (a bool
 * set to true), and '-' in a name means '_'.
 *
 * The text is hostile: every name and value is bounded by the caller's
 * buffers and a malformed word (empty name, unterminated quote, too long)
 * is an error with a reason, never a truncation.
 */
#ifndef KENV_KPARAMS_H
#define KENV_KPARAMS_H

struct kparam_word {
    char name[64];
    char value[256];
    int has_value;
};

/*
 * Takes the next word at *cursor into *w and advances *cursor.
 * Returns 1 for a word, 0 at the end, -EINVAL when the word is malformed
 * (*why says why; *cursor is then left at the bad word).
 */
int kparams_next(const char **cursor, struct kparam_word *w, const char **why);

/* Do two parameter names match, '-' and '_' being the same? */
int kparams_name_eq(const char *a, const char *b);

#endif
