/*
 * Host-thread backend of the glue runtime: pthreads over a real channel
 * (include/lxds/glue_host.h).  Used by the host tests; the klxd and LXD
 * backends implement the same contract (include/lxds/glue.h, docs/idl.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lxds/glue_host.h>

struct glue_host_call {
	pthread_cond_t cond;
	struct glue_msg *reply;
	uint16_t gen;
	bool busy;
	bool done;
};

struct glue_host_job {
	struct glue_host_job *next;
	int status;                   /* nonzero: reply with this status only */
	union glue_msg_full msg;      /* last: it ends in a flexible array */
};

struct glue_host {
	struct glue_ctx *ctx;
	struct chan *ch;
	pthread_mutex_t send_lock;    /* one whole message at a time */
	pthread_mutex_t lock;         /* calls[], job queue, flags */
	pthread_cond_t call_free;
	pthread_cond_t job_ready;
	struct glue_host_call calls[GLUE_HOST_CALLS];
	struct glue_host_job *head, *tail;
	unsigned queued;
	bool stop;
	bool peer_dead;
	uint64_t handled;
	pthread_t rx_thread;
	pthread_t *workers;
	unsigned nworkers;
	struct glue_rx rx;            /* last: it ends in a flexible array */
};

#define GLUE_HOST_MAX_QUEUE 4096

static pthread_mutex_t glue_host_reflock = PTHREAD_MUTEX_INITIALIZER;

/* --- backend contract: memory, log, locks, user copies ------------------------ */

void *glue_zalloc(size_t size)
{
	return calloc(1, size);
}

void glue_free(void *p)
{
	free(p);
}

void glue_log(struct glue_ctx *ctx, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	(void)ctx;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!getenv("GLUE_QUIET"))
		fprintf(stderr, "glue: %s\n", line);
}

void glue_lock(struct glue_ctx *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&glue_host_reflock);
}

void glue_unlock(struct glue_ctx *ctx)
{
	(void)ctx;
	pthread_mutex_unlock(&glue_host_reflock);
}

int glue_copy_from_user(void *dst, const void *user_src, size_t n)
{
	if (n && (!dst || !user_src))
		return GLUE_EFAULT;
	memcpy(dst, user_src, n);
	return 0;
}

int glue_copy_to_user(void *user_dst, const void *src, size_t n)
{
	if (n && (!user_dst || !src))
		return GLUE_EFAULT;
	memcpy(user_dst, src, n);
	return 0;
}

/* --- sending ------------------------------------------------------------------- */

static void glue_host_relax(unsigned *spins)
{
	if (++*spins < 200) {
		ipc_cpu_relax();
	} else {
		struct timespec ts = { 0, 20000 };

		nanosleep(&ts, NULL);
	}
}

/* Sends all slots of one message; gives up (GLUE_EPIPE) if the peer stops
 * draining the ring because it is dead or we are stopping. */
static int glue_host_send_slots(struct glue_host *h, const struct chan_msg *slots, unsigned n)
{
	unsigned i, spins = 0;
	int err = 0;

	pthread_mutex_lock(&h->send_lock);
	for (i = 0; i < n && !err; i++)
		while (chan_try_send(h->ch, &slots[i]) != 0) {
			if (__atomic_load_n(&h->peer_dead, __ATOMIC_ACQUIRE) ||
			    __atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
				err = GLUE_EPIPE;
				break;
			}
			glue_host_relax(&spins);
		}
	pthread_mutex_unlock(&h->send_lock);
	return err;
}

static int glue_host_send_msg(struct glue_host *h, const struct glue_msg *m)
{
	struct chan_msg slots[GLUE_MAX_SLOTS];
	int n = glue_frame(m, slots);

	if (n < 0) {
		glue_log(h->ctx, "%s: message of %u words does not fit %d slots", h->ctx->name,
			 m->nwords, GLUE_MAX_SLOTS);
		return n;
	}
	return glue_host_send_slots(h, slots, (unsigned)n);
}

void glue_host_send_raw(struct glue_ctx *ctx, const struct chan_msg *slots, unsigned n)
{
	(void)glue_host_send_slots(ctx->backend, slots, n);
}

