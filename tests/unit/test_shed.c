// SPDX-License-Identifier: GPL-2.0
/*
 * The shed controller (loader/shed.c) driven with synthetic per-interval
 * series: steady load under the target never sheds, a sustained step
 * overload does within a few intervals and a one-interval burst does not,
 * recovery is slow and complete, values inside the hysteresis band do not
 * move the probability, idle CPUs veto shedding, a stale or unknown signal
 * admits, keyed decisions are deterministic, and the target parser; late
 * bursts (processor sharing) shed where late starts do not, and the
 * concurrency limit's AIMD on Little's law.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "shed.h"

#define BUDGET_NS	(10ULL * 1000 * 1000)	/* 10 ms */
#define RUNS		1000			/* per interval */
#define FAST_BUCKET	10			/* [512us, 1ms): well within the budget */
#define SLOW_BUCKET	16			/* [32ms, 64ms): a miss */

/* One synthetic cgroup: cumulative counters, as the scheduler keeps them. */
struct series {
	struct slo_shed *shed;
	struct slo_shed_sample smp;
	double now;
};

static void series_init(struct series *s)
{
	struct slo_shed_params p;

	memset(s, 0, sizeof(*s));
	slo_shed_params_default(&p, 0.01, 1.0);
	s->shed = slo_shed_new(&p);
	assert_non_null(s->shed);
	s->smp.path = "/web";
	s->smp.budget_ns = BUDGET_NS;
	s->now = 100;
}

/* One interval: @runs runs of which @misses missed; returns the probability. */
static double tick_busy(struct series *s, uint64_t runs, uint64_t misses, double busy)
{
	struct slo_shed_answer a;

	s->smp.runs += runs;
	s->smp.misses += misses;
	s->smp.delay_hist[FAST_BUCKET] += runs - misses;
	s->smp.delay_hist[SLOW_BUCKET] += misses;
	s->now += 1.0;
	assert_int_equal(slo_shed_update(s->shed, s->now, &s->smp, 1, busy), 0);
	slo_shed_lookup(s->shed, "/web", s->now, &a);
	assert_true(a.known);
	assert_false(a.stale);
	return a.probability;
}

static double tick(struct series *s, uint64_t misses)
{
	return tick_busy(s, RUNS, misses, 1.0);
}

/* Misses per RUNS for a miss ratio of @ratio. */
#define PER_1000(ratio)	((uint64_t)((ratio) * RUNS + 0.5))

static void test_steady_under_target(void **state)
{
	struct series s;
	unsigned int i, k, false_sheds = 0;
	char key[32];

	(void)state;
	series_init(&s);
	srand(1);
	/* 0 to 0.9% misses, saturated node: under the 1% target, for 10 minutes */
	for (i = 0; i < 600; i++) {
		double p = tick(&s, (uint64_t)(rand() % 10));
		struct slo_shed_answer a;

		slo_shed_lookup(s.shed, "/web", s.now, &a);
		for (k = 0; k < 20; k++) {
			snprintf(key, sizeof(key), "req-%u-%u", i, k);
			false_sheds += slo_shed_decide(&a, key);
			false_sheds += slo_shed_decide(&a, NULL);
		}
		if (p != 0)
			fail_msg("interval %u: shed probability %.3f under the target", i, p);
	}
	assert_int_equal(false_sheds, 0);
	slo_shed_free(s.shed);
}

