// SPDX-License-Identifier: GPL-2.0
/*
 * scx_slo: load the SLO-aware EDF sched_ext scheduler, feed it per-cgroup
 * latency budgets, report its statistics, and detach cleanly.
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

#include "budgets.h"
#include "cgroup.h"
#include "escape.h"
#include "config.h"
#include "config_watch.h"
#include "cpu_limits_sync.h"
#include "duration.h"
#include "health.h"
#include "http.h"
#include "last_good.h"
#include "metrics.h"
#include "pins.h"
#include "policy.h"
#include "scx_slo.h"
#include "scx_slo.skel.h"
#include "shed.h"
#include "slo_cli.h"
#include "stats.h"
#include "termination.h"
#include "topo_maps.h"
#include "topology.h"

#ifndef SCX_SLO_VERSION
#define SCX_SLO_VERSION "unknown"
#endif

#define SCHED_EXT_SYSFS		"/sys/kernel/sched_ext"

/* enum slo_exit_code and what leads to each: policy.h */

static struct options {
	bool verbose;
	unsigned int stats_interval;
	uint64_t slice_ns;
	uint64_t default_budget_ns;
	uint64_t watchdog_ns;
	bool debug_verifier_reject;
	bool single_dsq;
	enum { PEEK_AUTO, PEEK_KFUNC, PEEK_ITER } dsq_peek;
	bool show_topology;
	bool json;
	const char *topology_xml;
	const char *topology_synthetic;
	const char *config_path;
	const char *check_config_path;
	const char *metrics_addr;
	unsigned int metrics_max_cgroups;
	const char *heartbeat_path;
	const char *termination_log;	/* "" for none */
	bool termination_log_set;	/* given: created if missing */
	const char *last_good_path;	/* "" for none */
	struct slo_config cli_slos;	/* from --slo */
	double shed_target;		/* --shed-target: miss ratio */
} opts = {
	.slice_ns = 3 * SLO_NSEC_PER_MSEC,
	.default_budget_ns = SLO_DEFAULT_BUDGET_NS,
	.watchdog_ns = 10 * SLO_NSEC_PER_SEC,
	.metrics_max_cgroups = 200,
	.heartbeat_path = SLO_HEARTBEAT_PATH,
	.termination_log = SLO_TERMINATION_LOG,
	.last_good_path = SLO_LAST_GOOD_PATH,
	.shed_target = SLO_SHED_TARGET_DEFAULT,
};

/* retry_requested: SIGHUP also ends a wait for the slot at once */
static volatile sig_atomic_t exiting, reload_requested, retry_requested;

/* The SLO configuration in force, kept across scheduler restarts. */
static struct slo_budgets budgets;
/* --config: the file followed for changes, and how its reloads went */
static struct slo_config_watch config_watch = { .fd = -1 };

/*
 * cpu.max: read by BPF from ops.cgroup_set_bandwidth (6.17+), else put
 * into slo_cgroup_limits by the loader (see cpu_limits_sync.h): every cgroup
 * once a second, the limited ones every SLO_LIMITS_RECHECK_MS.
 */
#define SLO_LIMITS_RECHECK_MS	250
static bool bw_from_kernel;

/* --metrics: the HTTP server, and exits seen since start, by kind. */
static struct slo_http *http;
/* What `scx_slo health` reads: written after each pass of the main loop. */
static struct slo_heartbeat heartbeat = { .fd = -1, .dir_fd = -1 };
static struct slo_metrics_exit exits_seen[16];
/* The admission signal behind /v1/admission and /v1/pressure (shed.h). */
static struct slo_shed *shed;
static struct slo_cpu_times cpu_times;
static size_t nr_exits_seen;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = retry_requested = 1;
	else
		exiting = 1;
}

/* the last line logged: what the termination message says went wrong */
static char last_msg[1024];

