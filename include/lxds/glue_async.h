/*
 * Async-runtime backend of the glue runtime (lxd-sdk/glue/glue_async.c):
 * what an LXD uses.  One OS thread (one core) runs the async runtime;
 * everything is cooperative, so there is no locking inside.
 *
 *   glue_async_start(ctx, ch, relax)      attach ctx to an attached channel
 *   async_set_idle(rt, glue_async_idle, ctx)
 *   glue_async_serve(ctx)                 the dispatcher loop, run as an async
 *                                         thread (or on the main one): each
 *                                         incoming request runs in its own
 *                                         ASYNC, so a handler that calls
 *                                         across blocks only itself
 *
 * Calls (glue_call from generated stubs) must come from async threads of
 * that runtime: they park the calling thread until the reply with their tag
 * arrives.  The idle hook reassembles slots, wakes callers and queues
 * requests for the dispatcher (it may not spawn threads itself).
 */
#ifndef LXDS_GLUE_ASYNC_H
#define LXDS_GLUE_ASYNC_H

#include <lxds/async.h>
#include <lxds/glue.h>

#define GLUE_ASYNC_CALLS  64     /* calls in flight from this side */
#define GLUE_ASYNC_JOBS   32     /* requests queued or running at once */

/* relax(): called when a poll found nothing (NULL: ipc_cpu_relax). */
int glue_async_start(struct glue_ctx *ctx, struct chan *ch, void (*relax)(void));

/* Idle hook: async_set_idle(rt, glue_async_idle, ctx). */
void glue_async_idle(void *ctx);

/* Receives what is on the ring now: replies to their callers, requests to
 * the dispatcher.  Returns how many slots it consumed. */
unsigned glue_async_poll(struct glue_ctx *ctx);

/* The dispatcher loop; returns after glue_async_stop. */
void glue_async_serve(void *ctx);

/* Any thread: ask the dispatcher to return (it notices in the idle hook). */
void glue_async_stop(struct glue_ctx *ctx);

/* Marks the peer dead: waiting and new calls fail with GLUE_EPIPE. */
void glue_async_peer_dead(struct glue_ctx *ctx);

/* Frees the backend state (after glue_async_serve has returned and every
 * request thread has finished, e.g. after async_rt_fini). */
void glue_async_free(struct glue_ctx *ctx);

uint64_t glue_async_handled(struct glue_ctx *ctx);

/* One slot of a one-way message the caller framed in place
 * (glue_frame_oneway1 and its words, exactly what the generated stub would
 * send), sent as glue_send would: after any message being sent, waiting
 * (async threads only) while the ring is full.  0, GLUE_EPIPE (peer dead)
 * or GLUE_EINVAL (not a one-way slot). */
int glue_async_send_framed(struct glue_ctx *ctx, const struct chan_msg *slot);

/* fn(false) runs in the dispatcher when a pass is over (every request it
 * found queued has run or blocked) and before it waits for more: a
 * handler's batched work goes out there (or is held, if fn's policy says
 * so).  It returns whether it sent anything (it may yield; the dispatcher
 * then looks for requests again).  fn(true) is asked from the idle hook,
 * while the dispatcher waits, whether held work is due now: it must only
 * answer (nothing may be sent from there); true wakes the dispatcher,
 * which calls fn(false). */
void glue_async_set_pass_end(struct glue_ctx *ctx, bool (*fn)(bool idle));

/* A one-way rpc the peer sends as one slot of nwords words (a framed send:
 * klxd_glue_try_send_framed, or the generated stub of an rpc that fits one
 * slot) may be taken framed: such a slot (its header word exactly the
 * one-slot header of rpc with nwords words) goes straight into a job
 * without the reassembly, and its thread calls fn with the words at idlc's
 * positions instead of glue_handle and the generated reader.  fn runs where
 * the handler would (its own async thread: it may block) and must check
 * every word as the generated reader does, returning false, having done
 * nothing, for words it would refuse: the message then goes to glue_handle,
 * whose reader refuses and logs it.  fn NULL: none.  Set it before
 * serving (from the runtime's own thread).  GLUE_EINVAL: nwords is 0 or
 * more than a slot holds. */
int glue_async_set_framed_oneway(struct glue_ctx *ctx, uint16_t rpc, uint32_t nwords,
				 bool (*fn)(const uint64_t *w));
/* Messages fn took. */
uint64_t glue_async_framed(struct glue_ctx *ctx);

/* on: a slot taken framed is offered to fn at once, in the idle hook's own
 * poll (a poll inside a wait never does it, one such run at a time, and
 * that poll takes at most 32 slots before the hook's other work runs),
 * with no job, dispatcher turn or thread; what fn refuses goes to a job as
 * above.  fn then runs with every thread parked: it must not need another
 * thread to move.  A send waits for room on the ring by spinning there
 * (polling: replies wake their threads, requests are queued for jobs that
 * run after); a call cannot wait for its reply there (requests ahead of
 * the reply may need jobs that cannot run yet): glue_call logs and
 * returns GLUE_EDEADLK.  So only an rpc whose reader never calls the peer
 * may be served inline.  Off (the default): fn runs in a job's thread.
 * GLUE_EINVAL: on without fn. */
int glue_async_set_framed_inline(struct glue_ctx *ctx, bool on);
/* Of those, messages fn took inline. */
uint64_t glue_async_framed_inline(struct glue_ctx *ctx);

/* Requests received and not started yet (0: the dispatcher's pass is over
 * once the running handler returns; a handler may flush what it batched). */
unsigned glue_async_queued(struct glue_ctx *ctx);

#endif
