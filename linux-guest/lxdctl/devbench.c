/*
 * lxd-devbench: TSC cycles per read/write call on a character device, with
 * K processes in flight (issue 11 item 6).  Run against the same driver
 * built as an ordinary module and built into an LXD behind generated glue
 * (lxdecho), the difference is what one generated cross-domain call costs;
 * the syscall and VFS path is the same in both.  In Bochs the TSC counts
 * emulated instructions, so the figures are instructions per call.
 *
 * Usage: lxd-devbench PATH N K
 *   each of K processes opens PATH and does N/K rounds of an 8-byte pwrite
 *   and an 8-byte pread at offset 0, checking what it reads is a whole
 *   write; the span is from the first process's start to the last one's end.
 * Prints: "devbench: PATH: K in flight, CALLS calls, C cycles per call"
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct span {
	volatile uint64_t start, end;
	volatile int bad;
};

static uint64_t tsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static void child(const char *path, unsigned long rounds, unsigned id, struct span *s,
		  volatile int *go)
{
	char out[9], in[9];
	unsigned long i;
	int fd = open(path, O_RDWR);

	if (fd < 0) {
		fprintf(stderr, "devbench: open %s: %s\n", path, strerror(errno));
		s->bad = 1;
		_exit(1);
	}
	while (!*go)
		usleep(1000);
	s->start = tsc();
	for (i = 0; i < rounds; i++) {
		snprintf(out, sizeof(out), "%02u%06lu", id % 100, i % 1000000);
		if (pwrite(fd, out, 8, 0) != 8 || pread(fd, in, 8, 0) != 8) {
			fprintf(stderr, "devbench: %s: call %lu failed: %s\n", path, i, strerror(errno));
			s->bad = 1;
			break;
		}
		in[8] = 0;
		if (strspn(in, "0123456789") != 8)   /* one whole write, of any process */
			s->bad = 1;
	}
	s->end = tsc();
	close(fd);
	_exit(s->bad);
}

int main(int argc, char **argv)
{
	struct span *s;
	volatile int *go;
	unsigned long n, k, i;
	uint64_t first = UINT64_MAX, last = 0;
	int bad = 0, status;

	if (argc != 4 || (n = strtoul(argv[2], NULL, 10)) == 0 ||
	    (k = strtoul(argv[3], NULL, 10)) == 0 || k > 64 || n < k) {
		fprintf(stderr, "usage: lxd-devbench PATH N K  (1 <= K <= 64, K <= N)\n");
		return 2;
	}
	s = mmap(NULL, 4096 * 4, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		return 1;
	go = (volatile int *)((char *)s + 4096 * 3);
	for (i = 0; i < k; i++) {
		pid_t p = fork();

		if (p < 0) {
			fprintf(stderr, "devbench: fork: %s\n", strerror(errno));
			return 1;
		}
		if (p == 0)
			child(argv[1], n / k, (unsigned)i, &s[i], go);
	}
	*go = 1;
	for (i = 0; i < k; i++)
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad = 1;
	for (i = 0; i < k; i++) {
		if (s[i].bad || s[i].end == 0)
			bad = 1;
		if (s[i].start < first)
			first = s[i].start;
		if (s[i].end > last)
			last = s[i].end;
	}
	if (bad) {
		fprintf(stderr, "devbench: %s: a process failed or read a torn message\n", argv[1]);
		return 1;
	}
	printf("devbench: %s: %lu in flight, %lu calls, %.0f cycles per call\n", argv[1], k,
	       n / k * k * 2, (double)(last - first) / (double)(n / k * k * 2));
	return 0;
}
