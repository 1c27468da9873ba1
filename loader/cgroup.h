/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_CGROUP_H
#define __SLO_CGROUP_H

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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

/* Every cgroup, in one go: for one-shot commands, not for a periodic pass. */
int slo_cgroup_table_build(const char *mount, struct slo_cgroup_table *table);
const char *slo_cgroup_table_path(const struct slo_cgroup_table *table, uint64_t id);
void slo_cgroup_table_free(struct slo_cgroup_table *table);

/*
 * Open @de, an entry of cgroup directory @dir, as a child cgroup without
 * following symlinks; one on another device than @dev is something mounted
 * over a cgroup, not cgroupfs.  1 with *fd and *st set, 0 for an entry that
 * is no child cgroup (dots, files, removed meanwhile, another mount), or
 * -errno.
 */
struct stat;
int slo_cgroup_open_child(DIR *dir, const struct dirent *de, dev_t dev,
			  int *fd, struct stat *st);

/*
 * A walk of the hierarchy that a periodic pass can afford whatever a user
 * with a delegated subtree creates: it visits at most a given number of
 * cgroups per step and goes on from there at the next step (the open
 * directories are kept), holds at most SLO_CGROUP_WALK_MAX_DEPTH of them,
 * and records the path of the wanted cgroups only, so that its memory is
 * bounded by what the caller asks for, not by the size of the hierarchy.
 *
 * A cgroup whose path (relative to the mount) does not fit in PATH_MAX
 * bytes, or that is deeper than SLO_CGROUP_WALK_MAX_DEPTH, is not entered:
 * it and its descendants are counted (too_long, too_deep) and have no
 * path.  A path is never truncated (a truncated path could be another
 * cgroup's).
 */
#define SLO_CGROUP_WALK_MAX_DEPTH	64
/*
 * What a pass spends on the walk, whichever comes first: cgroups visited
 * (a node has a few thousand) and time (each cgroupfs directory holds
 * dozens of files to read past; a slow or loaded machine gets through
 * fewer).  The rest waits for the next pass.
 */
#define SLO_CGROUP_WALK_PER_PASS	4096
#define SLO_CGROUP_WALK_PASS_NS		(50 * 1000 * 1000ULL)

struct slo_cgroup_walk_level {
	DIR *dir;
	size_t plen;		/* its path's length in path[] */
};

struct slo_cgroup_walk {
	char mount[PATH_MAX];
	dev_t dev;
	struct slo_cgroup_walk_level stack[SLO_CGROUP_WALK_MAX_DEPTH];
	int depth;		/* open levels; 0 when no walk is in progress */
	char path[PATH_MAX];	/* relative path of the deepest open level */
	uint64_t *want;		/* sorted; NULL: every cgroup */
	size_t nr_want;
	/*
	 * Called for each cgroup entered below the root with its directory
	 * open (@dfd: the walk closes it) and its path; an error ends the
	 * walk with it.  NULL: none.  Kept across walks.
	 */
	int (*visit)(void *ctx, int dfd, uint64_t id, const char *path);
	void *visit_ctx;
	struct slo_cgroup_table found;	/* wanted cgroups seen so far, by id when done */
	size_t found_cap;
	size_t visited, too_long, too_deep;	/* this walk's */
};

/*
 * Start a walk of the hierarchy at @mount that records the paths of the
 * @nr_want cgroups in @want (taken over, freed by the walk; NULL: all).
 * A walk in progress is abandoned.  0 or -errno.
 */
int slo_cgroup_walk_begin(struct slo_cgroup_walk *w, const char *mount,
			  uint64_t *want, size_t nr_want);

/*
 * Visit up to @budget more cgroups for at most about @max_ns (0: no
 * limit to either).  1 when the walk is complete (w->found sorted by id:
 * take it with slo_cgroup_walk_take()), 0 when there is more to visit,
 * -errno when it failed (and was ended).
 */
int slo_cgroup_walk_step(struct slo_cgroup_walk *w, size_t budget, uint64_t max_ns);

/* Move a complete walk's table into @table (emptied first). */
void slo_cgroup_walk_take(struct slo_cgroup_walk *w, struct slo_cgroup_table *table);

static inline bool slo_cgroup_walk_busy(const struct slo_cgroup_walk *w)
{
	return w->depth > 0;
}

/* End the walk in progress, if any, and free what it holds. */
void slo_cgroup_walk_end(struct slo_cgroup_walk *w);

#endif /* __SLO_CGROUP_H */
