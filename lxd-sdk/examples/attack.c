/*
 * attack: a domain that attacks the boundary on purpose, for the tests of
 * issue 10 (tests/system/boundary.sh).  What it does depends on the name it
 * was loaded under (lxdctl load /lib/lxd/attack.lxd NAME):
 *
 *   dirty*   fills the core's state that VM exit does not switch: x87
 *            registers and FCW, XMM0-15, MXCSR, CR2, KERNEL_GS_BASE (via
 *            WRGSBASE + SWAPGS), and raises CR8 to 15; then exits with
 *            code ATTACK_DIRTY_EXIT (7).  The next domain on that core must
 *            see none of it, and the core must still take wake-up IPIs.
 *   check*   the next domain: reads that state (FXSAVE, CR2, SWAPGS +
 *            RDGSBASE, CR8), logs every register that is not in its init
 *            state and exits with the number of them (0 = clean).
 *   spam*    log abuse: one record with a newline, a forged hypervisor line,
 *            a carriage return and an escape sequence; then ATTACK_SPAM
 *            records in a row (the hypervisor must rate-limit them).
 *   flood*   ring abuse: keeps Linux's receive ring full of replies nobody
 *            asked for; a klxd_call() to it must still end at its deadline.
 *   xchan*   several channels (lxdctl load --channels 2, issue 16): answers
 *            channel 0 as echo does, and on every other channel scribbles
 *            over the slots Linux sends on (headers and payload of the
 *            first four) and floods Linux's ring with replies nobody
 *            asked for.  Linux CPUs on channel 0 must go on being
 *            answered; those on a broken channel get errors, and nothing
 *            else in Linux notices.
 *   pi-OP    one privileged operation an LXD may not do (the LXD policy,
 *            domains/lxd.c, allows no port, no MSR and no operation but
 *            its own CR8): port I/O of each class, MSRs, HLT, INVD,
 *            WBINVD, CR0/CR4 bits the hypervisor owns, a bad XCR0, the
 *            VMX and SVM instructions, its own page tables pointed outside
 *            its memory, a broken IDT; then more members of each class
 *            (RDPMC, MONITOR/MWAIT, MOV DR, string I/O, legacy devices,
 *            PCI data, ACPI PM1, MSRs of each kind, GETSEC, the other
 *            VMX and SVM instructions, XSAVES, INVPCID, CR4.VMXE, a GDT
 *            of limit 0).  The hypervisor must end the domain
 *            there; if the operation returns, the domain says so and exits
 *            with ATTACK_NOT_REFUSED.
 *
 * The SDK builds with -mgeneral-regs-only: x87/SSE are touched only in asm.
 */
#include <lxds/lxd.h>
#include <lxds/string.h>

#define ATTACK_DIRTY_EXIT   7
#define ATTACK_SPAM         2000
#define ATTACK_NOT_REFUSED  99
#define MARKER              0x4C58445344495254ull      /* "TRIDSDXL" */
#define GS_MARKER           0x00004C5844534753ull      /* canonical: WRGSBASE #GPs otherwise */
#define CR4_OSFXSR          (1ul << 9)
#define CR4_OSXMMEXCPT      (1ul << 10)
#define CR4_FSGSBASE        (1ul << 16)
#define FCW_INIT            0x037F
#define MXCSR_INIT          0x1F80

static bool has_fsgsbase(void)
{
    uint32_t a = 7, b, c = 0, d;

    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return b & 1;
}

/* SSE (and RDGSBASE/WRGSBASE where the CPU has them) for this domain: CR4 bits it owns. */
static bool enable_sse(void)
{
    uint64_t cr4;
    bool fsgs = has_fsgsbase();

    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT | (fsgs ? CR4_FSGSBASE : 0);
    __asm__ volatile("mov %0, %%cr4" :: "r"(cr4));
    return fsgs;
}

/* ---- dirty ---- */

