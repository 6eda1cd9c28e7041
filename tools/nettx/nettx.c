/*
 * nettx: send raw Ethernet frames through an interface and read its
 * counters (issue 12's tests and benchmark; docs/lxd-dummy.md).
 *
 *   nettx send IFACE COUNT SIZE [SNDBUF]
 *       COUNT frames of SIZE bytes (14..9000) on an AF_PACKET socket bound
 *       to IFACE: broadcast destination, ethertype 0x88b5 (local
 *       experimental), payload bytes i & 0xff.  SNDBUF (bytes) bounds the
 *       packets the socket may have in flight (a packet is in flight until
 *       the driver frees it).  A full socket buffer (ENOBUFS, EAGAIN) is
 *       retried; any other error is counted, and after 50 in a row the
 *       sender gives up.  Prints one line:
 *         nettx: IFACE: sent S of COUNT (SIZE bytes), E errors (first: why), T us, R pkt/s, C tsc/pkt; per send M median, P90 p90, P99 p99, I in sendto
 *       (C: TSC ticks per packet sent; in Bochs the TSC advances one tick per
 *       emulated instruction, so C is emulated instructions per packet.
 *       The rest splits C: TSC ticks of one successful sendto, the median
 *       and 90th/99th percentiles over the first NETTX_SAMPLES sends (the
 *       common path, and how much rare events such as a timer interrupt, a
 *       switch to another thread or a driver's batch add), and I their
 *       mean: C - I went outside sendto, in the loop or to other threads
 *       between two sends.)
 *       Exit 0 when all were sent, 1 otherwise.
 *   nettx stats IFACE
 *       IFLA_STATS64 of IFACE over rtnetlink (RTM_GETLINK, as ip -s link):
 *         nettx: IFACE: tx_packets P tx_bytes B tx_dropped D
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: nettx send IFACE COUNT SIZE [SNDBUF] | nettx stats IFACE\n");
	return 2;
}

static int parse_num(const char *s, const char *what, unsigned long lo, unsigned long hi,
		     unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "nettx: %s '%s' is not a number in %lu..%lu\n", what, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

#define NETTX_SAMPLES 65536
static uint32_t send_tsc[NETTX_SAMPLES];

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmd_send(int argc, char **argv)
{
	unsigned long count, size, sndbuf = 0, sent = 0, errs = 0, row = 0;
	unsigned char frame[9000];
	struct sockaddr_ll sll;
	const char *ifname;
	int first_err = 0, fd;
	unsigned int ifindex;
	uint64_t t0, us, c0, cycles, s0, d, in_send = 0;
	size_t i, ns = 0;

	if (argc < 3 || argc > 4)
		return usage();
	ifname = argv[0];
	if (parse_num(argv[1], "COUNT", 1, 100000000, &count) ||
	    parse_num(argv[2], "SIZE", 14, sizeof(frame), &size) ||
	    (argc == 4 && parse_num(argv[3], "SNDBUF", 1, 1 << 24, &sndbuf)))
		return 2;
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		fprintf(stderr, "nettx: no interface %s: %s\n", ifname, strerror(errno));
		return 1;
	}
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0) {
		fprintf(stderr, "nettx: AF_PACKET socket: %s\n", strerror(errno));
		return 1;
	}
	if (sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(int)) < 0) {
		fprintf(stderr, "nettx: SO_SNDBUF %lu: %s\n", sndbuf, strerror(errno));
		return 1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)ifindex;
	sll.sll_protocol = htons(0x88b5);
	sll.sll_halen = ETH_ALEN;
	memset(sll.sll_addr, 0xff, ETH_ALEN);
	memset(frame, 0xff, ETH_ALEN);                       /* destination: broadcast */
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);    /* source: locally administered */
	frame[12] = 0x88;
	frame[13] = 0xb5;
	for (i = 14; i < size; i++)
		frame[i] = (unsigned char)i;
	t0 = now_us();
	c0 = tsc();
	while (sent < count) {
		ssize_t n;

		s0 = tsc();
		n = sendto(fd, frame, size, 0, (struct sockaddr *)&sll, sizeof(sll));
		d = tsc() - s0;
		if (n == (ssize_t)size) {
			in_send += d;
			if (ns < NETTX_SAMPLES)
				send_tsc[ns++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
			sent++;
			row = 0;
			continue;
		}
		if (n < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)) {
			usleep(200);
			continue;
		}
		if (!errs)
			first_err = n < 0 ? errno : EMSGSIZE;
		errs++;
		if (++row >= 50)
			break;
		usleep(1000);
	}
	cycles = tsc() - c0;
	us = now_us() - t0;
	qsort(send_tsc, ns, sizeof(send_tsc[0]), cmp_u32);
	printf("nettx: %s: sent %lu of %lu (%lu bytes), %lu errors (first: %s), %llu us, %llu pkt/s, %llu tsc/pkt; per send %u median, %u p90, %u p99, %llu in sendto\n",
	       ifname, sent, count, size, errs, errs ? strerror(first_err) : "none",
	       (unsigned long long)us,
	       (unsigned long long)(us ? (uint64_t)sent * 1000000u / us : 0),
	       (unsigned long long)(sent ? cycles / sent : 0),
	       ns ? send_tsc[ns / 2] : 0, ns ? send_tsc[ns * 9 / 10] : 0,
	       ns ? send_tsc[ns * 99 / 100] : 0,
	       (unsigned long long)(sent ? in_send / sent : 0));
	close(fd);
	return sent == count ? 0 : 1;
}

