/* VMX: capability MSRs, control bits, VMCS field encodings (SDM Vol. 3, Appendix A/B). */
#ifndef X86_VMX_H
#define X86_VMX_H

#include <lxds/types.h>

/* Capability MSRs */
#define MSR_IA32_VMX_BASIC            0x480
#define MSR_IA32_VMX_PINBASED_CTLS    0x481
#define MSR_IA32_VMX_PROCBASED_CTLS   0x482
#define MSR_IA32_VMX_EXIT_CTLS        0x483
#define MSR_IA32_VMX_ENTRY_CTLS       0x484
#define MSR_IA32_VMX_MISC             0x485
#define MSR_IA32_VMX_CR0_FIXED0       0x486
#define MSR_IA32_VMX_CR0_FIXED1       0x487
#define MSR_IA32_VMX_CR4_FIXED0       0x488
#define MSR_IA32_VMX_CR4_FIXED1       0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2  0x48B
#define MSR_IA32_VMX_EPT_VPID_CAP     0x48C
#define MSR_IA32_VMX_TRUE_PINBASED    0x48D
#define MSR_IA32_VMX_TRUE_PROCBASED   0x48E
#define MSR_IA32_VMX_TRUE_EXIT        0x48F
#define MSR_IA32_VMX_TRUE_ENTRY       0x490
#define MSR_IA32_PAT                  0x277

#define VMX_BASIC_TRUE_CTLS           (1ull << 55)

#define FEATURE_CONTROL_LOCKED        (1ull << 0)
#define FEATURE_CONTROL_VMX_IN_SMX    (1ull << 1)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ull << 2)

/* Pin-based controls */
#define PIN_EXTERNAL_INTERRUPT_EXITING (1u << 0)
#define PIN_NMI_EXITING               (1u << 3)
#define PIN_VIRTUAL_NMIS              (1u << 5)
#define PIN_PREEMPTION_TIMER          (1u << 6)

/* Primary processor-based controls */
#define PROC_INTERRUPT_WINDOW         (1u << 2)
#define PROC_HLT_EXITING              (1u << 7)
#define PROC_INVLPG_EXITING           (1u << 9)
#define PROC_MWAIT_EXITING            (1u << 10)
#define PROC_RDPMC_EXITING            (1u << 11)
#define PROC_RDTSC_EXITING            (1u << 12)
#define PROC_CR3_LOAD_EXITING         (1u << 15)
#define PROC_CR3_STORE_EXITING        (1u << 16)
#define PROC_CR8_LOAD_EXITING         (1u << 19)
#define PROC_CR8_STORE_EXITING        (1u << 20)
#define PROC_MOV_DR_EXITING           (1u << 23)
#define PROC_UNCOND_IO_EXITING        (1u << 24)
#define PROC_USE_IO_BITMAPS           (1u << 25)
#define PROC_MONITOR_TRAP_FLAG        (1u << 27)
#define PROC_USE_MSR_BITMAPS          (1u << 28)
#define PROC_MONITOR_EXITING          (1u << 29)
#define PROC_SECONDARY_CONTROLS       (1u << 31)

/* Secondary processor-based controls */
#define PROC2_ENABLE_EPT              (1u << 1)
#define PROC2_DESCRIPTOR_EXITING      (1u << 2)
#define PROC2_ENABLE_RDTSCP           (1u << 3)
#define PROC2_ENABLE_VPID             (1u << 5)
#define PROC2_WBINVD_EXITING          (1u << 6)
#define PROC2_UNRESTRICTED_GUEST      (1u << 7)
#define PROC2_ENABLE_INVPCID          (1u << 12)
#define PROC2_ENABLE_XSAVES           (1u << 20)

/* VM-exit controls */
#define EXIT_SAVE_DEBUG_CONTROLS      (1u << 2)
#define EXIT_HOST_ADDR_SPACE_SIZE     (1u << 9)
#define EXIT_ACK_INTERRUPT            (1u << 15)
#define EXIT_SAVE_PAT                 (1u << 18)
#define EXIT_LOAD_PAT                 (1u << 19)
#define EXIT_SAVE_EFER                (1u << 20)
#define EXIT_LOAD_EFER                (1u << 21)

