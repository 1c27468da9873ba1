// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "duration.h"

int slo_cgroup_mount(char *buf, size_t len)
{
	struct mntent *ent;
	FILE *mounts;
	int ret = -ENOENT;

	mounts = setmntent("/proc/self/mounts", "r");
	if (!mounts)
		return -errno;
	while ((ent = getmntent(mounts))) {
		if (!strcmp(ent->mnt_type, "cgroup2")) {
			if ((size_t)snprintf(buf, len, "%s", ent->mnt_dir) >= len)
				ret = -ENAMETOOLONG;
			else
				ret = 0;
			break;
		}
	}
	endmntent(mounts);
	return ret;
}

int slo_cgroup_normalize(const char *path, char *out, size_t len, const char **why)
{
	const char *p = path;
	size_t n = 0;

	if (!path || path[0] != '/') {
		*why = "cgroup path must start with '/' (relative to the cgroup2 mount)";
		return -1;
	}
	while (*p) {
		const char *start, *end;
		size_t clen;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != '/')
			p++;
		end = p;
		clen = (size_t)(end - start);
		if ((clen == 1 && start[0] == '.') ||
		    (clen == 2 && start[0] == '.' && start[1] == '.')) {
			*why = "cgroup path must not contain '.' or '..'";
			return -1;
		}
		if (n + 1 + clen + 1 > len) {
			*why = "cgroup path is too long";
			return -1;
		}
		out[n++] = '/';
		memcpy(out + n, start, clen);
		n += clen;
	}
	if (!n) {
		if (len < 2) {
			*why = "cgroup path is too long";
			return -1;
		}
		out[n++] = '/';
	}
	out[n] = '\0';
	return 0;
}

int slo_cgroup_id(const char *mount, const char *path, uint64_t *id)
{
	char full[4096];
	struct stat st;

	if ((size_t)snprintf(full, sizeof(full), "%s%s", mount,
			     strcmp(path, "/") ? path : "") >= sizeof(full))
		return -ENAMETOOLONG;
	if (stat(full, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*id = st.st_ino;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct slo_cgroup_entry *ea = a, *eb = b;

	return ea->id < eb->id ? -1 : ea->id > eb->id;
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool wanted(const struct slo_cgroup_walk *w, uint64_t id)
{
	return !w->want || (w->nr_want &&
			    bsearch(&id, w->want, w->nr_want, sizeof(id), cmp_id));
}

static int record(struct slo_cgroup_walk *w, uint64_t id, const char *path)
{
	struct slo_cgroup_entry *e;

	if (!wanted(w, id))
		return 0;
	if (w->found.nr == w->found_cap) {
		size_t cap = w->found_cap ? w->found_cap * 2 : 64;
		void *grown = realloc(w->found.entries, cap * sizeof(*e));

		if (!grown)
			return -ENOMEM;
		w->found.entries = grown;
		w->found_cap = cap;
	}
	e = &w->found.entries[w->found.nr];
	e->id = id;
	e->path = strdup(path);
	if (!e->path)
		return -ENOMEM;
	w->found.nr++;
	return 0;
}

static void close_levels(struct slo_cgroup_walk *w)
{
	while (w->depth > 0)
		closedir(w->stack[--w->depth].dir);
}

void slo_cgroup_walk_end(struct slo_cgroup_walk *w)
{
	close_levels(w);
	slo_cgroup_table_free(&w->found);
	w->found_cap = 0;
	free(w->want);
	w->want = NULL;
	w->nr_want = 0;
}

int slo_cgroup_open_child(DIR *dir, const struct dirent *de, dev_t dev,
			  int *fd, struct stat *st)
{
	const char *name = de->d_name;
	int cfd;

	if ((de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) ||
	    (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]))))
		return 0;
	cfd = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0) {
		/* removed meanwhile, or not a directory after all */
		if (errno == ENOENT || errno == ENOTDIR || errno == ENODEV || errno == ELOOP)
			return 0;
		return -errno;
	}
	if (fstat(cfd, st)) {
		int err = -errno;

		close(cfd);
		return err;
	}
	if (st->st_dev != dev) {
		/* something mounted over a cgroup: not cgroupfs */
		close(cfd);
		return 0;
	}
	*fd = cfd;
	return 1;
}

