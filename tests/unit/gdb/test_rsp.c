/*
 * Host tests of the gdb remote-protocol layer (linux-guest/lxdctl/gdb_rsp.c)
 * and server (gdb_server.c) over a fake target: framing (checksums, escapes,
 * run-length, splits, sizes), a recorded gdb 13 session replayed packet by
 * packet with exact replies, and a hostile byte stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_target.h"

/* ---- framing ---- */

static enum rsp_event feed_str(struct rsp_decoder *d, const char *s)
{
	enum rsp_event e = RSP_NONE;

	for (; *s; s++) {
		e = rsp_decode_byte(d, (uint8_t)*s);
		if (e != RSP_NONE && s[1])
			fail_msg("event %d before the end of \"%s\"", e, s);
	}
	return e;
}

static void test_decode_packet(void **state)
{
	struct rsp_decoder d;

	(void)state;
	rsp_decoder_init(&d);
	assert_int_equal(feed_str(&d, "$g#67"), RSP_PACKET);
	assert_string_equal(d.buf, "g");
	assert_int_equal(feed_str(&d, "$qSupported#37"), RSP_PACKET);
	assert_string_equal(d.buf, "qSupported");
	assert_int_equal(feed_str(&d, "$#00"), RSP_PACKET);             /* empty packet */
	assert_int_equal(d.len, 0);
	assert_int_equal(feed_str(&d, "$g#68"), RSP_BAD_CHECKSUM);
	assert_int_equal(feed_str(&d, "$g#6z"), RSP_BAD_CHECKSUM);
	assert_int_equal(feed_str(&d, "$g#G"), RSP_BAD_CHECKSUM);
	assert_int_equal(feed_str(&d, "+"), RSP_ACK);
	assert_int_equal(feed_str(&d, "-"), RSP_NACK);
	assert_int_equal(feed_str(&d, "\x03"), RSP_INTERRUPT);
	assert_int_equal(feed_str(&d, "xyz"), RSP_NONE);                /* noise */
	/* a packet restarted by '$' keeps only the second */
	assert_int_equal(feed_str(&d, "$qfoo$g#67"), RSP_PACKET);
	assert_string_equal(d.buf, "g");
	/* 0x03 inside a packet is data, not an interrupt */
	assert_int_equal(feed_str(&d, "$\x03#03"), RSP_PACKET);
	assert_int_equal(d.len, 1);
}

static void test_decode_escape(void **state)
{
	struct rsp_decoder d;
	/* X packet with '#' '$' '}' '*' escaped: }03 }04 }5d }0a; sum over raw bytes */
	const char body[] = "X0,4:}\x03}\x04}\x5d}\x0a";
	char frame[64];
	unsigned sum = 0;

	(void)state;
	for (const char *p = body; *p; p++)
		sum += (uint8_t)*p;
	snprintf(frame, sizeof(frame), "$%s#%02x", body, sum & 0xff);
	rsp_decoder_init(&d);
	assert_int_equal(feed_str(&d, frame), RSP_PACKET);
	assert_int_equal(d.len, 9);
	assert_memory_equal(d.buf + 5, "#$}*", 4);
}

static void test_decode_split_and_oversize(void **state)
{
	static struct rsp_decoder d;
	static char big[RSP_MAX_PAYLOAD + 64];
	char frame[32];
	unsigned sum = 0;

	(void)state;
	for (const char *p = "m400000,4"; *p; p++)
		sum += (uint8_t)*p;
	snprintf(frame, sizeof(frame), "$m400000,4#%02x", sum & 0xff);
	sum = 0;
	rsp_decoder_init(&d);
	for (const char *p = frame; *p; p++) {   /* one byte per "read" */
		enum rsp_event e = rsp_decode_byte(&d, (uint8_t)*p);
		assert_int_equal(e, p[1] ? RSP_NONE : RSP_PACKET);
	}
	/* one byte over the limit: dropped whole, checksum still verified */
	big[0] = '$';
	for (int i = 1; i <= RSP_MAX_PAYLOAD + 1; i++) {
		big[i] = 'a';
		sum += 'a';
	}
	snprintf(big + RSP_MAX_PAYLOAD + 2, 8, "#%02x", sum & 0xff);
	assert_int_equal(feed_str(&d, big), RSP_TOO_LONG);
	assert_int_equal(feed_str(&d, "$g#67"), RSP_PACKET);         /* and the next is fine */
}

/* Expands "x*n" run-length encoding (what gdb does with our replies). */
static size_t unrle(const char *in, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] == '*' && o > 0 && i + 1 < len) {
			int n = in[++i] - 29;
			for (int k = 0; k < n; k++, o++)
				out[o] = out[o - 1];
		} else {
			out[o++] = in[i];
		}
	}
	return o;
}

