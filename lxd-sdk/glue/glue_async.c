/*
 * Async-runtime backend of the glue runtime (include/lxds/glue_async.h): the
 * one an LXD uses.  Portable like glue_core.c (no libc: memory through
 * glue_zalloc, copies through glue_msg_copy).  Single OS thread, cooperative
 * threads: state changes need no locks; flags another OS thread may set
 * (stop, peer_dead) are read with atomics.
 */
#include <lxds/glue_async.h>

enum glue_async_job_state { JOB_FREE, JOB_QUEUED, JOB_RUNNING };

#define GLUE_ASYNC_IDLE_SLOTS 32u     /* slots one idle-hook poll takes at most */

struct glue_async_call {
	struct async_wait wait;
	struct glue_msg *reply;
	int status;                   /* GLUE_EPIPE when the peer died */
	uint16_t gen;
	bool busy;
};

struct glue_async_job {
	struct glue_async *a;
	int state;
	int status;                   /* nonzero: reply with this status only */
	/* req came as the framed rpc's one slot: the reader it is offered to
	 * (the one set when it came), or NULL */
	bool (*framed_fn)(const uint64_t *w);
	union glue_msg_full *req;
	union glue_msg_full *reply;
};

struct glue_async {
	struct glue_ctx *ctx;
	struct chan *ch;
	void (*relax)(void);
	struct glue_async_call calls[GLUE_ASYNC_CALLS];
	struct glue_async_job jobs[GLUE_ASYNC_JOBS];
	struct async_wait work;       /* the dispatcher sleeps here */
	bool serving;                 /* the dispatcher is parked on work */
	bool tx_busy;                 /* a message's slots are being sent */
	bool stop;
	bool peer_dead;
	bool (*pass_end)(bool idle);  /* after each pass, and asked when idle (glue_async_set_pass_end) */
	/* the one-way rpc taken framed (glue_async_set_framed_oneway): its one
	 * slot's header word, exactly, and the module's reader; NULL: none */
	uint64_t framed_hdr;
	bool (*framed_fn)(const uint64_t *w);
	bool framed_inline;           /* framed_fn may run in the idle hook's own poll */
	bool inline_ok;               /* that poll is on, and no inline run is */
	uint64_t framed;              /* messages framed_fn took */
	uint64_t framed_inline_runs;  /* of which in the idle hook */
	uint64_t handled;
	struct glue_rx rx;            /* last: it ends in a flexible array */
};

static bool glue_async_flag(const bool *f)
{
	return __atomic_load_n(f, __ATOMIC_ACQUIRE);
}

/* --- receiving ------------------------------------------------------------------ */

static struct glue_async_job *glue_async_free_job(struct glue_async *a)
{
	unsigned i;

	for (i = 0; i < GLUE_ASYNC_JOBS; i++)
		if (a->jobs[i].state == JOB_FREE)
			return &a->jobs[i];
	return NULL;
}

static void glue_async_job_queued(struct glue_async *a, struct glue_async_job *j, int status,
				  bool (*framed_fn)(const uint64_t *w))
{
	j->status = status;
	j->framed_fn = framed_fn;
	j->state = JOB_QUEUED;
	if (a->serving) {
		a->serving = false;
		async_wake(&a->work);
	}
}

static void glue_async_queue(struct glue_async *a, const struct glue_msg *m, int status)
{
	struct glue_async_job *j = glue_async_free_job(a);

	if (!j) {
		/* cannot happen for first slots (polling stops when no job is free);
		 * a refused message found mid-stream is dropped */
		glue_log(a->ctx, "%s: no room to answer rpc %u (tag %#x); dropped", a->ctx->name,
			 m->rpc, m->tag);
		return;
	}
	glue_msg_copy(&j->req->m, m);
	glue_async_job_queued(a, j, status, NULL);
}

/*
 * framed_fn run at once, in the idle hook (glue_async_set_framed_inline):
 * only from the hook's own poll, never from a poll inside a wait (the
 * reader would run in the middle of another one, or of a handler), and one
 * at a time.  Waits inside it spin (async_in_idle).  False: the reader
 * refused the words and did nothing.
 */
static bool glue_async_run_inline(struct glue_async *a, const struct chan_msg *slot)
{
	bool took;

	a->inline_ok = false;
	took = a->framed_fn(&slot->w[1]);
	a->inline_ok = true;
	if (took) {
		a->framed++;
		a->framed_inline_runs++;
		a->handled++;
	}
	return took;
}

