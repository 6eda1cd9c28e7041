/* lxdctl gdb (lxdctl_gdb.c): serve gdb for one or more domains until it detaches. */
#ifndef LXDCTL_GDB_H
#define LXDCTL_GDB_H

#include <stdint.h>

#define LXDCTL_GDB_MAX_DOMAINS 8

struct lxdctl_gdb_domain {
	uint32_t id;
	const char *name;
	int start;              /* loaded, not started: start it held at its first instruction */
};

/* Serves gdb for doms[0..n-1] (gdb's threads 1..n) until it detaches or kills.
 * tty: a serial device path, or NULL to listen on TCP tcp_port.  Returns the
 * exit status (0 ok, 1 failed). */
int lxdctl_gdb(int lxd_fd, const struct lxdctl_gdb_domain *doms, int n, const char *tty,
	       int tcp_port);

#endif
