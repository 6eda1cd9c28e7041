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

; Why jmp: a switched-out thread's return address was pushed by *its*
; call, which the return-stack buffer (RSB) does not hold, so a ret here
; always mispredicts (~20 cycles on the benchmark machine) and shifts the
; RSB for the rets that follow.  An indirect jmp is predicted by the
; branch target buffer from recent history instead, which gets a regular
; switch pattern right; it also leaves our call's RSB entry in place, so
; the resumed thread's next ret (out of the same async_block or
; async_ctx_switch call site, when threads block the same way) hits.
; This made the raw switch 20 -> 8 TSC ticks one way (Boost.Context's
; jump_fcontext, which also ends with pop + jmp: 12).

; void async_ctx_switch(void **save_sp, void *load_sp)
;   rdi = where to store the current stack pointer, rsi = stack to resume.
;   The resumed thread may be parked in async_ctx_start, which returns 0:
;   eax is cleared for it (see "Returning 0" below).
global async_ctx_switch
async_ctx_switch:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	mov [rdi], rsp
	mov rdi, rsi            ; and on into async_ctx_resume

; void *async_ctx_resume(void *load_sp): does not return; resumes the thread
;   whose saved stack pointer is load_sp, abandoning the current stack.  A
;   thread that ends after it blocked leaves this way (async_thread_exit):
;   its caller is a tail jump, so no ret is spent on the way out either.
global async_ctx_resume
async_ctx_resume:
	mov rsp, rdi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	xor eax, eax            ; 0 for a thread parked in async_ctx_start
	pop rcx                 ; the resumed thread's return address:
	jmp rcx                 ; see "Why jmp" above

; int async_ctx_start(void **save_sp, void *stack_top,
;                     void *(*entry)(void *), void *arg)
;   Saves the current thread like async_ctx_switch, then calls entry(arg)
;   on the new stack (stack_top is 16-byte aligned).  When entry returns,
;   its result is the saved stack pointer of the thread to resume.
;
;   Returning 0: however the caller is resumed (by our own tail below, or
;   by async_ctx_switch when the new thread blocks), it sees 0 in eax.  So
;   async_spawn can end with "return async_ctx_start(...)", a tail jump:
;   then the address a resumed parent jumps to is in async_spawn's caller,
;   and no ret of async_spawn's is left to mispredict after a stack switch
;   (the return-stack buffer then holds the child's frames, not ours).
;   That ret cost about 20 TSC ticks per blocking ASYNC on the benchmark
;   machine (docs/ipc-async.md, issue 17's fourth round).
;
;   Returning (rather than jumping away from inside entry) matters: when the
;   new thread never blocked, the thread to resume is the one that called
;   us, so every ret on the way back - fn to entry, entry to here, here to
;   the caller - matches a call and the return-stack predictor gets all of
;   them right.  That is most of the cost of a non-blocking ASYNC.
;   When the thread did block, the thread to resume is some other one, and
;   entry does not return at all: it leaves through async_ctx_resume.
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
	call rdx                ; returns only if the thread never blocked,
	mov rsp, rax            ; with our own saved stack pointer
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	xor eax, eax
	ret                     ; back to our own caller: matches its call

section .note.GNU-stack noalloc noexec nowrite progbits
