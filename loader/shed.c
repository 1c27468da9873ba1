// SPDX-License-Identifier: GPL-2.0
/*
 * The shed controller (shed.h).  The loader's thread is the only writer:
 * each update builds a new table, sorted by path, from the previous one
 * and the samples, and swaps it in under the lock; readers search the
 * table in force under the same lock and copy out what they need, so the
 * HTTP thread never waits for more than a pointer swap.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shed.h"

/* A cgroup's controller state; immutable once its table is published. */
struct shed_entry {
	char *path;
	uint64_t runs, misses, nr_throttled;	/* cumulative, as last seen */
	uint64_t bursts, burst_ns, burst_wait_ns, late_bursts;
	uint64_t hist[SLO_DELAY_BUCKETS];
	double bursts_since;			/* the burst counters' window opened */
	bool primed;				/* a previous sample to diff against */
	double level, trend;			/* Holt's smoothing of the miss ratio */
	double predicted;			/* one interval ahead: level + trend */
	double miss_ratio;			/* the last interval's */
	double p99_s;
	double budget_s;
	unsigned int over_streak;
	double probability;
	double late_burst_ratio;		/* the last burst window's */
	double in_flight;			/* mean bursts in flight, the last window */
	unsigned int limit;			/* concurrency limit; 0: none */
	unsigned int limit_streak;		/* overloaded windows towards a cut */
	const char *reason;
	const struct slo_shed_sample *src;	/* during an update only */
};

struct shed_table {
	struct shed_entry *entries;
	size_t n;
	double updated;			/* monotonic seconds */
};

struct slo_shed {
	struct slo_shed_params p;
	slo_shed_busy_fn cgroup_busy;	/* NULL: the node's fraction for all */
	void *cgroup_busy_ctx;
	pthread_mutex_t lock;
	struct shed_table *cur;		/* swapped under lock; NULL before the first */
};

/*
 * Holt's double exponential smoothing of the miss ratio: the level weighs
 * the newest interval by half (it follows a step within two), the trend
 * by a fifth (a single noisy interval barely tilts it).  Simulated over
 * 100000 intervals of a uniformly random 0-0.9% miss ratio, the prediction
 * never stayed above a 1% target two intervals in a row.
 */
#define LEVEL_WEIGHT	0.5
#define TREND_WEIGHT	0.2

void slo_shed_params_default(struct slo_shed_params *p, double target_miss_ratio,
			     double interval_s)
{
	*p = (struct slo_shed_params){
		.target_miss_ratio = target_miss_ratio,
		.interval_s = interval_s,
		/* a main-loop pass that runs long must not turn shedding off */
		.stale_after_s = 3 * interval_s > SLO_SHED_STALE_MIN_S ? 3 * interval_s
								     : SLO_SHED_STALE_MIN_S,
		.min_runs = SLO_SHED_MIN_RUNS,
		.sustain = SLO_SHED_SUSTAIN,
		.busy_threshold = SLO_SHED_BUSY_THRESHOLD,
		.max_decrease = SLO_SHED_MAX_DECREASE,
		.increase = SLO_SHED_INCREASE,
		.max_probability = SLO_SHED_MAX_PROBABILITY,
	};
}

int slo_shed_parse_target(const char *s, double *out, const char **why)
{
	char *end;
	double v;

	if (!s || !*s || *s == ' ' || *s == '+' || *s == '-') {
		*why = "expected a ratio such as 1% or 0.01";
		return -1;
	}
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v)) {
		*why = "expected a ratio such as 1% or 0.01";
		return -1;
	}
	if (*end == '%' && !end[1]) {
		v /= 100;
	} else if (*end) {
		*why = "expected a ratio such as 1% or 0.01";
		return -1;
	}
	if (v <= 0 || v > 0.5) {
		*why = "must be above 0 and at most 50%";
		return -1;
	}
	*out = v;
	return 0;
}

struct slo_shed *slo_shed_new(const struct slo_shed_params *p)
{
	struct slo_shed *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->p = *p;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

static void table_free(struct shed_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		free(t->entries[i].path);
	free(t->entries);
	free(t);
}

void slo_shed_free(struct slo_shed *s)
{
	if (!s)
		return;
	table_free(s->cur);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct shed_entry *)a)->path, ((const struct shed_entry *)b)->path);
}

static const struct shed_entry *find(const struct shed_table *t, const char *path)
{
	struct shed_entry key = { .path = (char *)path };

	if (!t || !t->n)
		return NULL;
	return bsearch(&key, t->entries, t->n, sizeof(*t->entries), cmp_entry);
}