static void test_step_overload(void **state)
{
	struct slo_shed_answer a;
	struct series s;
	double p[6];
	int i;

	(void)state;
	series_init(&s);
	for (i = 0; i < 10; i++)
		assert_true(tick(&s, 0) == 0);
	for (i = 0; i < 6; i++)
		p[i] = tick(&s, PER_1000(0.20));
	/* the first overloaded interval is not yet a standing queue */
	assert_true(p[0] == 0);
	assert_true(p[1] > 0);
	/* the interval after a cut does not cut again: the cut must show first */
	assert_true(p[2] == p[1]);
	assert_true(p[3] >= 0.5);
	assert_true(p[3] > p[2]);
	for (i = 2; i < 6; i++)
		assert_true(p[i] >= p[i - 1]);
	slo_shed_lookup(s.shed, "/web", s.now, &a);
	assert_string_equal(a.reason, "misses");
	assert_true(a.miss_ratio > 0.19 && a.miss_ratio < 0.21);
	assert_true(a.delay_p99_s > BUDGET_NS / 1e9);
	assert_true(fabs(a.budget_s - 0.01) < 1e-9);
	assert_true(a.retry_after_s >= 1 && a.retry_after_s <= SLO_SHED_RETRY_AFTER_MAX_S);
	slo_shed_free(s.shed);
}

static void test_burst_not_shed(void **state)
{
	struct series s;
	int i;

	(void)state;
	series_init(&s);
	for (i = 0; i < 5; i++)
		tick(&s, 0);
	/* one interval of heavy misses that EDF drains by the next */
	assert_true(tick(&s, PER_1000(0.5)) == 0);
	for (i = 0; i < 10; i++)
		if (tick(&s, 0) != 0)
			fail_msg("a one-interval burst made the cgroup shed %d intervals later", i);
	slo_shed_free(s.shed);
}

static void test_recovery_slow_and_complete(void **state)
{
	struct slo_shed_answer a;
	struct series s;
	double p, prev;
	int i;

	(void)state;
	series_init(&s);
	for (i = 0; i < 20; i++)
		p = tick(&s, PER_1000(0.5));
	assert_true(fabs(p - SLO_SHED_MAX_PROBABILITY) < 1e-9);
	prev = p;
	for (i = 0; i < 40 && prev > 0; i++) {
		p = tick(&s, 0);
		/* slow increase of the admitted fraction: one step at most */
		assert_true(p <= prev);
		assert_true(prev - p <= SLO_SHED_INCREASE + 1e-9);
		slo_shed_lookup(s.shed, "/web", s.now, &a);
		if (p < prev)
			assert_string_equal(a.reason, p > 0 ? "recovering" : "ok");
		prev = p;
	}
	assert_true(prev == 0);
	/* 0.95 at 0.05 an interval, after the EWMA forgets the overload */
	assert_true(i >= (int)(SLO_SHED_MAX_PROBABILITY / SLO_SHED_INCREASE));
	assert_true(i <= (int)(SLO_SHED_MAX_PROBABILITY / SLO_SHED_INCREASE) + 4);
	slo_shed_free(s.shed);
}

static void test_hysteresis(void **state)
{
	struct series s;
	double p, held;
	int i;

	(void)state;
	series_init(&s);
	for (i = 0; i < 4; i++)
		p = tick(&s, PER_1000(0.015));
	assert_true(p > 0);
	/* between half the target and the target, alternating: the probability holds */
	for (i = 0; i < 11; i++)
		tick(&s, PER_1000(0.008));
	held = tick(&s, PER_1000(0.008));
	/* held below the cap, so that it could move either way */
	assert_true(held > 0 && held < SLO_SHED_MAX_PROBABILITY);
	for (i = 0; i < 100; i++) {
		p = tick(&s, i % 2 ? PER_1000(0.006) : PER_1000(0.009));
		if (p != held)
			fail_msg("interval %d inside the band moved the probability %.4f -> %.4f", i,
				 held, p);
	}
	slo_shed_free(s.shed);
}

static void test_scheduler_can_fix_it(void **state)
{
	struct series s;
	int i;

	(void)state;
	series_init(&s);
	/* misses while a third of the node is idle: not for the proxy to fix */
	for (i = 0; i < 20; i++)
		assert_true(tick_busy(&s, RUNS, PER_1000(0.3), 0.6) == 0);
	/* the same with the cgroup at its cpu.max: the scheduler cannot help */
	s.smp.nr_throttled++;
	tick_busy(&s, RUNS, PER_1000(0.3), 0.6);
	s.smp.nr_throttled++;
	assert_true(tick_busy(&s, RUNS, PER_1000(0.3), 0.6) > 0);
	slo_shed_free(s.shed);
}

