// SPDX-License-Identifier: GPL-2.0
/*
 * The SLO sources (loader/slo_sources.c): reading --config and the files
 * of --slo-dir from a temporary directory, and merging them: the
 * directory's entry wins and says so, a cgroup twice in the directory,
 * default_budget there or any bad file refuses the whole set, a missing
 * directory is no entries, other names are ignored, ConfigMap-style
 * symlinks are followed and symlinks out of the directory are not.
 */
#define _GNU_SOURCE
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

#include "slo_sources.h"

#define MS	1000000ULL

static char tmp[] = "/tmp/test_slo_sources.XXXXXX";
static char cfg_path[PATH_MAX], dir[PATH_MAX];

static char logged[4][1024];
static size_t nr_logged;

static void take_log(void *ctx, const char *line)
{
	if (nr_logged < 4)
		snprintf(logged[nr_logged], sizeof(logged[0]), "%s", line);
	nr_logged++;
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

/* Read and merge; the return of the merge, or the read's -errno. */
static int load(const char *config, const char *slo_dir, struct slo_config *out,
		struct slo_config *part, char *err, size_t errlen)
{
	struct slo_source_set set;
	int ret;

	nr_logged = 0;
	ret = slo_sources_read(config, slo_dir, &set, err, errlen);
	if (ret)
		return ret;
	ret = slo_sources_merge(&set, 100 * MS, out, part, take_log, NULL, err, errlen);
	slo_source_set_free(&set);
	return ret;
}

static const struct slo_config_entry *find(const struct slo_config *cfg, const char *path)
{
	size_t i;

	for (i = 0; i < cfg->nr_entries; i++)
		if (!strcmp(cfg->entries[i].path, path))
			return &cfg->entries[i];
	return NULL;
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(tmp));
	snprintf(cfg_path, sizeof(cfg_path), "%s/slo.yaml", tmp);
	snprintf(dir, sizeof(dir), "%s/slos", tmp);
	return 0;
}

static int teardown(void **state)
{
	sh("rm -rf %s", tmp);
	return 0;
}

static int clean(void **state)
{
	sh("rm -rf %s/* %s/.??* 2>/dev/null; true", tmp, tmp);
	return 0;
}

static void test_dir_overrides_config(void **state)
{
	struct slo_config cfg, part;
	const struct slo_config_entry *e;
	char err[768];

	write_at("slo.yaml", "default_budget: 80ms\nslos:\n"
		 "  - cgroup: /a\n    budget: 20ms\n"
		 "  - cgroup: /b\n    budget: 30ms\n");
	sh("mkdir %s", dir);
	write_at("slos/pods.yaml", "slos:\n  - cgroup: /c\n    budget: 7ms\n"
		 "  - cgroup: /a/\n    budget: 5ms\n");
	assert_int_equal(load(cfg_path, dir, &cfg, &part, err, sizeof(err)), 0);
	assert_int_equal(cfg.nr_entries, 3);
	assert_int_equal(cfg.default_budget_ns, 80 * MS);
	e = find(&cfg, "/a");
	assert_non_null(e);
	assert_int_equal(e->budget_ns, 5 * MS);
	assert_int_equal(e->source, SLO_FROM_DIR);
	assert_int_equal(find(&cfg, "/b")->source, SLO_FROM_CONFIG);
	assert_int_equal(find(&cfg, "/c")->budget_ns, 7 * MS);
	/* one line, naming both files and the cgroup */
	assert_int_equal(nr_logged, 1);
	print_message("  %s\n", logged[0]);
	assert_non_null(strstr(logged[0], "slos/pods.yaml overrides"));
	assert_non_null(strstr(logged[0], cfg_path));
	assert_non_null(strstr(logged[0], "/a 5ms (line 4) instead of 20ms (line 3)"));
	/* --last-good keeps --config's file alone */
	assert_int_equal(part.nr_entries, 2);
	assert_int_equal(find(&part, "/a")->budget_ns, 20 * MS);
	assert_int_equal(part.default_budget_ns, 80 * MS);
	slo_config_free(&cfg);
	slo_config_free(&part);
}

