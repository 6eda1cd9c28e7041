/*
 * libFuzzer target for the receive side.  The fuzzer's bytes become the raw
 * contents of the ring a hostile peer writes into; the receiver (plain
 * channel, then the async call layer) must never crash, never accept a
 * message that fails validation, never wake a caller for a tag it did not
 * issue, and must hand back every slot it consumed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lxds/async_chan.h>

#define FUZZ_BYTES   4096
#define FUZZ_CALLS   4

static unsigned char fuzz_mem[FUZZ_BYTES] __attribute__((aligned(4096)));
static unsigned char fuzz_mem2[FUZZ_BYTES] __attribute__((aligned(4096)));

#define fuzz_assert(c) do { if (!(c)) __builtin_trap(); } while (0)

static void fuzz_fill(const uint8_t *data, size_t size)
{
	memset(fuzz_mem, 0, sizeof(fuzz_mem));
	memcpy(fuzz_mem, data, size < FUZZ_BYTES / 2 ? size : FUZZ_BYTES / 2);
}

/* Plain channel: everything it returns as valid is valid. */
static void fuzz_chan(const uint8_t *data, size_t size, uint32_t accept, uint32_t lazy)
{
	struct chan rx;
	struct chan_msg m;
	uint64_t i, slots;
	int ret;

	fuzz_fill(data, size);
	fuzz_assert(chan_attach(&rx, fuzz_mem, FUZZ_BYTES, 1, accept) == 0);
	chan_set_rx_lazy(&rx, lazy);
	slots = rx.rx.mask + 1;
	for (i = 0; i < 2 * slots; i++) {
		uint64_t pos = rx.rx.pos;

		ret = chan_try_recv(&rx, &m);
		if (ret == IPC_EAGAIN) {
			fuzz_assert(rx.rx.pos == pos);
			break;
		}
		fuzz_assert(ret == 0 || ret == IPC_EBADMSG);
		fuzz_assert(rx.rx.pos == pos + 1);
		/* Lazy free: at most lazy - 1 consumed slots are held. */
		fuzz_assert(rx.rx.pos - rx.rx.freed < rx.rx.lazy);
		fuzz_assert(rx.rx.freed <= rx.rx.pos);
		if (ret == 0)
			fuzz_assert(chan_hdr_valid(&rx.rx, m.hdr));
	}
	/* Every slot consumed is handed back once released. */
	chan_rx_release(&rx);
	for (i = 0; i < rx.rx.pos && i < slots; i++)
		fuzz_assert(rx.rx.slots[(rx.rx.pos - 1 - i) & rx.rx.mask].hdr.word == 0);
}

/*
 * Burst receive on the same hostile ring: what chan_try_recv_burst returns,
 * flattened, is exactly what chan_try_recv returns message by message (on a
 * second copy of the ring), every message it returns is valid, it never
 * holds more than lazy - 1 slots between calls, ends at "empty" within a
 * lap, and leaves the ring and the counters as chan_try_recv does.
 */