static void test_few_runs_no_evidence(void **state)
{
	struct series s;
	int i;

	(void)state;
	series_init(&s);
	for (i = 0; i < 20; i++)
		assert_true(tick_busy(&s, SLO_SHED_MIN_RUNS - 1, 5, 1.0) == 0);
	slo_shed_free(s.shed);
}

static void test_stale_and_unknown_admit(void **state)
{
	struct slo_shed_answer a;
	struct series s;
	unsigned int k, shed = 0;
	char key[32];
	int i;

	(void)state;
	series_init(&s);
	for (i = 0; i < 10; i++)
		tick(&s, PER_1000(0.5));
	slo_shed_lookup(s.shed, "/web", s.now + 2.9, &a);
	assert_false(a.stale);
	assert_true(a.probability > 0.9);
	assert_true(fabs(a.ttl_s - 0.1) < 1e-6);
	/* the loader stopped feeding it */
	slo_shed_lookup(s.shed, "/web", s.now + 3.01, &a);
	assert_true(a.stale);
	assert_true(a.probability == 0);
	assert_true(a.ttl_s == 0);
	assert_string_equal(a.reason, "stale");
	for (k = 0; k < 1000; k++) {
		snprintf(key, sizeof(key), "%u", k);
		shed += slo_shed_decide(&a, key) + slo_shed_decide(&a, NULL);
	}
	assert_int_equal(shed, 0);

	slo_shed_lookup(s.shed, "/nope", s.now, &a);
	assert_false(a.known);
	assert_string_equal(a.reason, "unknown");
	assert_false(slo_shed_decide(&a, NULL));
	/* no table at all, and no controller at all */
	slo_shed_free(s.shed);
	series_init(&s);
	slo_shed_lookup(s.shed, "/web", s.now, &a);
	assert_string_equal(a.reason, "unknown");
	assert_false(slo_shed_decide(&a, NULL));
	slo_shed_lookup(NULL, "/web", s.now, &a);
	assert_string_equal(a.reason, "unknown");
	/* a cgroup gone from the samples is unknown again */
	tick(&s, 0);
	assert_int_equal(slo_shed_update(s.shed, s.now + 1, NULL, 0, 1.0), 0);
	slo_shed_lookup(s.shed, "/web", s.now + 1, &a);
	assert_false(a.known);
	slo_shed_free(s.shed);
}

static void test_keyed_decisions(void **state)
{
	struct slo_shed_answer a = { .known = true, .probability = 0.3, .reason = "misses" };
	unsigned int k, shed = 0, random_shed = 0;
	char key[32];

	(void)state;
	for (k = 0; k < 20000; k++) {
		bool d;

		snprintf(key, sizeof(key), "client-%u", k);
		d = slo_shed_decide(&a, key);
		assert_true(d == slo_shed_decide(&a, key));
		shed += d;
		random_shed += slo_shed_decide(&a, NULL);
	}
	assert_true(fabs(shed / 20000.0 - 0.3) < 0.02);
	assert_true(fabs(random_shed / 20000.0 - 0.3) < 0.02);
	/* a key shed at p stays shed at any higher p */
	for (k = 0; k < 1000; k++) {
		struct slo_shed_answer hi = a;

		hi.probability = 0.6;
		snprintf(key, sizeof(key), "client-%u", k);
		if (slo_shed_decide(&a, key))
			assert_true(slo_shed_decide(&hi, key));
	}
}

static void test_counter_reset(void **state)
{
	struct series s;
	int i;

	(void)state;
	series_init(&s);
	for (i = 0; i < 5; i++)
		tick(&s, 0);
	/* the scheduler restarted: counters start again from 0 */
	memset(s.smp.delay_hist, 0, sizeof(s.smp.delay_hist));
	s.smp.runs = s.smp.misses = 0;
	for (i = 0; i < 5; i++)
		assert_true(tick(&s, 0) == 0);
	slo_shed_free(s.shed);
}

