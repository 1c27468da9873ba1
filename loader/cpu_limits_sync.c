// SPDX-License-Identifier: GPL-2.0
/*
 * slo_cgroup_limits from cgroupfs, for kernels without
 * ops.cgroup_set_bandwidth.  See cpu_limits_sync.h.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "cpu_limits.h"
#include "cpu_limits_sync.h"
#include "escape.h"

/*
 * Deepest directory walked below the mount (each level holds one open
 * directory).  BPF looks at most SLO_MAX_CGROUP_DEPTH levels above a task
 * anyway.
 */
#define SLO_LIMITS_MAX_DEPTH	128

/* What a cgroup's files say. */
enum cg_state {
	CG_NONE,		/* no limit: "max", no cpu controller, or gone */
	CG_LIMITED,
	CG_BAD,			/* unreadable or malformed */
};

struct cg_read {
	enum cg_state state;
	struct slo_cgroup_limit lim;
	const char *file;	/* CG_BAD: the file at fault */
	const char *why;	/* CG_BAD: the parser's reason, or NULL ... */
	int err;		/* ... and then the read's errno */
};

static void set_bad(struct cg_read *r, const char *file, const char *why, int err)
{
	r->state = CG_BAD;
	r->file = file;
	r->why = why;
	r->err = err;
}

/*
 * The text of the small cgroupfs file @name in directory @dfd.  Its length,
 * or -errno; -EFBIG when it does not fit, -EILSEQ when it holds a NUL.
 */
static int read_small(int dfd, const char *name, char *buf, size_t len)
{
	ssize_t n;
	int fd, err;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	if ((size_t)n == len - 1)
		return -EFBIG;
	if (strlen(buf) != (size_t)n)
		return -EILSEQ;
	return (int)n;
}

static const char *read_reason(int err)
{
	switch (err) {
	case -EFBIG:	return "longer than any valid content";
	case -EILSEQ:	return "contains a NUL byte";
	default:	return NULL;
	}
}

/* Read and parse the limit of the cgroup whose directory is @dfd. */
static void read_cgroup(int dfd, struct cg_read *r)
{
	char max[128], burst[128];
	uint64_t quota_ns, period_ns;
	bool limited = false;
	const char *why = NULL, *file = NULL;
	int n;

	memset(r, 0, sizeof(*r));
	n = read_small(dfd, "cpu.max", max, sizeof(max));
	/* no cpu controller here, or removed under us (kernfs: ENODEV) */
	if (n == -ENOENT || n == -ENODEV)
		return;
	if (n < 0) {
		set_bad(r, "cpu.max", read_reason(n), -n);
		return;
	}
	if (slo_parse_cpu_max(max, &limited, &quota_ns, &period_ns, &why)) {
		set_bad(r, "cpu.max", why, 0);
		return;
	}
	if (!limited)
		return;
	n = read_small(dfd, "cpu.max.burst", burst, sizeof(burst));
	if (n == -ENODEV)
		return;
	if (n < 0 && n != -ENOENT) {
		set_bad(r, "cpu.max.burst", read_reason(n), -n);
		return;
	}
	if (slo_parse_cgroup_limit(max, n >= 0 ? burst : NULL, &r->lim, &limited,
				   &file, &why)) {
		set_bad(r, file, why, 0);
		return;
	}
	r->state = limited ? CG_LIMITED : CG_NONE;
}

/* @e's name for a log line: escaped, for its creator chose it */
static const char *entry_name(const struct slo_limit_entry *e, char *buf, size_t len)
{
	if (e->path)
		slo_escape(buf, len, e->path);
	else
		snprintf(buf, len, "<id %llu>", (unsigned long long)e->id);
	return buf;
}

/*
 * Bring the map's entry for @e in line with @r; *@changes counts map
 * writes.  Returns whether @e stays in the loader's copy.
 */
