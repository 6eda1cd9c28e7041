# domains/: the domain life cycle.
HV_SRCS += domains/domain.c domains/pool.c domains/lxd.c domains/hypercall.c domains/elf_image.c \
           domains/debug.c domains/exit_policy.c domains/linux.c domains/linux_policy.c
