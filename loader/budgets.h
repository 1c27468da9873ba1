/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_BUDGETS_H
#define __SLO_BUDGETS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "budget_index.h"
#include "budget_resolve.h"
#include "config.h"

/*
 * The budget maps of a loaded scheduler, by fd: the loader's own from the
 * skeleton, or the pinned ones for `scx_slo slo ...`.
 */
struct slo_budget_maps {
	int set_fd[2];		/* slo_budgets_0, slo_budgets_1 */
	int control_fd;		/* slo_control */
};

/* The configuration in force, and which of its cgroups exist. */
struct slo_budgets {
	struct slo_budget_maps maps;
	char mount[PATH_MAX];	/* the cgroup2 mount */
	struct slo_config cfg;
	uint64_t *ids;		/* per entry: cgroup id, 0 while it does not exist */
	/*
	 * flock()ed around every rewrite and publish of a set once the maps
	 * are pinned (the pin directory, slo_pins): `scx_slo slo set` takes it
	 * too, so it never switches BPF to a set being rewritten.  -1: none.
	 */
	int lock_fd;
	struct slo_budget_index index;	/* of cfg */
};

/*
 * Take @cfg (now owned by @b, @cfg left empty) as the configuration in
 * force; nothing reaches BPF until slo_budgets_bind().
 */
void slo_budgets_init(struct slo_budgets *b, const char *mount,
		      struct slo_config *cfg);

/*
 * Point @b at a (newly loaded) scheduler's maps and publish the
 * configuration in force there.  0 or -errno with @err set.
 */
int slo_budgets_bind(struct slo_budgets *b, const struct slo_budget_maps *maps,
		     char *err, size_t errlen);

/*
 * Make @cfg the configuration in force, all at once: its entries go into
 * the inactive budget set, which then becomes the active one.  Entries whose
 * cgroup does not exist yet wait for it (see slo_budgets_rescan()).  On
 * success @cfg is owned by @b and left empty; on failure nothing changed,
 * @cfg is untouched and @err says why.  Returns 0 or -errno.
 */
int slo_budgets_apply(struct slo_budgets *b, struct slo_config *cfg,
		      char *err, size_t errlen);

/*
 * Look at every entry's cgroup again: created ones get their budget,
 * removed ones lose it (a later cgroup never inherits a stale entry).
 * Returns the number of entries that changed (and were re-applied), or
 * -errno.
 */
int slo_budgets_rescan(struct slo_budgets *b);

/*
 * Budget in force for the cgroup at @path: its own SLO, its nearest
 * ancestor's, or the default.  O(depth * log entries).
 */
uint64_t slo_budgets_budget_of(const struct slo_budgets *b, const char *path);

/* Entries of the configuration in force that have a cgroup right now. */
size_t slo_budgets_nr_active(const struct slo_budgets *b);

void slo_budgets_free(struct slo_budgets *b);

/*
 * The budget set BPF reads now, `scx_slo slo set/del` included (malloc'd
 * into *@set, *@nr entries), and the control map's default budget (0: the
 * load-time default).  0 or -errno.
 */
int slo_budgets_read_active(const struct slo_budget_maps *maps, struct slo_set_entry **set,
			    size_t *nr, uint64_t *default_budget_ns);

/* slo_control access, shared with the `slo` subcommand. */
struct slo_control;
int slo_control_read(int control_fd, struct slo_control *ctl);
/*
 * Publish @active_set and @default_budget_ns, then a new generation, in two
 * writes: BPF caches budgets per generation, so the generation must change
 * only once the rest is in place.
 */
int slo_control_publish(int control_fd, uint32_t active_set,
			uint64_t default_budget_ns);

#endif /* __SLO_BUDGETS_H */
