/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine as scx_slo sees it: CPUs, packages, NUMA nodes, and the LLC
 * domains that each get one deadline-ordered DSQ, with the order in which a
 * domain steals from the others.
 *
 * Discovery uses hwloc (and libnuma for distances hwloc lacks), but this
 * header names neither, nor anything of BPF: the loader includes it without
 * pulling in hwloc, and everything here is plain data once loaded.
 *
 * Indexing: a domain, node or package is referred to by its index in the
 * arrays of struct slo_topology.  Domain indexes are dense and are the
 * llc_dsq_id the BPF side uses.  Node and package indexes are dense too; the
 * numbers the kernel uses (node 2, physical package 1) are in ->os_id.
 */
#ifndef __SLO_TOPOLOGY_H
#define __SLO_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Refuse CPU numbers at or beyond this: Linux's NR_CPUS tops out at 8192, so
 * anything larger is a corrupt XML file, not a machine.
 */
#define SLO_MAX_CPU_IDS		65536

/*
 * How many steal order entries a dispatch inspects, at most: the
 * per-dispatch cost, no higher on a 512-CPU machine than on a small one.
 */
#define SLO_STEAL_SCAN_MAX		16
/*
 * Of those, one per remote node goes to other nodes, up to this many, so
 * the same node always keeps at least 8 (SLO_STEAL_SCAN_MAX minus this).
 */
#define SLO_STEAL_SCAN_OTHER_NODE_MAX	8

/* Distances used when neither hwloc nor (for the live machine) libnuma has any. */
#define SLO_LOCAL_DISTANCE	10
#define SLO_REMOTE_DISTANCE	20

/* A set of CPU numbers of any width: bit n of words[n / 64] is CPU n. */
struct slo_cpumask {
	int nr_bits;
	uint64_t words[];
};

static inline int slo_cpumask_nr_words(int nr_bits)
{
	return (nr_bits + 63) / 64;
}

static inline bool slo_cpumask_test(const struct slo_cpumask *mask, int cpu)
{
	if (cpu < 0 || cpu >= mask->nr_bits)
		return false;
	return mask->words[cpu / 64] & (1ULL << (cpu % 64));
}

struct slo_cpumask *slo_cpumask_alloc(int nr_bits);
void slo_cpumask_set(struct slo_cpumask *mask, int cpu);
int slo_cpumask_weight(const struct slo_cpumask *mask);
/* The first CPU after @prev (pass -1 to start), or -1 when there is none. */
int slo_cpumask_next(const struct slo_cpumask *mask, int prev);
/*
 * Write @mask as a Linux CPU list ("0-3,8", "" when empty) into @buf.
 * Returns the length the full list needs, like snprintf.
 */
int slo_cpumask_format(const struct slo_cpumask *mask, char *buf, size_t len);

#define slo_cpumask_for_each(cpu, mask)					\
	for ((cpu) = slo_cpumask_next((mask), -1); (cpu) >= 0;		\
	     (cpu) = slo_cpumask_next((mask), (cpu)))

enum slo_topology_source {
	SLO_TOPOLOGY_LIVE,
	SLO_TOPOLOGY_XML,
	SLO_TOPOLOGY_SYNTHETIC,
};

/* What a domain's CPUs share: the first the CPU has (an L2 only if cores share it). */
enum slo_llc_level {
	SLO_LLC_L3,
	SLO_LLC_L2,
	SLO_LLC_PACKAGE,
	SLO_LLC_MACHINE,	/* no cache and no package reported */
};

/* Where the node distance matrix came from. */
enum slo_distance_source {
	SLO_DISTANCE_HWLOC,	/* the OS (ACPI SLIT via sysfs) or the XML file */
	SLO_DISTANCE_LIBNUMA,	/* live machine, hwloc had none */
	SLO_DISTANCE_DEFAULT,	/* SLO_LOCAL_DISTANCE / SLO_REMOTE_DISTANCE */
};

struct slo_package {
	int os_id;
	int nr_cpus;
	struct slo_cpumask *cpus;
};

struct slo_node {
	int os_id;
	int nr_cpus;			/* 0 for a memory-only node */
	struct slo_cpumask *cpus;
	uint64_t memory_bytes;		/* 0 for a memory-less node */
};

struct slo_domain {
	int id;				/* its index in ->domains: the llc_dsq_id */
	int node;			/* index into ->nodes */
	int package;			/* index into ->packages */
	enum slo_llc_level level;
	int nr_cpus;
	struct slo_cpumask *cpus;
	/*
	 * Every other domain, nearest first: same node, then by increasing
	 * node distance, then same package.  Within each of those classes the
	 * order is rotated per domain (see model.c), so that the domains of a
	 * node do not all try the same victim first.  The first nr_same_node
	 * entries are on this domain's node.
	 */
	int *steal_order;		/* ->nr_domains - 1 entries */
	int nr_same_node;
	/*
	 * What a dispatch inspects: nr_scan entries, the first
	 * nr_scan_same_node of the order, then the first of the other nodes
	 * (from steal_order[nr_same_node]), one per remote node; see
	 * slo_domain_scan_pos().  Where not all fits, the same-node part is
	 * cut, never the other-node part: on several nodes every domain has a
	 * cross-node candidate in its scan.
	 */
	int nr_scan;			/* at most SLO_STEAL_SCAN_MAX */
	int nr_scan_same_node;
};

struct slo_cpu {
	bool online;
	/* The rest is -1 / NULL for a CPU that is possible but offline. */
	int domain;
	int node;
	int package;
	int core;			/* index into ->core_cpus */
	const struct slo_cpumask *smt_siblings;	/* includes the CPU itself */
};

struct slo_topology {
	enum slo_topology_source source;
	char *source_arg;		/* XML path or synthetic string, else NULL */

	int nr_cpu_ids;			/* highest possible CPU + 1: every mask's width */
	int nr_possible_cpus;
	int nr_online_cpus;
	struct slo_cpumask *possible_cpus;
	struct slo_cpumask *online_cpus;
	struct slo_cpu *cpus;		/* nr_cpu_ids entries */

	int nr_cores;
	struct slo_cpumask **core_cpus;	/* online hardware threads of each core */

	int nr_packages;
	struct slo_package *packages;	/* by increasing os_id */

	int nr_nodes;
	struct slo_node *nodes;		/* by increasing os_id */
	enum slo_distance_source distance_source;
	int *distances;			/* nr_nodes x nr_nodes, row-major */

	int nr_domains;
	struct slo_domain *domains;	/* by their lowest CPU */
	int steal_scan_max;		/* the largest ->domains[].nr_scan */
};

static inline int slo_node_distance(const struct slo_topology *t, int from, int to)
{
	return t->distances[from * t->nr_nodes + to];
}

/* The steal_order index of the @i-th entry a dispatch of @d inspects. */
static inline int slo_domain_scan_pos(const struct slo_domain *d, int i)
{
	if (i < d->nr_scan_same_node)
		return i;
	return d->nr_same_node + (i - d->nr_scan_same_node);
}

/*
 * Loaders.  On success return 0 and set *out, to be released with
 * slo_topology_free().  On failure return a negative errno and leave one line
 * (no newline) naming the problem in @err: -ENOENT and friends for an
 * unreadable file, -EINVAL for a bad XML file or synthetic string, -ENODEV
 * for a topology without a usable CPU, -ENOMEM.
 */
int slo_topology_load_live(struct slo_topology **out, char *err, size_t errlen);
int slo_topology_load_xml(struct slo_topology **out, const char *path,
			  char *err, size_t errlen);
int slo_topology_load_synthetic(struct slo_topology **out, const char *desc,
				char *err, size_t errlen);
void slo_topology_free(struct slo_topology *t);

/* "L3", "L2", "package", "machine" */
const char *slo_llc_level_name(enum slo_llc_level level);
/* "hwloc", "libnuma", "default" */
const char *slo_distance_source_name(enum slo_distance_source source);

/*
 * --show-topology: a tree for people, or JSON (schema in topology/README.md).
 * Returns 0, -EIO when writing to @out failed, or -ENOMEM.
 */
int slo_topology_print(FILE *out, const struct slo_topology *t, bool json);

#endif /* __SLO_TOPOLOGY_H */