static int glue_host_send(struct glue_ctx *ctx, struct glue_msg *msg)
{
	struct glue_host *h = ctx->backend;

	if (h->peer_dead)
		return GLUE_EPIPE;
	msg->kind = CHAN_T_ONEWAY;
	msg->tag = 0;
	return glue_host_send_msg(h, msg);
}

/* --- calls ---------------------------------------------------------------------- */

static int glue_host_claim(struct glue_host *h)
{
	unsigned i;

	for (;;) {
		if (h->stop || h->peer_dead)
			return GLUE_EPIPE;
		for (i = 0; i < GLUE_HOST_CALLS; i++)
			if (!h->calls[i].busy) {
				h->calls[i].busy = true;
				h->calls[i].done = false;
				h->calls[i].gen = (uint16_t)(h->calls[i].gen + 1 ? h->calls[i].gen + 1 : 1);
				return (int)i;
			}
		pthread_cond_wait(&h->call_free, &h->lock);
	}
}

static void glue_host_deadline(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += GLUE_HOST_TIMEOUT_MS / 1000;
	ts->tv_nsec += (GLUE_HOST_TIMEOUT_MS % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Waits (h->lock held) until call i is answered, the peer dies or the deadline. */
static int glue_host_wait(struct glue_host *h, unsigned i)
{
	struct glue_host_call *c = &h->calls[i];
	struct timespec deadline;

	glue_host_deadline(&deadline);
	while (!c->done && !h->peer_dead && !h->stop)
		if (pthread_cond_timedwait(&c->cond, &h->lock, &deadline) == ETIMEDOUT) {
			glue_log(h->ctx, "%s: call (tag %#x) timed out after %d ms", h->ctx->name,
				 (unsigned)c->gen << 16 | i, GLUE_HOST_TIMEOUT_MS);
			return GLUE_ETIMEDOUT;
		}
	return c->done ? 0 : GLUE_EPIPE;
}

static int glue_host_call(struct glue_ctx *ctx, struct glue_msg *req, struct glue_msg *reply)
{
	struct glue_host *h = ctx->backend;
	int slot, err;

	pthread_mutex_lock(&h->lock);
	slot = glue_host_claim(h);
	if (slot < 0) {
		pthread_mutex_unlock(&h->lock);
		return slot;
	}
	h->calls[slot].reply = reply;
	req->kind = CHAN_T_REQUEST;
	req->tag = (uint32_t)h->calls[slot].gen << 16 | (uint32_t)slot;
	pthread_mutex_unlock(&h->lock);

	err = glue_host_send_msg(h, req);

	pthread_mutex_lock(&h->lock);
	if (!err)
		err = glue_host_wait(h, (unsigned)slot);
	h->calls[slot].busy = false;
	h->calls[slot].reply = NULL;
	pthread_cond_signal(&h->call_free);
	pthread_mutex_unlock(&h->lock);
	if (err)
		return err;
	if (reply->nwords < 1) {
		glue_log(ctx, "%s: reply to rpc %u has no status word", ctx->name, req->rpc);
		return GLUE_EBADMSG;
	}
	if (reply->rpc != req->rpc) {
		glue_log(ctx, "%s: reply for rpc %u answers rpc %u", ctx->name, reply->rpc, req->rpc);
		return GLUE_EBADMSG;
	}
	if (reply->w[0] != 0) {
		int64_t st = (int64_t)reply->w[0];

		return st < 0 && st > -4096 ? (int)st : GLUE_EBADMSG;
	}
	return 0;
}

/* --- receiving ------------------------------------------------------------------ */

/* Hands a reply to the caller its tag names; forged or stale tags are dropped. */
static void glue_host_deliver(struct glue_host *h, const struct glue_msg *m)
{
	uint32_t i = m->tag & 0xffff;
	uint16_t gen = (uint16_t)(m->tag >> 16);
	struct glue_host_call *c;

	pthread_mutex_lock(&h->lock);
	c = i < GLUE_HOST_CALLS ? &h->calls[i] : NULL;
	if (!c || !c->busy || c->done || c->gen != gen || !c->reply) {
		h->ctx->rejected++;
		pthread_mutex_unlock(&h->lock);
		glue_log(h->ctx, "%s: reply with tag %#x matches no waiting call; dropped",
			 h->ctx->name, m->tag);
		return;
	}
	if (glue_msg_copy(c->reply, m) != 0) {
		/* longer than the caller's worst case: the peer is not following
		 * the IDL.  Answer the caller with an error instead. */
		glue_log(h->ctx, "%s: reply to rpc %u has %u words, more than the %u expected",
			 h->ctx->name, m->rpc, m->nwords, c->reply->cap);
		h->ctx->rejected++;
		c->reply->rpc = m->rpc;
		c->reply->nwords = 1;
		c->reply->w[0] = (uint64_t)(int64_t)GLUE_EBADMSG;
	}
	c->done = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&h->lock);
}

static void glue_host_queue(struct glue_host *h, const struct glue_msg *m, int status)
{
	struct glue_host_job *j;

	pthread_mutex_lock(&h->lock);
	if (h->queued >= GLUE_HOST_MAX_QUEUE) {
		pthread_mutex_unlock(&h->lock);
		glue_log(h->ctx, "%s: %u requests queued; dropping rpc %u", h->ctx->name,
			 h->queued, m->rpc);
		return;
	}
	pthread_mutex_unlock(&h->lock);
	j = malloc(sizeof(*j));
	if (!j) {
		glue_log(h->ctx, "%s: no memory to queue rpc %u; dropped", h->ctx->name, m->rpc);
		return;
	}
	j->next = NULL;
	j->status = status;
	glue_msg_init(&j->msg.m, GLUE_MAX_WORDS);
	glue_msg_copy(&j->msg.m, m);         /* m came from a full-size buffer */
	pthread_mutex_lock(&h->lock);
	if (h->tail)
		h->tail->next = j;
	else
		h->head = j;
	h->tail = j;
	h->queued++;
	pthread_cond_signal(&h->job_ready);
	pthread_mutex_unlock(&h->lock);
}

/* A message that failed framing: a request still gets an error reply. */
static void glue_host_refuse(struct glue_host *h, const struct glue_msg *m)
{
	if (m->kind == CHAN_T_REQUEST)
		glue_host_queue(h, m, GLUE_EBADMSG);
}

static void glue_host_route(struct glue_host *h, const struct glue_msg *m)
{
	if (m->kind == CHAN_T_REPLY)
		glue_host_deliver(h, m);
	else
		glue_host_queue(h, m, 0);
}

static void glue_host_feed(struct glue_host *h, const struct chan_msg *slot)
{
	enum glue_rx_result res = glue_rx_feed(h->ctx, &h->rx, slot);

	if (res == GLUE_RX_TRUNCATED) {
		glue_host_refuse(h, &h->rx.msg.m);
		res = glue_rx_feed(h->ctx, &h->rx, slot);
	}
	if (res == GLUE_RX_DONE)
		glue_host_route(h, &h->rx.msg.m);
	else if (res == GLUE_RX_BAD)
		glue_host_refuse(h, &h->rx.msg.m);
}

static void *glue_host_rx_main(void *arg)
{
	struct glue_host *h = arg;
	struct chan_msg slot;
	unsigned spins = 0;
	int ret;

	while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
		ret = chan_try_recv(h->ch, &slot);
		if (ret == IPC_EAGAIN) {
			glue_host_relax(&spins);
			continue;
		}
		spins = 0;
		if (ret != 0) {
			h->ctx->rejected++;
			glue_log(h->ctx, "%s: channel refused a slot (bad status or kind %u)",
				 h->ctx->name, slot.hdr.type);
			continue;
		}
		glue_host_feed(h, &slot);
	}
	return NULL;
}

