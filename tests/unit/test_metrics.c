// SPDX-License-Identifier: GPL-2.0
/* Prometheus rendering of a hand-built snapshot (loader/metrics.c). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "promtool_check.h"

#include "metrics.h"

#define WEIRD_PATH	"/b\"q\\x\ny"		/* /b"q\x<newline>y */
#define WEIRD_LABEL	"/b\\\"q\\\\\\\\x\\\\x0ay"	/* /b\"q\\\\x\\x0ay */

static struct slo_metrics_cgroup cgs[5];
static struct slo_metrics_domain doms[2];
static struct slo_metrics_exit exits[2];
static struct slo_metrics_snapshot snap;
static struct slo_metrics_config cfgm;

static void build(void)
{
	memset(cgs, 0, sizeof(cgs));
	memset(doms, 0, sizeof(doms));

	/* /a: misses 5, runs 100, a spread-out histogram */
	cgs[0].path = "/a";
	cgs[0].budget_ns = 5 * SLO_NSEC_PER_MSEC;
	cgs[0].stats.runs = 100;
	cgs[0].stats.misses = 5;
	cgs[0].stats.lateness_ns = 1500000;		/* 1.5ms */
	cgs[0].stats.delay_ns = 2 * SLO_NSEC_PER_SEC + 250000;
	cgs[0].stats.delay_hist[0] = 10;		/* < 1us */
	cgs[0].stats.delay_hist[3] = 5;			/* [4,8)us */
	cgs[0].stats.delay_hist[4] = 20;		/* [8,16)us */
	cgs[0].stats.delay_hist[5] = 30;		/* [16,32)us */
	cgs[0].stats.delay_hist[20] = 25;		/* [0.52,1.05)s */
	cgs[0].stats.delay_hist[21] = 6;		/* beyond the last le */
	cgs[0].stats.delay_hist[24] = 4;		/* >= 8.4s */
	/* ran under a cpu.max */
	cgs[0].has_bw = true;
	cgs[0].throttled_ns = 1500 * SLO_NSEC_PER_MSEC;
	cgs[0].nr_throttled = 12;

	/* the awkward path: misses 7, most */
	cgs[1].path = WEIRD_PATH;
	cgs[1].budget_ns = 250 * SLO_NSEC_PER_USEC;
	cgs[1].stats.runs = 7;
	cgs[1].stats.misses = 7;
	cgs[1].stats.delay_ns = 7000;
	cgs[1].stats.delay_hist[1] = 7;

	/* /c, /d: no misses, folded into "other" when max_cgroups is 3 */
	cgs[2].path = "/c";
	cgs[2].budget_ns = 100 * SLO_NSEC_PER_MSEC;
	cgs[2].stats.runs = 50;
	cgs[2].stats.delay_ns = 1000000;
	cgs[2].stats.delay_hist[5] = 50;
	cgs[2].has_bw = true;				/* limited, never throttled */
	cgs[3].path = "/d";
	cgs[3].budget_ns = 100 * SLO_NSEC_PER_MSEC;
	cgs[3].stats.runs = 10;
	cgs[3].stats.delay_ns = 10;
	cgs[3].stats.delay_hist[0] = 8;
	cgs[3].stats.delay_hist[22] = 2;
	cgs[3].has_bw = true;
	cgs[3].throttled_ns = 250 * SLO_NSEC_PER_USEC;
	cgs[3].nr_throttled = 3;

	/* /e: ties /a on misses, more runs, so ranks above it */
	cgs[4].path = "/e";
	cgs[4].budget_ns = SLO_NSEC_PER_SEC;
	cgs[4].stats.runs = 200;
	cgs[4].stats.misses = 5;
	cgs[4].stats.delay_ns = 3;
	cgs[4].stats.delay_hist[0] = 200;
	cgs[4].shed_probability = 0.25;
	cgs[4].concurrency_limit = 3;
	cgs[4].stats.bursts = 40;
	cgs[4].stats.late_bursts = 7;
	cgs[4].stats.burst_ns = 2 * SLO_NSEC_PER_SEC;
	cgs[4].stats.burst_wait_ns = 1500 * SLO_NSEC_PER_MSEC;
	cgs[2].shed_probability = 0.5;			/* not summed into "other" */
	cgs[2].concurrency_limit = 2;			/* nor is this */
	cgs[2].stats.bursts = 5;
	cgs[2].stats.late_bursts = 1;
	cgs[3].stats.bursts = 6;
	cgs[3].stats.burst_ns = 3 * SLO_NSEC_PER_MSEC;

	doms[0].id = 1;
	doms[0].node = 1;
	doms[0].nr_cpus = 2;
	doms[0].queue_depth = 3;
	doms[0].stats = (struct slo_domain_stats){ 11, 12, 13, 14, 15, 16, 17, 18 };
	doms[1].id = 0;
	doms[1].node = 0;
	doms[1].nr_cpus = 2;
	doms[1].queue_depth = 0;
	doms[1].stats = (struct slo_domain_stats){ 1, 2, 3, 4, 5, 6, 7, 8 };

	exits[0] = (struct slo_metrics_exit){ "UNREG", 1 };
	exits[1] = (struct slo_metrics_exit){ "ERROR_STALL", 2 };

	memset(&snap, 0, sizeof(snap));
	snap.version = "0.1.0";
	snap.kernel = "7.3.4+deb13-cloud-amd64";
	snap.nr_cpus = 8;
	snap.nr_domains = 4;
	snap.nr_nodes = 2;
	snap.single_dsq = false;
	snap.cpu_limits = "loader";
	snap.global[SLO_STAT_RUNS] = 367;
	snap.global[SLO_STAT_MISSES] = 17;
	snap.global[SLO_STAT_KTHREAD_LOCAL] = 4;
	snap.global[SLO_STAT_AFFINITY_FIXUP] = 2;
	snap.global[SLO_STAT_CGROUP_STATS_FULL] = 0;
	snap.global[SLO_STAT_THROTTLES] = 40;
	snap.global[SLO_STAT_BW_OVERRIDES] = 2;
	snap.global[SLO_STAT_SLICE_CUTS] = 7;
	snap.global[SLO_STAT_REQUEUE_CORE] = 9;
	snap.global[SLO_STAT_RESCUE_KICKS] = 5;
	snap.global[SLO_STAT_STEAL_PREDICTED] = 3;
	snap.domains = doms;
	snap.nr_domains_listed = 2;
	snap.cgroups = cgs;
	snap.nr_cgroups = 5;
	snap.exits = exits;
	snap.nr_exits = 2;
	cfgm = (struct slo_metrics_config){
		.last_ok = false, .last_s = 1796380800.25, .last_ok_s = 1796380700.5,
		.reloads_ok = 3, .reloads_error = 1, .entries = 42,
	};
	snap.config = &cfgm;
}

