// SPDX-License-Identifier: GPL-2.0
/*
 * Following the SLO configuration file: inotify on every directory of its
 * symlink chain, re-armed whenever the chain may have changed, a periodic
 * re-read as the fallback, and a settle rule so that a file being written
 * is never applied half-written.  See config_watch.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config_watch.h"
#include "duration.h"

/* as the kernel's MAXSYMLINKS: a loop of links ends the resolution */
#define MAX_HOPS		40
/* components watched at most: a path deeper than this is followed by the
 * periodic check alone past that depth */
#define MAX_INTERESTS		64
/* at start, how long a file that keeps changing is waited for */
#define LOAD_SETTLE_MAX_MS	2000

struct slo_watch_interest {
	char *dir;		/* a directory on the resolved path (no symlinks) */
	char *name;		/* the entry of @dir the path goes through */
	bool target;		/* @name is the file itself */
	bool any;		/* @dir is the SLO directory: every name in it */
	int wd;
};

/* ---- pure part ----------------------------------------------------------- */

uint64_t slo_content_hash(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

bool slo_file_sample_same_content(const struct slo_file_sample *a,
				  const struct slo_file_sample *b)
{
	if (a->err || b->err)
		return a->err == b->err;
	return a->size == b->size && a->hash == b->hash;
}

bool slo_file_sample_equal(const struct slo_file_sample *a,
			   const struct slo_file_sample *b)
{
	if (a->err || b->err)
		return a->err == b->err;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->hash == b->hash && a->meta == b->meta &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

enum slo_settle_verdict slo_settle_step(struct slo_settle *s,
					const struct slo_file_sample *now,
					uint64_t now_ms, uint64_t quiet_ms,
					bool writer_open, uint64_t writer_ms)
{
	if (!s->have || !slo_file_sample_equal(&s->last, now)) {
		s->have = true;
		s->last = *now;
		s->since_ms = now_ms;
		return SLO_SETTLE_WAIT;
	}
	if (now_ms - s->since_ms < quiet_ms)
		return SLO_SETTLE_WAIT;
	/* a writer that keeps the file open without writing is not waited for forever */
	if (writer_open && now_ms - s->since_ms < writer_ms)
		return SLO_SETTLE_WAIT;
	return SLO_SETTLE_READY;
}

/* ---- I/O helpers --------------------------------------------------------- */

static uint64_t mono_ms(void)
{
	return slo_mono_ns() / 1000000;
}

static void say(const struct slo_config_watch *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(const struct slo_config_watch *w, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!w->ops.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	w->ops.log(w->ops.ctx, "%s", line);
}

/* One read of every source: the sample, and on success the files in @set. */
static void read_sample(const struct slo_config_watch *w, struct slo_file_sample *smp,
			struct slo_source_set *set, char *err, size_t errlen)
{
	int ret;

	memset(smp, 0, sizeof(*smp));
	ret = slo_sources_read(w->name, w->dir_name, set, err, errlen);
	if (ret) {
		smp->err = ret;
		return;
	}
	smp->size = (off_t)set->total_len;
	smp->hash = set->content_hash;
	smp->meta = set->stat_hash;
}

/* ---- resolving the path, one component at a time -------------------------- */

struct resolution {
	struct slo_watch_interest *v;
	size_t n;
};

static void resolution_free(struct resolution *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].dir);
		free(r->v[i].name);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

static int add_interest(struct resolution *r, const char *dir, const char *name,
			size_t namelen)
{
	struct slo_watch_interest *v;

	if (r->n >= MAX_INTERESTS)
		return -E2BIG;
	v = realloc(r->v, (r->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->v = v;
	v = &r->v[r->n];
	memset(v, 0, sizeof(*v));
	v->wd = -1;
	v->dir = strdup(dir[0] ? dir : "/");
	v->name = strndup(name, namelen);
	if (!v->dir || !v->name) {
		free(v->dir);
		free(v->name);
		return -ENOMEM;
	}
	r->n++;
	return 0;
}

/*
 * Walk @path (absolute) as the kernel would, recording for each component
 * the physical directory that holds it: renaming, creating or deleting that
 * entry is what can make the path lead elsewhere.  A symlink's target is
 * walked in turn, so every link of a ConfigMap's chain is covered.  Stops
 * at the first component that does not exist (its directory is watched for
 * it to appear).  0 or -errno (what was resolved so far is kept).
 */
static int resolve(const char *path, struct resolution *r)
{
	char cur[PATH_MAX] = "", rest[2 * PATH_MAX], next[2 * PATH_MAX];
	char cand[PATH_MAX], link[PATH_MAX];
	int hops = 0, ret;
	const char *p;

	if (snprintf(rest, sizeof(rest), "%s", path) >= (int)sizeof(rest))
		return -ENAMETOOLONG;
	p = rest;
	for (;;) {
		const char *comp;
		size_t len;
		struct stat st;
		ssize_t n;

		while (*p == '/')
			p++;
		if (!*p)
			return 0;
		comp = p;
		len = strcspn(p, "/");
		p += len;
		if (len == 1 && comp[0] == '.')
			continue;
		if (len == 2 && comp[0] == '.' && comp[1] == '.') {
			char *slash = strrchr(cur, '/');

			if (slash)
				*slash = '\0';
			continue;
		}
		if (snprintf(cand, sizeof(cand), "%s/%.*s", cur, (int)len, comp) >=
		    (int)sizeof(cand))
			return -ENAMETOOLONG;
		ret = add_interest(r, cur, comp, len);
		if (ret)
			return ret;
		if (lstat(cand, &st))
			return -errno;
		if (!S_ISLNK(st.st_mode)) {
			memcpy(cur, cand, strlen(cand) + 1);
			if (!*(p + strspn(p, "/")))
				r->v[r->n - 1].target = true;
			continue;
		}
		if (++hops > MAX_HOPS)
			return -ELOOP;
		n = readlink(cand, link, sizeof(link) - 1);
		if (n < 0)
			return -errno;
		link[n] = '\0';
		if (snprintf(next, sizeof(next), "%s%s", link, p) >= (int)sizeof(next))
			return -ENAMETOOLONG;
		memcpy(rest, next, strlen(next) + 1);
		p = rest;
		if (link[0] == '/')
			cur[0] = '\0';
	}
}

/*
 * What the watcher follows: the file's path, the directory's path, and
 * every name inside the directory once it resolves to one.
 */
static void resolve_all(const struct slo_config_watch *w, struct resolution *r)
{
	const struct slo_watch_interest *last;
	char *inside;
	size_t before;

	if (w->path)
		resolve(w->path, r);
	if (!w->dir_path)
		return;
	before = r->n;
	if (resolve(w->dir_path, r) || r->n == before)
		return;
	last = &r->v[r->n - 1];
	if (!last->target)
		return;
	if (asprintf(&inside, "%s%s%s", last->dir, strcmp(last->dir, "/") ? "/" : "",
		     last->name) < 0)
		return;
	if (!add_interest(r, inside, "", 0))
		r->v[r->n - 1].any = true;
	free(inside);
}

static bool resolutions_equal(const struct slo_watch_interest *a, size_t na,
			      const struct resolution *b)
{
	size_t i;

	if (na != b->n)
		return false;
	for (i = 0; i < na; i++) {
		if (strcmp(a[i].dir, b->v[i].dir) || strcmp(a[i].name, b->v[i].name) ||
		    a[i].target != b->v[i].target || a[i].any != b->v[i].any)
			return false;
	}
	return true;
}

/* ---- watches ------------------------------------------------------------- */

#define DIR_EVENTS	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
			 IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | \
			 IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)

static void drop_interests(struct slo_config_watch *w)
{
	struct resolution r = { w->interests, w->nr_interests };

	resolution_free(&r);
	w->interests = NULL;
	w->nr_interests = 0;
}

/*
 * Watch what @r lists on a fresh inotify instance: events queued for the
 * old watches are dropped with it, which is fine, since a re-arm always
 * comes with a read of the file.
 */
static bool arm(struct slo_config_watch *w, struct resolution *r)
{
	const char *failed_dir = NULL;
	int failed_err = 0;
	size_t i;

	if (w->fd >= 0)
		close(w->fd);
	drop_interests(w);
	w->writer_open = false;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->interests = r->v;
	w->nr_interests = r->n;
	r->v = NULL;
	r->n = 0;
	if (w->fd < 0) {
		failed_dir = w->what;
		failed_err = errno;
		goto out;
	}
	for (i = 0; i < w->nr_interests; i++) {
		struct slo_watch_interest *in = &w->interests[i];

		in->wd = inotify_add_watch(w->fd, in->dir, DIR_EVENTS);
		if (in->wd < 0 && !failed_dir) {
			failed_dir = in->dir;
			failed_err = errno;
		}
	}
out:
	if (failed_dir && !w->watch_failed_said) {
		say(w, "cannot watch %s for %s (%s): changes are seen by the %d s check only",
		    failed_dir, w->what, strerror(failed_err), SLO_WATCH_RECHECK_MS / 1000);
		w->watch_failed_said = true;
	} else if (!failed_dir) {
		w->watch_failed_said = false;
	}
	return !failed_dir;
}

/* Resolve and watch until a resolution made after arming agrees with it. */
static void rearm(struct slo_config_watch *w)
{
	struct resolution r = {};
	int tries;

	resolve_all(w, &r);
	for (tries = 0; tries < 4; tries++) {
		arm(w, &r);
		resolve_all(w, &r);
		if (resolutions_equal(w->interests, w->nr_interests, &r))
			break;
	}
	resolution_free(&r);
}

/* Whether the watches still cover the path as it resolves now. */
static bool watches_current(struct slo_config_watch *w)
{
	struct resolution r = {};
	bool same, armed = w->fd >= 0;
	size_t i;

	resolve_all(w, &r);
	same = resolutions_equal(w->interests, w->nr_interests, &r);
	resolution_free(&r);
	for (i = 0; i < w->nr_interests; i++)
		armed = armed && w->interests[i].wd >= 0;
	return same && armed;
}

/* ---- the watcher ----------------------------------------------------------- */

static void mark_pending(struct slo_config_watch *w, const char *why, bool force,
			 uint64_t now)
{
	if (force) {
		/* an operator's SIGHUP names the reload even if a check was already due */
		w->force = true;
		w->why = why;
	}
	if (w->pending)
		return;
	w->pending = true;
	w->why = why;
	memset(&w->settle, 0, sizeof(w->settle));
	w->next_sample_ms = now;
}

static void status_now(struct slo_reload_status *st, bool ok)
{
	clock_gettime(CLOCK_REALTIME, &st->last);
	st->last_ok = ok;
	if (ok)
		st->last_ok_at = st->last;
}

void slo_reload_status_started(struct slo_reload_status *st)
{
	memset(st, 0, sizeof(*st));
	status_now(st, true);
}

static char *absolute(const char *path)
{
	char cwd[PATH_MAX], *abs;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&abs, "%s/%s", cwd, path) < 0)
		return NULL;
	return abs;
}

/* The state both ways of starting share; -1 (w freed) when a path cannot be resolved. */
static int watch_setup(struct slo_config_watch *w, const char *path, const char *dir,
		       uint64_t default_budget_ns,
		       const struct slo_config_watch_ops *ops)
{
	int ret = 0;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->default_budget_ns = default_budget_ns;
	w->ops = *ops;
	if (path && (!(w->path = absolute(path)) || !(w->name = strdup(path))))
		ret = -1;
	if (!ret && dir && (!(w->dir_path = absolute(dir)) || !(w->dir_name = strdup(dir))))
		ret = -1;
	if (!ret && path && dir)
		ret = asprintf(&w->what, "%s and %s", path, dir) < 0 ? -1 : 0;
	else if (!ret)
		ret = (w->what = strdup(path ? path : dir ? dir : "")) ? 0 : -1;
	if (ret) {
		int err = errno;

		slo_config_watch_free(w);
		errno = err;
		return -1;
	}
	return 0;
}

/* A merge's override line, through the watcher's log. */
static void log_merge(void *ctx, const char *line)
{
	say(ctx, "%s", line);
}

/* --config's part of a merge now in force: kept for --last-good. */
static void keep_config_part(struct slo_config_watch *w, struct slo_config *part)
{
	slo_config_free(&w->config_part);
	w->config_part = *part;
	w->have_config_part = true;
	memset(part, 0, sizeof(*part));
}

int slo_config_watch_init_sources(struct slo_config_watch *w, const char *path,
				  const char *dir, uint64_t default_budget_ns,
				  const struct slo_config_watch_ops *ops,
				  struct slo_config *out, char *err, size_t errlen)
{
	struct slo_file_sample smp;
	struct slo_config part = {};
	uint64_t start = mono_ms(), now;

	if (watch_setup(w, path, dir, default_budget_ns, ops)) {
		snprintf(err, errlen, "%s: cannot resolve: %s", path ? path : dir, strerror(errno));
		return -1;
	}
	/* a file being written as we start is waited for, a little */
	for (;;) {
		slo_source_set_free(&w->set);
		read_sample(w, &smp, &w->set, err, errlen);
		now = mono_ms();
		if (smp.err ||
		    slo_settle_step(&w->settle, &smp, now, SLO_WATCH_QUIET_MS, false, 0) ==
		    SLO_SETTLE_READY || now - start >= LOAD_SETTLE_MAX_MS)
			break;
		usleep(SLO_WATCH_SAMPLE_MS * 1000);
	}
	if (smp.err || slo_sources_merge(&w->set, default_budget_ns, out, &part, log_merge, w,
					 err, errlen)) {
		slo_config_watch_free(w);
		return -1;
	}
	slo_source_set_free(&w->set);
	keep_config_part(w, &part);
	w->done = smp;
	w->have_done = true;
	memset(&w->settle, 0, sizeof(w->settle));
	slo_reload_status_started(&w->status);
	rearm(w);
	w->next_recheck_ms = mono_ms() + SLO_WATCH_RECHECK_MS;
	return 0;
}

int slo_config_watch_init(struct slo_config_watch *w, const char *path,
			  uint64_t default_budget_ns,
			  const struct slo_config_watch_ops *ops,
			  struct slo_config *out, char *err, size_t errlen)
{
	return slo_config_watch_init_sources(w, path, NULL, default_budget_ns, ops, out,
					     err, errlen);
}

static void count(struct slo_config_watch *w, bool ok);

int slo_config_watch_init_broken_sources(struct slo_config_watch *w, const char *path,
					 const char *dir, uint64_t default_budget_ns,
					 const struct slo_config_watch_ops *ops)
{
	char err[768];

	if (watch_setup(w, path, dir, default_budget_ns, ops))
		return -1;
	/* the version that failed is acted on (reported by the caller): the next is news */
	read_sample(w, &w->done, &w->set, err, sizeof(err));
	slo_source_set_free(&w->set);
	w->have_done = true;
	count(w, false);
	rearm(w);
	w->next_recheck_ms = mono_ms() + SLO_WATCH_RECHECK_MS;
	return 0;
}

int slo_config_watch_init_broken(struct slo_config_watch *w, const char *path,
				 uint64_t default_budget_ns,
				 const struct slo_config_watch_ops *ops)
{
	return slo_config_watch_init_broken_sources(w, path, NULL, default_budget_ns, ops);
}

int slo_config_watch_fd(const struct slo_config_watch *w)
{
	return w->fd;
}

int slo_config_watch_timeout_ms(const struct slo_config_watch *w)
{
	uint64_t now = mono_ms(), due = w->next_recheck_ms;

	if (w->pending && w->next_sample_ms < due)
		due = w->next_sample_ms;
	return due <= now ? 0 : (int)(due - now);
}

void slo_config_watch_request(struct slo_config_watch *w, const char *why)
{
	mark_pending(w, why, true, mono_ms());
}

/* Read what inotify queued.  *@rearm_needed: where the path leads may have changed. */
static bool drain(struct slo_config_watch *w, bool *rearm_needed, uint64_t now)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;

	if (w->fd < 0)
		return false;
	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		char *p = buf;

		while (p < buf + n) {
			const struct inotify_event *ev = (const void *)p;
			size_t i;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				*rearm_needed = changed = true;
				continue;
			}
			for (i = 0; i < w->nr_interests; i++) {
				struct slo_watch_interest *in = &w->interests[i];

				if (in->wd != ev->wd)
					continue;
				/* the directory itself went away or moved: its watch is dead */
				if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF |
						IN_UNMOUNT)) {
					*rearm_needed = changed = true;
					break;
				}
				if (!ev->len || (!in->any && strcmp(ev->name, in->name)))
					continue;
				changed = true;
				/* names inside the directory do not change where its path leads */
				if (!in->any &&
				    (ev->mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)))
					*rearm_needed = true;
				if (!in->target && !in->any)
					continue;
				if (ev->mask & IN_MODIFY) {
					if (!w->writer_open)
						w->writer_since_ms = now;
					w->writer_open = true;
				}
				if (ev->mask & IN_CLOSE_WRITE)
					w->writer_open = false;
			}
		}
	}
	return changed;
}

