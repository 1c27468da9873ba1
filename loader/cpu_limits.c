// SPDX-License-Identifier: GPL-2.0
/* cpu.max and cpu.max.burst, as cgroupfs prints them (see cpu_limits.h). */
#include <stddef.h>
#include <string.h>

#include "cpu_limits.h"

#define FAIL(reason) do { if (why) *why = (reason); return -1; } while (0)

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * A run of decimal digits at *p, advanced past it.  0, or -1 with *why:
 * none at all (a sign or other character), or more than a u64 holds.
 */
static int parse_u64(const char **p, uint64_t *out, const char **why)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s == '-')
		FAIL("negative value");
	if (*s < '0' || *s > '9')
		FAIL("not a number");
	for (; *s >= '0' && *s <= '9'; s++) {
		uint64_t digit = (uint64_t)(*s - '0');

		if (v > (UINT64_MAX - digit) / 10)
			FAIL("number too large");
		v = v * 10 + digit;
	}
	*p = s;
	*out = v;
	return 0;
}

/* The end of the text: optional blanks, an optional newline, nothing else. */
static int parse_end(const char *p, const char **why)
{
	while (is_blank(*p))
		p++;
	if (*p == '\n')
		p++;
	if (*p)
		FAIL("unexpected characters after the value");
	return 0;
}

int slo_parse_cpu_max(const char *text, bool *limited, uint64_t *quota_ns,
		      uint64_t *period_ns, const char **why)
{
	const char *p = text;
	uint64_t quota = 0, period;
	bool unlimited = false;

	if (!text || !*text || *text == '\n')
		FAIL("empty");
	/* the shape first: "QUOTA PERIOD", then what the numbers are */
	if (!strncmp(p, "max", 3) && (is_blank(p[3]) || !p[3] || p[3] == '\n')) {
		unlimited = true;
		p += 3;
	} else if (parse_u64(&p, &quota, why)) {
		return -1;
	}
	if (!is_blank(*p)) {
		if (!*p || *p == '\n')
			FAIL("expected 'QUOTA PERIOD' (no period)");
		FAIL("expected 'QUOTA PERIOD'");
	}
	while (is_blank(*p))
		p++;
	if (parse_u64(&p, &period, why) || parse_end(p, why))
		return -1;
	if (!unlimited && !quota)
		FAIL("zero quota");
	if (!unlimited && quota > SLO_LIMIT_RUNTIME_MAX_US)
		FAIL("quota above the kernel's maximum");
	if (!period)
		FAIL("zero period");
	if (period > SLO_LIMIT_PERIOD_MAX_US)
		FAIL("period longer than 1s");
	*limited = !unlimited;
	if (!unlimited) {
		*quota_ns = quota * SLO_NSEC_PER_USEC;
		*period_ns = period * SLO_NSEC_PER_USEC;
	}
	return 0;
}

int slo_parse_cpu_max_burst(const char *text, uint64_t *burst_ns, const char **why)
{
	const char *p = text;
	uint64_t burst;

	if (!text || !*text || *text == '\n')
		FAIL("empty");
	if (parse_u64(&p, &burst, why))
		return -1;
	if (burst > SLO_LIMIT_RUNTIME_MAX_US)
		FAIL("burst above the kernel's maximum");
	if (parse_end(p, why))
		return -1;
	*burst_ns = burst * SLO_NSEC_PER_USEC;
	return 0;
}

int slo_parse_cgroup_limit(const char *cpu_max, const char *cpu_max_burst,
			   struct slo_cgroup_limit *out, bool *limited,
			   const char **file, const char **why)
{
	uint64_t quota_ns = 0, period_ns = 0, burst_ns = 0;
	bool lim = false;

	if (slo_parse_cpu_max(cpu_max, &lim, &quota_ns, &period_ns, why)) {
		if (file)
			*file = "cpu.max";
		return -1;
	}
	if (lim && cpu_max_burst &&
	    slo_parse_cpu_max_burst(cpu_max_burst, &burst_ns, why)) {
		if (file)
			*file = "cpu.max.burst";
		return -1;
	}
	*limited = lim;
	if (lim) {
		out->period_ns = period_ns;
		out->quota_ns = quota_ns;
		out->burst_ns = burst_ns;
	}
	return 0;
}
