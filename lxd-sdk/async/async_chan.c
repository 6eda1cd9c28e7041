/*
 * Async calls over a channel: tags, parking callers, delivering replies.
 */
#include <lxds/async_chan.h>

int achan_init(struct achan *ac, struct chan *ch, struct achan_call *calls, uint32_t ncalls)
{
	uint32_t i;

	if (ncalls == 0 || ncalls > ACHAN_MAX_CALLS)
		return IPC_EINVAL;
	ac->ch = ch;
	ac->calls = calls;
	ac->ncalls = ncalls;
	ac->rejected = 0;
	for (i = 0; i < ncalls; i++) {
		async_wait_init(&calls[i].wait);
		calls[i].reply = NULL;
		calls[i].gen = 1;
		calls[i].busy = false;
		calls[i].next_free = i + 1 < ncalls ? (uint16_t)(i + 1) : ACHAN_NONE;
	}
	ac->free_head = 0;
	return 0;
}

static uint32_t achan_tag(const struct achan_call *c, uint32_t idx)
{
	return (uint32_t)c->gen << 16 | idx;
}

static uint32_t achan_alloc(struct achan *ac)
{
	uint32_t idx = ac->free_head;

	if (idx != ACHAN_NONE)
		ac->free_head = ac->calls[idx].next_free;
	return idx;
}

static void achan_release(struct achan *ac, uint32_t idx)
{
	struct achan_call *c = &ac->calls[idx];

	c->busy = false;
	c->gen = c->gen == 0xffff ? 1 : c->gen + 1;  /* generation 0 is never valid */
	c->next_free = (uint16_t)ac->free_head;
	ac->free_head = idx;
}

/* Lets the peer and the other threads make progress while we cannot. */
static void achan_wait_a_bit(struct achan *ac)
{
	achan_poll(ac);
	async_yield();
}

int achan_call(struct achan *ac, struct chan_msg *req, struct chan_msg *reply)
{
	struct achan_call *c;
	uint32_t idx;

	while ((idx = achan_alloc(ac)) == ACHAN_NONE)
		achan_wait_a_bit(ac);
	c = &ac->calls[idx];
	async_wait_init(&c->wait);
	c->reply = reply;
	c->busy = true;
	req->hdr.type = CHAN_T_REQUEST;
	req->hdr.tag = achan_tag(c, idx);
	while (chan_try_send(ac->ch, req) != 0)
		achan_wait_a_bit(ac);
	async_await(&c->wait);
	achan_release(ac, idx);
	return 0;
}

/* Hands one received reply to its caller; false if the tag names none. */
static bool achan_deliver(struct achan *ac, const struct chan_msg *m)
{
	uint32_t idx = m->hdr.tag & 0xffff;
	struct achan_call *c;

	if (idx >= ac->ncalls)
		return false;
	c = &ac->calls[idx];
	if (!c->busy || c->wait.done || achan_tag(c, idx) != m->hdr.tag)
		return false;
	*c->reply = *m;
	async_wake(&c->wait);
	return true;
}

/* A request or one-way message that this end accepts (peeked or received). */
static bool achan_is_request(const struct achan *ac, union chan_hdr h)
{
	return chan_hdr_valid(&ac->ch->rx, h) && h.type != CHAN_T_REPLY;
}

/* Receives the head message, known not to be a request; delivers it. */
static bool achan_take_reply(struct achan *ac)
{
	struct chan_msg m;

	if (chan_try_recv(ac->ch, &m) != 0)
		return false;  /* empty, or dropped as invalid (counted in rx.rejected) */
	if (m.hdr.type == CHAN_T_REPLY && achan_deliver(ac, &m))
		return true;
	ac->rejected++;
	return false;
}

/* Bounds one poll, so a peer that keeps the ring full of garbage cannot
 * keep us here forever. */
#define ACHAN_POLL_BATCH 64

unsigned achan_poll(struct achan *ac)
{
	union chan_hdr h;
	unsigned woken = 0;
	int i;

	for (i = 0; i < ACHAN_POLL_BATCH; i++) {
		if (chan_peek(ac->ch, &h) != 0 || achan_is_request(ac, h))
			break;
		woken += achan_take_reply(ac);
	}
	return woken;
}

void achan_idle(void *ac)
{
	if (achan_poll(ac) == 0)
		ipc_cpu_relax();
}

int achan_recv_request(struct achan *ac, struct chan_msg *req)
{
	union chan_hdr h;

	achan_poll(ac);
	if (chan_peek(ac->ch, &h) != 0)
		return IPC_EAGAIN;
	if (chan_try_recv(ac->ch, req) != 0)
		return IPC_EAGAIN;
	/* The peer may have rewritten the slot after the peek: re-check the copy. */
	if (req->hdr.type == CHAN_T_REPLY) {
		if (!achan_deliver(ac, req))
			ac->rejected++;
		return IPC_EAGAIN;
	}
	return 0;
}

void achan_reply(struct achan *ac, const struct chan_msg *req, struct chan_msg *reply)
{
	reply->hdr.type = CHAN_T_REPLY;
	reply->hdr.tag = req->hdr.tag;
	while (chan_try_send(ac->ch, reply) != 0)
		achan_wait_a_bit(ac);
}
