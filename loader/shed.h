/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_SHED_H
#define __SLO_SHED_H

/*
 * The shed signal behind /v1/admission and /v1/pressure: per cgroup, the
 * probability with which a front proxy should turn a request away before
 * it reaches the pods, computed from what the scheduler measures.
 *
 * The loader feeds cumulative per-cgroup counters once per interval
 * (slo_shed_update()); the HTTP thread asks for one cgroup by path
 * (slo_shed_lookup()), which is a binary search under a briefly held lock
 * over an immutable table the update swaps in.  Pure C: no BPF, no I/O.
 *
 * The rule, per cgroup and interval (README: "Load shedding"):
 *  - measure the interval's miss ratio (runs that started later than their
 *    budget: the queueing delay before service against the budget) and
 *    its p99 queueing delay; smooth the ratio and predict one interval
 *    ahead from its trend (Holt's level + trend);
 *  - overloaded: the prediction exceeds the target miss ratio, the
 *    interval's own ratio exceeds half of it, AND the scheduler cannot
 *    fix it itself (the CPUs it may run on, its cpuset, are busy, or the
 *    cgroup was throttled by its cpu.max) AND this held for `sustain`
 *    intervals in a row (CoDel: act on a standing queue, not a burst),
 *    and again for `sustain` intervals after each cut (the backlog drains
 *    only after the cut: a cut must show before the next);
 *  - calm: the prediction is below half the target (hysteresis);
 *    in between the probability holds;
 *  - the admitted fraction (1 - p) falls multiplicatively when overloaded,
 *    by more the further over the target (Breakwater, DAGOR), and rises
 *    additively (by `increase` a second) when calm: shedding starts fast
 *    and ends slowly;
 *  - the probability never exceeds max_probability, so some requests keep
 *    reaching the pods and the measurement that ends shedding goes on;
 *  - fail open: a cgroup not in the table, or a table older than
 *    stale_after_s (the loader stopped feeding it), admits.
 *
 * The miss ratio above is the larger of two: runs that started late, and
 * bursts (wakeup to sleep) that waited longer than the budget in all.  A
 * thread-per-request service past its capacity shares its CPUs among ever
 * more requests: each run starts soon after it is woken, so few runs are
 * late, but each request waits many times behind the others and ends far
 * over its budget.  The bursts see that; the start delays do not.  Late
 * bursts count only while more than one is in flight on average: a lone
 * request waits for other work, not for its own kind, and turning
 * requests away does not remove that.
 *
 * Alongside the probability, a concurrency limit per cgroup: how many
 * bursts may be in flight (for such a service, requests), for a proxy
 * that can queue or refuse what is over it (HAProxy's server maxconn).
 * Little's law sizes it: at throughput X, N requests in flight each spend
 * N / X in the service, N / X - c of it waiting (c: the mean run time),
 * so N = X * (c + B) is the most that share the CPUs without waiting
 * longer than the budget B.  It is AIMD on that: overloaded (late bursts
 * over the target, the same CPU and sustain tests as above), the limit
 * drops to the smaller of Little's N and one less than before, but never
 * below the CPUs the cgroup keeps busy (X * c, at least 1: fewer do not
 * share) and not while the limit does not bind (fewer than half of it in
 * flight: then concurrency is not why requests wait); calm, it grows by
 * one an interval and is lifted (0: no limit) once it is over twice the
 * bursts in flight plus 2, where it no longer binds.  Bursts are judged over windows of at least min_runs of
 * them (at most SLO_SHED_BURST_WINDOW_S long), not per interval, so a
 * service of a few dozen requests a second gets a limit too.  A limit caps only while overloaded, and queueing at the
 * proxy is cheaper than the processor sharing it replaces: requests over
 * the limit wait in a FIFO and leave it in order, instead of all slowing
 * down together.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scx_slo.h"

struct slo_shed_params {
	double target_miss_ratio;	/* shed above this predicted ratio: 0.01 */
	double interval_s;		/* how often updates come: 1 */
	double stale_after_s;		/* older signal admits: 3 intervals, >= 2 s */
	unsigned int min_runs;		/* fewer runs in an interval: no evidence */
	unsigned int sustain;		/* overloaded intervals before shedding */
	double busy_threshold;		/* node CPU busy fraction that counts as saturated */
	double max_decrease;		/* largest cut of the admitted fraction per interval */
	double increase;		/* admitted fraction added per calm second */
	double max_probability;		/* never shed more than this */
};

#define SLO_SHED_TARGET_DEFAULT		0.01
#define SLO_SHED_STALE_MIN_S		2.0
#define SLO_SHED_MIN_RUNS		20
#define SLO_SHED_SUSTAIN		2
#define SLO_SHED_BUSY_THRESHOLD		0.90
#define SLO_SHED_MAX_DECREASE		0.5
#define SLO_SHED_INCREASE		0.05
#define SLO_SHED_MAX_PROBABILITY	0.95
#define SLO_SHED_RETRY_AFTER_MAX_S	10
#define SLO_SHED_BURST_WINDOW_S		4.0	/* longest window for min_runs bursts */

