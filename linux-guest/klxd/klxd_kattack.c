// SPDX-License-Identifier: GPL-2.0
/*
 * klxd_kattack: attacks the hypervisor from Linux's kernel, for the tests of
 * issue 10 (tests/system/boundary.sh).  On load it
 *   - executes every VMX instruction (and GETSEC) at CPL 0: each must raise
 *     #UD, as on a CPU without VMX, and the machine go on;
 *   - executes the SVM instructions at CPL 0 (VMRUN, VMLOAD, VMSAVE, STGI,
 *     CLGI, SKINIT, INVLPGA; not VMMCALL, the hypercall): each must raise
 *     #UD, as on a CPU without SVM, under either backend;
 *   - writes XCR0 values the CPU's rules forbid (x87 clear, AVX without SSE,
 *     an incomplete AVX-512 or MPX or AMX set, AVX-512 without AVX, a bit
 *     the CPU lacks, XCR1): each must raise #GP with XCR0 unchanged, and
 *     the current XCR0 written back must pass;
 *   - reads and writes IA32_VMX_BASIC (0x480): #GP, i.e. -EIO from the
 *     _safe accessors;
 *   - tries the MSRs Linux's exit policy denies (MTRRs, machine-check
 *     banks, DS/PEBS/PT, performance counters, x2APIC, VMX; writes to
 *     MISC_ENABLE, DEBUGCTL, the TSC, FEATURE_CONTROL, and APIC_BASE moved
 *     or switched to x2APIC mode): each #GP, while the allowed ones work.
 * With ipi=1 it instead sends every kind of IPI through its local APIC's
 * ICR to the other cores (the LXD cores: INIT, SIPI, NMI, SMI, ExtINT,
 * fixed vectors 0x10, 0x1F, 0xFF and 0x40, physical, all-but-self,
 * physical and logical broadcast), and checks that its own self-IPIs
 * still arrive (irq_work, and the IRQ-work vector sent to itself by
 * physical ID, self shorthand, all-including-self and its logical ID):
 * the hypervisor must drop the first set and deliver the second.
 * With apicstat=1 it prints the hypervisor's counters of Linux's APIC
 * writes (CPUID 0x40000002/3) and loads.
 * With reset=92|cf8w|kbc it instead asks for a machine reset through that
 * path, which must end the run with a power-off
 * ("linux: asked to reset ...") and never come back.
 * Every attempt runs under an exception-table fixup that records the
 * vector.  One line per attempt, one summary line; the load fails with
 * -EIO if anything went otherwise.  It depends on nothing else (not klxd).
 */
#define pr_fmt(fmt) "klxd_kattack: " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <asm/asm.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/cpufeature.h>
#include <asm/trapnr.h>
#include <asm/special_insns.h>
#include <linux/irqflags.h>
#include <linux/delay.h>
#include <asm/apicdef.h>
#include <asm/io.h>
#include <asm/apic.h>
#include <asm/irq_vectors.h>
#include <asm/hardirq.h>
#include <linux/irq_work.h>
#include <linux/jiffies.h>

static char *reset;
module_param(reset, charp, 0);
MODULE_PARM_DESC(reset, "ask for a reset instead of attacking: 92, cf8w or kbc");
static int ipi;
module_param(ipi, int, 0);
MODULE_PARM_DESC(ipi, "1: send every kind of IPI to the other cores, check self-IPIs still work; "
		 "2: INIT and SIPI to the cores that are none of Linux's; "
		 "3: a SIPI without INIT to Linux's offline CPU sipi_cpu");
static int sipi_cpu = -1;
module_param(sipi_cpu, int, 0);
MODULE_PARM_DESC(sipi_cpu, "ipi=3: the Linux CPU (present, never started) that gets the SIPI");
static int apicstat;
module_param(apicstat, int, 0);
MODULE_PARM_DESC(apicstat, "1: print the hypervisor's counters of Linux's APIC writes; 2: and time 1000 APIC reads and writes");

#define NO_FAULT (-1L)

/*
 * Runs `setup`, then one instruction under the fixup: the vector that
 * instruction raised (EX_TYPE_FAULT puts it in AX), or NO_FAULT.
 */
#define TRY(setup, insn, ...)						\
	({								\
		long __trap;						\
		asm volatile(setup "\n1: " insn "\n\t"			\
			     "mov $-1, %%rax\n\t"			\
			     "2:\n\t"					\
			     _ASM_EXTABLE_FAULT(1b, 2b)			\
			     : "=a"(__trap) __VA_ARGS__);		\
		__trap;							\
	})

static u64 vmx_mem[4] __aligned(16);

static long try_vmxon(void) { return TRY("", "vmxon %1", : "m"(vmx_mem[0]) : "memory"); }
static long try_vmxoff(void) { return TRY("", "vmxoff", : : "memory"); }
static long try_vmclear(void) { return TRY("", "vmclear %1", : "m"(vmx_mem[0]) : "memory"); }
static long try_vmptrld(void) { return TRY("", "vmptrld %1", : "m"(vmx_mem[0]) : "memory"); }
static long try_vmptrst(void) { return TRY("", "vmptrst %1", : "m"(vmx_mem[0]) : "memory"); }
static long try_vmread(void) { return TRY("", "vmread %1, %%rcx", : "r"(0x681eul) : "rcx", "cc"); }
static long try_vmwrite(void) { return TRY("", "vmwrite %%rcx, %1", : "r"(0x681eul) : "rcx", "cc"); }
static long try_vmlaunch(void) { return TRY("", "vmlaunch", : : "memory", "cc"); }
static long try_vmresume(void) { return TRY("", "vmresume", : : "memory", "cc"); }
static long try_invept(void) { return TRY("", "invept %1, %2", : "m"(vmx_mem[0]), "r"(2ul) : "memory"); }
static long try_invvpid(void) { return TRY("", "invvpid %1, %2", : "m"(vmx_mem[0]), "r"(2ul) : "memory"); }
static long try_vmfunc(void) { return TRY("xor %%ecx, %%ecx; xor %%eax, %%eax", "vmfunc", : : "rcx", "memory"); }
static long try_getsec(void) { return TRY("xor %%eax, %%eax", "getsec", : : "rbx", "rcx", "memory"); }

static const struct {
	const char *name;
	long (*run)(void);
} vmx_insns[] = {
	{ "vmxon", try_vmxon }, { "vmxoff", try_vmxoff }, { "vmclear", try_vmclear },
	{ "vmptrld", try_vmptrld }, { "vmptrst", try_vmptrst }, { "vmread", try_vmread },
	{ "vmwrite", try_vmwrite }, { "vmlaunch", try_vmlaunch }, { "vmresume", try_vmresume },
	{ "invept", try_invept }, { "invvpid", try_invvpid }, { "vmfunc", try_vmfunc },
	{ "getsec", try_getsec },
};

/* 0F 01 D8-DF at CPL 0; RAX an address (vmx_mem, never a valid VMCB), ECX 0 */
#define TRY_SVM(byte) TRY("", ".byte 0x0f, 0x01, " #byte, : "a"(vmx_mem), "c"(0) : "memory")
static long try_vmrun(void) { return TRY_SVM(0xd8); }
static long try_vmload(void) { return TRY_SVM(0xda); }
static long try_vmsave(void) { return TRY_SVM(0xdb); }
static long try_stgi(void) { return TRY_SVM(0xdc); }
static long try_clgi(void) { return TRY_SVM(0xdd); }
static long try_skinit(void) { return TRY_SVM(0xde); }
static long try_invlpga(void) { return TRY_SVM(0xdf); }

static const struct {
	const char *name;
	long (*run)(void);
} svm_insns[] = {
	{ "vmrun", try_vmrun }, { "vmload", try_vmload }, { "vmsave", try_vmsave },
	{ "stgi", try_stgi }, { "clgi", try_clgi }, { "skinit", try_skinit },
	{ "invlpga", try_invlpga },
};

static u64 xgetbv0(void)
{
	u32 lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((u64)hi << 32) | lo;
}