/*
 * One interval of a thread-per-request service: @runs runs, none late at
 * its start, and @bursts requests of @burst_ms each, @wait_ms of it
 * waiting, @late of them over the budget.  Returns the answer.
 */
static struct slo_shed_answer tick_bursts(struct series *s, uint64_t bursts, uint64_t late,
					  double burst_ms, double wait_ms, double busy)
{
	struct slo_shed_answer a;

	s->smp.runs += 4 * bursts;
	s->smp.delay_hist[FAST_BUCKET] += 4 * bursts;
	s->smp.bursts += bursts;
	s->smp.late_bursts += late;
	s->smp.burst_ns += (uint64_t)((double)bursts * burst_ms * 1e6);
	s->smp.burst_wait_ns += (uint64_t)((double)bursts * wait_ms * 1e6);
	s->now += 1.0;
	assert_int_equal(slo_shed_update(s->shed, s->now, &s->smp, 1, busy), 0);
	slo_shed_lookup(s->shed, "/web", s->now, &a);
	return a;
}

/*
 * Processor sharing past capacity: every run starts within the budget,
 * but each request waits behind the others for longer than it.  The late
 * bursts alone must shed, and only when the CPUs are saturated.
 */
static void test_late_bursts_shed(void **state)
{
	struct slo_shed_answer a;
	struct series s;
	int i;

	(void)state;
	series_init(&s);
	for (i = 0; i < 10; i++)
		a = tick_bursts(&s, 200, 100, 40, 35, 0.5);
	assert_true(a.late_burst_ratio > 0.49 && a.late_burst_ratio < 0.51);
	assert_true(a.miss_ratio == 0);
	assert_true(a.probability == 0);	/* idle CPUs: the scheduler can fix it */
	assert_int_equal(a.concurrency_limit, 0);
	for (i = 0; i < 3; i++)
		a = tick_bursts(&s, 200, 100, 40, 35, 1.0);
	assert_true(a.probability > 0);
	assert_string_equal(a.reason, "misses");
	slo_shed_free(s.shed);
}

/*
 * The concurrency limit: 1 CPU's worth of 5 ms requests (200 a second)
 * with a 10 ms budget, 8 in flight.  Little's law gives 200 * (5 ms +
 * 10 ms) = 3 after the sustain; overloaded on, it steps down by one a
 * cut, never below the 1 CPU the cgroup keeps busy; calm, it climbs by
 * one an interval and is lifted once it is over twice the bursts in
 * flight plus 2.
 */
