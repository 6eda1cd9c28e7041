/*
 * lxdctl: control Lightweight Execution Domains from the Linux shell,
 * through the klxd module's /dev/lxd.  See docs/klxd.md.
 *
 * Exit status: 0 on success, 1 when the operation failed, 2 on a usage error.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "klxd_ioctl.h"
#include "lxdctl_gdb.h"

#define KLXD_KO_DEFAULT "/lib/modules/klxd.ko"

static const char *prog = "lxdctl";
static int lxd_fd = -1;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lxdctl COMMAND [ARGS]\n"
		"\n"
		"  load FILE [NAME] [PARAM=VALUE...] [--no-start] [--core N] [--pages P]\n"
		"       [--channels C]\n"
		"                       PARAM=VALUE words become the domain's load arguments\n"
		"                       (module parameters of a kernel-environment LXD)\n"
		"                       FILE's Linux side (FILE without .lxd, plus _glue.ko) is\n"
		"                       inserted with domain=ID before the start, if it exists\n"
		"                      create a domain from the LXD image FILE (NAME: the file's\n"
		"                      base name without .lxd), give it a channel of P ring pages\n"
		"                      (default %u) and start it on core N (default: the next free\n"
		"                      LXD core) unless --no-start; --channels C: C channels\n"
		"                      (1..%u, default 1), Linux's CPU c calls over channel c %% C\n"
		"  start NAME|ID [CORE] start a loaded domain (CORE: the next free one if left out)\n"
		"  stop NAME|ID         stop a domain (it cannot be started again: destroy it)\n"
		"  destroy NAME|ID      stop it if it runs and give all its memory back; a driver\n"
		"                       domain's glue module (inserted by load) is removed too\n"
		"  list                 every domain: id, name, state, core, memory, exits\n"
		"  status NAME|ID       one domain in detail, and why it stopped\n"
		"  log                  print the hypervisor's log\n"
		"  ping NAME|ID [-n N] [-b BATCH] [-t MS] [-T]\n"
		"                      send N (default 1000) requests to an echo domain, BATCH in\n"
		"                      flight at most (default 1), check every reply, print\n"
		"                      round-trip figures; MS: longest wait for one reply;\n"
		"                      -T: also the TSC at the call's start and its end\n"
		"  info                 hypervisor ABI, cores, LXD pool\n"
		"  gdb [--start] NAME|ID... (--tty DEV | --tcp PORT)\n"
		"                      attach to running (or crashed) domains, gdb's threads 1, 2...\n"
		"                      in that order, pause them and serve\n"
		"                      gdb's remote protocol on the serial device DEV or TCP PORT\n"
		"                      until gdb detaches (the domain runs on) or kills it (stop);\n"
		"                      --start: domains loaded with --no-start are started held at\n"
		"                      their first instruction (break in their init)\n"
		"\n"
		"/dev/lxd comes from the klxd module; lxdctl loads %s when it is missing\n"
		"(LXDCTL_MODULE overrides the path).  Exit status: 0 ok, 1 failed, 2 usage.\n",
		KLXD_CHANNEL_DEFAULT_PAGES, KLXD_MAX_CHANNELS, KLXD_KO_DEFAULT);
}

__attribute__((format(printf, 1, 2))) static void err_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n");
	usage(stderr);
	return 2;
}

/* ---- names ------------------------------------------------------------- */

/* States and reasons: the ABI header's one table (lxds_state_name, lxds_exit_reason). */
static const char *state_name(uint32_t s)
{
	return lxds_state_name(s);
}

static const char *reason_name(uint32_t r)
{
	return lxds_exit_reason(r)->text;
}

static const char *vector_name(uint64_t v)
{
	static const char *const n[] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "?",
		"#TS", "#NP", "#SS", "#GP", "#PF", "?", "#MF", "#AC", "#MC", "#XM",
	};

	return v < sizeof(n) / sizeof(n[0]) ? n[v] : "?";
}

/* ---- /dev/lxd ------------------------------------------------------------ */

static int load_module(void)
{
	const char *path = getenv("LXDCTL_MODULE");
	int fd, rc;

	if (!path || !*path)
		path = KLXD_KO_DEFAULT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_msg("%s is missing and the module %s cannot be opened: %s", KLXD_DEVICE, path,
			strerror(errno));
		return -1;
	}
	rc = (int)syscall(SYS_finit_module, fd, "", 0);
	if (rc != 0 && errno != EEXIST) {
		int e = errno;

		close(fd);
		err_msg("loading %s failed: %s%s", path, strerror(e),
			e == ENODEV ? " (not running under the lxds hypervisor; see dmesg)"
				    : " (see dmesg)");
		return -1;
	}
	close(fd);
	return 0;
}

