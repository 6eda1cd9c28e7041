# core/: generic hypervisor code (no arch internals).
HV_SRCS += core/main.c core/printk.c core/panic.c core/cmdline.c core/cpu.c core/memory.c core/vcpu.c core/selftest.c