static bool settle(struct slo_limits *l, struct slo_limit_entry *e,
		   const struct cg_read *r, int *changes)
{
	static char idbuf[SLO_ESCAPED_SIZE(PATH_MAX)];
	int err;

	switch (r->state) {
	case CG_NONE:
		if (e->in_map) {
			err = l->ops.remove(l->ops.ctx, e->id);
			if (err && err != -ENOENT) {
				l->ops.log(l->ops.ctx, "cgroup %s: cannot remove its CPU limit: %s",
					   entry_name(e, idbuf, sizeof(idbuf)), strerror(-err));
				return true;	/* tried again on the next pass */
			}
			(*changes)++;
		}
		return false;
	case CG_BAD:
		if (!e->bad) {
			const char *name = entry_name(e, idbuf, sizeof(idbuf));

			if (r->why)
				l->ops.log(l->ops.ctx, "cgroup %s: %s: %s; its CPU limit is %s",
					   name, r->file, r->why,
					   e->in_map ? "left as it was" : "not enforced");
			else
				l->ops.log(l->ops.ctx, "cgroup %s: cannot read %s: %s; its CPU limit is %s",
					   name, r->file, strerror(r->err),
					   e->in_map ? "left as it was" : "not enforced");
		}
		e->bad = true;
		return true;
	case CG_LIMITED:
		e->bad = false;
		if (e->in_map && !memcmp(&e->lim, &r->lim, sizeof(e->lim)))
			return true;
		err = l->ops.update(l->ops.ctx, e->id, &r->lim);
		if (err) {
			if (!l->full_reported) {
				l->ops.log(l->ops.ctx, "cgroup %s: cannot set its CPU limit: %s%s",
					   entry_name(e, idbuf, sizeof(idbuf)), strerror(-err),
					   err == -E2BIG ? " (slo_cgroup_limits is full: further "
					   "limits are not enforced; said once)" : " (said once)");
				l->full_reported = true;
			}
			/* in the map, it still holds e->lim; else found again next walk */
			return e->in_map;
		}
		e->lim = r->lim;
		e->in_map = true;
		(*changes)++;
		return true;
	}
	return true;
}

/* ---- the walk ------------------------------------------------------------ */

struct found {
	uint64_t id;
	char *path;
	struct cg_read r;
};

struct walk {
	struct found *found;
	size_t nr, cap;
	char path[PATH_MAX];
	dev_t dev;
};

static int add_found(struct walk *w, uint64_t id, bool path_ok, const struct cg_read *r)
{
	struct found *f;

	if (w->nr == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		void *grown = realloc(w->found, cap * sizeof(*w->found));

		if (!grown)
			return -ENOMEM;
		w->found = grown;
		w->cap = cap;
	}
	f = &w->found[w->nr];
	f->id = id;
	f->r = *r;
	f->path = NULL;
	if (path_ok) {
		f->path = strdup(w->path);
		if (!f->path)
			return -ENOMEM;
	}
	w->nr++;
	return 0;
}

/*
 * The cgroups below directory @dfd (closed here), whose path w->path holds
 * in its first @plen bytes (@path_ok: it fitted).
 */
static int walk_dir(struct walk *w, int dfd, size_t plen, bool path_ok, int depth)
{
	struct dirent *de;
	DIR *d;
	int ret = 0;

	d = fdopendir(dfd);
	if (!d) {
		ret = -errno;
		close(dfd);
		return ret;
	}
	for (;;) {
		bool sub_ok = path_ok;
		struct cg_read r;
		struct stat st;
		size_t nlen;
		int cfd;

		errno = 0;
		de = readdir(d);
		if (!de) {
			/* a directory removed while read ends early: not an error */
			if (errno && errno != ENOENT && errno != ENODEV)
				ret = -errno;
			break;
		}
		ret = slo_cgroup_open_child(d, de, w->dev, &cfd, &st);
		if (ret <= 0) {
			if (!ret)
				continue;
			break;
		}
		ret = 0;
		nlen = strlen(de->d_name);
		if (sub_ok && plen + 1 + nlen < sizeof(w->path)) {
			w->path[plen] = '/';
			memcpy(w->path + plen + 1, de->d_name, nlen + 1);
		} else {
			sub_ok = false;
		}
		read_cgroup(cfd, &r);
		if (r.state != CG_NONE) {
			ret = add_found(w, st.st_ino, sub_ok, &r);
			if (ret) {
				close(cfd);
				break;
			}
		}
		if (depth + 1 < SLO_LIMITS_MAX_DEPTH)
			ret = walk_dir(w, cfd, sub_ok ? plen + 1 + nlen : plen, sub_ok, depth + 1);
		else
			close(cfd);
		if (sub_ok)
			w->path[plen] = '\0';
		if (ret)
			break;
	}
	closedir(d);
	return ret;
}

static int cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void free_found(struct walk *w)
{
	size_t i;

	for (i = 0; i < w->nr; i++)
		free(w->found[i].path);
	free(w->found);
	w->found = NULL;
	w->nr = w->cap = 0;
}

/* ---- passes ---------------------------------------------------------------- */

void slo_limits_init(struct slo_limits *l, const char *mount,
		     const struct slo_limits_ops *ops)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->mount, sizeof(l->mount), "%s", mount);
	l->ops = *ops;
}

