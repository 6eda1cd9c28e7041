/* gdb's Z1/Z2/Z4 requests in x86's four debug-register slots: see gdb_hwbp.h. */
#include <errno.h>

#include "gdb_hwbp.h"

int gdb_hwbp_check(int type, uint64_t addr, int len)
{
	if (type == GDB_Z_HW)
		return len == 1 ? 0 : -EINVAL;      /* x86: an execution match is one byte */
	if (type != GDB_Z_WRITE && type != GDB_Z_ACCESS)
		return -ENOSYS;                     /* Z0: gdb's int3; Z3: x86 has no read-only match */
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return -EINVAL;
	if (addr & (uint64_t)(len - 1))
		return -EINVAL;                     /* the hardware matches aligned ranges only */
	return 0;
}

static int find(const struct gdb_hwbp_table *t, int type, uint64_t addr, int len)
{
	for (int i = 0; i < GDB_HWBP_SLOTS; i++)
		if (t->slot[i].type == type && t->slot[i].addr == addr && t->slot[i].len == len)
			return i;
	return -1;
}

int gdb_hwbp_insert(struct gdb_hwbp_table *t, int type, uint64_t addr, int len, int *fresh)
{
	int rc = gdb_hwbp_check(type, addr, len), i;

	*fresh = 0;
	if (rc)
		return rc;
	i = find(t, type, addr, len);
	if (i >= 0) {
		if (t->slot[i].refs < 1000000)
			t->slot[i].refs++;
		return i;
	}
	for (i = 0; i < GDB_HWBP_SLOTS; i++)
		if (!t->slot[i].type) {
			t->slot[i] = (struct gdb_hwbp_slot){ .type = type, .addr = addr, .len = len,
							     .refs = 1 };
			*fresh = 1;
			return i;
		}
	return -ENOSPC;
}

int gdb_hwbp_remove(struct gdb_hwbp_table *t, int type, uint64_t addr, int len, int *last)
{
	int i = find(t, type, addr, len);

	*last = 0;
	if (i < 0 || !type)
		return -ENOENT;
	if (--t->slot[i].refs <= 0) {
		t->slot[i] = (struct gdb_hwbp_slot){ 0 };
		*last = 1;
	}
	return i;
}

int gdb_hwbp_reported(const struct gdb_hwbp_table *t, uint32_t hits)
{
	int exec = -1;

	for (int i = 0; i < GDB_HWBP_SLOTS; i++) {
		if (!(hits & (1u << i)) || !t->slot[i].type)
			continue;
		if (t->slot[i].type != GDB_Z_HW)
			return i;
		if (exec < 0)
			exec = i;
	}
	return exec;
}