static long try_xsetbv(u32 xcr, u64 val)
{
	long trap = (u32)val;

	asm volatile("1: xsetbv\n\t"
		     "mov $-1, %%rax\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE_FAULT(1b, 2b)
		     : "+a"(trap) : "d"((u32)(val >> 32)), "c"(xcr) : "memory");
	return trap;
}

static const char *vector_name(long trap)
{
	switch (trap) {
	case NO_FAULT: return "no fault";
	case X86_TRAP_UD: return "#UD";
	case X86_TRAP_GP: return "#GP";
	case X86_TRAP_PF: return "#PF";
	default: return "another fault";
	}
}

static int vmx_instructions(void)
{
	int i, ud = 0;

	for (i = 0; i < ARRAY_SIZE(vmx_insns); i++) {
		long trap = vmx_insns[i].run();

		pr_info("%s at CPL 0: %s (vector %ld)\n", vmx_insns[i].name, vector_name(trap), trap);
		ud += trap == X86_TRAP_UD;
	}
	return ud;
}

static int svm_instructions(void)
{
	int i, ud = 0;

	for (i = 0; i < ARRAY_SIZE(svm_insns); i++) {
		long trap = svm_insns[i].run();

		pr_info("%s at CPL 0: %s (vector %ld)\n", svm_insns[i].name, vector_name(trap), trap);
		ud += trap == X86_TRAP_UD;
	}
	pr_info("%d/%zu SVM instructions raised #UD\n", ud, ARRAY_SIZE(svm_insns));
	return ud;
}

struct bad_xcr0 {
	u32 xcr;
	u64 val;
	const char *why;
};

static int bad_xcr0_values(u64 cur, struct bad_xcr0 *b)
{
	int n = 0;

	b[n++] = (struct bad_xcr0){ 0, 0, "x87 clear (XCR0 = 0)" };
	b[n++] = (struct bad_xcr0){ 0, cur & ~1ull, "x87 clear" };
	b[n++] = (struct bad_xcr0){ 1, cur, "XCR1 is not writable" };
	b[n++] = (struct bad_xcr0){ 0, 0x1 | 0x4, "AVX without SSE" };
	b[n++] = (struct bad_xcr0){ 0, 0x1 | 0x2 | 0x4 | 0x20, "opmask without ZMM_Hi256/Hi16_ZMM" };
	b[n++] = (struct bad_xcr0){ 0, 0x1 | 0x2 | 0x4 | 0x60, "AVX-512 without opmask" };
	b[n++] = (struct bad_xcr0){ 0, 0x1 | 0x2 | 0xe0, "AVX-512 without AVX" };
	b[n++] = (struct bad_xcr0){ 0, 0x1 | 0x8, "BNDREGS without BNDCSR (MPX)" };
	b[n++] = (struct bad_xcr0){ 0, 0x1 | 0x2 | 0x4 | (1ull << 17), "XTILECFG without XTILEDATA (AMX)" };
	b[n++] = (struct bad_xcr0){ 0, cur | (1ull << 62), "bit 62 (not a CPU feature)" };
	return n;
}

/* MOV to CR4 under the fixup (the hypervisor may refuse a bit it owns with #GP). */
static long try_write_cr4(unsigned long cr4)
{
	return TRY("", "mov %1, %%cr4", : "r"(cr4) : "memory");
}

static int xsetbv_attacks_osxsave(int *tried, bool *good_ok);

/*
 * XSETBV needs CR4.OSXSAVE (else it is #UD before any VM exit).  Linux may
 * run without XSAVE (it does under Bochs): then the attack sets OSXSAVE
 * itself for the moment it runs, interrupts off, and puts CR4 back.
 */
static int xsetbv_attacks(int *tried, bool *good_ok)
{
	unsigned long flags, cr4;
	long trap;
	int gp;

	if (!(cpuid_ecx(1) & BIT(26))) {
		/* no XSAVE in CPUID (Linux's own flag is clear under Bochs too, where the
		 * CPU has it): XSETBV is #UD before any exit, out of the hypervisor's reach */
		pr_info("the CPU has no XSAVE: XSETBV not tried\n");
		*tried = 0;
		*good_ok = true;
		return 0;
	}
	local_irq_save(flags);
	cr4 = native_read_cr4();
	if (!(cr4 & X86_CR4_OSXSAVE)) {
		trap = try_write_cr4(cr4 | X86_CR4_OSXSAVE);
		if (trap != NO_FAULT) {
			local_irq_restore(flags);
			pr_info("CR4.OSXSAVE is clear and setting it raised %s: XSETBV is out of reach\n",
				vector_name(trap));
			*tried = 0;
			*good_ok = false;
			return 0;
		}
	}
	gp = xsetbv_attacks_osxsave(tried, good_ok);
	if (!(cr4 & X86_CR4_OSXSAVE)) {
		try_write_cr4(cr4);
		local_irq_restore(flags);
		pr_info("CR4.OSXSAVE was clear (Linux does not use XSAVE here): set for the attacks, cleared again\n");
	} else {
		local_irq_restore(flags);
	}
	return gp;
}

static int xsetbv_attacks_osxsave(int *tried, bool *good_ok)
{
	struct bad_xcr0 bad[16];
	u64 cur = xgetbv0(), after;
	int i, n = bad_xcr0_values(cur, bad), gp = 0;
	u32 eax, ebx, ecx, edx;
	long trap;

	cpuid_count(0xd, 0, &eax, &ebx, &ecx, &edx);
	pr_info("XCR0 %#llx; the CPU supports %#llx\n", cur, ((u64)edx << 32) | eax);

	for (i = 0; i < n; i++) {
		trap = try_xsetbv(bad[i].xcr, bad[i].val);
		after = xgetbv0();
		pr_info("xsetbv XCR%u <- %#llx (%s): %s (vector %ld), XCR0 now %#llx\n", bad[i].xcr,
			bad[i].val, bad[i].why, vector_name(trap), trap, after);
		gp += trap == X86_TRAP_GP && after == cur;
	}
	trap = try_xsetbv(0, cur);
	*good_ok = trap == NO_FAULT && xgetbv0() == cur;
	pr_info("xsetbv XCR0 <- %#llx (the current value): %s\n", cur, vector_name(trap));
	*tried = n;
	return gp;
}

/* MSRs the policy denies to Linux: every read must raise #GP. */
static const struct {
	u32 msr;
	const char *name;
} denied_reads[] = {
	{ 0xFE, "MTRRCAP" }, { 0x200, "MTRR_PHYSBASE0" }, { 0x250, "MTRR_FIX64K" },
	{ 0x2FF, "MTRR_DEF_TYPE" }, { 0x179, "MCG_CAP" }, { 0x17A, "MCG_STATUS" },
	{ 0x400, "MC0_CTL" }, { 0x401, "MC0_STATUS" }, { 0x600, "DS_AREA" },
	{ 0x3F1, "PEBS_ENABLE" }, { 0x570, "RTIT_CTL" }, { 0x186, "PERFEVTSEL0" },
	{ 0xC1, "PMC0" }, { 0x38F, "PERF_GLOBAL_CTRL" }, { 0x802, "x2APIC ID" },
	{ 0x830, "x2APIC ICR" }, { 0x48B, "VMX_PROCBASED_CTLS2" },
};

