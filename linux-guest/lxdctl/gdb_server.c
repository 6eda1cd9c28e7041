/* gdb_server: gdb remote-protocol commands over an abstract target (see gdb_server.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gdb_server.h"

#define REGS_BYTES 324          /* what 'g' carries: see reg_layout */

const char gdb_target_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	"<target version=\"1.0\">\n"
	"<architecture>i386:x86-64</architecture>\n"
	"<feature name=\"org.gnu.gdb.i386.core\">\n"
	"<flags id=\"i386_eflags\" size=\"4\">\n"
	"<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>\n"
	"<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>\n"
	"<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>\n"
	"<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>\n"
	"<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>\n"
	"<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>\n"
	"<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>\n"
	"<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
	"<field name=\"ID\" start=\"21\" end=\"21\"/>\n"
	"</flags>\n"
	"<reg name=\"rax\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
	"<reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
	"<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>\n"
	"<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>\n"
	"<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"</feature>\n"
	"<feature name=\"org.gnu.gdb.i386.segments\">\n"
	"<reg name=\"fs_base\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>\n"
	"</feature>\n"
	"<feature name=\"org.lxds.x86.control\">\n"
	"<reg name=\"cr0\" bitsize=\"64\" type=\"int64\" group=\"system\"/>\n"
	"<reg name=\"cr2\" bitsize=\"64\" type=\"int64\" group=\"system\"/>\n"
	"<reg name=\"cr3\" bitsize=\"64\" type=\"int64\" group=\"system\"/>\n"
	"<reg name=\"cr4\" bitsize=\"64\" type=\"int64\" group=\"system\"/>\n"
	"</feature>\n"
	"</target>\n";

/* ---- registers: gdb's numbering, each register's place in 'g' ---- */

enum { REG_RIP = 16, REG_EFLAGS = 17, REG_SEG0 = 18, REG_ST0 = 24, REG_FCTRL = 32,
       REG_FS_BASE = 40, REG_GS_BASE = 41, REG_CR0 = 42, REG_COUNT = 46 };

/* Byte offset and size of register n in the 'g' block. */
static void reg_layout(int n, size_t *off, size_t *size)
{
	if (n < REG_RIP + 1) {
		*off = (size_t)n * 8; *size = 8;
	} else if (n == REG_EFLAGS) {
		*off = 136; *size = 4;
	} else if (n < REG_ST0) {
		*off = 140 + (size_t)(n - REG_SEG0) * 4; *size = 4;
	} else if (n < REG_FCTRL) {
		*off = 164 + (size_t)(n - REG_ST0) * 10; *size = 10;
	} else if (n < REG_FS_BASE) {
		*off = 244 + (size_t)(n - REG_FCTRL) * 4; *size = 4;
	} else {
		*off = 276 + (size_t)(n - REG_FS_BASE) * 8; *size = 8;
	}
}

/* The register's storage in struct gdb_regs, or NULL (x87: always zero). */
static void *reg_field(struct gdb_regs *r, int n)
{
	static const size_t ctl[] = { offsetof(struct gdb_regs, fs_base), offsetof(struct gdb_regs, gs_base),
				      offsetof(struct gdb_regs, cr0), offsetof(struct gdb_regs, cr2),
				      offsetof(struct gdb_regs, cr3), offsetof(struct gdb_regs, cr4) };
	if (n < 16)
		return &r->gpr[n];
	if (n == REG_RIP)
		return &r->rip;
	if (n == REG_EFLAGS)
		return &r->eflags;
	if (n < REG_ST0)
		return &r->seg[n - REG_SEG0];
	if (n < REG_FS_BASE)
		return NULL;
	return (char *)r + ctl[n - REG_FS_BASE];
}

static void regs_to_block(struct gdb_regs *r, uint8_t *block)
{
	memset(block, 0, REGS_BYTES);
	for (int n = 0; n < REG_COUNT; n++) {
		size_t off, size;
		void *f = reg_field(r, n);

		reg_layout(n, &off, &size);
		if (f)
			memcpy(block + off, f, size);   /* little-endian, as gdb wants */
	}
}

