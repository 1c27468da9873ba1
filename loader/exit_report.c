// SPDX-License-Identifier: GPL-2.0
/* Telling why the scheduler detached: the log lines, the kernel's dump, the summary. */
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "exit_report.h"
#include "msg.h"
#include "policy.h"
#include "termination.h"

const char *exit_kind_name(int kind)
{
	return slo_exit_kind_name(kind);
}

/*
 * After an error exit, the kernel's debug dump (every CPU's state, the
 * tasks queued, and our own ops.dump lines), prefixed so that it reads as
 * one block in a container log: what a bug report needs.
 */
static void print_exit_dump(const char *dump, size_t len)
{
	const char *line = dump, *end = dump + strnlen(dump, len);
	/* the dump quotes task names (comm), which any process sets */
	static char esc[SLO_ESCAPED_SIZE(4096)];

	if (line == end)
		return;
	msg("EXIT: the kernel's debug dump follows");
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		int n = (int)((nl ? nl : end) - line);

		slo_escape_mem(esc, sizeof(esc), line, (size_t)n);
		fprintf(stderr, "scx_slo: dump: %s\n", esc);
		line += n + 1;
	}
}

/* The kernel's reason for the last detach, for the termination message. */
char exit_summary[SLO_TERMINATION_MAX / 2];

void report_exit(const struct slo_exit_info *ei, const char *dump, size_t dump_len)
{
	const char *kind = exit_kind_name(ei->kind);
	/* the kernel's and BPF's text may quote cgroup and task names */
	char reason[SLO_ESCAPED_SIZE(sizeof(ei->reason))];
	char text[SLO_ESCAPED_SIZE(sizeof(ei->msg))];

	slo_escape_mem(reason, sizeof(reason), ei->reason, strnlen(ei->reason, sizeof(ei->reason)));
	slo_escape_mem(text, sizeof(text), ei->msg, strnlen(ei->msg, sizeof(ei->msg)));
	/*
	 * Escaped here too: kubectl prints the termination message to
	 * terminals.  Cut to fit: the kubelet keeps 4 KiB of it anyway.
	 */
	if (snprintf(exit_summary, sizeof(exit_summary), "%s (%d)%s%s%s%s", kind, ei->kind,
		     reason[0] ? ": " : "", reason, text[0] ? ": " : "", text) >=
	    (int)sizeof(exit_summary))
		exit_summary[sizeof(exit_summary) - 1] = '\0';
	if (ei->kind >= SLO_EXIT_KIND_ERROR) {
		msg("EXIT: %s (%d): %s", kind, ei->kind,
		    reason[0] ? reason : "no reason given");
		if (text[0])
			msg("EXIT: %s", text);
		print_exit_dump(dump, dump_len);
	} else {
		msg("detached: %s%s%s%s%s%s", kind,
		    reason[0] ? " (" : "", reason, reason[0] ? ")" : "",
		    text[0] ? ": " : "", text);
	}
}
