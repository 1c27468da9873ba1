// SPDX-License-Identifier: GPL-2.0
/*
 * The loader's heartbeat file and `scx_slo health` (see health.h).
 *
 * Why a file and a lock: a kubelet exec probe runs in the container's own
 * namespaces, so it shares the container's /run and CLOCK_MONOTONIC with
 * the loader but cannot be reached by any pod's traffic, and it costs three
 * small reads.  The lock tells a dead loader from a stalled one at once,
 * without trusting a PID from another PID namespace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "duration.h"
#include "health.h"
#include "scx_slo.h"

#define HB_WRITE_NS	SLO_NSEC_PER_SEC	/* at most one write a second */
/* the state word has one width, so a rewrite in place never leaves a tail */
#define HB_FORMAT	"scx_slo heartbeat pid %d monotonic_ns %020" PRIu64 " %s\n"
#define HB_RUNNING	"running"
#define HB_WAITING	"waiting"

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- the loader's side ------------------------------------------------------------ */

static void hb_write(struct slo_heartbeat *hb, uint64_t now)
{
	char rec[128];
	int n = snprintf(rec, sizeof(rec), HB_FORMAT, (int)getpid(), now,
			 hb->waiting ? HB_WAITING : HB_RUNNING);

	/* a failed write only makes the heartbeat look old: the probe says so */
	if (pwrite(hb->fd, rec, (size_t)n, 0) == n)
		hb->last_ns = now;
}

/*
 * Parse a heartbeat record; true when it is one.  *waiting: the loader is
 * deliberately detached (waiting for the sched_ext slot, or parked after
 * SysRq-S).  A record without a state word is an older loader's: running.
 */
static bool hb_parse(const char *rec, int *pid, uint64_t *ns, bool *waiting)
{
	int end = -1;

	if (sscanf(rec, "scx_slo heartbeat pid %d monotonic_ns %" SCNu64 "%n", pid, ns, &end) != 2 ||
	    end < 0)
		return false;
	rec += end;
	*waiting = !strcmp(rec, " " HB_WAITING "\n");
	return *waiting || !strcmp(rec, "\n") || !strcmp(rec, " " HB_RUNNING "\n");
}

/* The PID in the record of an open heartbeat file, or 0. */
static int hb_pid(int fd)
{
	char rec[128];
	bool waiting;
	uint64_t ns;
	ssize_t n;
	int pid;

	n = pread(fd, rec, sizeof(rec) - 1, 0);
	if (n <= 0)
		return 0;
	rec[n] = '\0';
	return hb_parse(rec, &pid, &ns, &waiting) ? pid : 0;
}

