/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_CGROUP_H
#define __SLO_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/*
 * cgroups are named by path relative to the cgroup2 mount ("/" is the root,
 * "/kubepods/pod1234" a pod).  On cgroup2 a cgroup's id, which the BPF side
 * reads from the task, is the inode number of its directory.
 */

/* Find the cgroup2 mount point (usually /sys/fs/cgroup). 0 or -errno. */
int slo_cgroup_mount(char *buf, size_t len);

/*
 * Normalise @path (collapse "//", strip a trailing "/", require a leading
 * "/") into @out; reject "." and ".." components.  0 or -1 with *why set.
 */
int slo_cgroup_normalize(const char *path, char *out, size_t len, const char **why);

/* The id of the cgroup at @path (normalised) under @mount. 0 or -errno. */
int slo_cgroup_id(const char *mount, const char *path, uint64_t *id);

/* An id -> path table, made by walking the hierarchy once. */
struct slo_cgroup_entry {
	uint64_t id;
	char *path;
};

struct slo_cgroup_table {
	struct slo_cgroup_entry *entries;	/* sorted by id */
	size_t nr;
};

int slo_cgroup_table_build(const char *mount, struct slo_cgroup_table *table);
const char *slo_cgroup_table_path(const struct slo_cgroup_table *table, uint64_t id);
void slo_cgroup_table_free(struct slo_cgroup_table *table);

#endif /* __SLO_CGROUP_H */