/* VM-entry controls */
#define ENTRY_LOAD_DEBUG_CONTROLS     (1u << 2)
#define ENTRY_IA32E_MODE_GUEST        (1u << 9)
#define ENTRY_LOAD_PAT                (1u << 14)
#define ENTRY_LOAD_EFER               (1u << 15)

/* IA32_VMX_EPT_VPID_CAP */
#define EPT_CAP_WALK_4                (1ull << 6)
#define EPT_CAP_WB                    (1ull << 14)
#define EPT_CAP_2M                    (1ull << 16)
#define EPT_CAP_1G                    (1ull << 17)
#define EPT_CAP_INVEPT                (1ull << 20)
#define EPT_CAP_AD                    (1ull << 21)
#define EPT_CAP_INVEPT_SINGLE         (1ull << 25)
#define EPT_CAP_INVEPT_ALL            (1ull << 26)
#define VPID_CAP_INVVPID              (1ull << 32)
#define VPID_CAP_INVVPID_SINGLE       (1ull << 41)
#define VPID_CAP_INVVPID_ALL          (1ull << 42)

/* VMCS field encodings */
enum vmcs_field {
    VMCS_VPID = 0x0000,
    GUEST_ES_SEL = 0x0800, GUEST_CS_SEL = 0x0802, GUEST_SS_SEL = 0x0804, GUEST_DS_SEL = 0x0806,
    GUEST_FS_SEL = 0x0808, GUEST_GS_SEL = 0x080A, GUEST_LDTR_SEL = 0x080C, GUEST_TR_SEL = 0x080E,
    HOST_ES_SEL = 0x0C00, HOST_CS_SEL = 0x0C02, HOST_SS_SEL = 0x0C04, HOST_DS_SEL = 0x0C06,
    HOST_FS_SEL = 0x0C08, HOST_GS_SEL = 0x0C0A, HOST_TR_SEL = 0x0C0C,

    IO_BITMAP_A = 0x2000, IO_BITMAP_B = 0x2002, MSR_BITMAP = 0x2004,
    EXIT_MSR_STORE_ADDR = 0x2006, EXIT_MSR_LOAD_ADDR = 0x2008, ENTRY_MSR_LOAD_ADDR = 0x200A,
    TSC_OFFSET = 0x2010, EPT_POINTER = 0x201A,
    GUEST_PHYSICAL_ADDRESS = 0x2400,
    VMCS_LINK_POINTER = 0x2800, GUEST_IA32_DEBUGCTL = 0x2802, GUEST_IA32_PAT = 0x2804,
    GUEST_IA32_EFER = 0x2806,
    HOST_IA32_PAT = 0x2C00, HOST_IA32_EFER = 0x2C02,

    PIN_BASED_CONTROLS = 0x4000, PROC_BASED_CONTROLS = 0x4002, EXCEPTION_BITMAP = 0x4004,
    PF_ERROR_CODE_MASK = 0x4006, PF_ERROR_CODE_MATCH = 0x4008, CR3_TARGET_COUNT = 0x400A,
    EXIT_CONTROLS = 0x400C, EXIT_MSR_STORE_COUNT = 0x400E, EXIT_MSR_LOAD_COUNT = 0x4010,
    ENTRY_CONTROLS = 0x4012, ENTRY_MSR_LOAD_COUNT = 0x4014, ENTRY_INTERRUPTION_INFO = 0x4016,
    ENTRY_EXCEPTION_ERROR_CODE = 0x4018, ENTRY_INSTRUCTION_LENGTH = 0x401A,
    TPR_THRESHOLD = 0x401C, PROC_BASED_CONTROLS2 = 0x401E,