static int dev_open(void)
{
	int tries;

	if (lxd_fd >= 0)
		return 0;
	lxd_fd = open(KLXD_DEVICE, O_RDWR | O_CLOEXEC);
	if (lxd_fd >= 0)
		return 0;
	if (errno != ENOENT && errno != ENXIO && errno != ENODEV) {
		err_msg("cannot open %s: %s", KLXD_DEVICE, strerror(errno));
		return -1;
	}
	if (load_module())
		return -1;
	/* devtmpfs creates the node as the module registers it; give it a moment. */
	for (tries = 0; tries < 100; tries++) {
		lxd_fd = open(KLXD_DEVICE, O_RDWR | O_CLOEXEC);
		if (lxd_fd >= 0)
			return 0;
		usleep(10000);
	}
	err_msg("klxd is loaded but %s cannot be opened: %s", KLXD_DEVICE, strerror(errno));
	return -1;
}

static int xioctl(unsigned long cmd, void *arg)
{
	int rc;

	do
		rc = ioctl(lxd_fd, cmd, arg);
	while (rc < 0 && errno == EINTR && cmd != LXD_IOC_PING);
	return rc;
}

static int get_status(uint32_t id, struct lxds_domain_status *st)
{
	memset(st, 0, sizeof(*st));
	st->id = id;
	return xioctl(LXD_IOC_STATUS, st);
}

/* The ids of every domain; returns how many (at most max), or -1. */
static int list_ids(uint32_t *ids, uint32_t max)
{
	struct lxd_ioc_list l = { .ids = (uintptr_t)ids, .max = max };

	if (xioctl(LXD_IOC_LIST, &l) < 0) {
		err_msg("listing domains failed: %s", strerror(errno));
		return -1;
	}
	return (int)(l.count < max ? l.count : max);
}

/* NAME or ID to an id; prints why on failure. */
static int resolve(const char *arg, uint32_t *id)
{
	uint32_t ids[LXDS_MAX_DOMAINS];
	struct lxds_domain_status st;
	char *end;
	unsigned long v;
	int n, i;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (*arg && isdigit((unsigned char)*arg) && !*end && !errno && v <= UINT32_MAX) {
		if (get_status((uint32_t)v, &st) < 0) {
			err_msg("no domain %lu: %s", v, errno == ENOENT ? "no such domain" : strerror(errno));
			return -1;
		}
		*id = (uint32_t)v;
		return 0;
	}
	n = list_ids(ids, LXDS_MAX_DOMAINS);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (get_status(ids[i], &st) == 0 && strncmp(st.name, arg, LXDS_NAME_MAX) == 0) {
			*id = ids[i];
			return 0;
		}
	}
	err_msg("no domain named '%s' (lxdctl list shows them)", arg);
	return -1;
}

/* ---- the hypervisor log ---------------------------------------------------- */

/* Reads the log from *pos (0 = the oldest byte kept) to its end; returns a
 * malloc'd NUL-terminated string (or NULL) and leaves *pos at the end. */
