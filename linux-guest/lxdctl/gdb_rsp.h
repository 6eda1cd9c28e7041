/*
 * gdb_rsp: the framing of gdb's remote serial protocol, with no I/O of its own.
 *
 *   packet      $<payload>#<two hex digits: sum of the payload bytes mod 256>
 *   escape      '}' then the byte XOR 0x20 (for '$', '#', '}', '*' in binary data)
 *   run length  <c>*<n>: c repeated n - 29 more times (only stub -> gdb)
 *   acks        '+' / '-' after each packet, until QStartNoAckMode
 *   interrupt   a lone 0x03 byte outside a packet (gdb's Ctrl-C)
 *
 * The decoder takes one byte at a time and says what it completed, so a test
 * can feed it any byte stream (split, corrupted, oversized) and a server can
 * feed it whatever read() returned.  The encoder escapes, optionally
 * run-length encodes, and checksums.
 */
#ifndef LXDCTL_GDB_RSP_H
#define LXDCTL_GDB_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest payload either side sends (we say PacketSize=4000 in qSupported:
 * gdb then sends at most that, and a 'g' reply of x86-64's registers fits). */
#define RSP_MAX_PAYLOAD 4000

enum rsp_event {
	RSP_NONE,           /* nothing completed yet: feed more bytes */
	RSP_PACKET,         /* a packet with a good checksum: payload in d->buf[0..len) */
	RSP_BAD_CHECKSUM,   /* a complete packet whose checksum is wrong (answer '-') */
	RSP_TOO_LONG,       /* a complete packet longer than RSP_MAX_PAYLOAD (dropped) */
	RSP_INTERRUPT,      /* 0x03 outside a packet */
	RSP_ACK,            /* '+' */
	RSP_NACK,           /* '-': resend the last packet */
};

struct rsp_decoder {
	enum { RSP_IDLE, RSP_BODY, RSP_ESCAPE, RSP_SUM1, RSP_SUM2 } state;
	uint8_t sum;            /* running sum of the raw payload bytes */
	uint8_t want;           /* the checksum the sender wrote */
	bool overflow;
	size_t len;
	char buf[RSP_MAX_PAYLOAD + 1];   /* payload, NUL-terminated for convenience */
};

void rsp_decoder_init(struct rsp_decoder *d);
enum rsp_event rsp_decode_byte(struct rsp_decoder *d, uint8_t c);

/* Frames payload[0..len) into out (cap bytes) as "$...#xx", escaping '$', '#',
 * '}' and '*'; with rle, runs of 4 or more equal bytes are run-length encoded.
 * Returns the frame's length, or 0 if it does not fit. */
size_t rsp_encode(char *out, size_t cap, const void *payload, size_t len, bool rle);

/* Hex helpers: 0..15 for a hex digit, -1 otherwise; hex-encode n bytes into
 * out (2n chars, no NUL); hex-decode exactly 2n chars into n bytes (-1 on a
 * bad digit). */
int rsp_hexval(int c);
void rsp_tohex(char *out, const void *bytes, size_t n);
int rsp_fromhex(void *bytes, const char *hex, size_t n);

/* Parses a hex number at *s (at most 16 digits), advancing *s past it.
 * Returns -1 when there is no digit or too many. */
int rsp_parse_hex(const char **s, uint64_t *v);

#endif
