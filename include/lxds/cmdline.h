/* The hypervisor command line (from GRUB's multiboot2 line), parsed into hv_config. */
#ifndef LXDS_CMDLINE_H
#define LXDS_CMDLINE_H

#include <lxds/printk.h>
#include <lxds/types.h>

#define LXD_CORES_DEFAULT   (-1)        /* decided once the cores are counted */
#define LINUX_CORES_DEFAULT 0u          /* all but the LXD cores */

struct hv_config {
    int lxd_cores;                      /* cores reserved for LXDs */
    unsigned int linux_cores;           /* cores 0..linux_cores-1 run Linux (1..64; 0 until
                                           decided: LINUX_CORES_DEFAULT) */
    uint64_t lxd_pool_bytes;            /* memory kept from Linux for LXDs */
    enum log_level log_level;
    bool selftest;                      /* run the built-in self tests */
    bool trace;                         /* print where negative errnos come from */
    char test_exception[8];             /* raise this exception at boot (tests) */
    unsigned int test_outside_core;     /* leave this core (1..) unstarted: the boot must refuse (tests); 0 = none */
};

/* The hypervisor's configuration, parsed at boot (core/main.c). */
extern struct hv_config hv_config;

void cmdline_defaults(struct hv_config *cfg);

/*
 * Parses "opt opt=value ..." into cfg.  Returns 0, or -EINVAL with a message
 * naming the bad option in err.  A leading path (what some loaders pass as
 * the first word) is skipped.  Unknown options are errors: a typo must not
 * silently change how isolation is set up.
 */
int cmdline_parse(const char *line, struct hv_config *cfg, char *err, size_t errlen);

/*
 * The split of `online` cores between Linux (the first ones) and LXDs (the
 * last ones) from linux_cores= and lxd_cores= as given or left to their
 * defaults: without either, half the cores (rounded down) for LXDs and the
 * rest for Linux; with one of them, the other takes what is left.  When
 * Linux may have only one core (smp_refusal says why; NULL when it may
 * have more), a default Linux share of several cores becomes one, with a
 * note; an explicit linux_cores > 1 is refused.  Returns 0 with *nlinux
 * and *nlxd set (and a note, or "", in msg), or -EINVAL with why in msg.
 */
int cmdline_split_cores(const struct hv_config *cfg, unsigned int online,
                        const char *smp_refusal, unsigned int *nlinux, unsigned int *nlxd,
                        char *msg, size_t msglen);

/* "lxd_cores=N lxd_pool=SIZE ..." with one line of help per option. */
const char *cmdline_help(void);

#endif
