/*
 * The lxds hypercall ABI, shared by the hypervisor, the Linux module klxd
 * and the LXD SDK.  See docs/hypercalls.md for every call in prose.
 *
 * A hypercall is VMCALL with the call number in RAX and arguments in RDI,
 * RSI, RDX, RCX; the result comes back in RAX: >= 0 on success, a negative
 * errno on failure (and then nothing changed).  Other registers are kept.
 * Only the guest kernel (CPL 0) may call: VMCALL at CPL 3 raises #UD.
 * Addresses are guest-physical addresses of the caller.  Calls numbered
 * below 0x100 are Linux's; 0x100 and up are an LXD's own.
 */
#ifndef LXDS_HYPERCALL_ABI_H
#define LXDS_HYPERCALL_ABI_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

#define LXDS_ABI_VERSION        0x00010001u     /* major 1, minor 1 (1.1: LXDS_EXIT_EXITED) */

/* ---- Linux's calls ---- */
enum lxds_hypercall {
    LXDS_HC_VERSION = 0,        /* () -> LXDS_ABI_VERSION */
    LXDS_HC_INFO = 1,           /* (gpa of struct lxds_info) -> 0 */
    LXDS_HC_CREATE = 2,         /* (gpa of ELF image, length, gpa of NUL-terminated name) -> domain id */
    LXDS_HC_START = 3,          /* (id, core or -1 for the next free LXD core) -> core */
    LXDS_HC_STOP = 4,           /* (id) -> 0; the domain is stopped when this returns */
    LXDS_HC_DESTROY = 5,        /* (id) -> 0; stops it first if it runs; every frame back to the pool */
    LXDS_HC_STATUS = 6,         /* (id, gpa of struct lxds_domain_status) -> 0 */
    LXDS_HC_LIST = 7,           /* (gpa of uint32_t ids[], max) -> number of domains (may exceed max) */
    LXDS_HC_GRANT = 8,          /* (id, gpa, pages) -> address of the pages in the domain; before START */
    LXDS_HC_LOG_READ = 9,       /* (gpa of buffer, length, gpa of uint64_t position) -> bytes */
};

/* ---- an LXD's calls ---- */
enum lxd_hypercall {
    LXD_HC_LOG = 0x100,         /* (address of text, length) -> 0: into the hypervisor log */
    LXD_HC_EXIT = 0x101,        /* (code) -> does not return: the domain stops */
};

#define LXDS_NAME_MAX           32      /* including the NUL */
#define LXDS_MAX_DOMAINS        16
#define LXDS_MAX_GRANTS         8
#define LXDS_MAX_IMAGE          (16u << 20)     /* bytes of ELF file */

struct lxds_info {
    uint32_t abi_version;
    uint32_t cpus;              /* cores online */
    uint64_t lxd_core_mask;     /* cores that may run LXDs */
    uint64_t pool_bytes;        /* LXD pool size */
    uint64_t pool_free_bytes;
    uint32_t max_domains;
    uint32_t domains;           /* existing now */
};

enum lxds_domain_state {
    LXDS_STATE_FREE = 0,        /* no such domain */
    LXDS_STATE_LOADED = 1,      /* created, never started */
    LXDS_STATE_RUNNING = 2,
    LXDS_STATE_STOPPED = 3,     /* stopped on request or by its own exit */
    LXDS_STATE_CRASHED = 4,     /* stopped by a fault: see exit_reason */
};

/* Why a domain stopped: the values of the hypervisor's enum vcpu_stop. */
enum lxds_exit_reason {
    LXDS_EXIT_NONE = 0,
    LXDS_EXIT_REQUESTED = 1,    /* LXDS_HC_STOP (ABI 1.0: or LXD_HC_EXIT) */
    LXDS_EXIT_HALTED = 2,
    LXDS_EXIT_EPT_VIOLATION = 3,
    LXDS_EXIT_TRIPLE_FAULT = 4,
    LXDS_EXIT_EXCEPTION = 5,
    LXDS_EXIT_WATCHDOG = 6,
    LXDS_EXIT_ENTRY_FAILED = 7,
    LXDS_EXIT_UNEXPECTED = 8,
    LXDS_EXIT_EXITED = 9,       /* its own LXD_HC_EXIT: exit_detail is the code it gave */
};

