; Entry stubs for the 32 CPU exceptions and the wake-up vector.  Each stub
; pushes a uniform frame (error code, vector, all GPRs) and calls
; x86_trap(struct trap_frame *), whose layout arch/x86/include/x86/trap.h mirrors.
bits 64
section .text

extern x86_trap
global x86_exception_stubs
global x86_wakeup_entry
global x86_spurious_entry

%macro STUB 1
    align 16
stub_%1:
%if %1 = 8 || (%1 >= 10 && %1 <= 14) || %1 = 17 || %1 = 21 || %1 = 29 || %1 = 30
    ; the CPU pushed an error code
%else
    push 0
%endif
    push %1
    jmp trap_common
%endmacro

%assign i 0
%rep 32
    STUB i
%assign i i + 1
%endrep

trap_common:
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
    mov rbx, rsp            ; keep the frame; align the stack for the C call
    and rsp, -16
    cld
    call x86_trap
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
    add rsp, 16             ; vector and error code
    iretq

; The wake-up IPI only ends HLT: acknowledge it at the local APIC and return.
extern x86_lapic_eoi
x86_wakeup_entry:
    push rax
    push rcx
    push rdx
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
    mov rax, rsp
    and rsp, -16
    push rax
    push rax
    call x86_lapic_eoi
    pop rax
    mov rsp, rax
    pop r11
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rax
    iretq

; A spurious APIC interrupt needs no EOI.
x86_spurious_entry:
    iretq

section .rodata
align 8
x86_exception_stubs:
%assign i 0
%rep 32
    dq stub_ %+ i
%assign i i + 1
%endrep
