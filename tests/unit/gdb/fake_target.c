/*
 * A pretend target for the gdb server: two domains as threads, "echo" (id 1,
 * stopped at its entry) and "probe" (id 2, crashed by an EPT violation), a code
 * page of NOPs at 0x400000 and a stack page.  "Running" thread 1 walks its RIP
 * forward over the NOPs: it stops at the first Z0 breakpoint (RIP = the
 * breakpoint, swbreak) or after an int3 byte written into the code (RIP past
 * it, as the CPU leaves it), and otherwise runs until paused (SIGINT).  A step
 * moves RIP by one byte.  Enough to drive every protocol path with real gdb.
 */
#include <errno.h>
#include <string.h>

#include "fake_target.h"

static int fake_threads(void *t, struct gdb_thread *out, int max)
{
	struct fake_target *f = t;
	int n = 0;

	if (n < max) {
		out[n] = (struct gdb_thread){ .id = 1 };
		strcpy(out[n].name, "echo");
		strcpy(out[n].state, f->running ? "running" : "stopped");
		n++;
	}
	if (n < max) {
		out[n] = (struct gdb_thread){ .id = 2 };
		strcpy(out[n].name, "probe");
		strcpy(out[n].state, "crashed: EPT violation");
		n++;
	}
	return n;
}

static struct gdb_regs *regs_of(struct fake_target *f, int thread)
{
	return thread == 1 || thread == 2 ? &f->regs[thread - 1] : NULL;
}

static int fake_get_regs(void *t, int thread, struct gdb_regs *r)
{
	struct gdb_regs *src = regs_of(t, thread);

	if (!src)
		return -ESRCH;
	*r = *src;
	return 0;
}

static int fake_set_regs(void *t, int thread, const struct gdb_regs *r)
{
	struct gdb_regs *dst = regs_of(t, thread);

	if (!dst)
		return -ESRCH;
	*dst = *r;
	return 0;
}

/* The backing bytes of [va, va+len) clipped to one region; NULL if va is in none. */
static uint8_t *fake_mem(struct fake_target *f, uint64_t va, size_t len, size_t *avail)
{
	if (va >= FAKE_CODE_VA && va < FAKE_CODE_VA + FAKE_CODE_SIZE) {
		*avail = FAKE_CODE_VA + FAKE_CODE_SIZE - va;
		if (*avail > len)
			*avail = len;
		return f->code + (va - FAKE_CODE_VA);
	}
	if (va >= FAKE_STACK_VA && va < FAKE_STACK_VA + FAKE_STACK_SIZE) {
		*avail = FAKE_STACK_VA + FAKE_STACK_SIZE - va;
		if (*avail > len)
			*avail = len;
		return f->stack + (va - FAKE_STACK_VA);
	}
	return NULL;
}

static long fake_read_mem(void *t, int thread, uint64_t va, void *buf, size_t len)
{
	size_t n;
	uint8_t *p = fake_mem(t, va, len, &n);

	if (!regs_of(t, thread))
		return -ESRCH;
	if (!p)
		return -EFAULT;
	memcpy(buf, p, n);
	return (long)n;
}

static long fake_write_mem(void *t, int thread, uint64_t va, const void *buf, size_t len)
{
	size_t n;
	uint8_t *p = fake_mem(t, va, len, &n);

	if (!regs_of(t, thread))
		return -ESRCH;
	if (!p)
		return -EFAULT;
	memcpy(p, buf, n);
	return (long)n;
}

static bool has_bp(struct fake_target *f, uint64_t va)
{
	for (int i = 0; i < f->nbp; i++)
		if (f->bp[i] == va)
			return true;
	return false;
}

static void stop_now(struct fake_target *f, int sig, bool swbreak)
{
	f->running = false;
	f->pending = true;
	f->stop = (struct gdb_stop){ .thread = 1, .signal = sig, .swbreak = swbreak };
}

static int fake_resume(void *t, int step_thread)
{
	struct fake_target *f = t;
	struct gdb_regs *r = &f->regs[0];

	f->resumes++;
	if (step_thread == 2)
		return -EPERM;          /* a crashed domain does not run */
	if (step_thread == 1) {
		r->rip++;
		stop_now(f, GDB_SIGTRAP, false);
		return 0;
	}
	/* run: the first breakpoint or int3 from RIP on, else until paused */
	for (uint64_t va = r->rip; va < FAKE_CODE_VA + FAKE_CODE_SIZE; va++) {
		if (va != r->rip && has_bp(f, va)) {
			r->rip = va;
			stop_now(f, GDB_SIGTRAP, true);
			return 0;
		}
		if (va >= FAKE_CODE_VA && f->code[va - FAKE_CODE_VA] == 0xCC) {
			r->rip = va + 1;
			stop_now(f, GDB_SIGTRAP, false);
			return 0;
		}
	}
	f->running = true;
	return 0;
}

static int fake_pause(void *t)
{
	struct fake_target *f = t;

	f->pauses++;
	if (f->running)
		stop_now(f, GDB_SIGINT, false);
	return 0;
}

static int fake_poll_stop(void *t, struct gdb_stop *s)
{
	struct fake_target *f = t;

	if (!f->pending)
		return 0;
	f->pending = false;
	*s = f->stop;
	return 1;
}

static int fake_breakpoint(void *t, int type, uint64_t addr, int kind, bool insert)
{
	struct fake_target *f = t;

	(void)kind;
	if (type != 0)
		return -ENOSYS;
	if (insert) {
		if (f->nbp == FAKE_MAX_BP)
			return -ENOSPC;
		if (!has_bp(f, addr))
			f->bp[f->nbp++] = addr;
		return 0;
	}
	for (int i = 0; i < f->nbp; i++)
		if (f->bp[i] == addr) {
			f->bp[i] = f->bp[--f->nbp];
			return 0;
		}
	return -ENOENT;
}

static int fake_detach(void *t)
{
	((struct fake_target *)t)->detached++;
	return 0;
}

static int fake_kill(void *t)
{
	((struct fake_target *)t)->killed++;
	return 0;
}

const struct gdb_target_ops fake_ops = {
	.threads = fake_threads, .get_regs = fake_get_regs, .set_regs = fake_set_regs,
	.read_mem = fake_read_mem, .write_mem = fake_write_mem, .resume = fake_resume,
	.pause = fake_pause, .poll_stop = fake_poll_stop, .breakpoint = fake_breakpoint,
	.detach = fake_detach, .kill = fake_kill,
};

void fake_target_init(struct fake_target *f)
{
	memset(f, 0, sizeof(*f));
	memset(f->code, 0x90, sizeof(f->code));
	for (int i = 0; i < 2; i++) {
		struct gdb_regs *r = &f->regs[i];

		r->gpr[7] = FAKE_STACK_VA + FAKE_STACK_SIZE - 8;        /* rsp */
		r->eflags = 0x2;
		r->seg[0] = 0x8;                                        /* cs */
		r->seg[1] = 0x10;                                       /* ss */
		r->cr0 = 0x80050033;
		r->cr3 = 0x1000;
		r->cr4 = 0x20;
	}
	f->regs[0].rip = FAKE_CODE_VA;
	f->regs[0].gpr[0] = 0x1122334455667788ull;                      /* rax */
	f->regs[1].rip = FAKE_CODE_VA + 0x123;
	f->regs[1].cr2 = 0x1000000;
}
