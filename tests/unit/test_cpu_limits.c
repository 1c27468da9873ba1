// SPDX-License-Identifier: GPL-2.0
/*
 * cpu.max / cpu.max.burst parsing (loader/cpu_limits.c) and the cgroupfs
 * sync of slo_cgroup_limits (loader/cpu_limits_sync.c), the latter on a
 * directory tree in /tmp standing in for cgroupfs and a fake map.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cpu_limits.h"
#include "cpu_limits_sync.h"

#define MS	SLO_NSEC_PER_MSEC
#define US	SLO_NSEC_PER_USEC

/* ---- the parser ------------------------------------------------------------ */

static void max_ok(const char *text, bool want_limited, uint64_t quota, uint64_t period)
{
	uint64_t q = 1, p = 1;
	bool limited = !want_limited;
	const char *why = NULL;

	if (slo_parse_cpu_max(text, &limited, &q, &p, &why))
		fail_msg("'%s' rejected: %s", text, why);
	assert_null(why);
	assert_int_equal(limited, want_limited);
	if (want_limited) {
		assert_int_equal(q, quota);
		assert_int_equal(p, period);
	} else {
		/* nothing to say about quota and period */
		assert_int_equal(q, 1);
		assert_int_equal(p, 1);
	}
}

static void max_bad(const char *text, const char *why_part)
{
	uint64_t q = 7, p = 7;
	bool limited = true;
	const char *why = NULL;

	if (!slo_parse_cpu_max(text, &limited, &q, &p, &why))
		fail_msg("'%s' accepted", text);
	assert_non_null(why);
	if (!strstr(why, why_part))
		fail_msg("'%s': reason '%s' lacks '%s'", text, why, why_part);
	/* nothing written on failure */
	assert_true(limited);
	assert_int_equal(q, 7);
	assert_int_equal(p, 7);
}

static void test_cpu_max(void **state)
{
	max_ok("max 100000", false, 0, 0);
	max_ok("max 100000\n", false, 0, 0);
	max_ok("20000 100000", true, 20 * MS, 100 * MS);
	max_ok("20000 100000\n", true, 20 * MS, 100 * MS);
	/* more than one CPU */
	max_ok("150000 100000\n", true, 150 * MS, 100 * MS);
	max_ok("1000 1000000\n", true, 1 * MS, 1000 * MS);
	/* blanks are blanks */
	max_ok("20000\t100000 \n", true, 20 * MS, 100 * MS);
	max_ok("20000   100000", true, 20 * MS, 100 * MS);
	/* the kernel's largest quota */
	max_ok("17592186044415 100000", true, 17592186044415ULL * US, 100 * MS);
	/* below the kernel's 1ms minimum: not ours to refuse */
	max_ok("500 500", true, 500 * US, 500 * US);
}

static void test_cpu_max_rejects(void **state)
{
	/* garbage */
	max_bad("", "empty");
	max_bad("\n", "empty");
	max_bad("garbage", "not a number");
	max_bad("maxx 100000", "not a number");
	max_bad("MAX 100000", "not a number");
	max_bad(" 20000 100000", "not a number");
	max_bad("+20000 100000", "not a number");
	max_bad("20000 abc", "not a number");
	max_bad("20000,100000", "expected 'QUOTA PERIOD'");
	max_bad("0x4e20 100000", "expected 'QUOTA PERIOD'");
	max_bad("2e4 100000", "expected 'QUOTA PERIOD'");
	/* one field */
	max_bad("20000", "no period");
	max_bad("20000\n", "no period");
	max_bad("max", "no period");
	max_bad("max\n", "no period");
	/* negative */
	max_bad("-20000 100000", "negative");
	max_bad("-1 100000", "negative");
	max_bad("20000 -100000", "negative");
	max_bad("max -100000", "negative");
	/* overflow: of a u64, of the kernel's range */
	max_bad("18446744073709551616 100000", "too large");
	max_bad("99999999999999999999999 100000", "too large");
	max_bad("20000 18446744073709551616", "too large");
	max_bad("17592186044416 100000", "above the kernel's maximum");
	max_bad("18446744073709551615 100000", "above the kernel's maximum");
	max_bad("20000 1000001", "longer than 1s");
	max_bad("20000 18446744073709551615", "longer than 1s");
	/* zero */
	max_bad("20000 0", "zero period");
	max_bad("max 0", "zero period");
	max_bad("0 100000", "zero quota");
	/* trailing junk */
	max_bad("20000 100000 x", "unexpected characters");
	max_bad("20000 100000x", "unexpected characters");
	max_bad("20000 100000 100000", "unexpected characters");
	max_bad("20000 100000\n\n", "unexpected characters");
	max_bad("20000 100000\nmax 100000\n", "unexpected characters");
	max_bad("max 100000 junk", "unexpected characters");
	max_bad("20000 100000.5", "unexpected characters");
	max_bad("20000 100000\r\n", "unexpected characters");
}

