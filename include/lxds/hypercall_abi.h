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

#define LXDS_ABI_VERSION        0x00010002u     /* major 1, minor 2 (1.1: LXDS_EXIT_EXITED, SET_ARGS, heap note, tsc_khz; 1.2: INFO's size, linux_core_mask) */

/* ---- Linux's calls ---- */
enum lxds_hypercall {
    LXDS_HC_VERSION = 0,        /* () -> LXDS_ABI_VERSION */
    LXDS_HC_INFO = 1,           /* (gpa of struct lxds_info, its size: 0 = the 1.1 layout,
                                   LXDS_INFO_SIZE_1_1 bytes) -> 0; -EINVAL if the size is
                                   below that; at most sizeof(struct lxds_info) written */
    LXDS_HC_CREATE = 2,         /* (gpa of ELF image, length, gpa of NUL-terminated name) -> domain id */
    LXDS_HC_START = 3,          /* (id, core or -1 for the next free LXD core) -> core */
    LXDS_HC_STOP = 4,           /* (id) -> 0; the domain is stopped when this returns */
    LXDS_HC_DESTROY = 5,        /* (id) -> 0; stops it first if it runs; every frame back to the pool */
    LXDS_HC_STATUS = 6,         /* (id, gpa of struct lxds_domain_status) -> 0 */
    LXDS_HC_LIST = 7,           /* (gpa of uint32_t ids[], max) -> number of domains (may exceed max) */
    LXDS_HC_GRANT = 8,          /* (id, gpa, pages) -> address of the pages in the domain; before START */
    LXDS_HC_LOG_READ = 9,       /* (gpa of buffer, length, gpa of uint64_t position) -> bytes */
    LXDS_HC_SET_ARGS = 10,      /* (id, gpa of text, length) -> 0: the domain's load arguments; before START */
    LXDS_HC_DEBUG = 11,         /* (id, gpa of struct lxds_debug) -> op-specific >= 0: see below */
};

/* ---- an LXD's calls ---- */
enum lxd_hypercall {
    LXD_HC_LOG = 0x100,         /* (address of text, length) -> 0: into the hypervisor log */
    LXD_HC_EXIT = 0x101,        /* (code) -> does not return: the domain stops */
};

/*
 * The debugger's calls (LXDS_HC_DEBUG): mechanism only; lxdctl gdb is the
 * policy.  A domain is attached, then paused (its core holds it in the
 * hypervisor, state saved) and resumed or single-stepped; while paused or
 * stopped (crashed or exited: the state at the stop is kept until destroy)
 * its registers can be read and, while paused, written; its memory is read
 * and written by guest-virtual address through its own page tables and EPT,
 * never outside it.  While attached, int3 (#BP) and single steps (#DB) pause
 * the domain instead of crashing it, and the heartbeat watchdog does not
 * count paused time.
 */
enum lxds_debug_op {
    LXDS_DBG_ATTACH = 1,        /* -> 0; pauses it (a running domain stops within the call;
                                 * a loaded one is held at its first instruction once started) */
    LXDS_DBG_DETACH = 2,        /* -> 0; resumes it if paused */
    LXDS_DBG_PAUSE = 3,         /* -> 0 once paused (-ETIMEDOUT if its core does not answer) */
    LXDS_DBG_RESUME = 4,        /* flags: LXDS_DBG_STEP for one instruction -> 0 */
    LXDS_DBG_GET = 5,           /* -> 0; fills regs, state, event */
    LXDS_DBG_SET_REGS = 6,      /* regs -> 0 (paused only) */
    LXDS_DBG_READ = 7,          /* addr (domain virtual), len <= LXDS_DBG_MEM_MAX, buf_gpa -> bytes read */
    LXDS_DBG_WRITE = 8,         /* the same, from buf_gpa into the domain -> bytes written */
    LXDS_DBG_SET_HWBP = 9,      /* flags: slot | kind; addr, len -> 0 (paused only): see below */
};
#define LXDS_DBG_STEP           1u
#define LXDS_DBG_MEM_MAX        4096u

/*
 * Hardware breakpoints and watchpoints: the domain's debug registers DR0-DR3
 * (slot 0-3) and DR7.  LXDS_DBG_SET_HWBP sets one slot: flags =
 * slot | LXDS_DBG_HW_<kind>; an execution breakpoint has len 1, a
 * watchpoint len 1, 2, 4 or 8 at an address aligned to len (x86 watches
 * writes, or reads and writes: there is no read-only watchpoint); OFF frees
 * the slot.  A slot that matches parks the domain with event
 * LXDS_DBG_EV_HWBREAK and the matched slots (bit n = slot n) in
 * exit_detail.  Detach clears every slot.
 */
