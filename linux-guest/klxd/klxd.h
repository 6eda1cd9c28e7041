/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klxd in-kernel API: what other Linux modules ("glue" modules that forward a
 * kernel subsystem to an LXD) use to talk to a domain.  See docs/klxd.md.
 *
 * A domain has one channel, or several (one per Linux CPU that calls it:
 * klxd_channels_create), made before the domain starts (the hypervisor only
 * grants pages to a domain that does not run yet).  Linux is side 0 of each
 * channel and initialises the ring memory; the LXD attaches as side 1 to its
 * grants (channel i = grant i).  klxd_channel_get hands out channel 0;
 * klxd_call on it goes over the calling CPU's channel (CPU c: channel
 * c % count), with that channel's locks only, while klxd_send, klxd_recv
 * and the klxd_try_* calls use the channel they are given (channel 0: the
 * glue backend stays there).  All calls but klxd_try_send sleep (busy-poll with cond_resched):
 * process context only, never with a spinlock held or in an interrupt.
 *
 *	struct klxd_channel *ch;
 *	struct chan_msg req = { .w = { 1, 2, 3 } }, reply;
 *	int err;
 *
 *	err = klxd_channel_create(id, 1);       // before the domain starts
 *	ch = klxd_channel_get(id);              // takes a reference
 *	if (IS_ERR(ch))
 *		return PTR_ERR(ch);
 *	err = klxd_call(ch, &req, &reply);      // request out, its reply back
 *	klxd_channel_put(ch);
 *
 * Errors are negative errno values: -ENOENT no such domain or no channel,
 * -EEXIST a channel exists already, -ENODEV the domain was destroyed,
 * -ETIMEDOUT no reply/no free slot within the timeout, -EPIPE the domain is
 * not running (stopped or crashed; klxd notices within a fraction of the
 * timeout), -EINTR a signal arrived while waiting, or the hypervisor's error.
 */
#ifndef KLXD_H
#define KLXD_H

#include <linux/types.h>
#include <lxds/channel.h>

struct klxd_channel;

/* Default longest wait for one message, in milliseconds (module parameter
 * timeout_ms changes it). */
#define KLXD_DEFAULT_TIMEOUT_MS 10000

/*
 * Allocates `pages` (a power of two, 1 .. KLXD_CHANNEL_MAX_PAGES) physically
 * contiguous ring pages, initialises them (chan_mem_init), grants them to
 * domain `id` (LXDS_HC_GRANT) and attaches Linux's end.  Must come before
 * the domain's first start.  *domain_va (if not NULL) gets where the domain
 * sees the pages.
 */
int klxd_channel_create(u32 id, unsigned int pages, u64 *domain_va);

/*
 * The same for `count` channels (1 .. KLXD_MAX_CHANNELS, each of `pages`),
 * granted in order.  If one after the first fails, the domain keeps those
 * made so far (their pages are granted) and the error is returned: destroy
 * the domain.  *domain_va gets channel 0's address.
 */
int klxd_channels_create(u32 id, unsigned int pages, unsigned int count, u64 *domain_va);

/* How many channels the domain behind ch (from klxd_channel_get) has. */
unsigned int klxd_channel_count(struct klxd_channel *ch);

/* The channel of domain `id`, with a reference held; ERR_PTR on failure. */
struct klxd_channel *klxd_channel_get(u32 id);

/* Drops a reference; the ring pages are freed once the domain is destroyed
 * and the last reference is gone. */
void klxd_channel_put(struct klxd_channel *ch);

/*
 * Sends *req as a CHAN_T_REQUEST with a fresh tag and waits for the
 * CHAN_T_REPLY carrying that tag; *reply gets it.  Replies with other tags
 * (late answers to calls that timed out) are dropped.  It goes over the
 * calling CPU's channel (above); calls on one channel are serialised (one
 * klxd_call at a time; for many calls in flight use the glue backend,
 * klxd_glue.h).
 */
int klxd_call(struct klxd_channel *ch, const struct chan_msg *req, struct chan_msg *reply);

/* Lower level: send *msg as it is (type and tag chosen by the caller), or
 * receive the next message.  Both wait up to timeout_ms (0 = default). */
int klxd_send(struct klxd_channel *ch, const struct chan_msg *msg, unsigned int timeout_ms);
int klxd_recv(struct klxd_channel *ch, struct chan_msg *msg, unsigned int timeout_ms);

/*
 * For a runtime that multiplexes one channel (the glue backend,
 * klxd_glue.c): sending and receiving are independent, so a thread polling
 * for messages never holds up senders.  Do not mix these with klxd_call on
 * the same channel (klxd_call would take the runtime's messages).
 *
 * klxd_send_batch sends n slots back to back under one lock (a multi-slot
 * message stays contiguous), all within one timeout.  klxd_try_recv never
 * waits for a message: 0, -EAGAIN (empty), -EBADMSG (invalid, consumed),
 * -ENODEV.  klxd_channel_state asks the hypervisor: 0 running, -EPIPE
 * stopped or crashed, -ENODEV destroyed, -EAGAIN cannot tell.
 * klxd_timeout_ms is the module's timeout_ms parameter.
 */
int klxd_send_batch(struct klxd_channel *ch, const struct chan_msg *msgs, unsigned int n,
		    unsigned int timeout_ms);
int klxd_try_recv(struct klxd_channel *ch, struct chan_msg *msg);
/*
 * klxd_try_send sends one slot if the ring has room, never waiting or
 * sleeping (it may run with bottom halves off, e.g. in ndo_start_xmit; not
 * in a hard interrupt): 0, -EAGAIN (ring full, or a klxd_send_batch is
 * part-way through a multi-slot message), -ENODEV.
 */
int klxd_try_send(struct klxd_channel *ch, const struct chan_msg *msg);
int klxd_channel_state(struct klxd_channel *ch);
unsigned int klxd_timeout_ms(void);

/* Raw hypercall, for glue modules that need a call klxd does not wrap. */
long klxd_hypercall(unsigned long nr, unsigned long a0, unsigned long a1,
		    unsigned long a2, unsigned long a3);

#endif
