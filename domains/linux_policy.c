/*
 * Linux's exit policy: what the privileged guest may do to the machine.
 *
 * Linux owns its core and the platform's devices: the legacy PC ports, PCI
 * configuration and PCI I/O space pass through.  It does not own the
 * hypervisor's log port (COM2), machine reset or sleep (a reset would
 * restart the machine with the LXD pool intact and no hypervisor; a sleep
 * state would resume in Linux's waking vector without VMX), the VMX MSRs,
 * IA32_FEATURE_CONTROL, the local APIC's base or mode, the machine-check
 * banks, MTRRs, performance monitoring, tracing (PT, DS/PEBS/BTS) and
 * every MSR not listed below: deny by default.  A denied MSR is #GP (what
 * Linux's *_safe accessors expect of an absent MSR), a denied port reads
 * as no device and drops writes; each refusal is logged.
 *
 * The reset and sleep registers are emulated: a reset or sleep request
 * stops Linux, and the run ends with a power-off (never a warm reset).
 */
#include <lxds/arch.h>
#include <lxds/exit_policy.h>
#include <lxds/linux_guest.h>
#include <lxds/printk.h>
#include <lxds/vcpu.h>

#define PORT_KBC_DATA    0x60
#define PORT_KBC_CMD     0x64
#define PORT_SYS_CTRL_A  0x92           /* bit 0: fast reset, bit 1: A20 */
#define PORT_PCI_ADDR    0xCF8
#define PORT_RESET_CTRL  0xCF9          /* bit 2: reset the CPU */
#define KBC_CMD_RESET    0xFE           /* pulse the reset line */
#define KBC_CMD_WRITE_OUT 0xD1          /* the next data byte goes to the output port (bit 0: reset) */
#define PM1_SLP_EN       (1u << 13)

#define MSR_TSC               0x10
#define MSR_APIC_BASE         0x1B
#define MSR_FEATURE_CONTROL   0x3A

enum { PM1A, PM1B, ACPI_RESET, PM1A_EVT, PM1B_EVT, PM_TMR, GPE0, GPE1, DYNAMIC_PORTS };

/*
 * Ports: first match wins.  The emulated entries first; slots for the
 * firmware's PM1 control and reset registers are filled in at start
 * (their addresses come from the FADT).
 */
static struct policy_ports linux_ports[] = {
    /* empty (first > last) until the FADT names them */
    [PM1A] = { 1, 0, POLICY_EMULATE, "ACPI PM1a control (sleep, power-off)" },
    [PM1B] = { 1, 0, POLICY_EMULATE, "ACPI PM1b control" },
    [ACPI_RESET] = { 1, 0, POLICY_EMULATE, "ACPI reset register" },
    /* passed, wherever the firmware put them (QEMU's PIIX4: 0x600, below PCI I/O space) */
    [PM1A_EVT] = { 1, 0, POLICY_PASS, "ACPI PM1a event (status, enable)" },
    [PM1B_EVT] = { 1, 0, POLICY_PASS, "ACPI PM1b event" },
    [PM_TMR] = { 1, 0, POLICY_PASS, "ACPI PM timer" },
    [GPE0] = { 1, 0, POLICY_PASS, "ACPI GPE0 block" },
    [GPE1] = { 1, 0, POLICY_PASS, "ACPI GPE1 block" },
    { PORT_KBC_DATA, PORT_KBC_DATA, POLICY_EMULATE, "8042 data (its output port's bit 0 resets)" },
    { PORT_KBC_CMD, PORT_KBC_CMD, POLICY_EMULATE, "8042 command (0xFE resets)" },
    { PORT_SYS_CTRL_A, PORT_SYS_CTRL_A, POLICY_EMULATE, "system control port A (fast reset, A20)" },
    { PORT_RESET_CTRL, PORT_RESET_CTRL, POLICY_EMULATE, "reset control" },
    { 0x0000, 0x001F, POLICY_PASS, "DMA controller 1" },
    { 0x0020, 0x0021, POLICY_PASS, "PIC 1" },
    { 0x0040, 0x0043, POLICY_PASS, "PIT" },
    { 0x0061, 0x0061, POLICY_PASS, "NMI status and control, speaker" },
    { 0x0070, 0x0071, POLICY_PASS, "CMOS and RTC" },
    { 0x0080, 0x008F, POLICY_PASS, "DMA page registers, POST (delay) port" },
    { 0x00A0, 0x00A1, POLICY_PASS, "PIC 2" },
    { 0x00B2, 0x00B3, POLICY_PASS, "ACPI/APM SMI command" },
    { 0x00C0, 0x00DF, POLICY_PASS, "DMA controller 2" },
    { 0x00F0, 0x00FF, POLICY_PASS, "FPU error" },
    { 0x0170, 0x0177, POLICY_PASS, "IDE secondary" },
    { 0x01F0, 0x01F7, POLICY_PASS, "IDE primary" },
    { 0x02E8, 0x02EF, POLICY_PASS, "COM4 (the line lxdctl gdb serves the host's gdb on)" },
    { 0x0376, 0x0377, POLICY_PASS, "IDE secondary control" },
    { 0x03B0, 0x03DF, POLICY_PASS, "VGA" },
    { 0x03E8, 0x03EF, POLICY_PASS, "COM3" },
    { 0x03F6, 0x03F7, POLICY_PASS, "IDE primary control" },
    { 0x03F8, 0x03FF, POLICY_PASS, "COM1 (Linux's console)" },
    { 0x04D0, 0x04D1, POLICY_PASS, "ELCR (PIC trigger modes)" },
    { PORT_PCI_ADDR, PORT_PCI_ADDR, POLICY_PASS, "PCI configuration address" },
    { 0x0CFA, 0x0CFF, POLICY_PASS, "PCI configuration data" },
    { 0x1000, 0xFFFF, POLICY_PASS, "PCI I/O space (device BARs, the ACPI PM block)" },
};

