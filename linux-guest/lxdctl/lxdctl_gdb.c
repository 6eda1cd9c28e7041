/*
 * lxdctl gdb: a gdb remote-protocol server for one or more LXDs, in Linux user
 * space.
 * The protocol engine is gdb_server.c; this file is its target: every
 * operation is one LXD_IOC_DEBUG ioctl (klxd -> LXDS_HC_DEBUG), and the
 * stream to gdb is a serial port (--tty, e.g. the one the emulator connects to
 * a TCP socket on the host) or a TCP socket (--tcp PORT).
 *
 * The domains named on the command line are gdb's threads 1, 2, ... in that
 * order, in all-stop mode: when one stops, the others are paused before gdb
 * hears of it, and a domain that stopped for its own reason while being paused
 * keeps that stop pending and reports it at the next resume instead of running.
 * Software breakpoints are int3 bytes gdb writes itself (Z0 is refused: the
 * hypervisor reports int3 as a breakpoint stop while attached).  Hardware
 * breakpoints and watchpoints (Z1, Z2, Z4; Z3 is refused, x86 has no
 * read-only match) take one of the four debug-register slots (gdb_hwbp.c),
 * loaded into every attached domain alike.  Stops: breakpoint, watchpoint
 * and step SIGTRAP, pause SIGINT; a domain that
 * crashed is reported with the matching signal (EPT violation SIGSEGV, #UD
 * SIGILL, #DE SIGFPE, watchdog SIGALRM) and its state stays readable; one
 * that exited is reported as exited with its code.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "gdb_hwbp.h"
#include "gdb_server.h"
#include "klxd_ioctl.h"
#include "lxdctl_gdb.h"

struct lxd_dom {
	uint32_t id;
	char name[LXDS_NAME_MAX];
	bool running;           /* resumed by gdb: a stop is owed */
	bool reported_final;    /* the final stop (crash or exit) was reported */
	bool pending;           /* stopped for its own reason while the others were paused */
	struct lxd_ioc_debug pend;
};

struct lxd_target {
	int fd;                 /* /dev/lxd */
	int n;
	struct lxd_dom dom[LXDCTL_GDB_MAX_DOMAINS];
	struct gdb_hwbp_table hw;
};

static long debug_ioctl(struct lxd_target *t, struct lxd_dom *dm, struct lxd_ioc_debug *d)
{
	long rc;

	d->id = dm->id;
	rc = ioctl(t->fd, LXD_IOC_DEBUG, d);
	return rc < 0 ? -errno : rc;
}

static long debug_simple(struct lxd_target *t, struct lxd_dom *dm, uint32_t op, uint32_t flags)
{
	struct lxd_ioc_debug d = { .req = { .op = op, .flags = flags } };

	return debug_ioctl(t, dm, &d);
}

static int get_state(struct lxd_target *t, struct lxd_dom *dm, struct lxd_ioc_debug *d)
{
	memset(d, 0, sizeof(*d));
	d->req.op = LXDS_DBG_GET;
	return (int)debug_ioctl(t, dm, d);
}

/* gdb's thread id -> the domain, or NULL */
static struct lxd_dom *dom_of(struct lxd_target *t, int thread)
{
	return thread >= 1 && thread <= t->n ? &t->dom[thread - 1] : NULL;
}

static int tgt_threads(void *tp, struct gdb_thread *out, int max)
{
	struct lxd_target *t = tp;
	int n = 0;

	for (int i = 0; i < t->n && n < max; i++) {
		struct lxd_dom *dm = &t->dom[i];
		struct lxd_ioc_debug d;
		const char *state;

		if (get_state(t, dm, &d))
			continue;               /* destroyed under us: gone from the list */
		out[n] = (struct gdb_thread){ .id = i + 1 };
		snprintf(out[n].name, sizeof(out[n].name), "%s", dm->name);
		if (d.req.state == LXDS_STATE_CRASHED)
			state = lxds_exit_reason(d.req.exit_reason)->text;
		else if (d.req.event != LXDS_DBG_EV_NONE && d.req.state == LXDS_STATE_RUNNING)
			state = "paused";
		else
			state = lxds_state_name(d.req.state);
		snprintf(out[n].state, sizeof(out[n].state), "%s", state);
		n++;
	}
	return n;
}