/* Upper edge of the bucket holding the 99th percentile of @d (@runs of them). */
static double p99_seconds(const uint64_t *d, uint64_t runs)
{
	uint64_t want = runs - runs / 100, cum = 0;
	int k;

	for (k = 0; k < SLO_DELAY_BUCKETS; k++) {
		cum += d[k];
		if (cum >= want)
			return (double)((uint64_t)1 << k) / 1e6;
	}
	return (double)((uint64_t)1 << (SLO_DELAY_BUCKETS - 1)) / 1e6;
}

void slo_shed_set_cgroup_busy(struct slo_shed *s, slo_shed_busy_fn fn, void *ctx)
{
	s->cgroup_busy = fn;
	s->cgroup_busy_ctx = ctx;
}

/*
 * The concurrency limit's AIMD step (shed.h) for a window of @secs with
 * @bursts ended, @burst_ns and @wait_ns their total and waiting times;
 * @over and @calm as for the probability, on the late bursts.
 */
static void step_limit(const struct slo_shed_params *p, struct shed_entry *e, bool over,
		       bool calm, uint64_t bursts, uint64_t burst_ns, uint64_t wait_ns,
		       double secs)
{
	double rate, run_s, little, used;
	unsigned int fit, floor_n;

	e->limit_streak = over ? e->limit_streak + 1 : 0;
	if (over && e->limit_streak >= p->sustain && bursts && secs > 0) {
		/* like the probability's cut: the backlog drains before the next */
		e->limit_streak = 0;
		/* a limit that does not bind is not what makes requests wait */
		if (e->limit && e->in_flight < e->limit / 2.0)
			return;
		rate = (double)bursts / secs;
		run_s = (double)(burst_ns > wait_ns ? burst_ns - wait_ns : 0) / 1e9 / (double)bursts;
		/*
		 * N requests sharing the X c CPUs the cgroup keeps busy each
		 * spend N / X in all, N / X - c of it waiting: at most B for
		 * N = X (c + B).  Fewer than X c cannot share, and a cut
		 * below that only idles CPUs it had.
		 */
		little = rate * (run_s + e->budget_s);
		used = rate * run_s;
		fit = little < 1 ? 1 : little > 1e6 ? 1000000 : (unsigned int)little;
		/* 1e-6: the float rounding of exactly one CPU must not make it 2 */
		floor_n = used < 1 ? 1 : used > 1e6 ? 1000000 : (unsigned int)ceil(used - 1e-6);
		if (e->limit && e->limit - 1 < fit)
			fit = e->limit - 1;
		if (fit < floor_n)
			fit = floor_n;
		e->limit = fit;
	} else if (calm && e->limit) {
		e->limit++;
		if (e->limit > 2 * (unsigned int)ceil(e->in_flight) + 2)
			e->limit = 0;
	}
}

/* A new burst window from @smp's counters, at @now. */
static void open_burst_window(struct shed_entry *e, const struct slo_shed_sample *smp, double now)
{
	e->bursts_since = now;
	e->bursts = smp->bursts;
	e->burst_ns = smp->burst_ns;
	e->burst_wait_ns = smp->burst_wait_ns;
	e->late_bursts = smp->late_bursts;
}

