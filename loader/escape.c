// SPDX-License-Identifier: GPL-2.0
/* Escaping untrusted text for terminals, logs and labels: see escape.h. */
#include <stdlib.h>
#include <string.h>

#include "escape.h"

size_t slo_escape_mem(char *out, size_t len, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char seq[4];
		size_t k;

		if (c == '\\') {
			seq[0] = seq[1] = '\\';
			k = 2;
		} else if (c >= 0x20 && c < 0x7f) {
			seq[0] = (char)c;
			k = 1;
		} else {
			seq[0] = '\\';
			seq[1] = 'x';
			seq[2] = hex[c >> 4];
			seq[3] = hex[c & 0xf];
			k = 4;
		}
		if (len && o + k < len)
			memcpy(out + o, seq, k);
		else if (len && o < len)
			len = o + 1;	/* full: later escapes must not fit either */
		o += k;
	}
	if (len)
		out[o < len ? o : len - 1] = '\0';
	return o;
}

size_t slo_escape(char *out, size_t len, const char *s)
{
	return slo_escape_mem(out, len, s, strlen(s));
}

char *slo_escape_dup(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(SLO_ESCAPED_SIZE(n));

	if (out)
		slo_escape_mem(out, SLO_ESCAPED_SIZE(n), s, n);
	return out;
}
