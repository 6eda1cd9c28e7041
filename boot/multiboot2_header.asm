; Multiboot2 header: tells GRUB this ELF is a Multiboot2 kernel and asks for
; the information tags the hypervisor parses (memory map, modules, ACPI RSDP).
section .multiboot2 align=8
MB2_MAGIC    equ 0xE85250D6
MB2_ARCH_I386 equ 0

mb2_header_start:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header_start
    dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header_start))

    ; information request: cmdline(1), modules(3), mmap(6), ACPI old(14), ACPI new(15)
    align 8
.info_req:
    dw 1, 1          ; flags=1: optional, GRUB boots even without one of them
    dd .info_req_end - .info_req
    dd 1, 3, 6, 14, 15
.info_req_end:

    ; module alignment: modules page-aligned, so they can be mapped to guests
    align 8
    dw 6, 0
    dd 8

    ; end tag
    align 8
    dw 0, 0
    dd 8
mb2_header_end:
