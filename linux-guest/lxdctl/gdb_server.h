/*
 * gdb_server: a gdb remote-protocol server over an abstract target, so the same
 * engine serves an LXD through /dev/lxd (lxdctl gdb) and a fake target in the
 * host tests.  Domains are gdb's threads (all-stop: gdb sees every attached
 * domain stopped when one stops); registers are x86-64's, described to gdb by
 * a target description (qXfer:features:read:target.xml).
 */
#ifndef LXDCTL_GDB_SERVER_H
#define LXDCTL_GDB_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gdb_rsp.h"

#define GDB_MAX_THREADS 64

/* The registers gdb sees, in the target description's order. */
struct gdb_regs {
	uint64_t gpr[16];       /* rax rbx rcx rdx rsi rdi rbp rsp r8 .. r15 */
	uint64_t rip;
	uint32_t eflags;
	uint32_t seg[6];        /* cs ss ds es fs gs (selectors) */
	uint64_t fs_base, gs_base;
	uint64_t cr0, cr2, cr3, cr4;
};

struct gdb_thread {
	int id;                 /* > 0: gdb's thread id (the domain id) */
	char name[32];
	char state[48];         /* "running", "stopped", "crashed: EPT violation" ... */
};

/* Why a thread stopped. */
struct gdb_stop {
	int thread;
	int signal;             /* GDB_SIG* */
	int watch;              /* 0, or 2 write / 3 read / 4 access watchpoint hit */
	uint64_t watch_addr;
	bool swbreak;           /* stopped by a software breakpoint (RIP is the int3's) */
	bool hwbreak;
	bool exited;            /* the thread is gone (domain destroyed) */
	int exit_code;
};

enum { GDB_SIGINT = 2, GDB_SIGILL = 4, GDB_SIGTRAP = 5, GDB_SIGFPE = 8, GDB_SIGKILL = 9,
       GDB_SIGBUS = 7, GDB_SIGSEGV = 11, GDB_SIGALRM = 14 };

/* What the server needs from a target.  Every call returns 0 (or a count) on
 * success and -errno on failure; the server turns failures into "Exx" replies. */
struct gdb_target_ops {
	int (*threads)(void *t, struct gdb_thread *out, int max);
	int (*get_regs)(void *t, int thread, struct gdb_regs *r);
	int (*set_regs)(void *t, int thread, const struct gdb_regs *r);
	/* bytes read/written from the start of [va, va+len) (short when a page is
	 * missing), or -errno when not even the first byte is accessible */
	long (*read_mem)(void *t, int thread, uint64_t va, void *buf, size_t len);
	long (*write_mem)(void *t, int thread, uint64_t va, const void *buf, size_t len);
	/* resume every attached thread; `step_thread` (> 0) single-steps that one */
	int (*resume)(void *t, int step_thread);
	/* stop every attached thread (gdb's interrupt) */
	int (*pause)(void *t);
	/* 1 and *s filled when a thread stopped since resume, 0 if none yet */
	int (*poll_stop)(void *t, struct gdb_stop *s);
	/* type: 0 sw breakpoint, 1 hw breakpoint, 2 write, 3 read, 4 access watchpoint */
	int (*breakpoint)(void *t, int type, uint64_t addr, int kind, bool insert);
	int (*detach)(void *t);
	int (*kill)(void *t);
};

struct gdb_server {
	const struct gdb_target_ops *ops;
	void *target;
	/* output: the server writes whole frames and acks through this */
	int (*write)(void *io, const void *buf, size_t len);
	void *io;

	struct rsp_decoder dec;
	bool no_ack;
	bool running;           /* resumed; a stop reply is owed */
	bool done;              /* detached or killed: the session is over */
	int g_thread;           /* thread for g/G/p/P/m/M (Hg) */
	int c_thread;           /* thread for c/s (Hc); -1/0 = any */
	struct gdb_stop last;   /* for '?' */
	char threads_sent;      /* qfThreadInfo sends all at once */
	size_t last_len;        /* the last frame, for a '-' */
	char last_frame[2 * RSP_MAX_PAYLOAD + 8];
	char reply[RSP_MAX_PAYLOAD + 1];
	size_t reply_len;
	unsigned long packets, bad_packets;
};

void gdb_server_init(struct gdb_server *s, const struct gdb_target_ops *ops, void *target,
		     int (*write)(void *io, const void *buf, size_t len), void *io);

/* Feeds bytes received from gdb; replies go out through s->write.  Returns
 * false once the session is over (detach, kill, or a write failure). */
bool gdb_server_feed(struct gdb_server *s, const void *buf, size_t len);

/* While the target runs: asks it whether a thread stopped and, if so, sends
 * the stop reply.  Returns true if one was sent. */
bool gdb_server_poll(struct gdb_server *s);

/* Serves one gdb on a file descriptor (a tty or a socket) until detach, kill
 * or EOF.  Returns 0, or -errno on an I/O error. */
int gdb_server_run_fd(struct gdb_server *s, int fd);

/* The target description the server sends (for tests). */
extern const char gdb_target_xml[];

#endif