/*
 * A slot that is, whole, the one-slot message of the rpc taken framed (its
 * header word exactly: magic, rpc, first and only slot, the word count;
 * one-way; nothing being reassembled) is offered to framed_fn at once when
 * it may run inline, else goes straight into a job, without the
 * reassembly buffer, and its thread offers the words to framed_fn (words
 * the inline run refused go that way too, to be refused by the generated
 * reader).  False for any other slot (it goes the generic way).  A job is
 * free: glue_async_can_take let this first slot in.
 */
static bool glue_async_take_framed(struct glue_async *a, const struct chan_msg *slot)
{
	struct glue_async_job *j;
	struct glue_msg *m;
	uint32_t i, n = (uint32_t)(a->framed_hdr >> 32) & 0xffff;
	bool (*fn)(const uint64_t *w) = a->framed_fn;

	if (!fn || !glue_slot_is_oneway1(slot, a->framed_hdr) || a->rx.expect != 0)
		return false;
	if (a->inline_ok && a->framed_inline) {
		if (glue_async_run_inline(a, slot))
			return true;
		fn = NULL;            /* refused: the generated reader says why */
	}
	j = glue_async_free_job(a);
	if (!j)
		return false;
	m = &j->req->m;
	m->rpc = (uint16_t)(a->framed_hdr & 0xffff);
	m->kind = CHAN_T_ONEWAY;
	m->tag = slot->hdr.tag;
	m->nwords = n;
	for (i = 0; i < n; i++)
		m->w[i] = slot->w[1 + i];
	glue_async_job_queued(a, j, 0, fn);
	return true;
}

static void glue_async_deliver(struct glue_async *a, const struct glue_msg *m)
{
	uint32_t i = m->tag & 0xffff;
	uint16_t gen = (uint16_t)(m->tag >> 16);
	struct glue_async_call *c = i < GLUE_ASYNC_CALLS ? &a->calls[i] : NULL;

	if (!c || !c->busy || c->gen != gen || c->wait.done) {
		a->ctx->rejected++;
		glue_log(a->ctx, "%s: reply with tag %#x matches no waiting call; dropped",
			 a->ctx->name, m->tag);
		return;
	}
	if (glue_msg_copy(c->reply, m) != 0) {
		a->ctx->rejected++;
		glue_log(a->ctx, "%s: reply to rpc %u has %u words, more than the %u expected",
			 a->ctx->name, m->rpc, m->nwords, c->reply->cap);
		c->reply->rpc = m->rpc;
		c->reply->nwords = 1;
		c->reply->w[0] = (uint64_t)(int64_t)GLUE_EBADMSG;
	}
	async_wake(&c->wait);
}

static void glue_async_refuse(struct glue_async *a, const struct glue_msg *m)
{
	if (m->kind == CHAN_T_REQUEST)
		glue_async_queue(a, m, GLUE_EBADMSG);
}

static void glue_async_feed(struct glue_async *a, const struct chan_msg *slot)
{
	enum glue_rx_result res;

	if (glue_async_take_framed(a, slot))
		return;
	res = glue_rx_feed(a->ctx, &a->rx, slot);

	if (res == GLUE_RX_TRUNCATED) {
		glue_async_refuse(a, &a->rx.msg.m);
		res = glue_rx_feed(a->ctx, &a->rx, slot);
	}
	if (res == GLUE_RX_DONE) {
		if (a->rx.msg.m.kind == CHAN_T_REPLY)
			glue_async_deliver(a, &a->rx.msg.m);
		else
			glue_async_queue(a, &a->rx.msg.m, 0);
	} else if (res == GLUE_RX_BAD) {
		glue_async_refuse(a, &a->rx.msg.m);
	}
}

/* Back-pressure: a new request is left on the ring while no job is free
 * (replies and continuations always go through, so callers make progress). */
static bool glue_async_can_take(struct glue_async *a)
{
	union chan_hdr h;

	if (chan_peek(a->ch, &h) != 0)
		return false;
	if (a->rx.expect != 0 || h.type == CHAN_T_REPLY)
		return true;
	return glue_async_free_job(a) != NULL;
}

/* At most max slots (the idle hook's bound: inline runs take no job, so
 * back-pressure would not end its poll while the peer keeps the ring
 * busy, and the hook's other work, the kenv's heartbeat and timers, runs
 * between polls). */
