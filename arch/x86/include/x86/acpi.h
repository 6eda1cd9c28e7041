/* The few ACPI tables lxds reads: MADT (cores) and FADT (power off). */
#ifndef X86_ACPI_H
#define X86_ACPI_H

#include <lxds/types.h>

struct acpi_cpu {
    uint32_t apic_id;
    bool enabled;               /* usable now (not merely "online capable") */
};

struct acpi_info {
    uint64_t lapic_base;
    struct acpi_cpu cpus[64];
    unsigned int cpu_count;
    unsigned int cpus_ignored;  /* beyond the table above */
    /* ACPI power off: write slp_typ|SLP_EN to PM1a (and PM1b) control */
    uint16_t pm1a_cnt, pm1b_cnt;
    /* the FADT's PM1 event, PM timer and GPE blocks (ports and lengths; 0: none) */
    uint16_t pm1a_evt, pm1b_evt, pm_tmr, gpe0, gpe1;
    uint8_t pm1_evt_len, pm_tmr_len, gpe0_len, gpe1_len;
    uint16_t slp_typ_s5;        /* already shifted into bits 10..12 */
    bool can_poweroff;
    /* FADT RESET_REG when it is a port: writing reset_value there resets the machine */
    uint16_t reset_port;
    uint8_t reset_value;
    bool has_reset_port;
    void *madt;                 /* kept to hide cores from Linux */
};

/* Reads MADT and FADT through the RSDP GRUB copied. 0 or a negative errno with *why. */
int acpi_init(const void *rsdp, uint32_t rsdp_len, struct acpi_info *out, const char **why);

extern struct acpi_info acpi;

#endif
