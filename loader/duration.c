// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "duration.h"

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{ "ns", 1ULL },
	{ "us", 1000ULL },
	{ "\xc2\xb5s", 1000ULL },	/* µs in UTF-8 */
	{ "ms", 1000000ULL },
	{ "s", 1000000000ULL },
};

#define FAIL(reason) do { if (why) *why = (reason); return -1; } while (0)

int slo_parse_duration(const char *str, uint64_t *ns, const char **why)
{
	uint64_t whole = 0, frac = 0, frac_scale = 1, unit_ns = 0, total;
	const char *p = str;
	size_t i;

	if (!str || !*str)
		FAIL("empty duration");
	if (*p == '-')
		FAIL("duration is negative");
	if (*p < '0' || *p > '9')
		FAIL("duration must start with a digit");

	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t digit = (uint64_t)(*p - '0');

		if (whole > (UINT64_MAX - digit) / 10)
			FAIL("duration is too large");
		whole = whole * 10 + digit;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			FAIL("missing digits after the decimal point");
		for (; *p >= '0' && *p <= '9'; p++) {
			/* more than 9 fractional digits cannot be whole ns in any unit */
			if (frac_scale >= 1000000000ULL)
				FAIL("too many fractional digits");
			frac = frac * 10 + (uint64_t)(*p - '0');
			frac_scale *= 10;
		}
	}
	if (!*p)
		FAIL("duration needs a unit (ns, us, ms or s)");
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(p, units[i].name)) {
			unit_ns = units[i].ns;
			break;
		}
	}
	if (!unit_ns)
		FAIL("unknown duration unit (use ns, us, ms or s)");

	if (whole > UINT64_MAX / unit_ns)
		FAIL("duration is too large");
	total = whole * unit_ns;
	if (frac) {
		/* frac < frac_scale <= 1e9 and unit_ns <= 1e9: no overflow */
		uint64_t frac_ns = frac * unit_ns;

		if (frac_ns % frac_scale)
			FAIL("duration is not a whole number of nanoseconds");
		frac_ns /= frac_scale;
		if (total > UINT64_MAX - frac_ns)
			FAIL("duration is too large");
		total += frac_ns;
	}
	*ns = total;
	return 0;
}

void slo_format_duration(uint64_t ns, char *buf, size_t len)
{
	if (ns && ns % 1000000000ULL == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ns / 1000000000ULL));
	else if (ns && ns % 1000000ULL == 0)
		snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000ULL));
	else if (ns && ns % 1000ULL == 0)
		snprintf(buf, len, "%lluus", (unsigned long long)(ns / 1000ULL));
	else
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
}