static void block_to_regs(const uint8_t *block, struct gdb_regs *r)
{
	for (int n = 0; n < REG_COUNT; n++) {
		size_t off, size;
		void *f = reg_field(r, n);

		reg_layout(n, &off, &size);
		if (f)
			memcpy(f, block + off, size);
	}
}

/* ---- output ---- */

static bool send_raw(struct gdb_server *s, const void *buf, size_t len)
{
	if (s->write(s->io, buf, len) < 0) {
		s->done = true;
		return false;
	}
	return true;
}

static bool send_packet(struct gdb_server *s, const void *payload, size_t len)
{
	size_t n = rsp_encode(s->last_frame, sizeof(s->last_frame), payload, len, true);

	if (n == 0)             /* cannot happen with payloads <= RSP_MAX_PAYLOAD */
		n = rsp_encode(s->last_frame, sizeof(s->last_frame), "E0b", 3, false);
	s->last_len = n;
	return send_raw(s, s->last_frame, n);
}

/* Replies are built in s->reply; these set it. */
static void reply_str(struct gdb_server *s, const char *str)
{
	size_t n = strlen(str);

	memcpy(s->reply, str, n + 1);
	s->reply_len = n;
}

static void reply_error(struct gdb_server *s, int err)
{
	int e = err < 0 ? -err : err;

	snprintf(s->reply, sizeof(s->reply), "E%02x", e & 0xff);
	s->reply_len = 3;
}

static void reply_stop(struct gdb_server *s, const struct gdb_stop *st)
{
	int n;

	if (st->exited) {
		n = snprintf(s->reply, sizeof(s->reply), "W%02x", st->exit_code & 0xff);
	} else {
		n = snprintf(s->reply, sizeof(s->reply), "T%02xthread:%x;", st->signal & 0xff,
			     (unsigned)st->thread);
		if (st->watch)
			n += snprintf(s->reply + n, sizeof(s->reply) - n, "%s:%llx;",
				      st->watch == 2 ? "watch" : st->watch == 3 ? "rwatch" : "awatch",
				      (unsigned long long)st->watch_addr);
		else if (st->swbreak)
			n += snprintf(s->reply + n, sizeof(s->reply) - n, "swbreak:;");
		else if (st->hwbreak)
			n += snprintf(s->reply + n, sizeof(s->reply) - n, "hwbreak:;");
	}
	s->reply_len = (size_t)n;
}

/* ---- helpers ---- */

static bool thread_exists(struct gdb_server *s, int id, struct gdb_thread *out)
{
	struct gdb_thread t[GDB_MAX_THREADS];
	int n = s->ops->threads(s->target, t, GDB_MAX_THREADS);

	for (int i = 0; i < n; i++)
		if (t[i].id == id) {
			if (out)
				*out = t[i];
			return true;
		}
	return false;
}

/* The thread g/m/etc. act on: Hg's, or the first attached. */
static int current_thread(struct gdb_server *s)
{
	struct gdb_thread t[1];

	if (s->g_thread > 0)
		return s->g_thread;
	if (s->last.thread > 0)
		return s->last.thread;
	return s->ops->threads(s->target, t, 1) > 0 ? t[0].id : -ESRCH;
}

/* Parses "ADDR,LEN" (and the ':' after it when colon); NULL on a bad form. */
static const char *parse_addr_len(const char *p, uint64_t *addr, uint64_t *len)
{
	if (rsp_parse_hex(&p, addr) || *p++ != ',' || rsp_parse_hex(&p, len))
		return NULL;
	return p;
}

/* Thread id as gdb writes it: hex, "-1" (all) or "0" (any). */
static int parse_thread(const char *p, int *id)
{
	uint64_t v;

	if (p[0] == '-' && p[1] == '1' && p[2] == '\0') {
		*id = -1;
		return 0;
	}
	if (rsp_parse_hex(&p, &v) || *p || v > 0x7fffffff)
		return -1;
	*id = (int)v;
	return 0;
}

/* ---- commands ---- */

static void cmd_read_regs(struct gdb_server *s)
{
	struct gdb_regs r;
	uint8_t block[REGS_BYTES];
	int t = current_thread(s), rc;

	memset(&r, 0, sizeof(r));
	rc = t < 0 ? t : s->ops->get_regs(s->target, t, &r);
	if (rc < 0) {
		reply_error(s, rc);
		return;
	}
	regs_to_block(&r, block);
	rsp_tohex(s->reply, block, REGS_BYTES);
	s->reply_len = 2 * REGS_BYTES;
}

