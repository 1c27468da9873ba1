// SPDX-License-Identifier: GPL-2.0
/*
 * Reading the SLO sources (--config and --slo-dir) and merging them into
 * one configuration: see slo_sources.h for the rules.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bpf/scx_slo.h"
#include "duration.h"
#include "slo_sources.h"

/* cgroups an override line names before "and N more" */
#define OVERRIDES_SHOWN		3

void slo_source_set_free(struct slo_source_set *set)
{
	size_t i;

	free(set->config.name);
	free(set->config.buf);
	for (i = 0; i < set->nr_files; i++) {
		free(set->files[i].name);
		free(set->files[i].buf);
	}
	free(set->files);
	memset(set, 0, sizeof(*set));
}

/* FNV-1a, continued from @h */
static uint64_t mix(uint64_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static void account(struct slo_source_set *set, const struct slo_source_file *f,
		    const struct stat *st)
{
	/* the name too: a file renamed is another source */
	set->content_hash = mix(set->content_hash, f->name, strlen(f->name) + 1);
	set->content_hash = mix(set->content_hash, &f->len, sizeof(f->len));
	set->content_hash = mix(set->content_hash, f->buf, f->len);
	set->stat_hash = mix(set->stat_hash, &st->st_dev, sizeof(st->st_dev));
	set->stat_hash = mix(set->stat_hash, &st->st_ino, sizeof(st->st_ino));
	set->stat_hash = mix(set->stat_hash, &st->st_size, sizeof(st->st_size));
	set->stat_hash = mix(set->stat_hash, &st->st_mtim, sizeof(st->st_mtim));
	set->stat_hash = mix(set->stat_hash, &st->st_ctim, sizeof(st->st_ctim));
	set->total_len += f->len;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_source_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 5 && !strcmp(name + len - 5, ".yaml");
}

/* The "*.yaml" names of @dfd, sorted: 0, or -errno. */
static int list_names(int dfd, const char *dir, char ***namesp, size_t *nrp,
		      char *err, size_t errlen)
{
	char **names = NULL;
	size_t nr = 0, i;
	struct dirent *de;
	int dup_fd, ret = 0;
	DIR *d;

	dup_fd = dup(dfd);
	if (dup_fd < 0 || !(d = fdopendir(dup_fd))) {
		ret = -errno;
		if (dup_fd >= 0)
			close(dup_fd);
		snprintf(err, errlen, "%s: cannot list: %s", dir, strerror(-ret));
		return ret;
	}
	while ((errno = 0, de = readdir(d))) {
		char **grown;

		if (!is_source_name(de->d_name))
			continue;
		if (nr == SLO_SOURCES_MAX_FILES) {
			snprintf(err, errlen, "%s: more than %d *.yaml files", dir,
				 SLO_SOURCES_MAX_FILES);
			ret = -E2BIG;
			break;
		}
		grown = realloc(names, (nr + 1) * sizeof(*names));
		if (!grown || !(grown[nr] = strdup(de->d_name))) {
			if (grown)
				names = grown;
			snprintf(err, errlen, "%s: out of memory", dir);
			ret = -ENOMEM;
			break;
		}
		names = grown;
		nr++;
	}
	if (!ret && errno) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot list: %s", dir, strerror(-ret));
	}
	closedir(d);
	if (ret) {
		for (i = 0; i < nr; i++)
			free(names[i]);
		free(names);
		return ret;
	}
	if (nr)
		qsort(names, nr, sizeof(*names), cmp_names);
	*namesp = names;
	*nrp = nr;
	return 0;
}

/*
 * Open DIR's entry @name for reading: 0 with *fd, 1 when it is not a
 * source (not a regular file, a dangling link), or -errno with @err set.
 * A symlink must end inside DIR (@real_dir): the file opened is checked to
 * be the one its resolved path names, so a link swapped in between is
 * caught too.
 */
static int open_entry(int dfd, const char *real_dir, const char *shown, const char *name,
		      int *fd, char *err, size_t errlen)
{
	char link_path[PATH_MAX], *target;
	struct stat lst, st, tst;
	size_t dlen = strlen(real_dir);
	int ret;

	if (fstatat(dfd, name, &lst, AT_SYMLINK_NOFOLLOW)) {
		if (errno == ENOENT)	/* gone since the listing */
			return 1;
		ret = -errno;
		snprintf(err, errlen, "%s: cannot stat: %s", shown, strerror(-ret));
		return ret;
	}
	*fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (*fd < 0) {
		if (errno == ENOENT)	/* a dangling link, or gone */
			return 1;
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", shown, strerror(-ret));
		return ret;
	}
	if (fstat(*fd, &st)) {
		ret = -errno;
		close(*fd);
		snprintf(err, errlen, "%s: cannot stat: %s", shown, strerror(-ret));
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		close(*fd);
		return 1;
	}
	if (!S_ISLNK(lst.st_mode))
		return 0;
	if (snprintf(link_path, sizeof(link_path), "%s/%s", real_dir, name) >=
	    (int)sizeof(link_path)) {
		close(*fd);
		snprintf(err, errlen, "%s: path too long", shown);
		return -ENAMETOOLONG;
	}
	target = realpath(link_path, NULL);
	if (!target || strncmp(target, real_dir, dlen) ||
	    (target[dlen] != '/' && dlen != 1) || stat(target, &tst) ||
	    tst.st_dev != st.st_dev || tst.st_ino != st.st_ino) {
		free(target);
		close(*fd);
		snprintf(err, errlen, "%s: a symlink that leads outside the directory: not read",
			 shown);
		return -EPERM;
	}
	free(target);
	return 0;
}