static void test_concurrency_limit(void **state)
{
	struct slo_shed_answer a;
	struct series s;
	int i;

	(void)state;
	series_init(&s);
	a = tick_bursts(&s, 200, 0, 5, 0, 1.0);		/* primes */
	a = tick_bursts(&s, 200, 0, 5, 0, 1.0);
	assert_int_equal(a.concurrency_limit, 0);
	assert_true(fabs(a.in_flight - 1.0) < 1e-6);

	a = tick_bursts(&s, 200, 150, 40, 35, 1.0);
	assert_int_equal(a.concurrency_limit, 0);	/* one interval is a burst */
	a = tick_bursts(&s, 200, 150, 40, 35, 1.0);
	assert_int_equal(a.concurrency_limit, 3);
	assert_true(fabs(a.in_flight - 8.0) < 1e-6);
	a = tick_bursts(&s, 200, 150, 40, 35, 1.0);
	assert_int_equal(a.concurrency_limit, 3);	/* the next cut waits its sustain */
	a = tick_bursts(&s, 200, 150, 40, 35, 1.0);
	assert_int_equal(a.concurrency_limit, 2);
	for (i = 0; i < 6; i++)
		a = tick_bursts(&s, 200, 150, 40, 35, 1.0);
	assert_int_equal(a.concurrency_limit, 1);	/* 200 * 5 ms: 1 CPU busy */

	/* late bursts with one or fewer in flight are no evidence: calm */
	a = tick_bursts(&s, 20, 0, 5, 0, 1.0);
	assert_int_equal(a.concurrency_limit, 2);
	a = tick_bursts(&s, 20, 15, 40, 35, 1.0);	/* 0.8 in flight */
	assert_int_equal(a.concurrency_limit, 3);
	/* 2 CPUs busy (400 * 5 ms): one less than 3, then no cut below 2 */
	for (i = 0; i < 3; i++)
		a = tick_bursts(&s, 400, 300, 40, 35, 1.0);
	assert_int_equal(a.concurrency_limit, 2);
	for (i = 0; i < 12; i++)
		a = tick_bursts(&s, 400, 300, 40, 35, 1.0);
	assert_int_equal(a.concurrency_limit, 2);
	a = tick_bursts(&s, 200, 150, 40, 35, 1.0);
	a = tick_bursts(&s, 200, 150, 40, 35, 1.0);
	assert_int_equal(a.concurrency_limit, 1);

	/* within the target but not calm: held */
	a = tick_bursts(&s, 200, 1, 10, 5, 1.0);	/* 2 in flight */
	assert_int_equal(a.concurrency_limit, 1);
	/* calm at half a request in flight: 2, 3, 4, then lifted past 2 * 1 + 2 */
	a = tick_bursts(&s, 100, 0, 5, 0, 1.0);
	assert_int_equal(a.concurrency_limit, 2);
	a = tick_bursts(&s, 100, 0, 5, 0, 1.0);
	assert_int_equal(a.concurrency_limit, 3);
	a = tick_bursts(&s, 100, 0, 5, 0, 1.0);
	assert_int_equal(a.concurrency_limit, 4);
	a = tick_bursts(&s, 100, 0, 5, 0, 1.0);
	assert_int_equal(a.concurrency_limit, 0);

	/* idle CPUs veto it as they veto shedding */
	for (i = 0; i < 6; i++)
		a = tick_bursts(&s, 200, 150, 40, 35, 0.5);
	assert_int_equal(a.concurrency_limit, 0);

	/* a limit in force reads 0 once the signal is stale (fail open) */
	for (i = 0; i < 2; i++)
		a = tick_bursts(&s, 200, 150, 40, 35, 1.0);
	assert_true(a.concurrency_limit > 0);
	slo_shed_lookup(s.shed, "/web", s.now + 10, &a);
	assert_true(a.stale);
	assert_int_equal(a.concurrency_limit, 0);

	/* the scheduler restarted (counters went back): no limit carried over */
	s.smp.bursts = s.smp.late_bursts = s.smp.burst_ns = s.smp.burst_wait_ns = 0;
	a = tick_bursts(&s, 200, 150, 40, 35, 1.0);
	assert_int_equal(a.concurrency_limit, 0);
	slo_shed_free(s.shed);
}

/*
 * A service of 12 requests an interval (min_runs is 20), 200 ms each, 20
 * ms of it running: the bursts are judged over windows of two intervals,
 * so it gets a limit all the same, from the windows' rate (24 per 2 s:
 * Little's N = 12 * (20 ms + 10 ms) is under 1, so 1); a window left open
 * SLO_SHED_BURST_WINDOW_S closes as no load, and calm.  The same late
 * bursts with under one in flight are no evidence at all.  (The shed
 * probability, whose cuts need late intervals in a row, sees bursts only
 * where an interval holds min_runs of them.)
 */
