; Exception entry of a driver domain (lxd-sdk/kenv/core/kenv_start.c sets up
; the GDT and IDT).  The domain runs at CPL 0 and no interrupt is ever
; delivered, so an exception arrives on the same stack, without a stack
; switch.  Each stub pushes a zero for vectors without an error code, then
; the vector, saves every general register and calls
;     unsigned long kenv_trap(struct kenv_trap_frame *f)
; which returns only for a WARN (with f->rip moved past its ud2); the
; registers are restored and iretq resumes there.

bits 64
default rel
section .text

extern kenv_trap

%macro TRAP_NOERR 1
global kenv_trap_%1
kenv_trap_%1:
	push 0
	push %1
	jmp kenv_trap_common
%endmacro

%macro TRAP_ERR 1
global kenv_trap_%1
kenv_trap_%1:
	push %1
	jmp kenv_trap_common
%endmacro

TRAP_NOERR 0
TRAP_NOERR 1
TRAP_NOERR 2
TRAP_NOERR 3
TRAP_NOERR 4
TRAP_NOERR 5
TRAP_NOERR 6
TRAP_NOERR 7
TRAP_ERR   8
TRAP_NOERR 9
TRAP_ERR   10
TRAP_ERR   11
TRAP_ERR   12
TRAP_ERR   13
TRAP_ERR   14
TRAP_NOERR 15
TRAP_NOERR 16
TRAP_ERR   17
TRAP_NOERR 18
TRAP_NOERR 19
TRAP_NOERR 20
TRAP_ERR   21

kenv_trap_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rdi, rsp
	mov rbx, rsp			; callee-saved: the frame, whatever C does to rsp
	and rsp, -16
	cld
	call kenv_trap
	mov rsp, rbx
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16			; vector, error code
	iretq

section .rodata
global kenv_trap_stubs
kenv_trap_stubs:
%assign v 0
%rep 22
	dq kenv_trap_ %+ v
%assign v v+1
%endrep
