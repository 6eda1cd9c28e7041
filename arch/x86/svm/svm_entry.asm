; Entering and leaving an SVM guest.
;
;   void svm_enter(uint64_t vmcb_pa, struct vcpu_regs *regs, uint64_t host_vmcb_pa)
;
; VMRUN saves and restores only part of the host state (RSP, RIP, RAX, the
; control registers, EFER, GDTR/IDTR, CS/SS/DS/ES): the host's FS, GS (the
; per-core pointer), TR, LDTR, KERNEL_GS_BASE, STAR/LSTAR/CSTAR/SFMASK and
; SYSENTER MSRs are kept by VMSAVE into host_vmcb_pa and brought back by
; VMLOAD; the guest's by VMLOAD/VMSAVE of its own VMCB.  The guest's RAX and
; RSP live in the VMCB; the other GPRs are loaded from and saved to *regs.
;
; Interrupts: called with IF = 0.  CLGI holds every interrupt; STI lets a
; physical interrupt that arrives while the guest runs make it exit (with
; V_INTR_MASKING the host's IF decides); after #VMEXIT (GIF = 0) CLI and
; STGI return to "IF = 0" without taking anything: the run loop decides.
bits 64
section .text
global svm_enter

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

svm_enter:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    push rsi                        ; [rsp+16] regs
    push rdx                        ; [rsp+8]  host VMCB
    push rdi                        ; [rsp]    guest VMCB
    clgi
    mov rax, rdx
    vmsave                          ; (at rax) the host's FS/GS/TR/LDTR/syscall MSRs
    mov rax, rdi
    mov rbx, [rsi + R_RBX]
    mov rcx, [rsi + R_RCX]
    mov rdx, [rsi + R_RDX]
    mov rbp, [rsi + R_RBP]
    mov r8,  [rsi + R_R8]
    mov r9,  [rsi + R_R9]
    mov r10, [rsi + R_R10]
    mov r11, [rsi + R_R11]
    mov r12, [rsi + R_R12]
    mov r13, [rsi + R_R13]
    mov r14, [rsi + R_R14]
    mov r15, [rsi + R_R15]
    mov rdi, [rsi + R_RDI]
    mov rsi, [rsi + R_RSI]
    vmload                          ; (at rax)
    sti
    vmrun                          ; (at rax)
    vmsave                          ; (at rax)
    cli
    push rdi                        ; guest rdi
    mov rdi, [rsp + 24]             ; regs
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
    mov rax, [rsp + 8]
    vmload                          ; (at rax) the host's GS (per-core pointer) and the rest back
    stgi
    add rsp, 24
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
