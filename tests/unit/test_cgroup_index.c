// SPDX-License-Identifier: GPL-2.0
/*
 * The budget index (a cgroup's budget by its ancestors, not by every
 * entry) and the bounded cgroup walk, on a directory tree in /tmp.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "budget_index.h"
#include "cgroup.h"

#define DEFAULT_NS	100000000ULL

static struct slo_config cfg_of(const char **paths, size_t n)
{
	struct slo_config cfg = { .default_budget_ns = DEFAULT_NS };
	size_t i;

	cfg.entries = calloc(n ? n : 1, sizeof(*cfg.entries));
	assert_non_null(cfg.entries);
	for (i = 0; i < n; i++) {
		cfg.entries[i].path = strdup(paths[i]);
		cfg.entries[i].budget_ns = (i + 1) * 1000;
	}
	cfg.nr_entries = n;
	return cfg;
}

static void cfg_free(struct slo_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nr_entries; i++)
		free(cfg->entries[i].path);
	free(cfg->entries);
}

static void test_nearest_ancestor(void **state)
{
	const char *paths[] = { "/kubepods/burstable", "/kubepods", "/a/b/c", "/ab", "/a" };
	struct slo_config cfg = cfg_of(paths, 5);
	struct slo_budget_index idx;

	assert_int_equal(slo_budget_index_build(&idx, &cfg), 0);
	/* own entry */
	assert_int_equal(slo_budget_index_lookup(&idx, "/kubepods"), 2000);
	assert_int_equal(slo_budget_index_lookup(&idx, "/kubepods/burstable"), 1000);
	/* nearest ancestor, not the shorter one */
	assert_int_equal(slo_budget_index_lookup(&idx, "/kubepods/burstable/pod1/c1"), 1000);
	assert_int_equal(slo_budget_index_lookup(&idx, "/kubepods/besteffort/pod2"), 2000);
	assert_int_equal(slo_budget_index_lookup(&idx, "/a/b/c/d"), 3000);
	assert_int_equal(slo_budget_index_lookup(&idx, "/a/b"), 5000);
	/* a name that starts like an entry is not below it */
	assert_int_equal(slo_budget_index_lookup(&idx, "/abc"), DEFAULT_NS);
	assert_int_equal(slo_budget_index_lookup(&idx, "/ab/x"), 4000);
	assert_int_equal(slo_budget_index_lookup(&idx, "/kubepods.slice"), DEFAULT_NS);
	/* nothing above: the default */
	assert_int_equal(slo_budget_index_lookup(&idx, "/"), DEFAULT_NS);
	assert_int_equal(slo_budget_index_lookup(&idx, "/system.slice"), DEFAULT_NS);
	assert_int_equal(slo_budget_index_lookup(&idx, "<id 42>"), DEFAULT_NS);
	slo_budget_index_free(&idx);
	cfg_free(&cfg);
}

static void test_root_entry(void **state)
{
	const char *paths[] = { "/", "/x" };
	struct slo_config cfg = cfg_of(paths, 2);
	struct slo_budget_index idx;

	assert_int_equal(slo_budget_index_build(&idx, &cfg), 0);
	assert_int_equal(slo_budget_index_lookup(&idx, "/"), 1000);
	assert_int_equal(slo_budget_index_lookup(&idx, "/y/z"), 1000);
	assert_int_equal(slo_budget_index_lookup(&idx, "/x/z"), 2000);
	/* an unnamed cgroup is still below the root */
	assert_int_equal(slo_budget_index_lookup(&idx, "<id 42>"), 1000);
	slo_budget_index_free(&idx);
	cfg_free(&cfg);
}

static void test_empty_config(void **state)
{
	struct slo_config cfg = { .default_budget_ns = DEFAULT_NS };
	struct slo_budget_index idx;

	assert_int_equal(slo_budget_index_build(&idx, &cfg), 0);
	assert_int_equal(slo_budget_index_lookup(&idx, "/a"), DEFAULT_NS);
	slo_budget_index_free(&idx);
}

/* The old rule, every entry against the path: what the index must agree with. */
static uint64_t by_scan(const struct slo_config *cfg, const char *path)
{
	uint64_t budget = cfg->default_budget_ns;
	size_t i, best = 0;

	for (i = 0; i < cfg->nr_entries; i++) {
		const char *p = cfg->entries[i].path;
		size_t n = strlen(p);

		if ((!strcmp(p, "/") || (!strncmp(path, p, n) && (path[n] == '\0' || path[n] == '/'))) &&
		    n >= best) {
			best = n;
			budget = cfg->entries[i].budget_ns;
		}
	}
	return budget;
}

/*
 * 4096 entries (the limit) and deep long paths: the same answers as the
 * scan, and a lookup costs O(depth) probes, not O(entries) comparisons.
 */
static void test_agrees_and_scales(void **state)
{
	static char names[4096][48];
	const char *paths[4096];
	struct slo_config cfg;
	struct slo_budget_index idx;
	struct timespec t0, t1;
	char path[PATH_MAX];
	size_t i, n;
	double idx_s, scan_s;

	for (i = 0; i < 4096; i++) {
		snprintf(names[i], sizeof(names[i]), "/k/p%zu%s", i % 512,
			 i < 512 ? "" : (i % 2 ? "/c" : "/c/d"));
		if (i >= 512)
			snprintf(names[i], sizeof(names[i]), "/k/p%zu/c%zu", i % 512, i);
		paths[i] = names[i];
	}
	cfg = cfg_of(paths, 4096);
	assert_int_equal(slo_budget_index_build(&idx, &cfg), 0);

	srand(1);
	for (i = 0; i < 20000; i++) {
		n = (size_t)snprintf(path, sizeof(path), "/k/p%d", rand() % 600);
		if (rand() % 2)
			n += (size_t)snprintf(path + n, sizeof(path) - n, "/c%d", rand() % 5000);
		if (rand() % 2)
			snprintf(path + n, sizeof(path) - n, "/x/y");
		assert_int_equal(slo_budget_index_lookup(&idx, path), by_scan(&cfg, path));
	}

	/* a path near PATH_MAX below an entry, 2000 times each way */
	memset(path, 'L', sizeof(path));
	memcpy(path, "/k/p7", 5);
	for (i = 5; i + 256 < sizeof(path); i += 256)
		path[i] = '/';
	path[sizeof(path) - 1] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 2000; i++)
		assert_int_equal(slo_budget_index_lookup(&idx, path), 8000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	idx_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 2000; i++)
		assert_int_equal(by_scan(&cfg, path), 8000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	scan_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("2000 lookups of a %zu-byte path among 4096 entries: index %.4f s, scan %.4f s\n",
		      strlen(path), idx_s, scan_s);
	assert_true(idx_s < scan_s);
	slo_budget_index_free(&idx);
	cfg_free(&cfg);
}

/* ---- the walk ---------------------------------------------------------------- */

static char root[64];

static uint64_t ino_at(int dfd, const char *name)
{
	struct stat st;

	assert_int_equal(fstatat(dfd, name, &st, 0), 0);
	return st.st_ino;
}

