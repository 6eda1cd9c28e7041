; Carries the assembled self-test guest programs; SELFTEST_GUEST_BIN comes from the Makefile.
section .rodata
align 16
global selftest_guest_start
global selftest_guest_end
selftest_guest_start:
    incbin SELFTEST_GUEST_BIN
selftest_guest_end:
