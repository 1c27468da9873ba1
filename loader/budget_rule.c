// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>

#include "budget_rule.h"
#include "duration.h"
#include "scx_slo.h"

static int refuse(char *why, size_t why_len, const char *reason)
{
	if (why && why_len)
		snprintf(why, why_len, "%s", reason);
	return -1;
}

int slo_parse_budget(const char *str, uint64_t *ns, char *why, size_t why_len)
{
	const char *reason = NULL;
	char lo[32], hi[32], range[96];
	uint64_t value;

	if (!str || !*str)
		return refuse(why, why_len, "has no value");
	/*
	 * "0100ms" parses, but a reader (and YAML 1.1, which reads 0100 as
	 * octal) may take it for something else: one spelling per value.
	 */
	if (str[0] == '0' && str[1] >= '0' && str[1] <= '9')
		return refuse(why, why_len, "leading zeros are not allowed");
	if (slo_parse_duration(str, &value, &reason))
		return refuse(why, why_len, reason);
	if (value < SLO_BUDGET_MIN_NS || value > SLO_BUDGET_MAX_NS) {
		slo_format_duration(SLO_BUDGET_MIN_NS, lo, sizeof(lo));
		slo_format_duration(SLO_BUDGET_MAX_NS, hi, sizeof(hi));
		snprintf(range, sizeof(range), "must be between %s and %s", lo, hi);
		return refuse(why, why_len, range);
	}
	*ns = value;
	return 0;
}
