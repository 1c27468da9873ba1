// SPDX-License-Identifier: GPL-2.0
/*
 * Double-buffered budget sets: a new configuration is written whole into
 * the set BPF does not read, then one control write switches BPF over.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "budgets.h"
#include "cgroup.h"
#include "pins.h"
#include "scx_slo.h"

/*
 * How long the loader waits for a `scx_slo slo` command to release the
 * lock: it holds it for a few map operations, so only a stopped or stuck
 * root process holds it longer, and the main loop must not hang on it.
 */
#define LOADER_LOCK_MS	2000

static int lock_sets(struct slo_budgets *b, char *err, size_t errlen)
{
	int ret;

	if (b->lock_fd < 0)
		return 0;
	ret = slo_lock_wait(b->lock_fd, LOADER_LOCK_MS);
	if (ret)
		snprintf(err, errlen, "cannot lock the budget sets (held by a `scx_slo slo` command?): %s",
			 strerror(-ret));
	return ret;
}

static void unlock_sets(struct slo_budgets *b)
{
	slo_unlock(b->lock_fd);
}

int slo_control_read(int control_fd, struct slo_control *ctl)
{
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(control_fd, &zero, ctl))
		return -errno;
	return 0;
}

int slo_control_publish(int control_fd, uint32_t active_set,
			uint64_t default_budget_ns)
{
	struct slo_control ctl;
	uint32_t zero = 0;
	int err;

	err = slo_control_read(control_fd, &ctl);
	if (err)
		return err;
	ctl.active_set = active_set;
	ctl.default_budget_ns = default_budget_ns;
	if (bpf_map_update_elem(control_fd, &zero, &ctl, BPF_ANY))
		return -errno;
	ctl.generation++;
	if (bpf_map_update_elem(control_fd, &zero, &ctl, BPF_ANY))
		return -errno;
	return 0;
}

void slo_budgets_init(struct slo_budgets *b, const char *mount,
		      struct slo_config *cfg)
{
	memset(b, 0, sizeof(*b));
	b->maps.set_fd[0] = b->maps.set_fd[1] = b->maps.control_fd = -1;
	b->lock_fd = -1;
	snprintf(b->mount, sizeof(b->mount), "%s", mount);
	b->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	/* out of memory: lookups scan the entries instead */
	slo_budget_index_build(&b->index, &b->cfg);
}

static int clear_map(int fd)
{
	uint64_t key;

	/* deleting the first key each time: no iterator to invalidate */
	while (!bpf_map_get_next_key(fd, NULL, &key)) {
		if (bpf_map_delete_elem(fd, &key) && errno != ENOENT)
			return -errno;
	}
	return 0;
}

/* Write @cfg (with @ids) into the inactive set and switch BPF to it. */
static int publish(struct slo_budgets *b, const struct slo_config *cfg,
		   const uint64_t *ids, char *err, size_t errlen)
{
	struct slo_control ctl;
	uint32_t inactive;
	size_t i;
	int fd, ret;

	ret = slo_control_read(b->maps.control_fd, &ctl);
	if (ret) {
		snprintf(err, errlen, "cannot read the control map: %s", strerror(-ret));
		return ret;
	}
	inactive = ctl.active_set ? 0 : 1;
	fd = b->maps.set_fd[inactive];
	ret = clear_map(fd);
	if (ret) {
		snprintf(err, errlen, "cannot clear budget set %u: %s", inactive,
			 strerror(-ret));
		return ret;
	}
	for (i = 0; i < cfg->nr_entries; i++) {
		struct slo_budget val = {
			.budget_ns = cfg->entries[i].budget_ns,
		};

		if (!ids[i])
			continue;
		if (bpf_map_update_elem(fd, &ids[i], &val, BPF_ANY)) {
			ret = -errno;
			snprintf(err, errlen, "cannot store the budget of %s: %s",
				 cfg->entries[i].path, strerror(errno));
			return ret;
		}
	}
	ret = slo_control_publish(b->maps.control_fd, inactive, cfg->default_budget_ns);
	if (ret)
		snprintf(err, errlen, "cannot switch budget sets: %s", strerror(-ret));
	return ret;
}

/*
 * Resolve every entry's cgroup: 0 for one that does not exist (yet).
 * Entries waiting for their cgroup are looked up on every pass, and a
 * config may hold thousands for pods not on this node: once a parent is
 * found missing, its other children are not looked up in this pass
 * (entries of siblings are usually next to each other).
 */
static uint64_t *resolve_ids(const struct slo_budgets *b, const struct slo_config *cfg)
{
	uint64_t *ids = calloc(cfg->nr_entries ? cfg->nr_entries : 1, sizeof(*ids));
	char missing[PATH_MAX] = "";	/* a parent found missing in this pass */
	size_t i, missing_len = 0;

	if (!ids)
		return NULL;
	for (i = 0; i < cfg->nr_entries; i++) {
		const char *path = cfg->entries[i].path;
		size_t plen = (size_t)(strrchr(path, '/') - path);
		uint64_t parent_id;

		if (missing_len && plen == missing_len && !memcmp(path, missing, plen))
			continue;
		if (slo_cgroup_id(b->mount, path, &ids[i]) != -ENOENT)
			continue;	/* found, or an error: 0 is what it gets then */
		ids[i] = 0;
		if (!plen || plen >= sizeof(missing))
			continue;
		memcpy(missing, path, plen);
		missing[plen] = '\0';
		missing_len = slo_cgroup_id(b->mount, missing, &parent_id) == -ENOENT ? plen : 0;
	}
	return ids;
}