/*
 * MSRs Linux 6.1 uses on this machine (x86-64, no MCE, MTRR, x2APIC or
 * PAT-MTRR code in the guest config).  Switched by the VMCS on every entry
 * and exit (EFER, PAT, SYSENTER_*, FS/GS base) or not used by the
 * hypervisor (SYSCALL MSRs, KERNEL_GS_BASE, TSC_AUX, XSS): read and write.
 * Identification and counters: read only.
 */
static const struct policy_msrs linux_msrs[] = {
    { MSR_TSC, MSR_TSC, POLICY_PASS, POLICY_DENY, "TSC (writing it would skew the hypervisor's clock)" },
    { 0x17, 0x17, POLICY_PASS, POLICY_DENY, "PLATFORM_ID" },
    { MSR_APIC_BASE, MSR_APIC_BASE, POLICY_PASS, POLICY_EMULATE, "APIC_BASE (base and mode fixed)" },
    { MSR_FEATURE_CONTROL, MSR_FEATURE_CONTROL, POLICY_EMULATE, POLICY_DENY,
      "FEATURE_CONTROL (locked, VMX off)" },
    { 0x3B, 0x3B, POLICY_PASS, POLICY_DENY, "TSC_ADJUST" },
    { 0x48, 0x48, POLICY_PASS, POLICY_PASS, "SPEC_CTRL" },
    { 0x49, 0x49, POLICY_DENY, POLICY_PASS, "PRED_CMD" },
    { 0x8B, 0x8B, POLICY_PASS, POLICY_PASS, "BIOS_SIGN_ID (microcode revision)" },
    { 0xCE, 0xCE, POLICY_PASS, POLICY_DENY, "PLATFORM_INFO" },
    { 0xE7, 0xE8, POLICY_PASS, POLICY_DENY, "MPERF, APERF" },
    { 0x10A, 0x10A, POLICY_PASS, POLICY_DENY, "ARCH_CAPABILITIES" },
    { 0x10B, 0x10B, POLICY_DENY, POLICY_PASS, "FLUSH_CMD" },
    { 0x174, 0x176, POLICY_PASS, POLICY_PASS, "SYSENTER_CS/ESP/EIP" },
    { 0x1A0, 0x1A0, POLICY_PASS, POLICY_DENY, "MISC_ENABLE" },
    { 0x1D9, 0x1D9, POLICY_PASS, POLICY_DENY, "DEBUGCTL (no LBR, BTS)" },
    { 0x277, 0x277, POLICY_PASS, POLICY_PASS, "PAT" },
    { 0x6E0, 0x6E0, POLICY_PASS, POLICY_PASS, "TSC_DEADLINE (its own core's APIC timer)" },
    { 0xDA0, 0xDA0, POLICY_PASS, POLICY_PASS, "XSS" },
    { 0xC0000080, 0xC0000080, POLICY_PASS, POLICY_PASS, "EFER" },
    { 0xC0000081, 0xC0000084, POLICY_PASS, POLICY_PASS, "STAR, LSTAR, CSTAR, SFMASK" },
    { 0xC0000100, 0xC0000103, POLICY_PASS, POLICY_PASS, "FS_BASE, GS_BASE, KERNEL_GS_BASE, TSC_AUX" },
};

static struct arch_power_ports power;
static uint64_t apic_base;              /* Linux's boot core's APIC_BASE, fixed */
#define APIC_BASE_BSP   (1ull << 8)
static bool kbc_output_pending;         /* 0xD1 sent: the next data byte is the output port */
static uint32_t request_port, request_value;

/* The byte an access of size bytes at port carries for target, if it covers target. */
static bool covers(uint16_t port, unsigned int size, uint16_t target, uint32_t val, uint8_t *b)
{
    if (target < port || target >= port + size)
        return false;
    *b = (uint8_t)(val >> (8 * (target - port)));
    return true;
}

static enum policy_result request(enum policy_result r, uint16_t port, uint32_t val)
{
    request_port = port;
    request_value = val;
    return r;
}

/* A write that asks for a reset or sleep, or POLICY_DONE. */
static enum policy_result power_write(uint16_t port, unsigned int size, uint32_t val)
{
    uint8_t b;

    if (covers(port, size, PORT_RESET_CTRL, val, &b) && (b & 4))
        return request(POLICY_RESET, PORT_RESET_CTRL, b);
    if (covers(port, size, PORT_SYS_CTRL_A, val, &b) && (b & 1))
        return request(POLICY_RESET, PORT_SYS_CTRL_A, b);
    if (covers(port, size, PORT_KBC_CMD, val, &b) && b == KBC_CMD_RESET)
        return request(POLICY_RESET, PORT_KBC_CMD, b);
    if (covers(port, size, PORT_KBC_DATA, val, &b) && kbc_output_pending && !(b & 1))
        return request(POLICY_RESET, PORT_KBC_DATA, b);
    if (power.has_reset_port && covers(port, size, power.reset_port, val, &b) &&
        b == power.reset_value)
        return request(POLICY_RESET, power.reset_port, b);
    for (unsigned int i = 0; i < 2; i++) {
        uint16_t pm1 = i ? power.pm1b_cnt : power.pm1a_cnt;
        if (!pm1)
            continue;
        /* SLP_EN is bit 13: bit 5 of the register's high byte */
        if (covers(port, size, (uint16_t)(pm1 + 1), val, &b) && (b & (PM1_SLP_EN >> 8)))
            return request(POLICY_POWER_OFF, pm1, (uint32_t)b << 8);
    }
    return POLICY_DONE;
}

static enum policy_result linux_port_io(struct vcpu *v, uint16_t port, unsigned int size,
                                        bool in, uint32_t *val)
{
    uint8_t b;

    (void)v;
    if (in) {
        if (port == PORT_SYS_CTRL_A && size == 1) {
            *val = 2;                   /* A20 on, no reset pending */
            return POLICY_DONE;
        }
        return POLICY_REPLAY;           /* reading these registers changes nothing */
    }
    /* a dword at 0xCF8 is CONFIG_ADDRESS on a PC chipset, never the reset register:
     * its second byte is a device/function number, 4 as often as not */
    if (port == PORT_PCI_ADDR && size == 4)
        return POLICY_REPLAY;
    enum policy_result r = power_write(port, size, *val);
    if (r != POLICY_DONE)
        return r;
    if (covers(port, size, PORT_KBC_CMD, *val, &b)) {
        kbc_output_pending = b == KBC_CMD_WRITE_OUT;
        return kbc_output_pending ? POLICY_DONE : POLICY_REPLAY;   /* 0xD1 is kept from the 8042 */
    }
    if (covers(port, size, PORT_KBC_DATA, *val, &b) && kbc_output_pending) {
        kbc_output_pending = false;     /* the output port: A20 and reset stay as they are */
        return POLICY_DONE;
    }
    if (covers(port, size, PORT_SYS_CTRL_A, *val, &b) || covers(port, size, PORT_RESET_CTRL, *val, &b))
        return POLICY_DONE;             /* no reset asked: dropped (A20 is always on) */
    return POLICY_REPLAY;               /* PM1 control without SLP_EN, the reset register's other values */
}

