// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duration.h"
#include "escape.h"
#include "slo_file.h"

static int by_cgroup(const void *a, const void *b)
{
	return strcmp(((const struct slo_file_entry *)a)->cgroup,
		      ((const struct slo_file_entry *)b)->cgroup);
}

char *slo_file_render(struct slo_file_entry *e, size_t n, size_t *len)
{
	char *buf = NULL, budget[32];
	size_t size = 0;
	FILE *f;
	size_t i;

	f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	qsort(e, n, sizeof(*e), by_cgroup);
	fputs("# Written by scx_slo_agent from the pods' scx-slo.io/latency-budget annotations.\n", f);
	fputs(n ? "slos:\n" : "slos: []\n", f);
	for (i = 0; i < n; i++) {
		char *comment = slo_escape_dup(e[i].comment ? e[i].comment : "");

		slo_format_duration(e[i].budget_ns, budget, sizeof(budget));
		fprintf(f, "  # %s\n  - cgroup: %s\n    budget: %s\n", comment ? comment : "",
			e[i].cgroup, budget);
		free(comment);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}

int slo_file_same(const char *path, const char *buf, size_t len)
{
	char *old = malloc(len + 1);
	int fd, same = 0;
	ssize_t n;
	size_t got = 0;

	if (!old)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		/* one byte more than @len: a longer file differs */
		while (got < len + 1 && (n = read(fd, old + got, len + 1 - got)) > 0)
			got += (size_t)n;
		same = got == len && !memcmp(old, buf, len);
		close(fd);
	}
	free(old);
	return same;
}

int slo_file_write(const char *path, const char *buf, size_t len, char *err, size_t errlen)
{
	char dir[PATH_MAX], base[PATH_MAX], tmp[PATH_MAX + 64];
	const char *d;
	int fd = -1, dfd = -1;
	size_t off = 0;
	ssize_t n;

	if (strlen(path) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	strcpy(dir, path);
	strcpy(base, path);
	d = dirname(dir);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", d, basename(base));
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		goto fail;
	while (off < len) {
		n = write(fd, buf + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) || close(fd)) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path))
		goto fail;
	/* the rename itself must survive a crash too */
	dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}
