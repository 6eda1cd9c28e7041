/* Names of VM-exit reasons (SDM Vol. 3, Appendix C). */
#include <lxds/compiler.h>
#include <x86/vmx.h>
#include <x86/vmx_vcpu.h>

const char *vmx_exit_reason_name(uint32_t reason)
{
    static const char *const names[EXIT_REASON_MAX] = {
        [EXIT_EXCEPTION_NMI] = "exception or NMI", [EXIT_EXTERNAL_INTERRUPT] = "external interrupt",
        [EXIT_TRIPLE_FAULT] = "triple fault", [EXIT_INIT] = "INIT signal", [EXIT_SIPI] = "SIPI",
        [EXIT_INTERRUPT_WINDOW] = "interrupt window", [EXIT_NMI_WINDOW] = "NMI window",
        [EXIT_TASK_SWITCH] = "task switch", [EXIT_CPUID] = "CPUID", [EXIT_GETSEC] = "GETSEC",
        [EXIT_HLT] = "HLT", [EXIT_INVD] = "INVD", [EXIT_INVLPG] = "INVLPG",
        [EXIT_RDPMC] = "RDPMC", [EXIT_RDTSC] = "RDTSC", [EXIT_RSM] = "RSM",
        [EXIT_VMCALL] = "VMCALL", [EXIT_VMCLEAR] = "VMCLEAR", [EXIT_VMLAUNCH] = "VMLAUNCH",
        [EXIT_VMPTRLD] = "VMPTRLD", [EXIT_VMPTRST] = "VMPTRST", [EXIT_VMREAD] = "VMREAD",
        [EXIT_VMRESUME] = "VMRESUME", [EXIT_VMWRITE] = "VMWRITE", [EXIT_VMXOFF] = "VMXOFF",
        [EXIT_VMXON] = "VMXON", [EXIT_CR_ACCESS] = "control-register access",
        [EXIT_DR_ACCESS] = "debug-register access", [EXIT_IO] = "I/O instruction",
        [EXIT_RDMSR] = "RDMSR", [EXIT_WRMSR] = "WRMSR",
        [EXIT_INVALID_GUEST_STATE] = "VM-entry failure: invalid guest state",
        [EXIT_MSR_LOADING] = "VM-entry failure: MSR loading", [EXIT_MWAIT] = "MWAIT",
        [EXIT_MTF] = "monitor trap flag", [EXIT_MONITOR] = "MONITOR", [EXIT_PAUSE] = "PAUSE",
        [EXIT_MACHINE_CHECK] = "VM-entry failure: machine check",
        [EXIT_TPR_BELOW] = "TPR below threshold", [EXIT_APIC_ACCESS] = "APIC access",
        [EXIT_EOI] = "virtualized EOI", [EXIT_GDTR_IDTR] = "GDTR/IDTR access",
        [EXIT_LDTR_TR] = "LDTR/TR access", [EXIT_EPT_VIOLATION] = "EPT violation",
        [EXIT_EPT_MISCONFIG] = "EPT misconfiguration", [EXIT_INVEPT] = "INVEPT",
        [EXIT_RDTSCP] = "RDTSCP", [EXIT_PREEMPTION_TIMER] = "VMX-preemption timer expired",
        [EXIT_INVVPID] = "INVVPID", [EXIT_WBINVD] = "WBINVD", [EXIT_XSETBV] = "XSETBV",
        [EXIT_APIC_WRITE] = "APIC write", [EXIT_RDRAND] = "RDRAND", [EXIT_INVPCID] = "INVPCID",
        [EXIT_VMFUNC] = "VMFUNC", [EXIT_ENCLS] = "ENCLS", [EXIT_RDSEED] = "RDSEED",
        [EXIT_PML_FULL] = "page-modification log full", [EXIT_XSAVES] = "XSAVES",
        [EXIT_XRSTORS] = "XRSTORS",
    };

    return reason < ARRAY_SIZE(names) && names[reason] ? names[reason] : "unknown exit reason";
}
