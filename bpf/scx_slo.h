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

/*
 * DSQ ids: LLC domain d queues on DSQ d (its llc_dsq_id); --single-dsq
 * queues everything on SLO_SINGLE_DSQ, above any domain id.
 */
#define SLO_SINGLE_DSQ			(1ULL << 32)
/* Tasks of cgroups that used up their cpu.max quota wait here. */
#define SLO_THROTTLED_DSQ		((1ULL << 32) + 1)

/* cpu_info.domain of a CPU that is possible but not online. */
#define SLO_NO_DOMAIN			0xffffffffU

#define SLO_NSEC_PER_USEC		1000ULL
#define SLO_NSEC_PER_MSEC		1000000ULL
#define SLO_NSEC_PER_SEC		1000000000ULL

/* Budgets accepted anywhere (CLI, config, map writes). */
#define SLO_BUDGET_MIN_NS		(50 * SLO_NSEC_PER_USEC)
#define SLO_BUDGET_MAX_NS		(10 * SLO_NSEC_PER_SEC)
#define SLO_DEFAULT_BUDGET_NS		(100 * SLO_NSEC_PER_MSEC)

/* Map capacities: a config holds at most SLO_MAX_BUDGETS entries; each
 * budget map has room for as many runtime overrides (scx_slo slo set). */
#define SLO_MAX_BUDGETS			4096
#define SLO_BUDGET_MAP_ENTRIES		(2 * SLO_MAX_BUDGETS)
#define SLO_MAX_CGROUP_STATS		16384

/* Default of steal_scan_max, which the loader sets from the topology (the
 * largest per-domain dispatch scan): same-node domains looked at for a CPU
 * to preempt. */
#define SLO_STEAL_SCAN_DFL		16
/* CPUs looked at, nearest first, for one a waking task can preempt. */
#define SLO_PREEMPT_SCAN		64
/* CPUs of its queue's domain an enqueued task's kick looks at (rule 3). */
#define SLO_KICK_SCAN			16
/* Tasks looked at from the head of a remote queue for an overdue one. */
#define SLO_STEAL_DEPTH			4
/*
 * With --max-slice above --slice, a task's slice is a fifth of its budget,
 * no shorter than --slice and no longer than --max-slice.
 */
#define SLO_SLICE_BUDGET_DIV		5
/* Starvation backstop: how often a domain's queue is looked at, and how
 * many tasks one look visits (from the tail and the head in turn). */
#define SLO_STARVE_SCAN_NS		(100 * SLO_NSEC_PER_MSEC)
#define SLO_STARVE_DEPTH		4096

/* Rule 8: how often parked tasks are looked at while there are any, and
 * how many one dispatch looks at. */
#define SLO_BW_TICK_NS			(1 * SLO_NSEC_PER_MSEC)
#define SLO_RELEASE_DEPTH		512

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
	SLO_STAT_RUNS,			/* tasks started running */
	SLO_STAT_MISSES,		/* ... after their wall deadline */
	SLO_STAT_KTHREAD_LOCAL,		/* per-CPU kthreads queued on their CPU */
	SLO_STAT_AFFINITY_FIXUP,	/* task_cpu() not allowed: CPU re-picked */
	SLO_STAT_CGROUP_STATS_FULL,	/* runs not attributed: cgroup map full */
	SLO_STAT_STARVE_RESCUES,	/* tasks run first after waiting starve_ns */
	SLO_STAT_REQUEUE_IDLE,		/* put back after a slice, placed on an idle CPU */
	SLO_STAT_RT_REQUEUES,		/* re-queued when an RT/DL task took the CPU */
	SLO_STAT_THROTTLES,		/* tasks parked: a cgroup's cpu.max was used up */
	SLO_STAT_BW_OVERRIDES,		/* parked tasks run anyway, to beat the watchdog */
	SLO_STAT_STEAL_OVERDUE,		/* taken from another domain: past its deadline */
	SLO_STAT_STEAL_AT_RISK,		/* ... with less than a slice of slack */
	SLO_STAT_STEAL_UNANSWERED,	/* ... its queue's kick went unanswered */
	SLO_STAT_STEAL_IDLE_PULL,	/* ... by a CPU about to idle, busy queue */
	SLO_STAT_REQUEUE_FAR,		/* requeue-idle placements on another node */
	SLO_STAT_SLICE_CUTS,		/* slices ended early for a shorter-slice waiter */
	SLO_STAT_LIMITS_FULL,		/* cpu.max limits not kept: slo_cgroup_limits full */
	SLO_STAT_REQUEUE_CORE,		/* requeue-idle placements off a busy-sibling core */
	SLO_STAT_RESCUE_KICKS,		/* CPUs elsewhere kicked to take a task its
					   own domain would start too late */
	SLO_STAT_STEAL_PREDICTED,	/* taken from another domain: with a slice
					   of slack or more, but its own domain's
					   CPUs would start it too late */
	SLO_NR_STATS,
};

/* Per LLC domain counters, one per-CPU array slot per domain. */
struct slo_domain_stats {
	__u64 enqueues;			/* tasks queued on this domain's DSQ */
	__u64 direct_dispatches;	/* started without queueing (idle CPU) */
	__u64 local_dispatches;		/* started from this domain's own DSQ */
	__u64 steals_same_node;		/* started here from a same-node DSQ */
	__u64 steals_other_node;	/* started here from another node's DSQ */
	__u64 steals_not_at_risk;	/* other-node steals of a task with a
					   slice of slack left: the policy
					   says never */
	__u64 preempt_kicks;		/* CPUs here kicked for an earlier deadline */
	__u64 idle_kicks;		/* idle CPUs here woken for a queued task */
};