static int read_dir(const char *dir, struct slo_source_set *set, char *err, size_t errlen)
{
	char **names = NULL, *real_dir = NULL;
	size_t nr = 0, i;
	int dfd, ret;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT)	/* not written yet */
			return 0;
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open the directory: %s", dir, strerror(-ret));
		return ret;
	}
	real_dir = realpath(dir, NULL);
	if (!real_dir) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot resolve: %s", dir, strerror(-ret));
		goto out;
	}
	ret = list_names(dfd, dir, &names, &nr, err, errlen);
	if (ret)
		goto out;
	set->files = calloc(nr ? nr : 1, sizeof(*set->files));
	if (!set->files) {
		snprintf(err, errlen, "%s: out of memory", dir);
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nr; i++) {
		struct slo_source_file *f = &set->files[set->nr_files];
		struct stat st;
		char *shown;
		int fd;

		if (asprintf(&shown, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
			     names[i]) < 0) {
			snprintf(err, errlen, "%s: out of memory", dir);
			ret = -ENOMEM;
			goto out;
		}
		ret = open_entry(dfd, real_dir, shown, names[i], &fd, err, errlen);
		if (ret == 1) {
			free(shown);
			ret = 0;
			continue;
		}
		if (ret) {
			free(shown);
			goto out;
		}
		ret = slo_config_read_fd(fd, shown, &f->buf, &f->len, &st, err, errlen);
		if (ret) {
			free(shown);
			goto out;
		}
		f->name = shown;
		set->nr_files++;
		account(set, f, &st);
	}
out:
	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	free(real_dir);
	close(dfd);
	return ret;
}

int slo_sources_read(const char *config_path, const char *dir,
		     struct slo_source_set *set, char *err, size_t errlen)
{
	int ret = 0;

	memset(set, 0, sizeof(*set));
	set->content_hash = set->stat_hash = 0xcbf29ce484222325ULL;
	if (config_path) {
		struct stat st;

		set->config.name = strdup(config_path);
		if (!set->config.name) {
			snprintf(err, errlen, "%s: out of memory", config_path);
			return -ENOMEM;
		}
		ret = slo_config_read(config_path, &set->config.buf, &set->config.len, &st,
				      err, errlen);
		if (!ret) {
			/* read at most 1 MiB + 1: keep what was read, not the buffer's size */
			char *fit = realloc(set->config.buf, set->config.len ? set->config.len : 1);

			if (fit)
				set->config.buf = fit;
			account(set, &set->config, &st);
		}
	}
	if (!ret && dir)
		ret = read_dir(dir, set, err, errlen);
	if (ret)
		slo_source_set_free(set);
	return ret;
}

/* ---- merging --------------------------------------------------------------- */

struct dir_entry {
	const char *path;
	uint64_t budget_ns;
	size_t file;		/* index into the set's files */
	unsigned int line;
};

static int cmp_dir_entries(const void *a, const void *b)
{
	const struct dir_entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_path_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct dir_entry *)elem)->path);
}

/* What one file of DIR overrides, for its log line. */
struct override_note {
	size_t count;
	char text[512];
};

static void note_override(struct override_note *n, const struct slo_config_entry *cfg_e,
			  const struct dir_entry *d)
{
	char mine[32], theirs[32];
	size_t used = strlen(n->text);

	if (n->count++ >= OVERRIDES_SHOWN)
		return;
	slo_format_duration(d->budget_ns, mine, sizeof(mine));
	slo_format_duration(cfg_e->budget_ns, theirs, sizeof(theirs));
	snprintf(n->text + used, sizeof(n->text) - used, "%s%s %s (line %u) instead of %s (line %u)",
		 used ? ", " : "", cfg_e->path, mine, d->line, theirs, cfg_e->line);
}

static int add_entry(struct slo_config *out, const char *path, uint64_t budget_ns,
		     unsigned int line, enum slo_entry_source source)
{
	struct slo_config_entry *e = &out->entries[out->nr_entries];

	e->path = strdup(path);
	if (!e->path)
		return -1;
	e->budget_ns = budget_ns;
	e->line = line;
	e->source = source;
	out->nr_entries++;
	return 0;
}

static void free_parsed(struct slo_config *parsed, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		slo_config_free(&parsed[i]);
	free(parsed);
}

