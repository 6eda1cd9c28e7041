; LXD start-up.  The hypervisor enters here in 64-bit mode at CPL 0 with
; paging on (VA = GPA), interrupts off, RSP = LXD_STACK_TOP_VA and
; RDI = LXD_BOOT_INFO_VA (docs/lxd-sdk.md).  Before any C runs we check
; that RDI is where the ABI says and that the page there carries the
; boot-info magic: an image started by something else, or by a hypervisor
; speaking another ABI, exits at once with a code that says so, instead of
; running on garbage.  BSS needs no clearing: the loader zero-fills every
; segment beyond its file data.

%include "lxd_abi.inc"

bits 64
default rel

extern lxd_sdk_start
extern lxd_main

section .text.entry progbits alloc exec nowrite align=16
global _start
_start:
	mov rax, LXD_BOOT_INFO_VA
	cmp rdi, rax
	jne .bad_boot_info
	mov rax, LXD_BOOT_INFO_MAGIC
	cmp [rdi], rax
	jne .bad_boot_info
	xor ebp, ebp			; ends frame-pointer chains (debuggers, backtraces)
	and rsp, -16			; the SysV ABI wants RSP % 16 == 0 at a call
	mov rbx, rdi			; callee-saved: survives both calls
	call lxd_sdk_start
	mov rdi, rbx
	call lxd_main
	movsxd rdi, eax			; int exit code, sign-extended (-1 stays -1)
	jmp .exit
.bad_boot_info:
	mov edi, LXD_EXIT_BAD_BOOT_INFO
.exit:
	mov eax, LXD_HC_EXIT
	vmcall
	ud2				; LXD_HC_EXIT never returns: if it did, fault