/*
 * The topology, as the loader hands it to BPF before the program loads.
 * Maps sized from the machine: cpu_info[nr_cpu_ids], domain_info[nr_domains],
 * domain_cpus[nr_online_cpus] (each domain's CPUs, contiguous),
 * core_cpus[nr_online_cpus] (each core's hardware threads, contiguous) and
 * steal_order[nr_domains * (nr_domains - 1)] (each domain's steal order,
 * contiguous, nearest first).
 */
struct slo_cpu_info {
	__u32 domain;			/* SLO_NO_DOMAIN when offline */
	__u32 node;			/* index into the node list */
	__u32 core_start;		/* first index of its core in core_cpus */
	__u32 nr_core_cpus;		/* its core's online threads, itself included */
};

struct slo_domain_info {
	__u32 node;			/* index into the node list */
	__s32 numa_id;			/* kernel NUMA node, for DSQ allocation */
	__u32 nr_cpus;
	__u32 cpus_start;		/* first index in domain_cpus */
	__u32 steal_start;		/* first index in steal_order */
	__u32 nr_steal;			/* nr_domains - 1 */
	__u32 nr_same_node;		/* leading steal_order entries on our node */
	/*
	 * What slo_dispatch inspects: nr_scan entries, the first
	 * nr_scan_same_node of the order, then those from nr_same_node on.
	 * Where not all fits, the same-node part is cut, never the cross-node
	 * part, so every domain on a multi-node machine scans another node.
	 */
	__u32 nr_scan;
	__u32 nr_scan_same_node;
	__u32 pad;
};

/*
 * Budgets live in two hash maps, slo_budgets_0 and slo_budgets_1, keyed by
 * cgroup id (the cgroup2 inode).  The loader fills the inactive one with a
 * whole new configuration and then flips slo_control.active_set, so BPF
 * sees either the old configuration or the new one, never a mix.
 */
struct slo_budget {
	__u64 budget_ns;
};

/*
 * slo_control[0].  Written in two steps: active_set and default_budget_ns
 * first, then a new generation, so a task that caches its budget under the
 * new generation resolved it against the new set.
 */
struct slo_control {
	__u64 generation;		/* changes on every change of budgets */
	__u64 default_budget_ns;	/* 0: the load-time default */
	__u32 active_set;		/* 0 or 1 */
	__u32 pad;
};

/*
 * CPU limits (cpu.max, cpu.max.burst), keyed by cgroup id, only for
 * cgroups that have one.  Written by BPF from ops.cgroup_init and
 * ops.cgroup_set_bandwidth where the kernel has them (6.17+), else by the
 * loader from cgroupfs, which then bumps the bss bw_generation so tasks
 * re-resolve their limited ancestors.
 */
#define SLO_MAX_CGROUP_LIMITS		16384
/* Limited ancestors (own cgroup included) a task is charged against. */
#define SLO_BW_LEVELS			4

struct slo_cgroup_limit {
	__u64 period_ns;
	__u64 quota_ns;
	__u64 burst_ns;
};

/*
 * Bandwidth state of a limited cgroup, owned by BPF (slo_cgroup_bw, keyed
 * by cgroup id); the loader reads the counters for its statistics.
 */
struct slo_cgroup_bw {
	__s64 runtime_left;		/* of this period; <= 0: throttled */
	__u64 period_end;
	__u64 period_ns;		/* the limit this state was set up for */
	__u64 quota_ns;
	__u64 burst_ns;
	__u64 throttled_since;		/* when runtime_left last went <= 0 */
	__u64 throttled_ns;		/* total time spent throttled */
	__u64 nr_throttled;		/* periods in which it was throttled */
};

/* Value of the slo_cgroup_stats map, keyed by cgroup id. */
struct slo_cgroup_stats {
	__u64 runs;
	__u64 misses;
	__u64 lateness_ns;		/* sum over misses of (start - deadline) */
	__u64 delay_ns;			/* sum of runnable-to-running delays */
	__u64 delay_hist[SLO_DELAY_BUCKETS];
	/*
	 * Bursts: wakeup to sleep.  For a thread serving one request per
	 * wakeup this is the request's time in the service, and its wait
	 * (runnable, not running) is what the scheduler added to it.
	 */
	__u64 bursts;
	__u64 burst_ns;			/* sum of wakeup-to-sleep times */
	__u64 burst_wait_ns;		/* sum of their runnable-not-running times */
	__u64 late_bursts;		/* bursts that waited longer than the budget */
};

/*
 * Why the kernel stopped us, copied from struct scx_exit_info by ops.exit.
 * Field sizes follow the kernel's SCX_EXIT_REASON_LEN/SCX_EXIT_MSG_LEN.
 */
#define SLO_EXIT_REASON_LEN		128
#define SLO_EXIT_MSG_LEN		1024

/* Room for the kernel's debug dump of an error exit (ops.exit_dump_len). */
#define SLO_EXIT_DUMP_LEN		32768

struct slo_exit_info {
	__s32 kind;			/* enum scx_exit_kind; 0 while running */
	__s32 exit_cpu;
	__s64 exit_code;		/* bits 48+ carry SCX_ECODE_ACT_* */
	char reason[SLO_EXIT_REASON_LEN];
	char msg[SLO_EXIT_MSG_LEN];
};

#endif /* __SCX_SLO_H */
