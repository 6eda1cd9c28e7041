/*
 * The gdb server over the fake target on stdin/stdout, for real gdb:
 *     gdb -batch -ex 'target remote | rsp_fake' ...
 * (see gdb-real.sh).  When gdb detaches or leaves, writes a summary line to
 * the file $RSP_FAKE_SUMMARY (or stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fake_target.h"

static int write_fd(void *io, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(*(int *)io, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int main(void)
{
	static struct fake_target f;
	static struct gdb_server s;
	int out = 1;

	fake_target_init(&f);
	gdb_server_init(&s, &fake_ops, &f, write_fd, &out);
	int rc = gdb_server_run_fd(&s, 0);
	const char *path = getenv("RSP_FAKE_SUMMARY");
	FILE *sum = path ? fopen(path, "w") : NULL;

	fprintf(sum ? sum : stderr, "rsp_fake: %lu packets, %lu bad, detached %d, killed %d, rc %d\n",
		s.packets, s.bad_packets, f.detached, f.killed, rc);
	if (sum)
		fclose(sum);
	return rc ? 1 : 0;
}
