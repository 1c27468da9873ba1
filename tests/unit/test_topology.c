// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of topology/: domains, cpumasks and steal orders checked exactly
 * over synthetic topologies and the XML fixtures in tests/unit/data (see the
 * README there for how each was made), how steal orders and dispatch scans
 * spread over big machines, plus the error paths and the output.
 *
 * Synthetic "pu:2(indexes=2*64:128*2:1*2)" numbers CPUs the way Linux does on
 * x86: all first threads (socket 0, then socket 1), then all second threads,
 * so SMT siblings are N and N + 128 and domain masks are not contiguous.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "topology.h"

/* The 2 x 64-core x 2-SMT machine, also what bench/topology_bench times. */
#define SYNTH_2X64X2	"pack:2 [numa] l3:1 core:64 pu:2(indexes=2*64:128*2:1*2)"
/* AMD-like: 2 sockets x 8 L3 x 8 cores x 2 threads. */
#define SYNTH_AMD	"pack:2 [numa] l3:8 core:8 pu:2(indexes=2*64:128*2:1*2)"
/* The test VM of tests/vm: 2 sockets x 2 L3 x 2 cores, one node per socket. */
#define SYNTH_VM	"pack:2 [numa] l3:2 core:2 pu:1"

static char data_dir[PATH_MAX];

/*
 * The fixtures live beside this file.  CMake compiles it by absolute path, so
 * __FILE__ finds them from any build directory; SLO_TEST_DATA_DIR overrides.
 */
static const char *fixture(const char *name)
{
	static char path[PATH_MAX + 64];

	if (!data_dir[0]) {
		const char *env = getenv("SLO_TEST_DATA_DIR");
		char *slash;

		if (env) {
			snprintf(data_dir, sizeof(data_dir), "%s", env);
		} else {
			snprintf(data_dir, sizeof(data_dir), "%s", __FILE__);
			slash = strrchr(data_dir, '/');
			if (slash)
				snprintf(slash, sizeof(data_dir) - (slash - data_dir), "/data");
			else
				snprintf(data_dir, sizeof(data_dir), "data");
		}
	}
	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	return path;
}

static struct slo_topology *load_synthetic(const char *desc)
{
	struct slo_topology *t = NULL;
	char err[256] = "";
	int ret;

	ret = slo_topology_load_synthetic(&t, desc, err, sizeof(err));
	if (ret)
		fail_msg("synthetic \"%s\": %d %s", desc, ret, err);
	assert_non_null(t);
	return t;
}

static struct slo_topology *load_fixture(const char *name)
{
	struct slo_topology *t = NULL;
	char err[256] = "";
	int ret;

	ret = slo_topology_load_xml(&t, fixture(name), err, sizeof(err));
	if (ret)
		fail_msg("%s: %d %s", name, ret, err);
	assert_non_null(t);
	return t;
}

static void assert_mask(const struct slo_cpumask *mask, const char *expect)
{
	char buf[8192];

	assert_non_null(mask);
	assert_in_range(slo_cpumask_format(mask, buf, sizeof(buf)), 0, sizeof(buf) - 1);
	assert_string_equal(buf, expect);
}

static void assert_domain(const struct slo_topology *t, int d, const char *cpus,
			  enum slo_llc_level level, int node_os_id, int package_os_id)
{
	const struct slo_domain *dom = &t->domains[d];

	assert_int_equal(dom->id, d);
	assert_mask(dom->cpus, cpus);
	assert_int_equal(dom->nr_cpus, slo_cpumask_weight(dom->cpus));
	assert_int_equal(dom->level, level);
	assert_int_equal(t->nodes[dom->node].os_id, node_os_id);
	assert_int_equal(t->packages[dom->package].os_id, package_os_id);
}

static void assert_steal(const struct slo_topology *t, int d, int nr_same_node,
			 const int *expect, int nr)
{
	const struct slo_domain *dom = &t->domains[d];
	int i;

	assert_int_equal(nr, t->nr_domains - 1);
	assert_int_equal(dom->nr_same_node, nr_same_node);
	for (i = 0; i < nr; i++) {
		if (dom->steal_order[i] != expect[i])
			fail_msg("domain %d steal_order[%d] = %d, expected %d",
				 d, i, dom->steal_order[i], expect[i]);
	}
}

#define STEAL(t, d, same, ...)							\
	assert_steal((t), (d), (same), (const int[]){ __VA_ARGS__ },		\
		     sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int))

static int min_int(int a, int b)
{
	return a < b ? a : b;
}

/*
 * The entries a dispatch of @dom inspects: at most SLO_STEAL_SCAN_MAX
 * distinct ones, the same node's first, and whenever the domain has other
 * nodes to steal from, one per remote node (up to
 * SLO_STEAL_SCAN_OTHER_NODE_MAX) of theirs.  The same-node part is cut only
 * when the scan is full, and never below what the other nodes leave.
 */
static void check_scan(const struct slo_topology *t, const struct slo_domain *dom)
{
	int nr_steal = t->nr_domains - 1;
	int nr_scan_other = dom->nr_scan - dom->nr_scan_same_node;
	char *seen = calloc(t->nr_domains, 1);
	char *node_seen = calloc(t->nr_nodes, 1);
	int i, pos, nr_remote_nodes = 0;

	assert_non_null(seen);
	assert_non_null(node_seen);
	for (i = dom->nr_same_node; i < nr_steal; i++) {
		int node = t->domains[dom->steal_order[i]].node;

		nr_remote_nodes += !node_seen[node];
		node_seen[node] = 1;
	}
	assert_in_range(dom->nr_scan, 0, min_int(nr_steal, SLO_STEAL_SCAN_MAX));
	assert_in_range(dom->nr_scan_same_node, 0, dom->nr_same_node);
	assert_int_equal(nr_scan_other, min_int(nr_remote_nodes, SLO_STEAL_SCAN_OTHER_NODE_MAX));
	if (dom->nr_same_node < nr_steal)
		assert_true(nr_scan_other >= 1);
	assert_true(dom->nr_scan_same_node == dom->nr_same_node ||
		    dom->nr_scan == SLO_STEAL_SCAN_MAX);
	assert_true(dom->nr_scan_same_node >=
		    min_int(dom->nr_same_node, SLO_STEAL_SCAN_MAX - SLO_STEAL_SCAN_OTHER_NODE_MAX));
	assert_true(dom->nr_scan <= t->steal_scan_max);

	for (i = 0; i < dom->nr_scan; i++) {
		pos = slo_domain_scan_pos(dom, i);
		assert_in_range(pos, 0, nr_steal - 1);
		assert_false(seen[pos]);
		seen[pos] = 1;
		if (i < dom->nr_scan_same_node)
			assert_true(pos < dom->nr_same_node);
		else
			assert_true(pos >= dom->nr_same_node);
	}
	free(seen);
	free(node_seen);
}

