/*
 * lxd-vmx-user: executes every VMX instruction (and GETSEC) in user space
 * as an unprivileged user, one child process per instruction, and reports
 * how each ended.  In VMX non-root operation these instructions cause VM
 * exits before the CPU checks the privilege level; the lxds hypervisor must
 * answer each with #UD (Linux: SIGILL), as a CPU without VMX does, and
 * never stop the machine.
 *
 *   lxd-vmx-user [UID]     drops to UID (default 65534, group the same, no
 *                          supplementary groups) when run as root
 *
 * Prints one line per instruction ("vmxoff: SIGILL") and a summary; exits
 * 0 only if every instruction was refused with SIGILL.
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

static const struct {
	const char *name;
	void (*run)(void);
} insns[] = {
	{ "vmxon", do_vmxon }, { "vmxoff", do_vmxoff }, { "vmclear", do_vmclear },
	{ "vmptrld", do_vmptrld }, { "vmptrst", do_vmptrst }, { "vmread", do_vmread },
	{ "vmwrite", do_vmwrite }, { "vmlaunch", do_vmlaunch }, { "vmresume", do_vmresume },
	{ "invept", do_invept }, { "invvpid", do_invvpid }, { "vmfunc", do_vmfunc },
	{ "getsec", do_getsec },
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

int main(int argc, char **argv)
{
	uid_t uid = argc > 1 ? (uid_t)strtoul(argv[1], NULL, 10) : 65534;
	unsigned int i, n = sizeof(insns) / sizeof(insns[0]), sigill = 0;

	if (getuid() == 0 && (setgroups(0, NULL) || setgid(uid) || setuid(uid))) {
		perror("lxd-vmx-user: dropping to the unprivileged user");
		return 2;
	}
	printf("lxd-vmx-user: uid %u, euid %u: %u VMX instructions, one child each\n",
	       (unsigned)getuid(), (unsigned)geteuid(), n);
	fflush(stdout);
	for (i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			perror("lxd-vmx-user: fork");
			return 2;
		}
		if (pid == 0) {
			insns[i].run();
			_exit(0);       /* the instruction returned */
		}
		if (waitpid(pid, &status, 0) < 0) {
			perror("lxd-vmx-user: waitpid");
			return 2;
		}
		if (WIFSIGNALED(status)) {
			printf("lxd-vmx-user: %s: %s\n", insns[i].name, signame(WTERMSIG(status)));
			sigill += WTERMSIG(status) == SIGILL;
		} else {
			printf("lxd-vmx-user: %s: RETURNED to user space (exit %d)\n", insns[i].name,
			       WEXITSTATUS(status));
		}
		fflush(stdout);
	}
	printf("lxd-vmx-user: %u of %u VMX instructions at CPL 3 refused with SIGILL (#UD)\n",
	       sigill, n);
	return sigill == n ? 0 : 1;
}