static void test_limit_low_rate(void **state)
{
	struct slo_shed_answer a;
	struct series s;
	int i;

	(void)state;
	series_init(&s);
	a = tick_bursts(&s, 12, 0, 5, 0, 1.0);		/* primes */
	for (i = 0; i < 8; i++)
		a = tick_bursts(&s, 12, 9, 40, 35, 1.0);	/* 0.48 in flight */
	assert_int_equal(a.concurrency_limit, 0);
	assert_true(a.probability == 0);
	assert_true(fabs(a.late_burst_ratio - 0.75) < 1e-6);
	assert_true(fabs(a.in_flight - 0.48) < 1e-6);
	for (i = 0; i < 8 && !a.concurrency_limit; i++)
		a = tick_bursts(&s, 12, 9, 200, 180, 1.0);
	assert_int_equal(a.concurrency_limit, 1);
	assert_int_equal(i, 4);		/* two windows of two intervals: the sustain */
	assert_true(fabs(a.in_flight - 2.4) < 1e-6);
	/* one burst an interval: the window closes after 4 s, no load, calm */
	for (i = 0; i < 3; i++) {
		a = tick_bursts(&s, 1, 1, 40, 35, 1.0);
		assert_int_equal(a.concurrency_limit, 1);
	}
	a = tick_bursts(&s, 1, 1, 40, 35, 1.0);
	assert_int_equal(a.concurrency_limit, 2);
	slo_shed_free(s.shed);
}

static void test_parse_target(void **state)
{
	static const char *bad[] = { "", "0", "0%", "60%", "0.6", "abc", "1%%", "-1%", " 1%",
				     "+1%", "1 %", "nan", "inf", "1e400", "1%x" };
	const char *why = NULL;
	double v;
	size_t i;

	(void)state;
	assert_int_equal(slo_shed_parse_target("1%", &v, &why), 0);
	assert_true(fabs(v - 0.01) < 1e-12);
	assert_int_equal(slo_shed_parse_target("0.5%", &v, &why), 0);
	assert_true(fabs(v - 0.005) < 1e-12);
	assert_int_equal(slo_shed_parse_target("0.02", &v, &why), 0);
	assert_true(fabs(v - 0.02) < 1e-12);
	assert_int_equal(slo_shed_parse_target("50%", &v, &why), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (!slo_shed_parse_target(bad[i], &v, &why))
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(why);
	}
}

static void write_stat(const char *path, const char *cpu_lines)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "%s\nintr 1\nctxt 2\n", cpu_lines);
	fclose(f);
}

static void test_cpu_busy(void **state)
{
	char path[] = "/tmp/test_shed.XXXXXX";
	struct slo_cpu_busy b = { 0 };
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_stat(path, "cpu  100 0 100 800 0 0 0 0 0 0\n"
			 "cpu0 50 0 50 400 0 0 0 0 0 0\n"
			 "cpu2 50 0 50 400 0 0 0 0 0 0");
	assert_true(slo_cpu_busy_read(path, &b) < 0);
	assert_true(slo_cpu_busy_of(&b, "0,2") < 0);
	/* node: +300 busy (user, system, irq), +100 idle; cpu0 all busy, cpu2 half; cpu1 offline */
	write_stat(path, "cpu  300 0 150 900 0 50 0 0 0 0\n"
			 "cpu0 150 0 100 400 0 50 0 0 0 0\n"
			 "cpu2 100 0 50 450 0 0 0 0 0 0");
	assert_true(fabs(slo_cpu_busy_read(path, &b) - 0.75) < 1e-9);
	assert_int_equal(b.nr, 3);
	assert_true(fabs(b.frac[0] - 1.0) < 1e-9);
	assert_true(b.frac[1] < 0);
	assert_true(fabs(b.frac[2] - 0.5) < 1e-9);
	/* cpuset lists as cgroupfs prints them; unknown CPUs do not count */
	assert_true(fabs(slo_cpu_busy_of(&b, "0\n") - 1.0) < 1e-9);
	assert_true(fabs(slo_cpu_busy_of(&b, "0-2\n") - 0.75) < 1e-9);
	assert_true(fabs(slo_cpu_busy_of(&b, "2,0") - 0.75) < 1e-9);
	assert_true(slo_cpu_busy_of(&b, "1") < 0);
	assert_true(slo_cpu_busy_of(&b, "7-9") < 0);
	assert_true(slo_cpu_busy_of(&b, "\n") < 0);
	assert_true(slo_cpu_busy_of(&b, "2-0") < 0);
	assert_true(slo_cpu_busy_of(&b, "0,,2") < 0);
	assert_true(slo_cpu_busy_of(&b, "0 2") < 0);
	assert_true(slo_cpu_busy_of(&b, "-1") < 0);
	/* iowait is not busy */
	write_stat(path, "cpu  300 0 150 900 100 50 0 0 0 0\n"
			 "cpu0 150 0 100 400 100 50 0 0 0 0");
	assert_true(fabs(slo_cpu_busy_read(path, &b)) < 1e-9);
	assert_true(fabs(b.frac[0]) < 1e-9);
	assert_true(b.frac[2] < 0);	/* gone since: unknown, not its old value */
	write_stat(path, "garbage");
	assert_true(slo_cpu_busy_read(path, &b) < 0);
	assert_true(b.frac[0] < 0);
	unlink(path);
	assert_true(slo_cpu_busy_read(path, &b) < 0);
	slo_cpu_busy_free(&b);
	assert_int_equal(b.nr, 0);
}

