// SPDX-License-Identifier: GPL-2.0
/*
 * scx_slo: load the SLO-aware EDF sched_ext scheduler, feed it per-cgroup
 * latency budgets, report its statistics, and detach cleanly.
 *
 * This file holds the main loop and the failure policy around it; the
 * command line is options.c, kernel probes probes.c, loading and pins
 * attach.c, the configuration in force config_apply.c, --stats and
 * /metrics publish.c, exit reports exit_report.c.
 *
 * Exit codes are distinct per failure so that scripts and the DaemonSet can
 * tell them apart; see enum slo_exit_code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "scx_slo.h"		/* before the skeleton: it uses the u64 types */
/* before options.h: the skeleton's "opts" parameters would shadow it */
#include "scx_slo.skel.h"

#include "attach.h"
#include "budgets.h"
#include "config_apply.h"
#include "config_watch.h"
#include "cpu_limits_sync.h"
#include "duration.h"
#include "exit_report.h"
#include "health.h"
#include "http.h"
#include "msg.h"
#include "options.h"
#include "policy.h"
#include "probes.h"
#include "publish.h"
#include "shed.h"
#include "slo_cli.h"
#include "termination.h"
#include "topology.h"

/* retry_requested: SIGHUP also ends a wait for the slot at once */
static volatile sig_atomic_t exiting, reload_requested, retry_requested;

/* What `scx_slo health` reads: written after each pass of the main loop. */
static struct slo_heartbeat heartbeat = { .fd = -1, .dir_fd = -1 };

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = retry_requested = 1;
	else
		exiting = 1;
}

static int show_topology(void)
{
	struct slo_topology *topo = NULL;
	char err[512];
	int ret;

	if (opts.topology_xml)
		ret = slo_topology_load_xml(&topo, opts.topology_xml, err, sizeof(err));
	else if (opts.topology_synthetic)
		ret = slo_topology_load_synthetic(&topo, opts.topology_synthetic,
						  err, sizeof(err));
	else
		ret = slo_topology_load_live(&topo, err, sizeof(err));
	if (ret < 0) {
		msg("%s", err);
		return EXIT_USAGE;
	}
	ret = slo_topology_print(stdout, topo, opts.json);
	if (!ret && fflush(stdout))
		ret = -errno;
	slo_topology_free(topo);
	if (ret < 0) {
		msg("cannot write the topology: %s", strerror(-ret));
		return EXIT_FAILURE_OTHER;
	}
	return EXIT_OK;
}

static int64_t ms_between(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000 +
	       (b->tv_nsec - a->tv_nsec) / 1000000;
}

/*
 * Load, attach, run until a signal or an exit.  Returns an exit code for a
 * failure before attaching; once attached, sets *attached and copies the
 * kernel's exit_info to *ei_out (main() applies the failure policy).
 */