static int tgt_get_regs(void *tp, int thread, struct gdb_regs *r)
{
	struct lxd_dom *dm = dom_of(tp, thread);
	struct lxd_ioc_debug d;
	const struct lxds_debug_regs *s = &d.req.regs;
	int rc;

	if (!dm)
		return -ESRCH;
	rc = get_state(tp, dm, &d);
	if (rc)
		return rc;
	if (d.req.event == LXDS_DBG_EV_NONE)
		return -EBUSY;                  /* running: no registers to show */
	memcpy(r->gpr, s->gpr, sizeof(r->gpr));
	r->rip = s->rip;
	r->eflags = (uint32_t)s->rflags;
	r->seg[0] = s->cs; r->seg[1] = s->ss; r->seg[2] = s->ds;
	r->seg[3] = s->es; r->seg[4] = s->fs; r->seg[5] = s->gs;
	r->fs_base = s->fs_base;
	r->gs_base = s->gs_base;
	r->cr0 = s->cr0; r->cr2 = s->cr2; r->cr3 = s->cr3; r->cr4 = s->cr4;
	return 0;
}

static int tgt_set_regs(void *tp, int thread, const struct gdb_regs *r)
{
	struct lxd_dom *dm = dom_of(tp, thread);
	struct lxd_ioc_debug d;
	struct lxds_debug_regs *s = &d.req.regs;
	int rc;

	if (!dm)
		return -ESRCH;
	rc = get_state(tp, dm, &d);         /* keeps what gdb does not set */
	if (rc)
		return rc;
	memcpy(s->gpr, r->gpr, sizeof(s->gpr));
	s->rip = r->rip;
	s->rflags = (s->rflags & ~0xFFFFFFFFull) | r->eflags;
	s->fs_base = r->fs_base;
	s->gs_base = r->gs_base;
	d.req.op = LXDS_DBG_SET_REGS;
	return (int)debug_ioctl(tp, dm, &d);
}

static long tgt_mem(void *tp, int thread, uint64_t va, void *buf, size_t len, uint32_t op)
{
	struct lxd_dom *dm = dom_of(tp, thread);
	size_t done = 0;

	if (!dm)
		return -ESRCH;
	while (done < len) {
		size_t n = len - done > LXDS_DBG_MEM_MAX ? LXDS_DBG_MEM_MAX : len - done;
		struct lxd_ioc_debug d = {
			.req = { .op = op, .addr = va + done, .len = n },
			.data = (uint64_t)(uintptr_t)((char *)buf + done),
		};
		long rc = debug_ioctl(tp, dm, &d);

		if (rc <= 0)
			return done ? (long)done : (rc ? rc : -EFAULT);
		done += (size_t)rc;
		if ((size_t)rc < n)
			break;
	}
	return (long)done;
}

static long tgt_read_mem(void *tp, int thread, uint64_t va, void *buf, size_t len)
{
	return tgt_mem(tp, thread, va, buf, len, LXDS_DBG_READ);
}

static long tgt_write_mem(void *tp, int thread, uint64_t va, const void *buf, size_t len)
{
	return tgt_mem(tp, thread, va, (void *)buf, len, LXDS_DBG_WRITE);
}

/* Every domain runs again (step_thread: that one for one instruction), except
 * one with a pending stop, which poll reports at once, and one already
 * reported gone.  An error only when nothing could be resumed. */
static int tgt_resume(void *tp, int step_thread)
{
	struct lxd_target *t = tp;
	int resumed = 0, first_err = 0;

	for (int i = 0; i < t->n; i++) {
		struct lxd_dom *dm = &t->dom[i];
		long rc;

		if (dm->reported_final)
			continue;
		if (dm->pending) {
			dm->running = true;
			resumed++;
			continue;
		}
		rc = debug_simple(t, dm, LXDS_DBG_RESUME, step_thread == i + 1 ? LXDS_DBG_STEP : 0);
		if (rc == 0 || rc == -ESRCH) {  /* -ESRCH: it stopped for good: poll reports how */
			dm->running = true;
			resumed++;
		} else if (!first_err) {
			first_err = (int)rc;
		}
	}
	return resumed ? 0 : (first_err ? first_err : -ESRCH);
}

static int tgt_pause(void *tp)
{
	struct lxd_target *t = tp;
	int first_err = 0;

	for (int i = 0; i < t->n; i++) {
		long rc;

		if (!t->dom[i].running || t->dom[i].pending)
			continue;
		rc = debug_simple(t, &t->dom[i], LXDS_DBG_PAUSE, 0);
		if (rc && rc != -ESRCH && !first_err)
			first_err = (int)rc;
	}
	return first_err;
}

