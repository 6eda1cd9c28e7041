/* VMCS helpers: checked writes, names for errors and fields, state dumps. */
#ifndef X86_VMCS_H
#define X86_VMCS_H

#include <x86/vmx.h>

const char *vmx_instruction_error_name(uint32_t err);

/* Prints the control, host-state and guest-state fields of the current VMCS by name. */
void vmcs_dump(void);

/* -EIO (and names the first failed field) if a VMWRITE failed since the last call. */
int vmcs_check_writes(const char *what);

#endif