static char *log_read_from(uint64_t *pos, size_t *out_len)
{
	struct lxd_ioc_log l = { .pos = *pos };
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap + 1);

	if (!buf) {
		err_msg("out of memory");
		return NULL;
	}
	for (;;) {
		if (cap - len < 65536) {
			char *nb = realloc(buf, cap * 2 + 1);

			if (!nb) {
				free(buf);
				err_msg("out of memory");
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		l.buf = (uintptr_t)(buf + len);
		l.len = 65536;
		if (xioctl(LXD_IOC_LOG_READ, &l) < 0) {
			err_msg("reading the hypervisor log failed: %s", strerror(errno));
			free(buf);
			return NULL;
		}
		if (l.got == 0)
			break;
		len += l.got;
	}
	buf[len] = '\0';
	*pos = l.pos;
	if (out_len)
		*out_len = len;
	return buf;
}

static char *log_read_all(size_t *out_len)
{
	uint64_t pos = 0;

	return log_read_from(&pos, out_len);
}

/* The log's end now, to find what a call is about to log (0 if unknown). */
static uint64_t log_end(void)
{
	uint64_t pos = 0;
	char *log = log_read_from(&pos, NULL);

	free(log);
	return pos;
}

/* Prints the last log line since `pos` that contains `needle` to stderr;
 * returns whether there was one. */
static int log_explain(uint64_t pos, const char *needle)
{
	char *log = log_read_from(&pos, NULL), *p, *line = NULL, *eol;

	if (!log)
		return 0;
	for (p = log; (p = strstr(p, needle)) != NULL; p++)
		line = p;
	if (line) {
		while (line > log && line[-1] != '\n')
			line--;
		eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		if (strlen(line) && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		fprintf(stderr, "%s: hypervisor: %s\n", prog, line);
	}
	free(log);
	return line != NULL;
}

/* ---- commands -------------------------------------------------------------- */

/* Each core and what runs there: Linux, an LXD (by name), free for LXDs, or idle. */
static void print_core_use(const struct lxds_info *info)
{
	uint32_t ids[LXDS_MAX_DOMAINS];
	const char *who[64] = { 0 };
	char names[LXDS_MAX_DOMAINS][LXDS_NAME_MAX];
	int n = list_ids(ids, LXDS_MAX_DOMAINS), c;

	for (int i = 0; i < n && i < LXDS_MAX_DOMAINS; i++) {
		struct lxds_domain_status st;

		if (get_status(ids[i], &st) == 0 && st.state == LXDS_STATE_RUNNING &&
		    st.core >= 0 && st.core < 64) {
			snprintf(names[i], sizeof(names[i]), "%s", st.name);
			who[st.core] = names[i];
		}
	}
	for (c = 0; c < (int)info->cpus && c < 64; c++) {
		if (info->linux_core_mask & (1ull << c))
			printf("core %d: Linux\n", c);
		else if (who[c])
			printf("core %d: LXD %s\n", c, who[c]);
		else if (info->lxd_core_mask & (1ull << c))
			printf("core %d: free for an LXD\n", c);
		else
			printf("core %d: idle\n", c);
	}
}

static int cmd_info(void)
{
	struct lxd_ioc_version v;
	struct lxds_info info;
	int c, first = 1;

	if (xioctl(LXD_IOC_VERSION, &v) < 0 || xioctl(LXD_IOC_INFO, &info) < 0) {
		err_msg("asking the hypervisor failed: %s", strerror(errno));
		return 1;
	}
	printf("abi: %u.%u (klxd %u, built for %u.%u)\n", v.abi_version >> 16,
	       v.abi_version & 0xffff, v.module_version, v.abi_expected >> 16,
	       v.abi_expected & 0xffff);
	printf("cpus: %u, LXD cores: ", info.cpus);
	for (c = 0; c < 64; c++) {
		if (info.lxd_core_mask & (1ull << c)) {
			printf("%s%d", first ? "" : ",", c);
			first = 0;
		}
	}
	printf("%s (mask %#" PRIx64 ")\n", first ? "none" : "", info.lxd_core_mask);
	print_core_use(&info);
	printf("pool: %" PRIu64 " bytes, %" PRIu64 " free\n", info.pool_bytes, info.pool_free_bytes);
	printf("domains: %u of %u\n", info.domains, info.max_domains);
	return 0;
}

static void print_stop_reason(FILE *f, const struct lxds_domain_status *st)
{
	switch (st->exit_reason) {
	case LXDS_EXIT_EPT_VIOLATION:
		fprintf(f, "EPT violation at GPA %#" PRIx64 ", RIP %#" PRIx64
			" (qualification %#" PRIx64 ")", st->exit_addr, st->exit_rip, st->exit_detail);
		break;
	case LXDS_EXIT_EXCEPTION:
		fprintf(f, "exception %" PRIu64 " (%s) at RIP %#" PRIx64, st->exit_detail,
			vector_name(st->exit_detail), st->exit_rip);
		break;
	case LXDS_EXIT_REQUESTED:
		fprintf(f, "requested (lxdctl stop), RIP %#" PRIx64, st->exit_rip);
		break;
	case LXDS_EXIT_EXITED:
		fprintf(f, "exited with code %" PRId64 " (%#" PRIx64 "), RIP %#" PRIx64,
			(int64_t)st->exit_detail, st->exit_detail, st->exit_rip);
		break;
	case LXDS_EXIT_UNEXPECTED:
		fprintf(f, "unexpected VM exit (reason %" PRIu64 ") at RIP %#" PRIx64,
			st->exit_detail, st->exit_rip);
		break;
	default:
		fprintf(f, "%s at RIP %#" PRIx64, reason_name(st->exit_reason), st->exit_rip);
		if (st->exit_detail)
			fprintf(f, " (detail %#" PRIx64 ")", st->exit_detail);
		break;
	}
}

static int cmd_status(int argc, char **argv)
{
	struct lxds_domain_status st;
	uint32_t id;

	if (argc != 1)
		return usage_error("status takes one NAME or ID");
	if (resolve(argv[0], &id))
		return 1;
	if (get_status(id, &st) < 0) {
		err_msg("status of domain %u failed: %s", id, strerror(errno));
		return 1;
	}
	st.name[LXDS_NAME_MAX - 1] = '\0';
	printf("domain %u '%s': %s", st.id, st.name, state_name(st.state));
	if (st.state == LXDS_STATE_RUNNING)
		printf(" on core %d", st.core);
	printf("\n");
	printf("memory: %" PRIu64 " KiB\n", st.mem_bytes >> 10);
	printf("exits: %" PRIu64 ", hypercalls: %" PRIu64 ", heartbeats: %" PRIu64 "\n",
	       st.exits, st.hypercalls, st.heartbeats);
	if (st.state == LXDS_STATE_CRASHED || st.state == LXDS_STATE_STOPPED) {
		printf("%s: ", st.state == LXDS_STATE_CRASHED ? "crashed" : "stopped");
		print_stop_reason(stdout, &st);
		printf("\n");
	}
	return 0;
}

static int cmd_list(void)
{
	uint32_t ids[LXDS_MAX_DOMAINS];
	struct lxds_domain_status st;
	int n, i;

	n = list_ids(ids, LXDS_MAX_DOMAINS);
	if (n < 0)
		return 1;
	printf("%-4s %-20s %-8s %-5s %10s %12s  %s\n", "ID", "NAME", "STATE", "CORE", "MEM(KiB)",
	       "EXITS", "REASON");
	for (i = 0; i < n; i++) {
		if (get_status(ids[i], &st) < 0)
			continue;       /* destroyed between list and status */
		st.name[LXDS_NAME_MAX - 1] = '\0';
		printf("%-4u %-20s %-8s %-5d %10" PRIu64 " %12" PRIu64 "  %s\n", st.id, st.name,
		       state_name(st.state), st.core, st.mem_bytes >> 10, st.exits,
		       st.exit_reason ? reason_name(st.exit_reason) : "-");
	}
	return 0;
}

static int cmd_log(int argc)
{
	size_t len;
	char *log;

	if (argc != 0)
		return usage_error("log takes no arguments");
	log = log_read_all(&len);
	if (!log)
		return 1;
	fwrite(log, 1, len, stdout);
	if (len && log[len - 1] != '\n')
		putchar('\n');
	free(log);
	return 0;
}

static int parse_uint(const char *s, const char *what, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	if (!*s || *end || errno || *out > max || *s == '-') {
		usage_error("%s '%s' is not a number in 0..%lu", what, s, max);
		return -1;
	}
	return 0;
}

static int do_start(uint32_t id, const char *name, int core)
{
	struct lxd_ioc_start s = { .id = id, .core = core };
	struct lxds_domain_status st;

	if (xioctl(LXD_IOC_START, &s) < 0) {
		int e = errno;

		if (e == EINVAL && get_status(id, &st) == 0 && st.state != LXDS_STATE_LOADED)
			err_msg("cannot start '%s': it is %s, and only a loaded domain can start "
				"(destroy it and load it again)", name, state_name(st.state));
		else if (e == EINVAL)
			err_msg("cannot start '%s' on core %d: not a core for LXDs (lxdctl info)",
				name, core);
		else if (e == EBUSY && core >= 0)
			err_msg("cannot start '%s': core %d is taken, or it runs already", name, core);
		else if (e == EBUSY)
			err_msg("cannot start '%s': it runs already, or every LXD core is taken", name);
		else
			err_msg("cannot start '%s': %s", name, strerror(e));
		return -1;
	}
	printf("started %s on core %d\n", name, s.core);
	return 0;
}

static int read_file(const char *path, void **data, size_t *len)
{
	struct stat sb;
	size_t got = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		err_msg("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		err_msg("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	*len = (size_t)sb.st_size;
	*data = malloc(*len ? *len : 1);
	if (!*data) {
		err_msg("%s: no memory for %zu bytes", path, *len);
		close(fd);
		return -1;
	}
	while (got < *len) {
		r = read(fd, (char *)*data + got, *len - got);
		if (r <= 0) {
			err_msg("reading %s failed: %s", path, r < 0 ? strerror(errno) : "file shrank");
			free(*data);
			close(fd);
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	return 0;
}

/* The default name: the file's base name without ".lxd", with characters the
 * hypervisor does not take ([A-Za-z0-9._-] only) replaced by '_'. */
static void default_name(const char *path, char *name)
{
	const char *base = strrchr(path, '/');
	size_t n, i;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".lxd") == 0)
		n -= 4;
	if (n > LXDS_NAME_MAX - 1)
		n = LXDS_NAME_MAX - 1;
	for (i = 0; i < n; i++) {
		char c = base[i];

		name[i] = (isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_') ? c : '_';
	}
	name[n] = '\0';
}

/* Joins the PARAM=VALUE words with single spaces; 0, or -1 when they do not fit. */
static int add_arg(char *args, size_t size, const char *word)
{
	size_t have = strlen(args), add = strlen(word) + (have ? 1 : 0);

	if (add >= size - have)
		return -1;
	if (have)
		args[have++] = ' ';
	strcpy(args + have, word);
	return 0;
}

/*
 * An image whose Linux side is a glue module kept next to it
 * (/lib/lxd/NAME.lxd and /lib/lxd/NAME_glue.ko, e.g. null_blk) gets that
 * module inserted with domain=ID after its channel exists and before it
 * starts: such a module may grant the domain more memory (a shared buffer
 * pool), which the hypervisor allows only before the start.  0 if there is
 * no such module or it went in; -1 (said why) if it failed.
 */
/*
 * Which loaded module is domain ID's glue: a module named *_glue whose
 * parameter domain is ID (the glue modules lxdctl load inserts all have
 * one), other than the one named skip (or NULL).  0 with its name in
 * name[cap], or -1.
 */
static int find_glue(uint32_t id, const char *skip, char *name, size_t cap)
{
	DIR *d = opendir("/sys/module");
	struct dirent *e;
	int found = -1;

	if (!d)
		return -1;
	while (found < 0 && (e = readdir(d)) != NULL) {
		char path[512], buf[32];
		size_t n = strlen(e->d_name);
		FILE *f;

		if (n < 6 || n >= cap || strcmp(e->d_name + n - 5, "_glue") != 0 ||
		    (skip && strcmp(e->d_name, skip) == 0))
			continue;
		snprintf(path, sizeof(path), "/sys/module/%s/parameters/domain", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && strtoul(buf, NULL, 10) == id) {
			memcpy(name, e->d_name, n + 1);
			found = 0;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/* What lxdctl load inserted for domain ID, so that destroy removes that
 * module and no other (a glue inserted by hand stays the user's). */
#define GLUE_RECORD_DIR "/run/lxdctl"

static void glue_record_path(uint32_t id, char *path, size_t cap)
{
	snprintf(path, cap, GLUE_RECORD_DIR "/glue.%u", id);
}

/* stale: a glue of an earlier domain with the same id, left loaded */
static void record_glue(uint32_t id, const char *stale)
{
	char name[128], path[64];
	FILE *f;

	if (find_glue(id, stale[0] ? stale : NULL, name, sizeof(name)))
		return;      /* no domain parameter to find it by: destroy leaves it */
	mkdir(GLUE_RECORD_DIR, 0700);
	glue_record_path(id, path, sizeof(path));
	f = fopen(path, "w");
	if (!f || fprintf(f, "%s\n", name) < 0 || fclose(f) != 0)
		err_msg("cannot record %s as domain %u's glue (%s): destroy will not remove it", name,
			id, strerror(errno));
}

/*
 * After domain ID was destroyed: removes the glue module lxdctl load
 * inserted for it.  Its exit tears down what the domain had registered
 * (interfaces, disks) and frees its pool, which only a destroyed domain
 * no longer maps.  A device still open (a disk a process reads) holds the
 * module: retried for up to 15 s, while the users see errors and close it;
 * a mounted file system does not go by itself, so then the module stays
 * and lxdctl says so (rmmod it after umount).
 */
static void remove_glue(uint32_t id)
{
	char name[128], path[64], rec[128] = "";
	FILE *f;
	int i;

	glue_record_path(id, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(rec, sizeof(rec), f))
		rec[0] = '\0';
	fclose(f);
	rec[strcspn(rec, "\n")] = '\0';
	unlink(path);
	/* removed by hand already, or another domain's by now: not ours */
	if (!rec[0] || find_glue(id, NULL, name, sizeof(name)) || strcmp(name, rec) != 0)
		return;
	for (i = 0; ; i++) {
		if (syscall(SYS_delete_module, name, O_NONBLOCK) == 0) {
			printf("removed %s\n", name);
			return;
		}
		if ((errno != EWOULDBLOCK && errno != EAGAIN && errno != EBUSY) || i >= 150) {
			err_msg("the domain is destroyed, but removing its glue module %s failed: %s "
				"(a device of it still open, a file system mounted?); rmmod %s once nothing uses it",
				name, strerror(errno), name);
			return;
		}
		if (i == 0)
			printf("waiting for the users of %s's devices (up to 15 s)\n", name);
		usleep(100 * 1000);
	}
}

static int insert_glue(const char *file, uint32_t id)
{
	char path[4096], params[32], stale[128] = "";
	size_t n = strlen(file);
	int fd, rc;

	if (n < 4 || strcmp(file + n - 4, ".lxd") != 0 || n - 4 + sizeof("_glue.ko") > sizeof(path))
		return 0;
	snprintf(path, sizeof(path), "%.*s_glue.ko", (int)(n - 4), file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	snprintf(params, sizeof(params), "domain=%u", id);
	if (find_glue(id, NULL, stale, sizeof(stale)))
		stale[0] = '\0';
	rc = (int)syscall(SYS_finit_module, fd, params, 0);
	if (rc != 0) {
		int e = errno;

		err_msg("inserting %s %s failed: %s (dmesg says why)", path, params, strerror(e));
		close(fd);
		return -1;
	}
	close(fd);
	printf("inserted %s %s\n", path, params);
	record_glue(id, stale);
	return 0;
}

static int cmd_load(int argc, char **argv)
{
	char args[LXD_ARGS_MAX] = "";
	struct lxd_ioc_create cr = { 0 };
	struct lxd_ioc_channel ch = { 0 };
	const char *file = NULL, *name = NULL;
	int start = 1, core = -1, i;
	unsigned long v;
	uint64_t logpos;
	void *image;
	size_t len;
	uint32_t id;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--no-start") == 0) {
			start = 0;
		} else if (strcmp(argv[i], "--core") == 0 && i + 1 < argc) {
			if (parse_uint(argv[++i], "core", 63, &v))
				return 2;
			core = (int)v;
		} else if (strcmp(argv[i], "--pages") == 0 && i + 1 < argc) {
			if (parse_uint(argv[++i], "pages", KLXD_CHANNEL_MAX_PAGES, &v))
				return 2;
			ch.pages = (uint32_t)v;
		} else if (strcmp(argv[i], "--channels") == 0 && i + 1 < argc) {
			if (parse_uint(argv[++i], "channels", KLXD_MAX_CHANNELS, &v))
				return 2;
			if (v == 0)
				return usage_error("load: --channels must be 1..%u", KLXD_MAX_CHANNELS);
			ch.count = (uint32_t)v;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error("load: unknown option '%s'", argv[i]);
		} else if (file && strchr(argv[i], '=')) {
			if (add_arg(args, sizeof(args), argv[i]))
				return usage_error("load: the parameters are longer than %d bytes",
						   LXD_ARGS_MAX - 1);
		} else if (!file) {
			file = argv[i];
		} else if (!name) {
			name = argv[i];
		} else {
			return usage_error("load: too many arguments");
		}
	}
	if (!file)
		return usage_error("load needs the FILE of an LXD image");
	if (name) {
		if (strlen(name) == 0 || strlen(name) >= LXDS_NAME_MAX)
			return usage_error("name '%s' must be 1..%d characters", name, LXDS_NAME_MAX - 1);
		strcpy(cr.name, name);
	} else {
		default_name(file, cr.name);
		if (!cr.name[0])
			return usage_error("cannot make a name from '%s': give one", file);
	}
	if (read_file(file, &image, &len))
		return 1;
	if (dev_open()) {
		free(image);
		return 1;
	}
	cr.image = (uintptr_t)image;
	cr.len = len;
	logpos = log_end();
	if (xioctl(LXD_IOC_CREATE, &cr) < 0) {
		int e = errno;
		char needle[LXDS_NAME_MAX + 32];

		free(image);
		snprintf(needle, sizeof(needle), "refused to create '%s'", cr.name);
		switch (e) {
		case ENOEXEC:
			err_msg("the hypervisor refused %s as an LXD image:", file);
			if (!log_explain(logpos, needle))
				err_msg("(no reason in the hypervisor log: lxdctl log)");
			break;
		case EEXIST:
			err_msg("cannot load %s: a domain named '%s' exists already", file, cr.name);
			break;
		case EINVAL:
			err_msg("cannot load %s: the name '%s' is not [A-Za-z0-9._-]{1,%d}", file,
				cr.name, LXDS_NAME_MAX - 1);
			break;
		case E2BIG:
		case EFBIG:
			err_msg("cannot load %s (%zu bytes): too big:", file, len);
			if (!log_explain(logpos, needle))
				err_msg("the file is over %u bytes, or over what klxd can allocate in one "
					"contiguous range (dmesg says which)", LXDS_MAX_IMAGE);
			break;
		case ENOSPC:
			err_msg("cannot load %s: the hypervisor has %d domains already", file,
				LXDS_MAX_DOMAINS);
			break;
		case ENOMEM:
			err_msg("cannot load %s: out of memory (the LXD pool: lxdctl info)", file);
			log_explain(logpos, needle);
			break;
		default:
			err_msg("cannot load %s: %s", file, strerror(e));
			log_explain(logpos, needle);
			break;
		}
		return 1;
	}
	free(image);
	id = cr.id;
	if (args[0]) {
		struct lxd_ioc_args a = { .id = id, .len = (uint32_t)strlen(args),
					  .text = (uintptr_t)args };

		if (xioctl(LXD_IOC_ARGS, &a) < 0) {
			int e = errno;

			err_msg("domain %u '%s': its parameters \"%s\" were refused: %s%s; destroying it",
				id, cr.name, args, strerror(e),
				e == EINVAL ? " (printable ASCII only)" : "");
			if (xioctl(LXD_IOC_DESTROY, &id) < 0)
				err_msg("destroying domain %u failed too: %s", id, strerror(errno));
			return 1;
		}
	}
	ch.id = id;
	if (xioctl(LXD_IOC_CHANNEL, &ch) < 0) {
		int e = errno;

		err_msg("domain %u '%s': setting up its channel failed: %s; destroying it", id,
			cr.name, strerror(e));
		if (xioctl(LXD_IOC_DESTROY, &id) < 0)
			err_msg("destroying domain %u failed too: %s", id, strerror(errno));
		return 1;
	}
	printf("loaded %s as domain %u\n", cr.name, id);
	if (insert_glue(file, id)) {
		err_msg("destroying domain %u '%s' (its glue module is not there)", id, cr.name);
		if (xioctl(LXD_IOC_DESTROY, &id) < 0)
			err_msg("destroying domain %u failed too: %s", id, strerror(errno));
		return 1;
	}
	if (start && do_start(id, cr.name, core)) {
		err_msg("'%s' stays loaded: lxdctl start %s [CORE], or lxdctl destroy %s", cr.name,
			cr.name, cr.name);
		return 1;
	}
	return 0;
}

static int cmd_start(int argc, char **argv)
{
	struct lxds_domain_status st;
	unsigned long v;
	int core = -1;
	uint32_t id;

	if (argc < 1 || argc > 2)
		return usage_error("start takes NAME|ID [CORE]");
	if (argc == 2) {
		if (parse_uint(argv[1], "core", 63, &v))
			return 2;
		core = (int)v;
	}
	if (resolve(argv[0], &id))
		return 1;
	if (get_status(id, &st) < 0) {
		err_msg("status of domain %u failed: %s", id, strerror(errno));
		return 1;
	}
	st.name[LXDS_NAME_MAX - 1] = '\0';
	return do_start(id, st.name, core) ? 1 : 0;
}

static int cmd_stop_destroy(int argc, char **argv, int destroy)
{
	const char *what = destroy ? "destroy" : "stop";
	uint32_t id;

	if (argc != 1)
		return usage_error("%s takes one NAME or ID", what);
	if (resolve(argv[0], &id))
		return 1;
	if (xioctl(destroy ? LXD_IOC_DESTROY : LXD_IOC_STOP, &id) < 0) {
		err_msg("%s %s failed: %s", what, argv[0],
			errno == ETIMEDOUT ? "its core did not answer the stop request" : strerror(errno));
		return 1;
	}
	printf("%s %s\n", destroy ? "destroyed" : "stopped", argv[0]);
	/* a driver domain's glue goes with it (lxdctl load inserted it) */
	if (destroy)
		remove_glue(id);
	return 0;
}

static int cmd_ping(int argc, char **argv)
{
	struct lxd_ioc_ping p = { .count = 1000, .batch = 1 };
	struct lxds_domain_status st;
	const char *who = NULL;
	unsigned long v;
	double per, rate;
	int i, rc, tsc = 0;

	for (i = 0; i < argc; i++) {
		if ((strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "-b") == 0 ||
		     strcmp(argv[i], "-t") == 0) && i + 1 < argc) {
			char o = argv[i][1];

			if (parse_uint(argv[i + 1], o == 'n' ? "count" : o == 'b' ? "batch" : "timeout",
				       o == 'n' ? KLXD_PING_MAX_COUNT : o == 'b' ? 65536 : 3600000, &v))
				return 2;
			if (o == 'n')
				p.count = (uint32_t)v;
			else if (o == 'b')
				p.batch = (uint32_t)v;
			else
				p.timeout_ms = (uint32_t)v;
			i++;
		} else if (strcmp(argv[i], "-T") == 0) {
			tsc = 1;
		} else if (argv[i][0] == '-') {
			return usage_error("ping: unknown option '%s'", argv[i]);
		} else if (!who) {
			who = argv[i];
		} else {
			return usage_error("ping: too many arguments");
		}
	}
	if (!who)
		return usage_error("ping needs a NAME or ID");
	if (p.count == 0)
		return usage_error("ping: count must be at least 1");
	if (resolve(who, &p.id))
		return 1;
	rc = xioctl(LXD_IOC_PING, &p);
	if (rc < 0) {
		int e = errno;

		switch (e) {
		case ENOENT:
			err_msg("ping %s: the domain has no channel (load makes one)", who);
			break;
		case ETIMEDOUT:
			err_msg("ping %s: no reply within the timeout after %" PRIu64 " of %u replies",
				who, p.good + p.bad, p.count);
			break;
		case EPIPE:
			if (get_status(p.id, &st) == 0) {
				fprintf(stderr, "%s: ping %s: the domain is %s after %" PRIu64
					" of %u replies", prog, who, state_name(st.state),
					p.good + p.bad, p.count);
				if (st.state == LXDS_STATE_CRASHED || st.state == LXDS_STATE_STOPPED) {
					fprintf(stderr, ": ");
					print_stop_reason(stderr, &st);
				}
				fputc('\n', stderr);
			} else {
				err_msg("ping %s: the domain does not run", who);
			}
			break;
		case EINTR:
			err_msg("ping %s: interrupted after %" PRIu64 " replies", who, p.good + p.bad);
			break;
		default:
			err_msg("ping %s failed: %s", who, strerror(e));
			break;
		}
		return 1;
	}
	per = p.count ? (double)p.cycles / p.count : 0;
	rate = p.ns ? (double)p.count * 1e9 / (double)p.ns : 0;
	printf("ping: %" PRIu64 "/%u replies correct, %.0f cycles per round trip, %.0f round trips/s"
	       " (batch %u, %" PRIu64 " ns, cpu %u, channel %u of %u)\n", p.good, p.count, per, rate,
	       p.batch ? p.batch : 1, p.ns, p.cpu, p.channel, p.channels);
	if (tsc)
		printf("ping: tsc %" PRIu64 " %" PRIu64 " (the ioctl's start, before any lock; the last"
		       " reply)\n", p.tsc_entry, p.tsc_end);
	if (p.bad) {
		err_msg("ping %s: %" PRIu64 " replies wrong, the first for request %" PRIu64, who, p.bad,
			p.first_bad_seq);
		return 1;
	}
	return 0;
}

static int cmd_gdb(int argc, char **argv)
{
	static struct lxds_domain_status st[LXDCTL_GDB_MAX_DOMAINS];
	struct lxdctl_gdb_domain doms[LXDCTL_GDB_MAX_DOMAINS];
	const char *tty = NULL;
	int port = -1, n = 0, start = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--start")) {
			start = 1;
		} else if (!strcmp(argv[i], "--tty") && i + 1 < argc) {
			tty = argv[++i];
		} else if (!strcmp(argv[i], "--tcp") && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);

			if (*end || v < 1 || v > 65535)
				return usage_error("gdb: bad TCP port '%s'", argv[i]);
			port = (int)v;
		} else if (argv[i][0] == '-') {
			return usage_error("gdb: unexpected '%s'", argv[i]);
		} else if (n == LXDCTL_GDB_MAX_DOMAINS) {
			return usage_error("gdb: at most %d domains per session", LXDCTL_GDB_MAX_DOMAINS);
		} else {
			doms[n++].name = argv[i];
		}
	}
	if (n == 0)
		return usage_error("gdb needs a domain");
	if ((tty != NULL) == (port > 0))
		return usage_error("gdb: say where gdb is: --tty DEV or --tcp PORT (one of them)");
	for (int i = 0; i < n; i++) {
		if (resolve(doms[i].name, &doms[i].id) || get_status(doms[i].id, &st[i]) < 0)
			return 1;
		doms[i].name = st[i].name;
		doms[i].start = st[i].state == LXDS_STATE_LOADED;
		if (doms[i].start && !start) {
			err_msg("gdb: '%s' is loaded, not started: lxdctl start %s, or lxdctl gdb "
				"--start %s (held at its first instruction)", st[i].name, st[i].name,
				st[i].name);
			return 1;
		}
		if (start && !doms[i].start) {
			err_msg("gdb: --start: '%s' is %s, not loaded (load it with --no-start)",
				st[i].name, state_name(st[i].state));
			return 1;
		}
	}
	return lxdctl_gdb(lxd_fd, doms, n, tty, port);
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2)
		return usage_error("no command given");
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	argc -= 2;
	argv += 2;
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
	if (strcmp(cmd, "load") && strcmp(cmd, "start") && strcmp(cmd, "stop") &&
	    strcmp(cmd, "destroy") && strcmp(cmd, "list") && strcmp(cmd, "status") &&
	    strcmp(cmd, "log") && strcmp(cmd, "ping") && strcmp(cmd, "info") && strcmp(cmd, "gdb"))
		return usage_error("unknown command '%s'", cmd);
	if (!strcmp(cmd, "load"))
		return cmd_load(argc, argv);    /* opens /dev/lxd after reading the file */
	if (dev_open())
		return 1;
	if (!strcmp(cmd, "start"))
		return cmd_start(argc, argv);
	if (!strcmp(cmd, "stop"))
		return cmd_stop_destroy(argc, argv, 0);
	if (!strcmp(cmd, "destroy"))
		return cmd_stop_destroy(argc, argv, 1);
	if (!strcmp(cmd, "list"))
		return argc ? usage_error("list takes no arguments") : cmd_list();
	if (!strcmp(cmd, "status"))
		return cmd_status(argc, argv);
	if (!strcmp(cmd, "log"))
		return cmd_log(argc);
	if (!strcmp(cmd, "ping"))
		return cmd_ping(argc, argv);
	if (!strcmp(cmd, "gdb"))
		return cmd_gdb(argc, argv);
	return argc ? usage_error("info takes no arguments") : cmd_info();
}
