/* cmdline_parse: see include/lxds/cmdline.h. */
#include <lxds/cmdline.h>
#include <lxds/errno.h>
#include <lxds/format.h>
#include <lxds/string.h>

#define MAX_WORD 64

void cmdline_defaults(struct hv_config *cfg)
{
    *cfg = (struct hv_config){
        .lxd_cores = LXD_CORES_DEFAULT,
        .linux_cores = LINUX_CORES_DEFAULT,
        .lxd_pool_bytes = MiB(64),
        .log_level = LOG_INFO,
    };
}

const char *cmdline_help(void)
{
    return "  linux_cores=N        cores for Linux, the boot core first (default: all but LXDs')\n"
           "  lxd_cores=N          cores reserved for LXDs (default: half, or all but Linux's)\n"
           "  lxd_pool=SIZE[K|M|G] memory kept from Linux for LXDs (default 64M)\n"
           "  log=err|warn|info|debug  hypervisor log level (default info)\n"
           "  selftest             run the built-in self tests\n"
           "  trace                say where each error code comes from\n"
           "  test_exception=de|ud|bp|gp|pf  raise that exception at boot (tests the handlers)\n"
           "  test_outside_core=N  leave core N (1..) unstarted: the boot must refuse (tests)\n";
}

/* Parses a decimal number with an optional K/M/G suffix when allowed. */
static int parse_u64(const char *s, bool suffix, uint64_t *out)
{
    uint64_t v = 0;
    int shift = 0;

    if (!*s)
        return -EINVAL;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -ERANGE;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (suffix && *s) {
        switch (*s++) {
        case 'K': case 'k': shift = 10; break;
        case 'M': case 'm': shift = 20; break;
        case 'G': case 'g': shift = 30; break;
        default: return -EINVAL;
        }
    }
    if (*s)
        return -EINVAL;
    if (shift && v > (UINT64_MAX >> shift))
        return -ERANGE;
    *out = v << shift;
    return 0;
}

static int parse_level(const char *s, enum log_level *out)
{
    static const char *const names[] = {
        [LOG_ERR] = "err", [LOG_WARN] = "warn", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
    };

    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (!strcmp(s, names[i])) {
            *out = (enum log_level)i;
            return 0;
        }
    return -EINVAL;
}

static bool one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s, list[i]))
            return true;
    return false;
}

static int apply_option(const char *key, const char *val, struct hv_config *cfg,
                        char *err, size_t errlen)
{
    static const char *const exceptions[] = { "de", "ud", "bp", "gp", "pf" };
    bool flag = !strcmp(key, "selftest") || !strcmp(key, "trace");
    uint64_t n;

    if (flag && val) {
        fmt_snprintf(err, errlen, "option '%s' takes no value (got '%s')", key, val);
        return -EINVAL;
    }
    if (!flag && !val && (!strcmp(key, "lxd_cores") || !strcmp(key, "linux_cores") ||
                          !strcmp(key, "lxd_pool") || !strcmp(key, "log") || !strcmp(key, "test_exception") ||
                          !strcmp(key, "test_outside_core"))) {
        fmt_snprintf(err, errlen, "option '%s' needs a value ('%s=...')", key, key);
        return -EINVAL;
    }
    if (!strcmp(key, "selftest")) {
        cfg->selftest = true;
    } else if (!strcmp(key, "trace")) {
        cfg->trace = true;
    } else if (!strcmp(key, "lxd_cores")) {
        if (parse_u64(val, false, &n) || n > 255) {
            fmt_snprintf(err, errlen, "lxd_cores: '%s' is not a core count (0..255)", val);
            return -EINVAL;
        }
        cfg->lxd_cores = (int)n;
    } else if (!strcmp(key, "linux_cores")) {
        if (parse_u64(val, false, &n) || n < 1 || n > 64) {
            fmt_snprintf(err, errlen, "linux_cores: '%s' is not a core count (1..64)", val);
            return -EINVAL;
        }
        cfg->linux_cores = (unsigned int)n;
    } else if (!strcmp(key, "test_outside_core")) {
        if (parse_u64(val, false, &n) || n < 1 || n > 255) {
            fmt_snprintf(err, errlen, "test_outside_core: '%s' is not a core number (1..255)", val);
            return -EINVAL;
        }
        cfg->test_outside_core = (unsigned int)n;
    } else if (!strcmp(key, "lxd_pool")) {
        if (parse_u64(val, true, &n) || n < MiB(1) || n > GiB(64)) {
            fmt_snprintf(err, errlen, "lxd_pool: '%s' is not a size from 1M to 64G", val);
            return -EINVAL;
        }
        cfg->lxd_pool_bytes = ALIGN_UP(n, MiB(2));
    } else if (!strcmp(key, "log")) {
        if (parse_level(val, &cfg->log_level)) {
            fmt_snprintf(err, errlen, "log: '%s' is not one of err, warn, info, debug", val);
            return -EINVAL;
        }
    } else if (!strcmp(key, "test_exception")) {
        if (!one_of(val, exceptions, ARRAY_SIZE(exceptions))) {
            fmt_snprintf(err, errlen, "test_exception: '%s' is not one of de, ud, bp, gp, pf", val);
            return -EINVAL;
        }
        memcpy(cfg->test_exception, val, strlen(val) + 1);
    } else {
        fmt_snprintf(err, errlen, "unknown option '%s'", key);
        return -EINVAL;
    }
    return 0;
}