static void test_encode(void **state)
{
	char out[256], plain[256];
	struct rsp_decoder d;
	size_t n;

	(void)state;
	n = rsp_encode(out, sizeof(out), "OK", 2, false);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "$OK#9a", 6);
	n = rsp_encode(out, sizeof(out), "", 0, false);
	assert_memory_equal(out, "$#00", 4);
	/* escapes survive a round trip through the decoder */
	n = rsp_encode(out, sizeof(out), "a$b#c}d*e", 9, false);
	out[n] = '\0';
	assert_null(strpbrk(out + 1, "$") );
	rsp_decoder_init(&d);
	assert_int_equal(feed_str(&d, out), RSP_PACKET);
	assert_int_equal(d.len, 9);
	assert_memory_equal(d.buf, "a$b#c}d*e", 9);
	/* run-length: 0000 -> "0* ", and never a count char '#', '$', '}' or '*' */
	for (size_t run = 1; run < 120; run++) {
		char src[200];

		memset(src, '0', run);
		src[run] = 'x';
		n = rsp_encode(out, sizeof(out), src, run + 1, true);
		assert_true(n > 0);
		for (size_t i = 1; i + 3 < n; i++)
			assert_true(out[i] != '$' && out[i] != '#' && out[i] != '}');
		rsp_decoder_init(&d);
		out[n] = '\0';
		assert_int_equal(feed_str(&d, out), RSP_PACKET);
		assert_int_equal(unrle(d.buf, d.len, plain), run + 1);
		assert_memory_equal(plain, src, run + 1);
	}
	/* too small a buffer: 0, never an overflow */
	assert_int_equal(rsp_encode(out, 5, "hello", 5, false), 0);
	assert_int_equal(rsp_encode(out, 3, "", 0, false), 0);
}

static void test_hex(void **state)
{
	uint8_t b[4];
	const char *p = "1fFz";
	uint64_t v;

	(void)state;
	assert_int_equal(rsp_fromhex(b, "00ff7A80", 4), 0);
	assert_int_equal(b[1], 0xff);
	assert_int_equal(b[2], 0x7a);
	assert_int_equal(rsp_fromhex(b, "0g", 1), -1);
	assert_int_equal(rsp_parse_hex(&p, &v), 0);
	assert_int_equal(v, 0x1ff);
	assert_string_equal(p, "z");
	p = "12345678123456789";                 /* 17 digits: refused */
	assert_int_equal(rsp_parse_hex(&p, &v), -1);
	p = ",";
	assert_int_equal(rsp_parse_hex(&p, &v), -1);
}

/* ---- the server ---- */

struct sink {
	char buf[1 << 16];
	size_t len;
};

static int sink_write(void *io, const void *buf, size_t len)
{
	struct sink *k = io;

	if (k->len + len > sizeof(k->buf))
		return -1;
	memcpy(k->buf + k->len, buf, len);
	k->len += len;
	return 0;
}

struct rig {
	struct fake_target f;
	struct gdb_server s;
	struct sink out;
};

static struct rig *rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));

	fake_target_init(&r->f);
	gdb_server_init(&r->s, &fake_ops, &r->f, sink_write, &r->out);
	return r;
}

/* Sends one packet (framed here) and returns the server's reply payload, with
 * the ack stripped and the frame's checksum verified; "<none>" if none. */
static const char *ask(struct rig *r, const char *payload)
{
	static char frame[2 * RSP_MAX_PAYLOAD + 8];
	static char reply[RSP_MAX_PAYLOAD + 1];
	struct rsp_decoder d;
	size_t n = rsp_encode(frame, sizeof(frame), payload, strlen(payload), false);

	r->out.len = 0;
	gdb_server_feed(&r->s, frame, n);
	gdb_server_poll(&r->s);
	rsp_decoder_init(&d);
	for (size_t i = 0; i < r->out.len; i++)
		if (rsp_decode_byte(&d, (uint8_t)r->out.buf[i]) == RSP_PACKET) {
			size_t m = unrle(d.buf, d.len, reply);
			reply[m] = '\0';
			return reply;
		}
	return "<none>";
}

/* What gdb 13.1 sends on `target remote` and a first look around, with the
 * replies this server gives the fake target (recorded, then checked by hand
 * against the protocol documentation). */