static void cmd_write_regs(struct gdb_server *s, const char *hex, size_t len)
{
	struct gdb_regs r;
	uint8_t block[REGS_BYTES];
	int t = current_thread(s), rc;

	if (len != 2 * REGS_BYTES || rsp_fromhex(block, hex, REGS_BYTES)) {
		reply_error(s, EINVAL);
		return;
	}
	rc = t < 0 ? t : s->ops->get_regs(s->target, t, &r);
	if (rc == 0) {
		block_to_regs(block, &r);
		rc = s->ops->set_regs(s->target, t, &r);
	}
	if (rc < 0)
		reply_error(s, rc);
	else
		reply_str(s, "OK");
}

/* p n / P n=value */
static void cmd_one_reg(struct gdb_server *s, const char *p, bool write)
{
	struct gdb_regs r;
	uint8_t block[REGS_BYTES];
	uint64_t n;
	size_t off, size;
	int t = current_thread(s), rc;

	if (rsp_parse_hex(&p, &n) || n >= REG_COUNT || (write ? *p++ != '=' : *p != '\0')) {
		reply_error(s, EINVAL);
		return;
	}
	rc = t < 0 ? t : s->ops->get_regs(s->target, t, &r);
	if (rc < 0) {
		reply_error(s, rc);
		return;
	}
	regs_to_block(&r, block);
	reg_layout((int)n, &off, &size);
	if (!write) {
		rsp_tohex(s->reply, block + off, size);
		s->reply_len = 2 * size;
		return;
	}
	if (strlen(p) != 2 * size || rsp_fromhex(block + off, p, size)) {
		reply_error(s, EINVAL);
		return;
	}
	block_to_regs(block, &r);
	rc = s->ops->set_regs(s->target, t, &r);
	if (rc < 0)
		reply_error(s, rc);
	else
		reply_str(s, "OK");
}

static void cmd_read_mem(struct gdb_server *s, const char *p)
{
	uint64_t addr, len;
	uint8_t buf[RSP_MAX_PAYLOAD / 2];
	long got;
	int t = current_thread(s);

	p = parse_addr_len(p, &addr, &len);
	if (!p || *p) {
		reply_error(s, EINVAL);
		return;
	}
	if (len > sizeof(buf))
		len = sizeof(buf);     /* gdb asks again for the rest */
	if (addr + len < addr) {
		reply_error(s, EFAULT);
		return;
	}
	got = t < 0 ? t : s->ops->read_mem(s->target, t, addr, buf, len);
	if (got < 0 || (got == 0 && len > 0)) {
		reply_error(s, got < 0 ? (int)got : EFAULT);
		return;
	}
	rsp_tohex(s->reply, buf, (size_t)got);
	s->reply_len = 2 * (size_t)got;
}

/* M addr,len:hex  or  X addr,len:binary (payload already unescaped) */
static void cmd_write_mem(struct gdb_server *s, const char *p, size_t plen, bool binary)
{
	const char *start = p;
	uint64_t addr, len;
	uint8_t buf[RSP_MAX_PAYLOAD];
	long put;
	int t = current_thread(s);

	p = parse_addr_len(p, &addr, &len);
	if (!p || *p++ != ':' || len > sizeof(buf) || addr + len < addr) {
		reply_error(s, EINVAL);
		return;
	}
	size_t data = plen - (size_t)(p - start);
	if (binary ? data != len : (data != 2 * len || rsp_fromhex(buf, p, len))) {
		reply_error(s, EINVAL);
		return;
	}
	if (binary)
		memcpy(buf, p, len);
	if (len == 0) {         /* gdb probes X support with a zero-length write */
		reply_str(s, "OK");
		return;
	}
	put = t < 0 ? t : s->ops->write_mem(s->target, t, addr, buf, len);
	if (put < 0 || (uint64_t)put != len)
		reply_error(s, put < 0 ? (int)put : EFAULT);
	else
		reply_str(s, "OK");
}

static void resume(struct gdb_server *s, int step_thread)
{
	int rc = s->ops->resume(s->target, step_thread);

	if (rc < 0) {
		reply_error(s, rc);
		return;
	}
	s->running = true;
	s->reply_len = 0;       /* the reply is the stop, later */
}

