/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_STATS_H
#define __SLO_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "metrics.h"

struct scx_slo;

/*
 * The scheduler's counters, per-CPU values summed: what --stats prints and
 * what /metrics is rendered from.  Owns its arrays and cgroup paths.
 */
struct slo_stats {
	uint64_t global[SLO_NR_STATS];
	struct slo_metrics_domain *domains;
	uint32_t nr_domains;
	struct slo_metrics_cgroup *cgroups;	/* only cgroups that ran */
	size_t nr_cgroups;
	/* entries of removed cgroups the loader deleted, since it started */
	uint64_t cgroups_freed;
	struct slo_metrics_walk walk;
};

struct slo_budgets;

/*
 * Read the counters.  Each cgroup's budget is the one in force in BPF
 * (budget_resolve.h: @b's configuration as applied, then changed by
 * `scx_slo slo set/del`); @default_budget_ns when the control map holds
 * none.
 */
int slo_stats_collect(struct scx_slo *skel, int nr_cpus, const struct slo_budgets *b,
		      uint64_t default_budget_ns, struct slo_stats *out);

struct slo_shed_sample;
/*
 * The per-cgroup counters alone, for the shed signal between the passes
 * that collect everything: the statistics and cpu.max maps read in
 * batches, named by the last complete walk; cgroups it has not named yet
 * are left out.  A budget is @b's as configured (a `slo set` in between
 * reaches the signal through the misses BPF counts against it).  *out is
 * malloc'd; its paths belong to the walk's table and stay valid until the
 * next slo_stats_collect().  0 or -errno.
 */
int slo_stats_shed_samples(struct scx_slo *skel, const struct slo_budgets *b,
			   struct slo_shed_sample **out, size_t *nr);
/* The cgroups worst first (misses, then mean delay); at most @max_cgroups
 * of them, 0 for all. */
void slo_stats_print(FILE *out, const struct slo_stats *st, const char *title,
		     size_t max_cgroups);
void slo_stats_free(struct slo_stats *st);

#endif /* __SLO_STATS_H */
