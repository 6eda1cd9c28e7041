/* A pretend domain set for the gdb server's host tests (see fake_target.c). */
#ifndef FAKE_TARGET_H
#define FAKE_TARGET_H

#include "gdb_server.h"

#define FAKE_CODE_VA   0x400000ull
#define FAKE_CODE_SIZE 0x1000u
#define FAKE_STACK_VA  0x10000000ull
#define FAKE_STACK_SIZE 0x1000u
#define FAKE_MAX_BP 16

struct fake_target {
	uint8_t code[FAKE_CODE_SIZE];           /* NOPs (0x90) but for what tests write */
	uint8_t stack[FAKE_STACK_SIZE];
	struct gdb_regs regs[2];                /* thread 1 "echo", thread 2 "probe" */
	bool running;
	bool pending;                           /* a stop is waiting for poll_stop */
	struct gdb_stop stop;
	uint64_t bp[FAKE_MAX_BP];
	int nbp;
	int detached, killed, resumes, pauses;
};

extern const struct gdb_target_ops fake_ops;
void fake_target_init(struct fake_target *f);

#endif
