/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_CLI_H
#define __SLO_CLI_H

/* Where a running scx_slo pins its budget maps (root-only: 0700 / 0600). */
#define SLO_PIN_DIR		"/sys/fs/bpf/scx_slo"
#define SLO_PIN_BUDGETS_0	SLO_PIN_DIR "/budgets_0"
#define SLO_PIN_BUDGETS_1	SLO_PIN_DIR "/budgets_1"
#define SLO_PIN_CONTROL		SLO_PIN_DIR "/control"

/* Exit status of `scx_slo slo ...` when no scheduler is running. */
#define SLO_EXIT_NOT_RUNNING	8

/* `scx_slo slo list|get|set|del ...`: argv[0] is "slo". */
int slo_cli_main(int argc, char **argv);

#endif /* __SLO_CLI_H */
