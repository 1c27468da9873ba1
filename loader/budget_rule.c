// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

const char *slo_quote_value(const void *s, size_t len, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *bytes = s;
	size_t i, n = 0;

	for (i = 0; i < len && i < SLO_QUOTE_MAX && n + 5 < size; i++) {
		unsigned char c = bytes[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
			buf[n++] = (char)c;
		} else {
			buf[n++] = '\\';
			buf[n++] = 'x';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 0xf];
		}
	}
	if (i < len && n + 4 <= size) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

int slo_check_budget(const char *what, const void *s, size_t len, uint64_t *ns,
		     char *msg, size_t msglen)
{
	char shown[SLO_QUOTE_BUF], why[128], *copy;
	int ret;

	if (!len) {
		snprintf(msg, msglen, "%s has no value", what);
		return -1;
	}
	slo_quote_value(s, len, shown, sizeof(shown));
	/* strlen() would stop at an embedded NUL ("5ms\0junk" from "\0") */
	if (memchr(s, '\0', len)) {
		snprintf(msg, msglen, "%s '%s': contains a NUL character", what, shown);
		return -1;
	}
	copy = strndup(s, len);
	if (!copy) {
		snprintf(msg, msglen, "%s '%s': out of memory", what, shown);
		return -1;
	}
	ret = slo_parse_budget(copy, ns, why, sizeof(why));
	free(copy);
	if (ret)
		snprintf(msg, msglen, "%s '%s': %s", what, shown, why);
	return ret;
}
