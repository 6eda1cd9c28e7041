/*
 * Host-thread backend of the glue runtime (lxd-sdk/glue/glue_host.c).
 *
 * Each side of a channel gets one glue_ctx driven by:
 *   - a receiver thread that reassembles slots, hands each reply to the
 *     thread waiting for its tag and queues each request / one-way message;
 *   - `workers` worker threads that run the generated dispatcher on queued
 *     requests and send the replies.  A handler may itself call across (a
 *     nested call): it blocks only its worker thread.
 * Callers (any thread) use glue_call / glue_send; up to GLUE_HOST_CALLS
 * calls may be in flight per side.
 */
#ifndef LXDS_GLUE_HOST_H
#define LXDS_GLUE_HOST_H

#include <lxds/glue.h>

#define GLUE_HOST_CALLS       256
#define GLUE_HOST_TIMEOUT_MS  20000   /* a call's deadline */

/* Starts the backend for ctx (already glue_ctx_init'ed) on an attached channel. */
int glue_host_start(struct glue_ctx *ctx, struct chan *ch, unsigned workers);

/* Stops the threads, fails calls still waiting with GLUE_EPIPE, frees state. */
void glue_host_stop(struct glue_ctx *ctx);

/* Marks the peer dead: waiting and new calls fail with GLUE_EPIPE. */
void glue_host_peer_dead(struct glue_ctx *ctx);

/* Sends raw slots as they are (tests and fuzzing: a hostile peer). */
void glue_host_send_raw(struct glue_ctx *ctx, const struct chan_msg *slots, unsigned n);

/* Requests handled so far (tests). */
uint64_t glue_host_handled(struct glue_ctx *ctx);

#endif