static void rm_tree(int dfd)
{
	char cmd[128];

	(void)dfd;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/*
 * 300 flat directories, a chain of 255-byte names that goes past PATH_MAX,
 * and a chain 70 levels deep: the walk visits 100 a step, names what is
 * wanted, never a truncated path, and skips (and counts) the rest.
 */
static void test_walk_bounded(void **state)
{
	static char name255[256];
	struct slo_cgroup_walk w = {};
	struct slo_cgroup_table table = {};
	uint64_t want_flat, want_last_fit, want_past, want_deep_ok, *want;
	int dfd, cfd, steps = 0, ret, i;
	char name[16];
	const char *p;

	snprintf(root, sizeof(root), "/tmp/slo-walk-XXXXXX");
	assert_non_null(mkdtemp(root));
	dfd = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		assert_int_equal(mkdirat(dfd, name, 0755), 0);
	}
	want_flat = ino_at(dfd, "d123");

	/* /long/N.../N: 15 levels fit (5 + 15 * 256 = 3845), the 16th does not */
	memset(name255, 'N', 255);
	assert_int_equal(mkdirat(dfd, "long", 0755), 0);
	cfd = openat(dfd, "long", O_RDONLY | O_DIRECTORY);
	want_last_fit = want_past = 0;
	for (i = 0; i < 17; i++) {
		int next;

		assert_int_equal(mkdirat(cfd, name255, 0755), 0);
		if (i == 14)
			want_last_fit = ino_at(cfd, name255);
		if (i == 15)
			want_past = ino_at(cfd, name255);
		next = openat(cfd, name255, O_RDONLY | O_DIRECTORY);
		assert_true(next >= 0);
		close(cfd);
		cfd = next;
	}
	close(cfd);

	/* /deep/x/x/...: 70 levels; levels past SLO_CGROUP_WALK_MAX_DEPTH are not entered */
	assert_int_equal(mkdirat(dfd, "deep", 0755), 0);
	cfd = openat(dfd, "deep", O_RDONLY | O_DIRECTORY);
	want_deep_ok = 0;
	for (i = 0; i < 70; i++) {
		int next;

		assert_int_equal(mkdirat(cfd, "x", 0755), 0);
		if (i == 10)
			want_deep_ok = ino_at(cfd, "x");
		next = openat(cfd, "x", O_RDONLY | O_DIRECTORY);
		close(cfd);
		cfd = next;
	}
	close(cfd);

	want = calloc(5, sizeof(*want));
	want[0] = want_past;
	want[1] = want_flat;
	want[2] = want_last_fit;
	want[3] = want_deep_ok;
	want[4] = 1;	/* no such directory */
	assert_int_equal(slo_cgroup_walk_begin(&w, root, want, 5), 0);
	while ((ret = slo_cgroup_walk_step(&w, 100, 0)) == 0) {
		assert_true(slo_cgroup_walk_busy(&w));
		assert_true(w.depth <= SLO_CGROUP_WALK_MAX_DEPTH);
		steps++;
	}
	assert_int_equal(ret, 1);
	/* 300 + 1 + 15 + 1 + 63ish directories, 100 a step: several steps */
	assert_true(steps >= 3);
	assert_int_equal(w.too_long, 1);
	assert_int_equal(w.too_deep, 1);
	slo_cgroup_walk_take(&w, &table);
	/* only what was wanted is held */
	assert_int_equal(table.nr, 3);
	assert_string_equal(slo_cgroup_table_path(&table, want_flat), "/d123");
	p = slo_cgroup_table_path(&table, want_last_fit);
	assert_non_null(p);
	assert_int_equal(strlen(p), 5 + 15 * 256);
	assert_int_equal(strncmp(p, "/long/", 6), 0);
	/* past PATH_MAX: no name at all, never a truncated one */
	assert_null(slo_cgroup_table_path(&table, want_past));
	p = slo_cgroup_table_path(&table, want_deep_ok);
	assert_non_null(p);
	assert_int_equal(strlen(p), 5 + 11 * 2);
	assert_null(slo_cgroup_table_path(&table, 1));
	slo_cgroup_walk_end(&w);
	slo_cgroup_table_free(&table);

	/* no budget: one step; every directory named */
	assert_int_equal(slo_cgroup_walk_begin(&w, root, NULL, 0), 0);
	assert_int_equal(slo_cgroup_walk_step(&w, 0, 0), 1);
	slo_cgroup_walk_take(&w, &table);
	assert_string_equal(slo_cgroup_table_path(&table, want_flat), "/d123");
	assert_true(table.nr > 300);
	slo_cgroup_walk_end(&w);
	slo_cgroup_table_free(&table);

	/* out of time (1 ns): stops after the first 16 cgroups, goes on later */
	assert_int_equal(slo_cgroup_walk_begin(&w, root, NULL, 0), 0);
	assert_int_equal(slo_cgroup_walk_step(&w, 0, 1), 0);
	assert_int_equal(w.visited, 1 + 16);
	assert_int_equal(slo_cgroup_walk_step(&w, 0, 0), 1);
	slo_cgroup_walk_end(&w);

	/* abandoned mid-way: nothing leaks (ASan's job), and a new walk works */
	assert_int_equal(slo_cgroup_walk_begin(&w, root, NULL, 0), 0);
	assert_int_equal(slo_cgroup_walk_step(&w, 10, 0), 0);
	slo_cgroup_walk_end(&w);
	assert_false(slo_cgroup_walk_busy(&w));
	rm_tree(dfd);
	close(dfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nearest_ancestor),
		cmocka_unit_test(test_root_entry),
		cmocka_unit_test(test_empty_config),
		cmocka_unit_test(test_agrees_and_scales),
		cmocka_unit_test(test_walk_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