static const char *const session[][2] = {
	{ "qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;"
	  "exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;xmlRegisters=i386",
	  "PacketSize=fa0;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+" },
	{ "vMustReplyEmpty", "" },
	{ "QStartNoAckMode", "OK" },
	{ "Hgp0.0", "E03" },                    /* multiprocess ids were not offered */
	{ "Hg0", "OK" },
	{ "qXfer:features:read:target.xml:0,3", "m<?x" },
	{ "qXfer:features:read:other.xml:0,3", "E02" },
	{ "qTStatus", "" },
	{ "?", "T05thread:1;" },
	{ "qfThreadInfo", "m1,2" },
	{ "qsThreadInfo", "l" },
	{ "qThreadExtraInfo,2", "70726f62652028637261736865643a204550542076696f6c6174696f6e29" },
	{ "qAttached", "1" },
	{ "Hc-1", "OK" },
	{ "qC", "QC1" },
	{ "qOffsets", "" },
	{ "p10", "0000400000000000" },           /* rip */
	{ "p0", "8877665544332211" },           /* rax */
	{ "p2e", "E16" },                       /* past the last register */
	{ "m400000,4", "90909090" },
	{ "m400ffe,4", "9090" },                /* short at the end of the page */
	{ "m0,4", "E0e" },                      /* EFAULT */
	{ "mffffffffffffffff,2", "E0e" },       /* wraps around */
	{ "M400010,1:cc", "OK" },
	{ "m400010,1", "cc" },
	{ "M400010,1:90", "OK" },
	{ "X400010,0:", "OK" },
	{ "Z0,400020,1", "OK" },
	{ "vCont?", "vCont;c;C;s;S;t" },
	{ "vCont;c:9", "E16" },                 /* no such domain: nothing resumes */
	{ "vCont;s:ffff;c", "E16" },
	{ "vCont;c", "T05thread:1;swbreak:;" },
	{ "p10", "2000400000000000" },
	{ "z0,400020,1", "OK" },
	{ "z0,400020,1", "E02" },               /* not there any more */
	{ "Z2,10000000,8", "" },                /* the fake has no watchpoints */
	{ "vCont;s:1;c", "T05thread:1;" },
	{ "p10", "2100400000000000" },
	{ "Hg2", "OK" },
	{ "p10", "2301400000000000" },          /* the probe's RIP */
	{ "Hg9", "E03" },                       /* no such domain */
	{ "T2", "OK" },
	{ "T9", "E03" },
	{ "qRcmd,68656c70", "" },               /* monitor commands: none */
	{ "D", "OK" },
};

static void test_session(void **state)
{
	struct rig *r = rig_new();

	(void)state;
	for (size_t i = 0; i < sizeof(session) / sizeof(session[0]); i++) {
		const char *got = ask(r, session[i][0]);

		if (strcmp(got, session[i][1]))
			fail_msg("packet %zu '%s': got '%s', want '%s'", i, session[i][0], got, session[i][1]);
	}
	assert_int_equal(r->f.detached, 1);
	assert_true(r->s.done);
	free(r);
}

static void test_acks_and_nack(void **state)
{
	struct rig *r = rig_new();
	char frame[64];
	size_t n = rsp_encode(frame, sizeof(frame), "qC", 2, false);

	(void)state;
	gdb_server_feed(&r->s, frame, n);
	assert_true(r->out.len > 1 && r->out.buf[0] == '+');       /* ack, then the reply */
	size_t first = r->out.len;
	gdb_server_feed(&r->s, "-", 1);                             /* resend */
	assert_int_equal(r->out.len, first + (first - 1));
	assert_memory_equal(r->out.buf + first, r->out.buf + 1, first - 1);
	r->out.len = 0;
	gdb_server_feed(&r->s, "$qC#00", 6);                        /* bad checksum: '-' */
	assert_int_equal(r->out.len, 1);
	assert_int_equal(r->out.buf[0], '-');
	assert_int_equal(r->s.bad_packets, 1);
	free(r);
}

static void test_interrupt_and_registers(void **state)
{
	struct rig *r = rig_new();
	char g[2 * 324 + 1];

	(void)state;
	/* continue with no breakpoint ahead: running until ^C */
	r->f.regs[0].rip = FAKE_CODE_VA + FAKE_CODE_SIZE;          /* past the code: never stops */
	assert_string_equal(ask(r, "c"), "<none>");
	assert_true(r->s.running);
	assert_string_equal(ask(r, "g"), "<none>");                 /* ignored while running */
	r->out.len = 0;
	gdb_server_feed(&r->s, "\x03", 1);
	assert_true(gdb_server_poll(&r->s));
	assert_non_null(strstr(r->out.buf, "T02thread:1;"));
	/* g and G round trip, and G with a bad length is refused */
	strcpy(g, ask(r, "g"));
	assert_int_equal(strlen(g), 2 * 324);
	memcpy(g + 16, "efbeadde00000000", 16);                     /* rbx */
	char G[2 * 324 + 2] = "G";
	strcat(G, g);
	assert_string_equal(ask(r, G), "OK");
	assert_int_equal(r->f.regs[0].gpr[1], 0xdeadbeef);
	assert_string_equal(ask(r, "G00"), "E16");
	assert_string_equal(ask(r, "P3=0100000000000000"), "OK");
	assert_int_equal(r->f.regs[0].gpr[3], 1);
	assert_string_equal(ask(r, "P3=01"), "E16");                /* wrong size */
	assert_string_equal(ask(r, "P11=00020000"), "OK");          /* eflags, 32 bits */
	assert_int_equal(r->f.regs[0].eflags, 0x200);
	/* the target description is whole and well formed */
	char xml[8192] = "";
	for (unsigned off = 0;;) {
		char q[64];
		snprintf(q, sizeof(q), "qXfer:features:read:target.xml:%x,200", off);
		const char *part = ask(r, q);
		assert_true(part[0] == 'm' || part[0] == 'l');
		strcat(xml, part + 1);
		off += (unsigned)strlen(part + 1);
		if (part[0] == 'l')
			break;
	}
	assert_string_equal(xml, gdb_target_xml);
	assert_string_equal(ask(r, "k"), "<none>");
	assert_int_equal(r->f.killed, 1);
	free(r);
}

