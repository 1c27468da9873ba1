// SPDX-License-Identifier: GPL-2.0
/* The command line: defaults, --help, parsing and the checks between options. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "budget_rule.h"
#include "cgroup.h"
#include "config.h"
#include "duration.h"
#include "health.h"
#include "http.h"
#include "last_good.h"
#include "msg.h"
#include "options.h"
#include "policy.h"
#include "scx_slo.h"
#include "shed.h"
#include "termination.h"

struct options opts = {
	.slice_ns = 3 * SLO_NSEC_PER_MSEC,
	.default_budget_ns = SLO_DEFAULT_BUDGET_NS,
	.watchdog_ns = 10 * SLO_NSEC_PER_SEC,
	.metrics_max_cgroups = 200,
	.heartbeat_path = SLO_HEARTBEAT_PATH,
	.termination_log = SLO_TERMINATION_LOG,
	.last_good_path = SLO_LAST_GOOD_PATH,
	.shed_target = SLO_SHED_TARGET_DEFAULT,
};

static void usage(FILE *out)
{
	fprintf(out,
"Usage: scx_slo [OPTIONS]\n"
"       scx_slo slo list|get|set|del ...   (see scx_slo slo --help)\n"
"       scx_slo health [--heartbeat FILE] [--max-age DUR]   (exit 0 healthy)\n"
"\n"
"Run the scx_slo sched_ext scheduler until SIGINT or SIGTERM: every cgroup\n"
"gets a latency budget and tasks run earliest-deadline-first.\n"
"\n"
"Options:\n"
"  -c, --config FILE         SLO configuration (YAML, see README), applied at\n"
"                            start and again whenever FILE changes or on SIGHUP;\n"
"                            a bad file is rejected and the SLOs in force stay\n"
"      --slo-dir DIR         more SLOs: every *.yaml file in DIR (what the pod\n"
"                            annotation agent writes), followed like --config;\n"
"                            DIR's entry for a cgroup wins over --config's\n"
"                            (README: SLO sources)\n"
"      --check-config FILE   validate FILE and exit (0 valid, 2 not)\n"
"  -s, --slo PATH=DURATION   latency budget for the cgroup at PATH (relative\n"
"                            to the cgroup2 mount; inherited by descendants).\n"
"                            Repeatable; instead of --config.\n"
"                            Example: --slo /kubepods/web=5ms\n"
"  -b, --default-budget DUR  budget of tasks with no SLO above them (100ms)\n"
"  -l, --slice DUR           shortest slice (3ms)\n"
"      --max-slice DUR       longest slice (20ms, or --slice if longer): a\n"
"                            task's slice is a fifth of its budget within\n"
"                            --slice and this; equal to --slice, every slice\n"
"                            is --slice\n"
"  -w, --watchdog DUR        sched_ext watchdog timeout (10s)\n"
"  -S, --stats SECONDS       print per-cgroup statistics every SECONDS\n"
"  -m, --metrics ADDR:PORT   serve Prometheus /metrics, /healthz and the\n"
"                            admission endpoints (README: Load shedding)\n"
"                            (numeric address: 127.0.0.1:9464, [::]:9464)\n"
"      --metrics-max-cgroups N\n"
"                            cgroups with their own series (200); the rest\n"
"                            are summed into cgroup=\"other\"\n"
"      --shed-target RATIO   miss ratio above which /v1/admission starts\n"
"                            shedding a cgroup's requests (1%%; 1%% or 0.01)\n"
"      --heartbeat FILE      where the main loop leaves the heartbeat that\n"
"                            `scx_slo health` reads (" SLO_HEARTBEAT_PATH ")\n"
"      --termination-log FILE\n"
"                            write the exit reason there (default\n"
"                            " SLO_TERMINATION_LOG ", only if it exists; \"\" for none)\n"
"      --last-good FILE      keep a copy of the last configuration applied\n"
"                            there and start on it when --config's file does\n"
"                            not parse (" SLO_LAST_GOOD_PATH "; \"\" for none)\n"
"  -1, --single-dsq          one global deadline queue instead of one per LLC\n"
"                            (the baseline per-LLC queues are measured against)\n"
"      --dsq-peek MODE       how to read a queue's head: auto (default:\n"
"                            scx_bpf_dsq_peek() where safe, kernel 7.1+),\n"
"                            kfunc, or iter (the DSQ iterator)\n"
"\n"
"Topology (no root, no sched_ext, no BPF needed):\n"
"  -t, --show-topology       print packages, NUMA nodes and distances, LLC\n"
"                            domains and their steal order, then exit\n"
"  -j, --json                with --show-topology: JSON (schema in README)\n"
"      --topology-xml FILE   read the topology from an hwloc XML file\n"
"                            (lstopo --of xml) instead of this machine\n"
"      --topology-synthetic DESC\n"
"                            an hwloc synthetic topology instead, e.g.\n"
"                            \"package:2 l3:2 core:2 pu:1\"\n"
"\n"
"  -v, --verbose             show libbpf's messages, and how many\n"
"                            instructions the verifier walked per program\n"
"  -V, --version             print the version and exit\n"
"  -h, --help                print this help and exit\n"
"      --debug-verifier-reject\n"
"                            testing only: load a program the verifier must\n"
"                            reject\n"
"\n"
"Durations take a unit: ns, us, ms or s (e.g. 250us, 5ms, 1s).\n"
"\n"
"Exit status: 0 clean detach, 1 load or attach failure, 2 bad usage,\n"
"3 not root, 4 kernel without sched_ext, 5 another scx_slo holds the\n"
"heartbeat, 6 rejected by the BPF verifier, 7 the kernel ejected the\n"
"scheduler (the reason is printed), 8 (scx_slo slo) no scheduler running.\n"
"Another sched_ext scheduler attached is waited for (README: Failure policy).\n");
}

static int parse_duration_opt(const char *name, const char *arg, uint64_t min,
			      uint64_t max, uint64_t *out)
{
	const char *why = NULL;
	char lo[32], hi[32];

	if (slo_parse_duration(arg, out, &why)) {
		msg("%s '%s': %s", name, arg, why);
		return -1;
	}
	if (*out < min || *out > max) {
		slo_format_duration(min, lo, sizeof(lo));
		slo_format_duration(max, hi, sizeof(hi));
		msg("%s '%s': must be between %s and %s", name, arg, lo, hi);
		return -1;
	}
	return 0;
}

/* A budget option: the one rule (budget_rule.h), as the file and `slo set` read it. */
static int parse_budget_opt(const char *name, const char *arg, uint64_t *out)
{
	char why[128];

	if (slo_parse_budget(arg, out, why, sizeof(why))) {
		msg("%s '%s': %s", name, arg, why);
		return -1;
	}
	return 0;
}

