/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by the scx_slo BPF scheduler and its loader.
 *
 * The BPF side includes this after vmlinux.h, userspace after <linux/types.h>,
 * so only __u64-style types are used.  Every struct here is a map value or a
 * global that userspace reads through the skeleton: changing a layout means
 * changing both sides in the same commit.
 */
#ifndef __SCX_SLO_H
#define __SCX_SLO_H

#ifndef __bpf__
/* The skeleton names BPF globals' types as the BPF side spells them. */
#include <linux/types.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __s32 s32;
typedef __u64 u64;
typedef __s64 s64;
#endif

/* Name shown in /sys/kernel/sched_ext/root/ops. */
#define SCX_SLO_OPS_NAME		"slo"

/* The one deadline-ordered DSQ of the walking skeleton. */
#define SLO_GLOBAL_DSQ			0ULL

#define SLO_NSEC_PER_USEC		1000ULL
#define SLO_NSEC_PER_MSEC		1000000ULL
#define SLO_NSEC_PER_SEC		1000000000ULL

/* Budgets accepted anywhere (CLI, config, map writes). */
#define SLO_BUDGET_MIN_NS		(50 * SLO_NSEC_PER_USEC)
#define SLO_BUDGET_MAX_NS		(10 * SLO_NSEC_PER_SEC)
#define SLO_DEFAULT_BUDGET_NS		(100 * SLO_NSEC_PER_MSEC)

/* Map capacities. */
#define SLO_MAX_BUDGETS			4096
#define SLO_MAX_CGROUP_STATS		8192

/* Deepest cgroup nesting walked when looking for an inherited budget. */
#define SLO_MAX_CGROUP_DEPTH		16

/*
 * Scheduling-delay histogram: bucket 0 counts delays under 1us, bucket i
 * (i >= 1) delays in [2^(i-1), 2^i) us, the last bucket everything longer
 * (2^23 us is about 8.4 s).
 */
#define SLO_DELAY_BUCKETS		25

/* Global counters, one per-CPU array slot each; the loader sums the CPUs. */
enum slo_stat_idx {
	SLO_STAT_ENQUEUE,		/* ops.enqueue into the deadline queue */
	SLO_STAT_DIRECT_DISPATCH,	/* woken onto an idle CPU from select_cpu */
	SLO_STAT_DSQ_DISPATCH,		/* moved from the deadline queue to a CPU */
	SLO_STAT_RUNS,			/* tasks started running */
	SLO_STAT_MISSES,		/* ... after their wall deadline */
	SLO_STAT_CGROUP_STATS_FULL,	/* runs not attributed: cgroup map full */
	SLO_NR_STATS,
};

/* Value of the slo_budgets map, keyed by cgroup id (the cgroup2 inode). */
struct slo_budget {
	__u64 budget_ns;
};

/* Value of the per-CPU slo_cgroup_stats map, keyed by cgroup id. */
struct slo_cgroup_stats {
	__u64 runs;
	__u64 misses;
	__u64 lateness_ns;		/* sum over misses of (start - deadline) */
	__u64 delay_ns;			/* sum of runnable-to-running delays */
	__u64 delay_hist[SLO_DELAY_BUCKETS];
};

/*
 * Why the kernel stopped us, copied from struct scx_exit_info by ops.exit.
 * Field sizes follow the kernel's SCX_EXIT_REASON_LEN/SCX_EXIT_MSG_LEN.
 */
#define SLO_EXIT_REASON_LEN		128
#define SLO_EXIT_MSG_LEN		1024

struct slo_exit_info {
	__s32 kind;			/* enum scx_exit_kind; 0 while running */
	__s32 exit_cpu;
	__s64 exit_code;		/* bits 48+ carry SCX_ECODE_ACT_* */
	char reason[SLO_EXIT_REASON_LEN];
	char msg[SLO_EXIT_MSG_LEN];
};

#endif /* __SCX_SLO_H */