/* Advance @e by one interval whose cumulative counters are @smp, seen at @now. */
static void step(const struct slo_shed *s, struct shed_entry *e,
		 const struct slo_shed_sample *smp, double node_busy, double now)
{
	const struct slo_shed_params *p = &s->p;
	uint64_t d[SLO_DELAY_BUCKETS];
	uint64_t runs, misses, bursts, late, burst_ns, wait_ns;
	double prev_level = e->level, admitted, secs, ratio, late_ratio;
	bool over, calm, limit_over, evidence, window;
	int k;

	e->budget_s = (double)smp->budget_ns / 1e9;
	/* counters that went back: the scheduler restarted, start over */
	if (!e->primed || smp->runs < e->runs || smp->misses < e->misses ||
	    smp->bursts < e->bursts || smp->late_bursts < e->late_bursts ||
	    smp->burst_ns < e->burst_ns || smp->burst_wait_ns < e->burst_wait_ns) {
		e->primed = true;
		e->limit = 0;
		open_burst_window(e, smp, now);
		goto remember;
	}
	runs = smp->runs - e->runs;
	misses = smp->misses - e->misses;
	/*
	 * Bursts are counted over a window of intervals that closes once
	 * it holds min_runs of them (or after SLO_SHED_BURST_WINDOW_S, as no
	 * load): a service of 25 requests a second ends 6 bursts in a 250 ms
	 * interval, which alone would never be evidence.  Until the window
	 * closes, the limit holds and the bursts add nothing to the ratio.
	 */
	bursts = smp->bursts - e->bursts;
	secs = now - e->bursts_since;
	window = bursts >= p->min_runs || secs >= SLO_SHED_BURST_WINDOW_S;
	late = smp->late_bursts - e->late_bursts;
	burst_ns = smp->burst_ns - e->burst_ns;
	wait_ns = smp->burst_wait_ns - e->burst_wait_ns;
	for (k = 0; k < SLO_DELAY_BUCKETS; k++)
		d[k] = smp->delay_hist[k] >= e->hist[k] ? smp->delay_hist[k] - e->hist[k] : 0;

	if (runs >= p->min_runs) {
		e->miss_ratio = (double)misses / (double)runs;
		e->p99_s = p99_seconds(d, runs);
	} else {
		/* too few runs to judge: as good as no load */
		e->miss_ratio = 0;
		e->p99_s = 0;
	}
	late_ratio = 0;
	if (window) {
		e->late_burst_ratio = bursts >= p->min_runs ? (double)late / (double)bursts : 0;
		e->in_flight = secs > 0 ? (double)burst_ns / 1e9 / secs : 0;
		/*
		 * Late bursts count only while more than one is in flight:
		 * one request at a time waits for nobody of its own but for
		 * other work, which neither turning its requests away nor a
		 * limit on them removes.  (Under the emulator, the proxy's own
		 * CPU made 10-20% of a lone request's bursts late at half
		 * load, and shedding on them only fed on itself.)
		 */
		if (e->in_flight > 1)
			late_ratio = e->late_burst_ratio;
	}
	ratio = e->miss_ratio > late_ratio ? e->miss_ratio : late_ratio;
	evidence = runs >= p->min_runs || (window && bursts >= p->min_runs);
	e->level = LEVEL_WEIGHT * ratio + (1 - LEVEL_WEIGHT) * (e->level + e->trend);
	e->trend = TREND_WEIGHT * (e->level - prev_level) + (1 - TREND_WEIGHT) * e->trend;
	e->predicted = e->level + e->trend;
	if (e->predicted < 0)
		e->predicted = 0;

	/*
	 * The interval itself must be past half the target too: the level
	 * lags a burst that is already drained, and CoDel acts only on a
	 * queue that stands in every interval.
	 */
	over = evidence && e->predicted > p->target_miss_ratio && ratio > p->target_miss_ratio / 2;
	/* the limit acts on the bursts alone: what it changes is how many share the CPUs */
	limit_over = window && bursts >= p->min_runs && late_ratio > p->target_miss_ratio;
	/*
	 * Idle CPUs it may run on and no cpu.max throttling: the scheduler
	 * can still run the queued work by itself, so no shedding however
	 * the queue looks.  The CPUs are the cgroup's own when their busy
	 * fraction is known (its cpuset), else the node's.
	 */
	if ((over || limit_over) && smp->nr_throttled <= e->nr_throttled) {
		double busy = s->cgroup_busy ? s->cgroup_busy(s->cgroup_busy_ctx, e->path) : -1;
		bool saturated;

		if (busy < 0)
			busy = node_busy;
		saturated = busy < 0 || busy >= p->busy_threshold;
		over = over && saturated;
		limit_over = limit_over && saturated;
	}
	if (window) {
		step_limit(p, e, limit_over, !limit_over && late_ratio < p->target_miss_ratio / 2,
			   bursts, burst_ns, wait_ns, secs);
		open_burst_window(e, smp, now);
	}
	calm = !over && e->predicted < p->target_miss_ratio / 2;
	e->over_streak = over ? e->over_streak + 1 : 0;

	admitted = 1 - e->probability;
	if (over && e->over_streak >= p->sustain) {
		/* Breakwater's cut: the further over the target, the deeper */
		double cut = (e->predicted - p->target_miss_ratio) / e->predicted;

		if (cut > p->max_decrease)
			cut = p->max_decrease;
		admitted *= 1 - cut;
		e->reason = ratio > p->target_miss_ratio ? "misses" : "queueing";
		/*
		 * The next cut needs its own `sustain` intervals.  Arrivals
		 * fall at once, but the backlog the overload built drains
		 * only after that, and misses go on while it does: cutting
		 * again in every one of those intervals compounds one
		 * overload into several cuts (at 1.5x the capacity the
		 * benchmark's signal went from 0 to 0.94 in a second, where
		 * a third would do) and then takes the slow increase many
		 * seconds to give back.
		 */
		e->over_streak = 0;
	} else if (calm && admitted < 1) {
		admitted += p->increase * p->interval_s;
		e->reason = "recovering";
	} else if (!e->probability) {
		e->reason = "ok";
	}
	if (admitted >= 1) {
		admitted = 1;
		e->reason = "ok";
	}
	if (admitted < 1 - p->max_probability)
		admitted = 1 - p->max_probability;
	e->probability = 1 - admitted;
	/* floating-point remains of the additive steps */
	if (e->probability < 1e-9) {
		e->probability = 0;
		e->reason = "ok";
	}
remember:
	e->runs = smp->runs;
	e->misses = smp->misses;
	e->nr_throttled = smp->nr_throttled;
	memcpy(e->hist, smp->delay_hist, sizeof(e->hist));
}