int slo_sources_merge(const struct slo_source_set *set, uint64_t default_budget_ns,
		      struct slo_config *out, struct slo_config *config_part,
		      slo_sources_log_fn log, void *ctx, char *err, size_t errlen)
{
	struct slo_config cfg = { .default_budget_ns = default_budget_ns };
	struct slo_config merged = {};
	struct slo_config *parsed = NULL;
	struct override_note *notes = NULL;
	struct dir_entry *dents = NULL;
	size_t nr_dents = 0, total, i, j;
	int ret = -1;

	if (set->config.name &&
	    slo_config_parse(set->config.buf, set->config.len, set->config.name, &cfg,
			     err, errlen))
		return -1;
	if (!cfg.has_default_budget)
		cfg.default_budget_ns = default_budget_ns;
	parsed = calloc(set->nr_files ? set->nr_files : 1, sizeof(*parsed));
	notes = calloc(set->nr_files ? set->nr_files : 1, sizeof(*notes));
	if (!parsed || !notes) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < set->nr_files; i++) {
		const struct slo_source_file *f = &set->files[i];

		if (slo_config_parse(f->buf, f->len, f->name, &parsed[i], err, errlen))
			goto out;
		if (parsed[i].has_default_budget) {
			snprintf(err, errlen, "%s:%u: default_budget is only allowed in --config's file",
				 f->name, parsed[i].default_budget_line);
			goto out;
		}
		nr_dents += parsed[i].nr_entries;
	}
	if (nr_dents > SLO_MAX_BUDGETS) {
		snprintf(err, errlen, "the SLO directory's files hold %zu entries, more than %d",
			 nr_dents, SLO_MAX_BUDGETS);
		goto out;
	}
	dents = calloc(nr_dents ? nr_dents : 1, sizeof(*dents));
	if (!dents) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	nr_dents = 0;
	for (i = 0; i < set->nr_files; i++) {
		for (j = 0; j < parsed[i].nr_entries; j++) {
			struct dir_entry *d = &dents[nr_dents++];

			d->path = parsed[i].entries[j].path;
			d->budget_ns = parsed[i].entries[j].budget_ns;
			d->line = parsed[i].entries[j].line;
			d->file = i;
		}
	}
	if (nr_dents)
		qsort(dents, nr_dents, sizeof(*dents), cmp_dir_entries);
	for (i = 1; i < nr_dents; i++) {
		const struct dir_entry *a = &dents[i - 1], *b = &dents[i];

		if (strcmp(a->path, b->path))
			continue;
		snprintf(err, errlen, "%s:%u: cgroup %s is also in %s:%u: one file of the SLO "
			 "directory per cgroup", set->files[b->file].name, b->line, b->path,
			 set->files[a->file].name, a->line);
		goto out;
	}

	total = cfg.nr_entries + nr_dents;
	merged.entries = calloc(total ? total : 1, sizeof(*merged.entries));
	if (!merged.entries) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	merged.default_budget_ns = cfg.default_budget_ns;
	merged.has_default_budget = cfg.has_default_budget;
	merged.default_budget_line = cfg.default_budget_line;
	for (i = 0; i < cfg.nr_entries; i++) {
		const struct slo_config_entry *e = &cfg.entries[i];
		const struct dir_entry *d = nr_dents ?
			bsearch(e->path, dents, nr_dents, sizeof(*dents), cmp_path_key) : NULL;

		if (d) {
			note_override(&notes[d->file], e, d);
			continue;
		}
		if (add_entry(&merged, e->path, e->budget_ns, e->line, SLO_FROM_CONFIG))
			goto oom;
	}
	for (i = 0; i < set->nr_files; i++) {
		for (j = 0; j < parsed[i].nr_entries; j++) {
			const struct slo_config_entry *e = &parsed[i].entries[j];

			if (add_entry(&merged, e->path, e->budget_ns, e->line, SLO_FROM_DIR))
				goto oom;
		}
	}
	if (merged.nr_entries > SLO_MAX_BUDGETS) {
		snprintf(err, errlen, "%zu SLO entries in all sources, more than %d",
			 merged.nr_entries, SLO_MAX_BUDGETS);
		goto out;
	}
	for (i = 0; log && i < set->nr_files; i++) {
		char line[768];

		if (!notes[i].count)
			continue;
		snprintf(line, sizeof(line), "%s overrides %s for %zu cgroup(s): %s%s", set->files[i].name,
			 set->config.name, notes[i].count, notes[i].text,
			 notes[i].count > OVERRIDES_SHOWN ? ", ..." : "");
		log(ctx, line);
	}
	*out = merged;
	memset(&merged, 0, sizeof(merged));
	if (config_part) {
		*config_part = cfg;
		memset(&cfg, 0, sizeof(cfg));
	}
	ret = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	slo_config_free(&merged);
	slo_config_free(&cfg);
	free(dents);
	free(notes);
	if (parsed)
		free_parsed(parsed, set->nr_files);
	return ret;
}
