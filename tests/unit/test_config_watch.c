// SPDX-License-Identifier: GPL-2.0
/*
 * Following the configuration file (loader/config_watch.c): the settle rule
 * on its own, then the watcher on real files in a temporary directory, with
 * inotify, for every way the file changes under a running loader: a
 * ConfigMap's ..data swapped twice, the directory replaced, a symlinked
 * directory re-pointed, the file deleted and re-created, written in place
 * slowly (with and without closing it in between), and a bad version held;
 * and with an SLO directory (--slo-dir) beside it: created late, written
 * by rename, a bad file in it, removed.
 * Each change must be seen well before the 10 s periodic check would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "config_watch.h"

/* ---- the settle rule ------------------------------------------------------ */

static struct slo_file_sample smp(uint64_t hash, long mtime_ns)
{
	struct slo_file_sample s = { .dev = 1, .ino = 2, .size = 10, .hash = hash };

	s.mtime.tv_nsec = mtime_ns;
	return s;
}

static void test_settle(void **state)
{
	struct slo_settle st = {};
	struct slo_file_sample a = smp(1, 0), b = smp(2, 5), a2 = smp(1, 7);
	struct slo_file_sample gone = { .err = -ENOENT };

	/* one read alone is never enough */
	assert_int_equal(slo_settle_step(&st, &a, 1000, 200, false, 5000), SLO_SETTLE_WAIT);
	assert_int_equal(slo_settle_step(&st, &a, 1100, 200, false, 5000), SLO_SETTLE_WAIT);
	assert_int_equal(slo_settle_step(&st, &a, 1200, 200, false, 5000), SLO_SETTLE_READY);
	/* a change starts over, from the changed read */
	assert_int_equal(slo_settle_step(&st, &b, 1300, 200, false, 5000), SLO_SETTLE_WAIT);
	assert_int_equal(slo_settle_step(&st, &b, 1450, 200, false, 5000), SLO_SETTLE_WAIT);
	assert_int_equal(slo_settle_step(&st, &b, 1500, 200, false, 5000), SLO_SETTLE_READY);
	/* same bytes written again: the times differ, so it is a change */
	assert_int_equal(slo_settle_step(&st, &a, 1600, 200, false, 5000), SLO_SETTLE_WAIT);
	assert_int_equal(slo_settle_step(&st, &a2, 1900, 200, false, 5000), SLO_SETTLE_WAIT);
	assert_true(slo_file_sample_same_content(&a, &a2));
	assert_false(slo_file_sample_equal(&a, &a2));
	/* a writer holding the file open is waited for, up to its limit */
	assert_int_equal(slo_settle_step(&st, &a2, 2200, 200, true, 5000), SLO_SETTLE_WAIT);
	assert_int_equal(slo_settle_step(&st, &a2, 6800, 200, true, 5000), SLO_SETTLE_WAIT);
	assert_int_equal(slo_settle_step(&st, &a2, 6900, 200, true, 5000), SLO_SETTLE_READY);
	/* a missing file settles too (to be reported), and the error is its content */
	assert_int_equal(slo_settle_step(&st, &gone, 7000, 200, false, 5000), SLO_SETTLE_WAIT);
	assert_int_equal(slo_settle_step(&st, &gone, 7200, 200, false, 5000), SLO_SETTLE_READY);
	assert_false(slo_file_sample_same_content(&gone, &a));
	assert_int_not_equal(slo_content_hash("ab", 2), slo_content_hash("ba", 2));
}

/* ---- the watcher on real files -------------------------------------------- */

static char tmp[] = "/tmp/test_config_watch.XXXXXX";
static char path[PATH_MAX];

/* what the fake loader has in force */
static struct {
	size_t applied;			/* times apply() took a config */
	size_t entries;
	uint64_t first_budget_ns;
	size_t max_entries_seen, min_entries_seen;
	char why[64];			/* the last apply()'s reason */
	uint64_t c1_budget_ns;		/* of /c1, 0 without one */
	enum slo_entry_source c1_source;
} live;