static int cmd_stats(int argc, char **argv)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[64];
	} req;
	static char buf[65536];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	unsigned int ifindex;
	struct rtattr *rta;
	int fd, len;

	if (argc != 1)
		return usage();
	ifindex = if_nametoindex(argv[0]);
	if (!ifindex) {
		fprintf(stderr, "nettx: no interface %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		fprintf(stderr, "nettx: netlink socket: %s\n", strerror(errno));
		return 1;
	}
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = (int)ifindex;
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "nettx: RTM_GETLINK: %s\n", strerror(errno));
		return 1;
	}
	len = (int)recv(fd, buf, sizeof(buf), 0);
	close(fd);
	if (len < (int)NLMSG_LENGTH(sizeof(struct ifinfomsg))) {
		fprintf(stderr, "nettx: short netlink answer (%d bytes)\n", len);
		return 1;
	}
	{
		struct nlmsghdr *nh = (struct nlmsghdr *)buf;
		int alen;

		if (nh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(nh);

			fprintf(stderr, "nettx: RTM_GETLINK %s: %s\n", argv[0], strerror(-e->error));
			return 1;
		}
		if (nh->nlmsg_type != RTM_NEWLINK || (int)nh->nlmsg_len > len) {
			fprintf(stderr, "nettx: unexpected netlink answer type %u\n", nh->nlmsg_type);
			return 1;
		}
		rta = IFLA_RTA(NLMSG_DATA(nh));
		alen = (int)IFLA_PAYLOAD(nh);
		for (; RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
			struct rtnl_link_stats64 st;

			if (rta->rta_type != IFLA_STATS64 || RTA_PAYLOAD(rta) < sizeof(st))
				continue;
			memcpy(&st, RTA_DATA(rta), sizeof(st));
			printf("nettx: %s: tx_packets %llu tx_bytes %llu tx_dropped %llu\n", argv[0],
			       (unsigned long long)st.tx_packets, (unsigned long long)st.tx_bytes,
			       (unsigned long long)st.tx_dropped);
			return 0;
		}
	}
	fprintf(stderr, "nettx: %s: no IFLA_STATS64 in the answer\n", argv[0]);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "send") == 0)
		return cmd_send(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "stats") == 0)
		return cmd_stats(argc - 2, argv + 2);
	return usage();
}