static int dirty(void)
{
    static const uint64_t marker[2] __aligned(16) = { MARKER, MARKER };
    static const uint16_t fcw = 0x0F7F;
    static const uint32_t mxcsr = 0x7F80;
    bool fsgs = enable_sse();

    __asm__ volatile("fninit\n"
                     "fildq %0; fildq %0; fildq %0; fildq %0\n"
                     "fildq %0; fildq %0; fildq %0; fildq %0\n"
                     "fldcw %1"
                     :: "m"(marker[0]), "m"(fcw) : "memory");
    __asm__ volatile("movdqa %0, %%xmm0; movdqa %0, %%xmm1; movdqa %0, %%xmm2\n"
                     "movdqa %0, %%xmm3; movdqa %0, %%xmm4; movdqa %0, %%xmm5\n"
                     "movdqa %0, %%xmm6; movdqa %0, %%xmm7; movdqa %0, %%xmm8\n"
                     "movdqa %0, %%xmm9; movdqa %0, %%xmm10; movdqa %0, %%xmm11\n"
                     "movdqa %0, %%xmm12; movdqa %0, %%xmm13; movdqa %0, %%xmm14\n"
                     "movdqa %0, %%xmm15\n"
                     "ldmxcsr %1"
                     :: "m"(marker), "m"(mxcsr) : "memory");
    __asm__ volatile("mov %0, %%cr2" :: "r"(MARKER));
    if (fsgs)
        __asm__ volatile("wrgsbase %0; swapgs; wrgsbase %1" :: "r"(GS_MARKER), "r"(0ull));
    __asm__ volatile("mov %0, %%cr8" :: "r"(15ull));
    lxd_log("dirty: x87 (FCW 0xf7f), XMM0-15, MXCSR 0x7f80, CR2 filled with %#llx%s; CR8 = 15",
            MARKER, fsgs ? ", KERNEL_GS_BASE with 0x4c5844534753" : "");
    return ATTACK_DIRTY_EXIT;
}

/* ---- check ---- */

static unsigned int nonzero_bytes(const uint8_t *p, size_t n)
{
    unsigned int k = 0;

    for (size_t i = 0; i < n; i++)
        k += p[i] != 0;
    return k;
}

static int check(void)
{
    static uint8_t fx[512] __aligned(16);
    uint16_t fcw, fsw;
    uint32_t mxcsr;
    uint64_t cr2, cr8, kgs = 0;
    int dirty = 0;
    bool fsgs = enable_sse();

    __asm__ volatile("fxsave64 %0" : "=m"(fx));
    memcpy(&fcw, fx + 0, 2);
    memcpy(&fsw, fx + 2, 2);
    memcpy(&mxcsr, fx + 24, 4);
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    __asm__ volatile("mov %%cr8, %0" : "=r"(cr8));
    if (fsgs)
        __asm__ volatile("swapgs; rdgsbase %0; swapgs" : "=r"(kgs));
    if (fcw != FCW_INIT && ++dirty)
        lxd_log("check: DIRTY: FCW %#x (init %#x)", fcw, FCW_INIT);
    if ((fsw != 0 || fx[4] != 0) && ++dirty)
        lxd_log("check: DIRTY: FSW %#x, FTW %#x (init 0, 0)", fsw, fx[4]);
    if (mxcsr != MXCSR_INIT && ++dirty)
        lxd_log("check: DIRTY: MXCSR %#x (init %#x)", mxcsr, MXCSR_INIT);
    if (nonzero_bytes(fx + 32, 128) && ++dirty)
        lxd_log("check: DIRTY: %u non-zero bytes in ST0-7", nonzero_bytes(fx + 32, 128));
    if (nonzero_bytes(fx + 160, 256) && ++dirty)
        lxd_log("check: DIRTY: %u non-zero bytes in XMM0-15", nonzero_bytes(fx + 160, 256));
    if (cr2 && ++dirty)
        lxd_log("check: DIRTY: CR2 %#llx", (unsigned long long)cr2);
    if (kgs && ++dirty)
        lxd_log("check: DIRTY: KERNEL_GS_BASE %#llx", (unsigned long long)kgs);
    if (cr8 && ++dirty)
        lxd_log("check: DIRTY: CR8 %llu", (unsigned long long)cr8);
    if (!dirty)
        lxd_log("check: clean: FCW %#x, FSW 0, FTW 0, MXCSR %#x, ST0-7 and XMM0-15 zero, "
                "CR2 0, %s, CR8 0", fcw, mxcsr,
                fsgs ? "KERNEL_GS_BASE 0" : "KERNEL_GS_BASE not checked (no FSGSBASE)");
    return dirty;
}

/* ---- spam ---- */

