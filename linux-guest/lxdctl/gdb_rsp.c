/* gdb_rsp: gdb remote-protocol framing (see gdb_rsp.h). */
#include <string.h>

#include "gdb_rsp.h"

static const char hexdigits[] = "0123456789abcdef";

void rsp_decoder_init(struct rsp_decoder *d)
{
	memset(d, 0, sizeof(*d));
	d->state = RSP_IDLE;
}

int rsp_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void body_byte(struct rsp_decoder *d, uint8_t c)
{
	if (d->len < RSP_MAX_PAYLOAD)
		d->buf[d->len++] = (char)c;
	else
		d->overflow = true;
}

static enum rsp_event idle_byte(struct rsp_decoder *d, uint8_t c)
{
	switch (c) {
	case '$':
		d->state = RSP_BODY;
		d->sum = 0;
		d->len = 0;
		d->overflow = false;
		return RSP_NONE;
	case 0x03:
		return RSP_INTERRUPT;
	case '+':
		return RSP_ACK;
	case '-':
		return RSP_NACK;
	default:
		return RSP_NONE;        /* line noise between packets is ignored */
	}
}

enum rsp_event rsp_decode_byte(struct rsp_decoder *d, uint8_t c)
{
	int v;

	switch (d->state) {
	case RSP_IDLE:
		return idle_byte(d, c);
	case RSP_BODY:
		if (c == '#') {
			d->state = RSP_SUM1;
			return RSP_NONE;
		}
		if (c == '$') {         /* a new packet before the old one ended: restart */
			d->sum = 0;
			d->len = 0;
			d->overflow = false;
			return RSP_NONE;
		}
		d->sum += c;
		if (c == '}')
			d->state = RSP_ESCAPE;
		else
			body_byte(d, c);
		return RSP_NONE;
	case RSP_ESCAPE:
		d->sum += c;
		body_byte(d, c ^ 0x20);
		d->state = RSP_BODY;
		return RSP_NONE;
	case RSP_SUM1:
		v = rsp_hexval(c);
		d->want = (uint8_t)((v < 0 ? 0x100 : v) << 4);
		d->state = v < 0 ? RSP_IDLE : RSP_SUM2;
		return v < 0 ? RSP_BAD_CHECKSUM : RSP_NONE;
	case RSP_SUM2:
		d->state = RSP_IDLE;
		v = rsp_hexval(c);
		if (v < 0 || (uint8_t)(d->want | v) != d->sum)
			return RSP_BAD_CHECKSUM;
		if (d->overflow)
			return RSP_TOO_LONG;
		d->buf[d->len] = '\0';
		return RSP_PACKET;
	}
	return RSP_NONE;
}

static bool needs_escape(uint8_t c)
{
	return c == '$' || c == '#' || c == '}' || c == '*';
}

/* Appends one payload byte (escaped) to out; false when out is full. */
static bool put(char *out, size_t cap, size_t *at, uint8_t *sum, uint8_t c)
{
	if (needs_escape(c)) {
		if (*at + 2 > cap)
			return false;
		out[(*at)++] = '}';
		out[(*at)++] = (char)(c ^ 0x20);
		*sum += '}' + (uint8_t)(c ^ 0x20);
		return true;
	}
	if (*at + 1 > cap)
		return false;
	out[(*at)++] = (char)c;
	*sum += c;
	return true;
}

/* How many of the `run` further copies of a byte one "*n" may stand for:
 * n + 29 must be printable and not '#' or '$' (the protocol's rule), nor '}'
 * or '*' (so that even a reader that unescapes first is not confused). */
static size_t rle_count(size_t run)
{
	size_t n = run > 97 ? 97 : run;         /* 97 + 29 = 126, the last printable */

	while (n + 29 == '#' || n + 29 == '$' || n + 29 == '}' || n + 29 == '*')
		n--;
	return n;
}

size_t rsp_encode(char *out, size_t cap, const void *payload, size_t len, bool rle)
{
	const uint8_t *p = payload;
	size_t at = 0, i = 0;
	uint8_t sum = 0;

	if (cap < 4)
		return 0;
	out[at++] = '$';
	while (i < len) {
		uint8_t c = p[i];
		size_t run = 0;

		if (!put(out, cap - 3, &at, &sum, c))
			return 0;
		i++;
		while (i + run < len && p[i + run] == c)
			run++;
		/* "*n" costs 2 bytes: worth it for 3 or more copies of a byte that
		 * needs no escape (an escaped byte cannot be repeated this way) */
		if (rle && !needs_escape(c) && run >= 3) {
			size_t n = rle_count(run);

			if (at + 2 > cap - 3)
				return 0;
			out[at++] = '*';
			out[at++] = (char)(n + 29);
			sum += '*' + (uint8_t)(n + 29);
			i += n;
		}
	}
	if (at + 3 > cap)
		return 0;
	out[at++] = '#';
	out[at++] = hexdigits[sum >> 4];
	out[at++] = hexdigits[sum & 15];
	return at;
}

void rsp_tohex(char *out, const void *bytes, size_t n)
{
	const uint8_t *b = bytes;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdigits[b[i] >> 4];
		out[2 * i + 1] = hexdigits[b[i] & 15];
	}
}

int rsp_fromhex(void *bytes, const char *hex, size_t n)
{
	uint8_t *b = bytes;

	for (size_t i = 0; i < n; i++) {
		int hi = rsp_hexval((unsigned char)hex[2 * i]), lo;

		if (hi < 0)
			return -1;
		lo = rsp_hexval((unsigned char)hex[2 * i + 1]);
		if (lo < 0)
			return -1;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int rsp_parse_hex(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;
	int n = 0, d;

	while ((d = rsp_hexval((unsigned char)*p)) >= 0) {
		if (++n > 16)
			return -1;
		x = x << 4 | (uint64_t)d;
		p++;
	}
	if (n == 0)
		return -1;
	*s = p;
	*v = x;
	return 0;
}
