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
	struct slo_cgroup_stats stats;
	/* cpu.max: whether BPF has bandwidth state for it (it had a limit
	 * while running), and that state's counters */
	bool has_bw;
	uint64_t throttled_ns;		/* total time spent throttled */
	uint64_t nr_throttled;		/* periods in which it was throttled */
	double shed_probability;	/* the admission signal's, 0..1 (shed.h) */
	unsigned int concurrency_limit;	/* the signal's; 0: none (shed.h) */
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

/* The SLO configuration: how its last load or reload went. */
struct slo_metrics_config {
	bool last_ok;			/* the last one applied (or changed nothing) */
	double last_s;			/* Unix time of the last one, good or bad */
	double last_ok_s;		/* Unix time of the last good one */
	uint64_t reloads_ok;		/* reloads after the start, by outcome */
	uint64_t reloads_error;
	uint64_t entries;		/* SLO entries of the configuration in force */
};

/*
 * The loader's walk of the cgroup hierarchy, which names the cgroups and
 * finds removed ones: it visits a bounded number of cgroups per pass and
 * goes on at the next, so a large hierarchy takes several passes.
 */
struct slo_metrics_walk {
	bool valid;			/* a walk completed */
	double pass_seconds;		/* the last pass's share of it */
	uint64_t cgroups;		/* cgroups the last complete walk visited */
	uint32_t passes;		/* passes it took */
	uint64_t too_long;		/* not entered: path longer than PATH_MAX */
	uint64_t too_deep;		/* not entered: too deep */
};

struct slo_metrics_snapshot {
	const char *version;		/* scx_slo version */
	const char *kernel;		/* uname -r */
	uint32_t nr_cpus;		/* online CPUs scheduled */
	uint32_t nr_domains;
	uint32_t nr_nodes;
	bool single_dsq;
	const char *cpu_limits;		/* who feeds BPF cpu.max: "kernel" or "loader" */
	uint64_t global[SLO_NR_STATS];	/* enum slo_stat_idx, summed */
	const struct slo_metrics_domain *domains;
	size_t nr_domains_listed;
	const struct slo_metrics_cgroup *cgroups;
	size_t nr_cgroups;
	const struct slo_metrics_exit *exits;
	size_t nr_exits;
	const struct slo_metrics_config *config;	/* NULL: no config families */
	struct slo_metrics_walk walk;
};

/*
 * Prometheus text exposition (format 0.0.4) of a snapshot.
 *
 * Families (all names prefixed scx_slo_, durations in seconds):
 *   scx_slo_info{version,kernel,single_dsq,cpu_limits} 1, scx_slo_cpus,
 *   scx_slo_domains, scx_slo_nodes, scx_slo_cgroups_tracked (gauges);
 *   scx_slo_runs_total, scx_slo_deadline_misses_total,
 *   scx_slo_kthread_local_dispatches_total, scx_slo_affinity_fixups_total,
 *   scx_slo_cgroup_stats_full_total, ..., scx_slo_throttles_total,
 *   scx_slo_bw_overrides_total (one per enum slo_stat_idx);
 *   scx_slo_exits_total{kind};
 *   with a config: scx_slo_config_last_reload_successful (0/1),
 *   scx_slo_config_last_reload_timestamp_seconds,
 *   scx_slo_config_last_reload_success_timestamp_seconds,
 *   scx_slo_config_entries (gauges), scx_slo_config_reloads_total{result="ok|error"};
 *   scx_slo_cgroup_walk_pass_seconds, scx_slo_cgroup_walk_cgroups,
 *   scx_slo_cgroup_walk_passes, scx_slo_cgroup_walk_skipped{reason}
 *   (gauges, once a walk completed);
 *   per domain {domain,node}: scx_slo_domain_cpus, scx_slo_domain_queue_depth
 *   (gauges), scx_slo_domain_enqueues_total,
 *   scx_slo_domain_dispatches_total{kind="direct|local"},
 *   scx_slo_domain_steals_total{scope="same_node|other_node"},
 *   scx_slo_domain_steals_not_at_risk_total, scx_slo_domain_preempt_kicks_total,
 *   scx_slo_domain_idle_kicks_total;
 *   per cgroup {cgroup} (a path escaped as slo_escape() does, so only
 *   printable ASCII; the exposition format's escapes on top): scx_slo_cgroup_runs_total,
 *   scx_slo_cgroup_deadline_misses_total, scx_slo_cgroup_lateness_seconds_total,
 *   scx_slo_cgroup_scheduling_delay_seconds (histogram),
 *   scx_slo_cgroup_budget_seconds (gauge; not for cgroup="other"),
 *   scx_slo_cgroup_shed_probability and scx_slo_cgroup_concurrency_limit
 *   (gauges; not for cgroup="other"), scx_slo_cgroup_bursts_total,
 *   scx_slo_cgroup_late_bursts_total, scx_slo_cgroup_burst_seconds_total,
 *   scx_slo_cgroup_burst_wait_seconds_total,
 *   scx_slo_cgroup_throttled_seconds_total and
 *   scx_slo_cgroup_throttled_periods_total (only for cgroups with has_bw;
 *   cgroup="other" has them when one of the cgroups summed into it has).
 *
 * Histogram buckets: the BPF log2 buckets end at exact powers of two of a
 * microsecond (bucket k holds [2^(k-1), 2^k) us), so le is 2^k us for
 * k = SLO_METRICS_LE_MIN_LOG2 .. SLO_METRICS_LE_MAX_LOG2, i.e. 16us, 32us, ...
 * 1.048576s, plus +Inf.  A bucket's count is exact for delays below its
 * edge (a delay of exactly 2^k us is counted from the next edge on).  _sum is
 * delay_ns, _count and +Inf are runs (cumulative counts are clamped to runs,
 * so a snapshot torn between per-CPU reads stays a valid histogram).
 *
 * Cardinality: at most @max_cgroups cgroups get their own series, chosen by
 * deadline misses, then runs (both descending), then path; every other
 * cgroup (and any whose path is NULL or the literal "other") is summed into
 * cgroup="other", which has no budget gauge.  Entries with the same path are merged.  Series are
 * ordered by domain id, cgroup path (then "other" last), exit kind, so the
 * output depends only on the snapshot's contents, not on its order.  Label
 * values are escaped (\\, \", \n) and invalid UTF-8 is replaced by U+FFFD.
 *
 * On success *buf is a malloc'd NUL-terminated text of *len bytes (the caller
 * frees it, or hands it to slo_http_set_metrics()) and 0 is returned; on
 * failure a negative errno (-EINVAL, -ENOMEM) and *buf is untouched.
 */
#define SLO_METRICS_LE_MIN_LOG2		4	/* 16us */
#define SLO_METRICS_LE_MAX_LOG2		20	/* 1.048576s */

int slo_metrics_render(const struct slo_metrics_snapshot *s, size_t max_cgroups,
		       char **buf, size_t *len);

#endif /* __SLO_METRICS_H */
