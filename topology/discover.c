// SPDX-License-Identifier: GPL-2.0
/*
 * Build the scx_slo topology model from hwloc: the live machine, an XML file
 * written by lstopo, or a synthetic description.
 *
 * Everything is derived per online CPU (its PU object and the PU's
 * ancestors), so a CPU always lands in exactly one node, package, core and
 * domain, whatever shape the hwloc tree has.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <hwloc.h>
#include <hwloc/distances.h>
#include <numa.h>

#include "topology_internal.h"

struct builder {
	hwloc_topology_t topo;
	struct slo_topology *t;
	char *err;
	size_t errlen;

	hwloc_obj_t *pu_of_cpu;		/* nr_cpu_ids, NULL when offline */

	/* hwloc logical index -> index in the model */
	int *node_of_numa;
	int *package_of_hwloc;
	int *core_of_hwloc;
	int machine_package;		/* stand-in for CPUs without a package */

	hwloc_obj_t *numa_objs;		/* in t->nodes order */
	int *numa_weight;		/* CPUs in each numa_objs[] cpuset */

	hwloc_obj_t *domain_llc;	/* the object each domain was cut from */
};

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

#define build_err(b, fmt, ...) set_err((b)->err, (b)->errlen, fmt, ##__VA_ARGS__)

/* XML files may leave an OS index out; the logical index is then the best name. */
static int obj_os_id(hwloc_obj_t obj)
{
	if (obj->os_index == HWLOC_UNKNOWN_INDEX || obj->os_index > INT_MAX)
		return obj->logical_index;
	return obj->os_index;
}

static int cmp_obj_os_id(const void *pa, const void *pb)
{
	int a = obj_os_id(*(const hwloc_obj_t *)pa);
	int b = obj_os_id(*(const hwloc_obj_t *)pb);

	return (a > b) - (a < b);
}

/*
 * Online CPUs are the PUs hwloc has objects for: with
 * HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED that includes CPUs outside our own
 * cpuset, which is right because the scheduler runs every CPU of the machine,
 * not just the loader's.  Possible CPUs add what hwloc knows exists without
 * a PU object: offline CPUs, which Linux lists but describes no topology for.
 */
static int collect_cpus(struct builder *b)
{
	struct slo_topology *t = b->t;
	hwloc_bitmap_t online, possible;
	hwloc_obj_t pu = NULL;
	int cpu, ret = -ENOMEM;

	online = hwloc_bitmap_alloc();
	possible = hwloc_bitmap_dup(hwloc_topology_get_complete_cpuset(b->topo));
	if (!online || !possible)
		goto out;

	while ((pu = hwloc_get_next_obj_by_type(b->topo, HWLOC_OBJ_PU, pu))) {
		if (pu->os_index == HWLOC_UNKNOWN_INDEX) {
			build_err(b, "PU L#%u has no CPU number", pu->logical_index);
			ret = -EINVAL;
			goto out;
		}
		if (pu->os_index >= SLO_MAX_CPU_IDS) {
			build_err(b, "CPU %u is beyond the supported %d CPU numbers",
				  pu->os_index, SLO_MAX_CPU_IDS);
			ret = -EINVAL;
			goto out;
		}
		hwloc_bitmap_set(online, pu->os_index);
	}
	if (hwloc_bitmap_iszero(online)) {
		build_err(b, "topology has no usable CPUs");
		ret = -ENODEV;
		goto out;
	}

	if (hwloc_bitmap_weight(possible) < 0)
		hwloc_bitmap_copy(possible, online);
	hwloc_bitmap_or(possible, possible, online);
	if (hwloc_bitmap_last(possible) >= SLO_MAX_CPU_IDS) {
		build_err(b, "CPU %d is beyond the supported %d CPU numbers",
			  hwloc_bitmap_last(possible), SLO_MAX_CPU_IDS);
		ret = -EINVAL;
		goto out;
	}

	t->nr_cpu_ids = hwloc_bitmap_last(possible) + 1;
	t->possible_cpus = slo_cpumask_alloc(t->nr_cpu_ids);
	t->online_cpus = slo_cpumask_alloc(t->nr_cpu_ids);
	t->cpus = calloc(t->nr_cpu_ids, sizeof(*t->cpus));
	b->pu_of_cpu = calloc(t->nr_cpu_ids, sizeof(*b->pu_of_cpu));
	if (!t->possible_cpus || !t->online_cpus || !t->cpus || !b->pu_of_cpu)
		goto out;

	for (cpu = 0; cpu < t->nr_cpu_ids; cpu++) {
		struct slo_cpu *c = &t->cpus[cpu];

		c->domain = c->node = c->package = c->core = -1;
		if (hwloc_bitmap_isset(possible, cpu))
			slo_cpumask_set(t->possible_cpus, cpu);
	}

	while ((pu = hwloc_get_next_obj_by_type(b->topo, HWLOC_OBJ_PU, pu))) {
		cpu = pu->os_index;
		if (b->pu_of_cpu[cpu]) {
			build_err(b, "CPU %d appears twice in the topology", cpu);
			ret = -EINVAL;
			goto out;
		}
		b->pu_of_cpu[cpu] = pu;
		t->cpus[cpu].online = true;
		slo_cpumask_set(t->online_cpus, cpu);
	}

	t->nr_possible_cpus = slo_cpumask_weight(t->possible_cpus);
	t->nr_online_cpus = slo_cpumask_weight(t->online_cpus);
	ret = 0;
out:
	hwloc_bitmap_free(online);
	hwloc_bitmap_free(possible);
	return ret;
}

