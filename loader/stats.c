// SPDX-License-Identifier: GPL-2.0
/* Reading and summing the scheduler's per-CPU statistics maps. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "budget_resolve.h"
#include "budgets.h"
#include "cgroup.h"
#include "duration.h"
#include "escape.h"
#include "scx_slo.h"		/* before the skeleton: it uses the u64 types */
#include "scx_slo.skel.h"
#include "shed.h"
#include "stats.h"

static void sum_global(struct scx_slo *skel, int nr_cpus, uint64_t *totals)
{
	uint64_t *percpu = calloc((size_t)nr_cpus, sizeof(*percpu));
	int fd = bpf_map__fd(skel->maps.slo_stats);
	uint32_t idx;
	int cpu;

	memset(totals, 0, SLO_NR_STATS * sizeof(*totals));
	if (!percpu)
		return;
	for (idx = 0; idx < SLO_NR_STATS; idx++) {
		if (bpf_map_lookup_elem(fd, &idx, percpu))
			continue;
		for (cpu = 0; cpu < nr_cpus; cpu++)
			totals[idx] += percpu[cpu];
	}
	free(percpu);
}

/* Queue depths are not in any map: a syscall program asks the kernel. */
static void read_depths(struct scx_slo *skel)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	bpf_prog_test_run_opts(bpf_program__fd(skel->progs.slo_read_depths), &opts);
}

static int collect_domains(struct scx_slo *skel, int nr_cpus, struct slo_stats *st)
{
	int stats_fd = bpf_map__fd(skel->maps.slo_domain_stats);
	int info_fd = bpf_map__fd(skel->maps.domain_info);
	int depth_fd = bpf_map__fd(skel->maps.domain_depths);
	struct slo_domain_stats *percpu;
	uint32_t dom;

	st->nr_domains = skel->rodata->nr_domains;
	st->domains = calloc(st->nr_domains, sizeof(*st->domains));
	percpu = calloc((size_t)nr_cpus, sizeof(*percpu));
	if (!st->domains || !percpu) {
		free(percpu);
		return -ENOMEM;
	}
	read_depths(skel);
	for (dom = 0; dom < st->nr_domains; dom++) {
		struct slo_metrics_domain *d = &st->domains[dom];
		struct slo_domain_info info = {};
		int cpu;

		d->id = dom;
		if (!bpf_map_lookup_elem(info_fd, &dom, &info)) {
			d->node = info.numa_id;
			d->nr_cpus = info.nr_cpus;
		}
		bpf_map_lookup_elem(depth_fd, &dom, &d->queue_depth);
		if (bpf_map_lookup_elem(stats_fd, &dom, percpu))
			continue;
		for (cpu = 0; cpu < nr_cpus; cpu++) {
			const struct slo_domain_stats *c = &percpu[cpu];

			d->stats.enqueues += c->enqueues;
			d->stats.direct_dispatches += c->direct_dispatches;
			d->stats.local_dispatches += c->local_dispatches;
			d->stats.steals_same_node += c->steals_same_node;
			d->stats.steals_other_node += c->steals_other_node;
			d->stats.steals_not_at_risk += c->steals_not_at_risk;
			d->stats.preempt_kicks += c->preempt_kicks;
			d->stats.idle_kicks += c->idle_kicks;
		}
	}
	free(percpu);
	return 0;
}

/*
 * The per-cgroup entries: one plain value per cgroup that ran a task, so a
 * read costs O(live cgroups).  Keys are read before the hierarchy is
 * walked: cgroup ids are never reused, so an entry whose cgroup is missing
 * from a walk that started after the entry was seen belongs to a removed
 * cgroup, and is deleted (BPF deletes those it is told of, not all).
 *
 * The same holds for the cpu.max state of limited cgroups (slo_cgroup_bw),
 * whose counters each row carries: BPF deletes a removed cgroup's entry in
 * ops.cgroup_exit, which kernels without CONFIG_EXT_GROUP_SCHED lack.
 */
static uint64_t cgroups_freed;

