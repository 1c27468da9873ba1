// SPDX-License-Identifier: GPL-2.0
/* Budget lookup by path through a sorted index: see budget_index.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "budget_index.h"

/* qsort() has no user pointer: the configuration being sorted. */
static const struct slo_config *sort_cfg;

static int cmp_order(const void *a, const void *b)
{
	return strcmp(sort_cfg->entries[*(const uint32_t *)a].path,
		      sort_cfg->entries[*(const uint32_t *)b].path);
}

int slo_budget_index_build(struct slo_budget_index *idx, const struct slo_config *cfg)
{
	size_t i;

	memset(idx, 0, sizeof(*idx));
	idx->cfg = cfg;
	if (!cfg->nr_entries)
		return 0;
	idx->order = calloc(cfg->nr_entries, sizeof(*idx->order));
	if (!idx->order)
		return -ENOMEM;
	for (i = 0; i < cfg->nr_entries; i++) {
		size_t n = strlen(cfg->entries[i].path);

		idx->order[i] = (uint32_t)i;
		if (n > idx->max_len)
			idx->max_len = n;
	}
	sort_cfg = cfg;
	qsort(idx->order, cfg->nr_entries, sizeof(*idx->order), cmp_order);
	sort_cfg = NULL;
	idx->nr = cfg->nr_entries;
	return 0;
}

/* The entry whose path is exactly the first @n bytes of @path, or NULL. */
static const struct slo_config_entry *find(const struct slo_budget_index *idx,
					   const char *path, size_t n)
{
	size_t lo = 0, hi = idx->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct slo_config_entry *e = &idx->cfg->entries[idx->order[mid]];
		int c = strncmp(e->path, path, n);

		/* equal over n bytes: e is longer (after) unless it ends there */
		if (!c)
			c = e->path[n] != '\0';
		if (!c)
			return e;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The same without an index: every entry, the longest match wins. */
static const struct slo_config_entry *scan(const struct slo_config *cfg, const char *path)
{
	const struct slo_config_entry *best = NULL;
	size_t i, best_len = 0;

	for (i = 0; i < cfg->nr_entries; i++) {
		const char *p = cfg->entries[i].path;
		size_t n = strlen(p);
		bool covers = !strcmp(p, "/") ||
			(path[0] == '/' && !strncmp(path, p, n) &&
			 (path[n] == '\0' || path[n] == '/'));

		if (covers && (!best || n > best_len)) {
			best = &cfg->entries[i];
			best_len = n;
		}
	}
	return best;
}

const struct slo_config_entry *slo_budget_index_entry(const struct slo_budget_index *idx,
						      const char *path)
{
	const struct slo_config_entry *e;
	size_t n = strlen(path);

	if (!idx->cfg)
		return NULL;
	if (!idx->order)
		return scan(idx->cfg, path);
	if (path[0] == '/') {
		/* the path itself, then each ancestor: cut at every '/' */
		while (n > 1) {
			if (n <= idx->max_len && (e = find(idx, path, n)))
				return e;
			do
				n--;
			while (n > 0 && path[n] != '/');
		}
	}
	return find(idx, "/", 1);
}

uint64_t slo_budget_index_lookup(const struct slo_budget_index *idx, const char *path)
{
	const struct slo_config_entry *e;

	if (!idx->cfg)
		return 0;
	e = slo_budget_index_entry(idx, path);
	return e ? e->budget_ns : idx->cfg->default_budget_ns;
}

void slo_budget_index_free(struct slo_budget_index *idx)
{
	free(idx->order);
	memset(idx, 0, sizeof(*idx));
}