static int run_once(bool use_peek, struct slo_exit_info *ei_out, bool *attached)
{
	struct slo_topology *topo = NULL;
	struct bpf_link *link = NULL;
	struct scx_slo *skel = NULL;
	struct slo_budget_maps maps;
	char errbuf[768], budget[32], slice[32], max_slice[32];
	struct timespec last_stats, last_rescan, last_limits, last_shed, now;
	struct slo_limits limits;
	bool limits_on = false;
	struct slo_exit_info ei;
	struct utsname uts;
	int nr_cpus, err, ret = EXIT_OK;

	*attached = false;
	nr_cpus = libbpf_num_possible_cpus();
	if (nr_cpus < 0) {
		msg("cannot count possible CPUs: %s", strerror(-nr_cpus));
		return EXIT_FAILURE_OTHER;
	}

	ret = load_scheduler(use_peek, &topo, &skel);
	if (ret)
		goto out;
	maps.set_fd[0] = bpf_map__fd(skel->maps.slo_budgets_0);
	maps.set_fd[1] = bpf_map__fd(skel->maps.slo_budgets_1);
	maps.control_fd = bpf_map__fd(skel->maps.slo_control);
	if (slo_budgets_bind(&budgets, &maps, errbuf, sizeof(errbuf))) {
		msg("cannot set the SLOs: %s", errbuf);
		ret = EXIT_FAILURE_OTHER;
		goto out;
	}
	/* the limits in force before the first task is ours */
	if (!bw_from_kernel && budgets.mount[0]) {
		struct slo_limits_ops lops = limits_ops;

		lops.ctx = skel;
		slo_limits_init(&limits, budgets.mount, &lops);
		limits_on = true;
		limits_pass(&limits, skel, true);
	}

	link = bpf_map__attach_struct_ops(skel->maps.slo_ops);
	if (!link) {
		err = -errno;
		if (err == -EBUSY || err == -EEXIST || err == -EALREADY) {
			/* taken since main() looked: it logs and waits */
			ret = EXIT_BUSY;
		} else {
			msg("cannot attach the scheduler: %s%s", strerror(-err),
			    opts.verbose ? "" : " (-v shows libbpf's log)");
			ret = EXIT_FAILURE_OTHER;
		}
		goto out;
	}
	pin_maps(skel);
	slo_http_set_health(http, true, NULL);
	slo_heartbeat_beat(&heartbeat);
	publish_metrics(skel, nr_cpus, topo);
	uname(&uts);
	slo_format_duration(budgets.cfg.default_budget_ns, budget, sizeof(budget));
	slo_format_duration(opts.slice_ns, slice, sizeof(slice));
	slo_format_duration(opts.max_slice_ns, max_slice, sizeof(max_slice));
	msg("scheduler '%s' attached on %s: %d CPUs, %s, %s, slices %s-%s, default budget %s, "
	    "%zu SLO(s), %zu with a cgroup now",
	    SCX_SLO_OPS_NAME, uts.release, topo->nr_online_cpus,
	    opts.single_dsq ? "one global queue" : "one queue per LLC",
	    use_peek ? "dsq peek" : "dsq iterator", slice, max_slice, budget,
	    budgets.cfg.nr_entries, slo_budgets_nr_active(&budgets));
	if (!opts.single_dsq)
		msg("%d LLC domains on %d NUMA node(s)", topo->nr_domains, topo->nr_nodes);
	if (bw_from_kernel)
		msg("cpu.max enforced via ops.cgroup_set_bandwidth");
	else if (limits_on)
		msg("cpu.max enforced via the loader (kernel lacks ops.cgroup_set_bandwidth): "
		    "%zu limited cgroup(s); limited cgroups re-read every %dms, all every 1s",
		    slo_limits_nr_active(&limits), SLO_LIMITS_RECHECK_MS);
	else
		msg("cpu.max not enforced: the kernel lacks ops.cgroup_set_bandwidth and "
		    "there is no cgroup2 mount to read it from");

	clock_gettime(CLOCK_MONOTONIC, &last_stats);
	last_rescan = last_limits = last_shed = last_stats;
	while (!exiting && !exit_kind(skel)) {
		struct pollfd pfd = { .fd = slo_config_watch_fd(&config_watch), .events = POLLIN };
		int timeout = 100;

		if (shed) {
			int64_t due;

			clock_gettime(CLOCK_MONOTONIC, &now);
			due = SLO_SHED_SAMPLE_MS - ms_between(&last_shed, &now);
			if (due < timeout)
				timeout = due > 0 ? (int)due : 0;
		}
		if (limits_on) {
			int64_t due;

			clock_gettime(CLOCK_MONOTONIC, &now);
			due = SLO_LIMITS_RECHECK_MS - ms_between(&last_limits, &now);
			if (due < timeout)
				timeout = due > 0 ? (int)due : 0;
		}
		if (opts.config_path || opts.slo_dir) {
			int due = slo_config_watch_timeout_ms(&config_watch);

			if (due < timeout)
				timeout = due;
		}
		/* a signal interrupts the wait: SIGHUP reloads at once */
		poll(&pfd, pfd.fd >= 0 ? 1 : 0, timeout);
		if (reload_requested) {
			reload_requested = 0;
			if (opts.config_path || opts.slo_dir)
				slo_config_watch_request(&config_watch, "SIGHUP");
		}
		if (opts.config_path || opts.slo_dir)
			slo_config_watch_run(&config_watch);
		clock_gettime(CLOCK_MONOTONIC, &now);
		/* cgroups come and go: pending SLOs apply, dead ones are dropped */
		if (now.tv_sec != last_rescan.tv_sec) {
			int changed = slo_budgets_rescan(&budgets);

			if (changed > 0)
				msg("%d SLO cgroup(s) appeared or went away: %zu of %zu SLOs in force",
				    changed, slo_budgets_nr_active(&budgets),
				    budgets.cfg.nr_entries);
			/* and the CPU limits: new cgroups, gone ones */
			if (limits_on) {
				limits_pass(&limits, skel, true);
				last_limits = now;
			}
			publish_metrics(skel, nr_cpus, topo);
			last_rescan = now;
		} else if (limits_on &&
			   ms_between(&last_limits, &now) >= SLO_LIMITS_RECHECK_MS) {
			/* a limit removed or changed takes effect within this */
			limits_pass(&limits, skel, false);
			last_limits = now;
		}
		if (shed && ms_between(&last_shed, &now) >= SLO_SHED_SAMPLE_MS) {
			sample_shed(skel);
			last_shed = now;
		}
		if (opts.stats_interval &&
		    now.tv_sec - last_stats.tv_sec >= (time_t)opts.stats_interval) {
			print_stats(skel, nr_cpus, "scx_slo stats", 20);
			last_stats = now;
		}
		/* a whole pass: what /healthz and `scx_slo health` look for */
		slo_http_heartbeat(http);
		slo_heartbeat_beat(&heartbeat);
		track_last_good();
	}
	unpin_maps();

	/* Detaching makes the kernel run ops.exit, which fills exit_info. */
	bpf_link__destroy(link);
	link = NULL;
	memcpy(&ei, &skel->bss->exit_info, sizeof(ei));
	count_exit(ei.kind);
	{
		char reason[160];

		snprintf(reason, sizeof(reason), "scheduler detached: %s%s%s",
			 exit_kind_name(ei.kind), ei.reason[0] ? ": " : "", ei.reason);
		slo_http_set_health(http, false, reason);
	}
	publish_metrics(skel, nr_cpus, topo);
	print_stats(skel, nr_cpus, "scx_slo final stats", 0);
	report_exit(&ei, skel->bss->exit_dump, sizeof(skel->bss->exit_dump));
	*ei_out = ei;
	*attached = true;
out:
	if (limits_on)
		slo_limits_free(&limits);
	bpf_link__destroy(link);
	scx_slo__destroy(skel);
	slo_topology_free(topo);
	return ret;
}

