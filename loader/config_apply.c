// SPDX-License-Identifier: GPL-2.0
/*
 * The SLO configuration the loader runs with: the first one (--config,
 * --slo or the last good copy), the reloads the watcher hands over, and
 * the last good copy kept in step.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "budgets.h"
#include "cgroup.h"
#include "config.h"
#include "config_apply.h"
#include "config_watch.h"
#include "duration.h"
#include "last_good.h"
#include "msg.h"
#include "options.h"
#include "policy.h"

/* The SLO configuration in force, kept across scheduler restarts. */
struct slo_budgets budgets;
/* --config: the file followed for changes, and how its reloads went */
struct slo_config_watch config_watch = { .fd = -1 };

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
	    config_watch.what, why, budgets.cfg.nr_entries,
	    slo_budgets_nr_active(&budgets), budget);
	return 0;
}

/*
 * The configuration to start with: the file, or the --slo entries (whose
 * cgroups must exist: a typo on the command line is an error, while a file
 * may name cgroups that appear later).  0, or an exit code.
 */
int initial_config(struct slo_config *cfg, char *mount, size_t mountlen)
{
	char err[768];
	size_t i;
	int ret;

	ret = slo_cgroup_mount(mount, mountlen);
	if (ret && (opts.config_path || opts.slo_dir || opts.cli_slos.nr_entries)) {
		msg("no cgroup2 mount found (%s): SLOs need the unified hierarchy",
		    strerror(-ret));
		return EXIT_USAGE;
	}
	if (opts.config_path || opts.slo_dir) {
		static const struct slo_config_watch_ops ops = {
			.apply = apply_config,
			.log = config_log,
		};

		if (slo_config_watch_init_sources(&config_watch, opts.config_path, opts.slo_dir,
						  opts.default_budget_ns, &ops, cfg, err,
						  sizeof(err))) {
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

/* --check-config: parse only; nothing is loaded. */
int check_config(void)
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

/*
 * --config's file does not parse at start: the last configuration applied
 * (kept by --last-good) instead of exiting, which would leave the node on
 * the fair scheduler until someone fixes the ConfigMap.  0 with *cfg set,
 * or -1 (no usable copy: exit as before).
 */
int start_on_last_good(struct slo_config *cfg, const char *mount)
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
		if (slo_config_watch_init_broken_sources(&config_watch, opts.config_path,
							 opts.slo_dir, opts.default_budget_ns,
							 &ops)) {
			msg("cannot watch %s: out of memory", opts.config_path);
			slo_config_free(cfg);
			return -1;
		}
	}
	t = (time_t)saved_at;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	slo_format_duration(cfg->default_budget_ns, budget, sizeof(budget));
	msg("WARNING: %s %s (above): starting on the last good configuration, "
	    "%s saved %s (%zu SLO(s), default budget %s); the %s applied as soon as "
	    "%s", config_watch.what, opts.slo_dir ? "do not merge" : "does not parse",
	    opts.last_good_path, when, cfg->nr_entries, budget,
	    opts.slo_dir ? "sources are" : "file is", opts.slo_dir ? "they merge" : "it parses");
	return 0;
}

/*
 * Keep --last-good in step with the configuration in force: checked once
 * a second from the main loop (a comparison; a write only on change).  A
 * copy that cannot be saved is reported once per configuration, not once
 * a second.
 */
void track_last_good(void)
{
	static struct timespec last;
	static struct slo_config seen;	/* a deep copy of what was last tried */
	static bool have;
	/* --config's own entries: the directory's are the agent's to write again */
	const struct slo_config *cur = config_watch.have_config_part ?
				       &config_watch.config_part : &budgets.cfg;
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
	if (have && slo_config_same(&seen, cur))
		return;
	if (slo_last_good_save(opts.last_good_path, cur, opts.config_path, err, sizeof(err)))
		msg("warning: no last good copy of the configuration: %s", err);
	/* it is replaced whole on the next reload: copy it */
	slo_config_free(&seen);
	have = false;
	entries = calloc(cur->nr_entries ? cur->nr_entries : 1, sizeof(*entries));
	if (!entries)
		return;
	seen = *cur;
	seen.entries = entries;
	for (i = 0; i < cur->nr_entries; i++) {
		entries[i] = cur->entries[i];
		entries[i].path = strdup(cur->entries[i].path);
		if (!entries[i].path) {
			seen.nr_entries = i;
			slo_config_free(&seen);
			return;
		}
	}
	have = true;
}