/* Keys of slo_cgroup_bw, read before the walk; NULL if there are none. */
static uint64_t *bw_keys(int fd, size_t *nr)
{
	uint64_t key, next, *keys = NULL;
	size_t cap = 0;
	bool have_key = false;

	*nr = 0;
	while (!bpf_map_get_next_key(fd, have_key ? &key : NULL, &next)) {
		key = next;
		have_key = true;
		if (*nr == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			void *grown = realloc(keys, ncap * sizeof(*keys));

			if (!grown)
				break;	/* the rest waits for the next pass */
			keys = grown;
			cap = ncap;
		}
		keys[(*nr)++] = key;
	}
	return keys;
}

/*
 * The walk that names cgroups and finds removed ones.  It runs over as
 * many passes as the hierarchy needs (SLO_CGROUP_WALK_PER_PASS cgroups
 * each) and records the paths of the cgroups that had an entry when it
 * began; names come from the last complete walk.  An entry whose cgroup a
 * complete walk did not find is deleted: cgroup ids are never reused, so
 * its cgroup was removed (or is beyond PATH_MAX or too deep to be named,
 * and then its statistics start again).
 */
static struct slo_cgroup_walk walk;
static struct slo_cgroup_table names;
static struct slo_metrics_walk walk_done;
static uint32_t walk_passes;
static bool told_multi_pass, told_too_long, told_too_deep;