/*
 * Nodes come from hwloc's NUMA node objects, CPU-less (memory-only) and
 * memory-less ones included.  A CPU belongs to the node with the smallest
 * cpuset containing it, i.e. the nearest in the tree; when several share that
 * cpuset (DRAM plus HBM or CXL memory behind the same package), the lowest OS
 * number wins, which is the one Linux puts the CPU in.
 */
static int collect_nodes(struct builder *b)
{
	struct slo_topology *t = b->t;
	int nr = hwloc_get_nbobjs_by_type(b->topo, HWLOC_OBJ_NUMANODE);
	hwloc_obj_t obj = NULL;
	int i, cpu;

	if (nr <= 0) {
		build_err(b, "topology has no NUMA node");
		return -EINVAL;
	}

	b->numa_objs = calloc(nr, sizeof(*b->numa_objs));
	b->numa_weight = calloc(nr, sizeof(*b->numa_weight));
	b->node_of_numa = calloc(nr, sizeof(*b->node_of_numa));
	t->nodes = calloc(nr, sizeof(*t->nodes));
	if (!b->numa_objs || !b->numa_weight || !b->node_of_numa || !t->nodes)
		return -ENOMEM;

	for (i = 0; i < nr; i++)
		b->numa_objs[i] = obj = hwloc_get_next_obj_by_type(b->topo,
						HWLOC_OBJ_NUMANODE, obj);
	qsort(b->numa_objs, nr, sizeof(*b->numa_objs), cmp_obj_os_id);

	for (i = 0; i < nr; i++) {
		struct slo_node *node = &t->nodes[i];

		obj = b->numa_objs[i];
		node->cpus = slo_cpumask_alloc(t->nr_cpu_ids);
		if (!node->cpus)
			return -ENOMEM;
		t->nr_nodes++;
		node->os_id = obj_os_id(obj);
		node->memory_bytes = obj->attr->numanode.local_memory;
		b->node_of_numa[obj->logical_index] = i;
		b->numa_weight[i] = obj->cpuset ? hwloc_bitmap_weight(obj->cpuset) : -1;
	}

	slo_cpumask_for_each(cpu, t->online_cpus) {
		int best = -1;

		for (i = 0; i < nr; i++) {
			hwloc_const_bitmap_t set = b->numa_objs[i]->cpuset;

			if (!set || !hwloc_bitmap_isset(set, cpu))
				continue;
			/* An infinite cpuset weighs -1: take it only as a last resort. */
			if (best < 0 || (unsigned int)b->numa_weight[i] <
					(unsigned int)b->numa_weight[best])
				best = i;
		}
		if (best < 0) {
			build_err(b, "CPU %d is in no NUMA node", cpu);
			return -EINVAL;
		}
		t->cpus[cpu].node = best;
		slo_cpumask_set(t->nodes[best].cpus, cpu);
		t->nodes[best].nr_cpus++;
	}
	return 0;
}