/* c [addr] / s [addr] / C sig[;addr] / S sig[;addr]: an address resumes there */
static void cmd_continue(struct gdb_server *s, const char *p, bool step, bool with_signal)
{
	uint64_t v;
	int t = s->c_thread > 0 ? s->c_thread : current_thread(s);

	if (with_signal) {      /* the signal is not delivered to a domain: ignore it */
		if (rsp_parse_hex(&p, &v)) {
			reply_error(s, EINVAL);
			return;
		}
		if (*p == ';')
			p++;
	}
	if (*p) {
		struct gdb_regs r;

		if (rsp_parse_hex(&p, &v) || *p || t < 0 || s->ops->get_regs(s->target, t, &r)) {
			reply_error(s, EINVAL);
			return;
		}
		r.rip = v;
		if (s->ops->set_regs(s->target, t, &r)) {
			reply_error(s, EIO);
			return;
		}
	}
	resume(s, step ? (t < 0 ? 0 : t) : 0);
}

/* vCont;ACTION[:thread][;ACTION[:thread]]...: one step action at most is honoured,
 * every thread without an action of its own continues (all-stop). */
static void cmd_vcont(struct gdb_server *s, const char *p)
{
	int step_thread = 0;
	bool any = false;

	if (strcmp(p, "?") == 0) {
		reply_str(s, "vCont;c;C;s;S;t");
		return;
	}
	while (*p == ';') {
		char action = *++p;
		int id = -1;

		if (action != 'c' && action != 's' && action != 'C' && action != 'S' && action != 't') {
			reply_error(s, EINVAL);
			return;
		}
		p++;
		if (action == 'C' || action == 'S') {   /* signal number: ignored */
			uint64_t sig;

			if (rsp_parse_hex(&p, &sig)) {
				reply_error(s, EINVAL);
				return;
			}
		}
		if (*p == ':') {
			char idbuf[24];
			size_t n = strcspn(++p, ";");

			if (n == 0 || n >= sizeof(idbuf)) {
				reply_error(s, EINVAL);
				return;
			}
			memcpy(idbuf, p, n);
			idbuf[n] = '\0';
			if (parse_thread(idbuf, &id) || (id > 0 && !thread_exists(s, id, NULL))) {
				reply_error(s, EINVAL);   /* no such domain: nothing resumes */
				return;
			}
			p += n;
		}
		if (action == 't') {
			s->ops->pause(s->target);
			reply_str(s, "OK");
			return;
		}
		if ((action == 's' || action == 'S') && step_thread == 0)
			step_thread = id > 0 ? id : current_thread(s);
		any = true;
	}
	if (!any || *p) {
		reply_error(s, EINVAL);
		return;
	}
	resume(s, step_thread < 0 ? 0 : step_thread);
}

/* Z/z type,addr,kind */
static void cmd_breakpoint(struct gdb_server *s, const char *p, bool insert)
{
	uint64_t type, addr, kind;

	if (rsp_parse_hex(&p, &type) || *p++ != ',' || rsp_parse_hex(&p, &addr) || *p++ != ',' ||
	    rsp_parse_hex(&p, &kind) || type > 4 || kind > 0xFFFF) {	/* no truncation to int */
		reply_error(s, EINVAL);
		return;
	}
	/* conditions and commands after ';' (target-side) are not offered */
	int rc = s->ops->breakpoint(s->target, (int)type, addr, (int)kind, insert);
	if (rc == -ENOSYS)
		reply_str(s, "");       /* not supported: gdb falls back (M for int3) */
	else if (rc < 0)
		reply_error(s, rc);
	else
		reply_str(s, "OK");
}

static void cmd_thread_list(struct gdb_server *s, bool first)
{
	struct gdb_thread t[GDB_MAX_THREADS];
	int n, at;

	if (!first) {
		reply_str(s, "l");
		return;
	}
	n = s->ops->threads(s->target, t, GDB_MAX_THREADS);
	if (n <= 0) {
		reply_str(s, "l");
		return;
	}
	at = snprintf(s->reply, sizeof(s->reply), "m");
	for (int i = 0; i < n; i++)
		at += snprintf(s->reply + at, sizeof(s->reply) - (size_t)at, "%s%x", i ? "," : "",
			       (unsigned)t[i].id);
	s->reply_len = (size_t)at;
}