    VM_INSTRUCTION_ERROR = 0x4400, EXIT_REASON = 0x4402, EXIT_INTERRUPTION_INFO = 0x4404,
    EXIT_INTERRUPTION_ERROR_CODE = 0x4406, IDT_VECTORING_INFO = 0x4408,
    IDT_VECTORING_ERROR_CODE = 0x440A, EXIT_INSTRUCTION_LENGTH = 0x440C,
    EXIT_INSTRUCTION_INFO = 0x440E,

    GUEST_ES_LIMIT = 0x4800, GUEST_CS_LIMIT = 0x4802, GUEST_SS_LIMIT = 0x4804,
    GUEST_DS_LIMIT = 0x4806, GUEST_FS_LIMIT = 0x4808, GUEST_GS_LIMIT = 0x480A,
    GUEST_LDTR_LIMIT = 0x480C, GUEST_TR_LIMIT = 0x480E, GUEST_GDTR_LIMIT = 0x4810,
    GUEST_IDTR_LIMIT = 0x4812,
    GUEST_ES_AR = 0x4814, GUEST_CS_AR = 0x4816, GUEST_SS_AR = 0x4818, GUEST_DS_AR = 0x481A,
    GUEST_FS_AR = 0x481C, GUEST_GS_AR = 0x481E, GUEST_LDTR_AR = 0x4820, GUEST_TR_AR = 0x4822,
    GUEST_INTERRUPTIBILITY = 0x4824, GUEST_ACTIVITY_STATE = 0x4826,
    GUEST_SYSENTER_CS = 0x482A, GUEST_PREEMPTION_TIMER = 0x482E,
    HOST_SYSENTER_CS = 0x4C00,

    CR0_GUEST_HOST_MASK = 0x6000, CR4_GUEST_HOST_MASK = 0x6002,
    CR0_READ_SHADOW = 0x6004, CR4_READ_SHADOW = 0x6006,
    EXIT_QUALIFICATION = 0x6400, GUEST_LINEAR_ADDRESS = 0x640A,
    GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804,
    GUEST_ES_BASE = 0x6806, GUEST_CS_BASE = 0x6808, GUEST_SS_BASE = 0x680A,
    GUEST_DS_BASE = 0x680C, GUEST_FS_BASE = 0x680E, GUEST_GS_BASE = 0x6810,
    GUEST_LDTR_BASE = 0x6812, GUEST_TR_BASE = 0x6814, GUEST_GDTR_BASE = 0x6816,
    GUEST_IDTR_BASE = 0x6818, GUEST_DR7 = 0x681A, GUEST_RSP = 0x681C, GUEST_RIP = 0x681E,
    GUEST_RFLAGS = 0x6820, GUEST_PENDING_DBG = 0x6822, GUEST_SYSENTER_ESP = 0x6824,
    GUEST_SYSENTER_EIP = 0x6826,
    HOST_CR0 = 0x6C00, HOST_CR3 = 0x6C02, HOST_CR4 = 0x6C04, HOST_FS_BASE = 0x6C06,
    HOST_GS_BASE = 0x6C08, HOST_TR_BASE = 0x6C0A, HOST_GDTR_BASE = 0x6C0C,
    HOST_IDTR_BASE = 0x6C0E, HOST_SYSENTER_ESP = 0x6C10, HOST_SYSENTER_EIP = 0x6C12,
    HOST_RSP = 0x6C14, HOST_RIP = 0x6C16,
};