static int add_package(struct builder *b, int os_id)
{
	struct slo_package *pkg = &b->t->packages[b->t->nr_packages];

	pkg->os_id = os_id;
	pkg->cpus = slo_cpumask_alloc(b->t->nr_cpu_ids);
	if (!pkg->cpus)
		return -ENOMEM;
	return b->t->nr_packages++;
}

/*
 * Packages are hwloc's Package objects.  Synthetic and hand-written XML
 * topologies may have none; their CPUs then share one stand-in package
 * numbered after the real ones, so every CPU and domain has a package.
 */
static int collect_packages(struct builder *b)
{
	struct slo_topology *t = b->t;
	int nr = hwloc_get_nbobjs_by_type(b->topo, HWLOC_OBJ_PACKAGE);
	hwloc_obj_t *objs = NULL, obj = NULL;
	int i, cpu, idx, next_os_id = 0, ret = -ENOMEM;

	if (nr < 0)
		nr = 0;
	b->machine_package = -1;
	b->package_of_hwloc = calloc(nr + 1, sizeof(*b->package_of_hwloc));
	t->packages = calloc(nr + 1, sizeof(*t->packages));
	objs = calloc(nr + 1, sizeof(*objs));
	if (!b->package_of_hwloc || !t->packages || !objs)
		goto out;

	for (i = 0; i < nr; i++)
		objs[i] = obj = hwloc_get_next_obj_by_type(b->topo, HWLOC_OBJ_PACKAGE, obj);
	qsort(objs, nr, sizeof(*objs), cmp_obj_os_id);

	for (i = 0; i < nr; i++) {
		idx = add_package(b, obj_os_id(objs[i]));
		if (idx < 0)
			goto out;
		b->package_of_hwloc[objs[i]->logical_index] = idx;
		if (obj_os_id(objs[i]) >= next_os_id)
			next_os_id = obj_os_id(objs[i]) + 1;
	}

	slo_cpumask_for_each(cpu, t->online_cpus) {
		obj = hwloc_get_ancestor_obj_by_type(b->topo, HWLOC_OBJ_PACKAGE,
						     b->pu_of_cpu[cpu]);
		if (obj) {
			idx = b->package_of_hwloc[obj->logical_index];
		} else {
			if (b->machine_package < 0) {
				b->machine_package = add_package(b, next_os_id);
				if (b->machine_package < 0)
					goto out;
			}
			idx = b->machine_package;
		}
		t->cpus[cpu].package = idx;
		slo_cpumask_set(t->packages[idx].cpus, cpu);
		t->packages[idx].nr_cpus++;
	}
	ret = 0;
out:
	free(objs);
	return ret;
}

/* SMT siblings: the online PUs of one Core object; a PU without one is alone. */
static int collect_cores(struct builder *b)
{
	struct slo_topology *t = b->t;
	int nr = hwloc_get_nbobjs_by_type(b->topo, HWLOC_OBJ_CORE);
	int i, cpu, idx;
	hwloc_obj_t core;

	if (nr < 0)
		nr = 0;
	b->core_of_hwloc = malloc((nr + 1) * sizeof(*b->core_of_hwloc));
	t->core_cpus = calloc(t->nr_online_cpus, sizeof(*t->core_cpus));
	if (!b->core_of_hwloc || !t->core_cpus)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		b->core_of_hwloc[i] = -1;

	slo_cpumask_for_each(cpu, t->online_cpus) {
		core = hwloc_get_ancestor_obj_by_type(b->topo, HWLOC_OBJ_CORE,
						      b->pu_of_cpu[cpu]);
		idx = core ? b->core_of_hwloc[core->logical_index] : -1;
		if (idx < 0) {
			idx = t->nr_cores;
			t->core_cpus[idx] = slo_cpumask_alloc(t->nr_cpu_ids);
			if (!t->core_cpus[idx])
				return -ENOMEM;
			t->nr_cores++;
			if (core)
				b->core_of_hwloc[core->logical_index] = idx;
		}
		t->cpus[cpu].core = idx;
		slo_cpumask_set(t->core_cpus[idx], cpu);
	}

	slo_cpumask_for_each(cpu, t->online_cpus)
		t->cpus[cpu].smt_siblings = t->core_cpus[t->cpus[cpu].core];
	return 0;
}

