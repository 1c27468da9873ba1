// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup.h"

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

/* nftw() has no user pointer: the walk in progress. */
static struct slo_cgroup_table *walk_table;
static size_t walk_cap, walk_mount_len;
static int walk_err;

static int walk_one(const char *fpath, const struct stat *st, int type,
		    struct FTW *ftw)
{
	struct slo_cgroup_entry *e;
	const char *rel;

	if (type != FTW_D)
		return 0;
	if (walk_table->nr == walk_cap) {
		size_t cap = walk_cap ? walk_cap * 2 : 64;
		void *grown = realloc(walk_table->entries, cap * sizeof(*e));

		if (!grown) {
			walk_err = -ENOMEM;
			return 1;
		}
		walk_table->entries = grown;
		walk_cap = cap;
	}
	rel = fpath + walk_mount_len;
	e = &walk_table->entries[walk_table->nr];
	e->id = st->st_ino;
	e->path = strdup(*rel ? rel : "/");
	if (!e->path) {
		walk_err = -ENOMEM;
		return 1;
	}
	walk_table->nr++;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct slo_cgroup_entry *ea = a, *eb = b;

	return ea->id < eb->id ? -1 : ea->id > eb->id;
}

int slo_cgroup_table_build(const char *mount, struct slo_cgroup_table *table)
{
	table->entries = NULL;
	table->nr = 0;
	walk_table = table;
	walk_cap = 0;
	walk_err = 0;
	walk_mount_len = strlen(mount);
	/* cgroupfs has no symlinks; stay on it */
	if (nftw(mount, walk_one, 16, FTW_PHYS | FTW_MOUNT) < 0 && !walk_err)
		walk_err = -errno;
	walk_table = NULL;
	if (walk_err) {
		slo_cgroup_table_free(table);
		return walk_err;
	}
	qsort(table->entries, table->nr, sizeof(*table->entries), cmp_entry);
	return 0;
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