static unsigned glue_async_poll_max(struct glue_ctx *ctx, unsigned max)
{
	struct glue_async *a = ctx->backend;
	struct chan_msg slot;
	unsigned n = 0;
	int ret;

	while (n < max && glue_async_can_take(a)) {
		ret = chan_try_recv(a->ch, &slot);
		if (ret == IPC_EAGAIN)
			break;
		n++;
		if (ret != 0) {
			ctx->rejected++;
			glue_log(ctx, "%s: channel refused a slot (bad status or kind %u)", ctx->name,
				 slot.hdr.type);
			continue;
		}
		glue_async_feed(a, &slot);
	}
	return n;
}

unsigned glue_async_poll(struct glue_ctx *ctx)
{
	return glue_async_poll_max(ctx, ~0u);
}

static void glue_async_fail_calls(struct glue_async *a)
{
	unsigned i;

	for (i = 0; i < GLUE_ASYNC_CALLS; i++)
		if (a->calls[i].busy && !a->calls[i].wait.done) {
			a->calls[i].status = GLUE_EPIPE;
			async_wake(&a->calls[i].wait);
		}
}

void glue_async_idle(void *arg)
{
	struct glue_ctx *ctx = arg;
	struct glue_async *a = ctx->backend;
	unsigned n;

	if (glue_async_flag(&a->peer_dead) || glue_async_flag(&a->stop))
		glue_async_fail_calls(a);
	if (glue_async_flag(&a->stop) && a->serving) {
		a->serving = false;
		async_wake(&a->work);
	}
	/* held work due (the hook says so without doing it): the dispatcher
	 * runs its end of pass again */
	if (a->serving && a->pass_end && a->pass_end(true)) {
		a->serving = false;
		async_wake(&a->work);
	}
	a->inline_ok = true;
	n = glue_async_poll_max(ctx, GLUE_ASYNC_IDLE_SLOTS);
	a->inline_ok = false;
	if (n == 0) {
		if (a->relax)
			a->relax();
		else
			ipc_cpu_relax();
	}
}

/* --- sending and calling ---------------------------------------------------------- */

/* Lets the peer and the other threads make progress while we cannot.  In
 * the idle hook (an inline reader, a timer the kenv runs there) there is no
 * thread to yield to: the poll may wake some, and they run once the hook
 * returns; until then this spins. */
static void glue_async_wait_a_bit(struct glue_async *a)
{
	if (glue_async_poll(a->ctx) == 0 && a->relax)
		a->relax();
	if (!async_in_idle())
		async_yield();
}

/* The sending side to this thread alone, until tx_busy is cleared: the
 * slots of one message go back to back, other threads wait their turn. */
static void glue_async_tx_claim(struct glue_async *a)
{
	/* In the idle hook every thread is parked, none inside a send (a
	 * send's wait only yields, so its thread stays runnable): were one,
	 * nothing could ever clear tx_busy. */
	if (a->tx_busy && async_in_idle())
		ipc_port_panic("glue_async: a send from the idle hook found another in progress");
	while (a->tx_busy)
		glue_async_wait_a_bit(a);
	a->tx_busy = true;
}

/* One slot onto the ring, waiting while it is full; GLUE_EPIPE if the peer
 * died meanwhile. */
static int glue_async_put_slot(struct glue_async *a, const struct chan_msg *slot)
{
	while (chan_try_send(a->ch, slot) != 0) {
		if (glue_async_flag(&a->peer_dead))
			return GLUE_EPIPE;
		glue_async_wait_a_bit(a);
	}
	return 0;
}

static int glue_async_send_msg(struct glue_async *a, const struct glue_msg *m)
{
	struct chan_msg slot;
	int n = glue_frame_count(m), s, err = 0;

	if (n < 0) {
		glue_log(a->ctx, "%s: message of %u words does not fit", a->ctx->name, m->nwords);
		return n;
	}
	glue_async_tx_claim(a);
	for (s = 0; s < n && !err; s++) {
		glue_frame_one(m, (uint32_t)s, (uint32_t)n, &slot);
		err = glue_async_put_slot(a, &slot);
	}
	a->tx_busy = false;
	return err;
}

static int glue_async_send(struct glue_ctx *ctx, struct glue_msg *msg)
{
	struct glue_async *a = ctx->backend;

	if (glue_async_flag(&a->peer_dead))
		return GLUE_EPIPE;
	msg->kind = CHAN_T_ONEWAY;
	msg->tag = 0;
	return glue_async_send_msg(a, msg);
}

