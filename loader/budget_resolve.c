// SPDX-License-Identifier: GPL-2.0
/* The budget in force for a cgroup, from the active set: see budget_resolve.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "budget_resolve.h"

static int cmp_set_id(const void *a, const void *b)
{
	uint64_t x = ((const struct slo_set_entry *)a)->id;
	uint64_t y = ((const struct slo_set_entry *)b)->id;

	return x < y ? -1 : x > y;
}

static int add(struct slo_config *t, const char *path, uint64_t budget_ns,
	       enum slo_entry_source source)
{
	struct slo_config_entry *e = &t->entries[t->nr_entries];

	e->path = strdup(path);
	if (!e->path)
		return -ENOMEM;
	e->budget_ns = budget_ns;
	e->line = 0;
	e->source = source;
	t->nr_entries++;
	return 0;
}

int slo_resolver_build(struct slo_resolver *r, const struct slo_config *cfg,
		       const uint64_t *ids, const struct slo_set_entry *set, size_t nr_set,
		       uint64_t default_budget_ns, slo_path_of_fn path_of, void *ctx)
{
	struct slo_set_entry *sorted = NULL;
	bool *named = NULL;
	size_t i;
	int ret = -ENOMEM;

	memset(r, 0, sizeof(*r));
	r->table.default_budget_ns = default_budget_ns;
	sorted = malloc((nr_set ? nr_set : 1) * sizeof(*sorted));
	named = calloc(nr_set ? nr_set : 1, sizeof(*named));
	r->table.entries = calloc(nr_set ? nr_set : 1, sizeof(*r->table.entries));
	if (!sorted || !named || !r->table.entries)
		goto out;
	if (nr_set)
		memcpy(sorted, set, nr_set * sizeof(*set));
	if (nr_set)
		qsort(sorted, nr_set, sizeof(*sorted), cmp_set_id);
	/* the configuration's entries that BPF has: their path, and whose budget */
	for (i = 0; cfg && ids && i < cfg->nr_entries; i++) {
		const struct slo_config_entry *e = &cfg->entries[i];
		struct slo_set_entry key = { .id = ids[i] };
		struct slo_set_entry *s;

		if (!ids[i] || !nr_set)
			continue;
		s = bsearch(&key, sorted, nr_set, sizeof(*sorted), cmp_set_id);
		/* not there: deleted by `slo del`, so not in force */
		if (!s || named[s - sorted])
			continue;
		named[s - sorted] = true;
		if (add(&r->table, e->path, s->budget_ns,
			s->budget_ns == e->budget_ns ? e->source : SLO_FROM_SLO_SET))
			goto out;
	}
	/* the rest were added at run time */
	for (i = 0; path_of && i < nr_set; i++) {
		const char *path;

		if (named[i] || !(path = path_of(ctx, sorted[i].id)))
			continue;
		if (add(&r->table, path, sorted[i].budget_ns, SLO_FROM_SLO_SET))
			goto out;
	}
	/* out of memory here: lookups scan the entries instead */
	slo_budget_index_build(&r->index, &r->table);
	ret = 0;
out:
	free(sorted);
	free(named);
	if (ret) {
		slo_config_free(&r->table);
		r->table.default_budget_ns = default_budget_ns;
		slo_budget_index_build(&r->index, &r->table);
	}
	return ret;
}

struct slo_resolved slo_resolver_lookup(const struct slo_resolver *r, const char *path)
{
	const struct slo_config_entry *e = slo_budget_index_entry(&r->index, path);
	struct slo_resolved res = {
		.budget_ns = r->table.default_budget_ns,
		.source = SLO_FROM_CONFIG,
	};

	if (e) {
		res.budget_ns = e->budget_ns;
		res.from = e->path;
		res.source = e->source;
	}
	return res;
}

const char *slo_resolved_source_name(const struct slo_resolved *res)
{
	if (!res->from)
		return "default";
	switch (res->source) {
	case SLO_FROM_DIR:
		return "slo-dir";
	case SLO_FROM_SLO_SET:
		return "slo-set";
	default:
		return "config";
	}
}

void slo_resolver_free(struct slo_resolver *r)
{
	slo_budget_index_free(&r->index);
	slo_config_free(&r->table);
}
