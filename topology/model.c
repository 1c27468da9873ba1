// SPDX-License-Identifier: GPL-2.0
/*
 * The parts of the model that do not depend on where it came from: the steal
 * order, names, and tearing it down.
 */
#include <errno.h>
#include <stdlib.h>

#include "topology_internal.h"

/*
 * One candidate victim, seen from the domain that steals.  The fields are in
 * comparison order, so the order is total and the result does not depend on
 * qsort's (unstable) algorithm.
 */
struct steal_key {
	int other_node;		/* 0: same node as the thief */
	int distance;		/* node distance thief -> victim */
	int other_package;	/* 0: same package as the thief */
	int id;
};

static int cmp_int(int a, int b)
{
	return (a > b) - (a < b);
}

static int cmp_steal_key(const void *pa, const void *pb)
{
	const struct steal_key *a = pa, *b = pb;

	if (a->other_node != b->other_node)
		return cmp_int(a->other_node, b->other_node);
	if (a->distance != b->distance)
		return cmp_int(a->distance, b->distance);
	if (a->other_package != b->other_package)
		return cmp_int(a->other_package, b->other_package);
	return cmp_int(a->id, b->id);
}

int slo_topology_order_steal(struct slo_topology *t)
{
	struct steal_key *keys;
	int i, j, n;

	keys = calloc(t->nr_domains, sizeof(*keys));
	if (!keys)
		return -ENOMEM;

	for (i = 0; i < t->nr_domains; i++) {
		struct slo_domain *thief = &t->domains[i];

		/* Never NULL, so users need not special-case one domain. */
		thief->steal_order = calloc(t->nr_domains, sizeof(int));
		if (!thief->steal_order) {
			free(keys);
			return -ENOMEM;
		}

		n = 0;
		for (j = 0; j < t->nr_domains; j++) {
			const struct slo_domain *victim = &t->domains[j];

			if (j == i)
				continue;
			keys[n].other_node = victim->node != thief->node;
			keys[n].distance = slo_node_distance(t, thief->node, victim->node);
			keys[n].other_package = victim->package != thief->package;
			keys[n].id = victim->id;
			n++;
		}
		qsort(keys, n, sizeof(*keys), cmp_steal_key);

		thief->nr_same_node = 0;
		for (j = 0; j < n; j++) {
			thief->steal_order[j] = keys[j].id;
			if (!keys[j].other_node)
				thief->nr_same_node++;
		}
	}

	free(keys);
	return 0;
}

const char *slo_llc_level_name(enum slo_llc_level level)
{
	switch (level) {
	case SLO_LLC_L3:
		return "L3";
	case SLO_LLC_L2:
		return "L2";
	case SLO_LLC_PACKAGE:
		return "package";
	case SLO_LLC_MACHINE:
		return "machine";
	}
	return "unknown";
}

const char *slo_distance_source_name(enum slo_distance_source source)
{
	switch (source) {
	case SLO_DISTANCE_HWLOC:
		return "hwloc";
	case SLO_DISTANCE_LIBNUMA:
		return "libnuma";
	case SLO_DISTANCE_DEFAULT:
		return "default";
	}
	return "unknown";
}

/* Safe on a half-built topology: the loaders use it on their error paths. */
void slo_topology_free(struct slo_topology *t)
{
	int i;

	if (!t)
		return;

	for (i = 0; t->domains && i < t->nr_domains; i++) {
		free(t->domains[i].cpus);
		free(t->domains[i].steal_order);
	}
	free(t->domains);

	for (i = 0; t->nodes && i < t->nr_nodes; i++)
		free(t->nodes[i].cpus);
	free(t->nodes);
	free(t->distances);

	for (i = 0; t->packages && i < t->nr_packages; i++)
		free(t->packages[i].cpus);
	free(t->packages);

	for (i = 0; t->core_cpus && i < t->nr_cores; i++)
		free(t->core_cpus[i]);
	free(t->core_cpus);

	free(t->cpus);
	free(t->possible_cpus);
	free(t->online_cpus);
	free(t->source_arg);
	free(t);
}
