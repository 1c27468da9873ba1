/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_BUDGET_RULE_H
#define __SLO_BUDGET_RULE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The one rule for a latency budget, wherever it comes from: the
 * configuration file, `scx_slo slo set` and the pod annotation agent all
 * call this, so a value one of them accepts the others accept too, with
 * the same words when they do not.
 *
 * A budget is a duration with a unit (slo_parse_duration(): "5ms",
 * "250us", "1.5s"), written without leading zeros, within
 * [SLO_BUDGET_MIN_NS, SLO_BUDGET_MAX_NS] (the bounds the BPF side relies
 * on).  @str must be NUL-terminated; a caller holding bytes that may
 * contain a NUL must refuse those itself.
 *
 * Returns 0 with *ns set, or -1 with @why (if non-NULL) holding the reason
 * without the value, e.g. "must be between 50us and 10s", ready for
 * "<what> '<value>': <why>".
 */
int slo_parse_budget(const char *str, uint64_t *ns, char *why, size_t why_len);

/*
 * Quote @len bytes of a user-supplied value for a message: at most
 * SLO_QUOTE_MAX of them, then "...", every byte that is not printable
 * ASCII (and the backslash and the quote) as \xNN, so that nothing a user
 * wrote reaches a terminal or a log as a control sequence.  @buf should
 * hold SLO_QUOTE_BUF bytes.  Returns @buf.
 */
#define SLO_QUOTE_MAX	48
#define SLO_QUOTE_BUF	(4 * SLO_QUOTE_MAX + 8)
const char *slo_quote_value(const void *s, size_t len, char *buf, size_t size);

/*
 * @len bytes that should be a budget (a YAML scalar, an annotation), named
 * @what in the message: 0 with *ns set, or -1 with @msg holding one line,
 * "<what> has no value", "<what> '<quoted>': contains a NUL character" or
 * "<what> '<quoted>': <slo_parse_budget()'s reason>".
 */
int slo_check_budget(const char *what, const void *s, size_t len, uint64_t *ns,
		     char *msg, size_t msglen);

#endif /* __SLO_BUDGET_RULE_H */
