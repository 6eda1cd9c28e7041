/*
 * gdb_hwbp: gdb's hardware breakpoints and watchpoints (Z1, Z2, Z4) as x86's
 * four debug-register slots: which gdb request holds which slot, checked
 * against what the hardware can match, and which request a matched slot
 * answers.  Pure bookkeeping (host-tested); lxdctl_gdb.c loads the slots
 * into every attached domain by LXDS_DBG_SET_HWBP.
 */
#ifndef LXDCTL_GDB_HWBP_H
#define LXDCTL_GDB_HWBP_H

#include <stdint.h>

#define GDB_HWBP_SLOTS 4

/* gdb's Z types */
enum { GDB_Z_SW = 0, GDB_Z_HW = 1, GDB_Z_WRITE = 2, GDB_Z_READ = 3, GDB_Z_ACCESS = 4 };

struct gdb_hwbp_slot {
	int type;               /* GDB_Z_HW, _WRITE or _ACCESS; 0 = free */
	uint64_t addr;
	int len;
	int refs;               /* gdb may insert the same one twice */
};

struct gdb_hwbp_table {
	struct gdb_hwbp_slot slot[GDB_HWBP_SLOTS];
};

/*
 * Checks a Z request: -ENOSYS for what x86 has no hardware for (Z0 is gdb's
 * int3, Z3 a read-only watchpoint: gdb then uses Z4 for it), -EINVAL for
 * a length other than 1 (Z1) or 1, 2, 4, 8 (watchpoints), or an address not
 * aligned to it.
 */
int gdb_hwbp_check(int type, uint64_t addr, int len);

/* Returns the slot to load (>= 0; *fresh when it was free before) or -errno:
 * the check above, or -ENOSPC when all four are taken. */
int gdb_hwbp_insert(struct gdb_hwbp_table *t, int type, uint64_t addr, int len, int *fresh);

/* Returns the slot (>= 0; *last when it is free now: unload it) or -ENOENT. */
int gdb_hwbp_remove(struct gdb_hwbp_table *t, int type, uint64_t addr, int len, int *last);

/* The slot gdb should hear of among hits (bit n = slot n): a watchpoint
 * before an execution breakpoint (gdb checks its value), or -1. */
int gdb_hwbp_reported(const struct gdb_hwbp_table *t, uint32_t hits);

#endif