static void fuzz_burst(const uint8_t *data, size_t size, uint32_t accept, uint32_t lazy)
{
	struct chan rx, ref;
	struct chan_msg out[40], one;
	uint64_t slots;
	unsigned max = size ? (unsigned)data[0] % 41 : 5;   /* 0..40, past half the ring too */
	int ret, n, calls;

	fuzz_fill(data, size);
	memcpy(fuzz_mem2, fuzz_mem, FUZZ_BYTES);
	fuzz_assert(chan_attach(&rx, fuzz_mem, FUZZ_BYTES, 1, accept) == 0);
	fuzz_assert(chan_attach(&ref, fuzz_mem2, FUZZ_BYTES, 1, accept) == 0);
	chan_set_rx_lazy(&rx, lazy);
	chan_set_rx_lazy(&ref, lazy);
	slots = rx.rx.mask + 1;
	for (calls = 0; calls <= (int)slots + 1; calls++) {
		uint64_t pos = rx.rx.pos;

		ret = chan_try_recv_burst(&rx, out, max);
		fuzz_assert(rx.rx.pos - rx.rx.freed < rx.rx.lazy);
		fuzz_assert(rx.rx.freed <= rx.rx.pos);
		if (ret == IPC_EAGAIN) {
			fuzz_assert(rx.rx.pos == pos);
			fuzz_assert(max == 0 || chan_try_recv(&ref, &one) == IPC_EAGAIN);
			break;
		}
		if (ret == IPC_EBADMSG) {
			fuzz_assert(rx.rx.pos == pos + 1);
			fuzz_assert(chan_try_recv(&ref, &one) == IPC_EBADMSG);
			fuzz_assert(memcmp(&one, &out[0], sizeof(one)) == 0);
			continue;
		}
		fuzz_assert(ret >= 1 && (unsigned)ret <= max && (uint64_t)ret <= slots / 2);
		fuzz_assert(rx.rx.pos == pos + (uint64_t)ret);
		for (n = 0; n < ret; n++) {
			fuzz_assert(chan_hdr_valid(&rx.rx, out[n].hdr));
			fuzz_assert(chan_try_recv(&ref, &one) == 0);
			fuzz_assert(memcmp(&one, &out[n], sizeof(one)) == 0);
		}
	}
	fuzz_assert(calls <= (int)slots + 1);
	fuzz_assert(rx.rx.pos == ref.rx.pos && rx.rx.rejected == ref.rx.rejected);
	chan_rx_release(&rx);
	chan_rx_release(&ref);
	fuzz_assert(memcmp(fuzz_mem, fuzz_mem2, FUZZ_BYTES) == 0);
}

/* Async layer: only outstanding tags complete, each with its own reply. */
static void fuzz_achan(const uint8_t *data, size_t size)
{
	static struct async_rt rt;
	static bool rt_ready;
	struct achan_call calls[FUZZ_CALLS];
	struct chan_msg replies[FUZZ_CALLS], req;
	struct achan ac;
	struct chan rx;
	unsigned i, woken, done = 0;

	if (!rt_ready) {
		fuzz_assert(async_rt_init(&rt, ASYNC_DEFAULT_STACK, 4) == 0);
		rt_ready = true;
	}
	fuzz_fill(data, size);
	fuzz_assert(chan_attach(&rx, fuzz_mem, FUZZ_BYTES, 1, CHAN_ACCEPT_ALL) == 0);
	fuzz_assert(achan_init(&ac, &rx, calls, FUZZ_CALLS) == 0);
	/* Calls 0 and 2 are outstanding (generation 1); 1 and 3 are not. */
	for (i = 0; i < FUZZ_CALLS; i += 2) {
		calls[i].busy = true;
		calls[i].reply = &replies[i];
	}
	woken = achan_poll(&ac);
	while (achan_recv_request(&ac, &req) == 0)
		fuzz_assert(req.hdr.type == CHAN_T_REQUEST || req.hdr.type == CHAN_T_ONEWAY);
	for (i = 0; i < FUZZ_CALLS; i++) {
		if (!calls[i].wait.done)
			continue;
		fuzz_assert(i % 2 == 0);
		fuzz_assert(replies[i].hdr.type == CHAN_T_REPLY);
		fuzz_assert(replies[i].hdr.tag == (1u << 16 | i));
		done++;
	}
	fuzz_assert(woken <= done);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_chan(data, size, CHAN_ACCEPT_ALL, 1);
	fuzz_chan(data, size, CHAN_ACCEPT(CHAN_T_REPLY), 8);
	fuzz_burst(data, size, CHAN_ACCEPT_ALL, 1);
	fuzz_burst(data, size, CHAN_ACCEPT(CHAN_T_REPLY), 8);
	fuzz_achan(data, size);
	return 0;
}
