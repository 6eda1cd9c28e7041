; Carries the assembled real-mode trampoline inside the hypervisor image.
; AP_TRAMPOLINE_BIN is defined on the nasm command line.
section .rodata
global ap_trampoline_start
global ap_trampoline_end
ap_trampoline_start:
    incbin AP_TRAMPOLINE_BIN
ap_trampoline_end:
