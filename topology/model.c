// SPDX-License-Identifier: GPL-2.0
/*
 * The parts of the model that do not depend on where it came from: the steal
 * order, names, and tearing it down.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topology_internal.h"

/*
 * Why the order is rotated.  In plain id order every domain of a node tries
 * the same victims first: on 2 sockets x 16 LLCs all 16 domains of node 0
 * looked at domain 0 or 1 first and, with a 16-entry scan, domain 16 was the
 * only cross-node candidate any of them reached.  Overdue work queued on the
 * other 15 domains of node 1 was never helped from node 0, while domain 16
 * was raced for by all of it.
 *
 * The classes the policy fixes stay: same node first, then by increasing
 * distance, then same package.  Within a class each thief starts elsewhere:
 *
 * - Its own node's domains from the one after itself, wrapping: each domain
 *   is the first same-node candidate of exactly one other, and the domains
 *   of a node together scan every domain of it even when each scans only
 *   its first few.
 * - A remote class is taken round-robin over its nodes (one domain of each
 *   node, then a second of each, ...), so the first few cross-node entries
 *   cover as many nodes as the class has.  The nodes come in index order
 *   from the one after the thief's node, wrapping, so thieves of different
 *   nodes start on different nodes.  Each remote node's domains come from
 *   the thief's own index in its node, wrapping, so thieves of one node
 *   start on different domains there.
 *
 * On a symmetric machine (nodes alike, equidistant) this makes the first
 * candidate and the first cross-node candidate one-to-one: every domain is
 * the first choice of exactly one thief.  It uses nothing but indexes, so
 * the order is as reproducible as before.
 */

/*
 * One candidate victim, seen from the domain that steals.  The fields are in
 * comparison order: the class, then the victim's place in it.  round and
 * node_turn name one domain of a class, so the order is total and the
 * result does not depend on qsort's (unstable) algorithm.
 */
struct steal_key {
	int other_node;		/* 0: same node as the thief */
	int distance;		/* node distance thief -> victim */
	int other_package;	/* 0: same package as the thief */
	int round;		/* rotated place among its node's domains of the class */
	int node_turn;		/* its node's place among the class's nodes */
	int id;			/* the victim itself: not compared */
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
	if (a->round != b->round)
		return cmp_int(a->round, b->round);
	return cmp_int(a->node_turn, b->node_turn);
}

static int min_int(int a, int b)
{
	return a < b ? a : b;
}

/* @a modulo @m, in [0, m) also for a negative @a. */
static int wrap(int a, int m)
{
	return ((a % m) + m) % m;
}

/*
 * The domains of a node a thief rotates through together: those of the
 * thief's package, or those of the others (a class splits a node that way
 * only if the node spans packages).
 */
static int rotation_list(const struct slo_domain *thief, const struct slo_domain *d)
{
	return 2 * d->node + (d->package != thief->package);
}

/*
 * Key every domain but @thief into @keys; returns how many.  Scratch:
 * @list_pos has nr_domains entries, @list_len 2 * nr_nodes.
 */
static int key_victims(const struct slo_topology *t, const struct slo_domain *thief,
		       struct steal_key *keys, int *list_pos, int *list_len)
{
	int own_list = rotation_list(thief, thief);
	int own_index = 0;	/* the thief's index among its node's domains */
	int j, l, n = 0;

	memset(list_len, 0, 2 * (size_t)t->nr_nodes * sizeof(*list_len));
	for (j = 0; j < t->nr_domains; j++) {
		const struct slo_domain *d = &t->domains[j];

		list_pos[j] = list_len[rotation_list(thief, d)]++;
		if (j < thief->id && d->node == thief->node)
			own_index++;
	}