static void test_duplicate_in_dir(void **state)
{
	struct slo_config cfg;
	char err[768];

	sh("mkdir %s", dir);
	write_at("slos/b.yaml", "slos:\n  - cgroup: /x\n    budget: 5ms\n");
	write_at("slos/a.yaml", "slos:\n  - cgroup: /y\n    budget: 6ms\n"
		 "  - cgroup: /x\n    budget: 7ms\n");
	assert_int_equal(load(NULL, dir, &cfg, NULL, err, sizeof(err)), -1);
	print_message("  %s\n", err);
	assert_non_null(strstr(err, "slos/b.yaml:2: cgroup /x is also in"));
	assert_non_null(strstr(err, "slos/a.yaml:4"));
	assert_null(strchr(err, '\n'));
}

static void test_default_budget_in_dir(void **state)
{
	struct slo_config cfg;
	char err[768];

	write_at("slo.yaml", "slos: []\n");
	sh("mkdir %s", dir);
	write_at("slos/pods.yaml", "slos: []\ndefault_budget: 5ms\n");
	assert_int_equal(load(cfg_path, dir, &cfg, NULL, err, sizeof(err)), -1);
	print_message("  %s\n", err);
	assert_non_null(strstr(err, "slos/pods.yaml:2: default_budget is only allowed in --config"));
}

static void test_bad_file_refuses_all(void **state)
{
	struct slo_config cfg;
	char err[768];

	write_at("slo.yaml", "slos:\n  - cgroup: /a\n    budget: 20ms\n");
	sh("mkdir %s", dir);
	write_at("slos/a.yaml", "slos:\n  - cgroup: /b\n    budget: 5ms\n");
	/* the budget rule of the file, in the directory too */
	write_at("slos/b.yaml", "slos:\n  - cgroup: /c\n    budget: 0100ms\n");
	assert_int_equal(load(cfg_path, dir, &cfg, NULL, err, sizeof(err)), -1);
	print_message("  %s\n", err);
	assert_non_null(strstr(err, "slos/b.yaml:3: budget '0100ms': leading zeros"));
	/* and in --config */
	write_at("slos/b.yaml", "slos: []\n");
	write_at("slo.yaml", "slos:\n  - cgroup: /a\n    budget: 20\n");
	assert_int_equal(load(cfg_path, dir, &cfg, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "slo.yaml:3: budget '20'"));
}

static void test_missing_dir(void **state)
{
	struct slo_config cfg;
	char err[768];

	write_at("slo.yaml", "slos:\n  - cgroup: /a\n    budget: 20ms\n");
	assert_int_equal(load(cfg_path, dir, &cfg, NULL, err, sizeof(err)), 0);
	assert_int_equal(cfg.nr_entries, 1);
	assert_int_equal(nr_logged, 0);
	slo_config_free(&cfg);
	/* the directory alone, not there yet: no entries, the default budget */
	assert_int_equal(load(NULL, dir, &cfg, NULL, err, sizeof(err)), 0);
	assert_int_equal(cfg.nr_entries, 0);
	assert_int_equal(cfg.default_budget_ns, 100 * MS);
	assert_false(cfg.has_default_budget);
	slo_config_free(&cfg);
	/* but a file where the directory should be is a problem */
	write_at("slos", "x");
	assert_int_equal(load(NULL, dir, &cfg, NULL, err, sizeof(err)), -ENOTDIR);
	assert_non_null(strstr(err, "slos: cannot open the directory"));
}