/* --- workers ---------------------------------------------------------------------- */

static void glue_host_run_job(struct glue_host *h, struct glue_host_job *j)
{
	union glue_msg_full *full = malloc(sizeof(*full));
	struct glue_msg *reply = &full->m;
	const struct glue_msg *req = &j->msg.m;

	if (!full) {
		glue_log(h->ctx, "%s: no memory for a reply to rpc %u", h->ctx->name, req->rpc);
		return;
	}
	glue_msg_init(reply, GLUE_MAX_WORDS);
	if (j->status) {
		reply->nwords = 1;
		reply->w[0] = (uint64_t)(int64_t)j->status;
		reply->rpc = req->rpc;
		reply->kind = CHAN_T_REPLY;
		reply->tag = req->tag;
	} else {
		glue_handle(h->ctx, req, reply);
	}
	if (req->kind == CHAN_T_REQUEST)
		glue_host_send_msg(h, reply);
	free(full);
	pthread_mutex_lock(&h->lock);
	h->handled++;
	pthread_mutex_unlock(&h->lock);
}

static void *glue_host_worker_main(void *arg)
{
	struct glue_host *h = arg;
	struct glue_host_job *j;

	for (;;) {
		pthread_mutex_lock(&h->lock);
		while (!h->head && !h->stop)
			pthread_cond_wait(&h->job_ready, &h->lock);
		if (h->stop) {
			pthread_mutex_unlock(&h->lock);
			return NULL;
		}
		j = h->head;
		h->head = j->next;
		if (!h->head)
			h->tail = NULL;
		h->queued--;
		pthread_mutex_unlock(&h->lock);
		glue_host_run_job(h, j);
		free(j);
	}
}

