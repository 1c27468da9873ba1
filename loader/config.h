/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_CONFIG_H
#define __SLO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The SLO configuration file (YAML, usually a Kubernetes ConfigMap mount):
 *
 *	default_budget: 100ms		# optional
 *	slos:				# optional
 *	  - cgroup: /kubepods.slice/pod1234.slice
 *	    budget: 5ms
 *
 * An entry has exactly the keys cgroup and budget: the budget buys latency,
 * not CPU.  CPU shares follow each cgroup's own cpu.weight (in Kubernetes,
 * the pod's CPU request), so the old per-SLO "weight" key is refused with a
 * message saying so.
 *
 * A file is accepted whole or not at all: any problem rejects it with one
 * message "NAME:LINE: problem" (1-based line), or "NAME: problem" for
 * problems that belong to no line (the file cannot be read, is too large).
 */

/* Input limits, checked before any YAML is parsed. */
#define SLO_CONFIG_MAX_BYTES	(1024 * 1024)
#define SLO_CONFIG_MAX_LINE	4096	/* bytes, line break excluded */
#define SLO_CONFIG_MAX_PATH	4095	/* bytes of a cgroup path (PATH_MAX - 1) */

/* Where an entry comes from (slo_sources.h merges them). */
enum slo_entry_source {
	SLO_FROM_CONFIG,	/* --config's file, or --slo */
	SLO_FROM_DIR,		/* a file of --slo-dir */
	SLO_FROM_SLO_SET,	/* `scx_slo slo set` while the scheduler runs */
};

struct slo_config_entry {
	char *path;		/* normalised: "/a/b", "/" for the root */
	uint64_t budget_ns;	/* within [SLO_BUDGET_MIN_NS, SLO_BUDGET_MAX_NS] */
	unsigned int line;	/* 1-based line of its cgroup, for messages */
	enum slo_entry_source source;	/* SLO_FROM_CONFIG from the parser */
};

struct slo_config {
	uint64_t default_budget_ns;	/* SLO_DEFAULT_BUDGET_NS if not set */
	bool has_default_budget;
	unsigned int default_budget_line;	/* of default_budget, when set */
	struct slo_config_entry *entries;	/* file order, paths unique */
	size_t nr_entries;		/* <= SLO_MAX_BUDGETS */
};

/*
 * Parse and validate @len bytes at @buf (need not be NUL-terminated).
 * @name is the file name used in messages.  Returns 0 with *out filled
 * (owned by the caller, release with slo_config_free()) and err set to "";
 * or -1 with *out not written at all and @err holding the message.
 */
int slo_config_parse(const char *buf, size_t len, const char *name,
		     struct slo_config *out, char *err, size_t errlen);

/*
 * Read @path (following symlinks, as in a ConfigMap mount: the file is a
 * link into a "..data" directory that Kubernetes swaps atomically) and
 * parse it.  Only regular files of at most SLO_CONFIG_MAX_BYTES are read.
 * Same contract as slo_config_parse().
 */
int slo_config_load(const char *path, struct slo_config *out, char *err,
		    size_t errlen);

struct stat;
/*
 * The reading half of slo_config_load(): @path's bytes (at most
 * SLO_CONFIG_MAX_BYTES + 1, so that an oversized file fails to parse) into a
 * malloc'd *@bufp of *@lenp bytes, and the file's fstat() into *@stp (if not
 * NULL).  0, or -errno with @err holding "NAME: problem".
 */
int slo_config_read(const char *path, char **bufp, size_t *lenp, struct stat *stp,
		    char *err, size_t errlen);

/*
 * slo_config_read() of a file already open as @fd (closed here, whatever
 * happens), named @name in messages.
 */
int slo_config_read_fd(int fd, const char *name, char **bufp, size_t *lenp,
		       struct stat *stp, char *err, size_t errlen);

/* Same default budget and the same entries (and sources) in the same order. */
bool slo_config_equal(const struct slo_config *a, const struct slo_config *b);

/* Release what a successful parse allocated; leaves *cfg empty. */
void slo_config_free(struct slo_config *cfg);

#endif /* __SLO_CONFIG_H */
