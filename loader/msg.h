/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_MSG_H
#define __SLO_MSG_H

#include <stdarg.h>

/* the last line logged: what the termination message says went wrong */
extern char last_msg[1024];

/* One line on stderr, "scx_slo: ...", remembered in last_msg. */
void vmsg(const char *fmt, va_list ap);
__attribute__((format(printf, 1, 2)))
void msg(const char *fmt, ...);

#endif /* __SLO_MSG_H */