static int push(struct slo_limit_entry **arr, size_t *nr, size_t *cap,
		const struct slo_limit_entry *e)
{
	if (*nr == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		void *grown = realloc(*arr, ncap * sizeof(**arr));

		if (!grown)
			return -ENOMEM;
		*arr = grown;
		*cap = ncap;
	}
	(*arr)[(*nr)++] = *e;
	return 0;
}

static void report_walk_error(struct slo_limits *l, int err)
{
	if (err == l->walk_err)
		return;
	l->walk_err = err;
	if (err)
		l->ops.log(l->ops.ctx, "cannot walk %s for cpu.max: %s; the CPU limits "
			   "in force stay until it works again", l->mount, strerror(-err));
	else
		l->ops.log(l->ops.ctx, "walking %s for cpu.max works again", l->mount);
}

int slo_limits_sync(struct slo_limits *l)
{
	struct slo_limit_entry *out = NULL;
	size_t nr_out = 0, cap_out = 0, i = 0, j = 0;
	struct walk w = {};
	struct stat st;
	int dfd, ret, changes = 0;

	dfd = open(l->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st)) {
		ret = -errno;
		if (dfd >= 0)
			close(dfd);
		report_walk_error(l, ret);
		return ret;
	}
	w.dev = st.st_dev;
	w.path[0] = '\0';
	ret = walk_dir(&w, dfd, 0, true, 0);
	if (!ret && w.nr + l->nr) {
		out = calloc(w.nr + l->nr, sizeof(*out));
		if (!out)
			ret = -ENOMEM;
		cap_out = w.nr + l->nr;
	}
	if (ret) {
		free_found(&w);
		report_walk_error(l, ret);
		return ret;
	}
	report_walk_error(l, 0);
	qsort(w.found, w.nr, sizeof(*w.found), cmp_found);

	/* merge: both sorted by id */
	while (i < l->nr || j < w.nr) {
		struct slo_limit_entry *e, fresh = {};
		static const struct cg_read none = { .state = CG_NONE };
		const struct cg_read *r;

		if (j < w.nr && j > 0 && w.found[j].id == w.found[j - 1].id) {
			j++;		/* seen twice (a bind mount): once is enough */
			continue;
		}
		if (j >= w.nr || (i < l->nr && l->entries[i].id < w.found[j].id)) {
			/* not found: gone, or no longer limited */
			e = &l->entries[i++];
			r = &none;
		} else if (i >= l->nr || w.found[j].id < l->entries[i].id) {
			fresh.id = w.found[j].id;
			fresh.path = w.found[j].path;
			w.found[j].path = NULL;
			e = &fresh;
			r = &w.found[j++].r;
		} else {
			e = &l->entries[i++];
			if (w.found[j].path && (!e->path || strcmp(e->path, w.found[j].path))) {
				/* renamed (cgroups can be): keep the name current */
				free(e->path);
				e->path = w.found[j].path;
				w.found[j].path = NULL;
			}
			r = &w.found[j++].r;
		}
		if (settle(l, e, r, &changes))
			push(&out, &nr_out, &cap_out, e);	/* room for all */
		else
			free(e->path);
	}
	free(l->entries);
	l->entries = out;
	l->nr = nr_out;
	l->cap = cap_out;
	free_found(&w);
	return changes;
}

int slo_limits_recheck(struct slo_limits *l)
{
	size_t i, kept = 0;
	int changes = 0;

	for (i = 0; i < l->nr; i++) {
		struct slo_limit_entry *e = &l->entries[i];
		char full[PATH_MAX];
		struct cg_read r = { .state = CG_NONE };
		struct stat st;
		int dfd;

		if (!e->path || (size_t)snprintf(full, sizeof(full), "%s%s", l->mount,
						 e->path) >= sizeof(full)) {
			l->entries[kept++] = *e;	/* the walk looks after it */
			continue;
		}
		dfd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) {
			if (errno != ENOENT && errno != ENOTDIR && errno != ENODEV)
				set_bad(&r, "its directory", NULL, errno);
		} else {
			/* another cgroup of that name is the walk's business */
			if (!fstat(dfd, &st) && (uint64_t)st.st_ino == e->id)
				read_cgroup(dfd, &r);
			close(dfd);
		}
		if (settle(l, e, &r, &changes))
			l->entries[kept++] = *e;
		else
			free(e->path);
	}
	l->nr = kept;
	return changes;
}

size_t slo_limits_nr_active(const struct slo_limits *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->nr; i++)
		n += l->entries[i].in_map;
	return n;
}

void slo_limits_free(struct slo_limits *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		free(l->entries[i].path);
	free(l->entries);
	l->entries = NULL;
	l->nr = l->cap = 0;
}