static int msr_policy(int *tried)
{
	u64 apic = 0, misc = 0, efer = 0, pat = 0, fc = 0, tsc = 0;
	int i, refused = 0, allowed = 0, n = 0;
	struct {
		u32 msr;
		u64 val;
		const char *what;
	} writes[8];

	for (i = 0; i < ARRAY_SIZE(denied_reads); i++) {
		u64 v = 0;
		int rc = rdmsrl_safe(denied_reads[i].msr, &v);

		if (rc != -EIO)
			pr_info("rdmsr %#x (%s): NOT refused (%d, %#llx)\n", denied_reads[i].msr,
				denied_reads[i].name, rc, v);
		refused += rc == -EIO;
	}
	allowed += !rdmsrl_safe(MSR_IA32_APICBASE, &apic);
	rdmsrl_safe(MSR_IA32_MISC_ENABLE, &misc);      /* readable by policy; Bochs has none */
	allowed += !rdmsrl_safe(MSR_EFER, &efer);
	allowed += !rdmsrl_safe(MSR_IA32_CR_PAT, &pat);
	allowed += !rdmsrl_safe(MSR_IA32_TSC, &tsc);
	allowed += !rdmsrl_safe(MSR_IA32_FEAT_CTL, &fc) && fc == 1;
	allowed += !wrmsrl_safe(MSR_IA32_APICBASE, apic);     /* the same value: allowed */
	pr_info("APIC_BASE %#llx, EFER %#llx, PAT %#llx, FEATURE_CONTROL %#llx\n",
		apic, efer, pat, fc);

	writes[n++] = (typeof(writes[0])){ MSR_IA32_APICBASE, apic | X2APIC_ENABLE, "APIC_BASE to x2APIC mode" };
	writes[n++] = (typeof(writes[0])){ MSR_IA32_APICBASE, (apic & 0xfff) | 0xfee01000ull, "APIC_BASE moved" };
	writes[n++] = (typeof(writes[0])){ MSR_IA32_APICBASE, apic & ~(u64)X2APIC_ENABLE & ~(1ull << 11), "APIC_BASE disabled" };
	writes[n++] = (typeof(writes[0])){ MSR_IA32_MISC_ENABLE, misc, "MISC_ENABLE" };
	writes[n++] = (typeof(writes[0])){ MSR_IA32_TSC, 0, "TSC" };
	writes[n++] = (typeof(writes[0])){ MSR_IA32_DEBUGCTLMSR, 1, "DEBUGCTL (LBR)" };
	writes[n++] = (typeof(writes[0])){ MSR_IA32_FEAT_CTL, 5, "FEATURE_CONTROL" };
	writes[n++] = (typeof(writes[0])){ 0x2FF, 0, "MTRR_DEF_TYPE" };
	for (i = 0; i < n; i++) {
		int rc = wrmsrl_safe(writes[i].msr, writes[i].val);

		if (rc != -EIO)
			pr_info("wrmsr %#x <- %#llx (%s): NOT refused (%d)\n", writes[i].msr,
				writes[i].val, writes[i].what, rc);
		refused += rc == -EIO;
	}
	*tried = ARRAY_SIZE(denied_reads) + n;
	pr_info("MSR policy: %d/%d denied accesses raised #GP (%zu reads, %d writes), %d/6 allowed ones worked\n",
		refused, *tried, ARRAY_SIZE(denied_reads), n, allowed);
	return refused == *tried && allowed == 6 ? 0 : -EIO;
}

/* reset=: one request through one path; the hypervisor must end the run. */
static int ask_reset(const char *how)
{
	pr_info("asking for a reset through %s\n", how);
	msleep(100);                    /* let the line reach the console */
	if (!strcmp(how, "92"))
		outb(inb(0x92) | 1, 0x92);
	else if (!strcmp(how, "cf8w"))
		outw(0x0400, 0xcf8);    /* byte 0xCF9 = 0x04: reset the CPU */
	else if (!strcmp(how, "kbc"))
		outb(0xfe, 0x64);
	else
		return -EINVAL;
	mdelay(2000);
	pr_err("still running 2 s after asking for a reset through %s\n", how);
	return -EIO;
}

/* ---- IPIs through the ICR ---- */

#define ICR_INIT_ASSERT   (APIC_DM_INIT | APIC_INT_ASSERT | APIC_INT_LEVELTRIG)
#define LXD_IDS_MAX       4     /* physical APIC IDs tried: 0-3 (the test machine's cores) but our own */

static void icr_send(u32 high, u32 low)
{
	unsigned long flags;
	int i;

	local_irq_save(flags);
	for (i = 0; i < 100000 && (native_apic_mem_read(APIC_ICR) & APIC_ICR_BUSY); i++)
		cpu_relax();
	native_apic_mem_write(APIC_ICR2, high);
	native_apic_mem_write(APIC_ICR, low);
	local_irq_restore(flags);
}