/* What each exit status means, for the termination message. */
static const char *exit_meaning(int code)
{
	switch (code) {
	case EXIT_OK:			return "detached cleanly";
	case EXIT_FAILURE_OTHER:	return "load or attach failed";
	case EXIT_USAGE:		return "bad command line or configuration";
	case EXIT_NOT_ROOT:		return "not root";
	case EXIT_NO_SCHED_EXT:		return "the kernel cannot run sched_ext schedulers";
	case EXIT_BUSY:			return "another scx_slo runs here";
	case EXIT_VERIFIER:		return "the BPF verifier rejected the scheduler";
	case EXIT_SCHED_ERROR:		return "the kernel ejected the scheduler";
	default:			return "failed";
	}
}

/*
 * The exit reason, where the kubelet shows it (pod status, `kubectl
 * describe pod`): the status, what it means, and @detail or else the last
 * line logged.  Returns @code.
 */
static int terminate(int code, const char *detail)
{
	char text[SLO_TERMINATION_MAX];
	int e;

	if (!opts.termination_log[0])
		return code;
	if (!detail || !detail[0])
		detail = last_msg;
	snprintf(text, sizeof(text), "scx_slo exited %d (%s)%s%s\n", code, exit_meaning(code),
		 detail[0] ? ": " : "", detail);
	e = slo_termination_write(opts.termination_log, opts.termination_log_set, text);
	/* the default path exists only in a container */
	if (e && (opts.termination_log_set || e != -ENOENT))
		fprintf(stderr, "scx_slo: cannot write the termination message to %s: %s\n",
			opts.termination_log, strerror(-e));
	return code;
}

