/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_BUDGET_RESOLVE_H
#define __SLO_BUDGET_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "budget_index.h"
#include "config.h"

/*
 * The budget in force for a cgroup, the one rule everything that shows a
 * budget uses (--stats, /metrics, `scx_slo slo get`): what BPF reads, that
 * is the active budget set (with `scx_slo slo set` and `slo del` done in
 * it), not the configuration the loader last applied.  A cgroup's budget is
 * its own entry's in that set, else its nearest ancestor's, else the
 * default the control map holds.
 *
 * Each entry of the set is named by its cgroup's path: the configuration's
 * entry that has the same cgroup id, else @path_of (a cgroup the
 * configuration does not name: one `slo set` added).  An entry counts as
 * the configuration's (SLO_FROM_CONFIG or SLO_FROM_DIR) while it holds the
 * configuration's budget, else as SLO_FROM_SLO_SET.
 */

/* One entry of the active budget set. */
struct slo_set_entry {
	uint64_t id;		/* cgroup id */
	uint64_t budget_ns;
};

/* The path of the cgroup @id, or NULL when unknown (not named yet). */
typedef const char *(*slo_path_of_fn)(void *ctx, uint64_t id);

struct slo_resolver {
	struct slo_config table;	/* the set's entries, by path */
	struct slo_budget_index index;
};

/*
 * Build from the configuration @cfg (may be NULL: every entry then comes
 * from @path_of) whose entry i has cgroup id @ids[i] (0: no cgroup), the
 * @nr_set entries of the active set and the default in force.  0, or
 * -ENOMEM with @r empty (lookups then give the default).
 */
int slo_resolver_build(struct slo_resolver *r, const struct slo_config *cfg,
		       const uint64_t *ids, const struct slo_set_entry *set, size_t nr_set,
		       uint64_t default_budget_ns, slo_path_of_fn path_of, void *ctx);

struct slo_resolved {
	uint64_t budget_ns;
	const char *from;		/* the path of the entry it comes from; NULL: the default */
	enum slo_entry_source source;	/* of that entry */
};

struct slo_resolved slo_resolver_lookup(const struct slo_resolver *r, const char *path);

/* "config", "slo-dir", "slo-set", or "default" for @from NULL. */
const char *slo_resolved_source_name(const struct slo_resolved *res);

void slo_resolver_free(struct slo_resolver *r);

#endif /* __SLO_BUDGET_RESOLVE_H */
