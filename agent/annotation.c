// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "annotation.h"
#include "budget_rule.h"

/*
 * Quoted as loader/config.c's show() quotes a value: at most 48 bytes,
 * then "...", every byte that is not printable ASCII (and the backslash
 * and the quote) as \xNN.  tests/unit/test_agent.c holds the two equal.
 */
#define SHOW_MAX	48

static void show(const unsigned char *s, size_t len, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 0;

	for (i = 0; i < len && i < SHOW_MAX && n + 5 < size; i++) {
		unsigned char c = s[i];

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
}

int agent_parse_annotation(const char *val, size_t len, uint64_t *ns, char *msg, size_t msglen)
{
	char shown[4 * SHOW_MAX + 8], why[128];

	if (!len) {
		snprintf(msg, msglen, "budget has no value");
		return -1;
	}
	show((const unsigned char *)val, len, shown, sizeof(shown));
	if (memchr(val, '\0', len)) {
		snprintf(msg, msglen, "budget '%s': contains a NUL character", shown);
		return -1;
	}
	if (slo_parse_budget(val, ns, why, sizeof(why))) {
		snprintf(msg, msglen, "budget '%s': %s", shown, why);
		return -1;
	}
	return 0;
}