static void cmd_thread_extra(struct gdb_server *s, const char *p)
{
	struct gdb_thread t;
	char text[96];
	int id, n;

	if (parse_thread(p, &id) || !thread_exists(s, id, &t)) {
		reply_error(s, ESRCH);
		return;
	}
	n = snprintf(text, sizeof(text), "%s (%s)", t.name, t.state);
	if (n < 0 || (size_t)n >= sizeof(text))
		n = sizeof(text) - 1;
	rsp_tohex(s->reply, text, (size_t)n);
	s->reply_len = 2 * (size_t)n;
}

/* qXfer:features:read:target.xml:OFFSET,LENGTH */
static void cmd_xfer_features(struct gdb_server *s, const char *p)
{
	static const char annex[] = "target.xml:";
	size_t total = sizeof(gdb_target_xml) - 1;
	uint64_t off, len;

	if (strncmp(p, annex, sizeof(annex) - 1)) {
		reply_error(s, ENOENT);
		return;
	}
	p = parse_addr_len(p + sizeof(annex) - 1, &off, &len);
	if (!p || *p) {
		reply_error(s, EINVAL);
		return;
	}
	if (off >= total) {
		reply_str(s, "l");
		return;
	}
	if (len > RSP_MAX_PAYLOAD - 1)
		len = RSP_MAX_PAYLOAD - 1;
	if (len > total - off)
		len = total - off;
	s->reply[0] = off + len < total ? 'm' : 'l';
	memcpy(s->reply + 1, gdb_target_xml + off, len);
	s->reply_len = 1 + len;
}

static void cmd_set_thread(struct gdb_server *s, const char *p)
{
	char which = *p++;
	int id;

	if ((which != 'g' && which != 'c') || parse_thread(p, &id) ||
	    (id > 0 && !thread_exists(s, id, NULL))) {
		reply_error(s, ESRCH);
		return;
	}
	if (which == 'g')
		s->g_thread = id;
	else
		s->c_thread = id;
	reply_str(s, "OK");
}

static void cmd_query(struct gdb_server *s, const char *p)
{
	if (!strncmp(p, "qSupported", 10)) {
		char buf[160];

		snprintf(buf, sizeof(buf), "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;"
			 "vContSupported+;QStartNoAckMode+", RSP_MAX_PAYLOAD);
		reply_str(s, buf);
	} else if (!strcmp(p, "qfThreadInfo") || !strcmp(p, "qsThreadInfo")) {
		cmd_thread_list(s, p[1] == 'f');
	} else if (!strncmp(p, "qThreadExtraInfo,", 17)) {
		cmd_thread_extra(s, p + 17);
	} else if (!strcmp(p, "qC")) {
		int t = current_thread(s);

		if (t < 0)
			reply_error(s, t);
		else {
			snprintf(s->reply, sizeof(s->reply), "QC%x", (unsigned)t);
			s->reply_len = strlen(s->reply);
		}
	} else if (!strncmp(p, "qAttached", 9)) {
		reply_str(s, "1");      /* detaching leaves the domains running */
	} else if (!strncmp(p, "qXfer:features:read:", 20)) {
		cmd_xfer_features(s, p + 20);
	} else if (!strcmp(p, "QStartNoAckMode")) {
		reply_str(s, "OK");     /* takes effect after this reply's ack */
	} else if (!strncmp(p, "qSymbol", 7)) {
		reply_str(s, "OK");
	} else {
		reply_str(s, "");       /* unknown: the empty reply says so */
	}
}

