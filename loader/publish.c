// SPDX-License-Identifier: GPL-2.0
/* The statistics, printed (--stats) and rendered for /metrics. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "scx_slo.h"		/* before the skeleton: it uses the u64 types */
/* before options.h: the skeleton's "opts" parameters would shadow it */
#include "scx_slo.skel.h"

#include "attach.h"
#include "budgets.h"
#include "cgroup.h"
#include "config_apply.h"
#include "duration.h"
#include "exit_report.h"
#include "http.h"
#include "metrics.h"
#include "msg.h"
#include "options.h"
#include "publish.h"
#include "shed.h"
#include "stats.h"
#include "topology.h"

/* --metrics: the HTTP server, and exits seen since start, by kind. */
struct slo_http *http;
static struct slo_metrics_exit exits_seen[16];
static size_t nr_exits_seen;
/* The admission signal behind /v1/admission and /v1/pressure (shed.h). */
struct slo_shed *shed;
static struct slo_cpu_busy cpu_busy;

static double monotonic_s(void)
{
	return (double)slo_mono_ns() / 1e9;
}

void sample_shed(struct scx_slo *skel)
{
	struct slo_shed_sample *smp;
	double node_busy;
	size_t n;

	if (!shed || slo_stats_shed_samples(skel, &budgets, &smp, &n))
		return;
	/* every interval, so that each CPU's fraction covers just the last one */
	node_busy = slo_cpu_busy_read("/proc/stat", &cpu_busy);
	slo_shed_update(shed, monotonic_s(), smp, n, node_busy);
	free(smp);
}

void shed_cpu_busy_free(void)
{
	slo_cpu_busy_free(&cpu_busy);
}

/*
 * slo_shed_busy_fn: the busy fraction of the CPUs in @path's
 * cpuset.cpus.effective.  A cgroup whose parent does not enable the
 * cpuset controller has no such file and runs on its parent's set, hence
 * the walk up; -1 (the node's fraction) without cgroupfs or a cpuset.
 */
double shed_cgroup_busy(void *ctx, const char *path)
{
	static char mount[PATH_MAX];
	static int have_mount = -1;
	char cg[PATH_MAX], file[PATH_MAX], list[4096], *slash;
	size_t len;
	FILE *f;

	(void)ctx;
	if (have_mount < 0)
		have_mount = !slo_cgroup_mount(mount, sizeof(mount));
	if (!have_mount || snprintf(cg, sizeof(cg), "%s", path) >= (int)sizeof(cg))
		return -1;
	for (;;) {
		if (snprintf(file, sizeof(file), "%s%s/cpuset.cpus.effective", mount,
			     strcmp(cg, "/") ? cg : "") >= (int)sizeof(file))
			return -1;
		f = fopen(file, "re");
		if (f)
			break;
		if (!strcmp(cg, "/"))
			return -1;
		/* the parent: "/a/b" -> "/a", "/a" -> "/" */
		slash = strrchr(cg, '/');
		if (slash == cg)
			slash++;
		*slash = '\0';
	}
	len = fread(list, 1, sizeof(list) - 1, f);
	fclose(f);
	list[len] = '\0';
	return slo_cpu_busy_of(&cpu_busy, list);
}

/* Each cgroup's shed probability and concurrency limit in force, for /metrics. */
static void shed_metrics(struct slo_stats *st)
{
	struct slo_shed_answer a;
	double now = monotonic_s();
	size_t i;

	for (i = 0; shed && i < st->nr_cgroups; i++) {
		slo_shed_lookup(shed, st->cgroups[i].path, now, &a);
		st->cgroups[i].shed_probability = a.probability;
		st->cgroups[i].concurrency_limit = a.concurrency_limit;
	}
}

void count_exit(int kind)
{
	const char *name = exit_kind_name(kind);
	size_t i;

	for (i = 0; i < nr_exits_seen; i++) {
		if (!strcmp(exits_seen[i].kind, name)) {
			exits_seen[i].count++;
			return;
		}
	}
	if (nr_exits_seen < sizeof(exits_seen) / sizeof(exits_seen[0])) {
		exits_seen[nr_exits_seen].kind = name;
		exits_seen[nr_exits_seen++].count = 1;
	}
}