/* Basic exit reasons */
enum vmx_exit_reason {
    EXIT_EXCEPTION_NMI = 0, EXIT_EXTERNAL_INTERRUPT = 1, EXIT_TRIPLE_FAULT = 2,
    EXIT_INIT = 3, EXIT_SIPI = 4, EXIT_INTERRUPT_WINDOW = 7, EXIT_NMI_WINDOW = 8,
    EXIT_TASK_SWITCH = 9, EXIT_CPUID = 10, EXIT_GETSEC = 11, EXIT_HLT = 12, EXIT_INVD = 13,
    EXIT_INVLPG = 14, EXIT_RDPMC = 15, EXIT_RDTSC = 16, EXIT_RSM = 17, EXIT_VMCALL = 18,
    EXIT_VMCLEAR = 19, EXIT_VMLAUNCH = 20, EXIT_VMPTRLD = 21, EXIT_VMPTRST = 22,
    EXIT_VMREAD = 23, EXIT_VMRESUME = 24, EXIT_VMWRITE = 25, EXIT_VMXOFF = 26, EXIT_VMXON = 27,
    EXIT_CR_ACCESS = 28, EXIT_DR_ACCESS = 29, EXIT_IO = 30, EXIT_RDMSR = 31, EXIT_WRMSR = 32,
    EXIT_INVALID_GUEST_STATE = 33, EXIT_MSR_LOADING = 34, EXIT_MWAIT = 36, EXIT_MTF = 37,
    EXIT_MONITOR = 39, EXIT_PAUSE = 40, EXIT_MACHINE_CHECK = 41, EXIT_TPR_BELOW = 43,
    EXIT_APIC_ACCESS = 44, EXIT_EOI = 45, EXIT_GDTR_IDTR = 46, EXIT_LDTR_TR = 47,
    EXIT_EPT_VIOLATION = 48, EXIT_EPT_MISCONFIG = 49, EXIT_INVEPT = 50, EXIT_RDTSCP = 51,
    EXIT_PREEMPTION_TIMER = 52, EXIT_INVVPID = 53, EXIT_WBINVD = 54, EXIT_XSETBV = 55,
    EXIT_APIC_WRITE = 56, EXIT_RDRAND = 57, EXIT_INVPCID = 58, EXIT_VMFUNC = 59,
    EXIT_ENCLS = 60, EXIT_RDSEED = 61, EXIT_PML_FULL = 62, EXIT_XSAVES = 63, EXIT_XRSTORS = 64,
    EXIT_REASON_MAX = 65,
};
#define EXIT_REASON_ENTRY_FAILURE (1u << 31)

/* VMX instructions.  Each returns 0, or -EIO when the CPU reports VMfail. */
static inline int vmx_on(uint64_t pa)
{
    uint8_t fail;
    __asm__ volatile("vmxon %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
    return fail ? -5 : 0;
}

static inline int vmx_clear(uint64_t pa)
{
    uint8_t fail;
    __asm__ volatile("vmclear %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
    return fail ? -5 : 0;
}

static inline int vmx_ptrld(uint64_t pa)
{
    uint8_t fail;
    __asm__ volatile("vmptrld %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
    return fail ? -5 : 0;
}

static inline uint64_t vmread(enum vmcs_field f)
{
    uint64_t v = 0;
    __asm__ volatile("vmread %1, %0" : "=rm"(v) : "r"((uint64_t)f) : "cc");
    return v;
}

/* VMWRITE; a failure is counted per core and reported by vmcs_check_writes(). */
int vmwrite(enum vmcs_field f, uint64_t v);

/* INVEPT/INVVPID types */
#define INVEPT_SINGLE  1
#define INVEPT_ALL     2
#define INVVPID_SINGLE 1
#define INVVPID_ALL    2

static inline void invept(uint64_t type, uint64_t eptp)
{
    struct { uint64_t eptp, zero; } d = { eptp, 0 };
    __asm__ volatile("invept %0, %1" :: "m"(d), "r"(type) : "cc", "memory");
}

static inline void invvpid(uint64_t type, uint16_t vpid)
{
    struct { uint64_t vpid, addr; } d = { vpid, 0 };
    __asm__ volatile("invvpid %0, %1" :: "m"(d), "r"(type) : "cc", "memory");
}

/* VMXON on this core (arch/x86/vmx/vmx_cpu.c); 0 or a negative errno, explained. */
int vmx_cpu_enable(unsigned int cpu);
/* Each other core as it comes up: VMXON when the boot core found VT-x usable. */
void vmx_secondary_cpu_init(unsigned int cpu);

#endif
