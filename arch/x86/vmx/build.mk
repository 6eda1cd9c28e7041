# arch/x86/vmx/: VT-x: capabilities, VMXON, VMCS, entry/exit, vCPUs, debugger hooks.
HV_ARCH_SRCS += arch/x86/vmx/vmx_caps.c arch/x86/vmx/vmx_cpu.c arch/x86/vmx/vmcs.c \
                arch/x86/vmx/exit.c arch/x86/vmx/exit_names.c arch/x86/vmx/vcpu.c \
                arch/x86/vmx/vpid.c arch/x86/vmx/debug.c arch/x86/vmx/backend.c \
                arch/x86/vmx/policy_bitmaps.c
HV_ASM       += arch/x86/vmx/vmx_entry.asm