/*
 * Wait detached: @ms, or until SIGHUP (retry now) or a stop; with @park,
 * until SIGHUP or a stop only.  When @slot is set, also until the slot
 * comes free.  The heartbeat says "waiting" meanwhile, so `scx_slo health`
 * (the liveness probe) passes and /healthz (readiness) gives @reason.
 */
static void wait_detached(const char *reason, uint32_t ms, bool park, bool slot)
{
	struct timespec start, now;
	char who[200];

	slo_heartbeat_set_waiting(&heartbeat, true);
	slo_http_set_health(http, false, reason);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!exiting) {
		if (retry_requested) {
			retry_requested = 0;
			msg("SIGHUP: attaching again now");
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!park && ms_between(&start, &now) >= (int64_t)ms)
			break;
		if (slot && !slot_taken(who, sizeof(who)))
			break;
		poll(NULL, 0, 100);
		slo_http_heartbeat(http);
		slo_heartbeat_beat(&heartbeat);
	}
	slo_heartbeat_set_waiting(&heartbeat, false);
}

/*
 * Run the scheduler, and after each end of a run do what the failure
 * policy (policy.h) says: exit, attach again at once, or wait and retry.
 * Returns the exit status.
 */
static int supervise(bool use_peek)
{
	unsigned long long retries = 0;
	unsigned int attempt = 0;
	char holder[200] = "", who[200], reason[400];
	uint32_t seed = (uint32_t)getpid() ^ (uint32_t)time(NULL);

	for (;;) {
		enum slo_outcome outcome;
		struct slo_exit_info ei = {};
		struct slo_decision d;
		bool attached = false, slot;
		uint32_t delay;
		int ret = EXIT_OK;

		exit_summary[0] = '\0';
		if (slot_taken(who, sizeof(who))) {
			outcome = SLO_OUT_SLOT_TAKEN;
		} else {
			ret = run_once(use_peek, &ei, &attached);
			outcome = attached ? SLO_OUT_DETACHED :
				  ret == EXIT_BUSY ? SLO_OUT_SLOT_TAKEN :
				  ret == EXIT_VERIFIER ? SLO_OUT_VERIFIER : SLO_OUT_LOAD_FAILED;
			if (outcome == SLO_OUT_SLOT_TAKEN && !slot_taken(who, sizeof(who)))
				snprintf(who, sizeof(who), "unknown");
		}
		if (attached) {
			attempt = 0;
			holder[0] = '\0';
		}
		d = slo_policy_decide(outcome, ei.kind, ei.exit_code, exiting);
		switch (d.action) {
		case SLO_ACT_EXIT:
			if (attached || outcome == SLO_OUT_SLOT_TAKEN) {
				snprintf(reason, sizeof(reason), "%s%s%s", d.why,
					 exit_summary[0] ? ": " : "", exit_summary);
				return terminate(d.exit_code, reason);
			}
			return terminate(d.exit_code, NULL);
		case SLO_ACT_RESTART:
			msg("%s: reloading", d.why);
			continue;
		case SLO_ACT_PARK:
			msg("%s: staying detached (the kernel's default scheduler runs every task) "
			    "until SIGHUP or a restart of the pod", d.why);
			snprintf(reason, sizeof(reason), "waiting: %s (SIGHUP attaches again)", d.why);
			publish_waiting("sysrq", retries);
			wait_detached(reason, 0, true, false);
			break;
		case SLO_ACT_RETRY:
			slot = outcome == SLO_OUT_SLOT_TAKEN;
			delay = slo_backoff_ms(attempt++, rand_r(&seed) ^ (uint32_t)rand_r(&seed) << 16);
			retries++;
			if (slot && strcmp(who, holder)) {
				/* once per holder, not once per retry */
				msg("another sched_ext scheduler (%s) is attached: waiting for it to "
				    "detach (checked every 100 ms, attach retried with backoff up to "
				    "%d s; SIGHUP retries at once)", who, SLO_BACKOFF_CAP_MS / 1000);
				snprintf(holder, sizeof(holder), "%s", who);
			} else if (!slot) {
				msg("%s: attaching again in %.1f s", d.why, delay / 1000.0);
			}
			snprintf(reason, sizeof(reason), "waiting: %s%s%s%s", d.why,
				 slot ? " (" : "", slot ? who : "", slot ? ")" : "");
			publish_waiting(slot ? "slot" : "retry", retries);
			wait_detached(reason, delay, false, slot);
			break;
		}
		if (exiting)
			return terminate(EXIT_OK, "stopped while detached, waiting to attach");
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char mount[PATH_MAX] = "";
	struct slo_config cfg;
	bool use_peek;
	int ret;

	if (argc > 1 && !strcmp(argv[1], "slo"))
		return slo_cli_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "health"))
		return slo_health_main(argc - 1, argv + 1);
	ret = parse_args(argc, argv);
	if (ret)
		return terminate(ret, NULL);
	if (opts.show_topology)
		return show_topology();
	if (opts.check_config_path)
		return check_config();
	if (geteuid() != 0) {
		msg("must run as root: loading a sched_ext scheduler needs "
		    "CAP_BPF and CAP_PERFMON");
		return terminate(EXIT_NOT_ROOT, NULL);
	}
	ret = check_kernel();
	if (ret)
		return terminate(ret, NULL);
	ret = initial_config(&cfg, mount, sizeof(mount));
	if (ret && (ret != EXIT_USAGE || start_on_last_good(&cfg, mount)))
		return terminate(ret, NULL);
	slo_budgets_init(&budgets, mount, &cfg);
	if (decide_dsq_peek(&use_peek)) {
		slo_config_watch_free(&config_watch);
		slo_budgets_free(&budgets);
		return terminate(EXIT_USAGE, NULL);
	}

	libbpf_set_print(libbpf_print);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* a dead client must not kill us with SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	{
		char err[PATH_MAX + 128];
		int e = slo_heartbeat_open(&heartbeat, opts.heartbeat_path, err, sizeof(err));

		/* the liveness probe reads it: running without one is not an option */
		if (e) {
			msg("%s", err);
			slo_config_watch_free(&config_watch);
			slo_budgets_free(&budgets);
			return terminate(e == -EBUSY ? EXIT_BUSY : EXIT_FAILURE_OTHER, NULL);
		}
	}
	if (opts.metrics_addr) {
		char err[256];
		struct slo_shed_params sp;

		slo_shed_params_default(&sp, opts.shed_target, SLO_SHED_SAMPLE_MS / 1000.0);
		shed = slo_shed_new(&sp);
		if (shed)
			slo_shed_set_cgroup_busy(shed, shed_cgroup_busy, NULL);
		http = shed ? slo_http_start(opts.metrics_addr, err, sizeof(err)) : NULL;
		if (!shed)
			snprintf(err, sizeof(err), "out of memory");
		if (!http) {
			msg("--metrics: %s", err);
			slo_shed_free(shed);
			shed = NULL;
			slo_heartbeat_close(&heartbeat);
			slo_config_watch_free(&config_watch);
			slo_budgets_free(&budgets);
			return terminate(EXIT_FAILURE_OTHER, NULL);
		}
	}
	slo_http_set_shed(http, shed);
	ret = supervise(use_peek);

	slo_config_watch_free(&config_watch);
	slo_http_stop(http);
	slo_shed_free(shed);
	shed_cpu_busy_free();
	slo_heartbeat_close(&heartbeat);
	slo_budgets_free(&budgets);
	libbpf_log_free();
	return ret;
}
