/* Names for why a vCPU stopped: the ABI's table (include/lxds/hypercall_abi.h). */
#include <lxds/hypercall_abi.h>
#include <lxds/vcpu.h>

_Static_assert(LXDS_EXIT_NONE == (int)VCPU_RUNNABLE &&
               LXDS_EXIT_REQUESTED == (int)VCPU_STOP_REQUESTED &&
               LXDS_EXIT_HALTED == (int)VCPU_STOP_HALTED &&
               LXDS_EXIT_EPT_VIOLATION == (int)VCPU_STOP_EPT_VIOLATION &&
               LXDS_EXIT_TRIPLE_FAULT == (int)VCPU_STOP_TRIPLE_FAULT &&
               LXDS_EXIT_EXCEPTION == (int)VCPU_STOP_EXCEPTION &&
               LXDS_EXIT_WATCHDOG == (int)VCPU_STOP_WATCHDOG &&
               LXDS_EXIT_ENTRY_FAILED == (int)VCPU_STOP_ENTRY_FAILED &&
               LXDS_EXIT_UNEXPECTED == (int)VCPU_STOP_UNEXPECTED_EXIT &&
               LXDS_EXIT_EXITED == (int)VCPU_STOP_EXITED,
               "the ABI's exit reasons mirror enum vcpu_stop");

const char *vcpu_stop_name(enum vcpu_stop s)
{
    return lxds_exit_reason((uint32_t)s)->text;
}