static int fake_apply(void *ctx, struct slo_config *cfg, const char *why, bool force,
		      char *err, size_t errlen)
{
	static struct slo_config in_force;

	if (!force && live.applied && slo_config_equal(cfg, &in_force))
		return 1;
	slo_config_free(&in_force);
	in_force = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	live.applied++;
	snprintf(live.why, sizeof(live.why), "%s", why);
	live.entries = in_force.nr_entries;
	live.first_budget_ns = in_force.nr_entries ? in_force.entries[0].budget_ns : 0;
	live.c1_budget_ns = 0;
	for (size_t i = 0; i < in_force.nr_entries; i++) {
		if (!strcmp(in_force.entries[i].path, "/c1")) {
			live.c1_budget_ns = in_force.entries[i].budget_ns;
			live.c1_source = in_force.entries[i].source;
		}
	}
	if (live.entries < live.min_entries_seen)
		live.min_entries_seen = live.entries;
	print_message("  applied (%s): %zu entries, first %llu ns\n", why, live.entries,
		      (unsigned long long)live.first_budget_ns);
	return 0;
}

static void fake_log(void *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("  log: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static const struct slo_config_watch_ops ops = { .apply = fake_apply, .log = fake_log };

/* a config of @n entries /c1 .. /cN, the first with @ms, the others 50ms */
static void config_text(char *buf, size_t len, int n, int ms)
{
	size_t o = (size_t)snprintf(buf, len, "default_budget: 100ms\nslos:\n");
	int i;

	for (i = 1; i <= n; i++)
		o += (size_t)snprintf(buf + o, len - o, "  - cgroup: /c%d\n    budget: %dms\n",
				      i, i == 1 ? ms : 50);
}

static void write_at(const char *rel, const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void write_config(const char *rel, int n, int ms)
{
	char text[4096];

	config_text(text, sizeof(text), n, ms);
	write_at(rel, text);
}

static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Run the watcher as the loader's loop does, for @ms or until @first_ms has the given budget. */
static bool pump(struct slo_config_watch *w, uint64_t ms, int want_first_ms)
{
	uint64_t end = ms_now() + ms;

	while (ms_now() < end) {
		struct pollfd pfd = { .fd = slo_config_watch_fd(w), .events = POLLIN };
		int t = slo_config_watch_timeout_ms(w);

		poll(&pfd, pfd.fd >= 0 ? 1 : 0, t < 20 ? t : 20);
		slo_config_watch_run(w);
		if (want_first_ms && live.first_budget_ns == (uint64_t)want_first_ms * 1000000)
			return true;
	}
	return false;
}

/* Start the watcher on @rel (relative to the temporary directory). */
static void start(struct slo_config_watch *w, const char *rel)
{
	struct slo_config cfg;
	char err[768];

	memset(&live, 0, sizeof(live));
	live.min_entries_seen = SIZE_MAX;
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	assert_int_equal(slo_config_watch_init(w, path, 100000000, &ops, &cfg, err, sizeof(err)), 0);
	assert_int_equal(fake_apply(NULL, &cfg, "start", true, err, sizeof(err)), 0);
	assert_true(w->status.last_ok);
	assert_int_equal(w->status.ok, 0);
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(tmp));
	return 0;
}

static int teardown(void **state)
{
	sh("rm -rf %s", tmp);
	return 0;
}

static int clean(void **state)
{
	sh("rm -rf %s/* %s/..?* 2>/dev/null; true", tmp, tmp);
	return 0;
}

/* Seen within 2 s: by inotify, not by the 10 s check. */
#define SEEN_MS		2000

static void test_configmap_swaps(void **state)
{
	struct slo_config_watch w;
	int i;

	sh("mkdir -p %s/cm/..v1 && ln -s ..v1 %s/cm/..data && ln -s ..data/slo.yaml %s/cm/slo.yaml",
	   tmp, tmp, tmp);
	write_config("cm/..v1/slo.yaml", 2, 5);
	start(&w, "cm/slo.yaml");
	/* as the kubelet does: a new directory, ..data swapped by a rename, the old one removed */
	for (i = 2; i <= 4; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "cm/..v%d", i);
		sh("mkdir %s/%s", tmp, rel);
		strcat(rel, "/slo.yaml");
		write_config(rel, 2, i);
		sh("cd %s/cm && ln -s ..v%d ..data_tmp && mv -T ..data_tmp ..data && rm -rf ..v%d",
		   tmp, i, i - 1);
		assert_true(pump(&w, SEEN_MS, i));
	}
	/* the watch on ..v1 died with it: the one on ..v4 must be live */
	write_config("cm/..v4/slo.yaml", 2, 5);
	assert_true(pump(&w, SEEN_MS, 5));
	assert_int_equal(w.status.ok, 4);
	assert_int_equal(w.status.failed, 0);
	slo_config_watch_free(&w);
}

static void test_directory_replaced(void **state)
{
	struct slo_config_watch w;

	sh("mkdir -p %s/etc/cfg %s/etc/cfg.new", tmp, tmp);
	write_config("etc/cfg/slo.yaml", 1, 5);
	start(&w, "etc/cfg/slo.yaml");
	write_config("etc/cfg.new/slo.yaml", 1, 6);
	sh("cd %s/etc && mv cfg cfg.old && mv cfg.new cfg", tmp);
	assert_true(pump(&w, SEEN_MS, 6));
	/* the watch must follow the new directory, not the old one */
	write_config("etc/cfg/slo.yaml", 1, 7);
	assert_true(pump(&w, SEEN_MS, 7));
	write_config("etc/cfg.old/slo.yaml", 1, 8);
	assert_false(pump(&w, 600, 8));
	assert_int_equal(w.status.failed, 0);
	slo_config_watch_free(&w);
}

static void test_symlinked_directory(void **state)
{
	struct slo_config_watch w;

	sh("mkdir -p %s/data/a %s/data/b %s/etc && ln -s ../data/a %s/etc/link", tmp, tmp, tmp, tmp);
	write_config("data/a/slo.yaml", 1, 5);
	write_config("data/b/slo.yaml", 1, 9);
	start(&w, "etc/link/slo.yaml");
	write_config("data/a/slo.yaml", 1, 6);
	assert_true(pump(&w, SEEN_MS, 6));
	sh("ln -s ../data/b %s/etc/link.tmp && mv -T %s/etc/link.tmp %s/etc/link", tmp, tmp, tmp);
	assert_true(pump(&w, SEEN_MS, 9));
	write_config("data/b/slo.yaml", 1, 10);
	assert_true(pump(&w, SEEN_MS, 10));
	slo_config_watch_free(&w);
}

static void test_deleted_recreated(void **state)
{
	struct slo_config_watch w;

	sh("mkdir -p %s/d", tmp);
	write_config("d/slo.yaml", 1, 5);
	start(&w, "d/slo.yaml");
	sh("rm %s/d/slo.yaml", tmp);
	assert_false(pump(&w, 300, 6));
	write_config("d/slo.yaml", 1, 6);
	assert_true(pump(&w, SEEN_MS, 6));
	/* gone for 300 ms is not a bad config */
	assert_int_equal(w.status.failed, 0);
	assert_int_equal(w.status.ok, 1);
	slo_config_watch_free(&w);
}

static void test_slow_writes(void **state)
{
	struct slo_config_watch w;
	char text[4096], p[PATH_MAX];
	size_t half;
	int fd;

	sh("mkdir -p %s/s", tmp);
	write_config("s/slo.yaml", 3, 5);
	start(&w, "s/slo.yaml");
	snprintf(p, sizeof(p), "%s/s/slo.yaml", tmp);

	/* held open: the first half (one whole entry, valid YAML) is never applied */
	config_text(text, sizeof(text), 3, 6);
	half = strstr(text, "  - cgroup: /c2") - text;
	fd = open(p, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, half), (ssize_t)half);
	assert_false(pump(&w, 400, 6));
	assert_int_equal(write(fd, text + half, strlen(text) - half), (ssize_t)(strlen(text) - half));
	close(fd);
	assert_true(pump(&w, SEEN_MS, 6));
	assert_int_equal(live.entries, 3);
	assert_int_equal(live.min_entries_seen, 3);

	/* closed in between, cut mid-line ("budget: 5" has no unit): no error once complete */
	config_text(text, sizeof(text), 3, 7);
	half = strstr(text, "ms\n  - cgroup: /c3") - text;
	fd = open(p, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, text, half), (ssize_t)half);
	close(fd);
	assert_false(pump(&w, 400, 7));
	fd = open(p, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, text + half, strlen(text) - half), (ssize_t)(strlen(text) - half));
	close(fd);
	assert_true(pump(&w, SEEN_MS, 7));
	assert_int_equal(live.min_entries_seen, 3);
	assert_int_equal(w.status.failed, 0);
	assert_int_equal(w.status.ok, 2);
	slo_config_watch_free(&w);
}

