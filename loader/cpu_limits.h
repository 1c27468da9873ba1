/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_CPU_LIMITS_H
#define __SLO_CPU_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

#include "scx_slo.h"

/*
 * Parsing a cgroup's CPU limit as cgroupfs shows it (pure C, no I/O).
 *
 *   cpu.max        "QUOTA PERIOD" in microseconds, or "max PERIOD"
 *   cpu.max.burst  "BURST" in microseconds
 *
 * each optionally followed by a newline, as the kernel prints them.  Fields
 * are separated by blanks; no signs, no other characters.  Upper bounds
 * are the kernel's (a period of at most 1 s, a quota or burst of at most
 * 2^44 - 1 us); a zero period or quota is refused (the kernel allows
 * neither; its 1 ms minimum is not checked, in case it is ever lowered).
 * Values come back in nanoseconds, as BPF takes them.
 */
#define SLO_LIMIT_PERIOD_MAX_US		1000000ULL
#define SLO_LIMIT_RUNTIME_MAX_US	((1ULL << 44) - 1)

/*
 * Parse cpu.max.  0 with *limited false for "max PERIOD" (no limit; the
 * period is checked but not returned), or true with *quota_ns and
 * *period_ns set.  -1 with *why set for anything malformed; nothing is
 * written then.
 */
int slo_parse_cpu_max(const char *text, bool *limited, uint64_t *quota_ns,
		      uint64_t *period_ns, const char **why);

/* Parse cpu.max.burst.  0 with *burst_ns set, or -1 with *why set. */
int slo_parse_cpu_max_burst(const char *text, uint64_t *burst_ns, const char **why);

/*
 * Both files of one cgroup into the value of the slo_cgroup_limits map.
 * @cpu_max_burst may be NULL (no such file, or not read: the burst only
 * matters under a quota).  0 with *limited saying whether @out was filled
 * (an unlimited cgroup has no map entry), or -1 with *why set and *file
 * naming the file at fault ("cpu.max" or "cpu.max.burst").
 */
int slo_parse_cgroup_limit(const char *cpu_max, const char *cpu_max_burst,
			   struct slo_cgroup_limit *out, bool *limited,
			   const char **file, const char **why);

#endif /* __SLO_CPU_LIMITS_H */
