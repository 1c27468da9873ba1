// SPDX-License-Identifier: GPL-2.0
/*
 * The budget in force for a cgroup (loader/budget_resolve.c), as --stats,
 * /metrics and `scx_slo slo get` show it: from the budget set BPF reads,
 * so a `slo set` shows its budget (not the file's), a `slo del` falls back
 * to the ancestor or the default, and a cgroup only `slo set` names is
 * named through the walk's table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "budget_resolve.h"

#define MS	1000000ULL

static struct slo_config_entry entries[] = {
	{ .path = "/a", .budget_ns = 20 * MS, .source = SLO_FROM_CONFIG },
	{ .path = "/b", .budget_ns = 30 * MS, .source = SLO_FROM_DIR },
	{ .path = "/c", .budget_ns = 5 * MS, .source = SLO_FROM_CONFIG },	/* no cgroup yet */
	{ .path = "/d", .budget_ns = 6 * MS, .source = SLO_FROM_CONFIG },	/* `slo del`eted */
	{ .path = "/e", .budget_ns = 8 * MS, .source = SLO_FROM_DIR },
};
static const struct slo_config cfg = {
	.default_budget_ns = 100 * MS, .entries = entries, .nr_entries = 5,
};
static const uint64_t ids[] = { 10, 11, 0, 14, 15 };

/* what the walk named: the cgroups `slo set` added */
static const char *path_of(void *ctx, uint64_t id)
{
	switch (id) {
	case 12:
		return "/x";
	case 1:
		return "/";
	default:
		return NULL;	/* not named yet */
	}
}

static void expect(const struct slo_resolver *r, const char *path, uint64_t ns,
		   const char *from, const char *source)
{
	struct slo_resolved res = slo_resolver_lookup(r, path);

	print_message("  %s: %llu ns from %s (%s)\n", path, (unsigned long long)res.budget_ns,
		      res.from ? res.from : "-", slo_resolved_source_name(&res));
	assert_int_equal(res.budget_ns, ns);
	if (from)
		assert_string_equal(res.from, from);
	else
		assert_null(res.from);
	assert_string_equal(slo_resolved_source_name(&res), source);
}

static void test_set_overrides_config(void **state)
{
	/* the active set after `slo set /b 7ms`, `slo set /x 3ms`, `slo del /d` */
	const struct slo_set_entry set[] = {
		{ 15, 8 * MS }, { 10, 20 * MS }, { 11, 7 * MS }, { 12, 3 * MS }, { 13, 9 * MS },
	};
	struct slo_resolver r;

	assert_int_equal(slo_resolver_build(&r, &cfg, ids, set, 5, 100 * MS, path_of, NULL), 0);
	expect(&r, "/a", 20 * MS, "/a", "config");
	expect(&r, "/a/pod/container", 20 * MS, "/a", "config");
	expect(&r, "/e", 8 * MS, "/e", "slo-dir");
	/* the file says 30ms, BPF reads 7ms: 7ms is in force */
	expect(&r, "/b", 7 * MS, "/b", "slo-set");
	expect(&r, "/b/child", 7 * MS, "/b", "slo-set");
	/* a cgroup no file names */
	expect(&r, "/x/y", 3 * MS, "/x", "slo-set");
	/* deleted by `slo del`, or without a cgroup: not in force */
	expect(&r, "/d", 100 * MS, NULL, "default");
	expect(&r, "/c", 100 * MS, NULL, "default");
	/* id 13 is not named yet: nothing to match */
	expect(&r, "/zzz", 100 * MS, NULL, "default");
	slo_resolver_free(&r);
}

static void test_root_and_default(void **state)
{
	const struct slo_set_entry set[] = { { 1, 50 * MS } };
	struct slo_resolver r;

	/* `scx_slo slo get` knows no configuration: every entry is named by path_of */
	assert_int_equal(slo_resolver_build(&r, NULL, NULL, set, 1, 40 * MS, path_of, NULL), 0);
	expect(&r, "/", 50 * MS, "/", "slo-set");
	expect(&r, "/a/b", 50 * MS, "/", "slo-set");
	slo_resolver_free(&r);
	/* an empty set: the control map's default */
	assert_int_equal(slo_resolver_build(&r, &cfg, ids, NULL, 0, 40 * MS, path_of, NULL), 0);
	expect(&r, "/a", 40 * MS, NULL, "default");
	slo_resolver_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_overrides_config),
		cmocka_unit_test(test_root_and_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