static void test_bad_version_held(void **state)
{
	struct slo_config_watch w;

	sh("mkdir -p %s/b", tmp);
	write_config("b/slo.yaml", 1, 5);
	start(&w, "b/slo.yaml");
	write_at("b/slo.yaml", "slos:\n  - cgroup: /x\n    budget: 5\n");
	/* reported once it has been unchanged for a second, the SLOs in force stay */
	pump(&w, 600, 0);
	assert_int_equal(w.status.failed, 0);
	pump(&w, 1200, 0);
	assert_int_equal(w.status.failed, 1);
	assert_false(w.status.last_ok);
	assert_int_equal(live.first_budget_ns, 5000000);
	/* back to the content in force: a good reload, nothing applied */
	write_config("b/slo.yaml", 1, 5);
	pump(&w, 800, 0);
	assert_int_equal(w.status.ok, 1);
	assert_true(w.status.last_ok);
	assert_int_equal(live.applied, 1);
	/* SIGHUP applies even unchanged content */
	slo_config_watch_request(&w, "SIGHUP");
	pump(&w, 800, 0);
	assert_int_equal(live.applied, 2);
	assert_int_equal(w.status.ok, 2);
	assert_string_equal(live.why, "SIGHUP");
	/* SIGHUP while a change is already due: the reload is the operator's */
	write_config("b/slo.yaml", 1, 6);
	pump(&w, 50, 0);
	slo_config_watch_request(&w, "SIGHUP");
	assert_true(pump(&w, SEEN_MS, 6));
	assert_string_equal(live.why, "SIGHUP");
	/*
	 * A change seen while the periodic check is settling names the reload
	 * (vm.config waited for 'applied (file changed)' and saw the check's).
	 */
	w.next_recheck_ms = 0;
	slo_config_watch_run(&w);
	assert_true(w.pending);
	assert_string_equal(w.why, "periodic check");
	write_config("b/slo.yaml", 1, 7);
	assert_true(pump(&w, SEEN_MS, 7));
	assert_string_equal(live.why, "file changed");
	slo_config_watch_free(&w);
}

