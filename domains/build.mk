# domains/: the domain life cycle.
HV_SRCS += domains/domain.c