int slo_shed_update(struct slo_shed *s, double now, const struct slo_shed_sample *samples,
		    size_t n, double node_busy)
{
	struct shed_table *t, *old;
	size_t i, out;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->entries = calloc(n ? n : 1, sizeof(*t->entries));
	if (!t->entries) {
		free(t);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		t->entries[i].src = &samples[i];
		t->entries[i].path = strdup(samples[i].path);
		if (!t->entries[i].path) {
			t->n = i;
			table_free(t);
			return -ENOMEM;
		}
	}
	t->n = n;
	qsort(t->entries, n, sizeof(*t->entries), cmp_entry);
	/* a path given twice: one of its samples counts */
	for (i = 1, out = n ? 1 : 0; i < n; i++) {
		if (!strcmp(t->entries[i].path, t->entries[out - 1].path)) {
			free(t->entries[i].path);
			continue;
		}
		t->entries[out++] = t->entries[i];
	}
	t->n = out;
	t->updated = now;

	/* only this thread swaps s->cur: reading it here needs no lock */
	for (i = 0; i < t->n; i++) {
		struct shed_entry *e = &t->entries[i];
		const struct shed_entry *was = find(s->cur, e->path);
		const struct slo_shed_sample *smp = e->src;
		char *path = e->path;

		if (was) {
			*e = *was;
			e->path = path;
		} else {
			e->reason = "ok";
		}
		step(s, e, smp, node_busy, now);
		e->src = NULL;
	}

	pthread_mutex_lock(&s->lock);
	old = s->cur;
	s->cur = t;
	pthread_mutex_unlock(&s->lock);
	table_free(old);
	return 0;
}

void slo_shed_lookup(struct slo_shed *s, const char *path, double now, struct slo_shed_answer *a)
{
	const struct shed_entry *e;
	double updated = 0;
	bool have_table;

	memset(a, 0, sizeof(*a));
	a->reason = "unknown";
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	have_table = s->cur != NULL;
	e = find(s->cur, path);
	if (have_table)
		updated = s->cur->updated;
	if (e) {
		a->known = true;
		a->probability = e->probability;
		a->reason = e->reason;
		a->miss_ratio = e->miss_ratio;
		a->delay_p99_s = e->p99_s;
		a->budget_s = e->budget_s;
		a->late_burst_ratio = e->late_burst_ratio;
		a->in_flight = e->in_flight;
		a->concurrency_limit = e->limit;
	}
	pthread_mutex_unlock(&s->lock);

	if (!have_table)
		return;
	a->age_s = now - updated;
	if (a->age_s < 0)
		a->age_s = 0;
	a->ttl_s = s->p.stale_after_s - a->age_s;
	if (a->ttl_s <= 0) {
		a->ttl_s = 0;
		a->stale = true;
		a->probability = 0;
		a->concurrency_limit = 0;
		a->reason = "stale";
	}
	/* the time the admitted fraction takes to climb back, at most the cap */
	a->retry_after_s = (unsigned int)ceil(a->probability / s->p.increase);
	if (a->retry_after_s < 1)
		a->retry_after_s = 1;
	if (a->retry_after_s > SLO_SHED_RETRY_AFTER_MAX_S)
		a->retry_after_s = SLO_SHED_RETRY_AFTER_MAX_S;
}

