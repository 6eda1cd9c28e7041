/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The glue runtime's Linux backend (include/lxds/glue.h, docs/idl.md "Runtime
 * API"): idlc-generated Linux-side code (M_linux.c) over a klxd channel.
 * A glue module links klxd_glue.c, lxd-sdk/glue/glue_core.c and M_linux.c
 * and calls, from process context:
 *
 *	glue_ctx_init(&ctx, "lxdecho", lxdecho_linux_dispatch);
 *	err = klxd_glue_start(&ctx, domain_id);   // the domain's channel must exist
 *	...  generated stubs now call into the domain (many threads at once);
 *	...  requests from the domain run on a workqueue
 *	klxd_glue_stop(&ctx);                      // waiters get -EPIPE
 *
 * Every call waits at most klxd's timeout_ms (fixed when the call starts;
 * nothing the domain sends moves it), and ends with -EPIPE as soon as the
 * receiver learns (LXDS_HC_STATUS, every 200 ms) that the domain no longer
 * runs.  Glue calls sleep: process context only (but see
 * klxd_glue_try_send_framed).
 */
#ifndef KLXD_GLUE_H
#define KLXD_GLUE_H

#include <linux/types.h>
#include <linux/jump_label.h>
#include <linux/moduleparam.h>
#include <lxds/glue.h>

#define KLXD_GLUE_CALLS     64     /* calls in flight per context */
#define KLXD_GLUE_MAX_JOBS  256    /* requests from the domain queued or running */

int klxd_glue_start(struct glue_ctx *ctx, u32 domain_id);
void klxd_glue_stop(struct glue_ctx *ctx);
/* Whether the domain was found dead (then every call fails with -EPIPE). */
bool klxd_glue_peer_dead(struct glue_ctx *ctx);
/* Whether domain is gone for good (its memory, and any grant to it, with it). */
bool klxd_glue_domain_destroyed(u32 domain);

/*
 * Sending from where Linux may not sleep (bottom halves off, e.g. a net
 * driver's ndo_start_xmit, or a block driver's queue_rq that polls for the
 * answer): one slot of a one-way message the caller framed in place
 * (glue_frame_oneway1, its words in w[1..]: the words a generated stub
 * would put, in its order) goes straight onto the ring or not at all.  0
 * sent; -EAGAIN the ring is full (nothing sent); -EPIPE the domain is gone.
 * A lazy (klxd_glue_set_bh_oneway) or covered (klxd_glue_cover) receive
 * thread is not woken: the sender polls for what comes back.
 */
int klxd_glue_try_send_framed(struct glue_ctx *ctx, const struct chan_msg *slot);

/* Per-stage counters (TSC ticks: in Bochs, emulated instructions), for
 * docs/bench-net.md; racy increments, a measurement only. */
struct klxd_glue_stats {
	u64 send_n, send_tsc;            /* one-way sends that may wait */
	u64 try_n, try_tsc, try_full;    /* one-way sends that do not (try_full: -EAGAIN) */
	u64 rx_rounds, rx_slots, rx_tsc; /* receive rounds that read something */
	u64 rx_empty, rx_empty_tsc;      /* empty receive rounds */
	u64 rx_yields, rx_naps;
	u64 ow_runs, ow_msgs, ow_tsc;    /* the one-way drain work item */
	u64 rx_nvcsw, rx_nivcsw;         /* the receive thread's context switches (totals) */
	u64 rx_lazy_naps, bh_msgs;       /* lazy naps; one-way messages handled at once */
	u64 poll_n, poll_slots, poll_tsc; /* klxd_glue_poll_nowait */
	u64 rx_relaxes;                  /* empty polls followed by cpu_relax() (rx_relax) */
	u64 bh_framed;                   /* of bh_msgs, taken framed (klxd_glue_set_framed_oneway) */
	u64 rx_covered;                  /* sleeps while a submitter covered the ring */
};
void klxd_glue_stats(struct glue_ctx *ctx, struct klxd_glue_stats *out, bool reset);

/*
 * Receiving from where Linux may not sleep: klxd_glue_poll_nowait reads up
 * to budget slots (unless the receive thread is reading at that moment)
 * and routes them as the receive thread does; the number read.  Up to two
 * one-way rpcs may be declared safe to handle there (rpc, rpc2; -1: none;
 * their handlers must not sleep: bottom halves are off); they are then
 * handled at once wherever they are
 * received, by the receive thread too, without a work item.  lazy_nap_us
 * (0: not lazy): the receive thread naps that long (up to 5 times it)
 * rather than taking turns with other runnable threads when the ring is
 * empty, and klxd_glue_try_send_framed does not wake it (the sender polls
 * itself).  Call after klxd_glue_start.
 */
