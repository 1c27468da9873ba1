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

#endif /* __SLO_BUDGET_RULE_H */
