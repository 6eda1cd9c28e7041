/* The hypervisor command-line parser: good lines, and every way a line can be wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/cmdline.h>
#include <lxds/errno.h>

static struct hv_config cfg;
static char err[160];

static int parse(const char *line)
{
    cmdline_defaults(&cfg);
    return cmdline_parse(line, &cfg, err, sizeof(err));
}

static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(parse(NULL), 0);
    assert_int_equal(parse(""), 0);
    assert_int_equal(parse("   "), 0);
    assert_int_equal(cfg.lxd_cores, LXD_CORES_DEFAULT);
    assert_int_equal(cfg.lxd_pool_bytes, 64ull << 20);
    assert_int_equal(cfg.log_level, LOG_INFO);
    assert_false(cfg.selftest);
}

static void test_all_options(void **state)
{
    (void)state;
    assert_int_equal(parse("lxd_cores=2 lxd_pool=128M log=debug selftest trace test_exception=pf"), 0);
    assert_int_equal(cfg.lxd_cores, 2);
    assert_int_equal(cfg.lxd_pool_bytes, 128ull << 20);
    assert_int_equal(cfg.log_level, LOG_DEBUG);
    assert_true(cfg.selftest);
    assert_true(cfg.trace);
    assert_string_equal(cfg.test_exception, "pf");
    assert_int_equal(parse("test_outside_core=3"), 0);
    assert_int_equal(cfg.test_outside_core, 3);
    assert_int_equal(parse(""), 0);
    assert_int_equal(cfg.linux_cores, 1);                   /* the default: the boot core */
    assert_int_equal(parse("linux_cores=3"), 0);
    assert_int_equal(cfg.linux_cores, 3);
}

static void test_sizes(void **state)
{
    (void)state;
    assert_int_equal(parse("lxd_pool=1G"), 0);
    assert_int_equal(cfg.lxd_pool_bytes, 1ull << 30);
    assert_int_equal(parse("lxd_pool=3M"), 0);      /* rounded up to 2 MiB pages */
    assert_int_equal(cfg.lxd_pool_bytes, 4ull << 20);
    assert_int_equal(parse("lxd_pool=1048576"), 0);
    assert_int_equal(cfg.lxd_pool_bytes, 2ull << 20);
    assert_int_equal(parse("lxd_pool=512K"), -EINVAL);  /* below 1M */
    assert_int_equal(parse("lxd_pool=65G"), -EINVAL);
    assert_int_equal(parse("lxd_pool=99999999999999999999G"), -EINVAL);
    assert_int_equal(parse("lxd_pool=12T"), -EINVAL);
}

static void test_path_and_tabs(void **state)
{
    (void)state;
    assert_int_equal(parse("/boot/lxds.elf\tselftest"), 0);
    assert_true(cfg.selftest);
    assert_int_equal(parse("selftest /boot/lxds.elf"), -EINVAL);  /* only the first word */
}

static void test_unknown_option(void **state)
{
    (void)state;
    assert_int_equal(parse("selftest lxd_corez=1"), -EINVAL);
    assert_string_equal(err, "unknown option 'lxd_corez'");
}

static void test_bad_values(void **state)
{
    (void)state;
    assert_int_equal(parse("lxd_cores=x"), -EINVAL);
    assert_non_null(strstr(err, "lxd_cores: 'x'"));
    assert_int_equal(parse("lxd_cores=256"), -EINVAL);
    assert_int_equal(parse("lxd_cores="), -EINVAL);
    assert_int_equal(parse("lxd_cores"), -EINVAL);
    assert_non_null(strstr(err, "needs a value"));
    assert_int_equal(parse("linux_cores=0"), -EINVAL);
    assert_non_null(strstr(err, "linux_cores: '0' is not a core count (1..64)"));
    assert_int_equal(parse("linux_cores=65"), -EINVAL);
    assert_int_equal(parse("linux_cores=two"), -EINVAL);
    assert_int_equal(parse("linux_cores"), -EINVAL);
    assert_non_null(strstr(err, "needs a value"));
    assert_int_equal(parse("log=verbose"), -EINVAL);
    assert_non_null(strstr(err, "err, warn, info, debug"));
    assert_int_equal(parse("selftest=1"), -EINVAL);
    assert_non_null(strstr(err, "takes no value"));
    assert_int_equal(parse("test_exception=nmi"), -EINVAL);
    assert_int_equal(parse("test_outside_core=0"), -EINVAL);   /* the boot core is always in */
    assert_int_equal(parse("test_outside_core"), -EINVAL);
}

static void test_long_word(void **state)
{
    char line[200];
    (void)state;

    memset(line, 'a', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    assert_int_equal(parse(line), -EINVAL);
    assert_non_null(strstr(err, "too long"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_all_options),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_path_and_tabs),
        cmocka_unit_test(test_unknown_option),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_long_word),
    };
    return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