/* Does @cache serve more than one core?  PUs stand in for missing Core objects. */
static bool cache_is_shared(hwloc_topology_t topo, hwloc_obj_t cache)
{
	int nr = hwloc_get_nbobjs_inside_cpuset_by_type(topo, cache->cpuset,
							HWLOC_OBJ_CORE);

	if (nr <= 0)
		nr = hwloc_bitmap_weight(cache->cpuset);
	return nr > 1;
}

/*
 * The cache a domain is cut from: the CPU's L3; else its L2, if cores share
 * it; else its package; else the whole machine.  An L2 private to a core
 * (arm64 servers that report no system cache) would give every core a queue
 * of its own and nothing to balance within, so it counts as no L2.  The
 * choice is per CPU so that a machine mixing cores with and without an L3
 * still puts every CPU in a domain.
 */
static hwloc_obj_t llc_of(hwloc_topology_t topo, hwloc_obj_t pu,
			  enum slo_llc_level *level)
{
	hwloc_obj_t obj;

	obj = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_L3CACHE, pu);
	if (obj) {
		*level = SLO_LLC_L3;
		return obj;
	}
	obj = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_L2CACHE, pu);
	if (obj && cache_is_shared(topo, obj)) {
		*level = SLO_LLC_L2;
		return obj;
	}
	obj = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, pu);
	if (obj) {
		*level = SLO_LLC_PACKAGE;
		return obj;
	}
	*level = SLO_LLC_MACHINE;
	return hwloc_get_root_obj(topo);
}

/*
 * A domain is the set of online CPUs sharing one LLC, one node and one
 * package.  Keying on the node splits an LLC that spans NUMA nodes (VMs
 * report such things), so that stealing within a domain never crosses a node;
 * keying on the package only matters for hand-written XML, as no real cache
 * spans sockets.  CPUs are visited in increasing order, so domains are
 * numbered by their lowest CPU.
 */
static int collect_domains(struct builder *b)
{
	struct slo_topology *t = b->t;
	int cpu, i, last = -1;

	t->domains = calloc(t->nr_online_cpus, sizeof(*t->domains));
	b->domain_llc = calloc(t->nr_online_cpus, sizeof(*b->domain_llc));
	if (!t->domains || !b->domain_llc)
		return -ENOMEM;

	slo_cpumask_for_each(cpu, t->online_cpus) {
		struct slo_cpu *c = &t->cpus[cpu];
		enum slo_llc_level level;
		struct slo_domain *d;
		hwloc_obj_t llc;

		llc = llc_of(b->topo, b->pu_of_cpu[cpu], &level);

		/* Consecutive CPUs usually share a domain: try the last one first. */
		i = last;
		if (i < 0 || b->domain_llc[i] != llc || t->domains[i].node != c->node ||
		    t->domains[i].package != c->package) {
			for (i = 0; i < t->nr_domains; i++) {
				if (b->domain_llc[i] == llc &&
				    t->domains[i].node == c->node &&
				    t->domains[i].package == c->package)
					break;
			}
		}

		if (i == t->nr_domains) {
			d = &t->domains[i];
			d->cpus = slo_cpumask_alloc(t->nr_cpu_ids);
			if (!d->cpus)
				return -ENOMEM;
			t->nr_domains++;
			d->id = i;
			d->node = c->node;
			d->package = c->package;
			d->level = level;
			b->domain_llc[i] = llc;
		}

		d = &t->domains[i];
		slo_cpumask_set(d->cpus, cpu);
		d->nr_cpus++;
		c->domain = i;
		last = i;
	}
	return 0;
}

/*
 * The node distance matrix, from the best source available: hwloc (which on
 * Linux reads the firmware's SLIT through sysfs, and which XML files carry),
 * then libnuma, but only for the machine we run on (its answers describe this
 * machine, not an XML file's), then 10 local / 20 remote.
 */
