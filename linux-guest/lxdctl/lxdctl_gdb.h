/* lxdctl gdb (lxdctl_gdb.c): serve gdb for one domain until it detaches. */
#ifndef LXDCTL_GDB_H
#define LXDCTL_GDB_H

#include <stdint.h>

/* tty: a serial device path, or NULL to listen on TCP tcp_port.  Returns the
 * exit status (0 ok, 1 failed). */
int lxdctl_gdb(int lxd_fd, uint32_t id, const char *name, const char *tty, int tcp_port);

#endif
