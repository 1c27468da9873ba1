/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_METRICS_H
#define __SLO_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scx_slo.h"

/*
 * A point-in-time copy of everything /metrics exposes.  The loader's main
 * thread builds one from the BPF maps (per-CPU values already summed) and
 * hands it over; the HTTP side never touches BPF or loader state.
 */
struct slo_metrics_cgroup {
	const char *path;		/* cgroup path relative to the cgroup2 mount */
	uint64_t budget_ns;		/* budget in force for it (own or inherited) */
	struct slo_cgroup_stats stats;	/* summed over CPUs */
};

struct slo_metrics_domain {
	uint32_t id;			/* llc_dsq_id */
	int32_t node;			/* kernel NUMA node id */
	uint32_t nr_cpus;
	uint64_t queue_depth;		/* tasks queued on its DSQ now */
	struct slo_domain_stats stats;	/* summed over CPUs */
};

/* sched_ext exit kinds seen since the loader started (restarts included). */
struct slo_metrics_exit {
	const char *kind;		/* "UNREG", "ERROR_STALL", ... */
	uint64_t count;
};

struct slo_metrics_snapshot {
	const char *version;		/* scx_slo version */
	const char *kernel;		/* uname -r */
	uint32_t nr_cpus;		/* online CPUs scheduled */
	uint32_t nr_domains;
	uint32_t nr_nodes;
	bool single_dsq;
	uint64_t global[SLO_NR_STATS];	/* enum slo_stat_idx, summed */
	const struct slo_metrics_domain *domains;
	size_t nr_domains_listed;
	const struct slo_metrics_cgroup *cgroups;
	size_t nr_cgroups;
	const struct slo_metrics_exit *exits;
	size_t nr_exits;
};

#endif /* __SLO_METRICS_H */