static void collect_distances(struct builder *b)
{
	struct slo_topology *t = b->t;
	struct hwloc_distances_s *dist = NULL;
	unsigned int nr = 1, i, j;
	int from, to, *d;
	bool have_hwloc = false, have_libnuma = false;

	if (hwloc_distances_get_by_type(b->topo, HWLOC_OBJ_NUMANODE, &nr, &dist,
					HWLOC_DISTANCES_KIND_MEANS_LATENCY, 0) < 0)
		nr = 0;
	if (nr && dist) {
		for (i = 0; i < dist->nbobjs; i++) {
			for (j = 0; j < dist->nbobjs; j++) {
				hwloc_uint64_t v = dist->values[i * dist->nbobjs + j];

				if (!v || !dist->objs[i] || !dist->objs[j])
					continue;
				from = b->node_of_numa[dist->objs[i]->logical_index];
				to = b->node_of_numa[dist->objs[j]->logical_index];
				t->distances[from * t->nr_nodes + to] = v > INT_MAX ? INT_MAX : v;
				have_hwloc = true;
			}
		}
		hwloc_distances_release(b->topo, dist);
	}

	if (!have_hwloc && hwloc_topology_is_thissystem(b->topo) &&
	    numa_available() >= 0) {
		for (from = 0; from < t->nr_nodes; from++) {
			for (to = 0; to < t->nr_nodes; to++) {
				int v = numa_distance(t->nodes[from].os_id,
						      t->nodes[to].os_id);

				if (v > 0) {
					t->distances[from * t->nr_nodes + to] = v;
					have_libnuma = true;
				}
			}
		}
	}

	/* Whatever the sources left unknown. */
	for (from = 0; from < t->nr_nodes; from++) {
		for (to = 0; to < t->nr_nodes; to++) {
			d = &t->distances[from * t->nr_nodes + to];
			if (!*d)
				*d = from == to ? SLO_LOCAL_DISTANCE : SLO_REMOTE_DISTANCE;
		}
	}

	if (have_hwloc)
		t->distance_source = SLO_DISTANCE_HWLOC;
	else if (have_libnuma)
		t->distance_source = SLO_DISTANCE_LIBNUMA;
	else
		t->distance_source = SLO_DISTANCE_DEFAULT;
}

static int build(struct builder *b)
{
	struct slo_topology *t = b->t;
	int ret;

	ret = collect_cpus(b);
	if (!ret)
		ret = collect_nodes(b);
	if (!ret)
		ret = collect_packages(b);
	if (!ret)
		ret = collect_cores(b);
	if (!ret)
		ret = collect_domains(b);
	if (ret)
		return ret;

	t->distances = calloc((size_t)t->nr_nodes * t->nr_nodes, sizeof(*t->distances));
	if (!t->distances)
		return -ENOMEM;
	collect_distances(b);

	return slo_topology_order_steal(t);
}

/*
 * hwloc fails with EINVAL both for XML it cannot parse and for a topology
 * without a single PU, and says which only on stderr when asked to be
 * verbose.  A file that has a <topology> but no PU object is the second case;
 * naming it saves the user from hunting for a syntax error that is not there.
 */
static int load_error(enum slo_topology_source source, const char *arg,
		      const char *xml, char *err, size_t errlen)
{
	int ret = errno ? -errno : -EIO;

	switch (source) {
	case SLO_TOPOLOGY_XML:
		if (strstr(xml, "<topology") && !strstr(xml, "\"PU\"")) {
			set_err(err, errlen, "topology XML '%s' has no usable CPUs", arg);
			return -ENODEV;
		}
		set_err(err, errlen, "'%s' is not a valid hwloc XML topology", arg);
		return -EINVAL;
	case SLO_TOPOLOGY_SYNTHETIC:
		set_err(err, errlen, "invalid hwloc synthetic topology \"%s\"", arg);
		return -EINVAL;
	case SLO_TOPOLOGY_LIVE:
		break;
	}
	set_err(err, errlen, "hwloc cannot discover this machine: %s", strerror(-ret));
	return ret;
}

/*
 * Common to the three inputs: point hwloc at its input (nothing to do for the
 * live machine), let it discover, build the model and drop hwloc's topology.
 */