static void count(struct slo_config_watch *w, bool ok)
{
	if (ok)
		w->status.ok++;
	else
		w->status.failed++;
	status_now(&w->status, ok);
}

/* Act on a settled read: apply it, or report it, or wait for it to settle as bad. */
static void settled(struct slo_config_watch *w, uint64_t now)
{
	const struct slo_file_sample *smp = &w->settle.last;
	struct slo_config cfg, part = {};
	char err[768];
	int ret;

	if (!w->force && w->have_done && slo_file_sample_same_content(smp, &w->done)) {
		w->pending = false;
		return;
	}
	if (!smp->err && slo_sources_merge(&w->set, w->default_budget_ns, &cfg, &part,
					   log_merge, w, err, sizeof(err)) == 0) {
		ret = w->ops.apply(w->ops.ctx, &cfg, w->why, w->force, err, sizeof(err));
		if (ret >= 0)
			keep_config_part(w, &part);
		slo_config_free(&part);
		if (ret < 0) {
			say(w, "config not applied (%s): %s; the SLOs in force stay", w->why, err);
			count(w, false);
		} else if (ret == 0 || !w->status.last_ok) {
			/* back to what is in force after a bad version is a good reload too */
			count(w, true);
		}
		if (ret)
			slo_config_free(&cfg);
	} else {
		if (smp->err)
			snprintf(err, sizeof(err), "%s", w->read_err);
		/* an in-place write in two goes: the first half rarely parses */
		if (now - w->settle.since_ms < SLO_WATCH_BAD_QUIET_MS) {
			w->next_sample_ms = w->settle.since_ms + SLO_WATCH_BAD_QUIET_MS;
			return;
		}
		say(w, "config rejected (%s): %s; the SLOs in force stay", w->why, err);
		count(w, false);
	}
	w->done = *smp;
	w->have_done = true;
	w->pending = false;
	w->force = false;
}