static double elapsed(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/* Start a walk for the ids of @a, @b and @set; 0 or -errno. */
static int begin_walk(const char *mount, const uint64_t *a, size_t na,
		      const uint64_t *b, size_t nb, const struct slo_set_entry *set,
		      size_t nset)
{
	uint64_t *want = malloc((na + nb + nset ? na + nb + nset : 1) * sizeof(*want));
	size_t i;

	if (!want)
		return -ENOMEM;
	if (na)
		memcpy(want, a, na * sizeof(*a));
	if (nb)
		memcpy(want + na, b, nb * sizeof(*b));
	for (i = 0; i < nset; i++)
		want[na + nb + i] = set[i].id;
	walk_passes = 0;
	return slo_cgroup_walk_begin(&walk, mount, want, na + nb + nset);
}

/* The name of a cgroup the last complete walk found (budget_resolve.h). */
static const char *walked_path(void *ctx, uint64_t id)
{
	return slo_cgroup_table_path(&names, id);
}

static bool was_wanted(uint64_t id)
{
	size_t lo = 0, hi = walk.nr_want;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (walk.want[mid] == id)
			return true;
		if (walk.want[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Said once each, on stderr: what a hostile or huge hierarchy costs. */
static void tell_walk(void)
{
	if (walk_done.passes > 1 && !told_multi_pass) {
		fprintf(stderr, "scx_slo: the walk of the cgroup hierarchy (%llu cgroups) took %u "
			"passes (a pass visits at most %d cgroups in at most %llu ms): new cgroups "
			"are named and removed ones' statistics freed that much later (said once)\n",
			(unsigned long long)walk_done.cgroups, walk_done.passes,
			SLO_CGROUP_WALK_PER_PASS,
			(unsigned long long)(SLO_CGROUP_WALK_PASS_NS / 1000000));
		told_multi_pass = true;
	}
	if (walk_done.too_long && !told_too_long) {
		fprintf(stderr, "scx_slo: %llu cgroup(s) not entered: path longer than PATH_MAX; "
			"they and their descendants have no name and no statistics kept (said once)\n",
			(unsigned long long)walk_done.too_long);
		told_too_long = true;
	}
	if (walk_done.too_deep && !told_too_deep) {
		fprintf(stderr, "scx_slo: %llu cgroup(s) not entered: more than %d levels deep; "
			"they and their descendants have no name and no statistics kept (said once)\n",
			(unsigned long long)walk_done.too_deep, SLO_CGROUP_WALK_MAX_DEPTH - 1);
		told_too_deep = true;
	}
}

static int collect_cgroups(struct scx_slo *skel, const struct slo_budgets *b,
			   uint64_t default_budget_ns, struct slo_stats *st)
{
	struct slo_set_entry *set = NULL;
	struct slo_resolver resolver;
	size_t nr_set = 0;
	uint64_t set_default = 0;
	int fd = bpf_map__fd(skel->maps.slo_cgroup_stats);
	int bw_fd = bpf_map__fd(skel->maps.slo_cgroup_bw);
	uint64_t *bw_seen, *seen_ids = NULL;
	size_t nr_bw_seen;
	struct slo_cgroup_stats value;
	struct {
		uint64_t id;
		struct slo_cgroup_stats stats;
	} *seen = NULL;
	size_t nr_seen = 0, cap_seen = 0, i;
	char mount[PATH_MAX];
	struct timespec t0;
	uint64_t key, next;
	bool have_key = false, have_mount, completed = false;
	int ret = 0, step;

	while (!bpf_map_get_next_key(fd, have_key ? &key : NULL, &next)) {
		key = next;
		have_key = true;
		if (bpf_map_lookup_elem(fd, &key, &value) || !value.runs)
			continue;
		if (nr_seen == cap_seen) {
			size_t ncap = cap_seen ? cap_seen * 2 : 64;
			void *grown = realloc(seen, ncap * sizeof(*seen));

			if (!grown) {
				free(seen);
				return -ENOMEM;
			}
			seen = grown;
			cap_seen = ncap;
		}
		seen[nr_seen].id = key;
		seen[nr_seen].stats = value;
		nr_seen++;
	}
	bw_seen = bw_keys(bw_fd, &nr_bw_seen);
	/*
	 * The budgets BPF reads, `scx_slo slo set` included: the cgroups only
	 * they name (a `slo set` of a cgroup no file has) are named by the walk.
	 */
	if (slo_budgets_read_active(&b->maps, &set, &nr_set, &set_default)) {
		set = NULL;
		nr_set = 0;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	have_mount = !slo_cgroup_mount(mount, sizeof(mount));
	if (have_mount && !slo_cgroup_walk_busy(&walk)) {
		seen_ids = malloc((nr_seen ? nr_seen : 1) * sizeof(*seen_ids));
		for (i = 0; seen_ids && i < nr_seen; i++)
			seen_ids[i] = seen[i].id;
		if (!seen_ids || begin_walk(mount, seen_ids, nr_seen, bw_seen, nr_bw_seen,
					    set, nr_set))
			have_mount = false;
		free(seen_ids);
	}
	if (have_mount) {
		step = slo_cgroup_walk_step(&walk, SLO_CGROUP_WALK_PER_PASS,
					    SLO_CGROUP_WALK_PASS_NS);
		walk_passes++;
		if (step == 1) {
			slo_cgroup_walk_take(&walk, &names);
			completed = true;
			walk_done.valid = true;
			walk_done.cgroups = walk.visited;
			walk_done.passes = walk_passes;
			walk_done.too_long = walk.too_long;
			walk_done.too_deep = walk.too_deep;
		}
	}
	/* without the set (a read failed): the configuration, as applied */
	memset(&resolver, 0, sizeof(resolver));
	if (set)
		slo_resolver_build(&resolver, &b->cfg, b->ids, set, nr_set,
				   set_default ? set_default : default_budget_ns, walked_path, NULL);
	st->cgroups = calloc(nr_seen ? nr_seen : 1, sizeof(*st->cgroups));
	if (!st->cgroups)
		ret = -ENOMEM;
	for (i = 0; !ret && i < nr_seen; i++) {
		const char *path = slo_cgroup_table_path(&names, seen[i].id);
		struct slo_metrics_cgroup *c;
		struct slo_cgroup_bw bw;
		char idbuf[40];

		if (!path && completed && was_wanted(seen[i].id)) {
			if (!bpf_map_delete_elem(fd, &seen[i].id))
				cgroups_freed++;
			continue;
		}
		if (!path) {
			/* appeared since the last complete walk began, or no mount */
			snprintf(idbuf, sizeof(idbuf), "<id %llu>",
				 (unsigned long long)seen[i].id);
			path = idbuf;
		}
		c = &st->cgroups[st->nr_cgroups];
		c->path = strdup(path);
		if (!c->path) {
			ret = -ENOMEM;
			break;
		}
		c->budget_ns = set ? slo_resolver_lookup(&resolver, path).budget_ns :
				     slo_budgets_budget_of(b, path);
		c->stats = seen[i].stats;
		/* BPF has cpu.max state for a cgroup that ran under a limit */
		if (!bpf_map_lookup_elem(bw_fd, &seen[i].id, &bw)) {
			c->has_bw = true;
			c->throttled_ns = bw.throttled_ns;
			c->nr_throttled = bw.nr_throttled;
		}
		st->nr_cgroups++;
	}
	/* cpu.max state of removed cgroups */
	for (i = 0; completed && i < nr_bw_seen; i++) {
		if (!slo_cgroup_table_path(&names, bw_seen[i]) && was_wanted(bw_seen[i]))
			bpf_map_delete_elem(bw_fd, &bw_seen[i]);
	}
	if (completed)
		slo_cgroup_walk_end(&walk);
	walk_done.pass_seconds = elapsed(&t0);
	if (completed)
		tell_walk();
	st->walk = walk_done;
	slo_resolver_free(&resolver);
	free(set);
	free(bw_seen);
	free(seen);
	st->cgroups_freed = cgroups_freed;
	return ret;
}

int slo_stats_collect(struct scx_slo *skel, int nr_cpus, const struct slo_budgets *b,
		      uint64_t default_budget_ns, struct slo_stats *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	sum_global(skel, nr_cpus, out->global);
	ret = collect_domains(skel, nr_cpus, out);
	if (!ret)
		ret = collect_cgroups(skel, b, default_budget_ns, out);
	if (ret)
		slo_stats_free(out);
	return ret;
}

/*
 * Every entry of the u64-keyed map @fd with @vsize-byte values, in batches:
 * one syscall per SHED_BATCH entries instead of two per entry (measured on
 * a loaded 2-core host: 1000 entries took 26 ms one by one, 2.5 ms
 * batched).  0, or -errno (-EINVAL or -ENOTSUPP where the kernel has no
 * batch lookup for the map) with nothing returned.
 */
#define SHED_BATCH	256

static int read_batched(int fd, size_t vsize, uint64_t **keys_out, void **vals_out, size_t *n_out)
{
	uint64_t *keys = NULL, token = 0;
	char *vals = NULL;
	size_t n = 0, cap = 0;
	bool first = true;
	int err;

	for (;;) {
		uint32_t count = SHED_BATCH;
		LIBBPF_OPTS(bpf_map_batch_opts, bo);

		if (cap - n < SHED_BATCH) {
			size_t ncap = cap ? cap * 2 : 4 * SHED_BATCH;
			void *k = realloc(keys, ncap * sizeof(*keys)), *v;

			if (!k)
				goto nomem;
			keys = k;
			v = realloc(vals, ncap * vsize);
			if (!v)
				goto nomem;
			vals = v;
			cap = ncap;
		}
		err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, keys + n,
					   vals + n * vsize, &count, &bo) ? -errno : 0;
		first = false;
		n += count;
		if (err == -ENOENT)
			break;		/* the last batch */
		if (err) {
			free(keys);
			free(vals);
			return err;
		}
	}
	*keys_out = keys;
	*vals_out = vals;
	*n_out = n;
	return 0;
nomem:
	free(keys);
	free(vals);
	return -ENOMEM;
}

struct bw_row {
	uint64_t id;
	uint64_t nr_throttled;
};

static int cmp_bw_row(const void *a, const void *b)
{
	uint64_t x = ((const struct bw_row *)a)->id, y = ((const struct bw_row *)b)->id;

	return x < y ? -1 : x > y;
}

int slo_stats_shed_samples(struct scx_slo *skel, const struct slo_budgets *b,
			   struct slo_shed_sample **out, size_t *nr)
{
	int fd = bpf_map__fd(skel->maps.slo_cgroup_stats);
	int bw_fd = bpf_map__fd(skel->maps.slo_cgroup_bw);
	struct slo_cgroup_stats *vals = NULL;
	struct slo_cgroup_bw *bw_vals = NULL;
	struct slo_shed_sample *smp;
	uint64_t *keys = NULL, *bw_keys_read = NULL;
	struct bw_row *bw = NULL;
	size_t n = 0, nbw = 0, i, m = 0;
	int err;

	err = read_batched(fd, sizeof(*vals), &keys, (void **)&vals, &n);
	if (err)
		return err;
	/* cpu.max state: only limited cgroups have some, so it is small */
	if (!read_batched(bw_fd, sizeof(*bw_vals), &bw_keys_read, (void **)&bw_vals, &nbw) && nbw) {
		bw = calloc(nbw, sizeof(*bw));
		for (i = 0; bw && i < nbw; i++) {
			bw[i].id = bw_keys_read[i];
			bw[i].nr_throttled = bw_vals[i].nr_throttled;
		}
		if (bw)
			qsort(bw, nbw, sizeof(*bw), cmp_bw_row);
		else
			nbw = 0;
	}
	free(bw_keys_read);
	free(bw_vals);

	smp = calloc(n ? n : 1, sizeof(*smp));
	if (!smp) {
		free(keys);
		free(vals);
		free(bw);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const char *path = slo_cgroup_table_path(&names, keys[i]);
		struct bw_row key = { .id = keys[i] }, *row;

		if (!path || !vals[i].runs)
			continue;
		smp[m] = (struct slo_shed_sample){
			.path = path,
			.budget_ns = slo_budgets_budget_of(b, path),
			.runs = vals[i].runs,
			.misses = vals[i].misses,
			.bursts = vals[i].bursts,
			.burst_ns = vals[i].burst_ns,
			.burst_wait_ns = vals[i].burst_wait_ns,
			.late_bursts = vals[i].late_bursts,
		};
		memcpy(smp[m].delay_hist, vals[i].delay_hist, sizeof(smp[m].delay_hist));
		row = nbw ? bsearch(&key, bw, nbw, sizeof(*bw), cmp_bw_row) : NULL;
		if (row)
			smp[m].nr_throttled = row->nr_throttled;
		m++;
	}
	free(keys);
	free(vals);
	free(bw);
	*out = smp;
	*nr = m;
	return 0;
}

/* Worst first: most misses, then longest mean queueing delay, then path. */
static int cmp_cgroup_worst(const void *a, const void *b)
{
	const struct slo_metrics_cgroup *ca = *(const struct slo_metrics_cgroup * const *)a;
	const struct slo_metrics_cgroup *cb = *(const struct slo_metrics_cgroup * const *)b;
	double da = (double)ca->stats.delay_ns / (double)ca->stats.runs;
	double db = (double)cb->stats.delay_ns / (double)cb->stats.runs;

	if (ca->stats.misses != cb->stats.misses)
		return ca->stats.misses > cb->stats.misses ? -1 : 1;
	if (da != db)
		return da > db ? -1 : 1;
	return strcmp(ca->path, cb->path);
}

void slo_stats_print(FILE *out, const struct slo_stats *st, const char *title,
		     size_t max_cgroups)
{
	const struct slo_metrics_cgroup **order;
	uint32_t dom;
	size_t i, shown;

	fprintf(out, "=== %s ===\n", title);
	fprintf(out, "runs %llu  misses %llu  kthread-local %llu  affinity-fixups %llu  starvation-rescues %llu  requeue-idle %llu  rt-requeues %llu  cgroups-freed %llu  throttles %llu  bw-overrides %llu  steals-overdue %llu  steals-at-risk %llu  steals-unanswered %llu  steals-predicted %llu  steals-idle-pull %llu  requeue-far %llu  slice-cuts %llu  requeue-core %llu  rescue-kicks %llu\n",
		(unsigned long long)st->global[SLO_STAT_RUNS],
		(unsigned long long)st->global[SLO_STAT_MISSES],
		(unsigned long long)st->global[SLO_STAT_KTHREAD_LOCAL],
		(unsigned long long)st->global[SLO_STAT_AFFINITY_FIXUP],
		(unsigned long long)st->global[SLO_STAT_STARVE_RESCUES],
		(unsigned long long)st->global[SLO_STAT_REQUEUE_IDLE],
		(unsigned long long)st->global[SLO_STAT_RT_REQUEUES],
		(unsigned long long)st->cgroups_freed,
		(unsigned long long)st->global[SLO_STAT_THROTTLES],
		(unsigned long long)st->global[SLO_STAT_BW_OVERRIDES],
		(unsigned long long)st->global[SLO_STAT_STEAL_OVERDUE],
		(unsigned long long)st->global[SLO_STAT_STEAL_AT_RISK],
		(unsigned long long)st->global[SLO_STAT_STEAL_UNANSWERED],
		(unsigned long long)st->global[SLO_STAT_STEAL_PREDICTED],
		(unsigned long long)st->global[SLO_STAT_STEAL_IDLE_PULL],
		(unsigned long long)st->global[SLO_STAT_REQUEUE_FAR],
		(unsigned long long)st->global[SLO_STAT_SLICE_CUTS],
		(unsigned long long)st->global[SLO_STAT_REQUEUE_CORE],
		(unsigned long long)st->global[SLO_STAT_RESCUE_KICKS]);
	if (st->global[SLO_STAT_LIMITS_FULL])
		fprintf(out, "warning: %llu cpu.max limits not enforced (limits map full)\n",
			(unsigned long long)st->global[SLO_STAT_LIMITS_FULL]);
	if (st->global[SLO_STAT_CGROUP_STATS_FULL])
		fprintf(out, "warning: %llu runs not attributed (cgroup stats map full)\n",
			(unsigned long long)st->global[SLO_STAT_CGROUP_STATS_FULL]);

	fprintf(out, "%-6s %10s %10s %10s %10s %10s %11s %9s %9s %6s\n", "DOMAIN",
		"ENQUEUED", "DIRECT", "LOCAL", "STEAL_NODE", "STEAL_FAR", "NOT_AT_RISK",
		"PREEMPT", "IDLE_KICK", "DEPTH");
	for (dom = 0; dom < st->nr_domains; dom++) {
		const struct slo_metrics_domain *d = &st->domains[dom];

		fprintf(out, "%-6u %10llu %10llu %10llu %10llu %10llu %11llu %9llu %9llu %6llu\n",
			d->id, (unsigned long long)d->stats.enqueues,
			(unsigned long long)d->stats.direct_dispatches,
			(unsigned long long)d->stats.local_dispatches,
			(unsigned long long)d->stats.steals_same_node,
			(unsigned long long)d->stats.steals_other_node,
			(unsigned long long)d->stats.steals_not_at_risk,
			(unsigned long long)d->stats.preempt_kicks,
			(unsigned long long)d->stats.idle_kicks,
			(unsigned long long)d->queue_depth);
	}

	/* THROTTLED and PERIODS: cpu.max, "-" for a cgroup that never ran under one */
	fprintf(out, "%-40s %8s %10s %10s %7s %10s %10s %10s %8s\n", "CGROUP", "BUDGET",
		"RUNS", "MISSES", "MISS%", "AVG_DELAY", "AVG_LATE", "THROTTLED", "PERIODS");
	order = calloc(st->nr_cgroups ? st->nr_cgroups : 1, sizeof(*order));
	if (!order)
		return;
	for (i = 0; i < st->nr_cgroups; i++)
		order[i] = &st->cgroups[i];
	qsort(order, st->nr_cgroups, sizeof(*order), cmp_cgroup_worst);
	shown = max_cgroups && max_cgroups < st->nr_cgroups ? max_cgroups : st->nr_cgroups;
	for (i = 0; i < shown; i++) {
		const struct slo_metrics_cgroup *c = order[i];
		char budget[32], throttled[32] = "-", periods[32] = "-";
		/* a cgroup's name is whatever its creator chose: no raw bytes to a terminal */
		static char name[SLO_ESCAPED_SIZE(PATH_MAX)];

		slo_format_duration(c->budget_ns, budget, sizeof(budget));
		if (c->has_bw) {
			snprintf(throttled, sizeof(throttled), "%.3fs",
				 (double)c->throttled_ns / 1e9);
			snprintf(periods, sizeof(periods), "%llu",
				 (unsigned long long)c->nr_throttled);
		}
		slo_escape(name, sizeof(name), c->path);
		fprintf(out, "%-40s %8s %10llu %10llu %6.2f%% %8.3fms %8.3fms %10s %8s\n",
			name, budget, (unsigned long long)c->stats.runs,
			(unsigned long long)c->stats.misses,
			100.0 * (double)c->stats.misses / (double)c->stats.runs,
			(double)c->stats.delay_ns / (double)c->stats.runs / 1e6,
			c->stats.misses ?
				(double)c->stats.lateness_ns / (double)c->stats.misses / 1e6 : 0.0,
			throttled, periods);
	}
	if (shown < st->nr_cgroups)
		fprintf(out, "(%zu more cgroups)\n", st->nr_cgroups - shown);
	free(order);
	fflush(out);
}

void slo_stats_free(struct slo_stats *st)
{
	size_t i;

	for (i = 0; i < st->nr_cgroups; i++)
		free((char *)st->cgroups[i].path);
	free(st->cgroups);
	free(st->domains);
	memset(st, 0, sizeof(*st));
}
