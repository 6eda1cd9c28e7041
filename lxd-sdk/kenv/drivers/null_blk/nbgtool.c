/*
 * nbgtool: data checks and a small load generator for block devices, for
 * null_blk native and in an LXD (issue 13; linux-guest/initramfs/tests/
 * lxd-nullblk*.sh).  Static, in the initramfs as /bin/nbgtool.
 *
 *   nbgtool verify DEV MIB SEED
 *   nbgtool verify DEV MIB SEED STEP
 *       O_DIRECT writes and reads of odd sizes at odd offsets (multiples of
 *       the logical block size) over the first MIB MiB; with STEP (a
 *       multiple of 512, under 4096), the odd reads go into buffers
 *       0, STEP, 2 STEP... bytes into a page, so that their segments start
 *       and end inside pages (native null_blk 6.1, memory-backed, misreads
 *       such a segment: copy_from_nullb copies a block's size from where
 *       the sector falls in its store page, past that page's end; in the
 *       domain the driver sees the pool's slot, whole, block-aligned), every read compared
 *       with a shadow copy, then the whole range read back and compared;
 *       prints the counts and a checksum of the final contents (same SEED,
 *       same checksum on any correct device).
 *   nbgtool bench DEV MODE BS QD N
 *       MODE randread|randwrite|seqread|seqwrite; BS bytes a request; QD
 *       threads, each with one O_DIRECT request in flight; N requests in all
 *       over the first 8 MiB.  Prints IOPS (guest wall clock) and TSC ticks
 *       per request (in Bochs: emulated instructions per core per request).
 *
 * Exit status: 0 ok, 1 a failed or mismatching I/O (said which), 2 usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define BENCH_SPAN (8u << 20)

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void fill(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t v = rng();
		memcpy(p + i, &v, 8);
	}
	for (; i < n; i++)
		p[i] = (unsigned char)rng();
}

static int open_dev(const char *dev, unsigned int *lbs)
{
	int fd = open(dev, O_RDWR | O_DIRECT);
	int ss = 512;

	if (fd < 0) {
		fprintf(stderr, "nbgtool: open %s: %s\n", dev, strerror(errno));
		return -1;
	}
	if (ioctl(fd, BLKSSZGET, &ss) != 0 || ss < 512)
		ss = 512;
	*lbs = (unsigned int)ss;
	return fd;
}

static int xpwrite(int fd, const void *b, size_t n, off_t off)
{
	ssize_t r = pwrite(fd, b, n, off);

	if (r != (ssize_t)n) {
		fprintf(stderr, "nbgtool: write of %zu bytes at %lld: %s\n", n, (long long)off,
			r < 0 ? strerror(errno) : "short");
		return -1;
	}
	return 0;
}

static int xpread(int fd, void *b, size_t n, off_t off)
{
	ssize_t r = pread(fd, b, n, off);

	if (r != (ssize_t)n) {
		fprintf(stderr, "nbgtool: read of %zu bytes at %lld: %s\n", n, (long long)off,
			r < 0 ? strerror(errno) : "short");
		return -1;
	}
	return 0;
}

static int cmd_verify(const char *dev, unsigned long mib, unsigned long seed, unsigned long step)
{
	size_t span = (size_t)mib << 20, chunk = 1u << 20, off;
	unsigned char *shadow, *buf;
	unsigned long writes = 0, reads = 0, i;
	uint64_t sum = 1469598103934665603ull;
	unsigned int lbs;
	int fd = open_dev(dev, &lbs);

	if (fd < 0)
		return 1;
	rng_state = seed * 2654435761u + 88172645463325252ull;
	shadow = malloc(span);
	if (!shadow || posix_memalign((void **)&buf, 4096, chunk)) {
		fprintf(stderr, "nbgtool: no memory\n");
		return 1;
	}
	fill(shadow, span);
	for (off = 0; off < span; off += chunk) {           /* the whole range, 1 MiB at a time */
		memcpy(buf, shadow + off, chunk);
		if (xpwrite(fd, buf, chunk, (off_t)off))
			return 1;
		writes++;
	}
	for (i = 0; i < 400; i++) {                          /* odd sizes at odd offsets */
		size_t blocks = span / lbs, n = 1 + 2 * (rng() % 40), at = rng() % blocks;

		if (at % 2 == 0)
			at++;
		if (at + n > blocks)
			at = blocks - n;
		if (rng() % 2) {
			fill(shadow + at * lbs, n * lbs);
			memcpy(buf, shadow + at * lbs, n * lbs);
			if (xpwrite(fd, buf, n * lbs, (off_t)(at * lbs)))
				return 1;
			writes++;
		} else {
			unsigned char *rb = buf + step * (i % 8) % 4096;

			if (xpread(fd, rb, n * lbs, (off_t)(at * lbs)))
				return 1;
			if (memcmp(rb, shadow + at * lbs, n * lbs)) {
				fprintf(stderr, "nbgtool: mismatch reading %zu blocks at block %zu\n", n, at);
				return 1;
			}
			reads++;
		}
	}
	for (off = 0; off < span; off += chunk) {           /* everything back */
		size_t j;

		if (xpread(fd, buf, chunk, (off_t)off))
			return 1;
		if (memcmp(buf, shadow + off, chunk)) {
			fprintf(stderr, "nbgtool: mismatch in the MiB at %zu on the final read\n", off);
			return 1;
		}
		for (j = 0; j < chunk; j++)
			sum = (sum ^ buf[j]) * 1099511628211ull;
		reads++;
	}
	printf("verify %s: %lu MiB, block %u, %lu writes, %lu reads, 0 mismatches, sum %016" PRIx64 "\n",
	       dev, mib, lbs, writes, reads, sum);
	close(fd);
	return 0;
}

