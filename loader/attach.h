/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_ATTACH_H
#define __SLO_ATTACH_H

#include <stdarg.h>
#include <stdbool.h>

#include <bpf/libbpf.h>

#include "cpu_limits_sync.h"

struct scx_slo;
struct slo_topology;

/*
 * cpu.max: read by BPF from ops.cgroup_set_bandwidth (6.17+), else put
 * into slo_cgroup_limits by the loader (see cpu_limits_sync.h): every cgroup
 * once a second, the limited ones every SLO_LIMITS_RECHECK_MS.
 */
#define SLO_LIMITS_RECHECK_MS	250
extern bool bw_from_kernel;

/* The loader's cpu.max callbacks: ctx is the skeleton. */
extern const struct slo_limits_ops limits_ops;

/*
 * Read the topology, open the BPF object, size it for this machine and
 * this kernel's features, load it and fill the topology maps.  EXIT_OK, or
 * an exit code after one line; *topop and *skelp are the caller's to free
 * either way.
 */
int load_scheduler(bool use_peek, struct slo_topology **topop, struct scx_slo **skelp);

/* libbpf's print callback: kept for print_verifier_tail(), echoed with -v. */
int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap);
/* Print the last @lines lines of the verifier log libbpf relayed, if any. */
bool print_verifier_tail(int lines);
void libbpf_log_free(void);

/* Pin the budget maps for `scx_slo slo ...` (a warning if that fails). */
void pin_maps(struct scx_slo *skel);
void unpin_maps(void);

/* The kernel's exit kind, 0 while the scheduler runs. */
int exit_kind(struct scx_slo *skel);

/*
 * One pass over cgroupfs (@full: every cgroup, else the limited ones), then
 * one bw_generation bump if the map changed.
 */
void limits_pass(struct slo_limits *limits, struct scx_slo *skel, bool full);

#endif /* __SLO_ATTACH_H */