/* glue_async.h: one slot of a one-way message the caller framed. */
int glue_async_send_framed(struct glue_ctx *ctx, const struct chan_msg *slot)
{
	struct glue_async *a = ctx->backend;
	int err;

	if (!a || glue_async_flag(&a->peer_dead))
		return GLUE_EPIPE;
	if (slot->hdr.type != CHAN_T_ONEWAY)
		return GLUE_EINVAL;
	glue_async_tx_claim(a);
	err = glue_async_put_slot(a, slot);
	a->tx_busy = false;
	return err;
}

static int glue_async_claim(struct glue_async *a)
{
	unsigned i;

	for (;;) {
		if (glue_async_flag(&a->peer_dead) || glue_async_flag(&a->stop))
			return GLUE_EPIPE;
		for (i = 0; i < GLUE_ASYNC_CALLS; i++)
			if (!a->calls[i].busy) {
				a->calls[i].busy = true;
				a->calls[i].gen = (uint16_t)(a->calls[i].gen + 1 ? a->calls[i].gen + 1 : 1);
				a->calls[i].status = 0;
				async_wait_init(&a->calls[i].wait);
				return (int)i;
			}
		glue_async_wait_a_bit(a);
	}
}

static int glue_async_call(struct glue_ctx *ctx, struct glue_msg *req, struct glue_msg *reply)
{
	struct glue_async *a = ctx->backend;
	struct glue_async_call *c;
	int slot, err;

	/* The idle hook (an inline reader, a timer run there) has no thread
	 * to park, and spinning there for the reply could wait forever: new
	 * requests ahead of it on the ring need jobs that cannot run until
	 * the hook returns. */
	if (async_in_idle()) {
		ctx->rejected++;
		glue_log(ctx, "%s: rpc %u called from the idle hook (an inline reader or a timer), "
			 "where no thread can wait for its reply: refused", ctx->name, req->rpc);
		return GLUE_EDEADLK;
	}
	slot = glue_async_claim(a);
	if (slot < 0)
		return slot;
	c = &a->calls[slot];
	c->reply = reply;
	req->kind = CHAN_T_REQUEST;
	req->tag = (uint32_t)c->gen << 16 | (uint32_t)slot;
	err = glue_async_send_msg(a, req);
	if (!err) {
		async_await(&c->wait);
		err = c->status;
	}
	c->busy = false;
	c->reply = NULL;
	if (err)
		return err;
	if (reply->nwords < 1 || reply->rpc != req->rpc) {
		glue_log(ctx, "%s: reply to rpc %u is malformed", ctx->name, req->rpc);
		return GLUE_EBADMSG;
	}
	if (reply->w[0] != 0) {
		int64_t st = (int64_t)reply->w[0];

		return st < 0 && st > -4096 ? (int)st : GLUE_EBADMSG;
	}
	return 0;
}

/* --- serving ------------------------------------------------------------------------ */

static void glue_async_run_job(void *arg)
{
	struct glue_async_job *j = arg;
	struct glue_async *a = j->a;
	struct glue_msg *req = &j->req->m, *reply = &j->reply->m;

	glue_msg_init(reply, GLUE_MAX_WORDS);
	if (j->framed_fn && j->framed_fn(req->w)) {
		a->framed++;              /* one-way: no reply */
	} else if (j->status) {
		reply->nwords = 1;
		reply->w[0] = (uint64_t)(int64_t)j->status;
		reply->rpc = req->rpc;
		reply->kind = CHAN_T_REPLY;
		reply->tag = req->tag;
	} else {
		glue_handle(a->ctx, req, reply);   /* may block: this thread only */
	}
	if (req->kind == CHAN_T_REQUEST)
		glue_async_send_msg(a, reply);
	a->handled++;
	j->state = JOB_FREE;
}

