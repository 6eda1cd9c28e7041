/* SVM: Linux's writes to its read-only APIC page, from the NPF exit (svm/apic_write.c). */
#ifndef X86_SVM_APIC_WRITE_H
#define X86_SVM_APIC_WRITE_H

#include <lxds/types.h>

struct vcpu;
struct svm_exit;

/* True if the nested page fault was such a write and has been handled (resume the guest). */
bool svm_apic_write(struct vcpu *v, const struct svm_exit *e);

#endif
