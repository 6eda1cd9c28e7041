/* The hypervisor command line (from GRUB's multiboot2 line), parsed into hv_config. */
#ifndef LXDS_CMDLINE_H
#define LXDS_CMDLINE_H

#include <lxds/printk.h>
#include <lxds/types.h>

#define LXD_CORES_DEFAULT   (-1)        /* decided once the cores are counted */

struct hv_config {
    int lxd_cores;                      /* cores reserved for LXDs */
    unsigned int linux_cores;           /* cores 0..linux_cores-1 run Linux (1..64) */
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

/* "lxd_cores=N lxd_pool=SIZE ..." with one line of help per option. */
const char *cmdline_help(void);

#endif
