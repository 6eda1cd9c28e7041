/*
 * Reading a guest's memory by its virtual address, for either backend: its
 * own 4-level page tables (the paging registers given), then its stage-2
 * table.  Only write-back memory (RAM) the hypervisor maps is read; anything
 * else (unmapped, device memory, not long mode) is -EFAULT, never a
 * hypervisor fault.  Everything read is guest-controlled.
 */
#ifndef X86_GUEST_MEM_H
#define X86_GUEST_MEM_H

#include <lxds/types.h>

struct ept;

struct guest_paging {
    uint64_t cr0, cr3, cr4, efer;
};

int x86_guest_read(const struct ept *ept, const struct guest_paging *p, uint64_t gva,
                   void *buf, size_t len);
/* As much of the X86_MAX_INSN bytes at gva as can be read (an instruction may end
 * just before an unmapped page): the count, 0 if none. */
size_t x86_guest_fetch_insn(const struct ept *ept, const struct guest_paging *p, uint64_t gva,
                            uint8_t *buf);

#endif