static void vmsg(const char *fmt, va_list ap)
{
	va_list copy;

	va_copy(copy, ap);
	vsnprintf(last_msg, sizeof(last_msg), fmt, copy);
	va_end(copy);
	fputs("scx_slo: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/*
 * libbpf's messages are noise unless something fails.  Keep them (bounded)
 * so a verifier rejection can show the end of the verifier's log, and echo
 * them live only with -v.
 */
static char *libbpf_log;
static size_t libbpf_log_len, libbpf_log_cap;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[4096];
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (opts.verbose)
		fputs(line, stderr);
	if (level == LIBBPF_DEBUG)
		return n;
	if (libbpf_log_len + (size_t)n + 1 > libbpf_log_cap) {
		size_t cap = (libbpf_log_len + (size_t)n + 1) * 2;
		char *grown;

		if (cap > 64 << 20)	/* a verifier log can be huge: cap it */
			return n;
		grown = realloc(libbpf_log, cap);
		if (!grown)
			return n;
		libbpf_log = grown;
		libbpf_log_cap = cap;
	}
	memcpy(libbpf_log + libbpf_log_len, line, (size_t)n);
	libbpf_log_len += (size_t)n;
	libbpf_log[libbpf_log_len] = '\0';
	return n;
}

/* Print the last @lines lines of the verifier log libbpf relayed, if any. */
static bool print_verifier_tail(int lines)
{
	const char *begin, *end, *p;
	int seen = 0;

	if (!libbpf_log)
		return false;
	begin = strstr(libbpf_log, "-- BEGIN PROG LOAD LOG --");
	if (!begin)
		return false;
	begin = strchr(begin, '\n');
	if (!begin)
		return false;
	begin++;
	end = strstr(begin, "-- END PROG LOAD LOG --");
	if (!end)
		end = libbpf_log + libbpf_log_len;
	for (p = end; p > begin; p--) {
		if (p[-1] == '\n' && p != end && ++seen > lines)
			break;
	}
	fprintf(stderr, "--- verifier log (last %d lines; -v for all) ---\n", lines);
	fwrite(p, 1, (size_t)(end - p), stderr);
	fprintf(stderr, "---\n");
	return true;
}

static int read_sysfs(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* Name of the attached scheduler, or "" if none/unknown. */
static void attached_ops_name(char *buf, size_t len)
{
	if (read_sysfs(SCHED_EXT_SYSFS "/root/ops", buf, len))
		buf[0] = '\0';
}

static const char *exit_kind_name(int kind)
{
	return slo_exit_kind_name(kind);
}

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
"      --check-config FILE   validate FILE and exit (0 valid, 2 not)\n"
"  -s, --slo PATH=DURATION   latency budget for the cgroup at PATH (relative\n"
"                            to the cgroup2 mount; inherited by descendants).\n"
"                            Repeatable; instead of --config.\n"
"                            Example: --slo /kubepods/web=5ms\n"
"  -b, --default-budget DUR  budget of tasks with no SLO above them (100ms)\n"
"  -l, --slice DUR           time slice (3ms)\n"
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
"  -v, --verbose             show libbpf's messages\n"
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
	if (parse_duration_opt("--slo", eq + 1, SLO_BUDGET_MIN_NS,
			       SLO_BUDGET_MAX_NS, &budget))
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
	cfg->nr_entries++;
	return 0;
}

static int parse_args(int argc, char **argv)
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
	};
	static const struct option long_opts[] = {
		{ "config",		required_argument, NULL, 'c' },
		{ "check-config",	required_argument, NULL, OPT_CHECK_CONFIG },
		{ "slo",		required_argument, NULL, 's' },
		{ "default-budget",	required_argument, NULL, 'b' },
		{ "slice",		required_argument, NULL, 'l' },
		{ "watchdog",		required_argument, NULL, 'w' },
		{ "stats",		required_argument, NULL, 'S' },
		{ "metrics",		required_argument, NULL, 'm' },
		{ "metrics-max-cgroups", required_argument, NULL, OPT_METRICS_MAX_CGROUPS },
		{ "shed-target",	required_argument, NULL, OPT_SHED_TARGET },
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
		case OPT_CHECK_CONFIG:
			opts.check_config_path = optarg;
			break;
		case 's':
			if (parse_slo_opt(optarg))
				return EXIT_USAGE;
			break;
		case 'b':
			if (parse_duration_opt("--default-budget", optarg,
					       SLO_BUDGET_MIN_NS, SLO_BUDGET_MAX_NS,
					       &opts.default_budget_ns))
				return EXIT_USAGE;
			break;
		case 'l':
			if (parse_duration_opt("--slice", optarg, 100 * SLO_NSEC_PER_USEC,
					       100 * SLO_NSEC_PER_MSEC, &opts.slice_ns))
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
	/*
	 * The starvation backstop must act well inside the watchdog: a task
	 * starving for watchdog/4 is found by the next walk of its queue
	 * (every SLO_STARVE_SCAN_NS) and runs when the CPU's current slice
	 * ends, all within half the watchdog.
	 */
	if (opts.watchdog_ns / 4 < SLO_STARVE_SCAN_NS + opts.slice_ns) {
		char wd[32], sl[32], need[32];

		slo_format_duration(opts.watchdog_ns, wd, sizeof(wd));
		slo_format_duration(opts.slice_ns, sl, sizeof(sl));
		slo_format_duration(4 * (SLO_STARVE_SCAN_NS + opts.slice_ns), need, sizeof(need));
		msg("--watchdog %s is too short for --slice %s: the starvation backstop "
		    "(a quarter of the watchdog, checked every %llums, plus a slice) needs "
		    "a watchdog of at least %s", wd, sl,
		    (unsigned long long)(SLO_STARVE_SCAN_NS / SLO_NSEC_PER_MSEC), need);
		return EXIT_USAGE;
	}
	if (opts.config_path && opts.cli_slos.nr_entries) {
		msg("--config and --slo are exclusive: put the SLOs in the file");
		return EXIT_USAGE;
	}
	if (opts.topology_xml && opts.topology_synthetic) {
		msg("--topology-xml and --topology-synthetic are exclusive");
		return EXIT_USAGE;
	}
	if (opts.check_config_path && (opts.config_path || opts.show_topology)) {
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

/* Can this kernel run us at all? (A slot taken is waited for: main().) */
static int check_kernel(void)
{
	struct utsname uts;

	if (access(SCHED_EXT_SYSFS, F_OK)) {
		uname(&uts);
		msg("kernel %s has no sched_ext (CONFIG_SCHED_CLASS_EXT): "
		    "boot a kernel 6.12 or later built with it", uts.release);
		return EXIT_NO_SCHED_EXT;
	}
	if (slo_kernel_kfunc_nr_args("scx_bpf_create_dsq") > 2) {
		uname(&uts);
		msg("kernel %s: its BTF gives sched_ext kfuncs a hidden 'aux' "
		    "argument (scx_bpf_create_dsq takes 3), a BTF defect of some "
		    "7.1 and 7.2 builds that no libbpf scheduler can load on: "
		    "boot another kernel (7.2.13 and later are fixed)", uts.release);
		return EXIT_NO_SCHED_EXT;
	}
	return EXIT_OK;
}

static void config_log(void *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/*
 * A settled, parsed configuration file: apply it whole, or keep what is in
 * force.  The same content is not applied again (a ConfigMap update fires
 * several events); SIGHUP (@force) re-applies regardless, which also drops
 * `scx_slo slo set/del` overrides.
 */
static int apply_config(void *ctx, struct slo_config *cfg, const char *why, bool force,
			char *err, size_t errlen)
{
	char budget[32];

	if (!force && slo_config_equal(cfg, &budgets.cfg))
		return 1;
	if (slo_budgets_apply(&budgets, cfg, err, errlen))
		return -1;
	slo_format_duration(budgets.cfg.default_budget_ns, budget, sizeof(budget));
	msg("config %s applied (%s): %zu SLO(s), %zu with a cgroup now, default budget %s",
	    opts.config_path, why, budgets.cfg.nr_entries,
	    slo_budgets_nr_active(&budgets), budget);
	return 0;
}

/*
 * Does another sched_ext scheduler hold the slot?  Its name and state in
 * @who ("'simple', state enabled").  Checked before loading, so waiting
 * for the slot costs a sysfs read, not a BPF load and verification.
 */
static bool slot_taken(char *who, size_t len)
{
	char state[64], ops[128];

	if (read_sysfs(SCHED_EXT_SYSFS "/state", state, sizeof(state)) ||
	    !strcmp(state, "disabled"))
		return false;
	attached_ops_name(ops, sizeof(ops));
	snprintf(who, len, "'%s', state %s", ops[0] ? ops : "unknown", state);
	return true;
}

/*
 * The configuration to start with: the file, or the --slo entries (whose
 * cgroups must exist: a typo on the command line is an error, while a file
 * may name cgroups that appear later).  0, or an exit code.
 */
static int initial_config(struct slo_config *cfg, char *mount, size_t mountlen)
{
	char err[768];
	size_t i;
	int ret;

	ret = slo_cgroup_mount(mount, mountlen);
	if (ret && (opts.config_path || opts.cli_slos.nr_entries)) {
		msg("no cgroup2 mount found (%s): SLOs need the unified hierarchy",
		    strerror(-ret));
		return EXIT_USAGE;
	}
	if (opts.config_path) {
		static const struct slo_config_watch_ops ops = {
			.apply = apply_config,
			.log = config_log,
		};

		if (slo_config_watch_init(&config_watch, opts.config_path,
					  opts.default_budget_ns, &ops, cfg, err, sizeof(err))) {
			msg("%s", err);
			return EXIT_USAGE;
		}
	} else {
		*cfg = opts.cli_slos;
		memset(&opts.cli_slos, 0, sizeof(opts.cli_slos));
		for (i = 0; i < cfg->nr_entries; i++) {
			uint64_t id;

			ret = slo_cgroup_id(mount, cfg->entries[i].path, &id);
			if (ret) {
				msg("--slo %s: cgroup %s%s: %s", cfg->entries[i].path,
				    mount, cfg->entries[i].path, strerror(-ret));
				slo_config_free(cfg);
				return EXIT_USAGE;
			}
		}
		if (!cfg->has_default_budget)
			cfg->default_budget_ns = opts.default_budget_ns;
		slo_reload_status_started(&config_watch.status);
	}
	return 0;
}

/*
 * Pin the budget maps for `scx_slo slo ...`, with the struct_ops map that
 * tells it whether their scheduler is the one attached (pins.h).  Failure
 * only costs runtime control, so it is a warning.
 */
static struct slo_pins pins = SLO_PINS_INIT;

static struct bpf_map *pin_map(struct scx_slo *skel, const char *name)
{
	if (!strcmp(name, SLO_PIN_OPS_NAME))
		return skel->maps.slo_ops;
	if (!strcmp(name, "budgets_0"))
		return skel->maps.slo_budgets_0;
	if (!strcmp(name, "budgets_1"))
		return skel->maps.slo_budgets_1;
	return skel->maps.slo_control;
}

static void unpin_maps(void)
{
	if (pins.dir_fd < 0)
		return;
	/* a `scx_slo slo` command in flight finishes before the maps go */
	slo_lock_wait(pins.dir_fd, 2000);
	budgets.lock_fd = -1;
	slo_pins_remove(&pins);
}

static void pin_maps(struct scx_slo *skel)
{
	char err[256];
	size_t i;
	int ret;

	ret = slo_pins_create(&pins, err, sizeof(err));
	if (ret) {
		msg("warning: %s: scx_slo slo ... unavailable", err);
		return;
	}
	for (i = 0; i < slo_nr_pin_names; i++) {
		ret = slo_pins_pin(&pins, bpf_map__fd(pin_map(skel, slo_pin_names[i])),
				   slo_pin_names[i]);
		if (ret) {
			msg("warning: cannot pin %s/%s (%s): scx_slo slo ... unavailable",
			    SLO_PIN_DIR, slo_pin_names[i], strerror(-ret));
			slo_pins_remove(&pins);
			return;
		}
	}
	budgets.lock_fd = pins.dir_fd;
}

/* Budget in force for @path: its own SLO or the nearest ancestor's. */
static uint64_t budget_for_path(const char *path)
{
	return slo_budgets_budget_of(&budgets, path);
}

static void count_exit(int kind)
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

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * One interval of the admission signal, every SLO_SHED_SAMPLE_MS: proxies
 * need to react faster than the once-a-second pass that collects
 * everything, and the per-cgroup counters alone, read in batches, cost
 * little (stats.c).  A failed sample keeps the previous table, which
 * turns stale (SLO_SHED_STALE_MIN_S): admit.
 */
#define SLO_SHED_SAMPLE_MS	250

static void sample_shed(struct scx_slo *skel)
{
	struct slo_shed_sample *smp;
	size_t n;

	if (!shed || slo_stats_shed_samples(skel, budget_for_path, &smp, &n))
		return;
	slo_shed_update(shed, monotonic_s(), smp, n, slo_shed_node_busy("/proc/stat", &cpu_times));
	free(smp);
}

/* Each cgroup's shed probability in force, for /metrics. */
static void shed_metrics(struct slo_stats *st)
{
	struct slo_shed_answer a;
	double now = monotonic_s();
	size_t i;

	for (i = 0; shed && i < st->nr_cgroups; i++) {
		slo_shed_lookup(shed, st->cgroups[i].path, now, &a);
		st->cgroups[i].shed_probability = a.probability;
	}
}

static void publish_metrics(struct scx_slo *skel, int nr_cpus, const struct slo_topology *topo)
{
	struct slo_metrics_config cm;
	struct slo_metrics_snapshot snap = {};
	struct slo_stats st;
	struct utsname uts;
	char *text = NULL;
	size_t len = 0;

	/* collected even without --metrics: collecting frees removed cgroups' stats */
	if (slo_stats_collect(skel, nr_cpus, budget_for_path, &st))
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

static void print_stats(struct scx_slo *skel, int nr_cpus, const char *title,
			size_t max_cgroups)
{
	struct slo_stats st;

	if (slo_stats_collect(skel, nr_cpus, budget_for_path, &st)) {
		msg("cannot read the statistics: out of memory");
		return;
	}
	slo_stats_print(stdout, &st, title, max_cgroups);
	slo_stats_free(&st);
}

/*
 * After an error exit, the kernel's debug dump (every CPU's state, the
 * tasks queued, and our own ops.dump lines), prefixed so that it reads as
 * one block in a container log: what a bug report needs.
 */
static void print_exit_dump(const char *dump, size_t len)
{
	const char *line = dump, *end = dump + strnlen(dump, len);
	/* the dump quotes task names (comm), which any process sets */
	static char esc[SLO_ESCAPED_SIZE(4096)];

	if (line == end)
		return;
	msg("EXIT: the kernel's debug dump follows");
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		int n = (int)((nl ? nl : end) - line);

		slo_escape_mem(esc, sizeof(esc), line, (size_t)n);
		fprintf(stderr, "scx_slo: dump: %s\n", esc);
		line += n + 1;
	}
}

/* The kernel's reason for the last detach, for the termination message. */
static char exit_summary[SLO_TERMINATION_MAX / 2];

static void report_exit(const struct slo_exit_info *ei, const char *dump, size_t dump_len)
{
	const char *kind = exit_kind_name(ei->kind);
	/* the kernel's and BPF's text may quote cgroup and task names */
	char reason[SLO_ESCAPED_SIZE(sizeof(ei->reason))];
	char text[SLO_ESCAPED_SIZE(sizeof(ei->msg))];

	slo_escape_mem(reason, sizeof(reason), ei->reason, strnlen(ei->reason, sizeof(ei->reason)));
	slo_escape_mem(text, sizeof(text), ei->msg, strnlen(ei->msg, sizeof(ei->msg)));
	/*
	 * Escaped here too: kubectl prints the termination message to
	 * terminals.  Cut to fit: the kubelet keeps 4 KiB of it anyway.
	 */
	if (snprintf(exit_summary, sizeof(exit_summary), "%s (%d)%s%s%s%s", kind, ei->kind,
		     reason[0] ? ": " : "", reason, text[0] ? ": " : "", text) >=
	    (int)sizeof(exit_summary))
		exit_summary[sizeof(exit_summary) - 1] = '\0';
	if (ei->kind >= SLO_EXIT_KIND_ERROR) {
		msg("EXIT: %s (%d): %s", kind, ei->kind,
		    reason[0] ? reason : "no reason given");
		if (text[0])
			msg("EXIT: %s", text);
		print_exit_dump(dump, dump_len);
	} else {
		msg("detached: %s%s%s%s%s%s", kind,
		    reason[0] ? " (" : "", reason, reason[0] ? ")" : "",
		    text[0] ? ": " : "", text);
	}
}

/*
 * scx_bpf_dsq_peek() appeared in 6.19 but could return a task being
 * dequeued until 7.1; before that, the DSQ iterator reads the head.
 */
static int decide_dsq_peek(bool *use_peek)
{
	bool have = slo_kernel_has_kfunc("scx_bpf_dsq_peek");

	switch (opts.dsq_peek) {
	case PEEK_ITER:
		*use_peek = false;
		return 0;
	case PEEK_KFUNC:
		if (!have) {
			msg("--dsq-peek kfunc: this kernel has no scx_bpf_dsq_peek()");
			return -1;
		}
		*use_peek = true;
		return 0;
	default:
		*use_peek = have && slo_kernel_at_least(7, 1);
		return 0;
	}
}

static uint64_t read_hotplug_seq(void)
{
	char buf[32];

	if (read_sysfs(SCHED_EXT_SYSFS "/hotplug_seq", buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 10);
}

static int exit_kind(struct scx_slo *skel)
{
	return __atomic_load_n(&skel->bss->exit_info.kind, __ATOMIC_ACQUIRE);
}

/* ---- cpu.max from cgroupfs (kernels without ops.cgroup_set_bandwidth) ---- */

static int limits_update(void *ctx, uint64_t id, const struct slo_cgroup_limit *lim)
{
	struct scx_slo *skel = ctx;

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.slo_cgroup_limits), &id, lim, BPF_ANY))
		return -errno;
	return 0;
}

static int limits_remove(void *ctx, uint64_t id)
{
	struct scx_slo *skel = ctx;

	if (bpf_map_delete_elem(bpf_map__fd(skel->maps.slo_cgroup_limits), &id))
		return -errno;
	return 0;
}

__attribute__((format(printf, 2, 3)))
static void limits_log(void *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/*
 * One pass over cgroupfs (@full: every cgroup, else the limited ones), then
 * one bw_generation bump if the map changed, so that BPF re-resolves each
 * task's limited ancestors.  Walk errors are reported by cpu_limits_sync.c.
 */
static void limits_pass(struct slo_limits *limits, struct scx_slo *skel, bool full)
{
	int changed = full ? slo_limits_sync(limits) : slo_limits_recheck(limits);

	if (changed > 0)
		__atomic_fetch_add(&skel->bss->bw_generation, 1, __ATOMIC_RELEASE);
}

static int64_t ms_between(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000 +
	       (b->tv_nsec - a->tv_nsec) / 1000000;
}

static void track_last_good(void);

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
	struct slo_bpf_shape shape;
	const char *failed = NULL;
	char errbuf[768], budget[32];
	struct timespec last_stats, last_rescan, last_limits, last_shed, now;
	static const struct slo_limits_ops limits_ops = {
		.update = limits_update,
		.remove = limits_remove,
		.log = limits_log,
	};
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

	/* the topology is read afresh on every (re)start: hotplug restarts us */
	err = slo_topology_load_live(&topo, errbuf, sizeof(errbuf));
	if (err < 0) {
		msg("%s", errbuf);
		return EXIT_FAILURE_OTHER;
	}

	skel = scx_slo__open();
	if (!skel) {
		msg("cannot open the BPF object: %s", strerror(errno));
		ret = EXIT_FAILURE_OTHER;
		goto out;
	}
	err = slo_size_bpf(skel, topo, opts.single_dsq, use_peek, &shape, &failed);
	if (err) {
		msg("cannot size map %s: %s", failed, strerror(-err));
		ret = EXIT_FAILURE_OTHER;
		goto out;
	}
	/* cgroup callbacks exist only with CONFIG_EXT_GROUP_SCHED */
	if (!slo_kernel_has_ops_member("cgroup_exit")) {
		/* no cpu.weight then either: every task counts as the root's */
		skel->struct_ops.slo_ops->cgroup_exit = NULL;
		skel->struct_ops.slo_ops->cgroup_init = NULL;
		skel->struct_ops.slo_ops->cgroup_set_weight = NULL;
		bpf_program__set_autoload(skel->progs.slo_cgroup_exit, false);
		bpf_program__set_autoload(skel->progs.slo_cgroup_init, false);
		bpf_program__set_autoload(skel->progs.slo_cgroup_set_weight, false);
	}
	/* cpu.max reaches BPF from the kernel on 6.17+, else from us */
	bw_from_kernel = slo_kernel_has_ops_member("cgroup_set_bandwidth");
	if (!bw_from_kernel) {
		skel->struct_ops.slo_ops->cgroup_set_bandwidth = NULL;
		bpf_program__set_autoload(skel->progs.slo_cgroup_set_bandwidth, false);
	}
	skel->rodata->bw_from_kernel = bw_from_kernel;
	skel->struct_ops.slo_ops->hotplug_seq = read_hotplug_seq();
	skel->rodata->slice_ns = opts.slice_ns;
	skel->rodata->default_budget_ns = opts.default_budget_ns;
	skel->rodata->lag_cap_ns = opts.slice_ns;
	/* well inside the watchdog, so a starving task is run, not reported */
	skel->rodata->starve_ns = opts.watchdog_ns / 4;
	skel->rodata->park_limit_ns = opts.watchdog_ns * 3 / 8;
	skel->rodata->debug_verifier_reject = opts.debug_verifier_reject;
	skel->struct_ops.slo_ops->timeout_ms =
		(uint32_t)(opts.watchdog_ns / SLO_NSEC_PER_MSEC);

	err = scx_slo__load(skel);
	if (err) {
		if (print_verifier_tail(20)) {
			msg("the BPF verifier rejected the scheduler (%s)", strerror(-err));
			ret = EXIT_VERIFIER;
		} else {
			msg("cannot load the BPF scheduler: %s%s", strerror(-err),
			    opts.verbose ? "" : " (-v shows libbpf's log)");
			ret = EXIT_FAILURE_OTHER;
		}
		goto out;
	}
	err = slo_fill_topology_maps(skel, topo, &shape);
	if (err) {
		msg("cannot pass the topology to BPF: %s", strerror(-err));
		ret = EXIT_FAILURE_OTHER;
		goto out;
	}
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
	msg("scheduler '%s' attached on %s: %d CPUs, %s, %s, default budget %s, "
	    "%zu SLO(s), %zu with a cgroup now",
	    SCX_SLO_OPS_NAME, uts.release, topo->nr_online_cpus,
	    opts.single_dsq ? "one global queue" : "one queue per LLC",
	    use_peek ? "dsq peek" : "dsq iterator", budget,
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
		if (opts.config_path) {
			int due = slo_config_watch_timeout_ms(&config_watch);

			if (due < timeout)
				timeout = due;
		}
		/* a signal interrupts the wait: SIGHUP reloads at once */
		poll(&pfd, pfd.fd >= 0 ? 1 : 0, timeout);
		if (reload_requested) {
			reload_requested = 0;
			if (opts.config_path)
				slo_config_watch_request(&config_watch, "SIGHUP");
		}
		if (opts.config_path)
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

/* --check-config: parse only; nothing is loaded. */
static int check_config(void)
{
	struct slo_config cfg;
	char err[768], budget[32];

	if (slo_config_load(opts.check_config_path, &cfg, err, sizeof(err))) {
		msg("%s", err);
		return EXIT_USAGE;
	}
	slo_format_duration(cfg.has_default_budget ? cfg.default_budget_ns :
			    opts.default_budget_ns, budget, sizeof(budget));
	printf("%s: valid, %zu SLO(s), default budget %s\n", opts.check_config_path,
	       cfg.nr_entries, budget);
	slo_config_free(&cfg);
	return EXIT_OK;
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
 * --config's file does not parse at start: the last configuration applied
 * (kept by --last-good) instead of exiting, which would leave the node on
 * the fair scheduler until someone fixes the ConfigMap.  0 with *cfg set,
 * or -1 (no usable copy: exit as before).
 */
static int start_on_last_good(struct slo_config *cfg, const char *mount)
{
	char err[768], when[64], budget[32];
	int64_t saved_at = 0;
	time_t t;
	struct tm tm;

	if (!opts.config_path || !opts.last_good_path[0] || !mount[0])
		return -1;
	if (slo_last_good_load(opts.last_good_path, cfg, &saved_at, err, sizeof(err))) {
		if (access(opts.last_good_path, F_OK) == 0)
			msg("no last good configuration to start on: %s", err);
		return -1;
	}
	if (!cfg->has_default_budget)
		cfg->default_budget_ns = opts.default_budget_ns;
	{
		static const struct slo_config_watch_ops ops = {
			.apply = apply_config,
			.log = config_log,
		};

		/* watched all the same: applied once it parses */
		if (slo_config_watch_init_broken(&config_watch, opts.config_path,
						 opts.default_budget_ns, &ops)) {
			msg("cannot watch %s: out of memory", opts.config_path);
			slo_config_free(cfg);
			return -1;
		}
	}
	t = (time_t)saved_at;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	slo_format_duration(cfg->default_budget_ns, budget, sizeof(budget));
	msg("WARNING: %s does not parse (above): starting on the last good configuration, "
	    "%s saved %s (%zu SLO(s), default budget %s); the file is applied as soon as "
	    "it parses", opts.config_path, opts.last_good_path, when, cfg->nr_entries, budget);
	return 0;
}

/*
 * Keep --last-good in step with the configuration in force: checked once
 * a second from the main loop (a comparison; a write only on change).  A
 * copy that cannot be saved is reported once per configuration, not once
 * a second.
 */
static void track_last_good(void)
{
	static struct timespec last;
	static struct slo_config seen;	/* a deep copy of what was last tried */
	static bool have;
	struct slo_config_entry *entries;
	struct timespec now;
	char err[768];
	size_t i;

	if (!opts.config_path || !opts.last_good_path[0])
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (have && now.tv_sec == last.tv_sec)
		return;
	last = now;
	if (have && slo_config_same(&seen, &budgets.cfg))
		return;
	if (slo_last_good_save(opts.last_good_path, &budgets.cfg, opts.config_path,
			       err, sizeof(err)))
		msg("warning: no last good copy of the configuration: %s", err);
	/* budgets.cfg is replaced whole on the next reload: copy it */
	slo_config_free(&seen);
	have = false;
	entries = calloc(budgets.cfg.nr_entries ? budgets.cfg.nr_entries : 1, sizeof(*entries));
	if (!entries)
		return;
	seen = budgets.cfg;
	seen.entries = entries;
	for (i = 0; i < budgets.cfg.nr_entries; i++) {
		entries[i] = budgets.cfg.entries[i];
		entries[i].path = strdup(budgets.cfg.entries[i].path);
		if (!entries[i].path) {
			seen.nr_entries = i;
			slo_config_free(&seen);
			return;
		}
	}
	have = true;
}

/*
 * /metrics while detached on purpose: there are no scheduler statistics,
 * only why we wait and what happened so far.
 */
static void publish_waiting(const char *reason, unsigned long long attempts)
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
	slo_heartbeat_close(&heartbeat);
	slo_budgets_free(&budgets);
	free(libbpf_log);
	return ret;
}
