/*
 * /dev/lxd ioctls: the user-space interface of the klxd module.
 * Shared by the module and by lxdctl.  See docs/klxd.md.
 *
 * Every ioctl returns 0 (or a non-negative value where said) or -1 with
 * errno set; the errno is the hypervisor's own error where the call got
 * that far (docs/hypercalls.md), else the module's.
 */
#ifndef KLXD_IOCTL_H
#define KLXD_IOCTL_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <stdint.h>
#include <linux/ioctl.h>
#endif
#include <lxds/hypercall_abi.h>

#define KLXD_DEVICE          "/dev/lxd"
#define KLXD_MODULE_VERSION  1

/* Channel ring pages: a power of two in [1, KLXD_CHANNEL_MAX_PAGES]; each
 * page holds 32 slots per direction. */
#define KLXD_CHANNEL_DEFAULT_PAGES  1
#define KLXD_CHANNEL_MAX_PAGES      256

/* Channels of one domain (one per Linux CPU that calls it; CPU c uses
 * channel c % count): 1 .. KLXD_MAX_CHANNELS, grants 0 .. count-1. */
#define KLXD_MAX_CHANNELS           8

/* Ping: count at most this, batch at most the ring's slots. */
#define KLXD_PING_MAX_COUNT  100000000u

struct lxd_ioc_version {
	uint32_t abi_version;      /* out: LXDS_HC_VERSION's answer */
	uint32_t module_version;   /* out: KLXD_MODULE_VERSION */
	uint32_t abi_expected;     /* out: LXDS_ABI_VERSION the module was built against */
	uint32_t reserved;
};

struct lxd_ioc_create {
	uint64_t image;            /* in: user pointer to the ELF file */
	uint64_t len;              /* in: its length in bytes (<= LXDS_MAX_IMAGE) */
	char name[LXDS_NAME_MAX];  /* in: NUL-terminated, non-empty */
	uint32_t id;               /* out: the new domain's id */
	uint32_t reserved;
};

struct lxd_ioc_start {
	uint32_t id;               /* in */
	int32_t core;              /* in: a core, or -1 for the next free one; out: the core */
};

struct lxd_ioc_list {
	uint64_t ids;              /* in: user pointer to uint32_t[max] */
	uint32_t max;              /* in: entries at ids (may be 0 to just count) */
	uint32_t count;            /* out: domains that exist (may exceed max) */
};

struct lxd_ioc_log {
	uint64_t buf;              /* in: user pointer */
	uint32_t len;              /* in: its size (at most 64 KiB is used per call) */
	uint32_t got;              /* out: bytes copied */
	uint64_t pos;              /* in/out: log position, 0 = the start of what is kept */
};

struct lxd_ioc_args {
	uint32_t id;               /* in: a loaded, not yet started domain */
	uint32_t len;              /* in: bytes at text, < LXD_ARGS_MAX, no NUL needed */
	uint64_t text;             /* in: user pointer: printable ASCII, e.g. "nr_devices=1 size=64" */
};

struct lxd_ioc_channel {
	uint32_t id;               /* in */
	uint32_t pages;            /* in: ring pages (0 = KLXD_CHANNEL_DEFAULT_PAGES) */
	uint64_t domain_va;        /* out: where the domain sees the pages */
	uint32_t slots;            /* out: slots per direction */
	uint32_t count;            /* in: channels, 1 .. KLXD_MAX_CHANNELS (0 = 1): grants
	                              0 .. count-1 of the domain; domain_va is channel 0's */
};

struct lxd_ioc_ping {
	uint32_t id;               /* in */
	uint32_t count;            /* in: requests to send (1 .. KLXD_PING_MAX_COUNT) */
	uint32_t batch;            /* in: requests in flight at most (0 or 1 = ping-pong) */
	uint32_t timeout_ms;       /* in: longest wait for one reply (0 = module default) */
	uint64_t sent;             /* out */
	uint64_t good;             /* out: replies that matched the echo transform */
	uint64_t bad;              /* out: replies that did not, or were invalid */
	uint64_t cycles;           /* out: TSC cycles from the first send to the last reply */
	uint64_t ns;               /* out: the same span in nanoseconds (Linux's clock) */
	uint64_t first_bad_seq;    /* out: sequence number of the first bad reply (~0 if none) */
	uint32_t channel;          /* out: the channel it went over (the calling CPU's) */
	uint32_t channels;         /* out: how many the domain has */
	uint32_t cpu;              /* out: the CPU it started on */
	uint32_t reserved;
	uint64_t tsc_entry;        /* out: TSC when the ioctl began (before any lock) */
	uint64_t tsc_end;          /* out: TSC after the last reply */
};

/* The debugger (lxdctl gdb): one LXDS_HC_DEBUG operation on a domain. */
struct lxd_ioc_debug {
	uint32_t id;               /* in: the domain */
	uint32_t reserved;
	struct lxds_debug req;     /* in/out: op, flags, addr, len; GET fills the rest */
	uint64_t data;             /* in: user pointer to req.len bytes (READ: filled, WRITE: read) */
};

#define LXD_IOC_MAGIC 0xB7

#define LXD_IOC_VERSION   _IOR(LXD_IOC_MAGIC, 0, struct lxd_ioc_version)
#define LXD_IOC_INFO      _IOR(LXD_IOC_MAGIC, 1, struct lxds_info)
#define LXD_IOC_CREATE    _IOWR(LXD_IOC_MAGIC, 2, struct lxd_ioc_create)
#define LXD_IOC_START     _IOWR(LXD_IOC_MAGIC, 3, struct lxd_ioc_start)
#define LXD_IOC_STOP      _IOW(LXD_IOC_MAGIC, 4, uint32_t)
#define LXD_IOC_DESTROY   _IOW(LXD_IOC_MAGIC, 5, uint32_t)
/* in: .id; out: the whole status */
#define LXD_IOC_STATUS    _IOWR(LXD_IOC_MAGIC, 6, struct lxds_domain_status)
#define LXD_IOC_LIST      _IOWR(LXD_IOC_MAGIC, 7, struct lxd_ioc_list)
#define LXD_IOC_LOG_READ  _IOWR(LXD_IOC_MAGIC, 8, struct lxd_ioc_log)
#define LXD_IOC_CHANNEL   _IOWR(LXD_IOC_MAGIC, 9, struct lxd_ioc_channel)
#define LXD_IOC_PING      _IOWR(LXD_IOC_MAGIC, 10, struct lxd_ioc_ping)
#define LXD_IOC_ARGS      _IOW(LXD_IOC_MAGIC, 11, struct lxd_ioc_args)
/* returns the operation's result (>= 0: for READ/WRITE the bytes moved) */
#define LXD_IOC_DEBUG     _IOWR(LXD_IOC_MAGIC, 12, struct lxd_ioc_debug)

#endif
