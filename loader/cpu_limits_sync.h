/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_CPU_LIMITS_SYNC_H
#define __SLO_CPU_LIMITS_SYNC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"
#include "scx_slo.h"

/*
 * Keeping slo_cgroup_limits in step with cgroupfs, for kernels whose
 * sched_ext cannot tell BPF about cpu.max (no ops.cgroup_set_bandwidth,
 * before 6.17).  The map itself is reached through @ops, so that this
 * part needs no libbpf and can be tested on a directory tree.
 *
 * The loader keeps its own copy of what the map holds (sorted by cgroup
 * id), so a pass writes the map only where something changed.  Two passes:
 *
 * - slo_limits_sync(): walk the hierarchy (readdir, directories only, one
 *   openat of cpu.max per cgroup, and of cpu.max.burst under a quota), at
 *   most SLO_CGROUP_WALK_PER_PASS cgroups and SLO_CGROUP_WALK_PASS_NS a
 *   call, so that a user who makes 100,000 cgroups in a delegated subtree
 *   spreads the walk over passes instead of stalling the loader's loop.
 *   Once a walk is complete, limits are added or updated, and removed from
 *   cgroups that are gone or unlimited; until then the known limits are
 *   re-read as slo_limits_recheck() does.  O(cgroups) in all.  A cgroup
 *   whose path is longer than PATH_MAX or deeper than
 *   SLO_CGROUP_WALK_MAX_DEPTH is not entered (its own cpu.max is not
 *   followed; BPF still charges its tasks to the limited ancestors).
 * - slo_limits_recheck(): read again only the cgroups that have a limit
 *   (or whose files were unreadable), so that a limit raised, lowered or
 *   removed takes effect quickly.  O(limited cgroups).
 *
 * cgroupfs gives no cheaper way to tell that cpu.max changed (kernfs does
 * not update a file's mtime on write), so each pass reads the files; the
 * map is only written on a difference.
 *
 * A cgroup whose files cannot be read or parsed keeps whatever entry it had
 * and is reported once (through ops->log), until it reads well again.
 */
struct slo_limits_ops {
	/* Put @lim for cgroup @id into the map.  0 or -errno (-E2BIG: full). */
	int (*update)(void *ctx, uint64_t id, const struct slo_cgroup_limit *lim);
	/* Remove cgroup @id's entry; -ENOENT counts as done.  0 or -errno. */
	int (*remove)(void *ctx, uint64_t id);
	void (*log)(void *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	void *ctx;
};

struct slo_limit_entry {
	uint64_t id;			/* cgroup id: its directory's inode */
	char *path;			/* relative to the mount; NULL if too long */
	struct slo_cgroup_limit lim;	/* what the map holds for it */
	bool in_map;
	bool bad;			/* files unreadable: reported, entry kept */
};

struct slo_limits_found;

struct slo_limits {
	char mount[PATH_MAX];		/* the cgroup2 mount */
	struct slo_limits_ops ops;
	struct slo_limit_entry *entries; /* sorted by id */
	size_t nr, cap;
	struct slo_cgroup_walk walk;	/* the hierarchy, a bounded part a pass */
	struct slo_limits_found *found;	/* limited cgroups the walk met so far */
	size_t nr_found, found_cap;
	int walk_err;			/* last walk's error, reported once */
	bool full_reported;		/* the map was full, said once */
};

void slo_limits_init(struct slo_limits *l, const char *mount,
		     const struct slo_limits_ops *ops);

/*
 * Go on walking the hierarchy (a bounded part of it) and, once the walk is
 * complete, bring the map in line.  Returns how many map entries were
 * added, changed or removed (the caller bumps bw_generation when it is not
 * 0), or -errno if the walk failed, in which case nothing is removed (a
 * cgroup the walk did not reach is not known to be gone).  slo_limits_init()
 * must not be followed by a copy of @l: the walk points back at it.
 */
int slo_limits_sync(struct slo_limits *l);

/* Re-read the limited cgroups only.  Map entries changed, or -errno. */
int slo_limits_recheck(struct slo_limits *l);

/* Cgroups whose limit is in the map. */
size_t slo_limits_nr_active(const struct slo_limits *l);

void slo_limits_free(struct slo_limits *l);

#endif /* __SLO_CPU_LIMITS_SYNC_H */
