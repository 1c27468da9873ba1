/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_EXIT_REPORT_H
#define __SLO_EXIT_REPORT_H

#include <stddef.h>

#include "scx_slo.h"
#include "termination.h"

/* The kernel's reason for the last detach, for the termination message. */
extern char exit_summary[SLO_TERMINATION_MAX / 2];

const char *exit_kind_name(int kind);

/*
 * Log why the scheduler detached (and after an error, the kernel's debug
 * dump), and keep the summary in exit_summary.
 */
void report_exit(const struct slo_exit_info *ei, const char *dump, size_t dump_len);

#endif /* __SLO_EXIT_REPORT_H */
