/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_CONFIG_APPLY_H
#define __SLO_CONFIG_APPLY_H

#include <stddef.h>

#include "budgets.h"
#include "config.h"
#include "config_watch.h"

/* The SLO configuration in force, kept across scheduler restarts. */
extern struct slo_budgets budgets;
/* --config: the file followed for changes, and how its reloads went */
extern struct slo_config_watch config_watch;

/*
 * The configuration to start with: the file, or the --slo entries (whose
 * cgroups must exist).  0 with *cfg set and @mount the cgroup2 mount (""
 * if none), or an exit code after one line.
 */
int initial_config(struct slo_config *cfg, char *mount, size_t mountlen);

/* --check-config: parse only; the exit status. */
int check_config(void);

/*
 * --config's file does not parse at start: the last good copy instead.
 * 0 with *cfg set, or -1 (exit as before).
 */
int start_on_last_good(struct slo_config *cfg, const char *mount);

/* Keep --last-good in step with the configuration in force (once a second). */
void track_last_good(void);

#endif /* __SLO_CONFIG_APPLY_H */