static int load(struct slo_topology **out, enum slo_topology_source source,
		const char *arg, const char *xml, size_t xml_len,
		char *err, size_t errlen)
{
	struct builder b = { .err = err, .errlen = errlen };
	struct slo_topology *t;
	int ret = -ENOMEM;

	*out = NULL;
	set_err(err, errlen, "out of memory");

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	b.t = t;
	t->source = source;
	if (arg) {
		t->source_arg = strdup(arg);
		if (!t->source_arg)
			goto out;
	}

	if (hwloc_topology_init(&b.topo)) {
		set_err(err, errlen, "cannot initialize hwloc: %s", strerror(errno));
		b.topo = NULL;
		goto out;
	}
	hwloc_topology_set_flags(b.topo, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
	/*
	 * Only L2/L3, cores, packages and NUMA nodes matter: not discovering
	 * I/O devices and L1 caches keeps start-up fast on large machines.
	 */
	hwloc_topology_set_io_types_filter(b.topo, HWLOC_TYPE_FILTER_KEEP_NONE);
	hwloc_topology_set_icache_types_filter(b.topo, HWLOC_TYPE_FILTER_KEEP_NONE);
	hwloc_topology_set_type_filter(b.topo, HWLOC_OBJ_L1CACHE, HWLOC_TYPE_FILTER_KEEP_NONE);

	switch (source) {
	case SLO_TOPOLOGY_XML:
		if (hwloc_topology_set_xmlbuffer(b.topo, xml, xml_len + 1)) {
			set_err(err, errlen, "'%s' is not a valid hwloc XML topology", arg);
			ret = -EINVAL;
			goto out;
		}
		break;
	case SLO_TOPOLOGY_SYNTHETIC:
		if (hwloc_topology_set_synthetic(b.topo, arg)) {
			set_err(err, errlen, "invalid hwloc synthetic topology \"%s\"", arg);
			ret = -EINVAL;
			goto out;
		}
		break;
	case SLO_TOPOLOGY_LIVE:
		break;
	}

	if (hwloc_topology_load(b.topo)) {
		ret = load_error(source, arg, xml, err, errlen);
		goto out;
	}

	set_err(err, errlen, "out of memory");
	ret = build(&b);
	if (!ret)
		set_err(err, errlen, "%s", "");
out:
	if (b.topo)
		hwloc_topology_destroy(b.topo);
	free(b.pu_of_cpu);
	free(b.node_of_numa);
	free(b.package_of_hwloc);
	free(b.core_of_hwloc);
	free(b.numa_objs);
	free(b.numa_weight);
	free(b.domain_llc);
	if (ret)
		slo_topology_free(t);
	else
		*out = t;
	return ret;
}

int slo_topology_load_live(struct slo_topology **out, char *err, size_t errlen)
{
	return load(out, SLO_TOPOLOGY_LIVE, NULL, NULL, 0, err, errlen);
}

int slo_topology_load_synthetic(struct slo_topology **out, const char *desc,
				char *err, size_t errlen)
{
	return load(out, SLO_TOPOLOGY_SYNTHETIC, desc, NULL, 0, err, errlen);
}

/*
 * The XML file is read here rather than by hwloc so that a missing or
 * unreadable file is reported as such (with errno), not as bad XML, and so
 * that pipes such as /dev/stdin work.
 */
static int read_file(const char *path, char **bufp, size_t *lenp,
		     char *err, size_t errlen)
{
	size_t len = 0, cap = 0, n;
	char *buf = NULL, *tmp;
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		set_err(err, errlen, "cannot open topology XML '%s': %s", path,
			strerror(errno));
		return ret;
	}

	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			/* hwloc takes the size as an int, NUL included. */
			if (cap > INT_MAX) {
				set_err(err, errlen, "topology XML '%s' is too large", path);
				ret = -EFBIG;
				goto fail;
			}
			tmp = realloc(buf, cap);
			if (!tmp) {
				set_err(err, errlen, "out of memory");
				ret = -ENOMEM;
				goto fail;
			}
			buf = tmp;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				ret = errno ? -errno : -EIO;
				set_err(err, errlen, "cannot read topology XML '%s': %s",
					path, strerror(-ret));
				goto fail;
			}
			break;
		}
	}
	fclose(f);
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	fclose(f);
	free(buf);
	return ret;
}

int slo_topology_load_xml(struct slo_topology **out, const char *path,
			  char *err, size_t errlen)
{
	size_t len = 0;
	char *xml = NULL;
	int ret;

	*out = NULL;
	ret = read_file(path, &xml, &len, err, errlen);
	if (ret)
		return ret;
	if (!len) {
		set_err(err, errlen, "topology XML '%s' is empty", path);
		free(xml);
		return -EINVAL;
	}
	ret = load(out, SLO_TOPOLOGY_XML, path, xml, len, err, errlen);
	free(xml);
	return ret;
}