static const struct {
	const char *name;
	u32 low;                        /* destination: each other physical ID */
} ipi_kinds[] = {
	{ "INIT", ICR_INIT_ASSERT },
	{ "INIT de-assert", APIC_DM_INIT | APIC_INT_LEVELTRIG },
	{ "SIPI page 0x10", APIC_DM_STARTUP | 0x10 },
	{ "NMI", APIC_DM_NMI },
	{ "SMI", APIC_DM_SMI },
	{ "ExtINT", APIC_DM_EXTINT },
	{ "fixed 0x10", APIC_DM_FIXED | 0x10 },
	{ "fixed 0x1f", APIC_DM_FIXED | 0x1f },
	{ "fixed 0xff", APIC_DM_FIXED | 0xff },
	{ "fixed 0x40", APIC_DM_FIXED | 0x40 },
	{ "lowest-priority 0x1f", APIC_DM_LOWEST | 0x1f },
	{ "lowest-priority 0xff", APIC_DM_LOWEST | 0xff },
};

static const struct {
	const char *name;
	u32 high, low;
} ipi_broadcasts[] = {
	{ "all-but-self fixed 0xff", 0, APIC_DEST_ALLBUT | APIC_DM_FIXED | 0xff },
	{ "all-but-self fixed 0x1f", 0, APIC_DEST_ALLBUT | APIC_DM_FIXED | 0x1f },
	{ "all-but-self NMI", 0, APIC_DEST_ALLBUT | APIC_DM_NMI },
	{ "all-but-self INIT", 0, APIC_DEST_ALLBUT | ICR_INIT_ASSERT },
	{ "all-but-self SIPI", 0, APIC_DEST_ALLBUT | APIC_DM_STARTUP | 0x10 },
	{ "physical broadcast 0xff fixed 0x10", 0xffu << 24, APIC_DM_FIXED | 0x10 },
	{ "physical broadcast 0xff INIT", 0xffu << 24, ICR_INIT_ASSERT },
	/* a logical broadcast includes Linux's own core: never 0xff there (Linux does
	 * not acknowledge its spurious vector, so its own ISR would block it for good) */
	{ "logical broadcast 0xff fixed 0xf6", 0xffu << 24, APIC_DEST_LOGICAL | APIC_DM_FIXED | IRQ_WORK_VECTOR },
	{ "logical broadcast 0xff fixed 0x1f", 0xffu << 24, APIC_DEST_LOGICAL | APIC_DM_FIXED | 0x1f },
	{ "logical broadcast 0xff NMI", 0xffu << 24, APIC_DEST_LOGICAL | APIC_DM_NMI },
	{ "logical broadcast 0xff INIT", 0xffu << 24, APIC_DEST_LOGICAL | ICR_INIT_ASSERT },
	{ "logical 0xfe (every core but logical ID 1) fixed 0x40", 0xfeu << 24,
	  APIC_DEST_LOGICAL | APIC_DM_FIXED | 0x40 },
};

static int send_hostile_ipis(void)
{
	u32 self = native_apic_mem_read(APIC_ID) >> 24;
	int sent = 0;
	size_t k;
	u32 id;

	for (k = 0; k < ARRAY_SIZE(ipi_kinds); k++) {
		for (id = 0; id < LXD_IDS_MAX; id++) {
			if (id == self)
				continue;
			icr_send(id << 24, ipi_kinds[k].low);
			sent++;
		}
		pr_info("IPI %s (ICR %#x) sent to APIC IDs 0-%d but %u\n", ipi_kinds[k].name,
			ipi_kinds[k].low, LXD_IDS_MAX - 1, self);
	}
	for (k = 0; k < ARRAY_SIZE(ipi_broadcasts); k++) {
		/* an all-including-self INIT or NMI would hit Linux too: only all-but-self ones */
		icr_send(ipi_broadcasts[k].high, ipi_broadcasts[k].low);
		sent++;
		pr_info("IPI %s (ICR %#x:%#x) sent\n", ipi_broadcasts[k].name,
			ipi_broadcasts[k].high, ipi_broadcasts[k].low);
	}
	mdelay(100);                    /* anything that got through has landed by now */
	return sent;
}

