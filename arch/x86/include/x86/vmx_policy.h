/* A domain kind's exit policy as VMX bitmaps (arch/x86/vmx/policy_bitmaps.c). */
#ifndef X86_VMX_POLICY_H
#define X86_VMX_POLICY_H

#include <lxds/exit_policy.h>

#define VMX_IO_BITMAP_BYTES  8192       /* bitmaps A and B: one bit per port, 1 = exit */
#define VMX_MSR_BITMAP_BYTES 4096       /* read low/high, write low/high: 1 = exit */

/*
 * Fills the I/O bitmaps (A then B, contiguous) and the MSR bitmap from p:
 * a bit is clear (no exit) only where p passes the access to the hardware;
 * denied and emulated accesses exit, and so does every MSR outside the two
 * ranges the bitmap covers (0-0x1FFF, 0xC0000000-0xC0001FFF).  A NULL
 * policy intercepts everything.
 */
void vmx_policy_bitmaps(const struct exit_policy *p, uint8_t *io, uint8_t *msr);

#endif