static void sample(struct slo_config_watch *w, uint64_t now)
{
	struct slo_file_sample smp;

	slo_source_set_free(&w->set);
	read_sample(w, &smp, &w->set, w->read_err, sizeof(w->read_err));
	if (slo_settle_step(&w->settle, &smp, now, SLO_WATCH_QUIET_MS, w->writer_open,
			    SLO_WATCH_WRITER_MAX_MS) == SLO_SETTLE_WAIT) {
		w->next_sample_ms = now + SLO_WATCH_SAMPLE_MS;
		return;
	}
	settled(w, now);
}

void slo_config_watch_run(struct slo_config_watch *w)
{
	bool rearm_needed = false;
	uint64_t now = mono_ms();

	if (!w->path && !w->dir_path)
		return;
	if (drain(w, &rearm_needed, now)) {
		if (rearm_needed)
			rearm(w);
		/*
		 * A periodic check already in flight when the change is seen
		 * applies it: the reload is the change's all the same (only an
		 * operator's SIGHUP names it otherwise).
		 */
		if (w->pending && !w->force)
			w->why = "file changed";
		mark_pending(w, "file changed", false, now);
	}
	if (now >= w->next_recheck_ms) {
		w->next_recheck_ms = now + SLO_WATCH_RECHECK_MS;
		/* a missed re-arm is repaired here, at the latest */
		if (!watches_current(w))
			rearm(w);
		mark_pending(w, "periodic check", false, now);
	}
	if (w->pending && now >= w->next_sample_ms)
		sample(w, now);
}

void slo_config_watch_free(struct slo_config_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	drop_interests(w);
	slo_source_set_free(&w->set);
	free(w->path);
	w->path = NULL;
	free(w->name);
	w->name = NULL;
	free(w->dir_path);
	w->dir_path = NULL;
	free(w->dir_name);
	w->dir_name = NULL;
	free(w->what);
	w->what = NULL;
	slo_config_free(&w->config_part);
	w->have_config_part = false;
}