static atomic_t work_ran;
static void work_fn(struct irq_work *w) { atomic_inc(&work_ran); }
static struct irq_work self_work = IRQ_WORK_INIT_HARD(work_fn);

static unsigned int irq_work_irqs(void)
{
	return this_cpu_read(irq_stat.apic_irq_work_irqs);
}

/* Sends the IRQ-work vector to ourselves by ICR and waits for it: 1 if it arrived. */
static int self_ipi_arrives(const char *how, u32 high, u32 low)
{
	unsigned int before;
	unsigned long end;

	preempt_disable();
	before = irq_work_irqs();
	icr_send(high, low | APIC_DM_FIXED | IRQ_WORK_VECTOR);
	end = jiffies + HZ / 10;
	while (irq_work_irqs() == before && time_before(jiffies, end))
		cpu_relax();
	preempt_enable();
	if (irq_work_irqs() == before) {
		pr_info("self IPI by %s: did NOT arrive\n", how);
		return 0;
	}
	pr_info("self IPI by %s: arrived\n", how);
	return 1;
}

/*
 * ipi=2 (Linux on several cores): INIT, INIT de-assert and SIPI only to the
 * physical APIC IDs 0-3 that are none of Linux's CPUs (the hidden LXD
 * cores); its own other cores are left alone (an INIT there would reset a
 * running CPU of Linux, a fixed 0xff would block its APIC).
 */
static int start_up_hidden_cores(void)
{
	static const u32 kinds[] = { ICR_INIT_ASSERT, APIC_DM_INIT | APIC_INT_LEVELTRIG,
				     APIC_DM_STARTUP | 0x10, APIC_DM_STARTUP | 0x10 };
	int sent = 0, cpu;
	size_t k;
	u32 id;

	for (id = 0; id < LXD_IDS_MAX; id++) {
		bool linux_own = false;

		for_each_possible_cpu(cpu)
			if (cpu_physical_id(cpu) == id)
				linux_own = true;
		if (linux_own)
			continue;
		for (k = 0; k < ARRAY_SIZE(kinds); k++) {
			icr_send(id << 24, kinds[k]);
			sent++;
		}
		pr_info("INIT, INIT de-assert, SIPI, SIPI sent to APIC ID %u (none of Linux's CPUs)\n", id);
	}
	mdelay(100);
	pr_info("IPIs: %d start-up IPIs sent to the hidden cores\n", sent);
	return 0;
}

/*
 * ipi=3: a SIPI with no INIT before it to one of Linux's own cores that
 * Linux has not started (maxcpus=): as on the CPU, the core is not
 * waiting for a SIPI, so the hypervisor ignores it and logs why; Linux
 * can start the core properly later (INIT-SIPI-SIPI, CPU hotplug).
 */
static int sipi_without_init(void)
{
	u32 id;

	if (sipi_cpu < 0 || sipi_cpu >= nr_cpu_ids || !cpu_present(sipi_cpu) ||
	    cpu_online(sipi_cpu)) {
		pr_err("ipi=3: sipi_cpu=%d is not a present, offline CPU\n", sipi_cpu);
		return -EINVAL;
	}
	id = cpu_physical_id(sipi_cpu);
	icr_send(id << 24, APIC_DM_STARTUP | 0x10);
	mdelay(100);
	pr_info("SIPI (vector 0x10) without INIT sent to CPU %d, APIC ID %u\n", sipi_cpu, id);
	return 0;
}

