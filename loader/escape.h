/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_ESCAPE_H
#define __SLO_ESCAPE_H

#include <stddef.h>

/*
 * Text from outside the loader's control (cgroup names any user with a
 * delegated subtree picks, the scheduler's exit messages) made safe for a
 * terminal, a log line or a metric label: printable ASCII stays, a
 * backslash is doubled, every other byte becomes \xNN (lower-case hex).
 * No ESC sequence, newline or invalid UTF-8 gets through, and the mapping
 * is one-to-one: two different names never escape to the same text.
 */

/* Bytes slo_escape() needs for @n input bytes, NUL included. */
#define SLO_ESCAPED_SIZE(n)	(4 * (n) + 1)

/*
 * Escape @s into @out (@len bytes, NUL-terminated when @len > 0).  Output
 * that does not fit ends at a whole escape, never half of one.  Returns
 * the length the whole escaped text has (as snprintf does).
 */
size_t slo_escape(char *out, size_t len, const char *s);

/* The same for @n bytes at @s, which may hold NULs. */
size_t slo_escape_mem(char *out, size_t len, const char *s, size_t n);

/* slo_escape() into a malloc'd string; NULL when out of memory. */
char *slo_escape_dup(const char *s);

#endif /* __SLO_ESCAPE_H */
