/* What a guest leaves in a core's registers beyond the VMCS, and its reset. */
#ifndef X86_CORE_STATE_H
#define X86_CORE_STATE_H

/*
 * x87/SSE/AVX (and every XSAVE component XCR0 enables) to the init state,
 * MXCSR 0x1F80, CR2 0, TPR 0, KERNEL_GS_BASE 0, PKRU 0, DR0-3 0, DR6 to
 * its init value.  Between two guests on the same core.
 */
void x86_core_state_reset(void);

#endif
