# lib/: freestanding helpers shared by the hypervisor and (later) the LXD SDK.
HV_SRCS += lib/format.c lib/string.c lib/errno_name.c
