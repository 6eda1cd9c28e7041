# arch/x86/svm/: AMD SVM: detection, enabling, VMCB, VMRUN loop, intercepts, exits,
# instruction decoding (QEMU TCG has no next-RIP save), debugger hooks.
HV_ARCH_SRCS += arch/x86/svm/svm_cpu.c arch/x86/svm/vcpu.c arch/x86/svm/intercepts.c arch/x86/svm/policy_maps.c \
                arch/x86/svm/exit.c arch/x86/svm/decode.c arch/x86/svm/debug.c
HV_ASM       += arch/x86/svm/svm_entry.asm
# Linux's APIC-write emulation from the NPF exit (x86/linux_apic.h)
HV_ARCH_SRCS += arch/x86/svm/apic_write.c
