/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_AGENT_SLO_FILE_H
#define __SLO_AGENT_SLO_FILE_H

/*
 * The agent's output: an SLO file in the configuration format (a `slos:`
 * list of `cgroup:`/`budget:` entries, `slos: []` when empty), which the
 * loader reads from its --slo-dir.
 */
#include <stddef.h>
#include <stdint.h>

struct slo_file_entry {
	const char *cgroup;	/* relative to the cgroup root, from '/' */
	uint64_t budget_ns;
	const char *comment;	/* "namespace/pod", escaped when written */
};

/*
 * The file's text for @n entries, sorted by cgroup so that the same pods
 * give the same bytes.  malloc'd, NUL-terminated, *@len bytes; NULL when
 * out of memory.  Reorders @e.
 */
char *slo_file_render(struct slo_file_entry *e, size_t n, size_t *len);

/*
 * Replace @path atomically: a temporary file beside it (a name the loader
 * ignores: not *.yaml), written, fsync'd, renamed over @path, then the
 * directory fsync'd.  A reader sees the old file or the new one, whole.
 * 0, or -1 with one line in @err (the temporary file is removed).
 */
int slo_file_write(const char *path, const char *buf, size_t len, char *err, size_t errlen);

/*
 * @path's content equals @buf (the agent writes only on change, also
 * across its own restarts).
 */
int slo_file_same(const char *path, const char *buf, size_t len);

#endif /* __SLO_AGENT_SLO_FILE_H */
