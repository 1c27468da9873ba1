/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_BUDGET_INDEX_H
#define __SLO_BUDGET_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * The budget in force for a cgroup path, without comparing the path with
 * every entry: a cgroup's budget is its own entry's or its nearest
 * ancestor's, so the lookup tries the path and then each ancestor (longest
 * first) in an array of the entries sorted by path.  O(depth * log
 * entries) per cgroup, where matching every entry against every cgroup of
 * a hostile subtree was O(cgroups * entries) a pass.
 */
struct slo_budget_index {
	const struct slo_config *cfg;
	uint32_t *order;	/* entry numbers, sorted by path */
	size_t nr;
	size_t max_len;		/* the longest entry path: longer prefixes cannot match */
};

/*
 * Index @cfg's entries (@cfg must outlive the index and keep its entries).
 * 0, or -ENOMEM with @idx left empty (lookups then scan every entry).
 */
int slo_budget_index_build(struct slo_budget_index *idx, const struct slo_config *cfg);

/*
 * The budget for @path ("/a/b", "/" for the root; anything not starting
 * with "/" only matches a root entry): its own entry's, its nearest
 * ancestor's, or @cfg's default.
 */
uint64_t slo_budget_index_lookup(const struct slo_budget_index *idx, const char *path);

/* The entry that gives @path its budget (its own or its nearest ancestor's), or NULL. */
const struct slo_config_entry *slo_budget_index_entry(const struct slo_budget_index *idx,
						      const char *path);

void slo_budget_index_free(struct slo_budget_index *idx);

#endif /* __SLO_BUDGET_INDEX_H */