int cmdline_parse(const char *line, struct hv_config *cfg, char *err, size_t errlen)
{
    bool first = true;

    if (errlen)
        err[0] = '\0';
    if (!line)
        return 0;
    while (*line) {
        char word[MAX_WORD];
        size_t len = 0;

        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line)
            break;
        while (line[len] && line[len] != ' ' && line[len] != '\t')
            len++;
        if (len >= MAX_WORD) {
            fmt_snprintf(err, errlen, "option '%.20s...' is too long (max %d characters)",
                         line, MAX_WORD - 1);
            return -EINVAL;
        }
        memcpy(word, line, len);
        word[len] = '\0';
        line += len;

        if (first && word[0] == '/') {      /* the image's path, not an option */
            first = false;
            continue;
        }
        first = false;

        char *eq = strchr(word, '=');
        if (eq)
            *eq = '\0';
        int rc = apply_option(word, eq ? eq + 1 : NULL, cfg, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

int cmdline_split_cores(const struct hv_config *cfg, unsigned int online,
                        const char *smp_refusal, unsigned int *nlinux, unsigned int *nlxd,
                        char *msg, size_t msglen)
{
    unsigned int linux_n = cfg->linux_cores;
    bool linux_given = linux_n != LINUX_CORES_DEFAULT, lxd_given = cfg->lxd_cores >= 0;
    unsigned int lxd_n = lxd_given ? (unsigned int)cfg->lxd_cores : 0;

    msg[0] = '\0';
    if (!online)
        online = 1;
    if (linux_given) {
        if (linux_n > online) {
            fmt_snprintf(msg, msglen, "linux_cores=%u exceeds the %u core(s) online", linux_n, online);
            return -EINVAL;
        }
        if (linux_n > 1 && linux_n == online) {
            fmt_snprintf(msg, msglen, "linux_cores=%u leaves no core for LXDs (%u online)",
                         linux_n, online);
            return -EINVAL;
        }
        if (linux_n > 1 && smp_refusal) {
            fmt_snprintf(msg, msglen, "linux_cores=%u is not supported here: %s", linux_n,
                         smp_refusal);
            return -EINVAL;
        }
        if (!lxd_given)
            lxd_n = online - linux_n;
        else if (lxd_n > online - linux_n) {
            fmt_snprintf(msg, msglen, "linux_cores=%u leaves fewer cores than lxd_cores=%u",
                         linux_n, lxd_n);
            return -EINVAL;
        }
    } else {
        if (!lxd_given)
            lxd_n = online / 2;
        else if (lxd_n > online - 1) {
            fmt_snprintf(msg, msglen, "lxd_cores=%u leaves no core for Linux (%u online); "
                         "using %u", lxd_n, online, online - 1);
            lxd_n = online - 1;
        }
        linux_n = online - lxd_n;
        if (linux_n > 1 && smp_refusal) {
            fmt_snprintf(msg, msglen, "Linux gets one core, not %u: %s", linux_n, smp_refusal);
            linux_n = 1;
            if (!lxd_given)
                lxd_n = online - 1;
        }
    }
    *nlinux = linux_n;
    *nlxd = lxd_n;
    return 0;
}
