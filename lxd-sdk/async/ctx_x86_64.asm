; Stack switching for the async runtime (x86-64, System V ABI).
;
; Only the callee-saved registers (rbx, rbp, r12-r15) are saved: every switch
; happens inside a function call, so the caller has already saved whatever
; else it needs, exactly as for any other call.  They are pushed on the
; stack being left, and only the stack pointer is stored, so a switched-out
; thread is fully described by one pointer.  The MXCSR and x87 control
; words are not switched: no thread in a domain changes rounding modes.

bits 64
default rel
section .text

; void async_ctx_switch(void **save_sp, void *load_sp)
;   rdi = where to store the current stack pointer, rsi = stack to resume
global async_ctx_switch
async_ctx_switch:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	mov [rdi], rsp
	mov rsp, rsi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret

; void async_ctx_start(void **save_sp, void *stack_top,
;                      void *(*entry)(void *), void *arg)
;   Saves the current thread like async_ctx_switch, then calls entry(arg)
;   on the new stack (stack_top is 16-byte aligned).  When entry returns,
;   its result is the saved stack pointer of the thread to resume.
;
;   Returning (rather than jumping away from inside entry) matters: when the
;   new thread never blocked, the thread to resume is the one that called
;   us, so every ret on the way back - fn to entry, entry to here, here to
;   the caller - matches a call and the return-stack predictor gets all of
;   them right.  That is most of the cost of a non-blocking ASYNC.
global async_ctx_start
async_ctx_start:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	mov [rdi], rsp
	mov rsp, rsi
	xor ebp, ebp            ; end of the frame-pointer chain for debuggers
	mov rdi, rcx
	call rdx
	mov rsp, rax
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