/*
 * The names of states and exit reasons: the one table that the hypervisor's
 * log, klxd's /proc/lxd and lxdctl all print from.  `token` has no spaces
 * (a column of /proc/lxd and lxdctl list); `text` is for sentences.
 */
struct lxds_name {
    const char *token;
    const char *text;
};

static inline const char *lxds_state_name(uint32_t state)
{
    static const char *const names[] = {
        [LXDS_STATE_FREE] = "free", [LXDS_STATE_LOADED] = "loaded",
        [LXDS_STATE_RUNNING] = "running", [LXDS_STATE_STOPPED] = "stopped",
        [LXDS_STATE_CRASHED] = "crashed",
    };

    return state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

static inline const struct lxds_name *lxds_exit_reason(uint32_t reason)
{
    static const struct lxds_name names[] = {
        [LXDS_EXIT_NONE] = { "-", "none" },
        [LXDS_EXIT_REQUESTED] = { "requested", "stopped on request" },
        [LXDS_EXIT_HALTED] = { "halted", "halted" },
        [LXDS_EXIT_EPT_VIOLATION] = { "ept-violation", "EPT violation" },
        [LXDS_EXIT_TRIPLE_FAULT] = { "triple-fault", "triple fault" },
        [LXDS_EXIT_EXCEPTION] = { "exception", "exception" },
        [LXDS_EXIT_WATCHDOG] = { "watchdog", "watchdog (no progress)" },
        [LXDS_EXIT_ENTRY_FAILED] = { "entry-failed", "VM entry failed" },
        [LXDS_EXIT_UNEXPECTED] = { "unexpected", "unexpected VM exit" },
        [LXDS_EXIT_EXITED] = { "exited", "exited by itself" },
    };
    static const struct lxds_name unknown = { "?", "unknown reason" };

    return reason < sizeof(names) / sizeof(names[0]) ? &names[reason] : &unknown;
}

struct lxds_domain_status {
    uint32_t id;
    uint32_t state;             /* enum lxds_domain_state */
    int32_t core;               /* -1 when not running */
    uint32_t exit_reason;       /* enum lxds_exit_reason */
    uint64_t exit_rip;
    uint64_t exit_addr;         /* guest-physical address of an EPT violation */
    uint64_t exit_detail;       /* qualification, vector, exit reason or exit code */
    uint64_t mem_bytes;         /* pool memory held */
    uint64_t exits;             /* VM exits so far */
    uint64_t hypercalls;
    uint64_t heartbeats;        /* the domain's own progress counter */
    char name[LXDS_NAME_MAX];
};

/*
 * What an LXD finds at LXD_BOOT_INFO_VA when it starts (RDI points at it
 * too).  The domain increments heartbeat in its main loop; the hypervisor's
 * watchdog stops a domain whose heartbeat does not move for a while.
 */
#define LXD_BOOT_INFO_MAGIC     0x4C58444249534F4Eull  /* "LXDBISON" */
#define LXD_IMAGE_BASE          0x400000ull     /* ELF segments must lie in [BASE, LIMIT) */
#define LXD_IMAGE_LIMIT         0x10000000ull
#define LXD_BOOT_INFO_VA        0x10000000ull
#define LXD_STACK_TOP_VA        0x10200000ull   /* 64 KiB below it */
#define LXD_HEAP_VA             0x10400000ull
#define LXD_GRANT_VA            0x20000000ull   /* grant i at LXD_GRANT_VA + i * 16 MiB */
#define LXD_GRANT_STRIDE        0x1000000ull

struct lxd_grant {
    uint64_t va;                /* where the pages are in the domain */
    uint64_t bytes;
};

struct lxd_boot_info {
    uint64_t magic;
    uint32_t domain_id;
    uint32_t ngrants;
    struct lxd_grant grants[LXDS_MAX_GRANTS];
    uint64_t heap_va, heap_bytes;
    volatile uint64_t heartbeat;
    char name[LXDS_NAME_MAX];
};

#endif
