; Entering and leaving a guest.
;
;   int vmx_enter(struct vcpu_regs *regs, int launched)
;
; Saves the host's callee-saved registers, points HOST_RSP at this frame,
; loads the guest's GPRs and runs VMLAUNCH (first time) or VMRESUME.
; Returns 0 after a VM exit (guest GPRs saved back into *regs), 1 if the
; instruction failed with VMfailInvalid, 2 with VMfailValid (the reason is
; in the VM-instruction error field).  HOST_RIP is vmx_exit_point.
bits 64
section .text
global vmx_enter
global vmx_exit_point

HOST_RSP equ 0x6C14

; struct vcpu_regs offsets
R_RAX equ 0
R_RBX equ 8
R_RCX equ 16
R_RDX equ 24
R_RSI equ 32
R_RDI equ 40
R_RBP equ 48
R_R8  equ 56
R_R9  equ 64
R_R10 equ 72
R_R11 equ 80
R_R12 equ 88
R_R13 equ 96
R_R14 equ 104
R_R15 equ 112

vmx_enter:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    push rdi                        ; regs, found again at [rsp] after the exit
    mov rax, HOST_RSP
    vmwrite rax, rsp
    test esi, esi                   ; launched?  (the movs below keep the flags)
    mov rax, [rdi + R_RAX]
    mov rbx, [rdi + R_RBX]
    mov rcx, [rdi + R_RCX]
    mov rdx, [rdi + R_RDX]
    mov rsi, [rdi + R_RSI]
    mov rbp, [rdi + R_RBP]
    mov r8,  [rdi + R_R8]
    mov r9,  [rdi + R_R9]
    mov r10, [rdi + R_R10]
    mov r11, [rdi + R_R11]
    mov r12, [rdi + R_R12]
    mov r13, [rdi + R_R13]
    mov r14, [rdi + R_R14]
    mov r15, [rdi + R_R15]
    mov rdi, [rdi + R_RDI]
    jnz .resume
    vmlaunch
    jmp .failed
.resume:
    vmresume
.failed:
    ; only reached when the instruction failed: CF=1 VMfailInvalid, ZF=1 VMfailValid
    mov eax, 1
    jc .out
    mov eax, 2
.out:
    add rsp, 8
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

vmx_exit_point:
    xchg rdi, [rsp]                 ; rdi = regs, [rsp] = guest rdi
    mov [rdi + R_RAX], rax
    mov [rdi + R_RBX], rbx
    mov [rdi + R_RCX], rcx
    mov [rdi + R_RDX], rdx
    mov [rdi + R_RSI], rsi
    mov [rdi + R_RBP], rbp
    mov [rdi + R_R8],  r8
    mov [rdi + R_R9],  r9
    mov [rdi + R_R10], r10
    mov [rdi + R_R11], r11
    mov [rdi + R_R12], r12
    mov [rdi + R_R13], r13
    mov [rdi + R_R14], r14
    mov [rdi + R_R15], r15
    pop rax
    mov [rdi + R_RDI], rax
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    xor eax, eax
    ret