#define LXDS_DBG_HW_SLOTS       4u
#define LXDS_DBG_HW_SLOT_MASK   0x3u
#define LXDS_DBG_HW_KIND_SHIFT  4
#define LXDS_DBG_HW_OFF         (0u << LXDS_DBG_HW_KIND_SHIFT)
#define LXDS_DBG_HW_EXEC        (1u << LXDS_DBG_HW_KIND_SHIFT)
#define LXDS_DBG_HW_WRITE       (2u << LXDS_DBG_HW_KIND_SHIFT)
#define LXDS_DBG_HW_ACCESS      (3u << LXDS_DBG_HW_KIND_SHIFT)
#define LXDS_DBG_HW_KIND_MASK   (0xFu << LXDS_DBG_HW_KIND_SHIFT)

enum lxds_debug_event {
    LXDS_DBG_EV_NONE = 0,       /* running (or never paused) */
    LXDS_DBG_EV_PAUSED = 1,     /* LXDS_DBG_PAUSE / ATTACH */
    LXDS_DBG_EV_BREAKPOINT = 2, /* int3 at regs.rip */
    LXDS_DBG_EV_STEP = 3,       /* one instruction done */
    LXDS_DBG_EV_STOPPED = 4,    /* the domain stopped for good: state/exit_reason say why */
    LXDS_DBG_EV_HWBREAK = 5,    /* a debug register slot matched: exit_detail = slots hit */
};

struct lxds_debug_regs {
    uint64_t gpr[16];           /* rax rbx rcx rdx rsi rdi rbp rsp r8 .. r15 (gdb's order) */
    uint64_t rip, rflags;
    uint64_t cr0, cr2, cr3, cr4;
    uint64_t fs_base, gs_base;
    uint16_t cs, ss, ds, es, fs, gs;
    uint32_t pad;
};

struct lxds_debug {
    uint32_t op;                /* enum lxds_debug_op */
    uint32_t flags;
    uint64_t addr, len, buf_gpa;    /* memory ops */
    uint32_t attached;          /* out (GET) */
    uint32_t event;             /* out (GET): enum lxds_debug_event */
    uint32_t state;             /* out (GET): enum lxds_domain_state */
    uint32_t exit_reason;       /* out (GET): when STOPPED */
    uint64_t exit_detail;
    struct lxds_debug_regs regs;    /* out (GET), in (SET_REGS) */
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
    /* 1.2: written only when the caller's size says there is room */
    uint64_t linux_core_mask;   /* cores that run Linux (its boot core is bit 0) */
};
#define LXDS_INFO_SIZE_1_1      40u     /* up to and including domains */

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
#define LXD_PAGE_TABLES_VA      0x1000ull       /* the domain's PML4, then its PDPT and PD (RW):
                                                   they identity-map the first GiB with 2 MiB
                                                   pages; the domain may add PML4 entries */
#define LXD_IMAGE_BASE          0x400000ull     /* ELF segments must lie in [BASE, LIMIT) */
#define LXD_IMAGE_LIMIT         0x10000000ull
#define LXD_BOOT_INFO_VA        0x10000000ull
#define LXD_STACK_TOP_VA        0x10200000ull   /* 64 KiB below it */
#define LXD_HEAP_VA             0x10400000ull
#define LXD_GRANT_VA            0x20000000ull   /* grant i at LXD_GRANT_VA + i * 16 MiB */
#define LXD_GRANT_STRIDE        0x1000000ull

/*
 * The heap: LXD_HEAP_DEFAULT unless the image asks for another size in an
 * ELF note (in a PT_NOTE program header): name "LXDS", type
 * LXD_NOTE_HEAP_BYTES, an 8-byte little-endian size.  The hypervisor
 * rounds it up to pages and refuses (-E2BIG) a size over LXD_HEAP_MAX;
 * the LXD pool bounds it further (-ENOMEM).
 */
#define LXD_HEAP_DEFAULT        0x100000ull     /* 1 MiB */
#define LXD_HEAP_MAX            0x8000000ull    /* 128 MiB: ends well below LXD_GRANT_VA */
#define LXD_NOTE_NAME           "LXDS"
#define LXD_NOTE_HEAP_BYTES     1

/* Load arguments (LXDS_HC_SET_ARGS): printable ASCII, NUL-terminated in the boot info. */
#define LXD_ARGS_MAX            512             /* including the NUL */

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
    /* ABI 1.1 */
    uint64_t tsc_khz;           /* TSC ticks per millisecond, as the hypervisor calibrated it */
    char args[LXD_ARGS_MAX];    /* load arguments ("" if none were set), NUL-terminated */
};

#endif