int slo_heartbeat_open(struct slo_heartbeat *hb, const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	struct stat st;
	int e;

	hb->fd = hb->dir_fd = -1;
	hb->last_ns = 0;
	hb->waiting = false;
	if (!*name || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strlen(name) >= sizeof(hb->name) || strlen(path) >= sizeof(dir)) {
		fail(err, errlen, "--heartbeat '%s': not a file path", path);
		return -EINVAL;
	}
	snprintf(hb->name, sizeof(hb->name), "%s", name);
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);

	if (mkdir(dir, 0700) && errno != EEXIST) {
		e = errno;
		fail(err, errlen, "cannot create %s: %s", dir, strerror(e));
		return -e;
	}
	/* the directory itself is never a symlink someone else pointed */
	hb->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (hb->dir_fd < 0) {
		e = errno;
		fail(err, errlen, "cannot open the heartbeat directory %s: %s%s", dir, strerror(e),
		     e == ELOOP || e == ENOTDIR ? " (a symlink?)" : "");
		return -e;
	}
	if (fstat(hb->dir_fd, &st)) {
		e = errno;
		goto fail_errno;
	}
	if (st.st_uid != geteuid()) {
		fail(err, errlen, "heartbeat directory %s is owned by uid %u, not by us (uid %u): "
		     "not writing there", dir, (unsigned int)st.st_uid, (unsigned int)geteuid());
		slo_heartbeat_close(hb);
		return -EPERM;
	}
	if ((st.st_mode & 07777) != 0700 && fchmod(hb->dir_fd, 0700)) {
		e = errno;
		goto fail_errno;
	}

	hb->fd = openat(hb->dir_fd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (hb->fd >= 0 && (fstat(hb->fd, &st) || !S_ISREG(st.st_mode) ||
			    st.st_uid != geteuid() || st.st_nlink != 1)) {
		/* not a file we left: never write through it, replace it */
		close(hb->fd);
		hb->fd = -1;
		errno = EEXIST;
	}
	if (hb->fd < 0 && errno != ENOENT && unlinkat(hb->dir_fd, name, 0)) {
		e = errno;
		goto fail_errno;
	}
	if (hb->fd < 0)
		hb->fd = openat(hb->dir_fd, name,
				O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (hb->fd < 0) {
		e = errno;
		goto fail_errno;
	}
	if (flock(hb->fd, LOCK_EX | LOCK_NB)) {
		int pid = hb_pid(hb->fd);

		e = errno;
		close(hb->fd);
		hb->fd = -1;
		slo_heartbeat_close(hb);
		if (e == EWOULDBLOCK) {
			if (pid)
				fail(err, errlen, "another scx_slo (pid %d) holds %s", pid, path);
			else
				fail(err, errlen, "another scx_slo holds %s", path);
			return -EBUSY;
		}
		fail(err, errlen, "cannot lock %s: %s", path, strerror(e));
		return -e;
	}
	if (fchmod(hb->fd, 0600) || ftruncate(hb->fd, 0)) {
		e = errno;
		goto fail_errno;
	}
	hb_write(hb, slo_mono_ns());
	return 0;
fail_errno:
	fail(err, errlen, "heartbeat %s: %s", path, strerror(e));
	slo_heartbeat_close(hb);
	return -e;
}

void slo_heartbeat_beat(struct slo_heartbeat *hb)
{
	uint64_t now;

	if (hb->fd < 0)
		return;
	now = slo_mono_ns();
	if (now - hb->last_ns >= HB_WRITE_NS)
		hb_write(hb, now);
}

void slo_heartbeat_set_waiting(struct slo_heartbeat *hb, bool waiting)
{
	if (hb->waiting == waiting)
		return;
	hb->waiting = waiting;
	/* at once: the probe must not read the old state for a second */
	if (hb->fd >= 0)
		hb_write(hb, slo_mono_ns());
}

void slo_heartbeat_close(struct slo_heartbeat *hb)
{
	if (hb->fd >= 0) {
		unlinkat(hb->dir_fd, hb->name, 0);
		close(hb->fd);
	}
	if (hb->dir_fd >= 0)
		close(hb->dir_fd);
	hb->fd = hb->dir_fd = -1;
}

/* ---- the probe's side ------------------------------------------------------------- */

/* A small file, trailing whitespace stripped; 0 or errno. */
int slo_read_small(const char *path, char *out, size_t outlen)
{
	ssize_t n;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = read(fd, out, outlen - 1);
	e = errno;
	close(fd);
	if (n < 0)
		return e;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ' || out[n - 1] == '\t'))
		n--;
	out[n] = '\0';
	return 0;
}

/* Append "; "-separated reasons to @out. */
__attribute__((format(printf, 4, 5)))
static size_t add(char *out, size_t len, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (off && off + 2 < len) {
		memcpy(out + off, "; ", 3);
		off += 2;
	}
	if (off >= len)
		return off;
	va_start(ap, fmt);
	n = vsnprintf(out + off, len - off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return off;
	off += (size_t)n;
	return off < len ? off : len - 1;
}

/* What sysfs says; @off grows with every failed condition. */
static size_t check_sched_ext(const char *dir, char *out, size_t len, size_t off)
{
	char path[PATH_MAX + 16], val[128];
	int e;

	snprintf(path, sizeof(path), "%s/state", dir);
	e = slo_read_small(path, val, sizeof(val));
	if (e == ENOENT)
		return add(out, len, off, "this kernel has no sched_ext (%s missing)", path);
	if (e)
		return add(out, len, off, "cannot read %s: %s", path, strerror(e));
	if (strcmp(val, "enabled"))
		off = add(out, len, off, "sched_ext state is '%s', not 'enabled'", val);
	snprintf(path, sizeof(path), "%s/root/ops", dir);
	e = slo_read_small(path, val, sizeof(val));
	if (e == ENOENT)
		return add(out, len, off, "no sched_ext scheduler is attached");
	if (e)
		return add(out, len, off, "cannot read %s: %s", path, strerror(e));
	if (strcmp(val, SCX_SLO_OPS_NAME))
		off = add(out, len, off, "the attached sched_ext scheduler is '%s', not '%s'", val,
			  SCX_SLO_OPS_NAME);
	return off;
}

/*
 * Read the record twice until both reads agree: the loader rewrites it in
 * place, and a read racing that write could see half of each.
 */
static bool read_record(int fd, int *pid, uint64_t *ns, bool *waiting)
{
	char a[128], b[128];
	int tries;

	for (tries = 0; tries < 5; tries++) {
		ssize_t na = pread(fd, a, sizeof(a) - 1, 0), nb = pread(fd, b, sizeof(b) - 1, 0);

		if (na <= 0 || na != nb)
			continue;
		a[na] = b[nb] = '\0';
		if (!strcmp(a, b))
			return hb_parse(a, pid, ns, waiting);
	}
	return false;
}

int slo_health_check(const char *sched_ext_dir, const char *heartbeat_path,
		     uint64_t max_age_ns, char *out, size_t outlen)
{
	char limit[32];
	double age = 0;
	size_t off;
	uint64_t ns;
	int fd, pid = 0;
	bool beat_ok = false, waiting = false;
	char sched[512];

	out[0] = '\0';
	off = check_sched_ext(sched_ext_dir, out, outlen, 0);
	snprintf(sched, sizeof(sched), "%s", out);
	slo_format_duration(max_age_ns, limit, sizeof(limit));

	fd = open(heartbeat_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		off = add(out, outlen, off, "no heartbeat at %s: scx_slo is not running", heartbeat_path);
	} else if (fd < 0) {
		off = add(out, outlen, off, "cannot read the heartbeat %s: %s", heartbeat_path,
			  strerror(errno));
	} else if (!read_record(fd, &pid, &ns, &waiting)) {
		off = add(out, outlen, off, "%s is not a scx_slo heartbeat", heartbeat_path);
	} else {
		uint64_t now = slo_mono_ns();

		age = now > ns ? (double)(now - ns) / 1e9 : 0;
		if (!flock(fd, LOCK_SH | LOCK_NB))
			off = add(out, outlen, off,
				  "scx_slo is not running (no process holds %s; pid %d wrote it %.1f s ago)",
				  heartbeat_path, pid, age);
		else if (errno != EWOULDBLOCK)
			off = add(out, outlen, off, "cannot lock %s: %s", heartbeat_path,
				  strerror(errno));
		else if (now > ns && now - ns > max_age_ns)
			off = add(out, outlen, off,
				  "scx_slo (pid %d) has not completed a pass of its main loop for %.1f s (limit %s)",
				  pid, age, limit);
		else
			beat_ok = true;
	}
	if (fd >= 0)
		close(fd);
	/*
	 * A loader that chose to wait (README "Failure policy") is alive:
	 * restarting its container would only turn the wait into a crash loop.
	 * Readiness (/healthz) still says it is not attached.
	 */
	if (beat_ok && waiting) {
		snprintf(out, outlen, "ok: scx_slo (pid %d) is alive and waiting to attach "
			 "(completed a pass %.1f s ago)%s%s", pid, age, sched[0] ? ": " : "", sched);
		return 0;
	}
	if (off)
		return SLO_EXIT_UNHEALTHY;
	if (beat_ok)
		snprintf(out, outlen, "ok: sched_ext runs '%s'; scx_slo (pid %d) completed a pass %.1f s ago",
			 SCX_SLO_OPS_NAME, pid, age);
	return 0;
}

static void health_usage(FILE *f)
{
	fprintf(f,
"Usage: scx_slo health [--heartbeat FILE] [--max-age DURATION]\n"
"\n"
"Exit 0 when scx_slo is the attached, enabled sched_ext scheduler and its\n"
"loader completed a pass of its main loop within DURATION (default 10s);\n"
"else exit 1 with one line saying why.  Reads two sysfs files and the\n"
"loader's heartbeat file (default " SLO_HEARTBEAT_PATH ", root only): no\n"
"network, so a flood of the metrics port cannot make it fail.  For an exec\n"
"liveness or startup probe.\n");
}

int slo_health_main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "heartbeat",	required_argument, NULL, 'H' },
		{ "max-age",	required_argument, NULL, 'a' },
		{ "help",	no_argument,	   NULL, 'h' },
		{}
	};
	const char *path = SLO_HEARTBEAT_PATH, *why = NULL;
	uint64_t max_age = SLO_HEALTH_MAX_AGE_NS;
	char out[1024];
	int c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			path = optarg;
			break;
		case 'a':
			if (slo_parse_duration(optarg, &max_age, &why)) {
				fprintf(stderr, "scx_slo: health: --max-age '%s': %s\n", optarg, why);
				return 2;
			}
			if (max_age < SLO_NSEC_PER_SEC || max_age > 3600 * SLO_NSEC_PER_SEC) {
				fprintf(stderr, "scx_slo: health: --max-age '%s': must be between 1s and 3600s\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			health_usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "scx_slo: health: %s needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "scx_slo: health: unknown option '%s' (see scx_slo health --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "scx_slo: health: unexpected argument '%s' (see scx_slo health --help)\n",
			argv[optind]);
		return 2;
	}
	ret = slo_health_check(SLO_HEALTH_SCHED_EXT_DIR, path, max_age, out, sizeof(out));
	if (ret)
		fprintf(stderr, "scx_slo: unhealthy: %s\n", out);
	else
		printf("%s\n", out);
	return ret;
}
