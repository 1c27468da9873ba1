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

/* The limited cgroups a walk found, collected by its visitor. */
struct slo_limits_found {
	uint64_t id;
	char *path;
	struct cg_read r;
};

static int visit_cgroup(void *ctx, int dfd, uint64_t id, const char *path)
{
	struct slo_limits *l = ctx;
	struct slo_limits_found *f;
	struct cg_read r;

	read_cgroup(dfd, &r);
	if (r.state == CG_NONE)
		return 0;
	if (l->nr_found == l->found_cap) {
		size_t cap = l->found_cap ? l->found_cap * 2 : 64;
		void *grown = realloc(l->found, cap * sizeof(*l->found));

		if (!grown)
			return -ENOMEM;
		l->found = grown;
		l->found_cap = cap;
	}
	f = &l->found[l->nr_found];
	f->id = id;
	f->r = r;
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	l->nr_found++;
	return 0;
}

static int cmp_found(const void *a, const void *b)
{
	const struct slo_limits_found *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void free_found(struct slo_limits *l)
{
	size_t i;

	for (i = 0; i < l->nr_found; i++)
		free(l->found[i].path);
	free(l->found);
	l->found = NULL;
	l->nr_found = l->found_cap = 0;
}

/* ---- passes ---------------------------------------------------------------- */

void slo_limits_init(struct slo_limits *l, const char *mount,
		     const struct slo_limits_ops *ops)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->mount, sizeof(l->mount), "%s", mount);
	l->ops = *ops;
	l->walk.visit = visit_cgroup;
	l->walk.visit_ctx = l;
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
	int ret, changes = 0;

	if (!slo_cgroup_walk_busy(&l->walk)) {
		/* no paths wanted from the walk itself: the visitor keeps its own */
		uint64_t *none = calloc(1, sizeof(*none));

		free_found(l);
		ret = none ? slo_cgroup_walk_begin(&l->walk, l->mount, none, 0) : -ENOMEM;
		if (ret) {
			report_walk_error(l, ret);
			return ret;
		}
	}
	ret = slo_cgroup_walk_step(&l->walk, SLO_CGROUP_WALK_PER_PASS, SLO_CGROUP_WALK_PASS_NS);
	if (ret == 0) {
		/* more to walk at the next pass: meanwhile the known limits still follow their files */
		return slo_limits_recheck(l);
	}
	if (ret == 1 && l->nr_found + l->nr) {
		cap_out = l->nr_found + l->nr;
		out = calloc(cap_out, sizeof(*out));
		ret = out ? 1 : -ENOMEM;
	}
	slo_cgroup_walk_end(&l->walk);
	if (ret < 0) {
		free_found(l);
		report_walk_error(l, ret);
		return ret;
	}
	report_walk_error(l, 0);
	if (l->nr_found)
		qsort(l->found, l->nr_found, sizeof(*l->found), cmp_found);

	/* merge: both sorted by id */
	while (i < l->nr || j < l->nr_found) {
		struct slo_limit_entry *e, fresh = {};
		static const struct cg_read none = { .state = CG_NONE };
		const struct cg_read *r;

		if (j < l->nr_found && j > 0 && l->found[j].id == l->found[j - 1].id) {
			j++;		/* seen twice (a bind mount): once is enough */
			continue;
		}
		if (j >= l->nr_found || (i < l->nr && l->entries[i].id < l->found[j].id)) {
			/* not found: gone, or no longer limited */
			e = &l->entries[i++];
			r = &none;
		} else if (i >= l->nr || l->found[j].id < l->entries[i].id) {
			fresh.id = l->found[j].id;
			fresh.path = l->found[j].path;
			l->found[j].path = NULL;
			e = &fresh;
			r = &l->found[j++].r;
		} else {
			e = &l->entries[i++];
			if (l->found[j].path && (!e->path || strcmp(e->path, l->found[j].path))) {
				/* renamed (cgroups can be): keep the name current */
				free(e->path);
				e->path = l->found[j].path;
				l->found[j].path = NULL;
			}
			r = &l->found[j++].r;
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
	free_found(l);
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
	slo_cgroup_walk_end(&l->walk);
	free_found(l);
}