static void handle_packet(struct gdb_server *s, const char *p, size_t len)
{
	s->reply_len = 0;
	s->packets++;
	switch (p[0]) {
	case '?':
		reply_stop(s, &s->last);
		break;
	case 'g':
		cmd_read_regs(s);
		break;
	case 'G':
		cmd_write_regs(s, p + 1, len - 1);
		break;
	case 'p':
		cmd_one_reg(s, p + 1, false);
		break;
	case 'P':
		cmd_one_reg(s, p + 1, true);
		break;
	case 'm':
		cmd_read_mem(s, p + 1);
		break;
	case 'M':
		cmd_write_mem(s, p + 1, len - 1, false);
		break;
	case 'X':
		cmd_write_mem(s, p + 1, len - 1, true);
		break;
	case 'c':
	case 's':
	case 'C':
	case 'S':               /* C and S carry a signal first */
		cmd_continue(s, p + 1, p[0] == 's' || p[0] == 'S', p[0] == 'C' || p[0] == 'S');
		if (s->running)
			return;
		break;
	case 'v':
		if (!strncmp(p, "vCont", 5) && (p[5] == ';' || p[5] == '?')) {
			cmd_vcont(s, p + 5);
			if (s->running)
				return;
		} else {
			reply_str(s, "");   /* vMustReplyEmpty and every other v packet */
		}
		break;
	case 'H':
		cmd_set_thread(s, p + 1);
		break;
	case 'T': {
		int id;

		if (parse_thread(p + 1, &id) == 0 && id > 0 && thread_exists(s, id, NULL))
			reply_str(s, "OK");
		else
			reply_error(s, ESRCH);
		break;
	}
	case 'Z':
	case 'z':
		cmd_breakpoint(s, p + 1, p[0] == 'Z');
		break;
	case 'D':
		s->ops->detach(s->target);
		reply_str(s, "OK");
		s->done = true;
		break;
	case 'k':
		s->ops->kill(s->target);
		s->done = true;
		return;                 /* 'k' has no reply */
	case 'q':
	case 'Q':
		cmd_query(s, p);
		break;
	default:
		reply_str(s, "");
		break;
	}
	send_packet(s, s->reply, s->reply_len);
	if (p[0] == 'Q' && !strcmp(p, "QStartNoAckMode"))
		s->no_ack = true;
}

void gdb_server_init(struct gdb_server *s, const struct gdb_target_ops *ops, void *target,
		     int (*write)(void *io, const void *buf, size_t len), void *io)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->target = target;
	s->write = write;
	s->io = io;
	rsp_decoder_init(&s->dec);
	s->last.signal = GDB_SIGTRAP;
	s->last.thread = current_thread(s) > 0 ? current_thread(s) : 0;
}

bool gdb_server_poll(struct gdb_server *s)
{
	struct gdb_stop st;

	if (!s->running || s->ops->poll_stop(s->target, &st) <= 0)
		return false;
	s->running = false;
	s->last = st;
	s->g_thread = st.thread;    /* gdb's view moves to the thread that stopped */
	reply_stop(s, &st);
	send_packet(s, s->reply, s->reply_len);
	return true;
}

bool gdb_server_feed(struct gdb_server *s, const void *buf, size_t len)
{
	const uint8_t *b = buf;

	for (size_t i = 0; i < len && !s->done; i++) {
		switch (rsp_decode_byte(&s->dec, b[i])) {
		case RSP_PACKET:
			if (!s->no_ack && !send_raw(s, "+", 1))
				break;
			if (s->running) {   /* only ^C is meaningful while running */
				s->bad_packets++;
				break;
			}
			handle_packet(s, s->dec.buf, s->dec.len);
			break;
		case RSP_BAD_CHECKSUM:
		case RSP_TOO_LONG:
			s->bad_packets++;
			if (!s->no_ack)
				send_raw(s, "-", 1);
			break;
		case RSP_INTERRUPT:
			if (s->running)
				s->ops->pause(s->target);   /* the stop reply follows from poll */
			break;
		case RSP_NACK:
			if (!s->no_ack && s->last_len)
				send_raw(s, s->last_frame, s->last_len);
			break;
		case RSP_ACK:
		case RSP_NONE:
			break;
		}
	}
	return !s->done;
}

int gdb_server_run_fd(struct gdb_server *s, int fd)
{
	uint8_t buf[4096];

	while (!s->done) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int rc = poll(&pfd, 1, s->running ? 10 : 1000);

		if (rc < 0 && errno != EINTR)
			return -errno;
		if (rc > 0) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n == 0)
				return 0;       /* gdb went away */
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				return -errno;
			if (n > 0)
				gdb_server_feed(s, buf, (size_t)n);
		}
		gdb_server_poll(s);
	}
	return 0;
}