/* The signal a domain that stopped for good is reported with. */
static int final_signal(const struct lxd_ioc_debug *d)
{
	switch (d->req.exit_reason) {
	case LXDS_EXIT_EPT_VIOLATION:
	case LXDS_EXIT_TRIPLE_FAULT:
		return GDB_SIGSEGV;
	case LXDS_EXIT_EXCEPTION:
		switch (d->req.exit_detail) {
		case 0: return GDB_SIGFPE;      /* #DE */
		case 6: return GDB_SIGILL;      /* #UD */
		case 3: case 1: return GDB_SIGTRAP;
		case 16: case 19: return GDB_SIGFPE;
		default: return GDB_SIGSEGV;
		}
	case LXDS_EXIT_WATCHDOG:
		return GDB_SIGALRM;
	case LXDS_EXIT_HALTED:
	case LXDS_EXIT_UNEXPECTED:
		return GDB_SIGILL;
	default:
		return GDB_SIGKILL;
	}
}

static void describe_stop(const struct lxd_target *t, const struct lxd_ioc_debug *d, int thread,
			  bool only_thread, struct gdb_stop *s)
{
	int slot;

	memset(s, 0, sizeof(*s));
	s->thread = thread;
	switch (d->req.event) {
	case LXDS_DBG_EV_HWBREAK:
		s->signal = GDB_SIGTRAP;
		slot = gdb_hwbp_reported(&t->hw, (uint32_t)d->req.exit_detail);
		if (slot < 0)
			break;                  /* removed since: a plain trap */
		if (t->hw.slot[slot].type == GDB_Z_HW) {
			s->hwbreak = true;
		} else {
			s->watch = t->hw.slot[slot].type == GDB_Z_WRITE ? 2 : 4;
			s->watch_addr = t->hw.slot[slot].addr;
		}
		break;
	case LXDS_DBG_EV_BREAKPOINT:
		s->signal = GDB_SIGTRAP;
		s->swbreak = true;
		break;
	case LXDS_DBG_EV_STEP:
		s->signal = GDB_SIGTRAP;
		break;
	case LXDS_DBG_EV_STOPPED:
		if (d->req.state == LXDS_STATE_STOPPED && d->req.exit_reason == LXDS_EXIT_EXITED &&
		    only_thread) {
			s->exited = true;       /* the whole "process": gdb's W packet */
			s->exit_code = (int)(d->req.exit_detail & 0xff);
		} else if (d->req.state == LXDS_STATE_STOPPED) {
			s->signal = GDB_SIGKILL;    /* stopped from outside, or exited beside others */
		} else {
			s->signal = final_signal(d);
		}
		break;
	default:
		s->signal = GDB_SIGINT;
		break;
	}
}

/* All-stop: the first domain with news is reported; every other running one is
 * paused first, keeping its own stop (a breakpoint it hit meanwhile) pending. */
static int tgt_poll_stop(void *tp, struct gdb_stop *s)
{
	struct lxd_target *t = tp;
	struct lxd_ioc_debug d;
	int hit = -1;

	for (int i = 0; i < t->n && hit < 0; i++) {
		struct lxd_dom *dm = &t->dom[i];

		if (!dm->running)
			continue;
		if (dm->pending) {
			d = dm->pend;
			dm->pending = false;
			hit = i;
		} else if (get_state(t, dm, &d) == 0 && d.req.event != LXDS_DBG_EV_NONE) {
			hit = i;
		}
	}
	if (hit < 0)
		return 0;
	t->dom[hit].running = false;
	if (d.req.event == LXDS_DBG_EV_STOPPED)
		t->dom[hit].reported_final = true;
	describe_stop(t, &d, hit + 1, t->n == 1, s);
	for (int i = 0; i < t->n; i++) {
		struct lxd_dom *dm = &t->dom[i];
		struct lxd_ioc_debug o;

		if (!dm->running || dm->pending)
			continue;
		debug_simple(t, dm, LXDS_DBG_PAUSE, 0);
		dm->running = false;
		if (get_state(t, dm, &o) == 0 && o.req.event != LXDS_DBG_EV_PAUSED &&
		    o.req.event != LXDS_DBG_EV_NONE) {
			dm->pend = o;               /* its own stop: reported at the next resume */
			dm->pending = true;
		}
	}
	return 1;
}