static int spam(void)
{
    static const char forged[] = "spam: one record\nlxd: created domain 9 'forged': 1 segment(s)"
                                 "\r\x1b[2Jcleared";

    lxd_log_text(forged, sizeof(forged) - 1);
    for (int i = 0; i < ATTACK_SPAM; i++)
        lxd_log("spam: record %d of %d", i + 1, ATTACK_SPAM);
    return 0;
}

/* ---- flood ---- */

static int flood(struct lxd_boot_info *bi)
{
    static struct chan c;
    struct chan_msg m;
    uint32_t n = 0;

    if (bi->ngrants == 0 || chan_attach(&c, (void *)(uintptr_t)bi->grants[0].va,
                                        bi->grants[0].bytes, 1, CHAN_ACCEPT_ALL))
        return LXD_EXIT_NO_CHANNEL;
    lxd_log("flood: filling Linux's ring with replies nobody asked for");
    memset(&m, 0, sizeof(m));
    for (;;) {
        bi->heartbeat++;
        m.hdr.type = CHAN_T_REPLY;
        m.hdr.tag = 0xBAD00000u + (n & 0xFFFFF);
        m.w[0] = n;
        if (chan_try_send(&c, &m) == 0)
            n++;
    }
}

/* ---- xchan: one good channel, the others broken ---- */

#define XCHAN_MAX 8

static int xchan(struct lxd_boot_info *bi)
{
    static struct chan c[XCHAN_MAX];
    struct chan_msg req, m;
    uint32_t i, n = 0, nch = bi->ngrants < XCHAN_MAX ? bi->ngrants : XCHAN_MAX;

    for (i = 0; i < nch; i++)
        if (chan_attach(&c[i], (void *)(uintptr_t)bi->grants[i].va, bi->grants[i].bytes, 1,
                        CHAN_ACCEPT_ALL))
            return LXD_EXIT_NO_CHANNEL;
    lxd_log("xchan: answering channel 0, breaking channels 1..%u", nch - 1);
    memset(&m, 0, sizeof(m));
    for (;;) {
        bi->heartbeat++;
        if (chan_try_recv(&c[0], &req) == 0 && req.hdr.type == CHAN_T_REQUEST) {
            memset(&m, 0, sizeof(m));
            m.hdr.type = CHAN_T_REPLY;
            m.hdr.tag = req.hdr.tag;
            for (i = 0; i < CHAN_PAYLOAD_WORDS; i++)
                m.w[i] = ~req.w[i];
            while (chan_try_send(&c[0], &m) != 0)
                bi->heartbeat++;
        }
        for (i = 1; i < nch; i++) {
            /* ring 0 (Linux -> LXD) starts the area: garbage in its first
             * four slots, now and then; then junk replies on ring 1 */
            volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)bi->grants[i].va;

            if ((n & 1023) == 0)
                w[(n >> 10) % 32] = 0xFFFFFFFFFFFFFFF0ull ^ n;
            m.hdr.type = CHAN_T_REPLY;
            m.hdr.tag = 0xBAD00000u + (n & 0xFFFFF);
            m.w[0] = n;
            chan_try_send(&c[i], &m);
        }
        n++;
    }
}

/* ---- pi-OP: privileged operations ---- */

