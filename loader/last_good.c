// SPDX-License-Identifier: GPL-2.0
/*
 * The last known-good SLO configuration (see last_good.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "last_good.h"

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->len + (size_t)n + 1) * 2;
		char *grown = realloc(b->p, cap);

		if (!grown) {
			b->oom = true;
			return;
		}
		b->p = grown;
		b->cap = cap;
	}
}

/* Can @s be written as a YAML plain scalar that reads back as itself? */
static bool plain_ok(const char *s)
{
	const char *c;

	for (c = s; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr("_./@+-", *c))
			continue;
		/* "a:b" is plain; "a: b" and "a:" are a mapping */
		if (*c == ':' && c[1] && c[1] != ' ')
			continue;
		return false;
	}
	return *s == '/';
}

char *slo_last_good_render(const struct slo_config *cfg, size_t *len)
{
	struct sbuf b = {};
	size_t i;

	sb_printf(&b, "default_budget: %" PRIu64 "ns\n", cfg->default_budget_ns);
	if (cfg->nr_entries)
		sb_printf(&b, "slos:\n");
	for (i = 0; i < cfg->nr_entries; i++) {
		const char *p = cfg->entries[i].path, *c;

		/* the sequence at the key's indent: lines no longer than the original's */
		if (plain_ok(p)) {
			sb_printf(&b, "- cgroup: %s\n", p);
		} else {
			sb_printf(&b, "- cgroup: \"");
			for (c = p; *c; c++)
				sb_printf(&b, "%s%c", *c == '"' || *c == '\\' ? "\\" : "", *c);
			sb_printf(&b, "\"\n");
		}
		sb_printf(&b, "  budget: %" PRIu64 "ns\n", cfg->entries[i].budget_ns);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

int slo_config_same(const struct slo_config *a, const struct slo_config *b)
{
	size_t i;

	if (a->default_budget_ns != b->default_budget_ns || a->nr_entries != b->nr_entries)
		return 0;
	for (i = 0; i < a->nr_entries; i++) {
		if (strcmp(a->entries[i].path, b->entries[i].path) ||
		    a->entries[i].budget_ns != b->entries[i].budget_ns)
			return 0;
	}
	return 1;
}

/* "DIR" and "NAME" of @path, or -1 */
static int split(const char *path, char *dir, size_t dirlen, const char **name)
{
	const char *slash = strrchr(path, '/');

	*name = slash ? slash + 1 : path;
	if (!**name || !strcmp(*name, ".") || !strcmp(*name, ".."))
		return -1;
	if (!slash)
		snprintf(dir, dirlen, ".");
	else if (slash == path)
		snprintf(dir, dirlen, "/");
	else if ((size_t)(slash - path) < dirlen)
		snprintf(dir, dirlen, "%.*s", (int)(slash - path), path);
	else
		return -1;
	return 0;
}

int slo_last_good_save(const char *path, const struct slo_config *cfg, const char *source,
		       char *err, size_t errlen)
{
	char dir[4096], tmp[300], perr[512];
	struct slo_config back;
	const char *name;
	char *text = NULL;
	size_t len = 0, off = 0;
	int dfd = -1, fd = -1, e = 0;
	FILE *f;

	if (split(path, dir, sizeof(dir), &name) || strlen(name) > 200) {
		snprintf(err, errlen, "%s: not a file path", path);
		return -1;
	}
	text = slo_last_good_render(cfg, &len);
	if (!text) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	/* never a copy that would start the next loader on something else */
	if (slo_config_parse(text, len, path, &back, perr, sizeof(perr))) {
		snprintf(err, errlen, "not saved: the copy does not parse (%s)", perr);
		free(text);
		return -1;
	}
	e = slo_config_same(&back, cfg) ? 0 : -1;
	slo_config_free(&back);
	if (e) {
		snprintf(err, errlen, "%s: not saved: the copy reads back differently", path);
		free(text);
		return -1;
	}

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		e = errno;
		goto fail;
	}
	snprintf(tmp, sizeof(tmp), ".%s.%d", name, (int)getpid());
	unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		e = errno;
		goto fail;
	}
	f = fdopen(fd, "w");
	if (!f) {
		e = errno;
		goto fail;
	}
	fd = -1;
	fprintf(f, "# scx_slo: the last SLO configuration applied from %s.\n"
		   "# Started on when that file does not parse; rewritten by scx_slo.\n", source);
	while (off < len && !ferror(f))
		off += fwrite(text + off, 1, len - off, f);
	if (fflush(f) || ferror(f) || fsync(fileno(f))) {
		e = errno ? errno : EIO;
		fclose(f);
		unlinkat(dfd, tmp, 0);
		goto fail;
	}
	fclose(f);
	if (renameat(dfd, tmp, dfd, name)) {
		e = errno;
		unlinkat(dfd, tmp, 0);
		goto fail;
	}
	close(dfd);
	free(text);
	return 0;
fail:
	snprintf(err, errlen, "cannot save %s: %s", path, strerror(e));
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(text);
	return -1;
}

int slo_last_good_load(const char *path, struct slo_config *cfg, int64_t *saved_at,
		       char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t off = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) || st.st_size > SLO_CONFIG_MAX_BYTES) {
		snprintf(err, errlen, "%s: not a copy scx_slo saved (not a regular file of ours, "
			 "or writable by others, or too large): ignored", path);
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	while (off < (size_t)st.st_size && (n = read(fd, buf + off, (size_t)st.st_size - off)) > 0)
		off += (size_t)n;
	close(fd);
	ret = slo_config_parse(buf, off, path, cfg, err, errlen);
	free(buf);
	if (!ret)
		*saved_at = (int64_t)st.st_mtime;
	return ret;
}
