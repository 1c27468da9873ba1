/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_DURATION_H
#define __SLO_DURATION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds: what the loader measures intervals on. */
static inline uint64_t slo_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Parse a duration with a mandatory unit: "250us", "5ms", "1.5s", "800ns".
 * Units: ns, us (or µs), ms, s.  No sign, no spaces, no exponent; a fraction
 * must resolve to whole nanoseconds.  Returns 0 and stores nanoseconds in
 * *ns, or -1 with *why (if non-NULL) set to a short reason.
 */
int slo_parse_duration(const char *str, uint64_t *ns, const char **why);

/*
 * Format @ns in the largest unit that represents it exactly ("5ms",
 * "250us", "1500ns"), so that parsing the result gives back @ns.
 */
void slo_format_duration(uint64_t ns, char *buf, size_t len);

#endif /* __SLO_DURATION_H */
