/*
 * Calls over a channel from async threads.
 *
 * achan_call() sends a request tagged with the index and generation of a
 * call slot, then parks the calling thread.  Whoever polls the channel
 * (achan_poll, usually as the runtime's idle hook) copies each reply into
 * the buffer of the call its tag names and wakes that thread, so replies may
 * arrive in any order.  A reply whose tag names no outstanding call (a stale
 * or forged tag) is dropped and counted; the tag is checked against private
 * state only, never used as an index before the bounds check.
 *
 *     tag = generation << 16 | call-slot index      (generation never 0)
 */
#ifndef LXDS_ASYNC_CHAN_H
#define LXDS_ASYNC_CHAN_H

#include <lxds/async.h>
#include <lxds/channel.h>

#define ACHAN_MAX_CALLS  0xffffu
#define ACHAN_NONE       0xffffu

struct achan_call {
	struct async_wait wait;
	struct chan_msg *reply;   /* where the reply is copied */
	uint16_t gen;             /* bumped on every use, so stale tags miss */
	uint16_t next_free;
	bool busy;
};

struct achan {
	struct chan *ch;
	struct achan_call *calls; /* caller-supplied, ncalls entries */
	uint32_t ncalls;
	uint32_t free_head;       /* index of a free call slot, or ACHAN_NONE */
	uint64_t rejected;        /* replies dropped: unknown tag or bad message */
};

/* Uses calls[0..ncalls) (1 <= ncalls <= ACHAN_MAX_CALLS) for outstanding calls. */
int achan_init(struct achan *ac, struct chan *ch, struct achan_call *calls, uint32_t ncalls);

/*
 * Sends *req as a request (its type and tag are set here) and blocks the
 * calling async thread until the reply has been copied into *reply.
 */
int achan_call(struct achan *ac, struct chan_msg *req, struct chan_msg *reply);

/*
 * Delivers every reply waiting at the head of the receive ring; stops at the
 * first request (left for achan_recv_request).  Returns how many callers
 * were woken.  Safe to use as the runtime's idle hook (see achan_idle).
 */
unsigned achan_poll(struct achan *ac);

/* Idle-hook form of achan_poll: async_set_idle(rt, achan_idle, ac). */
void achan_idle(void *ac);

/*
 * Server side: delivers pending replies, then takes the next request or
 * one-way message into *req.  Returns 0, or IPC_EAGAIN if there is none.
 */
int achan_recv_request(struct achan *ac, struct chan_msg *req);

/* Sends *reply (type and tag set here) as the answer to *req. */
void achan_reply(struct achan *ac, const struct chan_msg *req, struct chan_msg *reply);

#endif