/* Hostile gdb: random packets and random bytes never crash the server, every
 * reply it sends is a well-formed frame, and it still answers afterwards. */
static void test_hostile(void **state)
{
	static const char *const heads[] = { "m", "M", "X", "g", "G", "p", "P", "Z", "z", "c", "s",
					     "C", "S", "vCont;", "H", "T", "qXfer:features:read:",
					     "qThreadExtraInfo,", "q", "Q", "?", "D" };
	static const char alphabet[] = "0123456789abcdefABCDEF,:;-=xyz.}*#$\x03 ";
	struct rig *r = rig_new();
	unsigned seed = 12345;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		char p[300];
		size_t n;

		seed = seed * 1103515245 + 12345;
		strcpy(p, heads[(seed >> 8) % (sizeof(heads) / sizeof(heads[0]))]);
		if (!strcmp(p, "D"))
			continue;       /* would end the session */
		n = strlen(p);
		size_t extra = (seed >> 16) % 200;
		for (size_t k = 0; k < extra; k++) {
			seed = seed * 1103515245 + 12345;
			p[n++] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		p[n] = '\0';
		if (p[0] == 'k' || (p[0] == 'v' && strstr(p, "t")))
			continue;
		const char *got = ask(r, p);
		assert_non_null(got);
		if (r->s.running) {     /* a resume: stop it again */
			gdb_server_feed(&r->s, "\x03", 1);
			gdb_server_poll(&r->s);
		}
		assert_false(r->s.done);
		if (i % 1000 == 0)
			fake_target_init(&r->f);
	}
	/* raw garbage */
	for (int i = 0; i < 200000; i++) {
		char c;

		seed = seed * 1103515245 + 12345;
		c = (char)(seed >> 16);
		r->out.len = 0;
		gdb_server_feed(&r->s, &c, 1);
		if (r->s.running) {
			gdb_server_feed(&r->s, "\x03", 1);
			gdb_server_poll(&r->s);
		}
		if (r->s.done)
			break;
	}
	if (!r->s.done) {
		gdb_server_feed(&r->s, "#00", 3);   /* end any packet the garbage left open */
		const char *got = ask(r, "qC");
		assert_true(!strncmp(got, "QC", 2) || got[0] == 'E');
	}
	free(r);
}

/* Hardware breakpoint and watchpoint stops: the stop reply names the kind and,
 * for a watchpoint, the watched address gdb asked for. */
static void test_hw_stops(void **state)
{
	static const struct { int watch; bool hw; const char *want; } cases[] = {
		{ 2, false, "T05thread:1;watch:10000008;" },
		{ 4, false, "T05thread:1;awatch:10000008;" },
		{ 3, false, "T05thread:1;rwatch:10000008;" },
		{ 0, true, "T05thread:1;hwbreak:;" },
	};
	struct rig *r = rig_new();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r->f.regs[0].rip = FAKE_CODE_VA + FAKE_CODE_SIZE;  /* runs until told */
		assert_string_equal(ask(r, "c"), "<none>");
		r->f.stop = (struct gdb_stop){ .thread = 1, .signal = GDB_SIGTRAP,
					       .watch = cases[i].watch, .watch_addr = 0x10000008,
					       .hwbreak = cases[i].hw };
		r->f.pending = true;
		r->out.len = 0;
		assert_true(gdb_server_poll(&r->s));        /* sent (run-length coded) ... */
		assert_false(r->s.running);
		assert_string_equal(ask(r, "?"), cases[i].want);    /* ... and '?' repeats it */
	}
	/* a length that would wrap to 8 as an int is refused, not truncated */
	assert_string_equal(ask(r, "Z2,10000000,100000008"), "E16");
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_packet),
		cmocka_unit_test(test_decode_escape),
		cmocka_unit_test(test_decode_split_and_oversize),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_acks_and_nack),
		cmocka_unit_test(test_interrupt_and_registers),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_hw_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