struct bench_arg {
	int fd, write, random;
	unsigned int bs, index, qd;
	unsigned long n;
	uint64_t seed;
	int err;
};

static void *bench_thread(void *p)
{
	struct bench_arg *a = p;
	unsigned long slots = BENCH_SPAN / a->bs, i;
	uint64_t x = a->seed;
	void *buf;

	if (posix_memalign(&buf, 4096, a->bs)) {
		a->err = 1;
		return NULL;
	}
	memset(buf, 0x5a, a->bs);
	for (i = 0; i < a->n; i++) {
		unsigned long slot;

		if (a->random) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			slot = x % slots;
		} else {
			slot = (i * a->qd + a->index) % slots;
		}
		if (a->write ? xpwrite(a->fd, buf, a->bs, (off_t)slot * a->bs)
			     : xpread(a->fd, buf, a->bs, (off_t)slot * a->bs)) {
			a->err = 1;
			break;
		}
	}
	free(buf);
	return NULL;
}

static uint64_t tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static int cmd_bench(const char *dev, const char *mode, unsigned int bs, unsigned int qd,
		     unsigned long n)
{
	struct bench_arg args[64];
	pthread_t th[64];
	struct timespec t0, t1;
	uint64_t c0, c1;
	unsigned int lbs, i;
	double secs;
	int fd = open_dev(dev, &lbs), err = 0, w, r;

	if (fd < 0)
		return 1;
	w = strstr(mode, "write") != NULL;
	r = strncmp(mode, "rand", 4) == 0;
	if (qd < 1 || qd > 64 || bs < lbs || bs % lbs || bs > BENCH_SPAN || n < qd) {
		fprintf(stderr, "nbgtool: bench: bad size %u, depth %u or count %lu\n", bs, qd, n);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	c0 = tsc();
	for (i = 0; i < qd; i++) {
		args[i] = (struct bench_arg){ .fd = fd, .write = w, .random = r, .bs = bs, .index = i,
					      .qd = qd, .n = n / qd, .seed = 0x9e3779b97f4a7c15ull * (i + 1) };
		if (pthread_create(&th[i], NULL, bench_thread, &args[i])) {
			fprintf(stderr, "nbgtool: pthread_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < qd; i++) {
		pthread_join(th[i], NULL);
		err |= args[i].err;
	}
	c1 = tsc();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);
	if (err)
		return 1;
	n = n / qd * qd;
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("bench %s %s bs %u qd %u: %lu ios in %.3f s, %.0f iops, %" PRIu64 " ticks/io\n", dev,
	       mode, bs, qd, n, secs, secs > 0 ? (double)n / secs : 0.0, (c1 - c0) / n);
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "verify") == 0)
		return cmd_verify(argv[2], strtoul(argv[3], NULL, 0), strtoul(argv[4], NULL, 0),
				  argc == 6 ? strtoul(argv[5], NULL, 0) : 0);
	if (argc == 7 && strcmp(argv[1], "bench") == 0)
		return cmd_bench(argv[2], argv[3], (unsigned int)strtoul(argv[4], NULL, 0),
				 (unsigned int)strtoul(argv[5], NULL, 0), strtoul(argv[6], NULL, 0));
	fprintf(stderr, "usage: nbgtool verify DEV MIB SEED [STEP] | bench DEV MODE BS QD N\n");
	return 2;
}
