/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_LAST_GOOD_H
#define __SLO_LAST_GOOD_H

/*
 * The last known-good SLO configuration: a copy of the configuration file
 * last applied, kept where a restarted loader finds it (by default in
 * /run/scx_slo, the pod's in-memory emptyDir, which outlives container
 * restarts but not the pod).  A loader that starts on a file that does not
 * parse (a bad ConfigMap) starts on this copy instead of leaving the node
 * on the fair scheduler (README.md "Failure policy").
 *
 * The copy is rendered from the parsed configuration, not copied from the
 * file, so it is exactly what was in force, and it is only saved when it
 * parses back to the same configuration.
 */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define SLO_LAST_GOOD_PATH	"/run/scx_slo/last-good.yaml"

/*
 * @cfg as a configuration file (budgets in ns, the effective default
 * budget always written); malloc'd, NUL-terminated, length in *len.  NULL
 * when out of memory.
 */
char *slo_last_good_render(const struct slo_config *cfg, size_t *len);

/*
 * Save @cfg at @path: rendered, checked to parse back to @cfg, written to
 * a temporary file in the same directory and renamed over @path (0600, no
 * symlink followed).  @source names the file it came from, in a comment.
 * 0, or -1 with one line in @err.
 */
int slo_last_good_save(const char *path, const struct slo_config *cfg, const char *source,
		       char *err, size_t errlen);

/*
 * Parse the copy at @path: only a regular file owned by us and writable by
 * no one else, not a symlink (else it is not ours and is ignored).  Same
 * contract as slo_config_load(); *saved_at gets the copy's mtime.
 */
int slo_last_good_load(const char *path, struct slo_config *cfg, int64_t *saved_at,
		       char *err, size_t errlen);

/* Do two configurations give the same budgets? */
int slo_config_same(const struct slo_config *a, const struct slo_config *b);

#endif /* __SLO_LAST_GOOD_H */
