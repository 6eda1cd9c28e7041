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
    assert_int_equal(cfg.linux_cores, LINUX_CORES_DEFAULT); /* decided with the cores counted */
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

/* The split of the cores: what each combination of the two options gives, or why not. */
static int split(const char *line, unsigned int online, const char *refusal,
                 unsigned int *nlinux, unsigned int *nlxd)
{
    assert_int_equal(parse(line), 0);
    *nlinux = *nlxd = 99;
    return cmdline_split_cores(&cfg, online, refusal, nlinux, nlxd, err, sizeof(err));
}

#define SPLIT_OK(line, online, refusal, want_linux, want_lxd) do { \
        unsigned int l_, x_; \
        assert_int_equal(split(line, online, refusal, &l_, &x_), 0); \
        assert_int_equal(l_, want_linux); \
        assert_int_equal(x_, want_lxd); \
    } while (0)

static void test_split_defaults(void **state)
{
    (void)state;
    /* neither option: half the cores (rounded down) for LXDs, the rest for Linux */
    SPLIT_OK("", 1, NULL, 1, 0);
    SPLIT_OK("", 2, NULL, 1, 1);
    SPLIT_OK("", 3, NULL, 2, 1);
    SPLIT_OK("", 4, NULL, 2, 2);
    SPLIT_OK("", 8, NULL, 4, 4);
    assert_string_equal(err, "");
    /* one given: the other takes what is left */
    SPLIT_OK("lxd_cores=1", 4, NULL, 3, 1);
    SPLIT_OK("lxd_cores=3", 4, NULL, 1, 3);
    SPLIT_OK("linux_cores=1", 4, NULL, 1, 3);
    SPLIT_OK("linux_cores=3", 4, NULL, 3, 1);
    /* both: what is left over stays idle */
    SPLIT_OK("linux_cores=1 lxd_cores=1", 4, NULL, 1, 1);
}

static void test_split_without_smp(void **state)
{
    (void)state;
    /* a backend that cannot start Linux's other cores: a default share becomes one, said */
    SPLIT_OK("", 4, "no unrestricted guest", 1, 3);
    assert_non_null(strstr(err, "Linux gets one core, not 2: no unrestricted guest"));
    SPLIT_OK("lxd_cores=1", 4, "no unrestricted guest", 1, 1);
    SPLIT_OK("linux_cores=1", 4, "no unrestricted guest", 1, 3);
    unsigned int l, x;
    assert_int_equal(split("linux_cores=2", 4, "no unrestricted guest", &l, &x), -EINVAL);
    assert_non_null(strstr(err, "linux_cores=2 is not supported here: no unrestricted guest"));
}

static void test_split_refused(void **state)
{
    unsigned int l, x;
    (void)state;
    assert_int_equal(split("linux_cores=5", 4, NULL, &l, &x), -EINVAL);
    assert_non_null(strstr(err, "linux_cores=5 exceeds the 4 core(s) online"));
    assert_int_equal(split("linux_cores=4", 4, NULL, &l, &x), -EINVAL);
    assert_non_null(strstr(err, "linux_cores=4 leaves no core for LXDs (4 online)"));
    assert_int_equal(split("linux_cores=2 lxd_cores=3", 4, NULL, &l, &x), -EINVAL);
    assert_non_null(strstr(err, "leaves fewer cores than lxd_cores=3"));
    /* lxd_cores alone too large: clamped, with a note, Linux keeps the boot core */
    SPLIT_OK("lxd_cores=9", 4, NULL, 1, 3);
    assert_non_null(strstr(err, "lxd_cores=9 leaves no core for Linux (4 online); using 3"));
    SPLIT_OK("linux_cores=1", 1, NULL, 1, 0);
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
        cmocka_unit_test(test_split_defaults),
        cmocka_unit_test(test_split_without_smp),
        cmocka_unit_test(test_split_refused),
    };
    return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