/* Defaults for everything, with @target_miss_ratio and @interval_s. */
void slo_shed_params_default(struct slo_shed_params *p, double target_miss_ratio,
			     double interval_s);

/*
 * Parse a target miss ratio: "1%", "0.5%" or a fraction "0.01"; it must be
 * above 0 and at most 50%.  0, or -1 with *why set.
 */
int slo_shed_parse_target(const char *s, double *out, const char **why);

/* One cgroup's cumulative counters, as the scheduler keeps them. */
struct slo_shed_sample {
	const char *path;		/* normalised cgroup path, e.g. "/a/b" */
	uint64_t budget_ns;
	uint64_t runs;
	uint64_t misses;
	uint64_t delay_hist[SLO_DELAY_BUCKETS];	/* bucket k: [2^(k-1), 2^k) us */
	uint64_t nr_throttled;		/* cpu.max periods throttled so far */
	uint64_t bursts;		/* wakeup-to-sleep bursts, ended so far */
	uint64_t burst_ns;		/* their total time */
	uint64_t burst_wait_ns;		/* their total time runnable, not running */
	uint64_t late_bursts;		/* those that waited longer than budget_ns */
};

struct slo_shed;

struct slo_shed *slo_shed_new(const struct slo_shed_params *p);
void slo_shed_free(struct slo_shed *s);

/*
 * One interval's samples at monotonic time @now (seconds).  @node_busy is
 * the fraction of the node's CPU time spent busy since the last update
 * (0..1), or negative when unknown (then only cpu.max throttling and the
 * misses themselves count).  Cgroups missing from @samples drop out of
 * the table (unknown: admit).  0, or -ENOMEM with the old table kept.
 */
int slo_shed_update(struct slo_shed *s, double now, const struct slo_shed_sample *samples,
		    size_t n, double node_busy);

/*
 * How busy the CPUs a cgroup may run on were over the last interval
 * (0..1), negative when unknown: then @node_busy stands in.  A pod pinned
 * to 4 CPUs of 64 (a cpuset, the kubelet's static CPU manager) is
 * saturated when those 4 are, however idle the rest of the node, and
 * idle CPUs it may not use cannot run its queue.  Asked during an update
 * only for a cgroup that would otherwise count as overloaded.  Not set:
 * the node's fraction for every cgroup.
 */
typedef double (*slo_shed_busy_fn)(void *ctx, const char *path);
void slo_shed_set_cgroup_busy(struct slo_shed *s, slo_shed_busy_fn fn, void *ctx);

/* What the endpoints answer about one cgroup. */
struct slo_shed_answer {
	bool known;			/* in the table */
	bool stale;			/* the table is older than stale_after_s */
	double probability;		/* in force: 0 when unknown or stale */
	double age_s;			/* since the last update */
	double ttl_s;			/* until the signal turns stale */
	const char *reason;		/* "ok", "misses", "queueing", "recovering",
					 * "stale", "unknown" */
	double miss_ratio;		/* the last interval's */
	double delay_p99_s;		/* the last interval's, a bucket's upper edge */
	double budget_s;
	unsigned int retry_after_s;	/* for a shed answer: 1..SLO_SHED_RETRY_AFTER_MAX_S */
	double late_burst_ratio;	/* the last burst window's */
	double in_flight;		/* mean bursts in flight, the last window */
	unsigned int concurrency_limit;	/* in force; 0: none (also when unknown or stale) */
};

/* Thread-safe.  @path must be normalised.  Fills @a in every case. */
void slo_shed_lookup(struct slo_shed *s, const char *path, double now, struct slo_shed_answer *a);

/*
 * Whether to shed one request under @a: with @key (may be NULL), the same
 * key always gets the same decision at a given probability (a hash of it
 * against the probability); without one, a random draw.
 */
bool slo_shed_decide(const struct slo_shed_answer *a, const char *key);

/*
 * Busy CPU fractions between two reads of /proc/stat (@path outside
 * tests): the node's from its "cpu" line and each CPU's from its "cpuN"
 * line.  Zero the struct before the first read.  slo_cpu_busy_read()
 * returns the node's fraction, or -1 on the first call or when the file
 * cannot be read (then every fraction is unknown, -1).
 */
struct slo_cpu_times {
	uint64_t busy, total;
};
struct slo_cpu_busy {
	struct slo_cpu_times node;
	double node_frac;
	int nr;				/* entries below: highest CPU id + 1 */
	struct slo_cpu_times *cpu;	/* the last read, per CPU id */
	double *frac;			/* the last interval, per CPU id; -1 unknown */
};
double slo_cpu_busy_read(const char *path, struct slo_cpu_busy *b);
void slo_cpu_busy_free(struct slo_cpu_busy *b);

/*
 * The mean busy fraction of the CPUs in @cpulist, a kernel CPU list
 * ("0-3,8,10-11", as cpuset.cpus.effective prints it), over those with a
 * known fraction; -1 when the list is malformed or none is known.
 */
double slo_cpu_busy_of(const struct slo_cpu_busy *b, const char *cpulist);

#endif /* __SLO_SHED_H */