int slo_cgroup_walk_begin(struct slo_cgroup_walk *w, const char *mount,
			  uint64_t *want, size_t nr_want)
{
	struct stat st;
	DIR *d;
	int ret;

	slo_cgroup_walk_end(w);
	w->want = want;
	w->nr_want = nr_want;
	if (want)
		qsort(want, nr_want, sizeof(*want), cmp_id);
	w->visited = w->too_long = w->too_deep = 0;
	if ((size_t)snprintf(w->mount, sizeof(w->mount), "%s", mount) >= sizeof(w->mount)) {
		slo_cgroup_walk_end(w);
		return -ENAMETOOLONG;
	}
	d = opendir(mount);
	if (!d || fstat(dirfd(d), &st)) {
		ret = -errno;
		if (d)
			closedir(d);
		slo_cgroup_walk_end(w);
		return ret;
	}
	w->dev = st.st_dev;
	w->stack[0].dir = d;
	w->stack[0].plen = 0;
	w->path[0] = '\0';
	w->depth = 1;
	w->visited = 1;
	ret = record(w, st.st_ino, "/");
	if (ret)
		slo_cgroup_walk_end(w);
	return ret;
}

/* Pop the deepest level: its directory is read to the end. */
static void pop_level(struct slo_cgroup_walk *w)
{
	closedir(w->stack[--w->depth].dir);
	if (w->depth > 0)
		w->path[w->stack[w->depth - 1].plen] = '\0';
}

int slo_cgroup_walk_step(struct slo_cgroup_walk *w, size_t budget, uint64_t max_ns)
{
	uint64_t start = max_ns ? slo_mono_ns() : 0;
	size_t done = 0;
	int ret = 0;

	while (w->depth > 0 && (!budget || done < budget)) {
		/* the clock every 16 cgroups: cheap, and fine-grained enough */
		if (max_ns && done && !(done % 16) && slo_mono_ns() - start >= max_ns)
			break;
		struct slo_cgroup_walk_level *top = &w->stack[w->depth - 1];
		struct dirent *de;
		struct stat st;
		size_t nlen;
		int cfd;
		DIR *sub;

		errno = 0;
		de = readdir(top->dir);
		if (!de) {
			/* a directory removed while read ends early: not an error */
			if (errno && errno != ENOENT && errno != ENODEV) {
				ret = -errno;
				break;
			}
			pop_level(w);
			continue;
		}
		ret = slo_cgroup_open_child(top->dir, de, w->dev, &cfd, &st);
		if (ret <= 0) {
			if (!ret)
				continue;
			break;
		}
		ret = 0;
		done++;
		w->visited++;
		nlen = strlen(de->d_name);
		if (top->plen + 1 + nlen >= sizeof(w->path)) {
			/* it and all below it: no path fits, none is made up */
			w->too_long++;
			close(cfd);
			continue;
		}
		if (w->depth == SLO_CGROUP_WALK_MAX_DEPTH) {
			w->too_deep++;
			close(cfd);
			continue;
		}
		w->path[top->plen] = '/';
		memcpy(w->path + top->plen + 1, de->d_name, nlen + 1);
		ret = record(w, st.st_ino, w->path);
		if (!ret && w->visit)
			ret = w->visit(w->visit_ctx, cfd, st.st_ino, w->path);
		if (ret) {
			close(cfd);
			break;
		}
		sub = fdopendir(cfd);
		if (!sub) {
			ret = -errno;
			close(cfd);
			break;
		}
		w->stack[w->depth].dir = sub;
		w->stack[w->depth].plen = top->plen + 1 + nlen;
		w->depth++;
	}
	if (ret) {
		slo_cgroup_walk_end(w);
		return ret;
	}
	if (w->depth > 0)
		return 0;
	if (w->found.nr)	/* qsort(NULL, 0, ...) is undefined */
		qsort(w->found.entries, w->found.nr, sizeof(*w->found.entries), cmp_entry);
	return 1;
}

void slo_cgroup_walk_take(struct slo_cgroup_walk *w, struct slo_cgroup_table *table)
{
	slo_cgroup_table_free(table);
	*table = w->found;
	memset(&w->found, 0, sizeof(w->found));
	w->found_cap = 0;
}

int slo_cgroup_table_build(const char *mount, struct slo_cgroup_table *table)
{
	struct slo_cgroup_walk w = {};
	int ret;

	table->entries = NULL;
	table->nr = 0;
	ret = slo_cgroup_walk_begin(&w, mount, NULL, 0);
	if (!ret)
		ret = slo_cgroup_walk_step(&w, 0, 0);
	if (ret == 1) {
		slo_cgroup_walk_take(&w, table);
		ret = 0;
	}
	slo_cgroup_walk_end(&w);
	return ret;
}

const char *slo_cgroup_table_path(const struct slo_cgroup_table *table, uint64_t id)
{
	struct slo_cgroup_entry key = { .id = id }, *e;

	if (!table->nr)
		return NULL;
	e = bsearch(&key, table->entries, table->nr, sizeof(key), cmp_entry);
	return e ? e->path : NULL;
}

void slo_cgroup_table_free(struct slo_cgroup_table *table)
{
	size_t i;

	for (i = 0; i < table->nr; i++)
		free(table->entries[i].path);
	free(table->entries);
	table->entries = NULL;
	table->nr = 0;
}