/* "--slo PATH=DURATION": one more entry of the command-line configuration. */
static int parse_slo_opt(const char *arg)
{
	struct slo_config *cfg = &opts.cli_slos;
	const char *eq = strrchr(arg, '='), *why = NULL;
	struct slo_config_entry *grown, *e;
	char path[PATH_MAX], norm[PATH_MAX];
	uint64_t budget;
	size_t i;

	if (!eq || eq == arg) {
		msg("--slo '%s': expected PATH=DURATION", arg);
		return -1;
	}
	if ((size_t)(eq - arg) >= sizeof(path)) {
		msg("--slo: cgroup path is too long");
		return -1;
	}
	memcpy(path, arg, (size_t)(eq - arg));
	path[eq - arg] = '\0';
	if (slo_cgroup_normalize(path, norm, sizeof(norm), &why)) {
		msg("--slo '%s': %s", arg, why);
		return -1;
	}
	if (parse_budget_opt("--slo", eq + 1, &budget))
		return -1;
	for (i = 0; i < cfg->nr_entries; i++) {
		if (!strcmp(cfg->entries[i].path, norm)) {
			msg("--slo '%s': cgroup %s is given twice", arg, norm);
			return -1;
		}
	}
	if (cfg->nr_entries >= SLO_MAX_BUDGETS) {
		msg("--slo: more than %d SLOs", SLO_MAX_BUDGETS);
		return -1;
	}
	grown = realloc(cfg->entries, (cfg->nr_entries + 1) * sizeof(*cfg->entries));
	if (!grown) {
		msg("out of memory");
		return -1;
	}
	cfg->entries = grown;
	e = &cfg->entries[cfg->nr_entries];
	e->path = strdup(norm);
	if (!e->path) {
		msg("out of memory");
		return -1;
	}
	e->budget_ns = budget;
	e->line = 0;
	e->source = SLO_FROM_CONFIG;
	cfg->nr_entries++;
	return 0;
}

