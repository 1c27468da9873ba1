// SPDX-License-Identifier: GPL-2.0
#include "annotation.h"
#include "budget_rule.h"

/*
 * The configuration file's check, words and quoting (budget_rule.h), so an
 * annotation is refused exactly as the same value in the file would be;
 * tests/unit/test_agent.c holds the two equal.
 */
int agent_parse_annotation(const char *val, size_t len, uint64_t *ns, char *msg, size_t msglen)
{
	return slo_check_budget("budget", val, len, ns, msg, msglen);
}
