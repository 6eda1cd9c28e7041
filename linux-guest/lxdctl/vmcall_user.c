/*
 * lxd-user-vmcall: executes VMCALL in user space (CPL 3) and reports what
 * happened.  The lxds hypervisor must answer a ring-3 VMCALL with #UD, which
 * Linux delivers as SIGILL: then this prints "SIGILL (#UD)" and exits 0.
 * If the VMCALL returns instead, it prints RAX and exits 1 (the hypervisor
 * took a call from user space, which the ABI forbids).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void on_sigill(int sig, siginfo_t *si, void *uc)
{
	static const char msg[] = "lxd-user-vmcall: vmcall at CPL 3 raised SIGILL (#UD), as it must\n";

	(void)sig;
	(void)si;
	(void)uc;
	if (write(1, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to say */
	}
	_exit(0);
}

int main(void)
{
	struct sigaction sa;
	uint64_t rax = 0; /* LXDS_HC_VERSION */

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigill;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGILL, &sa, NULL);
	printf("lxd-user-vmcall: executing vmcall (RAX=0, LXDS_HC_VERSION) in user space\n");
	fflush(stdout);
	__asm__ __volatile__("vmcall" : "+a"(rax) : : "memory");
	printf("lxd-user-vmcall: vmcall RETURNED to user space with RAX=%#llx: the hypervisor took a "
	       "call from CPL 3\n", (unsigned long long)rax);
	return 1;
}
