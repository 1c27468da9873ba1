/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_PUBLISH_H
#define __SLO_PUBLISH_H

#include <stddef.h>

struct scx_slo;
struct slo_topology;

/* --metrics: the HTTP server (NULL without it). */
extern struct slo_http *http;

/* --metrics: the admission signal (NULL without it). */
extern struct slo_shed *shed;

/*
 * One interval of the admission signal, every SLO_SHED_SAMPLE_MS: proxies
 * need to react faster than the once-a-second pass that collects
 * everything, and the per-cgroup counters alone, read in batches, cost
 * little (stats.c).  A failed sample keeps the previous table, which
 * turns stale (SLO_SHED_STALE_MIN_S): admit.
 */
#define SLO_SHED_SAMPLE_MS	250
void sample_shed(struct scx_slo *skel);
/* The busy fraction of a cgroup's own CPUs (shed.h's slo_shed_busy_fn). */
double shed_cgroup_busy(void *ctx, const char *path);
void shed_cpu_busy_free(void);

/* One more detach of @kind, for scx_slo_exits_total. */
void count_exit(int kind);

/* Render the statistics for /metrics; the HTTP thread only sees text. */
void publish_metrics(struct scx_slo *skel, int nr_cpus, const struct slo_topology *topo);

/* --stats: the table, at most @max_cgroups cgroups (0 for all). */
void print_stats(struct scx_slo *skel, int nr_cpus, const char *title,
		 size_t max_cgroups);

/* /metrics while detached on purpose: why we wait, and the exits so far. */
void publish_waiting(const char *reason, unsigned long long attempts);

#endif /* __SLO_PUBLISH_H */
