; Real-mode start-up code for the other cores.  The boot core copies this
; blob to TRAMPOLINE_BASE (below 1 MiB), fills in the parameter block, and
; sends INIT-SIPI-SIPI with vector TRAMPOLINE_BASE >> 12.  The core goes
; 16-bit -> 32-bit protected mode -> 64-bit long mode on the boot core's
; page tables and calls entry(cpu) on its own stack.
; Assembled with -f bin; the parameter block layout is mirrored by
; struct ap_trampoline_params in arch/x86/smp.c.
bits 16
org 0x8000

CR0_PE  equ 1 << 0
CR0_PG  equ 1 << 31
CR4_PAE equ 1 << 5
EFER_MSR equ 0xC0000080

start:
    cli
    jmp 0:real_mode                 ; CS:IP is 0x0800:0000 after SIPI; normalise

align 8
params:
.cr3:     dq 0
.efer:    dq 0
.stack:   dq 0
.entry:   dq 0
.cpu:     dq 0
.started: dd 0                      ; set to 1 by the core once in long mode
          dd 0

real_mode:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    lgdt [gdt_ptr]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    jmp dword 0x08:protected_mode

bits 32
protected_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, [params.cr3]
    mov cr3, eax
    mov ecx, EFER_MSR
    mov eax, [params.efer]
    mov edx, [params.efer + 4]
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_PE
    mov cr0, eax
    jmp 0x18:long_mode

bits 64
long_mode:
    xor eax, eax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, [params.stack]
    mov rdi, [params.cpu]
    mov dword [params.started], 1
    mov rax, [params.entry]
    call rax
.hang:
    cli
    hlt
    jmp .hang

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF           ; 0x08: 32-bit code
    dq 0x00CF92000000FFFF           ; 0x10: data
    dq 0x00AF9A000000FFFF           ; 0x18: 64-bit code
gdt_ptr:
    dw gdt_ptr - gdt - 1
    dd gdt