/* Render the statistics for /metrics; the HTTP thread only sees text. */
static void config_metrics(struct slo_metrics_config *cm)
{
	const struct slo_reload_status *st = &config_watch.status;

	cm->last_ok = st->last_ok;
	cm->last_s = (double)st->last.tv_sec + (double)st->last.tv_nsec / 1e9;
	cm->last_ok_s = (double)st->last_ok_at.tv_sec + (double)st->last_ok_at.tv_nsec / 1e9;
	cm->reloads_ok = st->ok;
	cm->reloads_error = st->failed;
	cm->entries = budgets.cfg.nr_entries;
}

void publish_metrics(struct scx_slo *skel, int nr_cpus, const struct slo_topology *topo)
{
	struct slo_metrics_config cm;
	struct slo_metrics_snapshot snap = {};
	struct slo_stats st;
	struct utsname uts;
	char *text = NULL;
	size_t len = 0;

	/* collected even without --metrics: collecting frees removed cgroups' stats */
	if (slo_stats_collect(skel, nr_cpus, &budgets, opts.default_budget_ns, &st))
		return;
	if (!http) {
		slo_stats_free(&st);
		return;
	}
	uname(&uts);
	snap.version = SCX_SLO_VERSION;
	snap.kernel = uts.release;
	snap.nr_cpus = (uint32_t)topo->nr_online_cpus;
	snap.nr_domains = (uint32_t)topo->nr_domains;
	snap.nr_nodes = (uint32_t)topo->nr_nodes;
	snap.single_dsq = opts.single_dsq;
	snap.cpu_limits = bw_from_kernel ? "kernel" : "loader";
	memcpy(snap.global, st.global, sizeof(snap.global));
	snap.domains = st.domains;
	snap.nr_domains_listed = st.nr_domains;
	snap.cgroups = st.cgroups;
	snap.nr_cgroups = st.nr_cgroups;
	snap.exits = exits_seen;
	snap.nr_exits = nr_exits_seen;
	config_metrics(&cm);
	snap.config = &cm;
	snap.walk = st.walk;
	shed_metrics(&st);
	if (!slo_metrics_render(&snap, opts.metrics_max_cgroups, &text, &len))
		slo_http_set_metrics(http, text, len);
	slo_stats_free(&st);
}

void print_stats(struct scx_slo *skel, int nr_cpus, const char *title,
			size_t max_cgroups)
{
	struct slo_stats st;

	if (slo_stats_collect(skel, nr_cpus, &budgets, opts.default_budget_ns, &st)) {
		msg("cannot read the statistics: out of memory");
		return;
	}
	slo_stats_print(stdout, &st, title, max_cgroups);
	slo_stats_free(&st);
}

/*
 * /metrics while detached on purpose: there are no scheduler statistics,
 * only why we wait and what happened so far.
 */
void publish_waiting(const char *reason, unsigned long long attempts)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;

	if (!http)
		return;
	f = open_memstream(&text, &len);
	if (!f)
		return;
	fprintf(f, "# HELP scx_slo_attached Whether scx_slo is the attached sched_ext scheduler.\n"
		   "# TYPE scx_slo_attached gauge\nscx_slo_attached 0\n"
		   "# HELP scx_slo_waiting Why the loader waits detached: slot (another sched_ext "
		   "scheduler holds it), retry (after an unregistration), sysrq (after SysRq-S).\n"
		   "# TYPE scx_slo_waiting gauge\nscx_slo_waiting{reason=\"%s\"} 1\n"
		   "# HELP scx_slo_attach_retries_total Attach attempts that found the slot taken "
		   "or followed an unregistration.\n"
		   "# TYPE scx_slo_attach_retries_total counter\nscx_slo_attach_retries_total %llu\n",
		reason, attempts);
	if (nr_exits_seen)
		fprintf(f, "# HELP scx_slo_exits_total Times the scheduler was detached, by the "
			   "kernel's exit kind.\n# TYPE scx_slo_exits_total counter\n");
	for (i = 0; i < nr_exits_seen; i++)
		fprintf(f, "scx_slo_exits_total{kind=\"%s\"} %llu\n", exits_seen[i].kind,
			(unsigned long long)exits_seen[i].count);
	if (fclose(f)) {
		free(text);
		return;
	}
	slo_http_set_metrics(http, text, len);
}