static char *render(size_t max)
{
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(slo_metrics_render(&snap, max, &buf, &len), 0);
	assert_non_null(buf);
	assert_int_equal(strlen(buf), len);
	assert_true(len > 0 && buf[len - 1] == '\n');
	return buf;
}

/* The whole line @line is present, exactly. */
static void has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p++;
	}
	fail_msg("missing line: %s", line);
}

static void lacks(const char *text, const char *what)
{
	if (strstr(text, what))
		fail_msg("unexpected: %s", what);
}

static size_t count_prefix(const char *text, const char *prefix)
{
	size_t n = 0, pl = strlen(prefix);
	const char *p = text;

	while (*p) {
		if (!strncmp(p, prefix, pl))
			n++;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return n;
}

static void test_globals_and_domains(void **state)
{
	char *t = render(10);

	has_line(t, "# HELP scx_slo_info Constant 1; labels give the scx_slo version, the kernel release, whether all CPUs share one queue (--single-dsq) and who hands cpu.max to the scheduler (kernel: ops.cgroup_set_bandwidth, loader: read from cgroupfs).");
	has_line(t, "# TYPE scx_slo_info gauge");
	has_line(t, "scx_slo_info{version=\"0.1.0\",kernel=\"7.3.4+deb13-cloud-amd64\",single_dsq=\"false\",cpu_limits=\"loader\"} 1");
	has_line(t, "scx_slo_cpus 8");
	has_line(t, "scx_slo_domains 4");
	has_line(t, "scx_slo_nodes 2");
	has_line(t, "scx_slo_cgroups_tracked 5");
	has_line(t, "# TYPE scx_slo_runs_total counter");
	has_line(t, "scx_slo_runs_total 367");
	has_line(t, "scx_slo_deadline_misses_total 17");
	has_line(t, "scx_slo_kthread_local_dispatches_total 4");
	has_line(t, "scx_slo_affinity_fixups_total 2");
	has_line(t, "scx_slo_cgroup_stats_full_total 0");
	has_line(t, "# TYPE scx_slo_throttles_total counter");
	has_line(t, "scx_slo_throttles_total 40");
	has_line(t, "# TYPE scx_slo_bw_overrides_total counter");
	has_line(t, "scx_slo_bw_overrides_total 2");
	has_line(t, "# TYPE scx_slo_slice_cuts_total counter");
	has_line(t, "scx_slo_slice_cuts_total 7");
	has_line(t, "# TYPE scx_slo_requeue_whole_core_total counter");
	has_line(t, "scx_slo_requeue_whole_core_total 9");
	has_line(t, "# TYPE scx_slo_rescue_kicks_total counter");
	has_line(t, "scx_slo_rescue_kicks_total 5");
	has_line(t, "scx_slo_steals_predicted_miss_total 3");
	has_line(t, "# TYPE scx_slo_exits_total counter");
	has_line(t, "scx_slo_exits_total{kind=\"ERROR_STALL\"} 2");
	has_line(t, "scx_slo_exits_total{kind=\"UNREG\"} 1");
	/* exit kinds sorted */
	assert_true(strstr(t, "kind=\"ERROR_STALL\"") < strstr(t, "kind=\"UNREG\""));

	has_line(t, "# TYPE scx_slo_domain_queue_depth gauge");
	has_line(t, "scx_slo_domain_queue_depth{domain=\"0\",node=\"0\"} 0");
	has_line(t, "scx_slo_domain_queue_depth{domain=\"1\",node=\"1\"} 3");
	has_line(t, "scx_slo_domain_cpus{domain=\"1\",node=\"1\"} 2");
	has_line(t, "# TYPE scx_slo_domain_enqueues_total counter");
	has_line(t, "scx_slo_domain_enqueues_total{domain=\"1\",node=\"1\"} 11");
	has_line(t, "# TYPE scx_slo_domain_dispatches_total counter");
	has_line(t, "scx_slo_domain_dispatches_total{domain=\"1\",node=\"1\",kind=\"direct\"} 12");
	has_line(t, "scx_slo_domain_dispatches_total{domain=\"1\",node=\"1\",kind=\"local\"} 13");
	has_line(t, "scx_slo_domain_steals_total{domain=\"1\",node=\"1\",scope=\"same_node\"} 14");
	has_line(t, "scx_slo_domain_steals_total{domain=\"1\",node=\"1\",scope=\"other_node\"} 15");
	has_line(t, "scx_slo_domain_steals_not_at_risk_total{domain=\"1\",node=\"1\"} 16");
	has_line(t, "scx_slo_domain_preempt_kicks_total{domain=\"1\",node=\"1\"} 17");
	has_line(t, "scx_slo_domain_idle_kicks_total{domain=\"1\",node=\"1\"} 18");
	has_line(t, "scx_slo_domain_idle_kicks_total{domain=\"0\",node=\"0\"} 8");
	/* domains in id order though listed 1, 0 */
	assert_true(strstr(t, "scx_slo_domain_enqueues_total{domain=\"0\"") <
		    strstr(t, "scx_slo_domain_enqueues_total{domain=\"1\""));
	free(t);
}

static void test_cgroup_series(void **state)
{
	char *t = render(10);

	has_line(t, "# HELP scx_slo_cgroup_runs_total Tasks of the cgroup that started running.");
	has_line(t, "# TYPE scx_slo_cgroup_runs_total counter");
	has_line(t, "scx_slo_cgroup_runs_total{cgroup=\"/a\"} 100");
	has_line(t, "scx_slo_cgroup_deadline_misses_total{cgroup=\"/a\"} 5");
	has_line(t, "# TYPE scx_slo_cgroup_lateness_seconds_total counter");
	has_line(t, "scx_slo_cgroup_lateness_seconds_total{cgroup=\"/a\"} 0.0015");
	has_line(t, "scx_slo_cgroup_lateness_seconds_total{cgroup=\"/c\"} 0");
	has_line(t, "# TYPE scx_slo_cgroup_budget_seconds gauge");
	has_line(t, "scx_slo_cgroup_budget_seconds{cgroup=\"/a\"} 0.005");
	has_line(t, "scx_slo_cgroup_budget_seconds{cgroup=\"/e\"} 1");
	has_line(t, "scx_slo_cgroup_budget_seconds{cgroup=\"" WEIRD_LABEL "\"} 0.00025");
	has_line(t, "# TYPE scx_slo_cgroup_shed_probability gauge");
	has_line(t, "scx_slo_cgroup_shed_probability{cgroup=\"/e\"} 0.2500");
	has_line(t, "scx_slo_cgroup_shed_probability{cgroup=\"/c\"} 0.5000");
	has_line(t, "scx_slo_cgroup_shed_probability{cgroup=\"/a\"} 0.0000");
	assert_int_equal(count_prefix(t, "scx_slo_cgroup_shed_probability{"), 5);
	has_line(t, "# TYPE scx_slo_cgroup_concurrency_limit gauge");
	has_line(t, "scx_slo_cgroup_concurrency_limit{cgroup=\"/e\"} 3");
	has_line(t, "scx_slo_cgroup_concurrency_limit{cgroup=\"/a\"} 0");
	has_line(t, "# TYPE scx_slo_cgroup_bursts_total counter");
	has_line(t, "scx_slo_cgroup_bursts_total{cgroup=\"/e\"} 40");
	has_line(t, "scx_slo_cgroup_late_bursts_total{cgroup=\"/e\"} 7");
	has_line(t, "scx_slo_cgroup_burst_seconds_total{cgroup=\"/e\"} 2");
	has_line(t, "scx_slo_cgroup_burst_wait_seconds_total{cgroup=\"/e\"} 1.5");
	/* everything fits: no "other" */
	lacks(t, "cgroup=\"other\"");
	assert_int_equal(count_prefix(t, "scx_slo_cgroup_runs_total{"), 5);
	/* series by path: /a, /b..., /c, /d, /e */
	assert_true(strstr(t, "runs_total{cgroup=\"/a\"") < strstr(t, "runs_total{cgroup=\"/b"));
	assert_true(strstr(t, "runs_total{cgroup=\"/b") < strstr(t, "runs_total{cgroup=\"/c\""));
	assert_true(strstr(t, "runs_total{cgroup=\"/d\"") < strstr(t, "runs_total{cgroup=\"/e\""));
	free(t);
}

static void test_cpu_limits(void **state)
{
	char *t = render(10);

	has_line(t, "# TYPE scx_slo_cgroup_throttled_seconds_total counter");
	has_line(t, "# TYPE scx_slo_cgroup_throttled_periods_total counter");
	has_line(t, "scx_slo_cgroup_throttled_seconds_total{cgroup=\"/a\"} 1.5");
	has_line(t, "scx_slo_cgroup_throttled_periods_total{cgroup=\"/a\"} 12");
	/* limited but never throttled: zeros, not absent */
	has_line(t, "scx_slo_cgroup_throttled_seconds_total{cgroup=\"/c\"} 0");
	has_line(t, "scx_slo_cgroup_throttled_periods_total{cgroup=\"/c\"} 0");
	has_line(t, "scx_slo_cgroup_throttled_seconds_total{cgroup=\"/d\"} 0.00025");
	has_line(t, "scx_slo_cgroup_throttled_periods_total{cgroup=\"/d\"} 3");
	/* never limited: no series */
	lacks(t, "scx_slo_cgroup_throttled_seconds_total{cgroup=\"/e\"}");
	lacks(t, "scx_slo_cgroup_throttled_periods_total{cgroup=\"" WEIRD_LABEL "\"}");
	assert_int_equal(count_prefix(t, "scx_slo_cgroup_throttled_seconds_total{"), 3);
	assert_int_equal(count_prefix(t, "scx_slo_cgroup_throttled_periods_total{"), 3);
	free(t);

	/* /c and /d fold into "other": their counters are summed */
	t = render(3);
	has_line(t, "scx_slo_cgroup_throttled_seconds_total{cgroup=\"other\"} 0.00025");
	has_line(t, "scx_slo_cgroup_throttled_periods_total{cgroup=\"other\"} 3");
	has_line(t, "scx_slo_cgroup_throttled_periods_total{cgroup=\"/a\"} 12");
	assert_int_equal(count_prefix(t, "scx_slo_cgroup_throttled_periods_total{"), 2);
	free(t);

	/* an "other" with no limited cgroup in it has no such series */
	cgs[2].has_bw = cgs[3].has_bw = false;
	t = render(3);
	lacks(t, "scx_slo_cgroup_throttled_seconds_total{cgroup=\"other\"}");
	has_line(t, "scx_slo_cgroup_runs_total{cgroup=\"other\"} 60");
	free(t);

	/* the same path twice: summed */
	cgs[2].has_bw = true;
	cgs[2].path = "/a";
	cgs[2].nr_throttled = 1;
	cgs[2].throttled_ns = SLO_NSEC_PER_SEC;
	t = render(10);
	has_line(t, "scx_slo_cgroup_throttled_seconds_total{cgroup=\"/a\"} 2.5");
	has_line(t, "scx_slo_cgroup_throttled_periods_total{cgroup=\"/a\"} 13");
	free(t);

	snap.cpu_limits = "kernel";
	t = render(10);
	has_line(t, "scx_slo_info{version=\"0.1.0\",kernel=\"7.3.4+deb13-cloud-amd64\",single_dsq=\"false\",cpu_limits=\"kernel\"} 1");
	free(t);
	build();
}

static void test_escaping(void **state)
{
	static struct slo_metrics_cgroup bad[2];
	char *t;

	/* path " \ newline */
	t = render(10);
	has_line(t, "scx_slo_cgroup_runs_total{cgroup=\"" WEIRD_LABEL "\"} 7");
	has_line(t, "scx_slo_cgroup_deadline_misses_total{cgroup=\"" WEIRD_LABEL "\"} 7");
	lacks(t, WEIRD_PATH);
	free(t);

	/* every byte outside printable ASCII as \xNN, its backslash escaped */
	bad[0].path = "/x\xff\xc3\x28y";
	bad[0].stats.runs = 1;
	bad[1].path = "/caf\xc3\xa9";
	bad[1].stats.runs = 2;
	snap.cgroups = bad;
	snap.nr_cgroups = 2;
	snap.version = "v\"1\"";
	t = render(10);
	has_line(t, "scx_slo_cgroup_runs_total{cgroup=\"/x\\\\xff\\\\xc3(y\"} 1");
	has_line(t, "scx_slo_cgroup_runs_total{cgroup=\"/caf\\\\xc3\\\\xa9\"} 2");
	has_line(t, "scx_slo_info{version=\"v\\\"1\\\"\",kernel=\"7.3.4+deb13-cloud-amd64\",single_dsq=\"false\",cpu_limits=\"loader\"} 1");
	free(t);
	build();
}

static void test_histogram(void **state)
{
	char *t = render(10);
	const char *h = "scx_slo_cgroup_scheduling_delay_seconds";
	char line[256];

	has_line(t, "# TYPE scx_slo_cgroup_scheduling_delay_seconds histogram");
	/* first edge 16us: buckets 0..4 = 10 + 5 + 20 */
	snprintf(line, sizeof(line), "%s_bucket{cgroup=\"/a\",le=\"0.000016\"} 35", h);
	has_line(t, line);
	snprintf(line, sizeof(line), "%s_bucket{cgroup=\"/a\",le=\"0.000032\"} 65", h);
	has_line(t, line);
	snprintf(line, sizeof(line), "%s_bucket{cgroup=\"/a\",le=\"0.524288\"} 65", h);
	has_line(t, line);
	snprintf(line, sizeof(line), "%s_bucket{cgroup=\"/a\",le=\"1.048576\"} 90", h);
	has_line(t, line);
	snprintf(line, sizeof(line), "%s_bucket{cgroup=\"/a\",le=\"+Inf\"} 100", h);
	has_line(t, line);
	snprintf(line, sizeof(line), "%s_sum{cgroup=\"/a\"} 2.00025", h);
	has_line(t, line);
	snprintf(line, sizeof(line), "%s_count{cgroup=\"/a\"} 100", h);
	has_line(t, line);
	/* 17 finite edges + Inf per cgroup, no edge below 10us or past ~1s */
	snprintf(line, sizeof(line), "%s_bucket{cgroup=\"/a\",", h);
	assert_int_equal(count_prefix(t, line), 18);
	lacks(t, "le=\"0.000008\"");
	lacks(t, "le=\"2.097152\"");

	/* cumulative: non-decreasing, last finite <= +Inf == _count, per series */
	{
		const char *p = t;
		uint64_t prev = 0, v;
		char cur[256] = "";

		while ((p = strstr(p, "_seconds_bucket{cgroup=\""))) {
			const char *lbl = p + strlen("_seconds_bucket{cgroup=\"");
			const char *le = strstr(lbl, "\",le=\"");
			const char *sp = strchr(le, ' ');
			char name[256];

			snprintf(name, sizeof(name), "%.*s", (int)(le - lbl), lbl);
			if (strcmp(name, cur)) {
				snprintf(cur, sizeof(cur), "%s", name);
				prev = 0;
			}
			v = strtoull(sp + 1, NULL, 10);
			assert_true(v >= prev);
			prev = v;
			if (!strncmp(le, "\",le=\"+Inf\"", 11)) {
				char cnt[512];

				snprintf(cnt, sizeof(cnt), "%s_count{cgroup=\"%s\"} %llu", h, name,
					 (unsigned long long)v);
				has_line(t, cnt);
			}
			p = sp;
		}
	}
	free(t);
}

/* A per-CPU snapshot torn between reads: buckets never exceed _count. */
static void test_histogram_torn(void **state)
{
	char *t;

	cgs[2].stats.delay_hist[5] = 53;	/* 3 more than runs */
	t = render(10);
	has_line(t, "scx_slo_cgroup_scheduling_delay_seconds_bucket{cgroup=\"/c\",le=\"0.000032\"} 50");
	has_line(t, "scx_slo_cgroup_scheduling_delay_seconds_bucket{cgroup=\"/c\",le=\"+Inf\"} 50");
	free(t);
	build();
}

static void test_other(void **state)
{
	char *t = render(3);

	/* top 3 by misses then runs: weird (7), /e (5, 200 runs), /a (5, 100) */
	assert_int_equal(count_prefix(t, "scx_slo_cgroup_runs_total{"), 4);
	has_line(t, "scx_slo_cgroup_runs_total{cgroup=\"/a\"} 100");
	has_line(t, "scx_slo_cgroup_runs_total{cgroup=\"/e\"} 200");
	has_line(t, "scx_slo_cgroup_runs_total{cgroup=\"" WEIRD_LABEL "\"} 7");
	lacks(t, "cgroup=\"/c\"");
	lacks(t, "cgroup=\"/d\"");
	/* /c + /d */
	has_line(t, "scx_slo_cgroup_runs_total{cgroup=\"other\"} 60");
	has_line(t, "scx_slo_cgroup_deadline_misses_total{cgroup=\"other\"} 0");
	has_line(t, "scx_slo_cgroup_lateness_seconds_total{cgroup=\"other\"} 0");
	has_line(t, "scx_slo_cgroup_scheduling_delay_seconds_bucket{cgroup=\"other\",le=\"0.000016\"} 8");
	has_line(t, "scx_slo_cgroup_scheduling_delay_seconds_bucket{cgroup=\"other\",le=\"0.000032\"} 58");
	has_line(t, "scx_slo_cgroup_scheduling_delay_seconds_bucket{cgroup=\"other\",le=\"1.048576\"} 58");
	has_line(t, "scx_slo_cgroup_scheduling_delay_seconds_bucket{cgroup=\"other\",le=\"+Inf\"} 60");
	has_line(t, "scx_slo_cgroup_scheduling_delay_seconds_sum{cgroup=\"other\"} 0.00100001");
	has_line(t, "scx_slo_cgroup_scheduling_delay_seconds_count{cgroup=\"other\"} 60");
	/* no budget for the aggregate; still 5 cgroups tracked */
	lacks(t, "scx_slo_cgroup_budget_seconds{cgroup=\"other\"}");
	assert_int_equal(count_prefix(t, "scx_slo_cgroup_budget_seconds{"), 3);
	/* a probability means nothing summed: none for the aggregate either */
	lacks(t, "scx_slo_cgroup_shed_probability{cgroup=\"other\"}");
	assert_int_equal(count_prefix(t, "scx_slo_cgroup_shed_probability{"), 3);
	lacks(t, "scx_slo_cgroup_concurrency_limit{cgroup=\"other\"}");
	/* bursts sum into it: /c's 5 and 1, /d's 6 and 3 ms */
	has_line(t, "scx_slo_cgroup_bursts_total{cgroup=\"other\"} 11");
	has_line(t, "scx_slo_cgroup_late_bursts_total{cgroup=\"other\"} 1");
	has_line(t, "scx_slo_cgroup_burst_seconds_total{cgroup=\"other\"} 0.003");
	has_line(t, "scx_slo_cgroups_tracked 5");
	/* "other" comes after the named series */
	assert_true(strstr(t, "runs_total{cgroup=\"/e\"") < strstr(t, "runs_total{cgroup=\"other\""));
	free(t);

	/* max 0: everything in "other" */
	t = render(0);
	assert_int_equal(count_prefix(t, "scx_slo_cgroup_runs_total{"), 1);
	has_line(t, "scx_slo_cgroup_runs_total{cgroup=\"other\"} 367");
	has_line(t, "scx_slo_cgroup_deadline_misses_total{cgroup=\"other\"} 17");
	assert_int_equal(count_prefix(t, "scx_slo_cgroup_budget_seconds{"), 0);
	free(t);

	/* max 1: /e vs /a tie on misses is broken by runs, weird still first */
	t = render(1);
	has_line(t, "scx_slo_cgroup_runs_total{cgroup=\"" WEIRD_LABEL "\"} 7");
	has_line(t, "scx_slo_cgroup_runs_total{cgroup=\"other\"} 360");
	free(t);
}

static void test_duplicates_and_nameless(void **state)
{
	static struct slo_metrics_cgroup c[4];
	char *t;

	c[0].path = "/dup";
	c[0].stats.runs = 1;
	c[1].path = "/dup";
	c[1].stats.runs = 2;
	c[2].path = NULL;
	c[2].stats.runs = 4;
	c[3].path = "other";		/* would collide with the aggregate */
	c[3].stats.runs = 8;
	snap.cgroups = c;
	snap.nr_cgroups = 4;
	t = render(10);
	has_line(t, "scx_slo_cgroup_runs_total{cgroup=\"/dup\"} 3");
	has_line(t, "scx_slo_cgroup_runs_total{cgroup=\"other\"} 12");
	assert_int_equal(count_prefix(t, "scx_slo_cgroup_runs_total{"), 2);
	has_line(t, "scx_slo_cgroups_tracked 3");
	free(t);
	build();
}

/* How the configuration's reloads went: what an alert on a bad ConfigMap reads. */
static void test_config_reload(void **state)
{
	char *t = render(10);

	has_line(t, "# TYPE scx_slo_config_last_reload_successful gauge");
	has_line(t, "scx_slo_config_last_reload_successful 0");
	has_line(t, "# TYPE scx_slo_config_last_reload_timestamp_seconds gauge");
	has_line(t, "scx_slo_config_last_reload_timestamp_seconds 1796380800.250");
	has_line(t, "# TYPE scx_slo_config_last_reload_success_timestamp_seconds gauge");
	has_line(t, "scx_slo_config_last_reload_success_timestamp_seconds 1796380700.500");
	has_line(t, "# TYPE scx_slo_config_reloads_total counter");
	has_line(t, "scx_slo_config_reloads_total{result=\"ok\"} 3");
	has_line(t, "scx_slo_config_reloads_total{result=\"error\"} 1");
	has_line(t, "# TYPE scx_slo_config_entries gauge");
	has_line(t, "scx_slo_config_entries 42");
	free(t);
	cfgm.last_ok = true;
	t = render(10);
	has_line(t, "scx_slo_config_last_reload_successful 1");
	free(t);
	/* no configuration state handed over: no families at all */
	snap.config = NULL;
	t = render(10);
	lacks(t, "scx_slo_config_");
	free(t);
	build();
}

static void test_empty(void **state)
{
	struct slo_metrics_snapshot e = {};
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(slo_metrics_render(&e, 10, &buf, &len), 0);
	has_line(buf, "scx_slo_info{version=\"unknown\",kernel=\"unknown\",single_dsq=\"false\",cpu_limits=\"unknown\"} 1");
	has_line(buf, "# TYPE scx_slo_cgroup_runs_total counter");
	lacks(buf, "scx_slo_cgroup_runs_total{");
	has_line(buf, "# TYPE scx_slo_cgroup_throttled_seconds_total counter");
	lacks(buf, "scx_slo_cgroup_throttled_seconds_total{");
	has_line(buf, "scx_slo_throttles_total 0");
	free(buf);
	assert_int_equal(slo_metrics_render(NULL, 10, &buf, &len), -EINVAL);
}

/* Same contents in another order: byte-identical output. */
static void test_deterministic(void **state)
{
	struct slo_metrics_cgroup rev[5];
	struct slo_metrics_domain drev[2];
	struct slo_metrics_exit erev[2];
	char *a, *b;
	int i;

	a = render(3);
	for (i = 0; i < 5; i++)
		rev[i] = cgs[4 - i];
	for (i = 0; i < 2; i++) {
		drev[i] = doms[1 - i];
		erev[i] = exits[1 - i];
	}
	snap.cgroups = rev;
	snap.domains = drev;
	snap.exits = erev;
	b = render(3);
	assert_string_equal(a, b);
	free(b);
	build();
	b = render(3);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

/* Every family has HELP then TYPE; every sample belongs to the family above it. */
static void test_help_type_everywhere(void **state)
{
	char *t = render(3), *save = NULL, *line;
	char fam[128] = "", help[128] = "";
	size_t samples = 0;

	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# HELP ", 7)) {
			sscanf(line + 7, "%127s", help);
		} else if (!strncmp(line, "# TYPE ", 7)) {
			sscanf(line + 7, "%127s", fam);
			assert_string_equal(fam, help);
		} else {
			size_t fl = strlen(fam);

			assert_true(fl > 0);
			assert_int_equal(strncmp(line, "scx_slo_", 8), 0);
			assert_int_equal(strncmp(line, fam, fl), 0);
			assert_true(line[fl] == '{' || line[fl] == ' ' || line[fl] == '_');
			samples++;
		}
	}
	assert_true(samples > 50);
	free(t);
}

static void test_promtool(void **state)
{
	char *t;

	t = render(3);
	promtool_check_metrics(t);
	free(t);
	t = render(100);
	promtool_check_metrics(t);
	free(t);
	snap.nr_exits = 0;
	snap.nr_cgroups = 0;
	snap.nr_domains_listed = 0;
	snap.single_dsq = true;
	t = render(0);
	promtool_check_metrics(t);
	free(t);
	build();
}

static int setup(void **state)
{
	build();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_globals_and_domains, setup),
		cmocka_unit_test_setup(test_cgroup_series, setup),
		cmocka_unit_test_setup(test_cpu_limits, setup),
		cmocka_unit_test_setup(test_escaping, setup),
		cmocka_unit_test_setup(test_histogram, setup),
		cmocka_unit_test_setup(test_histogram_torn, setup),
		cmocka_unit_test_setup(test_other, setup),
		cmocka_unit_test_setup(test_duplicates_and_nameless, setup),
		cmocka_unit_test_setup(test_config_reload, setup),
		cmocka_unit_test_setup(test_empty, setup),
		cmocka_unit_test_setup(test_deterministic, setup),
		cmocka_unit_test_setup(test_help_type_everywhere, setup),
		cmocka_unit_test_setup(test_promtool, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