static void pi_run(const char *op)
{
    uint64_t v;
    static const uint8_t bad_idt[10] __aligned(8) = { 0 };     /* limit 0, base 0 */
    static uint8_t xsave_area[4096] __aligned(64);

    if (!strcmp(op, "in-diag"))         __asm__ volatile("inb $0x80, %%al" ::: "rax");
    else if (!strcmp(op, "out-com1"))   __asm__ volatile("mov $0x3f8, %%dx; mov $0x41, %%al; outb %%al, %%dx" ::: "rax", "rdx");
    else if (!strcmp(op, "out-pci"))    __asm__ volatile("mov $0xcf8, %%dx; mov $0x80000000, %%eax; outl %%eax, %%dx" ::: "rax", "rdx");
    else if (!strcmp(op, "out-reset"))  __asm__ volatile("mov $0xfe, %%al; outb %%al, $0x64" ::: "rax");
    else if (!strcmp(op, "out-cf9"))    __asm__ volatile("mov $0xcf9, %%dx; mov $0x06, %%al; outb %%al, %%dx" ::: "rax", "rdx");
    else if (!strcmp(op, "rdmsr"))      __asm__ volatile("rdmsr" : "=a"(v) : "c"(0x1B) : "rdx");
    else if (!strcmp(op, "wrmsr"))      __asm__ volatile("wrmsr" :: "c"(0x10), "a"(0), "d"(0));
    else if (!strcmp(op, "wrmsr-efer")) __asm__ volatile("wrmsr" :: "c"(0xC0000080), "a"(0), "d"(0));
    else if (!strcmp(op, "hlt"))        __asm__ volatile("cli; hlt");
    else if (!strcmp(op, "invd"))       __asm__ volatile("invd");
    else if (!strcmp(op, "wbinvd"))     __asm__ volatile("wbinvd");
    else if (!strcmp(op, "cr0-pg")) {
        __asm__ volatile("mov %%cr0, %0" : "=r"(v));
        __asm__ volatile("mov %0, %%cr0" :: "r"(v & ~(1ull << 31)));
    } else if (!strcmp(op, "cr4-pae")) {
        __asm__ volatile("mov %%cr4, %0" : "=r"(v));
        __asm__ volatile("mov %0, %%cr4" :: "r"(v & ~(1ull << 5)));
    } else if (!strcmp(op, "xsetbv"))   __asm__ volatile("xsetbv" :: "c"(0), "a"(0), "d"(0));
    else if (!strcmp(op, "vmxoff"))     __asm__ volatile("vmxoff");
    else if (!strcmp(op, "vmread"))     __asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(0x4400ull));
    else if (!strcmp(op, "vmrun"))      __asm__ volatile("vmrun" :: "a"(0));
    else if (!strcmp(op, "stgi"))       __asm__ volatile("stgi");
    else if (!strcmp(op, "cr3-out")) {
        /* its own page tables "moved" outside its memory: the next walk reads there */
        __asm__ volatile("mov %0, %%cr3; mov (%1), %%rax" :: "r"(0x7f00000000ull), "r"(0x400000ull) : "rax", "memory");
    } else if (!strcmp(op, "cr3-low")) {
        /* page tables at GPA 0x100000: the hypervisor's image on the host, nothing here */
        __asm__ volatile("mov %0, %%cr3; mov (%1), %%rax" :: "r"(0x100000ull), "r"(0x400000ull) : "rax", "memory");
    } else if (!strcmp(op, "idt"))      __asm__ volatile("lidt %0; int $0x80" :: "m"(bad_idt));
    else if (!strcmp(op, "ud2"))        __asm__ volatile("ud2");
    /* more members of each class: performance counters, MONITOR/MWAIT, the debug registers */
    else if (!strcmp(op, "rdpmc"))      __asm__ volatile("rdpmc" : "=a"(v) : "c"(0) : "rdx");
    else if (!strcmp(op, "monitor"))    __asm__ volatile("monitor" :: "a"(0x400000ull), "c"(0), "d"(0));
    else if (!strcmp(op, "mwait"))      __asm__ volatile("mwait" :: "a"(0), "c"(0));
    else if (!strcmp(op, "dr7-write"))  __asm__ volatile("mov %0, %%dr7" :: "r"(0x3ull));
    else if (!strcmp(op, "dr0-read"))   __asm__ volatile("mov %%dr0, %0" : "=r"(v));
    /* string I/O and the legacy devices, PCI data, ACPI PM1 */
    else if (!strcmp(op, "outs"))       __asm__ volatile("mov $0x3f8, %%dx; rep outsb" :: "S"(op), "c"(2ull) : "rdx", "memory");
    else if (!strcmp(op, "ins"))        __asm__ volatile("mov $0x80, %%dx; rep insb" :: "D"(&v), "c"(2ull) : "rdx", "memory");
    else if (!strcmp(op, "in-rtc"))     __asm__ volatile("inb $0x71, %%al" ::: "rax");
    else if (!strcmp(op, "out-pic"))    __asm__ volatile("mov $0xff, %%al; outb %%al, $0x21" ::: "rax");
    else if (!strcmp(op, "out-pit"))    __asm__ volatile("mov $0x30, %%al; outb %%al, $0x43" ::: "rax");
    else if (!strcmp(op, "in-cfc"))     __asm__ volatile("mov $0xcfc, %%dx; inl %%dx, %%eax" ::: "rax", "rdx");
    else if (!strcmp(op, "out-pm1"))    __asm__ volatile("mov $0x604, %%dx; mov $0x2000, %%ax; outw %%ax, %%dx" ::: "rax", "rdx");
    /* MSRs of each kind: VMX, feature control, TSC, APIC base (x2APIC), deadline, PAT, MTRR, KERNEL_GS_BASE */
    else if (!strcmp(op, "rdmsr-vmx"))  __asm__ volatile("rdmsr" : "=a"(v) : "c"(0x480) : "rdx");
    else if (!strcmp(op, "rdmsr-fc"))   __asm__ volatile("rdmsr" : "=a"(v) : "c"(0x3A) : "rdx");
    else if (!strcmp(op, "rdmsr-tsc"))  __asm__ volatile("rdmsr" : "=a"(v) : "c"(0x10) : "rdx");
    else if (!strcmp(op, "wrmsr-x2apic")) __asm__ volatile("wrmsr" :: "c"(0x1B), "a"(0xfee00c00u), "d"(0));
    else if (!strcmp(op, "wrmsr-tscdl")) __asm__ volatile("wrmsr" :: "c"(0x6E0), "a"(1), "d"(0));
    else if (!strcmp(op, "wrmsr-pat"))  __asm__ volatile("wrmsr" :: "c"(0x277), "a"(0), "d"(0));
    else if (!strcmp(op, "wrmsr-mtrr")) __asm__ volatile("wrmsr" :: "c"(0x2FF), "a"(0), "d"(0));
    else if (!strcmp(op, "wrmsr-kgs"))  __asm__ volatile("wrmsr" :: "c"(0xC0000102), "a"(0), "d"(0));
    /* the rest of the VMX, SMX and SVM instructions */
    else if (!strcmp(op, "getsec"))     __asm__ volatile("getsec" :: "a"(0), "b"(0));
    else if (!strcmp(op, "vmlaunch"))   __asm__ volatile("vmlaunch");
    else if (!strcmp(op, "vmptrld"))    __asm__ volatile("vmptrld %0" :: "m"(bad_idt));
    else if (!strcmp(op, "invept"))     __asm__ volatile("invept %0, %1" :: "m"(bad_idt), "r"(2ull));
    else if (!strcmp(op, "vmload"))     __asm__ volatile("vmload" :: "a"(0));
    else if (!strcmp(op, "vmsave"))     __asm__ volatile("vmsave" :: "a"(0));
    else if (!strcmp(op, "clgi"))       __asm__ volatile("clgi");
    else if (!strcmp(op, "skinit"))     __asm__ volatile("skinit" :: "a"(0));
    else if (!strcmp(op, "invlpga"))    __asm__ volatile("invlpga" :: "a"(0), "c"(0));
    /* features the hypervisor does not give an LXD: #UD (and so the end of the domain) */
    else if (!strcmp(op, "xsaves"))     __asm__ volatile("xsaves %0" : "=m"(xsave_area) : "a"(0), "d"(0));
    else if (!strcmp(op, "invpcid"))    __asm__ volatile("invpcid %0, %1" :: "m"(bad_idt), "r"(2ull));
    else if (!strcmp(op, "cr4-vmxe")) {
        __asm__ volatile("mov %%cr4, %0" : "=r"(v));
        __asm__ volatile("mov %0, %%cr4" :: "r"(v | (1ull << 13)));
    } else if (!strcmp(op, "lgdt")) {
        /* a GDT of limit 0, then a segment reload through it */
        __asm__ volatile("lgdt %0; mov $0x10, %%ax; mov %%ax, %%ds" :: "m"(bad_idt) : "rax");
    }
    else {
        lxd_log("attack: no privileged operation is named '%s'", op);
        return;
    }
    lxd_log("attack: pi-%s returned: NOT refused", op);
}

int lxd_main(struct lxd_boot_info *bi)
{
    if (!strncmp(bi->name, "pi-", 3)) {
        pi_run(bi->name + 3);
        return ATTACK_NOT_REFUSED;
    }
    if (!strncmp(bi->name, "dirty", 5))
        return dirty();
    if (!strncmp(bi->name, "check", 5))
        return check();
    if (!strncmp(bi->name, "spam", 4))
        return spam();
    if (!strncmp(bi->name, "flood", 5))
        return flood(bi);
    if (!strncmp(bi->name, "xchan", 5))
        return xchan(bi);
    lxd_log("attack: no attack is named '%s' (dirty, check, spam, flood, xchan)", bi->name);
    return 2;
}