int parse_args(int argc, char **argv)
{
	enum {
		OPT_DEBUG_VERIFIER_REJECT = 256,
		OPT_TOPOLOGY_XML,
		OPT_TOPOLOGY_SYNTHETIC,
		OPT_DSQ_PEEK,
		OPT_CHECK_CONFIG,
		OPT_METRICS_MAX_CGROUPS,
		OPT_HEARTBEAT,
		OPT_TERMINATION_LOG,
		OPT_LAST_GOOD,
		OPT_SHED_TARGET,
		OPT_SLO_DIR,
		OPT_MAX_SLICE,
	};
	static const struct option long_opts[] = {
		{ "config",		required_argument, NULL, 'c' },
		{ "check-config",	required_argument, NULL, OPT_CHECK_CONFIG },
		{ "slo-dir",		required_argument, NULL, OPT_SLO_DIR },
		{ "slo",		required_argument, NULL, 's' },
		{ "default-budget",	required_argument, NULL, 'b' },
		{ "slice",		required_argument, NULL, 'l' },
		{ "max-slice",		required_argument, NULL, OPT_MAX_SLICE },
		{ "watchdog",		required_argument, NULL, 'w' },
		{ "stats",		required_argument, NULL, 'S' },
		{ "metrics",		required_argument, NULL, 'm' },
		{ "metrics-max-cgroups", required_argument, NULL, OPT_METRICS_MAX_CGROUPS },
		{ "shed-target",		required_argument, NULL, OPT_SHED_TARGET },
		{ "heartbeat",		required_argument, NULL, OPT_HEARTBEAT },
		{ "termination-log",	required_argument, NULL, OPT_TERMINATION_LOG },
		{ "last-good",		required_argument, NULL, OPT_LAST_GOOD },
		{ "verbose",		no_argument,	   NULL, 'v' },
		{ "version",		no_argument,	   NULL, 'V' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ "single-dsq",		no_argument,	   NULL, '1' },
		{ "dsq-peek",		required_argument, NULL, OPT_DSQ_PEEK },
		{ "show-topology",	no_argument,	   NULL, 't' },
		{ "json",		no_argument,	   NULL, 'j' },
		{ "topology-xml",	required_argument, NULL, OPT_TOPOLOGY_XML },
		{ "topology-synthetic",	required_argument, NULL, OPT_TOPOLOGY_SYNTHETIC },
		{ "debug-verifier-reject", no_argument,	   NULL, OPT_DEBUG_VERIFIER_REJECT },
		{}
	};
	char *end;
	long val;
	int c;

	while ((c = getopt_long(argc, argv, "c:s:b:l:w:S:m:1tjvVh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opts.config_path = optarg;
			break;
		case OPT_SLO_DIR:
			if (!*optarg) {
				msg("--slo-dir '': expected a directory");
				return EXIT_USAGE;
			}
			opts.slo_dir = optarg;
			break;
		case OPT_CHECK_CONFIG:
			opts.check_config_path = optarg;
			break;
		case 's':
			if (parse_slo_opt(optarg))
				return EXIT_USAGE;
			break;
		case 'b':
			if (parse_budget_opt("--default-budget", optarg, &opts.default_budget_ns))
				return EXIT_USAGE;
			break;
		case 'l':
			if (parse_duration_opt("--slice", optarg, 100 * SLO_NSEC_PER_USEC,
					       100 * SLO_NSEC_PER_MSEC, &opts.slice_ns))
				return EXIT_USAGE;
			break;
		case OPT_MAX_SLICE:
			if (parse_duration_opt("--max-slice", optarg, 100 * SLO_NSEC_PER_USEC,
					       100 * SLO_NSEC_PER_MSEC, &opts.max_slice_ns))
				return EXIT_USAGE;
			break;
		case 'w':
			/* the kernel caps the watchdog at 30 s */
			if (parse_duration_opt("--watchdog", optarg, 100 * SLO_NSEC_PER_MSEC,
					       30 * SLO_NSEC_PER_SEC, &opts.watchdog_ns))
				return EXIT_USAGE;
			break;
		case 'S':
			errno = 0;
			val = strtol(optarg, &end, 10);
			if (errno || *end || val < 1 || val > 3600) {
				msg("--stats '%s': expected whole seconds from 1 to 3600", optarg);
				return EXIT_USAGE;
			}
			opts.stats_interval = (unsigned int)val;
			break;
		case 'm': {
			struct sockaddr_storage ss;
			socklen_t sslen;
			char err[256];

			if (slo_http_parse_addr(optarg, &ss, &sslen, err, sizeof(err))) {
				msg("--metrics: %s", err);
				return EXIT_USAGE;
			}
			opts.metrics_addr = optarg;
			break;
		}
		case OPT_METRICS_MAX_CGROUPS:
			errno = 0;
			val = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || val < 0 || val > 100000) {
				msg("--metrics-max-cgroups '%s': expected 0 to 100000", optarg);
				return EXIT_USAGE;
			}
			opts.metrics_max_cgroups = (unsigned int)val;
			break;
		case OPT_SHED_TARGET: {
			const char *why;

			if (slo_shed_parse_target(optarg, &opts.shed_target, &why)) {
				msg("--shed-target '%s': %s", optarg, why);
				return EXIT_USAGE;
			}
			break;
		}
		case OPT_HEARTBEAT:
			if (!*optarg || optarg[strlen(optarg) - 1] == '/') {
				msg("--heartbeat '%s': expected a file path", optarg);
				return EXIT_USAGE;
			}
			opts.heartbeat_path = optarg;
			break;
		case OPT_TERMINATION_LOG:
		case OPT_LAST_GOOD:
			if (*optarg && optarg[strlen(optarg) - 1] == '/') {
				msg("--%s '%s': expected a file path",
				    c == OPT_LAST_GOOD ? "last-good" : "termination-log", optarg);
				return EXIT_USAGE;
			}
			if (c == OPT_LAST_GOOD) {
				opts.last_good_path = optarg;
			} else {
				opts.termination_log = optarg;
				opts.termination_log_set = true;
			}
			break;
		case 'v':
			opts.verbose = true;
			break;
		case 'V':
			printf("scx_slo %s (libbpf %s)\n", SCX_SLO_VERSION,
			       libbpf_version_string());
			exit(EXIT_OK);
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case '1':
			opts.single_dsq = true;
			break;
		case OPT_DSQ_PEEK:
			if (!strcmp(optarg, "auto")) {
				opts.dsq_peek = PEEK_AUTO;
			} else if (!strcmp(optarg, "kfunc")) {
				opts.dsq_peek = PEEK_KFUNC;
			} else if (!strcmp(optarg, "iter")) {
				opts.dsq_peek = PEEK_ITER;
			} else {
				msg("--dsq-peek '%s': expected auto, kfunc or iter", optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			opts.show_topology = true;
			break;
		case 'j':
			opts.json = true;
			break;
		case OPT_TOPOLOGY_XML:
			opts.topology_xml = optarg;
			break;
		case OPT_TOPOLOGY_SYNTHETIC:
			opts.topology_synthetic = optarg;
			break;
		case OPT_DEBUG_VERIFIER_REJECT:
			opts.debug_verifier_reject = true;
			break;
		default:
			fprintf(stderr, "Try 'scx_slo --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		msg("unexpected argument '%s'", argv[optind]);
		fprintf(stderr, "Try 'scx_slo --help'.\n");
		return EXIT_USAGE;
	}
	if (!opts.max_slice_ns)
		opts.max_slice_ns = opts.slice_ns > SLO_MAX_SLICE_DEFAULT_NS ?
				    opts.slice_ns : SLO_MAX_SLICE_DEFAULT_NS;
	if (opts.max_slice_ns < opts.slice_ns) {
		char mx[32], sl[32];

		slo_format_duration(opts.max_slice_ns, mx, sizeof(mx));
		slo_format_duration(opts.slice_ns, sl, sizeof(sl));
		msg("--max-slice %s is shorter than --slice %s", mx, sl);
		return EXIT_USAGE;
	}
	/*
	 * The starvation backstop must act well inside the watchdog: a task
	 * starving for watchdog/4 is found by the next walk of its queue
	 * (every SLO_STARVE_SCAN_NS) and runs when the CPU's current slice
	 * ends, all within half the watchdog.
	 */
	if (opts.watchdog_ns / 4 < SLO_STARVE_SCAN_NS + opts.max_slice_ns) {
		char wd[32], sl[32], need[32];

		slo_format_duration(opts.watchdog_ns, wd, sizeof(wd));
		slo_format_duration(opts.max_slice_ns, sl, sizeof(sl));
		slo_format_duration(4 * (SLO_STARVE_SCAN_NS + opts.max_slice_ns), need, sizeof(need));
		msg("--watchdog %s is too short for a slice of %s: the starvation backstop "
		    "(a quarter of the watchdog, checked every %llums, plus a slice) needs "
		    "a watchdog of at least %s", wd, sl,
		    (unsigned long long)(SLO_STARVE_SCAN_NS / SLO_NSEC_PER_MSEC), need);
		return EXIT_USAGE;
	}
	if (opts.config_path && opts.cli_slos.nr_entries) {
		msg("--config and --slo are exclusive: put the SLOs in the file");
		return EXIT_USAGE;
	}
	if (opts.slo_dir && opts.cli_slos.nr_entries) {
		msg("--slo-dir and --slo are exclusive: put the SLOs in --config's file");
		return EXIT_USAGE;
	}
	if (opts.topology_xml && opts.topology_synthetic) {
		msg("--topology-xml and --topology-synthetic are exclusive");
		return EXIT_USAGE;
	}
	if (opts.check_config_path && (opts.config_path || opts.slo_dir || opts.show_topology)) {
		msg("--check-config only validates a file: no other mode with it");
		return EXIT_USAGE;
	}
	if (opts.json && !opts.show_topology) {
		msg("--json only applies to --show-topology");
		return EXIT_USAGE;
	}
	/* a scheduler must run on the machine it is loaded into */
	if ((opts.topology_xml || opts.topology_synthetic) && !opts.show_topology) {
		msg("--topology-xml and --topology-synthetic only apply to --show-topology");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}
