/* Error numbers: functions return 0 or a negative errno, as in Linux/Jailhouse. */
#ifndef LXDS_ERRNO_H
#define LXDS_ERRNO_H

#define EPERM    1
#define ENOENT   2
#define ESRCH    3
#define EIO      5
#define E2BIG    7
#define ENOEXEC  8
#define EAGAIN  11
#define ENOMEM  12
#define EFAULT  14
#define EBUSY   16
#define EEXIST  17
#define ENODEV  19
#define EINVAL  22
#define ENOSPC  28
#define ERANGE  34
#define ENOSYS  38
#define ENODATA 61
#define EOVERFLOW 75
#define EBADMSG 74
#define ENOTSUP 95
#define ETIMEDOUT 110

const char *errno_name(int err);

#endif