static void test_cpu_max_burst(void **state)
{
	uint64_t b = 3;
	const char *why = NULL;
	static const char *const bad[] = {
		"", "\n", "x", "-1", "-0", "+5", "5000 1", "5000x", "5000\n\n",
		"18446744073709551616", "17592186044416", "1.5",
	};
	size_t i;

	assert_int_equal(slo_parse_cpu_max_burst("0\n", &b, &why), 0);
	assert_int_equal(b, 0);
	assert_int_equal(slo_parse_cpu_max_burst("5000\n", &b, &why), 0);
	assert_int_equal(b, 5 * MS);
	assert_int_equal(slo_parse_cpu_max_burst("17592186044415", &b, &why), 0);
	assert_int_equal(b, 17592186044415ULL * US);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = 3;
		why = NULL;
		if (!slo_parse_cpu_max_burst(bad[i], &b, &why))
			fail_msg("burst '%s' accepted", bad[i]);
		assert_non_null(why);
		assert_int_equal(b, 3);
	}
}

static void test_cgroup_limit(void **state)
{
	struct slo_cgroup_limit lim, keep = { 1, 2, 3 };
	const char *file = NULL, *why = NULL;
	bool limited = false;

	assert_int_equal(slo_parse_cgroup_limit("20000 100000\n", "5000\n", &lim, &limited,
						&file, &why), 0);
	assert_true(limited);
	assert_int_equal(lim.period_ns, 100 * MS);
	assert_int_equal(lim.quota_ns, 20 * MS);
	assert_int_equal(lim.burst_ns, 5 * MS);

	/* no burst file: no burst */
	assert_int_equal(slo_parse_cgroup_limit("150000 100000\n", NULL, &lim, &limited,
						&file, &why), 0);
	assert_true(limited);
	assert_int_equal(lim.quota_ns, 150 * MS);
	assert_int_equal(lim.burst_ns, 0);

	/* unlimited: no entry, whatever the burst says */
	lim = keep;
	assert_int_equal(slo_parse_cgroup_limit("max 100000\n", "garbage", &lim, &limited,
						&file, &why), 0);
	assert_false(limited);
	assert_memory_equal(&lim, &keep, sizeof(lim));

	/* a bad file is named, nothing is written */
	limited = true;
	assert_int_equal(slo_parse_cgroup_limit("20000 100000\n", "-5", &lim, &limited,
						&file, &why), -1);
	assert_string_equal(file, "cpu.max.burst");
	assert_non_null(strstr(why, "negative"));
	assert_true(limited);
	assert_memory_equal(&lim, &keep, sizeof(lim));
	assert_int_equal(slo_parse_cgroup_limit("20000 0\n", "0\n", &lim, &limited,
						&file, &why), -1);
	assert_string_equal(file, "cpu.max");
	assert_non_null(strstr(why, "zero period"));
	assert_memory_equal(&lim, &keep, sizeof(lim));
}

/* ---- the sync, on a fake cgroupfs ------------------------------------------- */

#define FAKE_MAX	64

static struct fake_map {
	uint64_t id[FAKE_MAX];
	struct slo_cgroup_limit lim[FAKE_MAX];
	size_t n;
	int updates, removes;
	int fail_update;		/* -errno for every update, 0 for none */
	char log[16384];
	int logs;
} fm;

static char root[64];

static int fake_update(void *ctx, uint64_t id, const struct slo_cgroup_limit *lim)
{
	size_t i;

	assert_ptr_equal(ctx, &fm);
	fm.updates++;
	if (fm.fail_update)
		return fm.fail_update;
	for (i = 0; i < fm.n && fm.id[i] != id; i++)
		;
	if (i == fm.n) {
		assert_true(fm.n < FAKE_MAX);
		fm.n++;
	}
	fm.id[i] = id;
	fm.lim[i] = *lim;
	return 0;
}

