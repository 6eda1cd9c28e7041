/* C structures the golden IDLs project (so their output can be compiled). */
#ifndef GOLDEN_TYPES_H
#define GOLDEN_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef int gret_t;

struct gstats {
	uint64_t rx;
	uint64_t tx;
};

struct gops;

struct gdev {
	char name[16];
	unsigned int flags;
	long long big;
	uint8_t addr[6];
	const char *label;
	struct gstats stats;
	const struct gops *ops;
	struct gdev *peer_unused;
	void *cookie;
};

struct gops {
	int (*open)(struct gdev *dev);
	void (*stop)(struct gdev *dev);
};

struct gbuf {
	unsigned char *data;
	unsigned int len;
};

#endif