/*
 * What every model must satisfy, whatever the input: each online CPU in
 * exactly one domain, domains inside their node and package, steal orders
 * that are permutations honouring same-node-first and distance order, and
 * dispatch scans that reach other nodes.
 */
static void check_invariants(const struct slo_topology *t)
{
	int cpu, d, i, n, online = 0, scan_max = 0;

	assert_true(t->nr_cpu_ids > 0);
	assert_true(t->nr_online_cpus > 0);
	assert_true(t->nr_domains > 0);
	assert_int_equal(t->nr_online_cpus, slo_cpumask_weight(t->online_cpus));
	assert_int_equal(t->nr_possible_cpus, slo_cpumask_weight(t->possible_cpus));

	for (cpu = 0; cpu < t->nr_cpu_ids; cpu++) {
		const struct slo_cpu *c = &t->cpus[cpu];

		assert_int_equal(c->online, slo_cpumask_test(t->online_cpus, cpu));
		if (!c->online) {
			assert_int_equal(c->domain, -1);
			assert_null(c->smt_siblings);
			continue;
		}
		online++;
		assert_true(slo_cpumask_test(t->possible_cpus, cpu));
		assert_in_range(c->domain, 0, t->nr_domains - 1);
		assert_true(slo_cpumask_test(t->domains[c->domain].cpus, cpu));
		assert_int_equal(t->domains[c->domain].node, c->node);
		assert_int_equal(t->domains[c->domain].package, c->package);
		assert_true(slo_cpumask_test(t->nodes[c->node].cpus, cpu));
		assert_true(slo_cpumask_test(t->packages[c->package].cpus, cpu));
		assert_true(slo_cpumask_test(c->smt_siblings, cpu));
		for (d = 0; d < t->nr_domains; d++)
			if (d != c->domain)
				assert_false(slo_cpumask_test(t->domains[d].cpus, cpu));
	}
	assert_int_equal(online, t->nr_online_cpus);

	for (d = 0; d < t->nr_domains; d++) {
		const struct slo_domain *dom = &t->domains[d];
		char *seen = calloc(t->nr_domains, 1);
		int prev = -1;

		assert_non_null(seen);
		assert_int_equal(dom->id, d);
		assert_int_equal(dom->nr_cpus, slo_cpumask_weight(dom->cpus));
		assert_true(dom->nr_cpus > 0);
		for (i = 0; i < t->nr_domains - 1; i++) {
			int v = dom->steal_order[i];

			assert_in_range(v, 0, t->nr_domains - 1);
			assert_int_not_equal(v, d);
			assert_false(seen[v]);
			seen[v] = 1;
			if (i < dom->nr_same_node) {
				assert_int_equal(t->domains[v].node, dom->node);
			} else {
				int dist = slo_node_distance(t, dom->node, t->domains[v].node);

				assert_int_not_equal(t->domains[v].node, dom->node);
				assert_true(dist >= prev);
				prev = dist;
			}
		}
		free(seen);
		check_scan(t, dom);
		if (dom->nr_scan > scan_max)
			scan_max = dom->nr_scan;
	}
	assert_int_equal(t->steal_scan_max, scan_max);

	for (n = 0; n < t->nr_nodes; n++) {
		assert_int_equal(t->nodes[n].nr_cpus, slo_cpumask_weight(t->nodes[n].cpus));
		if (n)
			assert_true(t->nodes[n - 1].os_id < t->nodes[n].os_id);
	}
	for (n = 0; n < t->nr_packages; n++)
		assert_int_equal(t->packages[n].nr_cpus,
				 slo_cpumask_weight(t->packages[n].cpus));
}