static int fake_remove(void *ctx, uint64_t id)
{
	size_t i;

	fm.removes++;
	for (i = 0; i < fm.n; i++) {
		if (fm.id[i] == id) {
			fm.id[i] = fm.id[fm.n - 1];
			fm.lim[i] = fm.lim[fm.n - 1];
			fm.n--;
			return 0;
		}
	}
	return -ENOENT;
}

static void fake_log(void *ctx, const char *fmt, ...)
{
	size_t len = strlen(fm.log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fm.log + len, sizeof(fm.log) - len, fmt, ap);
	va_end(ap);
	len = strlen(fm.log);
	if (len + 1 < sizeof(fm.log)) {
		fm.log[len] = '\n';
		fm.log[len + 1] = '\0';
	}
	fm.logs++;
}

static const struct slo_limits_ops fake_ops = {
	.update = fake_update,
	.remove = fake_remove,
	.log = fake_log,
	.ctx = &fm,
};

static void path_of(char *buf, size_t len, const char *rel)
{
	assert_true((size_t)snprintf(buf, len, "%s%s", root, rel) < len);
}

static void mk(const char *rel)
{
	char p[512];

	path_of(p, sizeof(p), rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	path_of(p, sizeof(p), rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void rm(const char *rel)
{
	char p[512];

	path_of(p, sizeof(p), rel);
	assert_int_equal(remove(p), 0);
}

static uint64_t ino(const char *rel)
{
	char p[512];
	struct stat st;

	path_of(p, sizeof(p), rel);
	assert_int_equal(stat(p, &st), 0);
	return st.st_ino;
}

/* The fake map's entry for cgroup @rel, or NULL. */
static const struct slo_cgroup_limit *in_map(const char *rel)
{
	uint64_t id = ino(rel);
	size_t i;

	for (i = 0; i < fm.n; i++)
		if (fm.id[i] == id)
			return &fm.lim[i];
	return NULL;
}

static void map_has(const char *rel, uint64_t period, uint64_t quota, uint64_t burst)
{
	const struct slo_cgroup_limit *l = in_map(rel);

	if (!l)
		fail_msg("%s is not in the map", rel);
	assert_int_equal(l->period_ns, period);
	assert_int_equal(l->quota_ns, quota);
	assert_int_equal(l->burst_ns, burst);
}

static int setup_tree(void **state)
{
	memset(&fm, 0, sizeof(fm));
	snprintf(root, sizeof(root), "/tmp/test_cpu_limits.XXXXXX");
	assert_non_null(mkdtemp(root));
	/* the root cgroup has no cpu.max; one here must be ignored */
	put("/cpu.max", "1000 100000\n");
	mk("/a");
	put("/a/cpu.max", "20000 100000\n");
	put("/a/cpu.max.burst", "5000\n");
	mk("/a/b");
	put("/a/b/cpu.max", "max 100000\n");
	put("/a/b/cpu.max.burst", "0\n");
	mk("/a/b/c");
	put("/a/b/c/cpu.max", "150000 100000\n");	/* no burst file */
	mk("/d");					/* no cpu controller */
	mk("/e");
	put("/e/cpu.max", "garbage\n");
	mk("/f");
	put("/f/cpu.max", "10000 100000\n");
	put("/f/cpu.max.burst", "lots\n");
	return 0;
}

static int teardown_tree(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void test_sync(void **state)
{
	struct slo_limits l;
	int logs;

	slo_limits_init(&l, root, &fake_ops);
	assert_int_equal(slo_limits_sync(&l), 2);
	assert_int_equal(fm.n, 2);
	map_has("/a", 100 * MS, 20 * MS, 5 * MS);
	map_has("/a/b/c", 100 * MS, 150 * MS, 0);
	assert_null(in_map("/a/b"));
	assert_int_equal(slo_limits_nr_active(&l), 2);
	/* one line for each bad cgroup, naming the file */
	assert_int_equal(fm.logs, 2);
	assert_non_null(strstr(fm.log, "cgroup /e: cpu.max: not a number; its CPU limit is not enforced"));
	assert_non_null(strstr(fm.log, "cgroup /f: cpu.max.burst: not a number"));

	/* nothing changed: no writes, no more lines, however often */
	fm.updates = fm.removes = 0;
	assert_int_equal(slo_limits_sync(&l), 0);
	assert_int_equal(slo_limits_recheck(&l), 0);
	assert_int_equal(slo_limits_sync(&l), 0);
	assert_int_equal(fm.updates + fm.removes, 0);
	assert_int_equal(fm.logs, 2);

	/* a limit changed: the quick pass sees it */
	put("/a/cpu.max", "30000 50000\n");
	assert_int_equal(slo_limits_recheck(&l), 1);
	map_has("/a", 50 * MS, 30 * MS, 5 * MS);
	put("/a/cpu.max.burst", "0\n");
	assert_int_equal(slo_limits_recheck(&l), 1);
	map_has("/a", 50 * MS, 30 * MS, 0);

	/* and removed */
	put("/a/cpu.max", "max 50000\n");
	assert_int_equal(slo_limits_recheck(&l), 1);
	assert_null(in_map("/a"));
	assert_int_equal(slo_limits_nr_active(&l), 1);
	assert_int_equal(slo_limits_sync(&l), 0);

	/* a bad cgroup that reads well is picked up by the quick pass */
	put("/e/cpu.max", "50000 100000\n");
	assert_int_equal(slo_limits_recheck(&l), 1);
	map_has("/e", 100 * MS, 50 * MS, 0);
	/* and going bad again keeps its entry, with one more line */
	logs = fm.logs;
	put("/e/cpu.max", "50000 100000 junk\n");
	assert_int_equal(slo_limits_recheck(&l), 0);
	assert_int_equal(slo_limits_sync(&l), 0);
	assert_int_equal(slo_limits_recheck(&l), 0);
	assert_int_equal(fm.logs, logs + 1);
	assert_non_null(strstr(fm.log, "cgroup /e: cpu.max: unexpected characters after the value; its CPU limit is left as it was"));
	map_has("/e", 100 * MS, 50 * MS, 0);

	/* a new limit on an unlimited cgroup: the full pass finds it */
	put("/a/b/cpu.max", "25000 100000\n");
	assert_int_equal(slo_limits_recheck(&l), 0);
	assert_null(in_map("/a/b"));
	assert_int_equal(slo_limits_sync(&l), 1);
	map_has("/a/b", 100 * MS, 25 * MS, 0);

	/* a removed cgroup loses its entry (the full pass, or the quick one) */
	rm("/a/b/c/cpu.max");
	rm("/a/b/c");
	assert_int_equal(slo_limits_sync(&l), 1);
	assert_int_equal(fm.n, 2);		/* /e and /a/b */
	rm("/a/b/cpu.max");
	rm("/a/b/cpu.max.burst");
	/* the cpu controller switched off: no file, no limit */
	assert_int_equal(slo_limits_recheck(&l), 1);
	assert_int_equal(fm.n, 1);

	slo_limits_free(&l);
}

/* A cgroup removed and made again under the same name is another cgroup. */
static void test_same_name(void **state)
{
	struct slo_limits l;
	uint64_t old;

	slo_limits_init(&l, root, &fake_ops);
	assert_int_equal(slo_limits_sync(&l), 2);
	old = ino("/a/b/c");
	/* made before the old one goes, so that its inode number differs */
	mk("/a/b/new");
	put("/a/b/new/cpu.max", "150000 100000\n");
	rm("/a/b/c/cpu.max");
	rm("/a/b/c");
	{
		char from[512], to[512];

		path_of(from, sizeof(from), "/a/b/new");
		path_of(to, sizeof(to), "/a/b/c");
		assert_int_equal(rename(from, to), 0);
	}
	assert_true(ino("/a/b/c") != old);
	/* the quick pass drops the old id; the walk adds the new one */
	assert_int_equal(slo_limits_recheck(&l), 1);
	assert_int_equal(fm.n, 1);
	assert_int_equal(slo_limits_sync(&l), 1);
	map_has("/a/b/c", 100 * MS, 150 * MS, 0);

	/* renamed: the same cgroup, no map write; its new name is used */
	{
		char from[512], to[512];

		path_of(from, sizeof(from), "/a/b/c");
		path_of(to, sizeof(to), "/a/b/renamed");
		assert_int_equal(rename(from, to), 0);
	}
	fm.updates = fm.removes = 0;
	assert_int_equal(slo_limits_sync(&l), 0);
	put("/a/b/renamed/cpu.max", "1000 100000\n");
	assert_int_equal(slo_limits_recheck(&l), 1);
	map_has("/a/b/renamed", 100 * MS, 1 * MS, 0);
	assert_int_equal(fm.removes, 0);
	slo_limits_free(&l);
}

/* A full map, an unreadable hierarchy: said once each, nothing lost. */
static void test_failures(void **state)
{
	struct slo_limits l;
	char gone[128];

	fm.fail_update = -E2BIG;
	slo_limits_init(&l, root, &fake_ops);
	assert_int_equal(slo_limits_sync(&l), 0);
	assert_int_equal(fm.n, 0);
	assert_int_equal(fm.logs, 3);		/* /e, /f, and the full map once */
	assert_non_null(strstr(fm.log, "slo_cgroup_limits is full"));
	/* tried again on every full pass, silently */
	fm.updates = 0;
	assert_int_equal(slo_limits_sync(&l), 0);
	assert_int_equal(fm.updates, 2);
	assert_int_equal(fm.logs, 3);
	fm.fail_update = 0;
	assert_int_equal(slo_limits_sync(&l), 2);
	assert_int_equal(fm.n, 2);
	slo_limits_free(&l);

	/* a mount that cannot be walked: an error, once, and no removal */
	memset(&fm, 0, sizeof(fm));
	snprintf(gone, sizeof(gone), "%s/no-such-dir", root);
	slo_limits_init(&l, gone, &fake_ops);
	assert_int_equal(slo_limits_sync(&l), -ENOENT);
	assert_int_equal(slo_limits_sync(&l), -ENOENT);
	assert_int_equal(fm.logs, 1);
	assert_non_null(strstr(fm.log, "cannot walk"));
	assert_int_equal(slo_limits_recheck(&l), 0);
	slo_limits_free(&l);
}

/*
 * A hierarchy larger than a pass visits: no pass walks more than
 * SLO_CGROUP_WALK_PER_PASS cgroups, the walk goes on where it stopped, and
 * the map changes only once a walk is complete (a cgroup not reached yet
 * is not gone).  Before, one call walked everything, however large.
 */
static void test_sync_bounded(void **state)
{
	size_t i, n = SLO_CGROUP_WALK_PER_PASS + SLO_CGROUP_WALK_PER_PASS / 2;
	struct slo_limits l;
	char rel[64];
	int calls = 0, changed = 0;

	mk("/many");
	for (i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "/many/c%zu", i);
		mk(rel);
	}
	put("/many/c7/cpu.max", "10000 100000\n");
	slo_limits_init(&l, root, &fake_ops);
	/*
	 * The 50 ms bound cuts passes short on a slow or busy machine (ASan,
	 * a VM next door): what matters is that no pass walks everything and
	 * that the walk gets there, not in how many passes.
	 */
	while (!changed && calls < 1000) {
		changed = slo_limits_sync(&l);
		assert_true(changed >= 0);
		assert_true(l.walk.visited <= (size_t)(calls + 1) * SLO_CGROUP_WALK_PER_PASS + 1);
		calls++;
	}
	/* /a, /a/b/c of the tree and /many/c7: in two passes or more (the time bound may cut one short), not one */
	assert_true(calls >= 2);
	assert_int_equal(changed, 3);
	map_has("/many/c7", 100 * MS, 10 * MS, 0);
	/* /a's limit removed mid-walk is seen by the recheck the unfinished pass does */
	put("/a/cpu.max", "max 100000\n");
	assert_int_equal(slo_limits_sync(&l), 1);
	assert_null(in_map("/a"));
	slo_limits_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_max),
		cmocka_unit_test(test_cpu_max_rejects),
		cmocka_unit_test(test_cpu_max_burst),
		cmocka_unit_test(test_cgroup_limit),
		cmocka_unit_test_setup_teardown(test_sync, setup_tree, teardown_tree),
		cmocka_unit_test_setup_teardown(test_sync_bounded, setup_tree, teardown_tree),
		cmocka_unit_test_setup_teardown(test_same_name, setup_tree, teardown_tree),
		cmocka_unit_test_setup_teardown(test_failures, setup_tree, teardown_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