void glue_async_serve(void *arg)
{
	struct glue_ctx *ctx = arg;
	struct glue_async *a = ctx->backend;
	unsigned i;

	while (!glue_async_flag(&a->stop)) {
		bool started = false;

		for (i = 0; i < GLUE_ASYNC_JOBS; i++)
			if (a->jobs[i].state == JOB_QUEUED) {
				a->jobs[i].state = JOB_RUNNING;
				started = true;
				if (async_spawn(glue_async_run_job, &a->jobs[i]) != 0) {
					glue_log(ctx, "%s: no thread for a request; retrying", ctx->name);
					a->jobs[i].state = JOB_QUEUED;
					async_yield();
				}
			}
		if (!started) {
			/* The pass is over: what its handlers batched goes now.  If
			 * it sent something (it may have yielded meanwhile, and the
			 * idle hook queued requests without waking us), look again. */
			if (a->pass_end && a->pass_end(false))
				continue;
			async_wait_init(&a->work);
			a->serving = true;
			async_await(&a->work);
		}
	}
}

/* --- life cycle ------------------------------------------------------------------------ */

static const struct glue_backend_ops glue_async_ops = {
	.call = glue_async_call,
	.send = glue_async_send,
};

int glue_async_start(struct glue_ctx *ctx, struct chan *ch, void (*relax)(void))
{
	struct glue_async *a = glue_zalloc(sizeof(*a));
	unsigned i;

	if (!a)
		return GLUE_ENOMEM;
	a->ctx = ctx;
	a->ch = ch;
	a->relax = relax;
	glue_msg_init(&a->rx.msg.m, GLUE_MAX_WORDS);
	for (i = 0; i < GLUE_ASYNC_JOBS; i++) {
		a->jobs[i].a = a;
		a->jobs[i].req = glue_zalloc(sizeof(union glue_msg_full));
		a->jobs[i].reply = glue_zalloc(sizeof(union glue_msg_full));
		if (!a->jobs[i].req || !a->jobs[i].reply) {
			ctx->backend = a;
			glue_async_free(ctx);
			return GLUE_ENOMEM;
		}
		glue_msg_init(&a->jobs[i].req->m, GLUE_MAX_WORDS);
	}
	ctx->backend = a;
	ctx->ops = &glue_async_ops;
	return 0;
}

void glue_async_stop(struct glue_ctx *ctx)
{
	struct glue_async *a = ctx->backend;

	__atomic_store_n(&a->stop, true, __ATOMIC_RELEASE);
}

void glue_async_peer_dead(struct glue_ctx *ctx)
{
	struct glue_async *a = ctx->backend;

	__atomic_store_n(&a->peer_dead, true, __ATOMIC_RELEASE);
}

int glue_async_set_framed_oneway(struct glue_ctx *ctx, uint16_t rpc, uint32_t nwords,
				 bool (*fn)(const uint64_t *w))
{
	struct glue_async *a = ctx->backend;

	if (fn && (nwords == 0 || nwords > GLUE_SLOT_WORDS))
		return GLUE_EINVAL;
	a->framed_hdr = fn ? glue_slot_hdr_word(rpc, 0, 1, nwords) : 0;
	a->framed_fn = fn;
	return 0;
}

int glue_async_set_framed_inline(struct glue_ctx *ctx, bool on)
{
	struct glue_async *a = ctx->backend;

	if (on && !a->framed_fn)
		return GLUE_EINVAL;
	a->framed_inline = on;
	return 0;
}

uint64_t glue_async_framed_inline(struct glue_ctx *ctx)
{
	struct glue_async *a = ctx->backend;

	return a->framed_inline_runs;
}

uint64_t glue_async_framed(struct glue_ctx *ctx)
{
	struct glue_async *a = ctx->backend;

	return a->framed;
}

void glue_async_set_pass_end(struct glue_ctx *ctx, bool (*fn)(bool idle))
{
	struct glue_async *a = ctx->backend;

	if (a)
		a->pass_end = fn;
}

unsigned glue_async_queued(struct glue_ctx *ctx)
{
	struct glue_async *a = ctx->backend;
	unsigned i, n = 0;

	if (!a)
		return 0;
	for (i = 0; i < GLUE_ASYNC_JOBS; i++)
		if (a->jobs[i].state == JOB_QUEUED)
			n++;
	return n;
}

uint64_t glue_async_handled(struct glue_ctx *ctx)
{
	struct glue_async *a = ctx->backend;

	return a->handled;
}

void glue_async_free(struct glue_ctx *ctx)
{
	struct glue_async *a = ctx->backend;
	unsigned i;

	if (!a)
		return;
	for (i = 0; i < GLUE_ASYNC_JOBS; i++) {
		glue_free(a->jobs[i].req);
		glue_free(a->jobs[i].reply);
	}
	glue_free(a);
	ctx->backend = NULL;
	ctx->ops = NULL;
}
