# lxd-sdk/build.mk: the LXD SDK (start-up code, linker script, libc, porting
# layer, dispatch loop), the example domains, and the hypervisor's image
# validator (domains/elf_image.c: listed here because domains/build.mk has
# another owner).  See docs/lxd-sdk.md.

HV_SRCS += domains/elf_image.c
