/* A domain kind's exit policy as SVM permission maps (arch/x86/svm/policy_maps.c). */
#ifndef X86_SVM_POLICY_H
#define X86_SVM_POLICY_H

#include <lxds/exit_policy.h>

#define SVM_IOPM_BYTES   12288      /* 3 pages: one bit per port, 1 = intercept */
#define SVM_MSRPM_BYTES  8192       /* 2 pages: two bits per MSR (read, write), 1 = intercept */

/* The MSRs the SVM backend keeps in the VMCB and emulates itself whatever
 * the policy says of them (the policy still decides whether the domain may
 * read or write them): EFER (SVME must stay set and is hidden) and PAT
 * (the guest's is the VMCB's G_PAT). */
bool svm_msr_backend_owned(uint32_t msr);

/*
 * Fills the IOPM and the MSRPM from p: a bit is clear (no intercept) only
 * where p passes the access to the hardware.  Denied and emulated accesses
 * intercept, and so do: the IOPM's bits past port 0xFFFF (an access that
 * runs past the last port), every MSR outside the MSRPM's three ranges
 * (0-0x1FFF, 0xC0000000-0xC0001FFF, 0xC0010000-0xC0011FFF: the CPU
 * intercepts those always), and the backend-owned MSRs.  A NULL policy
 * intercepts everything.
 */
void svm_policy_maps(const struct exit_policy *p, uint8_t *iopm, uint8_t *msrpm);

#endif
