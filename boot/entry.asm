; 32-bit Multiboot2 entry on the boot CPU: check the magic and the CPU, build
; an identity map of the first 4 GiB with 2 MiB pages, enter long mode and
; call hv_main(mb2_info) in C.  Anything that is wrong here is printed on COM1
; by a tiny polled writer, because C is not reachable yet.
bits 32
section .text.entry

extern hv_main
global boot_stack_top
global _start
global boot_pml4
global boot_pdpt
global boot_has_vmx

COM1 equ 0x3F8
MB2_BOOTLOADER_MAGIC equ 0x36D76289
CR0_PG  equ 1 << 31
CR4_PAE equ 1 << 5
EFER_MSR equ 0xC0000080
EFER_LME equ 1 << 8
EFER_NXE equ 1 << 11

_start:
    cli
    cld
    mov esp, boot_stack_top
    mov edi, eax                ; Multiboot2 magic
    mov esi, ebx                ; physical address of the boot information
    call serial_init32

    cmp edi, MB2_BOOTLOADER_MAGIC
    jne .bad_magic

    ; CPUID must exist (EFLAGS.ID toggles)
    pushfd
    pop eax
    mov ecx, eax
    xor eax, 1 << 21
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd
    cmp eax, ecx
    je .no_long_mode

    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .no_long_mode
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29           ; LM
    jz .no_long_mode
    mov ebx, edx                ; remember NX support (bit 20)

    mov eax, 1
    cpuid
    shr ecx, 5                  ; VMX is CPUID.1:ECX[5]; C reports it
    and ecx, 1
    mov [boot_has_vmx], ecx

    call build_page_tables

    mov eax, boot_pml4
    mov cr3, eax
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov ecx, EFER_MSR
    rdmsr
    or eax, EFER_LME
    test ebx, 1 << 20
    jz .no_nx
    or eax, EFER_NXE
.no_nx:
    wrmsr
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax

    lgdt [boot_gdt_ptr]
    jmp 0x08:long_mode_entry

.bad_magic:
    mov esi, msg_bad_magic
    jmp fatal32
.no_long_mode:
    mov esi, msg_no_lm
    jmp fatal32

; Identity-map 0..4 GiB: PML4[0] -> PDPT, PDPT[0..3] -> 4 page directories of
; 2 MiB pages.  The C side replaces this map with its own later.
build_page_tables:
    mov edi, boot_pml4
    mov ecx, (4096 * 6) / 4
    xor eax, eax
    rep stosd
    mov eax, boot_pdpt
    or eax, 0x3
    mov [boot_pml4], eax
    mov edi, boot_pdpt
    mov eax, boot_pd
    or eax, 0x3
    mov ecx, 4
.pdpt:
    mov [edi], eax
    add eax, 4096
    add edi, 8
    loop .pdpt
    mov edi, boot_pd
    xor eax, eax
    xor edx, edx                ; high dword of the physical address
    mov ecx, 2048
.pd:
    mov ebx, eax
    or ebx, 0x83                ; present, writable, 2 MiB
    mov [edi], ebx
    mov [edi + 4], edx
    add eax, 0x200000
    adc edx, 0
    add edi, 8
    loop .pd
    ret

serial_init32:
    mov dx, COM1 + 1
    xor al, al
    out dx, al                  ; no interrupts
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al                  ; DLAB
    mov dx, COM1
    mov al, 1
    out dx, al                  ; 115200 baud
    mov dx, COM1 + 1
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al                  ; 8N1
    mov dx, COM1 + 2
    mov al, 0xC7
    out dx, al                  ; FIFO on
    ret

; esi = NUL-terminated message; print it and stop this CPU
fatal32:
.next:
    lodsb
    test al, al
    jz .halt
    mov ah, al
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov dx, COM1
    mov al, ah
    out dx, al
    jmp .next
.halt:
    ; ask Bochs to stop, so a test does not wait for its timeout
    mov dx, 0x8900
    mov esi, msg_shutdown
.sd:
    lodsb
    test al, al
    jz .forever
    out dx, al
    jmp .sd
.forever:
    hlt
    jmp .forever

bits 64
long_mode_entry:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    mov rsp, boot_stack_top
    mov edi, esi                ; hv_main(uint64_t mb2_info_phys)
    xor rbp, rbp
    call hv_main
.hang:
    cli
    hlt
    jmp .hang

section .rodata
msg_bad_magic: db "lxds: not started by a Multiboot2 loader (bad magic in EAX); halting", 13, 10, 0
msg_no_lm:     db "lxds: this CPU has no 64-bit long mode; lxds needs an x86-64 CPU with VT-x; halting", 13, 10, 0
msg_shutdown:  db "Shutdown", 0

align 8
boot_gdt:
    dq 0
    dq 0x00AF9A000000FFFF       ; 0x08: 64-bit code
    dq 0x00CF92000000FFFF       ; 0x10: data
boot_gdt_end:
boot_gdt_ptr:
    dw boot_gdt_end - boot_gdt - 1
    dq boot_gdt

section .data
align 4
boot_has_vmx: dd 0

section .bss
align 4096
boot_pml4: resb 4096
boot_pdpt: resb 4096
boot_pd:   resb 4096 * 4
align 16
boot_stack: resb 16384
boot_stack_top:
