/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_AGENT_ANNOTATION_H
#define __SLO_AGENT_ANNOTATION_H

#include <stddef.h>
#include <stdint.h>

#define SLO_AGENT_ANNOTATION	"scx-slo.io/latency-budget"

/*
 * A pod's latency-budget annotation, by the configuration file's rule
 * (slo_parse_budget()) and in its words: @msg gets exactly what the file
 * parser says after "FILE:LINE: " for the same value as a `budget:`,
 * e.g. "budget '49us': must be between 50us and 10s".  The value is shown
 * escaped and cut as the parser shows it.  @len bytes at @val (may hold a
 * NUL).  0 with *@ns set, or -1.
 */
int agent_parse_annotation(const char *val, size_t len, uint64_t *ns, char *msg, size_t msglen);

#endif /* __SLO_AGENT_ANNOTATION_H */
