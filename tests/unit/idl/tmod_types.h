/*
 * Kernel-like structures for the IDL round-trip test (tmod.idl): a device with
 * an ops table, a packet buffer whose data lives in a shared pool, a stats
 * block.  Both "sides" of the test see the same definitions, as Linux and a
 * driver built against Linux's headers do.
 */
#ifndef TMOD_TYPES_H
#define TMOD_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tbuf {
	unsigned char *data;      /* in the shared pool */
	unsigned int len;
	unsigned short proto;
	int id;
};

struct tstats {
	uint64_t packets;
	uint64_t bytes;
	int32_t errors;
};

struct tdev;

struct tdev_ops {
	int (*open)(struct tdev *dev);
	int (*xmit)(struct tbuf *buf, struct tdev *dev);
	void (*get_stats)(struct tdev *dev, struct tstats *st);
	long (*read)(struct tdev *dev, char *ubuf, size_t count, long long *pos);
};

struct tdev {
	char name[16];
	unsigned int flags;
	int mtu;
	uint8_t addr[6];
	bool up;
	int8_t s8v;
	int16_t s16v;
	uint16_t u16v;
	int64_t s64v;
	const struct tdev_ops *ops;
	struct tstats stats;
	const char *kind;
	void *priv;               /* never projected: stays on its side */
};

typedef int int_ret;

#define TDEV_PRIV_SIZE 256   /* the driver's area after its struct tdev */
typedef void (*tdev_setup_t)(struct tdev *dev);
typedef int (*tnotify_t)(uint32_t code, const char *what);

#endif
