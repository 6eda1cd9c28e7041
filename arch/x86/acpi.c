/*
 * ACPI: from the RSDP (copied by GRUB into the boot information) to the
 * XSDT or RSDT, then the MADT for the list of cores and the FADT/DSDT for
 * how to power the machine off.  Every table's checksum is verified.
 */
#include <lxds/arch.h>
#include <lxds/cpu.h>
#include <lxds/errno.h>
#include <lxds/printk.h>
#include <lxds/string.h>
#include <x86/acpi.h>
#include <x86/lapic.h>

struct acpi_header {
    char signature[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem_id[6], oem_table_id[8];
    uint32_t oem_revision, creator_id, creator_revision;
} __packed;

struct rsdp {
    char signature[8];
    uint8_t checksum;
    char oem_id[6];
    uint8_t revision;
    uint32_t rsdt;
    uint32_t length;            /* v2 */
    uint64_t xsdt;
    uint8_t ext_checksum;
    uint8_t reserved[3];
} __packed;

struct acpi_info acpi;

static bool checksum_ok(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;

    while (len--)
        sum += *b++;
    return sum == 0;
}

static const struct acpi_header *table_at(uint64_t phys)
{
    const struct acpi_header *h = (const void *)(uintptr_t)phys;

    if (!phys || phys >= GiB(4) || h->length < sizeof(*h) || h->length > MiB(1) ||
        !checksum_ok(h, h->length))
        return NULL;
    return h;
}

static const struct acpi_header *find_table(const struct rsdp *r, const char sig[4])
{
    const struct acpi_header *root = table_at(r->revision >= 2 && r->xsdt ? r->xsdt : r->rsdt);
    size_t esz = r->revision >= 2 && r->xsdt ? 8 : 4;

    if (!root)
        return NULL;
    size_t n = (root->length - sizeof(*root)) / esz;
    const uint8_t *entries = (const uint8_t *)(root + 1);
    for (size_t i = 0; i < n; i++) {
        uint64_t addr = 0;
        memcpy(&addr, entries + i * esz, esz);
        const struct acpi_header *t = table_at(addr);
        if (t && !memcmp(t->signature, sig, 4))
            return t;
    }
    return NULL;
}

static void add_cpu(struct acpi_info *out, uint32_t apic_id, uint32_t flags)
{
    /* flags bit 0: enabled; bit 1: online capable (may be hot-added later) */
    if (!(flags & 3))
        return;
    if (out->cpu_count == ARRAY_SIZE(out->cpus)) {
        out->cpus_ignored++;
        return;
    }
    out->cpus[out->cpu_count++] = (struct acpi_cpu){ apic_id, flags & 1 };
}

static void parse_madt(const struct acpi_header *madt, struct acpi_info *out)
{
    const uint8_t *p = (const uint8_t *)madt + sizeof(*madt);
    const uint8_t *end = (const uint8_t *)madt + madt->length;
    uint32_t lapic32;

    memcpy(&lapic32, p, 4);
    out->lapic_base = lapic32;
    for (p += 8; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1]) {
        uint32_t flags, id;
        switch (p[0]) {
        case 0:                         /* processor local APIC */
            memcpy(&flags, p + 4, 4);
            add_cpu(out, p[3], flags);
            break;
        case 5:                         /* local APIC address override */
            if (p[1] >= 12)
                memcpy(&out->lapic_base, p + 4, 8);
            break;
        case 9:                         /* processor local x2APIC */
            memcpy(&id, p + 4, 4);
            memcpy(&flags, p + 8, 4);
            add_cpu(out, id, flags);
            break;
        }
    }
}

/* Finds the \_S5 package in the DSDT and takes SLP_TYPa: enough AML for power off. */
static bool find_s5(const struct acpi_header *dsdt, uint16_t *slp_typ)
{
    const uint8_t *p = (const uint8_t *)dsdt + sizeof(*dsdt);
    const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;

    for (; p + 8 < end; p++) {
        if (memcmp(p, "_S5_", 4) || p[4] != 0x12)   /* NameOp "_S5_" PackageOp */
            continue;
        const uint8_t *q = p + 5;
        q += ((*q & 0xC0) >> 6) + 1;                  /* PkgLength */
        q++;                                          /* NumElements */
        if (q >= end)
            return false;
        if (*q == 0x0A && q + 1 < end)                /* BytePrefix */
            q++;
        *slp_typ = (uint16_t)((*q & 7) << 10);
        return true;
    }
    return false;
}

