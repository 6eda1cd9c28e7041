/*
 * lxd-vmx-user: executes every VMX instruction (and GETSEC), then every SVM
 * instruction, in user space as an unprivileged user, one child process per
 * instruction, and reports how each ended.  In VMX non-root operation the
 * VMX instructions cause VM exits before the CPU checks the privilege
 * level; under SVM the SVM instructions other than VMMCALL raise #GP at
 * CPL 3 before their intercept, and VMMCALL exits.  The lxds hypervisor
 * must answer each with #UD (Linux: SIGILL), as a CPU without VMX or SVM
 * does, under either backend, and never stop the machine.  (On a CPU of the
 * other vendor the instructions are #UD without the hypervisor.)
 *
 *   lxd-vmx-user [UID]     drops to UID (default 65534, group the same, no
 *                          supplementary groups) when run as root
 *
 * Prints one line per instruction ("vmxoff: SIGILL"), a summary for each
 * set; exits 0 only if every instruction was refused with SIGILL.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t mem[4] __attribute__((aligned(16)));

static void do_vmxon(void) { __asm__ volatile("vmxon %0" :: "m"(mem[0]) : "memory"); }
static void do_vmxoff(void) { __asm__ volatile("vmxoff" ::: "memory"); }
static void do_vmclear(void) { __asm__ volatile("vmclear %0" :: "m"(mem[0]) : "memory"); }
static void do_vmptrld(void) { __asm__ volatile("vmptrld %0" :: "m"(mem[0]) : "memory"); }
static void do_vmptrst(void) { __asm__ volatile("vmptrst %0" : "=m"(mem[0]) :: "memory"); }
static void do_vmread(void)
{
	uint64_t v, f = 0x681E;     /* GUEST_RIP */
	__asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(f) : "cc");
	(void)v;
}
static void do_vmwrite(void)
{
	uint64_t f = 0x681E, v = 0;
	__asm__ volatile("vmwrite %1, %0" :: "r"(f), "r"(v) : "cc");
}
static void do_vmlaunch(void) { __asm__ volatile("vmlaunch" ::: "memory"); }
static void do_vmresume(void) { __asm__ volatile("vmresume" ::: "memory"); }
static void do_invept(void) { __asm__ volatile("invept %0, %1" :: "m"(mem[0]), "r"(2ull) : "memory"); }
static void do_invvpid(void) { __asm__ volatile("invvpid %0, %1" :: "m"(mem[0]), "r"(2ull) : "memory"); }
static void do_vmfunc(void) { __asm__ volatile("vmfunc" :: "a"(0), "c"(0) : "memory"); }
static void do_getsec(void) { __asm__ volatile("getsec" :: "a"(0) : "ebx", "ecx", "memory"); }

/* 0F 01 D8-DF; VMRUN, VMLOAD, VMSAVE take RAX as an address, INVLPGA RAX and ECX */
#define SVM_INSN(fn, byte) \
	static void fn(void) { __asm__ volatile(".byte 0x0f, 0x01, " #byte :: "a"(mem), "c"(0) : "memory"); }
SVM_INSN(do_vmrun, 0xd8)
SVM_INSN(do_vmmcall, 0xd9)
SVM_INSN(do_vmload, 0xda)
SVM_INSN(do_vmsave, 0xdb)
SVM_INSN(do_stgi, 0xdc)
SVM_INSN(do_clgi, 0xdd)
SVM_INSN(do_skinit, 0xde)
SVM_INSN(do_invlpga, 0xdf)

struct insn {
	const char *name;
	void (*run)(void);
};

static const struct insn insns[] = {
	{ "vmxon", do_vmxon }, { "vmxoff", do_vmxoff }, { "vmclear", do_vmclear },
	{ "vmptrld", do_vmptrld }, { "vmptrst", do_vmptrst }, { "vmread", do_vmread },
	{ "vmwrite", do_vmwrite }, { "vmlaunch", do_vmlaunch }, { "vmresume", do_vmresume },
	{ "invept", do_invept }, { "invvpid", do_invvpid }, { "vmfunc", do_vmfunc },
	{ "getsec", do_getsec },
};

static const struct insn svm_insns[] = {
	{ "vmrun", do_vmrun }, { "vmmcall", do_vmmcall }, { "vmload", do_vmload },
	{ "vmsave", do_vmsave }, { "stgi", do_stgi }, { "clgi", do_clgi },
	{ "skinit", do_skinit }, { "invlpga", do_invlpga },
};

static const char *signame(int sig)
{
	static char buf[32];

	switch (sig) {
	case SIGILL: return "SIGILL";
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGTRAP: return "SIGTRAP";
	}
	snprintf(buf, sizeof(buf), "signal %d", sig);
	return buf;
}

/* Runs each instruction of set in a child; the number that ended in SIGILL, or -1. */
static int run_set(const struct insn *set, unsigned int n)
{
	unsigned int i;
	int sigill = 0;

	for (i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			perror("lxd-vmx-user: fork");
			return -1;
		}
		if (pid == 0) {
			set[i].run();
			_exit(0);       /* the instruction returned */
		}
		if (waitpid(pid, &status, 0) < 0) {
			perror("lxd-vmx-user: waitpid");
			return -1;
		}
		if (WIFSIGNALED(status)) {
			printf("lxd-vmx-user: %s: %s\n", set[i].name, signame(WTERMSIG(status)));
			sigill += WTERMSIG(status) == SIGILL;
		} else {
			printf("lxd-vmx-user: %s: RETURNED to user space (exit %d)\n", set[i].name,
			       WEXITSTATUS(status));
		}
		fflush(stdout);
	}
	return sigill;
}

int main(int argc, char **argv)
{
	uid_t uid = argc > 1 ? (uid_t)strtoul(argv[1], NULL, 10) : 65534;
	unsigned int n = sizeof(insns) / sizeof(insns[0]), ns = sizeof(svm_insns) / sizeof(svm_insns[0]);
	int vmx, svm;

	if (getuid() == 0 && (setgroups(0, NULL) || setgid(uid) || setuid(uid))) {
		perror("lxd-vmx-user: dropping to the unprivileged user");
		return 2;
	}
	printf("lxd-vmx-user: uid %u, euid %u: %u VMX and %u SVM instructions, one child each\n",
	       (unsigned)getuid(), (unsigned)geteuid(), n, ns);
	fflush(stdout);
	vmx = run_set(insns, n);
	if (vmx < 0)
		return 2;
	printf("lxd-vmx-user: %d of %u VMX instructions at CPL 3 refused with SIGILL (#UD)\n", vmx, n);
	fflush(stdout);
	svm = run_set(svm_insns, ns);
	if (svm < 0)
		return 2;
	printf("lxd-vmx-user: %d of %u SVM instructions at CPL 3 refused with SIGILL (#UD)\n", svm, ns);
	return (unsigned int)vmx == n && (unsigned int)svm == ns ? 0 : 1;
}