/*
 * A start on the last good copy (README, Failure policy): the file that
 * does not parse is watched all the same, counts as a failed load (once),
 * and is applied once it parses.
 */
static void test_broken_at_start(void **state)
{
	struct slo_config_watch w;

	memset(&live, 0, sizeof(live));
	live.min_entries_seen = SIZE_MAX;
	sh("mkdir -p %s/k", tmp);
	write_at("k/slo.yaml", "slos:\n  - cgroup: /x\n    budget: 5\n");
	snprintf(path, sizeof(path), "%s/k/slo.yaml", tmp);
	assert_int_equal(slo_config_watch_init_broken(&w, path, 100000000, &ops), 0);
	assert_false(w.status.last_ok);
	assert_int_equal(w.status.failed, 1);
	pump(&w, 1500, 0);
	assert_int_equal(live.applied, 0);
	assert_int_equal(w.status.failed, 1);
	write_config("k/slo.yaml", 2, 9);
	assert_true(pump(&w, 3000, 9));
	assert_int_equal(live.applied, 1);
	assert_int_equal(live.entries, 2);
	assert_true(w.status.last_ok);
	slo_config_watch_free(&w);
}

/* Run the watcher until /c1's budget is @ms, for at most @max_ms. */
static bool pump_c1(struct slo_config_watch *w, uint64_t max_ms, int ms)
{
	uint64_t end = ms_now() + max_ms;

	while (ms_now() < end) {
		struct pollfd pfd = { .fd = slo_config_watch_fd(w), .events = POLLIN };
		int t = slo_config_watch_timeout_ms(w);

		poll(&pfd, pfd.fd >= 0 ? 1 : 0, t < 20 ? t : 20);
		slo_config_watch_run(w);
		if (live.c1_budget_ns == (uint64_t)ms * 1000000)
			return true;
	}
	return false;
}