/* slo_shed_busy_fn answering what the test sets */
static double cgroup_busy_answer;
static int cgroup_busy_asked;

static double cgroup_busy(void *ctx, const char *path)
{
	assert_string_equal((const char *)ctx, "ctx");
	assert_string_equal(path, "/web");
	cgroup_busy_asked++;
	return cgroup_busy_answer;
}

static void test_cgroup_cpus(void **state)
{
	struct series s;
	int i;

	(void)state;
	series_init(&s);
	slo_shed_set_cgroup_busy(s.shed, cgroup_busy, "ctx");
	/* misses with the node saturated but the cgroup's own CPUs not: no shedding */
	cgroup_busy_answer = 0.5;
	for (i = 0; i < 20; i++)
		assert_true(tick_busy(&s, RUNS, PER_1000(0.3), 1.0) == 0);
	assert_true(cgroup_busy_asked > 0);
	/* its own CPUs saturated on an otherwise idle node: shed */
	cgroup_busy_answer = 0.97;
	tick_busy(&s, RUNS, PER_1000(0.3), 0.2);
	assert_true(tick_busy(&s, RUNS, PER_1000(0.3), 0.2) > 0);
	/* unknown: the node's fraction decides (calm first, so the cuts start over) */
	slo_shed_free(s.shed);
	series_init(&s);
	slo_shed_set_cgroup_busy(s.shed, cgroup_busy, "ctx");
	cgroup_busy_answer = -1;
	for (i = 0; i < 5; i++)
		assert_true(tick_busy(&s, RUNS, PER_1000(0.3), 0.5) == 0);
	tick_busy(&s, RUNS, PER_1000(0.3), 0.95);
	assert_true(tick_busy(&s, RUNS, PER_1000(0.3), 0.95) > 0);
	/* a calm cgroup is not asked: the read is for overloaded ones only */
	slo_shed_free(s.shed);
	series_init(&s);
	slo_shed_set_cgroup_busy(s.shed, cgroup_busy, "ctx");
	cgroup_busy_asked = 0;
	for (i = 0; i < 10; i++)
		assert_true(tick_busy(&s, RUNS, 0, 1.0) == 0);
	assert_int_equal(cgroup_busy_asked, 0);
	slo_shed_free(s.shed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_under_target),
		cmocka_unit_test(test_step_overload),
		cmocka_unit_test(test_burst_not_shed),
		cmocka_unit_test(test_recovery_slow_and_complete),
		cmocka_unit_test(test_hysteresis),
		cmocka_unit_test(test_scheduler_can_fix_it),
		cmocka_unit_test(test_few_runs_no_evidence),
		cmocka_unit_test(test_stale_and_unknown_admit),
		cmocka_unit_test(test_keyed_decisions),
		cmocka_unit_test(test_counter_reset),
		cmocka_unit_test(test_late_bursts_shed),
		cmocka_unit_test(test_concurrency_limit),
		cmocka_unit_test(test_limit_low_rate),
		cmocka_unit_test(test_parse_target),
		cmocka_unit_test(test_cpu_busy),
		cmocka_unit_test(test_cgroup_cpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