/* Loads slot (sl = NULL: frees it) into every domain still there; the first error. */
static int load_slot(struct lxd_target *t, int slot, const struct gdb_hwbp_slot *sl)
{
	uint32_t kind = !sl ? LXDS_DBG_HW_OFF : sl->type == GDB_Z_HW ? LXDS_DBG_HW_EXEC :
			sl->type == GDB_Z_WRITE ? LXDS_DBG_HW_WRITE : LXDS_DBG_HW_ACCESS;
	int first_err = 0;

	for (int i = 0; i < t->n; i++) {
		struct lxd_ioc_debug d = { .req = {
			.op = LXDS_DBG_SET_HWBP, .flags = (uint32_t)slot | kind,
			.addr = sl ? sl->addr : 0, .len = sl ? (uint64_t)sl->len : 1 } };
		long rc;

		if (t->dom[i].reported_final)
			continue;               /* crashed or exited: runs no more */
		rc = debug_ioctl(t, &t->dom[i], &d);
		if (rc < 0 && !first_err)
			first_err = (int)rc;
	}
	return first_err;
}

static int tgt_breakpoint(void *tp, int type, uint64_t addr, int kind, bool insert)
{
	struct lxd_target *t = tp;
	int slot, changed, rc;

	if (type == GDB_Z_SW)
		return -ENOSYS;                 /* gdb writes int3 itself */
	if (!insert) {
		slot = gdb_hwbp_remove(&t->hw, type, addr, kind, &changed);
		return slot < 0 ? slot : changed ? load_slot(t, slot, NULL) : 0;
	}
	slot = gdb_hwbp_insert(&t->hw, type, addr, kind, &changed);
	if (slot < 0 || !changed)
		return slot < 0 ? slot : 0;
	rc = load_slot(t, slot, &t->hw.slot[slot]);
	if (rc) {                               /* all domains or none */
		gdb_hwbp_remove(&t->hw, type, addr, kind, &changed);
		load_slot(t, slot, NULL);
	}
	return rc;
}

static void detach_all(struct lxd_target *t, int n)
{
	for (int i = 0; i < n; i++)
		debug_simple(t, &t->dom[i], LXDS_DBG_DETACH, 0);
}

static int tgt_detach(void *tp)
{
	struct lxd_target *t = tp;

	detach_all(t, t->n);
	return 0;
}

static int tgt_kill(void *tp)
{
	struct lxd_target *t = tp;
	int first_err = 0;

	for (int i = 0; i < t->n; i++) {
		uint32_t id = t->dom[i].id;

		debug_simple(t, &t->dom[i], LXDS_DBG_DETACH, 0);
		if (ioctl(t->fd, LXD_IOC_STOP, &id) < 0 && !first_err)
			first_err = -errno;
	}
	return first_err;
}

static const struct gdb_target_ops lxd_target_ops = {
	.threads = tgt_threads, .get_regs = tgt_get_regs, .set_regs = tgt_set_regs,
	.read_mem = tgt_read_mem, .write_mem = tgt_write_mem, .resume = tgt_resume,
	.pause = tgt_pause, .poll_stop = tgt_poll_stop, .breakpoint = tgt_breakpoint,
	.detach = tgt_detach, .kill = tgt_kill,
};

/* ---- the stream to gdb ---- */

static int write_all(void *io, const void *buf, size_t len)
{
	const char *p = buf;
	int fd = *(int *)io;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int open_tty(const char *path)
{
	struct termios tio;
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &tio) == 0) {
		cfmakeraw(&tio);
		cfsetispeed(&tio, B115200);
		cfsetospeed(&tio, B115200);
		tio.c_cflag |= CLOCAL | CREAD;
		tcsetattr(fd, TCSANOW, &tio);
	}
	tcflush(fd, TCIOFLUSH);
	return fd;
}

static int accept_tcp(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_ANY) };
	int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), c;

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1)) {
		close(s);
		return -1;
	}
	fprintf(stderr, "lxdctl gdb: waiting for gdb on TCP port %d\n", port);
	c = accept(s, NULL, NULL);
	close(s);
	return c;
}

