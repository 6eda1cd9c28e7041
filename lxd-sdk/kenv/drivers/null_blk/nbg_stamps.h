/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A measurement only (docs/bench-nullblk.md "Where a 4 KiB read's time
 * goes"): TSC stamps of one request, written by both sides into the last
 * 64 bytes of the request's 64 KiB pool slot when the request's data
 * leaves them free (len <= NBG_STAMPS_MAX_LEN).  Bochs' TSC is one global
 * count of emulated instructions (the same on every core), so a stamp of
 * the domain's core may be subtracted from one of Linux's.
 *
 * With null_blk_glue's timing=1 only, Linux writes linux_send (just before
 * nbg_submit goes out) and hwtag, and clears the rest; the domain, when hwtag matches the request it got,
 * writes dom_submit (nbg_submit entered) and dom_end (just before nbg_end
 * goes out).  Linux reads them in nbg_end into counters only, after
 * checking hwtag and their order: a hostile domain can only skew the
 * counters, never the I/O (nothing else reads this area).
 */
#ifndef NBG_STAMPS_H
#define NBG_STAMPS_H

#define NBG_STAMPS_SLOT_BYTES (64u * 1024)
#define NBG_STAMPS_OFF        (NBG_STAMPS_SLOT_BYTES - 64)
#define NBG_STAMPS_MAX_LEN    NBG_STAMPS_OFF

struct nbg_stamps {
	u64 hwtag;              /* the request's hwtag (Linux's), or 0 */
	u64 linux_send;         /* Linux: before nbg_submit is sent */
	u64 dom_submit;         /* domain: nbg_submit entered */
	u64 dom_end;            /* domain: before nbg_end is sent */
};

#endif