static int ipi_attacks(void)
{
	u32 self = native_apic_mem_read(APIC_ID) >> 24;
	u32 ldr = native_apic_mem_read(APIC_LDR) & 0xff000000u;
	unsigned long end;
	int sent, ok = 0, tries = 0;

	sent = send_hostile_ipis();
	/* Linux's own interrupts go on */
	irq_work_queue(&self_work);
	end = jiffies + HZ / 10;
	while (!atomic_read(&work_ran) && time_before(jiffies, end))
		cpu_relax();
	irq_work_sync(&self_work);
	pr_info("irq_work (a self IPI): %s\n", atomic_read(&work_ran) ? "ran" : "did NOT run");
	ok += !!atomic_read(&work_ran); tries++;
	ok += self_ipi_arrives("physical APIC ID", self << 24, 0); tries++;
	ok += self_ipi_arrives("the self shorthand", 0, APIC_DEST_SELF); tries++;
	ok += self_ipi_arrives("all including self", 0, APIC_DEST_ALLINC); tries++;
	ok += self_ipi_arrives("physical broadcast 0xff", 0xffu << 24, 0); tries++;
	if (ldr) {
		ok += self_ipi_arrives("its logical ID", ldr, APIC_DEST_LOGICAL);
		tries++;
	}
	pr_info("IPIs: %d hostile ones sent to the other cores; %d/%d self IPIs arrived\n",
		sent, ok, tries);
	return ok == tries ? 0 : -EIO;
}

static int apic_stats(void)
{
	unsigned int a, b, c, d, e, f, g, h;

	unsigned long flags;
	u64 t0, t1, t2;
	u32 tpr;
	int i;

	cpuid(0x40000002, &a, &b, &c, &d);
	cpuid(0x40000003, &e, &f, &g, &h);
	pr_info("apicstat: writes %u eoi %u icr %u dropped %u timer %u other %u refused %u "
		"cycles/exit %u jiffies %lu HZ %d\n", a, b, c, d, e, f, g, h, jiffies, HZ);
	if (apicstat < 2)
		return 0;
	/* apicstat=2: what one APIC write costs Linux (TSC: in Bochs, emulated instructions) */
	local_irq_save(flags);
	tpr = native_apic_mem_read(APIC_TASKPRI);
	t0 = rdtsc_ordered();
	for (i = 0; i < 1000; i++)
		native_apic_mem_read(APIC_TASKPRI);
	t1 = rdtsc_ordered();
	for (i = 0; i < 1000; i++)
		native_apic_mem_write(APIC_TASKPRI, tpr);
	t2 = rdtsc_ordered();
	local_irq_restore(flags);
	pr_info("apiccost: 1000 TPR reads %llu TSC ticks, 1000 TPR writes %llu TSC ticks\n",
		t1 - t0, t2 - t1);
	return 0;
}

static int __init kattack_init(void)
{
	u64 val = 0;
	int ud, svm_ud, gp, tried, rd, wr, msr_tried, msr_rc;
	bool good_ok;

	if (reset)
		return ask_reset(reset);
	if (apicstat)
		return apic_stats();
	if (ipi == 2)
		return start_up_hidden_cores();
	if (ipi == 3)
		return sipi_without_init();
	if (ipi)
		return ipi_attacks();
	msr_rc = msr_policy(&msr_tried);
	ud = vmx_instructions();
	svm_ud = svm_instructions();
	gp = xsetbv_attacks(&tried, &good_ok);
	rd = rdmsrl_safe(MSR_IA32_VMX_BASIC, &val);
	wr = wrmsrl_safe(MSR_IA32_VMX_BASIC, 0);
	pr_info("rdmsr IA32_VMX_BASIC: %d, wrmsr IA32_VMX_BASIC: %d\n", rd, wr);
	pr_info("%d/%zu VMX instructions raised #UD, %d/%d bad XCR0 values raised #GP with XCR0 unchanged, "
		"the current XCR0 written back %s, VMX MSR access %s\n",
		ud, ARRAY_SIZE(vmx_insns), gp, tried,
		!tried && good_ok ? "not tried (no XSAVE)" : good_ok ? "passed" : "FAILED",
		rd == -EIO && wr == -EIO ? "refused (#GP)" : "NOT refused");
	if (ud != ARRAY_SIZE(vmx_insns) || svm_ud != ARRAY_SIZE(svm_insns) || gp != tried || !good_ok || rd != -EIO || wr != -EIO || msr_rc)
		return -EIO;
	return 0;
}

static void __exit kattack_exit(void)
{
}

module_init(kattack_init);
module_exit(kattack_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lxds: attacks on the hypervisor from Linux's kernel (tests)");
