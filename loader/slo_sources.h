/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_SOURCES_H
#define __SLO_SOURCES_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * The SLO sources and how they merge into the one configuration the loader
 * applies: --config's file (the ConfigMap) and every file of --slo-dir (what
 * the pod annotation agent writes).
 *
 * - The files of DIR are its "*.yaml" entries, in name order.  Names that
 *   start with '.' (a writer's temporary file, a ConfigMap's ..data) are
 *   ignored, and so is whatever is not a regular file once symlinks are
 *   followed (a dangling link too).  A symlink must lead to a file inside
 *   DIR, as a ConfigMap's ..data links do; one that leads elsewhere is an
 *   error, never read.
 * - A missing DIR, or one without such files, adds no entries: the agent
 *   may not have written yet.
 * - An entry of DIR wins over --config's entry for the same cgroup: the
 *   pod's annotation is more specific than the node-wide ConfigMap.  Each
 *   file of DIR that overrides something says so in one line per merge,
 *   naming both files.
 * - Any of these refuses the whole set, with one line: a file that cannot
 *   be read or does not parse, the same cgroup in two files of DIR,
 *   default_budget in a file of DIR (it belongs to --config), more than
 *   SLO_MAX_BUDGETS entries in all, more than SLO_SOURCES_MAX_FILES files.
 */
#define SLO_SOURCES_MAX_FILES	64

/* One file's bytes, as read. */
struct slo_source_file {
	char *name;		/* for messages: the --config path, or DIR/NAME */
	char *buf;
	size_t len;
};

/* Every source, read at one time. */
struct slo_source_set {
	struct slo_source_file config;	/* name NULL without --config */
	struct slo_source_file *files;	/* DIR's, in name order */
	size_t nr_files;
	uint64_t content_hash;		/* names and bytes of every file */
	uint64_t stat_hash;		/* their inodes, sizes and times */
	size_t total_len;
};

/*
 * Read @config_path (NULL: none) and the files of @dir (NULL: none) into
 * @set.  0, or -errno with @err holding one line "NAME: problem" and @set
 * left empty.
 */
int slo_sources_read(const char *config_path, const char *dir,
		     struct slo_source_set *set, char *err, size_t errlen);

void slo_source_set_free(struct slo_source_set *set);

/* A line about the merge (an override), without a trailing newline. */
typedef void (*slo_sources_log_fn)(void *ctx, const char *line);

/*
 * Parse every file of @set and merge them (rules above) into @out: the
 * entries of --config that DIR does not override, then DIR's, in file
 * order, each with its source; default_budget from --config, else
 * @default_budget_ns.  @config_part (may be NULL) gets --config's file
 * alone, as parsed (what --last-good keeps).  @log hears the overrides.
 * 0, or -1 with @err holding one line and nothing to free.
 */
int slo_sources_merge(const struct slo_source_set *set, uint64_t default_budget_ns,
		      struct slo_config *out, struct slo_config *config_part,
		      slo_sources_log_fn log, void *ctx, char *err, size_t errlen);

#endif /* __SLO_SOURCES_H */