/* FNV-1a, then a finaliser so that short keys spread over the whole range */
static uint64_t key_hash(const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *key; key++) {
		h ^= (unsigned char)*key;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static uint64_t random_u64(void)
{
	static __thread uint64_t state;

	if (!state) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		state = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
			(uint64_t)(uintptr_t)&state;
		if (!state)
			state = 1;
	}
	/* xorshift64* */
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dULL;
}

bool slo_shed_decide(const struct slo_shed_answer *a, const char *key)
{
	uint64_t draw;

	if (!a->known || a->stale || a->probability <= 0)
		return false;
	draw = key ? key_hash(key) : random_u64();
	/* the top 53 bits as a uniform double in [0, 1) */
	return (double)(draw >> 11) / 9007199254740992.0 < a->probability;
}

/* busy and total jiffies of one /proc/stat cpu line's values; false if too few */
static bool cpu_line_times(const char *vals, struct slo_cpu_times *t)
{
	unsigned long long v[10] = { 0 };
	uint64_t total = 0;
	int n, i;

	n = sscanf(vals, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
	if (n < 4)
		return false;
	/* guest time is already in user and nice; idle and iowait are not busy */
	for (i = 0; i < 8 && i < n; i++)
		total += v[i];
	t->total = total;
	t->busy = total - v[3] - (n > 4 ? v[4] : 0);
	return true;
}

/* the busy fraction from @prev to @now, -1 without a previous read; @prev := @now */
static double interval_frac(struct slo_cpu_times *prev, const struct slo_cpu_times *now)
{
	double frac = -1;

	if (prev->total && now->total > prev->total && now->busy >= prev->busy)
		frac = (double)(now->busy - prev->busy) / (double)(now->total - prev->total);
	*prev = *now;
	return frac;
}

static int grow_cpus(struct slo_cpu_busy *b, int nr)
{
	struct slo_cpu_times *cpu;
	double *frac;
	int i;

	cpu = realloc(b->cpu, (size_t)nr * sizeof(*cpu));
	if (!cpu)
		return -ENOMEM;
	b->cpu = cpu;
	frac = realloc(b->frac, (size_t)nr * sizeof(*frac));
	if (!frac)
		return -ENOMEM;
	b->frac = frac;
	for (i = b->nr; i < nr; i++) {
		b->cpu[i] = (struct slo_cpu_times){ 0 };
		b->frac[i] = -1;
	}
	b->nr = nr;
	return 0;
}

double slo_cpu_busy_read(const char *path, struct slo_cpu_busy *b)
{
	struct slo_cpu_times t;
	bool have_node = false;
	char line[512];
	FILE *f;
	int i;

	for (i = 0; i < b->nr; i++)
		b->frac[i] = -1;
	b->node_frac = -1;
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *end;
		long id;

		if (strncmp(line, "cpu", 3))
			break;	/* the cpu lines come first */
		if (line[3] == ' ') {
			if (cpu_line_times(line + 3, &t)) {
				b->node_frac = interval_frac(&b->node, &t);
				have_node = true;
			}
			continue;
		}
		id = strtol(line + 3, &end, 10);
		/* an offline CPU has no line: its fraction stays unknown */
		if (end == line + 3 || *end != ' ' || id < 0 || id >= 65536 ||
		    !cpu_line_times(end, &t))
			continue;
		if (id >= b->nr && grow_cpus(b, (int)id + 1))
			continue;
		b->frac[id] = interval_frac(&b->cpu[id], &t);
	}
	fclose(f);
	return have_node ? b->node_frac : -1;
}

void slo_cpu_busy_free(struct slo_cpu_busy *b)
{
	free(b->cpu);
	free(b->frac);
	*b = (struct slo_cpu_busy){ 0 };
}

double slo_cpu_busy_of(const struct slo_cpu_busy *b, const char *cpulist)
{
	const char *c = cpulist;
	double sum = 0;
	int known = 0;

	while (*c && *c != '\n') {
		char *end;
		long lo, hi, i;

		lo = strtol(c, &end, 10);
		if (end == c || lo < 0)
			return -1;
		hi = lo;
		if (*end == '-') {
			c = end + 1;
			hi = strtol(c, &end, 10);
			if (end == c || hi < lo)
				return -1;
		}
		for (i = lo; i <= hi && i < b->nr; i++) {
			if (b->frac[i] >= 0) {
				sum += b->frac[i];
				known++;
			}
		}
		c = end;
		if (*c == ',')
			c++;
		else if (*c && *c != '\n')
			return -1;
	}
	return known ? sum / known : -1;
}