unsigned int klxd_glue_poll_nowait(struct glue_ctx *ctx, unsigned int budget);
void klxd_glue_set_bh_oneway(struct glue_ctx *ctx, int rpc, int rpc2, unsigned int lazy_nap_us);

/*
 * One of those rpcs, sent as one slot of nwords words (the domain's
 * framed send, glue_async_send_framed), may be taken framed: fn gets the
 * slot's words straight from the ring (w[0 .. nwords - 1], at idlc's
 * positions), without the reassembly, the routing, glue_handle and the
 * generated reader.  fn runs where the rpc's handler would (bottom halves
 * off, under the receive lock), checks every word as the generated handler
 * does and returns false, having done nothing, for words it does not take:
 * the message then goes the generic way, which refuses and logs it.  Only
 * a slot whose header word is exactly the one-slot header of rpc with
 * nwords words is offered to fn.  fn NULL: none.  -EINVAL if rpc is not
 * declared safe (klxd_glue_set_bh_oneway; declaring others drops fn).
 */
int klxd_glue_set_framed_oneway(struct glue_ctx *ctx, int rpc, unsigned int nwords,
				bool (*fn)(const u64 *w));

/*
 * A submitter that reads the ring itself for what it sent (a block
 * request alone in flight, polled for in queue_rq) covers the ring: while
 * covered, the receive thread does not take turns with it but sleeps once
 * it finds the ring empty (no call waiting), and klxd_glue_try_send_framed
 * does not wake it.  The cover holds across requests,
 * as long as each submitter finds its own answer; whoever leaves something
 * unread (an answer still due, a poll that gave up) uncovers, which wakes
 * the receive thread.  Asleep, it still reads the ring every
 * KLXD_GLUE_CHECK_MS (200 ms), and whatever it finds there ends the cover:
 * a cover left on (say, a domain's own call into Linux while no request
 * is in flight) delays once, and never loses, what only the receive
 * thread would read.
 */
void klxd_glue_cover(struct glue_ctx *ctx);
void klxd_glue_uncover(struct glue_ctx *ctx);

/*
 * Copies n bytes for the glue, eight a move (rep movsq, then up to 7 with
 * rep movsb): for the copies that isolation adds on Linux's side (a packet
 * head or a block request's data into or out of the shared pool).  Linux's
 * memcpy is rep movsb on a CPU with ERMS; on hardware both are the same
 * fast-string microcode, but Bochs counts each iteration of a rep'd string
 * instruction as one emulated instruction: 4 096 for 4 KiB that way, 512
 * this way.  So this is a gain in emulated instructions, not in cycles
 * (docs/bench-nullblk.md says what it changes in the benchmark).
 */
static inline void klxd_glue_copy(void *dst, const void *src, size_t n)
{
	unsigned long c, d, s;

	asm volatile("rep movsq\n\t"
		     "movl %k6, %%ecx\n\t"
		     "rep movsb"
		     : "=&c"(c), "=&D"(d), "=&S"(s)
		     : "0"((unsigned long)(n >> 3)), "1"(dst), "2"(src), "r"((unsigned int)(n & 7u))
		     : "memory");
}

/*
 * A measurement switch: a bool module parameter that flips a static key, so
 * that what it guards (a glue module's stage timing) costs a no-op while it
 * is off.  In the module:
 *
 *	static struct klxd_switch timing = KLXD_SWITCH_INIT;
 *	module_param_cb(timing, &klxd_switch_ops, &timing, 0644);
 *	...	if (klxd_switch_on(&timing)) t0 = rdtsc();
 *
 * (Each glue module links its own copy of klxd_glue.c: nothing here is
 * exported, so two glue modules load side by side.)
 */
struct klxd_switch {
	struct static_key_false key;
	bool on;                                 /* what the parameter reads */
};
#define KLXD_SWITCH_INIT { .key = STATIC_KEY_FALSE_INIT }
#define klxd_switch_on(sw) static_branch_unlikely(&(sw)->key)
extern const struct kernel_param_ops klxd_switch_ops;

#endif
