/* The load-argument splitter of the kernel environment (lxd-sdk/kenv/core/kparams.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/errno.h>

#include "../../../lxd-sdk/kenv/core/kparams.h"

static void test_words(void **state)
{
    const char *c = "  nr_devices=1 size=64\tgreeting=\"hello world\" flag irq-mode=2 empty= ";
    struct kparam_word w;
    const char *why = NULL;
    (void)state;

    assert_int_equal(kparams_next(&c, &w, &why), 1);
    assert_string_equal(w.name, "nr_devices");
    assert_string_equal(w.value, "1");
    assert_int_equal(kparams_next(&c, &w, &why), 1);
    assert_string_equal(w.name, "size");
    assert_int_equal(kparams_next(&c, &w, &why), 1);
    assert_string_equal(w.value, "hello world");
    assert_int_equal(kparams_next(&c, &w, &why), 1);
    assert_string_equal(w.name, "flag");
    assert_false(w.has_value);
    assert_int_equal(kparams_next(&c, &w, &why), 1);
    assert_string_equal(w.name, "irq_mode");                   /* '-' is '_' */
    assert_int_equal(kparams_next(&c, &w, &why), 1);
    assert_true(w.has_value);
    assert_string_equal(w.value, "");
    assert_int_equal(kparams_next(&c, &w, &why), 0);
    assert_int_equal(kparams_next(&c, &w, &why), 0);
}

static void test_hostile(void **state)
{
    struct kparam_word w;
    const char *why, *c;
    char longname[200], longval[400];
    (void)state;

    c = "=5";
    assert_int_equal(kparams_next(&c, &w, &why), -EINVAL);
    assert_non_null(strstr(why, "without a name"));
    c = "a=\"open";
    assert_int_equal(kparams_next(&c, &w, &why), -EINVAL);
    assert_non_null(strstr(why, "unterminated"));
    c = "a=\"x\"y";
    assert_int_equal(kparams_next(&c, &w, &why), -EINVAL);
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    c = longname;
    assert_int_equal(kparams_next(&c, &w, &why), -EINVAL);
    assert_non_null(strstr(why, "name too long"));
    strcpy(longval, "v=");
    memset(longval + 2, 'x', sizeof(longval) - 3);
    longval[sizeof(longval) - 1] = '\0';
    c = longval;
    assert_int_equal(kparams_next(&c, &w, &why), -EINVAL);
    assert_non_null(strstr(why, "value too long"));
    /* exactly at the bounds is fine */
    memset(longname, 'n', 63);
    longname[63] = '\0';
    c = longname;
    assert_int_equal(kparams_next(&c, &w, &why), 1);
    assert_int_equal(strlen(w.name), 63);
}

static void test_name_eq(void **state)
{
    (void)state;
    assert_true(kparams_name_eq("irq_mode", "irq-mode"));
    assert_true(kparams_name_eq("a", "a"));
    assert_false(kparams_name_eq("a", "ab"));
    assert_false(kparams_name_eq("ab", "a"));
    assert_false(kparams_name_eq("size", "Size"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_name_eq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