int slo_budgets_bind(struct slo_budgets *b, const struct slo_budget_maps *maps,
		     char *err, size_t errlen)
{
	uint64_t *ids;
	int ret;

	b->maps = *maps;
	ids = resolve_ids(b, &b->cfg);
	if (!ids) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = lock_sets(b, err, errlen);
	if (!ret) {
		ret = publish(b, &b->cfg, ids, err, errlen);
		unlock_sets(b);
	}
	if (ret) {
		free(ids);
		return ret;
	}
	free(b->ids);
	b->ids = ids;
	return 0;
}

int slo_budgets_apply(struct slo_budgets *b, struct slo_config *cfg,
		      char *err, size_t errlen)
{
	uint64_t *ids = resolve_ids(b, cfg);
	int ret;

	if (!ids) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = lock_sets(b, err, errlen);
	if (!ret) {
		ret = publish(b, cfg, ids, err, errlen);
		unlock_sets(b);
	}
	if (ret) {
		free(ids);
		return ret;
	}
	slo_budget_index_free(&b->index);
	slo_config_free(&b->cfg);
	free(b->ids);
	b->cfg = *cfg;
	b->ids = ids;
	memset(cfg, 0, sizeof(*cfg));
	slo_budget_index_build(&b->index, &b->cfg);
	return 0;
}

int slo_budgets_rescan(struct slo_budgets *b)
{
	struct slo_control ctl;
	uint64_t *ids;
	size_t i;
	char err[160];
	int changed = 0, fd, ret;

	if (!b->cfg.nr_entries)
		return 0;
	ids = resolve_ids(b, &b->cfg);
	if (!ids)
		return -ENOMEM;
	ret = lock_sets(b, err, sizeof(err));
	if (ret) {
		free(ids);
		return ret;
	}
	ret = slo_control_read(b->maps.control_fd, &ctl);
	if (ret)
		goto out;
	/*
	 * Edit the active set in place: each change stands alone, so it needs
	 * no flip, and `scx_slo slo set` overrides of other cgroups survive.
	 */
	fd = b->maps.set_fd[ctl.active_set ? 1 : 0];
	for (i = 0; i < b->cfg.nr_entries; i++) {
		struct slo_budget val = {
			.budget_ns = b->cfg.entries[i].budget_ns,
		};

		if (ids[i] == b->ids[i])
			continue;
		changed++;
		if (b->ids[i] && bpf_map_delete_elem(fd, &b->ids[i]) && errno != ENOENT) {
			ret = -errno;
			goto out;
		}
		if (ids[i] && bpf_map_update_elem(fd, &ids[i], &val, BPF_ANY)) {
			ret = -errno;
			goto out;
		}
		b->ids[i] = ids[i];
	}
	if (changed)
		ret = slo_control_publish(b->maps.control_fd, ctl.active_set,
					  ctl.default_budget_ns);
out:
	unlock_sets(b);
	free(ids);
	return ret ? ret : changed;
}

int slo_budgets_read_active(const struct slo_budget_maps *maps, struct slo_set_entry **set,
			    size_t *nr, uint64_t *default_budget_ns)
{
	struct slo_set_entry *v;
	struct slo_control ctl;
	uint64_t key, next;
	bool have_key = false;
	size_t n = 0;
	int fd, ret;

	ret = slo_control_read(maps->control_fd, &ctl);
	if (ret)
		return ret;
	fd = maps->set_fd[ctl.active_set ? 1 : 0];
	v = malloc(SLO_BUDGET_MAP_ENTRIES * sizeof(*v));
	if (!v)
		return -ENOMEM;
	/*
	 * A key deleted under the iteration sends it back to the start: bounded
	 * by the map's size, a key seen twice is harmless to the resolver.
	 */
	while (n < SLO_BUDGET_MAP_ENTRIES &&
	       !bpf_map_get_next_key(fd, have_key ? &key : NULL, &next)) {
		struct slo_budget val;

		key = next;
		have_key = true;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		v[n].id = key;
		v[n].budget_ns = val.budget_ns;
		n++;
	}
	*set = v;
	*nr = n;
	*default_budget_ns = ctl.default_budget_ns;
	return 0;
}

uint64_t slo_budgets_budget_of(const struct slo_budgets *b, const char *path)
{
	return slo_budget_index_lookup(&b->index, path);
}

size_t slo_budgets_nr_active(const struct slo_budgets *b)
{
	size_t i, n = 0;

	for (i = 0; b->ids && i < b->cfg.nr_entries; i++)
		n += b->ids[i] != 0;
	return n;
}

void slo_budgets_free(struct slo_budgets *b)
{
	slo_budget_index_free(&b->index);
	slo_config_free(&b->cfg);
	free(b->ids);
	b->ids = NULL;
}