static void test_cpumask(void **state)
{
	struct slo_cpumask *m = slo_cpumask_alloc(200);
	char buf[64];

	assert_non_null(m);
	assert_int_equal(slo_cpumask_format(m, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(slo_cpumask_next(m, -1), -1);

	slo_cpumask_set(m, 0);
	slo_cpumask_set(m, 2);
	slo_cpumask_set(m, 3);
	slo_cpumask_set(m, 4);
	slo_cpumask_set(m, 63);
	slo_cpumask_set(m, 64);
	slo_cpumask_set(m, 199);
	slo_cpumask_set(m, 200);	/* out of range: ignored */
	slo_cpumask_set(m, -1);
	assert_int_equal(slo_cpumask_weight(m), 7);
	assert_true(slo_cpumask_test(m, 64));
	assert_false(slo_cpumask_test(m, 65));
	assert_false(slo_cpumask_test(m, 200));
	assert_false(slo_cpumask_test(m, -1));
	assert_int_equal(slo_cpumask_next(m, 4), 63);
	assert_int_equal(slo_cpumask_next(m, 64), 199);
	assert_int_equal(slo_cpumask_next(m, 199), -1);
	assert_mask(m, "0,2-4,63-64,199");

	/* Truncation behaves like snprintf: the needed length comes back. */
	assert_int_equal(slo_cpumask_format(m, buf, 4), 15);
	assert_string_equal(buf, "0,2");
	assert_int_equal(slo_cpumask_format(m, NULL, 0), 15);
	free(m);
}

/* 1 CPU, with nothing around it, and as a real single-core part. */
static void test_one_cpu(void **state)
{
	struct slo_topology *t = load_synthetic("pu:1");

	check_invariants(t);
	assert_int_equal(t->nr_cpu_ids, 1);
	assert_mask(t->online_cpus, "0");
	assert_mask(t->possible_cpus, "0");
	assert_int_equal(t->nr_nodes, 1);
	assert_int_equal(t->nr_packages, 1);	/* stand-in for the machine */
	assert_int_equal(t->nr_cores, 1);
	assert_int_equal(t->nr_domains, 1);
	assert_domain(t, 0, "0", SLO_LLC_MACHINE, 0, 0);
	assert_steal(t, 0, 0, NULL, 0);
	assert_non_null(t->domains[0].steal_order);
	assert_mask(t->cpus[0].smt_siblings, "0");
	assert_int_equal(slo_node_distance(t, 0, 0), SLO_LOCAL_DISTANCE);
	slo_topology_free(t);

	t = load_synthetic("pack:1 [numa] l3:1 core:1 pu:1");
	check_invariants(t);
	assert_int_equal(t->nr_domains, 1);
	assert_domain(t, 0, "0", SLO_LLC_L3, 0, 0);
	slo_topology_free(t);
}

/*
 * The test VM: domain 0 steals from domain 1 (same node), then 2, 3; domain
 * 1 from 0, then 3, 2: the two domains of a node start on different remote
 * domains, and each scans its neighbour and its first remote domain.
 */
static void test_vm_2x2x2(void **state)
{
	struct slo_topology *t = load_synthetic(SYNTH_VM);
	int d;

	check_invariants(t);
	assert_int_equal(t->nr_cpu_ids, 8);
	assert_int_equal(t->nr_online_cpus, 8);
	assert_int_equal(t->nr_packages, 2);
	assert_int_equal(t->nr_nodes, 2);
	assert_mask(t->nodes[0].cpus, "0-3");
	assert_mask(t->nodes[1].cpus, "4-7");
	assert_mask(t->packages[0].cpus, "0-3");
	assert_mask(t->packages[1].cpus, "4-7");
	assert_int_equal(t->distance_source, SLO_DISTANCE_DEFAULT);
	assert_int_equal(slo_node_distance(t, 0, 1), SLO_REMOTE_DISTANCE);
	assert_int_equal(slo_node_distance(t, 1, 1), SLO_LOCAL_DISTANCE);

	assert_int_equal(t->nr_domains, 4);
	assert_domain(t, 0, "0-1", SLO_LLC_L3, 0, 0);
	assert_domain(t, 1, "2-3", SLO_LLC_L3, 0, 0);
	assert_domain(t, 2, "4-5", SLO_LLC_L3, 1, 1);
	assert_domain(t, 3, "6-7", SLO_LLC_L3, 1, 1);
	STEAL(t, 0, 1, 1, 2, 3);
	STEAL(t, 1, 1, 0, 3, 2);
	STEAL(t, 2, 1, 3, 0, 1);
	STEAL(t, 3, 1, 2, 1, 0);
	for (d = 0; d < 4; d++) {
		assert_int_equal(t->domains[d].nr_scan, 2);
		assert_int_equal(t->domains[d].nr_scan_same_node, 1);
	}
	assert_int_equal(t->steal_scan_max, 2);

	assert_int_equal(t->cpus[5].domain, 2);
	assert_int_equal(t->nodes[t->cpus[5].node].os_id, 1);
	assert_mask(t->cpus[5].smt_siblings, "5");
	slo_topology_free(t);
}

/* 2-way SMT with Linux numbering: core N has threads N and N + 4. */
static void test_smt2(void **state)
{
	struct slo_topology *t = load_synthetic("pack:1 [numa] l3:2 core:2 pu:2(indexes=2*4:1*2)");
	int cpu;

	check_invariants(t);
	assert_int_equal(t->nr_online_cpus, 8);
	assert_int_equal(t->nr_cores, 4);
	assert_int_equal(t->nr_domains, 2);
	assert_domain(t, 0, "0-1,4-5", SLO_LLC_L3, 0, 0);
	assert_domain(t, 1, "2-3,6-7", SLO_LLC_L3, 0, 0);
	STEAL(t, 0, 1, 1);
	STEAL(t, 1, 1, 0);
	assert_mask(t->cpus[0].smt_siblings, "0,4");
	assert_mask(t->cpus[5].smt_siblings, "1,5");
	assert_mask(t->cpus[7].smt_siblings, "3,7");
	for (cpu = 0; cpu < 4; cpu++)
		assert_ptr_equal(t->cpus[cpu].smt_siblings, t->cpus[cpu + 4].smt_siblings);
	slo_topology_free(t);
}

/* AMD-like: 2 sockets x 8 LLCs x 16 threads, Linux numbering. */
static void test_amd_2x8x16(void **state)
{
	struct slo_topology *t = load_synthetic(SYNTH_AMD);
	int expect[15], d, i, n;
	char cpus[64];

	check_invariants(t);
	assert_int_equal(t->nr_cpu_ids, 256);
	assert_int_equal(t->nr_online_cpus, 256);
	assert_int_equal(t->nr_cores, 128);
	assert_int_equal(t->nr_nodes, 2);
	assert_mask(t->nodes[0].cpus, "0-63,128-191");
	assert_mask(t->nodes[1].cpus, "64-127,192-255");
	assert_int_equal(t->nr_domains, 16);

	for (d = 0; d < 16; d++) {
		snprintf(cpus, sizeof(cpus), "%d-%d,%d-%d",
			 8 * d, 8 * d + 7, 128 + 8 * d, 128 + 8 * d + 7);
		assert_domain(t, d, cpus, SLO_LLC_L3, d / 8, d / 8);
		assert_int_equal(t->domains[d].nr_cpus, 16);

		/*
		 * Own socket from the next domain on, wrapping; then the
		 * other socket from the domain at our place in it, wrapping.
		 */
		n = 0;
		for (i = 1; i < 8; i++)
			expect[n++] = d / 8 * 8 + (d + i) % 8;
		for (i = 0; i < 8; i++)
			expect[n++] = (1 - d / 8) * 8 + (d + i) % 8;
		assert_steal(t, d, 7, expect, n);
		assert_int_equal(t->domains[d].nr_scan, 8);
		assert_int_equal(t->domains[d].nr_scan_same_node, 7);
	}
	/* The same, spelled out for two domains. */
	STEAL(t, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	STEAL(t, 9, 7, 10, 11, 12, 13, 14, 15, 8, 1, 2, 3, 4, 5, 6, 7, 0);
	assert_mask(t->cpus[0].smt_siblings, "0,128");
	assert_mask(t->cpus[200].smt_siblings, "72,200");
	slo_topology_free(t);
}

/* 2 x 64 cores x 2 threads: 256 CPUs, masks four words wide, 2 domains. */
static void test_256_cpus(void **state)
{
	struct slo_topology *t = load_synthetic(SYNTH_2X64X2);

	check_invariants(t);
	assert_int_equal(t->nr_cpu_ids, 256);
	assert_int_equal(slo_cpumask_nr_words(t->nr_cpu_ids), 4);
	assert_int_equal(t->nr_online_cpus, 256);
	assert_int_equal(t->nr_cores, 128);
	assert_int_equal(t->nr_packages, 2);
	assert_int_equal(t->nr_domains, 2);
	assert_domain(t, 0, "0-63,128-191", SLO_LLC_L3, 0, 0);
	assert_domain(t, 1, "64-127,192-255", SLO_LLC_L3, 1, 1);
	STEAL(t, 0, 0, 1);
	STEAL(t, 1, 0, 0);
	assert_mask(t->cpus[63].smt_siblings, "63,191");
	assert_int_equal(t->cpus[191].domain, 0);
	assert_int_equal(t->cpus[192].domain, 1);
	slo_topology_free(t);
}

/*
 * 1024 CPUs in 256 LLC domains over 4 sockets: 63 same-node domains, more
 * than a dispatch scans, so the scan keeps one domain of each other node.
 */
static void test_1024_cpus(void **state)
{
	struct slo_topology *t = load_synthetic("pack:4 [numa] l3:64 core:2 pu:2");
	int expect[255], d, i, n;
	char cpus[32];

	check_invariants(t);
	assert_int_equal(t->nr_cpu_ids, 1024);
	assert_int_equal(t->nr_online_cpus, 1024);
	assert_int_equal(t->nr_domains, 256);
	assert_int_equal(t->nr_nodes, 4);
	assert_mask(t->nodes[3].cpus, "768-1023");

	for (d = 0; d < 256; d++) {
		snprintf(cpus, sizeof(cpus), "%d-%d", 4 * d, 4 * d + 3);
		assert_domain(t, d, cpus, SLO_LLC_L3, d / 64, d / 64);
		/*
		 * Own node from the next domain on; then the other three
		 * (equidistant) nodes round-robin from the one after ours,
		 * each from the domain at our place in our node.
		 */
		n = 0;
		for (i = 1; i < 64; i++)
			expect[n++] = d / 64 * 64 + (d + i) % 64;
		for (i = 0; i < 64 * 3; i++)
			expect[n++] = (d / 64 + 1 + i % 3) % 4 * 64 + (d + i / 3) % 64;
		assert_steal(t, d, 63, expect, n);
		assert_int_equal(t->domains[d].nr_scan, 16);
		assert_int_equal(t->domains[d].nr_scan_same_node, 13);
	}
	assert_int_equal(t->domains[200].steal_order[0], 201);
	assert_int_equal(t->domains[200].steal_order[54], 255);
	assert_int_equal(t->domains[200].steal_order[55], 192);
	assert_int_equal(t->domains[200].steal_order[63], 8);
	assert_int_equal(t->domains[200].steal_order[64], 72);
	assert_int_equal(t->domains[200].steal_order[65], 136);
	assert_int_equal(t->domains[200].steal_order[66], 9);
	/* Its scan: 201..213, then 8, 72, 136. */
	assert_int_equal(slo_domain_scan_pos(&t->domains[200], 12), 12);
	assert_int_equal(slo_domain_scan_pos(&t->domains[200], 13), 63);
	assert_int_equal(slo_domain_scan_pos(&t->domains[200], 15), 65);
	assert_int_equal(t->steal_scan_max, 16);
	assert_mask(t->cpus[1023].smt_siblings, "1022-1023");
	slo_topology_free(t);
}

/* No L3: shared-L2 domains; else package, or machine, domains. */
static void test_no_l3(void **state)
{
	struct slo_topology *t = load_synthetic("pack:2 [numa] l2:2 core:2 pu:1");

	check_invariants(t);
	assert_int_equal(t->nr_domains, 4);
	assert_domain(t, 0, "0-1", SLO_LLC_L2, 0, 0);
	assert_domain(t, 1, "2-3", SLO_LLC_L2, 0, 0);
	assert_domain(t, 2, "4-5", SLO_LLC_L2, 1, 1);
	assert_domain(t, 3, "6-7", SLO_LLC_L2, 1, 1);
	STEAL(t, 0, 1, 1, 2, 3);
	STEAL(t, 3, 1, 2, 1, 0);
	slo_topology_free(t);

	t = load_synthetic("pack:2 [numa] core:2 pu:2");
	check_invariants(t);
	assert_int_equal(t->nr_domains, 2);
	assert_domain(t, 0, "0-3", SLO_LLC_PACKAGE, 0, 0);
	assert_domain(t, 1, "4-7", SLO_LLC_PACKAGE, 1, 1);
	STEAL(t, 0, 0, 1);
	assert_mask(t->cpus[2].smt_siblings, "2-3");
	slo_topology_free(t);

	/* An L2 per core (arm64 without a reported system cache) is no LLC. */
	t = load_synthetic("pack:2 [numa] l2:4 core:1 pu:2");
	check_invariants(t);
	assert_int_equal(t->nr_domains, 2);
	assert_domain(t, 0, "0-7", SLO_LLC_PACKAGE, 0, 0);
	assert_domain(t, 1, "8-15", SLO_LLC_PACKAGE, 1, 1);
	assert_mask(t->cpus[9].smt_siblings, "8-9");
	slo_topology_free(t);

	/* No package either: the machine, still split per node. */
	t = load_synthetic("numa:2 core:2 pu:1");
	check_invariants(t);
	assert_int_equal(t->nr_packages, 1);
	assert_int_equal(t->nr_domains, 2);
	assert_domain(t, 0, "0-1", SLO_LLC_MACHINE, 0, 0);
	assert_domain(t, 1, "2-3", SLO_LLC_MACHINE, 1, 0);
	STEAL(t, 0, 0, 1);
	slo_topology_free(t);
}

/*
 * offline.xml: 8 possible CPUs; 3, 6 and 7 offline (no PU, so the L3 of 6-7
 * is gone too); 5 outside the loader's cpuset, which must not matter.
 */
static void test_offline_cpus(void **state)
{
	struct slo_topology *t = load_fixture("offline.xml");

	check_invariants(t);
	assert_int_equal(t->source, SLO_TOPOLOGY_XML);
	assert_int_equal(t->nr_cpu_ids, 8);
	assert_mask(t->possible_cpus, "0-7");
	assert_mask(t->online_cpus, "0-2,4-5");
	assert_int_equal(t->nr_possible_cpus, 8);
	assert_int_equal(t->nr_online_cpus, 5);
	assert_mask(t->packages[0].cpus, "0-2");
	assert_mask(t->nodes[1].cpus, "4-5");

	assert_int_equal(t->nr_domains, 3);
	assert_domain(t, 0, "0-1", SLO_LLC_L3, 0, 0);
	assert_domain(t, 1, "2", SLO_LLC_L3, 0, 0);
	assert_domain(t, 2, "4-5", SLO_LLC_L3, 1, 1);
	STEAL(t, 0, 1, 1, 2);
	STEAL(t, 1, 1, 0, 2);
	STEAL(t, 2, 0, 0, 1);

	assert_false(t->cpus[3].online);
	assert_int_equal(t->cpus[3].domain, -1);
	assert_int_equal(t->cpus[3].node, -1);
	assert_int_equal(t->cpus[3].package, -1);
	assert_int_equal(t->cpus[3].core, -1);
	assert_false(t->cpus[7].online);
	assert_true(t->cpus[5].online);
	assert_int_equal(t->cpus[5].domain, 2);
	slo_topology_free(t);
}

/* Holes in CPU numbering: CPUs 2-7 do not exist at all. */
static void test_cpu_number_holes(void **state)
{
	struct slo_topology *t = load_synthetic("pack:2 [numa] l3:1 core:2 pu:1(indexes=0,1,8,9)");

	check_invariants(t);
	assert_int_equal(t->nr_cpu_ids, 10);
	assert_mask(t->possible_cpus, "0-1,8-9");
	assert_mask(t->online_cpus, "0-1,8-9");
	assert_int_equal(t->nr_possible_cpus, 4);
	assert_false(t->cpus[4].online);
	assert_int_equal(t->cpus[4].domain, -1);
	assert_int_equal(t->nr_domains, 2);
	assert_domain(t, 0, "0-1", SLO_LLC_L3, 0, 0);
	assert_domain(t, 1, "8-9", SLO_LLC_L3, 1, 1);
	slo_topology_free(t);
}

/* One L3 over two nodes (VMs report this): one domain per node. */
static void test_llc_spans_nodes(void **state)
{
	struct slo_topology *t = load_synthetic("pack:1 l3:1 numa:2 core:2 pu:1");

	check_invariants(t);
	assert_int_equal(t->nr_nodes, 2);
	assert_int_equal(t->nr_packages, 1);
	assert_int_equal(t->nr_domains, 2);
	assert_domain(t, 0, "0-1", SLO_LLC_L3, 0, 0);
	assert_domain(t, 1, "2-3", SLO_LLC_L3, 1, 0);
	STEAL(t, 0, 0, 1);
	STEAL(t, 1, 0, 0);
	slo_topology_free(t);

	/* Two L3s each spanning two of four nodes. */
	t = load_synthetic("pack:2 l3:1 numa:2 core:2 pu:2");
	check_invariants(t);
	assert_int_equal(t->nr_domains, 4);
	assert_domain(t, 0, "0-3", SLO_LLC_L3, 0, 0);
	assert_domain(t, 1, "4-7", SLO_LLC_L3, 1, 0);
	assert_domain(t, 2, "8-11", SLO_LLC_L3, 2, 1);
	assert_domain(t, 3, "12-15", SLO_LLC_L3, 3, 1);
	/* Equal default distances: the same package comes first. */
	STEAL(t, 0, 0, 1, 2, 3);
	STEAL(t, 2, 0, 3, 0, 1);
	slo_topology_free(t);
}

/*
 * numa-ring.xml: 4 sockets in a ring (neighbours 16, opposite 22), node 3
 * memory-less, node 4 memory-only (CXL) behind socket 0 with the same cpuset
 * as node 0.
 */
static void test_numa_distances(void **state)
{
	struct slo_topology *t = load_fixture("numa-ring.xml");
	char cpus[16];
	int d;

	check_invariants(t);
	assert_int_equal(t->distance_source, SLO_DISTANCE_HWLOC);
	assert_int_equal(t->nr_nodes, 5);
	assert_int_equal(t->nodes[4].os_id, 4);
	assert_int_equal(t->nodes[4].nr_cpus, 0);
	assert_mask(t->nodes[4].cpus, "");
	assert_true(t->nodes[4].memory_bytes == 256ULL << 30);
	assert_int_equal(t->nodes[3].memory_bytes, 0);
	assert_mask(t->nodes[3].cpus, "12-15");
	assert_mask(t->nodes[0].cpus, "0-3");
	assert_int_equal(t->nodes[t->cpus[0].node].os_id, 0);

	assert_int_equal(slo_node_distance(t, 0, 1), 16);
	assert_int_equal(slo_node_distance(t, 0, 2), 22);
	assert_int_equal(slo_node_distance(t, 0, 4), 20);
	assert_int_equal(slo_node_distance(t, 4, 2), 32);
	assert_int_equal(slo_node_distance(t, 3, 3), 10);

	assert_int_equal(t->nr_domains, 8);
	for (d = 0; d < 8; d++) {
		snprintf(cpus, sizeof(cpus), "%d-%d", 2 * d, 2 * d + 1);
		assert_domain(t, d, cpus, SLO_LLC_L3, d / 2, d / 2);
	}
	/*
	 * Both neighbours (16) before the opposite node (22), the neighbours
	 * taken in turn from the one after ours: domain 0 tries nodes 1, 3,
	 * domain 4 (node 2) nodes 3, 1; the second domain of a node starts on
	 * the second domain of each.
	 */
	STEAL(t, 0, 1, 1, 2, 6, 3, 7, 4, 5);
	STEAL(t, 2, 1, 3, 4, 0, 5, 1, 6, 7);
	STEAL(t, 4, 1, 5, 6, 2, 7, 3, 0, 1);
	STEAL(t, 7, 1, 6, 1, 5, 0, 4, 3, 2);
	slo_topology_free(t);
}

/*
 * With equal distances the same package is nearer: domain ids interleave
 * the packages here, so id order alone would get it wrong.
 */
static void test_same_package_tiebreak(void **state)
{
	struct slo_topology *t = load_synthetic("pack:2 numa:2 core:2 pu:1(indexes=0,1,4,5,2,3,6,7)");

	check_invariants(t);
	assert_int_equal(t->nr_domains, 4);
	assert_domain(t, 0, "0-1", SLO_LLC_PACKAGE, 0, 0);
	assert_domain(t, 1, "2-3", SLO_LLC_PACKAGE, 2, 1);
	assert_domain(t, 2, "4-5", SLO_LLC_PACKAGE, 1, 0);
	assert_domain(t, 3, "6-7", SLO_LLC_PACKAGE, 3, 1);
	STEAL(t, 0, 0, 2, 1, 3);
	STEAL(t, 1, 0, 3, 0, 2);
	STEAL(t, 2, 0, 0, 1, 3);
	STEAL(t, 3, 0, 1, 0, 2);
	slo_topology_free(t);
}

/* How evenly the steal orders of a topology pick their victims. */
struct spread {
	int max_first;		/* most thieves with one domain as first entry */
	int max_first_other;	/* ... as first cross-node entry */
	int nr_with_other;	/* thieves with a cross-node entry at all */
};

/*
 * What the rotation is for.  In id order, on 2 sockets x 16 LLCs, all
 * domains of node 0 tried domain 0 or 1 first, and domain 16 was the only
 * cross-node domain any of them scanned.  Here no domain may be the first
 * choice, or the first cross-node choice, of more than twice the mean
 * number of thieves per domain; every domain with another node has one in
 * its scan; and between them the scans reach every domain both from its own
 * node (if it has company there) and from the others.
 */
static struct spread check_spread(const struct slo_topology *t)
{
	int nr = t->nr_domains, d, i, pos, victim;
	int *first = calloc(nr, sizeof(int));
	int *first_other = calloc(nr, sizeof(int));
	char *scanned_same = calloc(nr, 1), *scanned_other = calloc(nr, 1);
	struct spread s = { 0 };

	assert_non_null(first);
	assert_non_null(first_other);
	assert_non_null(scanned_same);
	assert_non_null(scanned_other);
	assert_true(nr > 1);
	for (d = 0; d < nr; d++) {
		const struct slo_domain *dom = &t->domains[d];

		first[dom->steal_order[0]]++;
		if (dom->nr_same_node < nr - 1) {
			s.nr_with_other++;
			first_other[dom->steal_order[dom->nr_same_node]]++;
			assert_true(dom->nr_scan > dom->nr_scan_same_node);
		}
		for (i = 0; i < dom->nr_scan; i++) {
			pos = slo_domain_scan_pos(dom, i);
			victim = dom->steal_order[pos];
			if (pos < dom->nr_same_node)
				scanned_same[victim] = 1;
			else
				scanned_other[victim] = 1;
		}
	}
	for (d = 0; d < nr; d++) {
		if (first[d] > s.max_first)
			s.max_first = first[d];
		if (first_other[d] > s.max_first_other)
			s.max_first_other = first_other[d];
	}
	/* Every domain is a thief with a first entry: the mean is 1. */
	assert_true(s.max_first * nr <= 2 * nr);
	assert_true(s.max_first_other * nr <= 2 * s.nr_with_other);

	for (d = 0; d < nr; d++) {
		const struct slo_domain *dom = &t->domains[d];

		if (s.nr_with_other && !scanned_other[d])
			fail_msg("no dispatch scans domain %d from another node", d);
		if (dom->nr_same_node && !scanned_same[d])
			fail_msg("no dispatch scans domain %d from its own node", d);
	}
	free(first);
	free(first_other);
	free(scanned_same);
	free(scanned_other);
	return s;
}

/*
 * Big machines: 2 sockets x 16 LLCs (the case that went wrong), 8 sockets x
 * 4 LLCs, one node of 32 LLCs (more than a scan), and 2 nodes of 32.  All
 * are symmetric, so every domain is the first choice, and the first
 * cross-node choice, of exactly one thief, and each scan takes one domain
 * of every other node.
 */
static void test_steal_spread(void **state)
{
	static const struct {
		const char *desc;
		int nr_domains, nr_nodes, nr_scan, nr_scan_same_node;
	} shapes[] = {
		{ "package:2 [numa] l3:16 core:8 pu:2", 32, 2, 16, 15 },
		{ "package:8 [numa] l3:4 core:8 pu:2", 32, 8, 10, 3 },
		{ "package:1 [numa] l3:32 core:4 pu:1", 32, 1, 16, 16 },
		{ "package:2 [numa] l3:32 core:1 pu:1", 64, 2, 16, 15 },
	};
	struct slo_topology *t;
	struct spread s;
	size_t i;
	int d;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		t = load_synthetic(shapes[i].desc);
		check_invariants(t);
		assert_int_equal(t->nr_domains, shapes[i].nr_domains);
		assert_int_equal(t->nr_nodes, shapes[i].nr_nodes);
		assert_int_equal(t->steal_scan_max, shapes[i].nr_scan);
		for (d = 0; d < t->nr_domains; d++) {
			const struct slo_domain *dom = &t->domains[d];
			char *node_seen = calloc(t->nr_nodes, 1);
			int j, node;

			assert_non_null(node_seen);
			assert_int_equal(dom->nr_scan, shapes[i].nr_scan);
			assert_int_equal(dom->nr_scan_same_node, shapes[i].nr_scan_same_node);
			for (j = dom->nr_scan_same_node; j < dom->nr_scan; j++) {
				node = t->domains[dom->steal_order[slo_domain_scan_pos(dom, j)]].node;
				assert_int_not_equal(node, dom->node);
				assert_false(node_seen[node]);
				node_seen[node] = 1;
			}
			free(node_seen);
		}
		s = check_spread(t);
		assert_int_equal(s.max_first, 1);
		assert_int_equal(s.nr_with_other, t->nr_nodes > 1 ? t->nr_domains : 0);
		assert_int_equal(s.max_first_other, t->nr_nodes > 1 ? 1 : 0);
		slo_topology_free(t);
	}

	/* 2 x 16: domain 5 tries 6 first and, across, 21; domain 21 tries 5. */
	t = load_synthetic(shapes[0].desc);
	assert_int_equal(t->domains[5].steal_order[0], 6);
	assert_int_equal(t->domains[5].steal_order[14], 4);
	assert_int_equal(t->domains[5].steal_order[15], 21);
	assert_int_equal(t->domains[21].steal_order[15], 5);
	slo_topology_free(t);

	/*
	 * 8 x 4: domain 9 (node 2, second of its node) scans its 3
	 * neighbours, then the second domain of nodes 3, 4, ..., 7, 0, 1;
	 * its order goes on with the third of nodes 3, 4, ...
	 */
	t = load_synthetic(shapes[1].desc);
	STEAL(t, 9, 3, 10, 11, 8, 13, 17, 21, 25, 29, 1, 5, 14, 18, 22, 26, 30, 2, 6,
	      15, 19, 23, 27, 31, 3, 7, 12, 16, 20, 24, 28, 0, 4);
	slo_topology_free(t);

	/* Asymmetric distances and a memory-only node: the bounds still hold. */
	t = load_fixture("numa-ring.xml");
	s = check_spread(t);
	assert_int_equal(s.max_first, 1);
	assert_int_equal(s.max_first_other, 1);
	slo_topology_free(t);
}

static void assert_one_line(const char *err, const char *needle)
{
	assert_true(err[0] != '\0');
	assert_null(strchr(err, '\n'));
	if (!strstr(err, needle))
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

static void test_errors(void **state)
{
	struct slo_topology *t = (struct slo_topology *)&t;	/* must be reset */
	char err[512], empty[] = "/tmp/slo-topo-empty-XXXXXX";
	int fd;

	assert_int_equal(slo_topology_load_xml(&t, "/nonexistent/topo.xml", err, sizeof(err)), -ENOENT);
	assert_null(t);
	assert_one_line(err, "/nonexistent/topo.xml");
	assert_one_line(err, "No such file");

	assert_int_equal(slo_topology_load_xml(&t, fixture(""), err, sizeof(err)), -EISDIR);
	assert_one_line(err, "Is a directory");

	assert_int_equal(slo_topology_load_xml(&t, fixture("truncated.xml"), err, sizeof(err)), -EINVAL);
	assert_null(t);
	assert_one_line(err, "truncated.xml");
	assert_one_line(err, "not a valid hwloc XML topology");

	assert_int_equal(slo_topology_load_xml(&t, fixture("no-cpus.xml"), err, sizeof(err)), -ENODEV);
	assert_one_line(err, "no usable CPUs");

	/* Not /dev/null: some sandboxes make it a regular, shared file. */
	fd = mkstemp(empty);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(slo_topology_load_xml(&t, empty, err, sizeof(err)), -EINVAL);
	assert_one_line(err, "empty");
	unlink(empty);

	assert_int_equal(slo_topology_load_synthetic(&t, "pack:2 foo:3", err, sizeof(err)), -EINVAL);
	assert_null(t);
	assert_one_line(err, "invalid hwloc synthetic topology \"pack:2 foo:3\"");

	assert_int_equal(slo_topology_load_synthetic(&t, "", err, sizeof(err)), -EINVAL);
	assert_one_line(err, "synthetic");

	assert_int_equal(slo_topology_load_synthetic(&t, "pack:0 pu:1", err, sizeof(err)), -EINVAL);

	/* A CPU number no Linux kernel has. */
	assert_int_equal(slo_topology_load_synthetic(&t, "pack:1 core:2 pu:1(indexes=0,70000)",
						     err, sizeof(err)), -EINVAL);
	assert_one_line(err, "70000");

	/* A NULL or zero-sized err buffer is allowed. */
	assert_int_equal(slo_topology_load_synthetic(&t, "bogus", NULL, 0), -EINVAL);
	assert_null(t);
}

static char *print_to_string(const struct slo_topology *t, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(slo_topology_print(f, t, json), 0);
	fclose(f);
	return buf;
}

static const char vm_json[] =
"{\n"
"  \"schema_version\": 1,\n"
"  \"source\": {\"type\": \"synthetic\", \"input\": \"pack:2 [numa] l3:2 core:2 pu:1\"},\n"
"  \"nr_cpu_ids\": 8,\n"
"  \"nr_possible_cpus\": 8,\n"
"  \"nr_online_cpus\": 8,\n"
"  \"possible_cpus\": \"0-7\",\n"
"  \"online_cpus\": \"0-7\",\n"
"  \"nr_cores\": 8,\n"
"  \"distance_source\": \"default\",\n"
"  \"packages\": [\n"
"    {\"id\": 0, \"cpus\": \"0-3\", \"nr_cpus\": 4, \"nodes\": [0], \"domains\": [0, 1]},\n"
"    {\"id\": 1, \"cpus\": \"4-7\", \"nr_cpus\": 4, \"nodes\": [1], \"domains\": [2, 3]}\n"
"  ],\n"
"  \"nodes\": [\n"
"    {\"id\": 0, \"cpus\": \"0-3\", \"nr_cpus\": 4, \"memory_bytes\": 0, \"distances\": [10, 20]},\n"
"    {\"id\": 1, \"cpus\": \"4-7\", \"nr_cpus\": 4, \"memory_bytes\": 0, \"distances\": [20, 10]}\n"
"  ],\n"
"  \"domains\": [\n"
"    {\"id\": 0, \"cache\": \"L3\", \"node\": 0, \"package\": 0, \"cpus\": \"0-1\", \"nr_cpus\": 2, \"steal_order\": [1, 2, 3], \"nr_same_node\": 1, \"nr_scan\": 2, \"nr_scan_same_node\": 1},\n"
"    {\"id\": 1, \"cache\": \"L3\", \"node\": 0, \"package\": 0, \"cpus\": \"2-3\", \"nr_cpus\": 2, \"steal_order\": [0, 3, 2], \"nr_same_node\": 1, \"nr_scan\": 2, \"nr_scan_same_node\": 1},\n"
"    {\"id\": 2, \"cache\": \"L3\", \"node\": 1, \"package\": 1, \"cpus\": \"4-5\", \"nr_cpus\": 2, \"steal_order\": [3, 0, 1], \"nr_same_node\": 1, \"nr_scan\": 2, \"nr_scan_same_node\": 1},\n"
"    {\"id\": 3, \"cache\": \"L3\", \"node\": 1, \"package\": 1, \"cpus\": \"6-7\", \"nr_cpus\": 2, \"steal_order\": [2, 1, 0], \"nr_same_node\": 1, \"nr_scan\": 2, \"nr_scan_same_node\": 1}\n"
"  ],\n"
"  \"cpus\": [\n"
"    {\"cpu\": 0, \"online\": true, \"domain\": 0, \"node\": 0, \"package\": 0, \"core\": 0, \"smt_siblings\": \"0\"},\n"
"    {\"cpu\": 1, \"online\": true, \"domain\": 0, \"node\": 0, \"package\": 0, \"core\": 1, \"smt_siblings\": \"1\"},\n"
"    {\"cpu\": 2, \"online\": true, \"domain\": 1, \"node\": 0, \"package\": 0, \"core\": 2, \"smt_siblings\": \"2\"},\n"
"    {\"cpu\": 3, \"online\": true, \"domain\": 1, \"node\": 0, \"package\": 0, \"core\": 3, \"smt_siblings\": \"3\"},\n"
"    {\"cpu\": 4, \"online\": true, \"domain\": 2, \"node\": 1, \"package\": 1, \"core\": 4, \"smt_siblings\": \"4\"},\n"
"    {\"cpu\": 5, \"online\": true, \"domain\": 2, \"node\": 1, \"package\": 1, \"core\": 5, \"smt_siblings\": \"5\"},\n"
"    {\"cpu\": 6, \"online\": true, \"domain\": 3, \"node\": 1, \"package\": 1, \"core\": 6, \"smt_siblings\": \"6\"},\n"
"    {\"cpu\": 7, \"online\": true, \"domain\": 3, \"node\": 1, \"package\": 1, \"core\": 7, \"smt_siblings\": \"7\"}\n"
"  ]\n"
"}\n";

static const char vm_text[] =
"source: synthetic \"pack:2 [numa] l3:2 core:2 pu:1\"\n"
"cpus: 8 online (0-7), 8 possible (0-7)\n"
"cores: 8, 1 thread per core\n"
"llc domains: 4\n"
"package 0: cpus 0-3\n"
"  node 0: cpus 0-3, no memory reported\n"
"    domain 0: L3, cpus 0-1; steal order 1, 2, 3; scan 1 same-node + 1 other-node\n"
"    domain 1: L3, cpus 2-3; steal order 0, 3, 2; scan 1 same-node + 1 other-node\n"
"package 1: cpus 4-7\n"
"  node 1: cpus 4-7, no memory reported\n"
"    domain 2: L3, cpus 4-5; steal order 3, 0, 1; scan 1 same-node + 1 other-node\n"
"    domain 3: L3, cpus 6-7; steal order 2, 1, 0; scan 1 same-node + 1 other-node\n"
"node distances (default):\n"
"           0     1\n"
"     0    10    20\n"
"     1    20    10\n";

/* The JSON schema is an interface (tests/vm and scripts read it): pin it. */
static void test_print_vm(void **state)
{
	struct slo_topology *t = load_synthetic(SYNTH_VM);
	char *out;

	out = print_to_string(t, true);
	assert_string_equal(out, vm_json);
	free(out);

	out = print_to_string(t, false);
	assert_string_equal(out, vm_text);
	free(out);
	slo_topology_free(t);
}

/* Offline CPUs print as null; a path needing escapes stays valid JSON. */
static void test_print_offline_and_escaping(void **state)
{
	char dir[] = "/tmp/slo-topo-XXXXXX", path[PATH_MAX], cmd[PATH_MAX * 2];
	struct slo_topology *t;
	char err[256], *out;
	FILE *src, *dst;
	size_t n;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/we\"ird\\na\tme\xff.xml", dir);
	src = fopen(fixture("offline.xml"), "r");
	dst = fopen(path, "w");
	assert_non_null(src);
	assert_non_null(dst);
	while ((n = fread(cmd, 1, sizeof(cmd), src)))
		assert_int_equal(fwrite(cmd, 1, n, dst), n);
	fclose(src);
	fclose(dst);

	assert_int_equal(slo_topology_load_xml(&t, path, err, sizeof(err)), 0);
	out = print_to_string(t, true);
	snprintf(cmd, sizeof(cmd),
		 "\"source\": {\"type\": \"xml\", \"input\": \"%s/we\\\"ird\\\\na\\u0009me\\ufffd.xml\"}",
		 dir);
	if (!strstr(out, cmd))
		fail_msg("escaped source not found:\n%s\nin\n%s", cmd, out);
	assert_non_null(strstr(out, "{\"cpu\": 3, \"online\": false, \"domain\": null, \"node\": null, \"package\": null, \"core\": null, \"smt_siblings\": null},\n"));
	assert_non_null(strstr(out, "{\"cpu\": 7, \"online\": false, \"domain\": null, \"node\": null, \"package\": null, \"core\": null, \"smt_siblings\": null}\n  ]\n}\n"));
	assert_non_null(strstr(out, "\"possible_cpus\": \"0-7\",\n  \"online_cpus\": \"0-2,4-5\""));
	free(out);

	out = print_to_string(t, false);
	assert_non_null(strstr(out, "cpus: 5 online (0-2,4-5), 8 possible (0-7)\n"));
	assert_non_null(strstr(out, "    domain 1: L3, cpus 2; steal order 0, 2; scan 1 same-node + 1 other-node\n"));
	free(out);
	slo_topology_free(t);

	unlink(path);
	rmdir(dir);
}

static void test_print_memory_only_node(void **state)
{
	struct slo_topology *t = load_fixture("numa-ring.xml");
	char *out;

	out = print_to_string(t, false);
	assert_non_null(strstr(out, "  node 3: cpus 12-15, no memory reported\n"));
	assert_non_null(strstr(out, "  node 4: no cpus, memory 256.0 GiB\n"));
	assert_non_null(strstr(out, "node distances (hwloc):\n"));
	assert_non_null(strstr(out, "     4    20    26    32    26    10\n"));
	free(out);

	out = print_to_string(t, true);
	assert_non_null(strstr(out, "{\"id\": 4, \"cpus\": \"\", \"nr_cpus\": 0, \"memory_bytes\": 274877906944, \"distances\": [20, 26, 32, 26, 10]}\n"));
	assert_non_null(strstr(out, "{\"id\": 0, \"cpus\": \"0-3\", \"nr_cpus\": 4, \"nodes\": [0], \"domains\": [0, 1]},\n"));
	free(out);
	slo_topology_free(t);
}

static void test_print_write_error(void **state)
{
	struct slo_topology *t = load_synthetic(SYNTH_AMD);
	FILE *full = fopen("/dev/full", "w");

	if (!full) {
		/* /dev/full is Linux-only; the failure path needs it. */
		slo_topology_free(t);
		fail_msg("cannot open /dev/full: %s", strerror(errno));
	}
	assert_int_equal(slo_topology_print(full, t, true), -EIO);
	fclose(full);
	slo_topology_free(t);
}

/* The machine running the tests: whatever it is, the model must hold together. */
static void test_live(void **state)
{
	struct slo_topology *t = NULL;
	char err[256] = "";
	char *out;
	int ret;

	ret = slo_topology_load_live(&t, err, sizeof(err));
	if (ret)
		fail_msg("live: %d %s", ret, err);
	check_invariants(t);
	assert_int_equal(t->source, SLO_TOPOLOGY_LIVE);
	assert_null(t->source_arg);
	/* Disallowed CPUs count: the scheduler runs all online CPUs. */
	assert_int_equal(t->nr_online_cpus, sysconf(_SC_NPROCESSORS_ONLN));

	out = print_to_string(t, true);
	assert_non_null(strstr(out, "\"source\": {\"type\": \"live\", \"input\": null},\n"));
	free(out);
	slo_topology_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpumask),
		cmocka_unit_test(test_one_cpu),
		cmocka_unit_test(test_vm_2x2x2),
		cmocka_unit_test(test_smt2),
		cmocka_unit_test(test_amd_2x8x16),
		cmocka_unit_test(test_256_cpus),
		cmocka_unit_test(test_1024_cpus),
		cmocka_unit_test(test_no_l3),
		cmocka_unit_test(test_offline_cpus),
		cmocka_unit_test(test_cpu_number_holes),
		cmocka_unit_test(test_llc_spans_nodes),
		cmocka_unit_test(test_numa_distances),
		cmocka_unit_test(test_same_package_tiebreak),
		cmocka_unit_test(test_steal_spread),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_print_vm),
		cmocka_unit_test(test_print_offline_and_escaping),
		cmocka_unit_test(test_print_memory_only_node),
		cmocka_unit_test(test_print_write_error),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests_name("topology", tests, NULL, NULL);
}
