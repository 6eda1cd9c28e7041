/* Compiler helpers shared by every part of lxds (hypervisor, LXDs, host tests). */
#ifndef LXDS_COMPILER_H
#define LXDS_COMPILER_H

#define __packed        __attribute__((packed))
#define __aligned(x)    __attribute__((aligned(x)))
#define __noreturn      __attribute__((noreturn))
#define __printf(a, b)  __attribute__((format(printf, a, b)))
#define __unused        __attribute__((unused))
#define likely(x)       __builtin_expect(!!(x), 1)
#define unlikely(x)     __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)  (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define MIN(a, b)       ((a) < (b) ? (a) : (b))
#define MAX(a, b)       ((a) > (b) ? (a) : (b))

/* Stops the compiler from moving memory accesses across this point. */
#define barrier()       __asm__ __volatile__("" ::: "memory")

#define KiB(x)          ((uint64_t)(x) << 10)
#define MiB(x)          ((uint64_t)(x) << 20)
#define GiB(x)          ((uint64_t)(x) << 30)

#define PAGE_SHIFT      12
#define PAGE_SIZE       4096UL

#endif
