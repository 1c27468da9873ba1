// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text exposition (version 0.0.4) of a metrics snapshot.
 *
 * Pure C, no I/O: the loader's main thread renders, the HTTP threads only
 * serve the resulting bytes.  See metrics.h for the families, the histogram
 * buckets and the cardinality rule.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "metrics.h"

_Static_assert(SLO_METRICS_LE_MAX_LOG2 < SLO_DELAY_BUCKETS - 1,
	       "le edges must lie below the open-ended last BPF bucket");
_Static_assert(SLO_METRICS_LE_MIN_LOG2 >= 0 && SLO_METRICS_LE_MIN_LOG2 <= SLO_METRICS_LE_MAX_LOG2,
	       "bad le range");

/* ---- growable output buffer ------------------------------------------------ */

struct sbuf {
	char *p;
	size_t len, cap;
	int err;		/* first error (-ENOMEM); later appends are no-ops */
};

static int sb_reserve(struct sbuf *b, size_t more)
{
	size_t need, ncap;
	char *np;

	if (b->err)
		return -1;
	if (more > SIZE_MAX / 2 - b->len) {
		b->err = -ENOMEM;
		return -1;
	}
	need = b->len + more + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 4096;
	while (ncap < need)
		ncap *= 2;
	np = realloc(b->p, ncap);
	if (!np) {
		b->err = -ENOMEM;
		return -1;
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb_reserve(b, 256))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -EINVAL;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (sb_reserve(b, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* ---- value and label formatting ---------------------------------------------- */

/* Exact decimal seconds from nanoseconds: 250000 -> "0.00025", 2e9 -> "2". */
static void fmt_seconds(char out[32], uint64_t ns)
{
	uint64_t sec = ns / SLO_NSEC_PER_SEC, frac = ns % SLO_NSEC_PER_SEC;
	int n;

	if (!frac) {
		snprintf(out, 32, "%" PRIu64, sec);
		return;
	}
	n = snprintf(out, 32, "%" PRIu64 ".%09" PRIu64, sec, frac);
	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
}

/*
 * A label value as it appears between the quotes: slo_escape()d (cgroup
 * names are anyone's, and a raw ESC is valid UTF-8 that a terminal
 * showing /metrics would obey), then backslash and double quote escaped
 * as the exposition format requires (no newline is left).  Returns a
 * malloc'd string or NULL.
 */
static char *escape_label(const char *s)
{
	char *plain = slo_escape_dup(s), *out;
	size_t i, o = 0;

	if (!plain)
		return NULL;
	out = malloc(2 * strlen(plain) + 1);
	if (out) {
		for (i = 0; plain[i]; i++) {
			if (plain[i] == '\\' || plain[i] == '"')
				out[o++] = '\\';
			out[o++] = plain[i];
		}
		out[o] = '\0';
	}
	free(plain);
	return out;
}

static void family(struct sbuf *b, const char *name, const char *type, const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* ---- global families --------------------------------------------------------- */

static const struct {
	const char *name;
	const char *help;
} global_stats[] = {
	[SLO_STAT_RUNS] = { "scx_slo_runs_total",
		"Tasks that started running, all cgroups." },
	[SLO_STAT_MISSES] = { "scx_slo_deadline_misses_total",
		"Tasks that started running after their wall deadline, all cgroups." },
	[SLO_STAT_KTHREAD_LOCAL] = { "scx_slo_kthread_local_dispatches_total",
		"Per-CPU kernel threads queued directly on their own CPU." },
	[SLO_STAT_AFFINITY_FIXUP] = { "scx_slo_affinity_fixups_total",
		"Tasks whose previous CPU was not allowed by their affinity, so a CPU was re-picked." },
	[SLO_STAT_CGROUP_STATS_FULL] = { "scx_slo_cgroup_stats_full_total",
		"Runs not attributed to a cgroup because the per-cgroup statistics map was full." },
	[SLO_STAT_STARVE_RESCUES] = { "scx_slo_starvation_rescues_total",
		"Tasks run ahead of their deadline order because they had waited longer than the starvation limit." },
	[SLO_STAT_REQUEUE_IDLE] = { "scx_slo_requeue_idle_placements_total",
		"Tasks put back after their slice or a preemption that were placed on an idle CPU instead of queued." },
	[SLO_STAT_RT_REQUEUES] = { "scx_slo_rt_requeues_total",
		"Tasks sent back from a CPU's local queue because an RT or deadline task took the CPU." },
	[SLO_STAT_THROTTLES] = { "scx_slo_throttles_total",
		"Tasks held back because a cgroup above them had used up its cpu.max quota for the period." },
	[SLO_STAT_BW_OVERRIDES] = { "scx_slo_bw_overrides_total",
		"Tasks held back by cpu.max that were run anyway, before the sched_ext watchdog would see them starve." },
	[SLO_STAT_STEAL_OVERDUE] = { "scx_slo_steals_overdue_total",
		"Tasks taken from another domain's queue past their deadline." },
	[SLO_STAT_STEAL_AT_RISK] = { "scx_slo_steals_at_risk_total",
		"Tasks taken from another domain's queue with less than a slice left before their deadline." },
	[SLO_STAT_STEAL_UNANSWERED] = { "scx_slo_steals_unanswered_kick_total",
		"Tasks taken from a same-node queue whose CPUs had not answered a kick for half a slice." },
	[SLO_STAT_STEAL_IDLE_PULL] = { "scx_slo_steals_idle_pull_total",
		"Tasks taken by a CPU about to go idle from a same-node queue with no idle CPU." },
	[SLO_STAT_REQUEUE_FAR] = { "scx_slo_requeue_other_node_total",
		"Idle-CPU placements of tasks put back after their slice that crossed to another NUMA node." },
	[SLO_STAT_SLICE_CUTS] = { "scx_slo_slice_cuts_total",
		"Slices longer than that of a task waiting for their CPU, ended at the next tick." },
	[SLO_STAT_LIMITS_FULL] = { "scx_slo_cgroup_limits_full_total",
		"cpu.max limits from the kernel not enforced because the limits map was full." },
	[SLO_STAT_REQUEUE_CORE] = { "scx_slo_requeue_whole_core_total",
		"Tasks whose slice ended on a core with a busy SMT sibling, moved to a core with every thread idle." },
	[SLO_STAT_RESCUE_KICKS] = { "scx_slo_rescue_kicks_total",
		"CPUs of another domain kicked to take a queued task that its own domain's CPUs would not start in time." },
	[SLO_STAT_STEAL_PREDICTED] = { "scx_slo_steals_predicted_miss_total",
		"Tasks taken from another domain with a slice of slack or more left, because no CPU of their own domain would start them in time." },
};
_Static_assert(sizeof(global_stats) / sizeof(global_stats[0]) == SLO_NR_STATS,
	       "every enum slo_stat_idx entry needs a metric name");

static void render_globals(struct sbuf *b, const struct slo_metrics_snapshot *s,
			   size_t nr_cgroups_tracked)
{
	char *version = escape_label(s->version ? s->version : "unknown");
	char *kernel = escape_label(s->kernel ? s->kernel : "unknown");
	char *limits = escape_label(s->cpu_limits ? s->cpu_limits : "unknown");
	size_t i;

	if (!version || !kernel || !limits) {
		b->err = -ENOMEM;
		goto out;
	}
	family(b, "scx_slo_info", "gauge",
	       "Constant 1; labels give the scx_slo version, the kernel release, whether all CPUs share one queue (--single-dsq) and who hands cpu.max to the scheduler (kernel: ops.cgroup_set_bandwidth, loader: read from cgroupfs).");
	sb_printf(b, "scx_slo_info{version=\"%s\",kernel=\"%s\",single_dsq=\"%s\",cpu_limits=\"%s\"} 1\n",
		  version, kernel, s->single_dsq ? "true" : "false", limits);
	family(b, "scx_slo_cpus", "gauge", "Online CPUs the scheduler manages.");
	sb_printf(b, "scx_slo_cpus %" PRIu32 "\n", s->nr_cpus);
	family(b, "scx_slo_domains", "gauge", "Scheduling domains (last-level caches), one deadline queue each.");
	sb_printf(b, "scx_slo_domains %" PRIu32 "\n", s->nr_domains);
	family(b, "scx_slo_nodes", "gauge", "NUMA nodes spanned by the scheduled CPUs.");
	sb_printf(b, "scx_slo_nodes %" PRIu32 "\n", s->nr_nodes);
	family(b, "scx_slo_cgroups_tracked", "gauge",
	       "Cgroups with statistics, before the --metrics-max-cgroups cut.");
	sb_printf(b, "scx_slo_cgroups_tracked %zu\n", nr_cgroups_tracked);

	for (i = 0; i < SLO_NR_STATS; i++) {
		family(b, global_stats[i].name, "counter", global_stats[i].help);
		sb_printf(b, "%s %" PRIu64 "\n", global_stats[i].name, s->global[i]);
	}
out:
	free(version);
	free(kernel);
	free(limits);
}

/* ---- exits ------------------------------------------------------------------- */

struct exit_row {
	char *kind;		/* escaped */
	uint64_t count;
};

static int cmp_exit(const void *a, const void *b)
{
	return strcmp(((const struct exit_row *)a)->kind, ((const struct exit_row *)b)->kind);
}

static void render_exits(struct sbuf *b, const struct slo_metrics_snapshot *s)
{
	struct exit_row *rows = NULL;
	size_t i, n = 0;

	family(b, "scx_slo_exits_total", "counter",
	       "Times the kernel stopped the scheduler since the loader started, by sched_ext exit kind.");
	if (!s->nr_exits)
		return;
	rows = calloc(s->nr_exits, sizeof(*rows));
	if (!rows) {
		b->err = -ENOMEM;
		return;
	}
	for (i = 0; i < s->nr_exits; i++) {
		rows[n].kind = escape_label(s->exits[i].kind ? s->exits[i].kind : "unknown");
		if (!rows[n].kind) {
			b->err = -ENOMEM;
			goto out;
		}
		rows[n++].count = s->exits[i].count;
	}
	qsort(rows, n, sizeof(*rows), cmp_exit);
	for (i = 0; i < n; i++) {
		uint64_t count = rows[i].count;

		while (i + 1 < n && !strcmp(rows[i].kind, rows[i + 1].kind))
			count += rows[++i].count;
		sb_printf(b, "scx_slo_exits_total{kind=\"%s\"} %" PRIu64 "\n", rows[i].kind, count);
	}
out:
	for (i = 0; i < n; i++)
		free(rows[i].kind);
	free(rows);
}

/* ---- the SLO configuration -------------------------------------------------------- */

static void render_config(struct sbuf *b, const struct slo_metrics_config *c)
{
	if (!c)
		return;
	family(b, "scx_slo_config_last_reload_successful", "gauge",
	       "1 if the last load or reload of the SLO configuration was applied (or changed nothing), 0 if it was rejected and the previous SLOs stay in force.");
	sb_printf(b, "scx_slo_config_last_reload_successful %d\n", c->last_ok ? 1 : 0);
	family(b, "scx_slo_config_last_reload_timestamp_seconds", "gauge",
	       "Unix time of the last load or reload of the SLO configuration, successful or not.");
	sb_printf(b, "scx_slo_config_last_reload_timestamp_seconds %.3f\n", c->last_s);
	family(b, "scx_slo_config_last_reload_success_timestamp_seconds", "gauge",
	       "Unix time of the last successful load or reload of the SLO configuration.");
	sb_printf(b, "scx_slo_config_last_reload_success_timestamp_seconds %.3f\n", c->last_ok_s);
	family(b, "scx_slo_config_reloads_total", "counter",
	       "Reloads of the SLO configuration file since the loader started (a change seen, or SIGHUP), by result; the load at start is not counted.");
	sb_printf(b, "scx_slo_config_reloads_total{result=\"ok\"} %" PRIu64 "\n", c->reloads_ok);
	sb_printf(b, "scx_slo_config_reloads_total{result=\"error\"} %" PRIu64 "\n", c->reloads_error);
	family(b, "scx_slo_config_entries", "gauge",
	       "SLO entries (cgroup budgets) of the configuration in force, whether their cgroup exists yet or not.");
	sb_printf(b, "scx_slo_config_entries %" PRIu64 "\n", c->entries);
}

/* ---- domains ----------------------------------------------------------------- */

static int cmp_domain(const void *a, const void *b)
{
	const struct slo_metrics_domain *x = *(const struct slo_metrics_domain *const *)a;
	const struct slo_metrics_domain *y = *(const struct slo_metrics_domain *const *)b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	return 0;
}

enum dom_val {
	DV_CPUS, DV_DEPTH, DV_ENQ, DV_DIRECT, DV_LOCAL, DV_STEAL_SAME, DV_STEAL_OTHER,
	DV_NOT_AT_RISK, DV_PREEMPT, DV_IDLE,
};

static uint64_t dom_val(const struct slo_metrics_domain *d, enum dom_val v)
{
	switch (v) {
	case DV_CPUS:		return d->nr_cpus;
	case DV_DEPTH:		return d->queue_depth;
	case DV_ENQ:		return d->stats.enqueues;
	case DV_DIRECT:		return d->stats.direct_dispatches;
	case DV_LOCAL:		return d->stats.local_dispatches;
	case DV_STEAL_SAME:	return d->stats.steals_same_node;
	case DV_STEAL_OTHER:	return d->stats.steals_other_node;
	case DV_NOT_AT_RISK:	return d->stats.steals_not_at_risk;
	case DV_PREEMPT:	return d->stats.preempt_kicks;
	case DV_IDLE:		return d->stats.idle_kicks;
	}
	return 0;
}

/* One sample per domain: name{domain="..",node=".."[,extra]} value */
static void dom_series(struct sbuf *b, const struct slo_metrics_domain *const *doms, size_t n,
		       const char *name, const char *extra, enum dom_val v)
{
	size_t i;

	for (i = 0; i < n; i++)
		sb_printf(b, "%s{domain=\"%" PRIu32 "\",node=\"%" PRId32 "\"%s%s} %" PRIu64 "\n",
			  name, doms[i]->id, doms[i]->node, extra ? "," : "", extra ? extra : "",
			  dom_val(doms[i], v));
}

static void render_domains(struct sbuf *b, const struct slo_metrics_snapshot *s)
{
	const struct slo_metrics_domain **doms = NULL;
	size_t i, n = s->domains ? s->nr_domains_listed : 0;

	if (n) {
		doms = calloc(n, sizeof(*doms));
		if (!doms) {
			b->err = -ENOMEM;
			return;
		}
		for (i = 0; i < n; i++)
			doms[i] = &s->domains[i];
		qsort(doms, n, sizeof(*doms), cmp_domain);
	}

	family(b, "scx_slo_domain_cpus", "gauge", "CPUs in the domain (one last-level cache).");
	dom_series(b, doms, n, "scx_slo_domain_cpus", NULL, DV_CPUS);
	family(b, "scx_slo_domain_queue_depth", "gauge", "Tasks waiting on the domain's deadline queue now.");
	dom_series(b, doms, n, "scx_slo_domain_queue_depth", NULL, DV_DEPTH);
	family(b, "scx_slo_domain_enqueues_total", "counter", "Tasks put on the domain's deadline queue.");
	dom_series(b, doms, n, "scx_slo_domain_enqueues_total", NULL, DV_ENQ);
	family(b, "scx_slo_domain_dispatches_total", "counter",
	       "Tasks started on the domain's CPUs without stealing: direct (an idle CPU, never queued) or local (from the domain's own queue).");
	dom_series(b, doms, n, "scx_slo_domain_dispatches_total", "kind=\"direct\"", DV_DIRECT);
	dom_series(b, doms, n, "scx_slo_domain_dispatches_total", "kind=\"local\"", DV_LOCAL);
	family(b, "scx_slo_domain_steals_total", "counter",
	       "Tasks started on the domain's CPUs from another domain's queue, by scope (same_node or other_node).");
	dom_series(b, doms, n, "scx_slo_domain_steals_total", "scope=\"same_node\"", DV_STEAL_SAME);
	dom_series(b, doms, n, "scx_slo_domain_steals_total", "scope=\"other_node\"", DV_STEAL_OTHER);
	family(b, "scx_slo_domain_steals_not_at_risk_total", "counter",
	       "Other-node steals of a task with at least a slice left before its deadline (the policy says this never happens).");
	dom_series(b, doms, n, "scx_slo_domain_steals_not_at_risk_total", NULL, DV_NOT_AT_RISK);
	family(b, "scx_slo_domain_preempt_kicks_total", "counter",
	       "CPUs of the domain kicked to preempt a task with a later deadline.");
	dom_series(b, doms, n, "scx_slo_domain_preempt_kicks_total", NULL, DV_PREEMPT);
	family(b, "scx_slo_domain_idle_kicks_total", "counter",
	       "Idle CPUs of the domain woken for a queued task.");
	dom_series(b, doms, n, "scx_slo_domain_idle_kicks_total", NULL, DV_IDLE);
	free(doms);
}

/* ---- cgroups ------------------------------------------------------------------- */

/* cpu.max counters of a cgroup (or of the cgroups summed into "other") */
struct cg_bw {
	bool has;
	uint64_t throttled_ns;
	uint64_t nr_throttled;
};

struct cg_row {
	/*
	 * The path until the cut, then, for the rows with their own series,
	 * the escaped path (owned): only those are escaped, so that up to
	 * 16384 long names cost their copies, not four times as much.
	 */
	char *label;
	bool escaped;
	uint64_t budget_ns;
	struct slo_cgroup_stats st;
	struct cg_bw bw;
	double shed;			/* shed probability */
	unsigned int limit;		/* concurrency limit; 0: none */
	bool own;			/* gets its own series */
};

static int cmp_cg_label(const void *a, const void *b)
{
	return strcmp(((const struct cg_row *)a)->label, ((const struct cg_row *)b)->label);
}

/* Rank for the cardinality cut: misses, then runs, descending; then path. */
static int cmp_cg_rank(const void *a, const void *b)
{
	const struct cg_row *x = *(const struct cg_row *const *)a;
	const struct cg_row *y = *(const struct cg_row *const *)b;

	if (x->st.misses != y->st.misses)
		return x->st.misses > y->st.misses ? -1 : 1;
	if (x->st.runs != y->st.runs)
		return x->st.runs > y->st.runs ? -1 : 1;
	return strcmp(x->label, y->label);
}

static void add_stats(struct slo_cgroup_stats *to, const struct slo_cgroup_stats *from)
{
	int i;

	to->runs += from->runs;
	to->misses += from->misses;
	to->lateness_ns += from->lateness_ns;
	to->delay_ns += from->delay_ns;
	for (i = 0; i < SLO_DELAY_BUCKETS; i++)
		to->delay_hist[i] += from->delay_hist[i];
	to->bursts += from->bursts;
	to->burst_ns += from->burst_ns;
	to->burst_wait_ns += from->burst_wait_ns;
	to->late_bursts += from->late_bursts;
}

static void add_bw(struct cg_bw *to, const struct cg_bw *from)
{
	if (!from->has)
		return;
	to->has = true;
	to->throttled_ns += from->throttled_ns;
	to->nr_throttled += from->nr_throttled;
}

struct cg_set {
	struct cg_row *rows;		/* own series, sorted by label */
	size_t n;
	bool have_other;
	struct slo_cgroup_stats other;
	struct cg_bw other_bw;
	size_t tracked;			/* distinct cgroups before the cut */
};

static void cg_set_free(struct cg_set *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		if (cs->rows[i].escaped)
			free(cs->rows[i].label);
	free(cs->rows);
}

/* Escape the paths of the rows with their own series, kept in label order. */
static int escape_own(struct cg_set *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++) {
		char *label;

		if (!cs->rows[i].own)
			continue;
		label = escape_label(cs->rows[i].label);
		if (!label)
			return -ENOMEM;
		cs->rows[i].label = label;
		cs->rows[i].escaped = true;
	}
	/* escaping can change the order: a raw ESC sorts before a space, "\\x1b" after */
	qsort(cs->rows, cs->n, sizeof(*cs->rows), cmp_cg_label);
	return 0;
}

static int cg_set_build(struct cg_set *cs, const struct slo_metrics_snapshot *s, size_t max)
{
	size_t i, n = 0, out;
	struct cg_row **rank = NULL;

	memset(cs, 0, sizeof(*cs));
	if (!s->cgroups || !s->nr_cgroups)
		return 0;
	cs->rows = calloc(s->nr_cgroups, sizeof(*cs->rows));
	if (!cs->rows)
		return -ENOMEM;
	for (i = 0; i < s->nr_cgroups; i++) {
		const struct slo_metrics_cgroup *c = &s->cgroups[i];
		struct cg_bw bw = { c->has_bw, c->throttled_ns, c->nr_throttled };

		if (!c->path || !strcmp(c->path, "other")) {
			/* nothing to label it by (or it would collide with the
			 * aggregate): counted, but only in "other" */
			cs->have_other = true;
			add_stats(&cs->other, &c->stats);
			add_bw(&cs->other_bw, &bw);
			cs->tracked++;
			continue;
		}
		cs->rows[n].label = (char *)c->path;
		cs->rows[n].budget_ns = c->budget_ns;
		cs->rows[n].st = c->stats;
		cs->rows[n].bw = bw;
		cs->rows[n].shed = c->shed_probability;
		cs->rows[n].limit = c->concurrency_limit;
		n++;
	}
	cs->n = n;
	if (!n)
		return 0;

	/* Same path twice (escaping maps one-to-one: same label): one series, stats summed. */
	qsort(cs->rows, n, sizeof(*cs->rows), cmp_cg_label);
	for (i = 1, out = 1; i < n; i++) {
		if (!strcmp(cs->rows[i].label, cs->rows[out - 1].label)) {
			add_stats(&cs->rows[out - 1].st, &cs->rows[i].st);
			add_bw(&cs->rows[out - 1].bw, &cs->rows[i].bw);
			if (cs->rows[i].shed > cs->rows[out - 1].shed)
				cs->rows[out - 1].shed = cs->rows[i].shed;
			continue;
		}
		cs->rows[out++] = cs->rows[i];
	}
	cs->n = n = out;
	cs->tracked += n;

	if (n <= max) {
		for (i = 0; i < n; i++)
			cs->rows[i].own = true;
		return escape_own(cs);
	}
	rank = calloc(n, sizeof(*rank));
	if (!rank)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		rank[i] = &cs->rows[i];
	qsort(rank, n, sizeof(*rank), cmp_cg_rank);
	for (i = 0; i < n; i++) {
		if (i < max) {
			rank[i]->own = true;
		} else {
			cs->have_other = true;
			add_stats(&cs->other, &rank[i]->st);
			add_bw(&cs->other_bw, &rank[i]->bw);
		}
	}
	free(rank);
	return escape_own(cs);
}

enum cg_val { CV_RUNS, CV_MISSES, CV_LATENESS, CV_BUDGET, CV_THROTTLED, CV_THROTTLED_PERIODS,
	      CV_SHED, CV_LIMIT, CV_BURSTS, CV_LATE_BURSTS, CV_BURST_TIME, CV_BURST_WAIT };

/* Per-cgroup values that mean nothing summed: no cgroup="other" series. */
static bool cg_val_own_only(enum cg_val v)
{
	return v == CV_BUDGET || v == CV_SHED || v == CV_LIMIT;
}

/* Series only for cgroups with cpu.max state. */
static bool cg_val_bw(enum cg_val v)
{
	return v == CV_THROTTLED || v == CV_THROTTLED_PERIODS;
}

static void cg_value(char out[32], const struct slo_cgroup_stats *st, uint64_t budget_ns,
		     const struct cg_bw *bw, double shed, unsigned int limit, enum cg_val v)
{
	switch (v) {
	case CV_RUNS:
		snprintf(out, 32, "%" PRIu64, (uint64_t)st->runs);
		break;
	case CV_MISSES:
		snprintf(out, 32, "%" PRIu64, (uint64_t)st->misses);
		break;
	case CV_LATENESS:
		fmt_seconds(out, st->lateness_ns);
		break;
	case CV_BUDGET:
		fmt_seconds(out, budget_ns);
		break;
	case CV_THROTTLED:
		fmt_seconds(out, bw->throttled_ns);
		break;
	case CV_THROTTLED_PERIODS:
		snprintf(out, 32, "%" PRIu64, bw->nr_throttled);
		break;
	case CV_SHED:
		snprintf(out, 32, "%.4f", shed);
		break;
	case CV_LIMIT:
		snprintf(out, 32, "%u", limit);
		break;
	case CV_BURSTS:
		snprintf(out, 32, "%" PRIu64, (uint64_t)st->bursts);
		break;
	case CV_LATE_BURSTS:
		snprintf(out, 32, "%" PRIu64, (uint64_t)st->late_bursts);
		break;
	case CV_BURST_TIME:
		fmt_seconds(out, st->burst_ns);
		break;
	case CV_BURST_WAIT:
		fmt_seconds(out, st->burst_wait_ns);
		break;
	}
}

static void cg_series(struct sbuf *b, const struct cg_set *cs, const char *name, enum cg_val v)
{
	char val[32];
	size_t i;

	for (i = 0; i < cs->n; i++) {
		if (!cs->rows[i].own || (cg_val_bw(v) && !cs->rows[i].bw.has))
			continue;
		cg_value(val, &cs->rows[i].st, cs->rows[i].budget_ns, &cs->rows[i].bw,
			 cs->rows[i].shed, cs->rows[i].limit, v);
		sb_printf(b, "%s{cgroup=\"%s\"} %s\n", name, cs->rows[i].label, val);
	}
	if (cs->have_other && !cg_val_own_only(v) && (!cg_val_bw(v) || cs->other_bw.has)) {
		cg_value(val, &cs->other, 0, &cs->other_bw, 0, 0, v);
		sb_printf(b, "%s{cgroup=\"other\"} %s\n", name, val);
	}
}

static void cg_histogram(struct sbuf *b, const char *label, const struct slo_cgroup_stats *st)
{
	const char *name = "scx_slo_cgroup_scheduling_delay_seconds";
	uint64_t cum = 0, runs = st->runs;
	char le[32], sum[32];
	int k, i;

	/* BPF bucket i < k holds delays below 2^k us. */
	for (i = 0; i < SLO_METRICS_LE_MIN_LOG2; i++)
		cum += st->delay_hist[i];
	for (k = SLO_METRICS_LE_MIN_LOG2; k <= SLO_METRICS_LE_MAX_LOG2; k++) {
		cum += st->delay_hist[k];
		fmt_seconds(le, ((uint64_t)1 << k) * SLO_NSEC_PER_USEC);
		sb_printf(b, "%s_bucket{cgroup=\"%s\",le=\"%s\"} %" PRIu64 "\n", name, label, le,
			  cum < runs ? cum : runs);
	}
	sb_printf(b, "%s_bucket{cgroup=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", name, label, runs);
	fmt_seconds(sum, st->delay_ns);
	sb_printf(b, "%s_sum{cgroup=\"%s\"} %s\n", name, label, sum);
	sb_printf(b, "%s_count{cgroup=\"%s\"} %" PRIu64 "\n", name, label, runs);
}

static void render_cgroups(struct sbuf *b, const struct cg_set *cs)
{
	size_t i;

	family(b, "scx_slo_cgroup_runs_total", "counter", "Tasks of the cgroup that started running.");
	cg_series(b, cs, "scx_slo_cgroup_runs_total", CV_RUNS);
	family(b, "scx_slo_cgroup_deadline_misses_total", "counter",
	       "Tasks of the cgroup that started running after their wall deadline (runnable time plus budget).");
	cg_series(b, cs, "scx_slo_cgroup_deadline_misses_total", CV_MISSES);
	family(b, "scx_slo_cgroup_lateness_seconds_total", "counter",
	       "Sum over deadline misses of how late the task started.");
	cg_series(b, cs, "scx_slo_cgroup_lateness_seconds_total", CV_LATENESS);
	family(b, "scx_slo_cgroup_scheduling_delay_seconds", "histogram",
	       "Time from runnable to running.");
	for (i = 0; i < cs->n; i++)
		if (cs->rows[i].own)
			cg_histogram(b, cs->rows[i].label, &cs->rows[i].st);
	if (cs->have_other)
		cg_histogram(b, "other", &cs->other);
	family(b, "scx_slo_cgroup_budget_seconds", "gauge",
	       "Latency budget in force for the cgroup (its own SLO, an ancestor's, or the default).");
	cg_series(b, cs, "scx_slo_cgroup_budget_seconds", CV_BUDGET);
	family(b, "scx_slo_cgroup_shed_probability", "gauge",
	       "Probability with which /v1/admission sheds the cgroup's requests (0 when calm).");
	cg_series(b, cs, "scx_slo_cgroup_shed_probability", CV_SHED);
	family(b, "scx_slo_cgroup_concurrency_limit", "gauge",
	       "Requests in flight /v1/pressure allows the cgroup while overloaded (0: no limit).");
	cg_series(b, cs, "scx_slo_cgroup_concurrency_limit", CV_LIMIT);
	family(b, "scx_slo_cgroup_bursts_total", "counter",
	       "Bursts of the cgroup's tasks (wakeup to sleep) that ended.");
	cg_series(b, cs, "scx_slo_cgroup_bursts_total", CV_BURSTS);
	family(b, "scx_slo_cgroup_late_bursts_total", "counter",
	       "Bursts that spent longer than the budget runnable but not running.");
	cg_series(b, cs, "scx_slo_cgroup_late_bursts_total", CV_LATE_BURSTS);
	family(b, "scx_slo_cgroup_burst_seconds_total", "counter",
	       "Sum of the bursts' times from wakeup to sleep.");
	cg_series(b, cs, "scx_slo_cgroup_burst_seconds_total", CV_BURST_TIME);
	family(b, "scx_slo_cgroup_burst_wait_seconds_total", "counter",
	       "Sum of the bursts' times runnable but not running.");
	cg_series(b, cs, "scx_slo_cgroup_burst_wait_seconds_total", CV_BURST_WAIT);
	family(b, "scx_slo_cgroup_throttled_seconds_total", "counter",
	       "Time the cgroup spent throttled by its cpu.max (quota used up for the period); only cgroups that ran under a limit.");
	cg_series(b, cs, "scx_slo_cgroup_throttled_seconds_total", CV_THROTTLED);
	family(b, "scx_slo_cgroup_throttled_periods_total", "counter",
	       "cpu.max periods in which the cgroup used up its quota and was throttled; only cgroups that ran under a limit.");
	cg_series(b, cs, "scx_slo_cgroup_throttled_periods_total", CV_THROTTLED_PERIODS);
}

/* ---- the cgroup walk ---------------------------------------------------------------- */

static void render_walk(struct sbuf *b, const struct slo_metrics_snapshot *s)
{
	const struct slo_metrics_walk *w = &s->walk;

	if (!w->valid)
		return;
	family(b, "scx_slo_cgroup_walk_pass_seconds", "gauge",
	       "Time the last pass spent walking the cgroup hierarchy (it visits a bounded number of cgroups per pass).");
	sb_printf(b, "scx_slo_cgroup_walk_pass_seconds %.6f\n", w->pass_seconds);
	family(b, "scx_slo_cgroup_walk_cgroups", "gauge",
	       "Cgroups the last complete walk of the hierarchy visited.");
	sb_printf(b, "scx_slo_cgroup_walk_cgroups %" PRIu64 "\n", w->cgroups);
	family(b, "scx_slo_cgroup_walk_passes", "gauge",
	       "Passes (one a second) the last complete walk took: more than 1 when the hierarchy has more cgroups than a pass visits.");
	sb_printf(b, "scx_slo_cgroup_walk_passes %u\n", w->passes);
	family(b, "scx_slo_cgroup_walk_skipped", "gauge",
	       "Cgroups the last complete walk did not enter, with all below them: path longer than PATH_MAX, or too deep.");
	sb_printf(b, "scx_slo_cgroup_walk_skipped{reason=\"path_too_long\"} %" PRIu64 "\n", w->too_long);
	sb_printf(b, "scx_slo_cgroup_walk_skipped{reason=\"too_deep\"} %" PRIu64 "\n", w->too_deep);
}

/* ---- entry point ------------------------------------------------------------------- */

int slo_metrics_render(const struct slo_metrics_snapshot *s, size_t max_cgroups,
		       char **buf, size_t *len)
{
	struct sbuf b = {};
	struct cg_set cs;
	int ret;

	if (!s || !buf || !len)
		return -EINVAL;
	ret = cg_set_build(&cs, s, max_cgroups);
	if (ret) {
		cg_set_free(&cs);
		return ret;
	}
	render_globals(&b, s, cs.tracked);
	render_exits(&b, s);
	render_config(&b, s->config);
	render_walk(&b, s);
	render_domains(&b, s);
	render_cgroups(&b, &cs);
	cg_set_free(&cs);
	if (!b.err && !b.p)
		sb_reserve(&b, 0);
	if (b.err) {
		free(b.p);
		return b.err;
	}
	*buf = b.p;
	*len = b.len;
	return 0;
}