/* --- life cycle ------------------------------------------------------------------ */

static const struct glue_backend_ops glue_host_ops = {
	.call = glue_host_call,
	.send = glue_host_send,
};

int glue_host_start(struct glue_ctx *ctx, struct chan *ch, unsigned workers)
{
	struct glue_host *h = calloc(1, sizeof(*h));
	unsigned i;

	if (!h || workers == 0)
		return (free(h), GLUE_EINVAL);
	h->ctx = ctx;
	h->ch = ch;
	glue_msg_init(&h->rx.msg.m, GLUE_MAX_WORDS);
	pthread_mutex_init(&h->send_lock, NULL);
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->call_free, NULL);
	pthread_cond_init(&h->job_ready, NULL);
	for (i = 0; i < GLUE_HOST_CALLS; i++)
		pthread_cond_init(&h->calls[i].cond, NULL);
	h->workers = calloc(workers, sizeof(*h->workers));
	if (!h->workers)
		return (free(h), GLUE_ENOMEM);
	ctx->backend = h;
	ctx->ops = &glue_host_ops;
	if (pthread_create(&h->rx_thread, NULL, glue_host_rx_main, h) != 0)
		return GLUE_ENOMEM;
	for (i = 0; i < workers; i++) {
		if (pthread_create(&h->workers[i], NULL, glue_host_worker_main, h) != 0)
			break;
		h->nworkers++;
	}
	return h->nworkers == workers ? 0 : GLUE_ENOMEM;
}

void glue_host_peer_dead(struct glue_ctx *ctx)
{
	struct glue_host *h = ctx->backend;
	unsigned i;

	pthread_mutex_lock(&h->lock);
	h->peer_dead = true;
	for (i = 0; i < GLUE_HOST_CALLS; i++)
		pthread_cond_broadcast(&h->calls[i].cond);
	pthread_cond_broadcast(&h->call_free);
	pthread_mutex_unlock(&h->lock);
}

uint64_t glue_host_handled(struct glue_ctx *ctx)
{
	struct glue_host *h = ctx->backend;
	uint64_t n;

	pthread_mutex_lock(&h->lock);
	n = h->handled;
	pthread_mutex_unlock(&h->lock);
	return n;
}

void glue_host_stop(struct glue_ctx *ctx)
{
	struct glue_host *h = ctx->backend;
	struct glue_host_job *j;
	unsigned i;

	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	__atomic_store_n(&h->stop, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&h->job_ready);
	for (i = 0; i < GLUE_HOST_CALLS; i++)
		pthread_cond_broadcast(&h->calls[i].cond);
	pthread_cond_broadcast(&h->call_free);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->rx_thread, NULL);
	for (i = 0; i < h->nworkers; i++)
		pthread_join(h->workers[i], NULL);
	while ((j = h->head)) {
		h->head = j->next;
		free(j);
	}
	for (i = 0; i < GLUE_HOST_CALLS; i++)
		pthread_cond_destroy(&h->calls[i].cond);
	free(h->workers);
	free(h);
	ctx->backend = NULL;
	ctx->ops = NULL;
}