static void parse_fadt(const struct acpi_header *fadt, struct acpi_info *out)
{
    const uint8_t *f = (const uint8_t *)fadt;
    uint32_t dsdt32 = 0, pm1a = 0, pm1b = 0;

    if (fadt->length < 72)
        return;
    memcpy(&dsdt32, f + 40, 4);
    memcpy(&pm1a, f + 64, 4);
    memcpy(&pm1b, f + 68, 4);
    const struct acpi_header *dsdt = table_at(dsdt32);
    out->pm1a_cnt = (uint16_t)pm1a;
    out->pm1b_cnt = (uint16_t)pm1b;
    out->can_poweroff = pm1a && dsdt && find_s5(dsdt, &out->slp_typ_s5);
    /* ACPI 1.0 fixed blocks: PM1a/b event at 56/60, PM timer at 76, GPE0/1 at 80/84,
     * their lengths at 88 (PM1 event), 91 (PM timer), 92 and 93 (GPE0/1) */
    if (fadt->length >= 94) {
        uint32_t b[6];
        memcpy(b, f + 56, 8);
        memcpy(b + 2, f + 76, 12);
        out->pm1a_evt = (uint16_t)b[0];
        out->pm1b_evt = (uint16_t)b[1];
        out->pm_tmr = (uint16_t)b[2];
        out->gpe0 = (uint16_t)b[3];
        out->gpe1 = (uint16_t)b[4];
        out->pm1_evt_len = f[88];
        out->pm_tmr_len = f[91];
        out->gpe0_len = f[92];
        out->gpe1_len = f[93];
    }
    /* ACPI 2.0+: flags at 112 (bit 10 RESET_REG_SUP), RESET_REG (a GAS) at 116, value at 128 */
    uint32_t flags = 0;
    uint64_t reset_addr = 0;
    if (fadt->length >= 129) {
        memcpy(&flags, f + 112, 4);
        memcpy(&reset_addr, f + 120, 8);
        if ((flags & (1u << 10)) && f[116] == 1 && reset_addr && reset_addr <= 0xFFFF) {
            out->has_reset_port = true;
            out->reset_port = (uint16_t)reset_addr;
            out->reset_value = f[128];
        }
    }
}

void arch_power_ports(struct arch_power_ports *out)
{
    *out = (struct arch_power_ports){
        .pm1a_cnt = acpi.pm1a_cnt, .pm1b_cnt = acpi.pm1b_cnt,
        .slp_typ_s5 = acpi.slp_typ_s5, .s5_known = acpi.can_poweroff,
        .reset_port = acpi.reset_port, .reset_value = acpi.reset_value,
        .has_reset_port = acpi.has_reset_port,
        .pm1a_evt = { acpi.pm1a_evt, acpi.pm1_evt_len }, .pm1b_evt = { acpi.pm1b_evt, acpi.pm1_evt_len },
        .pm_tmr = { acpi.pm_tmr, acpi.pm_tmr_len },
        .gpe0 = { acpi.gpe0, acpi.gpe0_len }, .gpe1 = { acpi.gpe1, acpi.gpe1_len },
    };
}

int acpi_init(const void *rsdp_copy, uint32_t len, struct acpi_info *out, const char **why)
{
    const struct rsdp *r = rsdp_copy;

    memset(out, 0, sizeof(*out));
    if (!r || len < 20 || memcmp(r->signature, "RSD PTR ", 8) || !checksum_ok(r, 20)) {
        *why = !r ? "the loader passed no ACPI RSDP" : "the RSDP is malformed";
        return -ENODEV;
    }
    if (r->revision >= 2 && (len < sizeof(*r) || !checksum_ok(r, sizeof(*r)))) {
        *why = "the ACPI 2.0 RSDP fails its extended checksum";
        return -EINVAL;
    }
    const struct acpi_header *madt = find_table(r, "APIC");
    if (!madt) {
        *why = "no valid MADT (APIC) table";
        return -ENODEV;
    }
    parse_madt(madt, out);
    out->madt = (void *)madt;
    const struct acpi_header *fadt = find_table(r, "FACP");
    if (fadt)
        parse_fadt(fadt, out);
    return 0;
}

static bool is_linux_core(uint64_t linux_cores, uint32_t apic_id)
{
    for (unsigned int i = 0; i < cpu_count && i < 64; i++)
        if ((linux_cores & (1ull << i)) && cpus[i].arch_id == apic_id &&
            cpus[i].state != CPU_ABSENT)
            return true;
    return false;
}

/*
 * Linux sees its own cores only (linux_cores, cpus[] indexes, the boot core
 * first): the MADT it reads lists them as enabled and every other one as an
 * OEM entry it skips, so it never tries to start them (and the ICR filter
 * drops an INIT or SIPI sent to them anyway, x86/apic_icr.h).
 */
void arch_hide_cpus_from_linux(uint64_t linux_cores)
{
    struct acpi_header *madt = acpi.madt;
    unsigned int kept = 0, hidden = 0;

    if (!madt)
        return;
    uint8_t *p = (uint8_t *)madt + sizeof(*madt) + 8;
    uint8_t *end = (uint8_t *)madt + madt->length;
    for (; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1]) {
        uint32_t id, off;
        if (p[0] == 0) {
            id = p[3];
            off = 4;
        } else if (p[0] == 9) {
            memcpy(&id, p + 4, 4);
            off = 8;
        } else {
            continue;
        }
        uint32_t flags;
        memcpy(&flags, p + off, 4);
        if (!(flags & 3))
            continue;
        if (is_linux_core(linux_cores, id)) {
            kept++;
            continue;
        }
        /* an OEM entry type (0x80+) is skipped by Linux, so the core is not even "hotplug" */
        flags &= ~3u;
        memcpy(p + off, &flags, 4);
        p[0] = 0x80;
        hidden++;
    }
    madt->checksum = 0;
    uint8_t sum = 0;
    for (uint32_t i = 0; i < madt->length; i++)
        sum += ((uint8_t *)madt)[i];
    madt->checksum = (uint8_t)-sum;
    printk("acpi: MADT shows Linux %u core(s); %u hidden (they run the hypervisor and LXDs)\n",
           kept, hidden);
}
