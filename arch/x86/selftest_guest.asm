; The built-in self-test guests: tiny 64-bit programs, one per test, run in
; their own VM behind their own EPT.  Assembled with -f bin at GUEST_CODE;
; the table at the start gives each test's entry point (see selftest.c).
;
; Hypercalls (VMCALL, RAX = op): 1 ECHO (returns RBX + 1 in RAX),
; 2 REPORT (RBX = value for the host to check), 3 DONE (stop, passed so far).
bits 64
org 0x10000

HC_ECHO   equ 1
HC_REPORT equ 2
HC_DONE   equ 3
SECRET    equ 0x5EC12E75EC12E7
SECRET_GPA equ 0x100000
UNMAPPED_GPA equ 0x40000000

entries:
    dq t_vmcall, t_cpuid, t_ept_violation, t_hlt, t_triple_fault, t_endless_loop
    dq t_write_secret, t_read_secret, t_user_vmcall

t_vmcall:
    mov eax, HC_ECHO
    mov rbx, 41
    vmcall                      ; resumed here with RAX = 42
    mov rbx, rax
    mov eax, HC_REPORT
    vmcall
    mov eax, HC_DONE
    vmcall
    jmp $

t_cpuid:
    mov eax, 1
    xor ecx, ecx
    cpuid
    mov rbx, rcx                ; leaf 1 ECX: VMX must be hidden, hypervisor bit set
    mov eax, HC_REPORT
    vmcall
    mov eax, 0x40000000
    cpuid
    mov eax, HC_REPORT          ; RBX = signature "lxds"
    vmcall
    mov eax, HC_DONE
    vmcall
    jmp $

t_ept_violation:
    mov rax, [UNMAPPED_GPA]     ; mapped by the guest's page tables, not by its EPT
    mov eax, HC_DONE            ; must never get here
    vmcall
    jmp $

t_hlt:
    hlt
    mov eax, HC_DONE
    vmcall
    jmp $

t_triple_fault:
    lidt [empty_idt]
    int3                        ; no IDT: #GP, then #DF, then a triple fault
    jmp $

t_endless_loop:
    jmp t_endless_loop

t_write_secret:
    mov rax, SECRET
    mov [SECRET_GPA], rax
    mov eax, HC_DONE
    vmcall
    jmp $

t_read_secret:
    mov rbx, [SECRET_GPA]       ; a fresh VM must see zero here, not the first one's secret
    mov eax, HC_REPORT
    vmcall
    mov eax, HC_DONE
    vmcall
    jmp $

; Drop to ring 3 and try a hypercall: the hypervisor must inject #UD.
; The guest's #UD handler (ring 0) reports vector 6 and finishes.
t_user_vmcall:
    lidt [user_idt_ptr]
    mov rax, user_code
    push 0x23                   ; SS: ring-3 data (GDT below)
    push 0x1F0000               ; RSP for ring 3
    push 0x202                  ; RFLAGS
    push 0x2B                   ; CS: ring-3 64-bit code
    push rax
    lgdt [gdt_ptr]
    mov ax, 0x30
    ltr ax
    iretq
user_code:
    mov eax, HC_DONE
    vmcall                      ; from CPL 3: must become #UD, not a hypercall
    jmp $
ud_handler:
    mov rbx, 0x0D06             ; "#UD at ring 3 seen"
    mov eax, HC_REPORT
    vmcall
    mov eax, HC_DONE
    vmcall
    jmp $

align 16
empty_idt:
    dw 0
    dq 0

align 16
gdt:
    dq 0
    dq 0x00AF9A000000FFFF       ; 0x08 ring-0 code
    dq 0x00CF92000000FFFF       ; 0x10 ring-0 data
    dq 0x00CFF2000000FFFF       ; 0x18 ring-3 data (selector 0x1B)
    dq 0x00CFF2000000FFFF       ; 0x20 ring-3 data (selector 0x23)
    dq 0x00AFFA000000FFFF       ; 0x28 ring-3 code (selector 0x2B)
tss_desc:
    dw 0x67, tss - 0x10000, 0x8901, 0  ; 0x30 64-bit TSS at 0x1xxxx (base bits 23:16 = 1)
    dq 0
gdt_end:
gdt_ptr:
    dw gdt_end - gdt - 1
    dq gdt

align 16
tss:
    dd 0
    dq 0x1FF000                 ; RSP0 for the #UD handler
    times 0x68 - 12 db 0

align 16
idt:
    times 6 dq 0, 0
    ; vector 6: #UD, 64-bit interrupt gate, DPL 0, selector 0x08
    dw ud_handler - 0x10000 + 0x0000, 0x08, 0x8E00, 0x0001
    dd 0, 0
idt_end:
user_idt_ptr:
    dw idt_end - idt - 1
    dq idt