static enum policy_result linux_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *val)
{
    (void)v;
    switch (msr) {
    case MSR_FEATURE_CONTROL:
        if (write)
            return POLICY_REFUSED;
        *val = 1;                       /* locked, VMX off: no nested VT-x */
        return POLICY_DONE;
    case MSR_APIC_BASE:
        /* the same value again is fine (bit 8, BSP, is read-only and differs on
         * Linux's other cores); moving the APIC or switching its mode is not */
        return write && (*val & ~APIC_BASE_BSP) == (apic_base & ~APIC_BASE_BSP)
                   ? POLICY_DONE : POLICY_REFUSED;
    default:
        return POLICY_REFUSED;
    }
}

static struct exit_policy linux_policy = {
    .name = "linux",
    .ports = linux_ports,
    .nports = ARRAY_SIZE(linux_ports),
    .msrs = linux_msrs,
    .nmsrs = ARRAY_SIZE(linux_msrs),
    .ops = POLICY_OP(POLICY_OP_HALT) | POLICY_OP(POLICY_OP_CR0_CR4) | POLICY_OP(POLICY_OP_XSETBV) |
           POLICY_OP(POLICY_OP_INVD) | POLICY_OP(POLICY_OP_APIC_WRITES),
    .refusal = POLICY_FAULT,
    .port_io = linux_port_io,
    .msr = linux_msr,
};

static void emulate_port(unsigned int slot, uint16_t port, unsigned int width)
{
    if (!port)
        return;
    linux_ports[slot].first = port;
    linux_ports[slot].last = (uint16_t)(port + width - 1);
    linux_ports[slot].access = POLICY_EMULATE;
}

/* A block of the FADT's Linux's ACPI driver uses: passed (never over 0xFFFF, at most 256 ports). */
static void pass_block(unsigned int slot, struct arch_port_block b)
{
    if (!b.port || !b.len || b.port + b.len - 1 > 0xFFFF)
        return;
    linux_ports[slot].first = b.port;
    linux_ports[slot].last = (uint16_t)(b.port + b.len - 1);
}

const struct exit_policy *linux_policy_init(void)
{
    arch_power_ports(&power);
    apic_base = arch_apic_base_msr();
    emulate_port(PM1A, power.pm1a_cnt, 2);
    emulate_port(PM1B, power.pm1b_cnt, 2);
    if (power.has_reset_port)
        emulate_port(ACPI_RESET, power.reset_port, 1);
    pass_block(PM1A_EVT, power.pm1a_evt);
    pass_block(PM1B_EVT, power.pm1b_evt);
    pass_block(PM_TMR, power.pm_tmr);
    pass_block(GPE0, power.gpe0);
    pass_block(GPE1, power.gpe1);
    printk("linux: policy: PM1 control %#x/%#x, reset register %s%#x <- %#x, APIC base %#lx; "
           "%u port and %u MSR ranges, the rest denied\n", power.pm1a_cnt, power.pm1b_cnt,
           power.has_reset_port ? "" : "(none) ", power.reset_port, power.reset_value, apic_base,
           linux_policy.nports, linux_policy.nmsrs);
    printk("linux: policy: ACPI blocks passed: PM1 event %#x/%#x (%u bytes), PM timer %#x, "
           "GPE0 %#x (%u bytes), GPE1 %#x (%u bytes)\n", power.pm1a_evt.port, power.pm1b_evt.port,
           power.pm1a_evt.len, power.pm_tmr.port, power.gpe0.port, power.gpe0.len,
           power.gpe1.port, power.gpe1.len);
    return &linux_policy;
}

const char *linux_power_request(uint32_t *port, uint32_t *value)
{
    *port = request_port;
    *value = request_value;
    if (!request_port)
        return NULL;
    if (request_port != power.pm1a_cnt && (!power.pm1b_cnt || request_port != power.pm1b_cnt))
        return "reset";
    if (power.s5_known && (request_value & (7u << 10)) == power.slp_typ_s5)
        return "power off (ACPI S5)";
    return "sleep (an ACPI sleep state: it would resume without the hypervisor)";
}
