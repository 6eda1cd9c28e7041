# mm/: physical memory management.
HV_SRCS += mm/frame_alloc.c