static void test_other_names_ignored(void **state)
{
	struct slo_source_set set;
	char err[768];

	sh("mkdir -p %s/sub.yaml && mkfifo %s/fifo.yaml && ln -s nowhere %s/dangling.yaml",
	   dir, dir, dir);
	write_at("slos/notes.txt", "not yaml at all {");
	write_at("slos/.pods.yaml.tmp1234", "half-written {");
	write_at("slos/.hidden.yaml", "half-written {");
	write_at("slos/.yaml", "{");
	write_at("slos/z.yaml", "slos:\n  - cgroup: /z\n    budget: 5ms\n");
	write_at("slos/a.yaml", "slos: []\n");
	assert_int_equal(slo_sources_read(NULL, dir, &set, err, sizeof(err)), 0);
	/* regular *.yaml files only, in name order */
	assert_int_equal(set.nr_files, 2);
	assert_non_null(strstr(set.files[0].name, "/slos/a.yaml"));
	assert_non_null(strstr(set.files[1].name, "/slos/z.yaml"));
	slo_source_set_free(&set);
}

static void test_symlinks(void **state)
{
	struct slo_config cfg;
	char err[768];

	/* as a ConfigMap or projected volume mounts it */
	sh("mkdir -p %s/..2026_12_03_v1 && ln -s ..2026_12_03_v1 %s/..data && "
	   "ln -s ..data/pods.yaml %s/pods.yaml", dir, dir, dir);
	write_at("slos/..2026_12_03_v1/pods.yaml", "slos:\n  - cgroup: /p\n    budget: 3ms\n");
	assert_int_equal(load(NULL, dir, &cfg, NULL, err, sizeof(err)), 0);
	assert_int_equal(cfg.nr_entries, 1);
	assert_int_equal(cfg.entries[0].budget_ns, 3 * MS);
	slo_config_free(&cfg);
	/* a link out of the directory is not read, and refuses the set */
	write_at("secret", "slos:\n  - cgroup: /s\n    budget: 3ms\n");
	sh("ln -s ../secret %s/out.yaml", dir);
	assert_int_equal(load(NULL, dir, &cfg, NULL, err, sizeof(err)), -EPERM);
	print_message("  %s\n", err);
	assert_non_null(strstr(err, "slos/out.yaml: a symlink that leads outside the directory"));
	/* nor through a directory link that leaves it */
	sh("rm %s/out.yaml && mkdir %s/elsewhere && ln -s ../elsewhere %s/..other && "
	   "cp %s/secret %s/elsewhere/x.yaml && ln -s ..other/x.yaml %s/x.yaml",
	   dir, tmp, dir, tmp, tmp, dir);
	assert_int_equal(load(NULL, dir, &cfg, NULL, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "slos/x.yaml: a symlink that leads outside"));
}

static void test_hashes_tell_changes(void **state)
{
	struct slo_source_set a, b;
	char err[768];

	sh("mkdir %s", dir);
	write_at("slos/a.yaml", "slos: []\n");
	assert_int_equal(slo_sources_read(NULL, dir, &a, err, sizeof(err)), 0);
	/* same bytes under another name: another set */
	sh("mv %s/a.yaml %s/b.yaml", dir, dir);
	assert_int_equal(slo_sources_read(NULL, dir, &b, err, sizeof(err)), 0);
	assert_int_not_equal(a.content_hash, b.content_hash);
	slo_source_set_free(&b);
	sh("mv %s/b.yaml %s/a.yaml", dir, dir);
	assert_int_equal(slo_sources_read(NULL, dir, &b, err, sizeof(err)), 0);
	assert_int_equal(a.content_hash, b.content_hash);
	slo_source_set_free(&a);
	slo_source_set_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_dir_overrides_config, clean),
		cmocka_unit_test_teardown(test_duplicate_in_dir, clean),
		cmocka_unit_test_teardown(test_default_budget_in_dir, clean),
		cmocka_unit_test_teardown(test_bad_file_refuses_all, clean),
		cmocka_unit_test_teardown(test_missing_dir, clean),
		cmocka_unit_test_teardown(test_other_names_ignored, clean),
		cmocka_unit_test_teardown(test_symlinks, clean),
		cmocka_unit_test_teardown(test_hashes_tell_changes, clean),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