int lxdctl_gdb(int lxd_fd, const struct lxdctl_gdb_domain *doms, int n, const char *tty,
	       int tcp_port)
{
	static struct gdb_server srv;
	static struct lxd_target t;
	int io, rc;

	if (n < 1 || n > LXDCTL_GDB_MAX_DOMAINS) {
		fprintf(stderr, "lxdctl: gdb: %d domains: between 1 and %d per session\n", n,
			LXDCTL_GDB_MAX_DOMAINS);
		return 1;
	}
	memset(&t, 0, sizeof(t));
	t.fd = lxd_fd;
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < n; i++) {
		struct lxd_dom *dm = &t.dom[i];
		long arc;

		for (int j = 0; j < i; j++)
			if (t.dom[j].id == doms[i].id) {
				fprintf(stderr, "lxdctl: gdb: domain '%s' named twice\n", doms[i].name);
				detach_all(&t, i);
				return 1;
			}
		dm->id = doms[i].id;
		snprintf(dm->name, sizeof(dm->name), "%s", doms[i].name);
		arc = debug_simple(&t, dm, LXDS_DBG_ATTACH, 0);
		if (arc < 0) {
			fprintf(stderr, "lxdctl: gdb: cannot attach to domain %u '%s': %s%s\n", dm->id,
				dm->name, strerror((int)-arc), arc == -EINVAL ? " (not loaded yet)" : "");
			detach_all(&t, i);
			return 1;
		}
		t.n = i + 1;
	}
	/* --start: attached while loaded (the hypervisor holds it at its first
	 * instruction), started now, and paused there before gdb sees it */
	for (int i = 0; i < t.n; i++) {
		struct lxd_ioc_start st = { .id = t.dom[i].id, .core = -1 };
		long prc;

		if (!doms[i].start)
			continue;
		if (ioctl(lxd_fd, LXD_IOC_START, &st) < 0) {
			fprintf(stderr, "lxdctl: gdb: cannot start domain %u '%s': %s (it stays loaded)\n",
				t.dom[i].id, t.dom[i].name, strerror(errno));
			detach_all(&t, t.n);
			return 1;
		}
		prc = debug_simple(&t, &t.dom[i], LXDS_DBG_PAUSE, 0);
		if (prc < 0) {
			fprintf(stderr, "lxdctl: gdb: domain %u '%s' started on core %d but did not stop "
				"at its first instruction: %s\n", t.dom[i].id, t.dom[i].name, st.core,
				strerror((int)-prc));
			detach_all(&t, t.n);
			return 1;
		}
		fprintf(stderr, "lxdctl gdb: domain %u '%s' started on core %d, held at its first "
			"instruction\n", t.dom[i].id, t.dom[i].name, st.core);
	}
	io = tty ? open_tty(tty) : accept_tcp(tcp_port);
	if (io < 0) {
		fprintf(stderr, "lxdctl: gdb: %s %s: %s\n", tty ? "cannot open" : "cannot listen on port",
			tty ? tty : "", strerror(errno));
		detach_all(&t, t.n);
		return 1;
	}
	for (int i = 0; i < t.n; i++)
		fprintf(stderr, "lxdctl gdb: domain %u '%s' attached and paused (gdb thread %d)\n",
			t.dom[i].id, t.dom[i].name, i + 1);
	fprintf(stderr, "lxdctl gdb: serving gdb on %s\n", tty ? tty : "TCP");
	gdb_server_init(&srv, &lxd_target_ops, &t, write_all, &io);
	/* what '?' answers first: the first domain; paused as a plain stop, dead as its death */
	for (int i = 0; i < t.n; i++) {
		struct lxd_ioc_debug d;

		if (get_state(&t, &t.dom[i], &d))
			continue;
		t.dom[i].reported_final = d.req.event == LXDS_DBG_EV_STOPPED;
		if (i == 0) {
			describe_stop(&t, &d, 1, t.n == 1, &srv.last);
			if (d.req.event == LXDS_DBG_EV_PAUSED)
				srv.last.signal = GDB_SIGTRAP;
		}
	}
	rc = gdb_server_run_fd(&srv, io);
	if (!srv.done)                          /* gdb went away without detaching */
		detach_all(&t, t.n);
	close(io);
	fprintf(stderr, "lxdctl gdb: session over (%lu packets, %lu bad)%s\n", srv.packets,
		srv.bad_packets, rc ? ": I/O error" : "");
	return rc ? 1 : 0;
}