/*
 * --slo-dir beside --config: the directory appears after the start, the
 * agent writes it by rename, a bad file in it holds the set in force, and
 * without it --config's budgets are back.
 */
static void test_slo_dir(void **state)
{
	struct slo_config_watch w;
	struct slo_config cfg;
	char err[768], dir[PATH_MAX];

	memset(&live, 0, sizeof(live));
	live.min_entries_seen = SIZE_MAX;
	sh("mkdir -p %s/d", tmp);
	write_config("d/slo.yaml", 2, 5);
	snprintf(path, sizeof(path), "%s/d/slo.yaml", tmp);
	snprintf(dir, sizeof(dir), "%s/d/slos", tmp);
	assert_int_equal(slo_config_watch_init_sources(&w, path, dir, 100000000, &ops, &cfg,
						       err, sizeof(err)), 0);
	assert_int_equal(fake_apply(NULL, &cfg, "start", true, err, sizeof(err)), 0);
	assert_int_equal(live.c1_budget_ns, 5000000);
	/* the agent's first write: the directory, a temporary file, a rename */
	sh("mkdir %s", dir);
	pump(&w, 300, 0);
	write_at("d/slos/.pods.yaml.tmp", "slos:\n  - cgroup: /c1\n    budget: 9ms\n");
	sh("mv %s/.pods.yaml.tmp %s/pods.yaml", dir, dir);
	assert_true(pump_c1(&w, SEEN_MS, 9));
	assert_int_equal(live.c1_source, SLO_FROM_DIR);
	assert_int_equal(live.entries, 2);
	/* --last-good keeps --config's own budget for /c1 */
	assert_true(w.have_config_part);
	assert_int_equal(w.config_part.entries[0].budget_ns, 5000000);
	/* a second file naming /c1 too: refused whole, the set in force stays */
	write_at("d/slos/other.yaml", "slos:\n  - cgroup: /c1\n    budget: 3ms\n");
	pump(&w, 2000, 0);
	assert_int_equal(w.status.failed, 1);
	assert_false(w.status.last_ok);
	assert_int_equal(live.c1_budget_ns, 9000000);
	sh("rm %s/other.yaml", dir);
	write_at("d/slos/pods.yaml", "slos:\n  - cgroup: /c1\n    budget: 11ms\n");
	assert_true(pump_c1(&w, SEEN_MS, 11));
	assert_true(w.status.last_ok);
	/* the directory gone: --config's budget again */
	sh("rm -r %s", dir);
	assert_true(pump_c1(&w, SEEN_MS, 5));
	assert_int_equal(live.c1_source, SLO_FROM_CONFIG);
	slo_config_watch_free(&w);
}

static void test_missing_at_start(void **state)
{
	struct slo_config_watch w;
	struct slo_config cfg;
	char err[768];

	snprintf(path, sizeof(path), "%s/nope/slo.yaml", tmp);
	assert_int_equal(slo_config_watch_init(&w, path, 1, &ops, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open"));
	assert_null(w.path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settle),
		cmocka_unit_test_teardown(test_configmap_swaps, clean),
		cmocka_unit_test_teardown(test_directory_replaced, clean),
		cmocka_unit_test_teardown(test_symlinked_directory, clean),
		cmocka_unit_test_teardown(test_deleted_recreated, clean),
		cmocka_unit_test_teardown(test_slow_writes, clean),
		cmocka_unit_test_teardown(test_bad_version_held, clean),
		cmocka_unit_test_teardown(test_broken_at_start, clean),
		cmocka_unit_test_teardown(test_slo_dir, clean),
		cmocka_unit_test(test_missing_at_start),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
