/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_OPTIONS_H
#define __SLO_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

#ifndef SCX_SLO_VERSION
#define SCX_SLO_VERSION "unknown"
#endif

/*
 * --max-slice when not given: a 100 ms (default) budget's fifth, the
 * kernel's SCX_SLICE_DFL too.
 */
#define SLO_MAX_SLICE_DEFAULT_NS	(20 * SLO_NSEC_PER_MSEC)

/* enum slo_exit_code and what leads to each: policy.h */

struct options {
	bool verbose;
	unsigned int stats_interval;
	uint64_t slice_ns;
	uint64_t max_slice_ns;		/* 0 until set: then the larger of
					 * SLO_MAX_SLICE_DEFAULT_NS and --slice */
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
	const char *slo_dir;		/* --slo-dir, or NULL */
	const char *check_config_path;
	const char *metrics_addr;
	unsigned int metrics_max_cgroups;
	const char *heartbeat_path;
	const char *termination_log;	/* "" for none */
	bool termination_log_set;	/* given: created if missing */
	const char *last_good_path;	/* "" for none */
	struct slo_config cli_slos;	/* from --slo */
	double shed_target;		/* --shed-target: miss ratio */
};

/* The command line, defaults filled in. */
extern struct options opts;

/*
 * Parse the command line into opts: EXIT_OK, or EXIT_USAGE after one line
 * naming the problem.  --help and --version print and exit here.
 */
int parse_args(int argc, char **argv);

#endif /* __SLO_OPTIONS_H */