	for (j = 0; j < t->nr_domains; j++) {
		const struct slo_domain *victim = &t->domains[j];
		struct steal_key *k;

		if (j == thief->id)
			continue;
		k = &keys[n++];
		l = rotation_list(thief, victim);
		k->other_node = victim->node != thief->node;
		k->distance = slo_node_distance(t, thief->node, victim->node);
		k->other_package = victim->package != thief->package;
		if (l == own_list)
			k->round = wrap(list_pos[j] - list_pos[thief->id] - 1, list_len[l]);
		else
			k->round = wrap(list_pos[j] - own_index, list_len[l]);
		k->node_turn = wrap(victim->node - thief->node - 1, t->nr_nodes);
		k->id = victim->id;
	}
	return n;
}

/*
 * How much of @d's order a dispatch inspects: its nearest domains, and one
 * domain per remote node (up to SLO_STEAL_SCAN_OTHER_NODE_MAX), never more
 * than SLO_STEAL_SCAN_MAX in all, so a dispatch costs no more on a 512-CPU
 * machine than on a small one.
 *
 * One per remote node is enough because of the rotation: the thieves of a
 * node start on different domains of each remote node, so between them
 * they watch as many of its domains as they are (all of them on a
 * symmetric machine), and cross-node steals take only overdue work, which
 * should be rare.  More would be cross-node cache misses on every dispatch
 * for little.  When a node has too many domains for the scan, its
 * same-node part is cut, not the other-node part: cutting the order's
 * tail, as a plain prefix does, leaves no cross-node candidate at all once
 * a node has more than SLO_STEAL_SCAN_MAX domains.  The rotation again
 * makes the domains of a node cover each other's cut tails.
 */
static void set_scan_bounds(const struct slo_topology *t, struct slo_domain *d,
			    char *node_seen)
{
	int nr_steal = t->nr_domains - 1;
	int nr_remote_nodes = 0, nr_scan_other, i, node;

	memset(node_seen, 0, (size_t)t->nr_nodes);
	for (i = d->nr_same_node; i < nr_steal; i++) {
		node = t->domains[d->steal_order[i]].node;
		if (!node_seen[node]) {
			node_seen[node] = 1;
			nr_remote_nodes++;
		}
	}
	nr_scan_other = min_int(nr_remote_nodes, SLO_STEAL_SCAN_OTHER_NODE_MAX);
	d->nr_scan_same_node = min_int(d->nr_same_node, SLO_STEAL_SCAN_MAX - nr_scan_other);
	d->nr_scan = d->nr_scan_same_node + nr_scan_other;
}

int slo_topology_order_steal(struct slo_topology *t)
{
	struct steal_key *keys = calloc(t->nr_domains, sizeof(*keys));
	int *list_pos = calloc(t->nr_domains, sizeof(*list_pos));
	int *list_len = calloc(2 * (size_t)t->nr_nodes, sizeof(*list_len));
	char *node_seen = calloc(t->nr_nodes, 1);
	int i, j, n, ret = -ENOMEM;

	if (!keys || !list_pos || !list_len || !node_seen)
		goto out;

	t->steal_scan_max = 0;
	for (i = 0; i < t->nr_domains; i++) {
		struct slo_domain *thief = &t->domains[i];

		/* Never NULL, so users need not special-case one domain. */
		thief->steal_order = calloc(t->nr_domains, sizeof(int));
		if (!thief->steal_order)
			goto out;

		n = key_victims(t, thief, keys, list_pos, list_len);
		qsort(keys, n, sizeof(*keys), cmp_steal_key);

		thief->nr_same_node = 0;
		for (j = 0; j < n; j++) {
			thief->steal_order[j] = keys[j].id;
			if (!keys[j].other_node)
				thief->nr_same_node++;
		}

		set_scan_bounds(t, thief, node_seen);
		if (thief->nr_scan > t->steal_scan_max)
			t->steal_scan_max = thief->nr_scan;
	}
	ret = 0;
out:
	free(keys);
	free(list_pos);
	free(list_len);
	free(node_seen);
	return ret;
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
