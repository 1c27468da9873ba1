// SPDX-License-Identifier: GPL-2.0
/* The loader's log lines, and the last one, which the termination message quotes. */
#include <stdarg.h>
#include <stdio.h>

#include "msg.h"

/* the last line logged: what the termination message says went wrong */
char last_msg[1024];

void vmsg(const char *fmt, va_list ap)
{
	va_list copy;

	va_copy(copy, ap);
	vsnprintf(last_msg, sizeof(last_msg), fmt, copy);
	va_end(copy);
	fputs("scx_slo: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}
