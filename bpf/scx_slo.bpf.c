/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_slo: per-cgroup latency budgets, earliest deadline first, one deadline
 * queue per last-level cache.
 *
 * Budgets.  Every task has a latency budget B: that of the nearest cgroup,
 * walking up from its own, with an entry in the active budget set, or the
 * default (100 ms).  The loader writes a whole new configuration into the
 * inactive set of two and flips slo_control, so a configuration applies
 * all at once; the BPF side never calls back.  A task caches its budget
 * and re-resolves it when its cgroup id or the control generation
 * changes, so moves and reconfiguration apply on the next wakeup or
 * requeue.  A budget buys latency only: how much CPU a cgroup gets is
 * cpu.weight's and cpu.max's business (rules 2 and 8), as under the
 * kernel's own scheduler.
 *
 * Domains.  CPUs sharing a last-level cache form a domain, and each domain
 * has one deadline-ordered DSQ (its llc_dsq_id).  The loader describes the
 * machine at load time (cpu_info, domain_info, domain_cpus, core_cpus,
 * steal_order), so nothing here knows the machine's size.  Placement,
 * queueing and the virtual clock are per domain; the only cross-domain
 * traffic is placement of a waking task onto an idle CPU elsewhere, and
 * stealing.
 *
 * Rule 1, order.  A task carries a weighted vruntime that advances with the
 * CPU it consumes, scaled by 100 / its flattened weight (rule 2).  Queued,
 * its virtual deadline is vruntime + B and its domain's DSQ runs the
 * earliest first; a task whose slice ends keeps its CPU while the deadline
 * it would be queued with is still no later than the queue's head.  On
 * wakeup the vruntime is pulled up to at most lag_cap_ns behind the
 * domain's clock (the largest vruntime of a task taken from its queue
 * after a slice or a preemption: wakers and tasks placed on an idle CPU
 * would ratchet it with their debt), and
 * down to at most its own slice ahead of it, so the deadline lands about B ahead
 * of the clock: a 5 ms task overtakes a 100 ms task that woke at the same
 * moment.  A task moving between domains keeps its lag against the clock,
 * not its raw vruntime, since each domain's clock runs apart.
 *
 * Rule 2, shares follow cpu.weight; the budget buys latency, not CPU.  The
 * cgroup tree is flattened, as the kernel's scx_flatcg does: every cgroup
 * of the cpu controller has an active_sum, the weights competing inside
 * it (its runnable tasks' nice weights, plus the cpu.weight of each child
 * with anything runnable), kept by ops.runnable/quiescent and propagated
 * up the tree only when a cgroup turns active or idle.  A task's
 * flattened weight is its nice weight times w(C) / active_sum(C) for each
 * cgroup C from its own up to the root's child: the share the cgroup
 * tree gives it, in units of a nice-0 task at the root (so root tasks keep
 * plain nice weights).  8 hogs in one pod and 1 in another of the same
 * cpu.weight each get 1/16 and 1/2 of a CPU they share; two pods of
 * weights 200 and 100 with containers of 300 and 100 get 1/2, 1/6, 1/4
 * and 1/12.  Shares are exact among the tasks of one domain queue and
 * approximate across domains, as the fair scheduler's per-CPU group
 * shares are.  B is a constant offset on that clock, so always-runnable
 * tasks with different budgets get the same shares; the tight budget
 * only runs first.  The lag clamp bounds the credit a sleeper can bank.
 * Flattened weights are clamped to [0.01, 10^6], nice 0 being 100.
 *
 * Rule 3, preemption.  After queueing a task, enqueue looks at the CPUs of
 * its domain that the task may use: an idle one, or one between two tasks
 * (but not the CPU putting its own last task back), is kicked awake;
 * failing that, the CPU running the latest virtual deadline is kicked with
 * SCX_KICK_PREEMPT if that deadline is later than the new one by more than
 * a slice (so equal-budget tasks do not preempt each other on every wakeup).
 * In a domain of more than SLO_KICK_SCAN (16) such CPUs it looks at 16 of
 * them from a random place, and at the idle mask for the rest, so the cost
 * of an enqueue does not grow with the LLC: the preempted CPU is then the
 * latest deadline of the sample, not of the domain.  With SMT a CPU whose
 * whole core is idle is woken first, anywhere in the domain.
 * A task's slice is a fifth of its budget within [slice_ns, max_slice_ns]
 * (3 and 20 ms by default): a fifth of the budget is what one turn may
 * cost the next task of that budget, and with preemption budgets of 1 ms
 * and up can be met.  Loose-budget tasks switch less often than with 3 ms
 * for all (hackbench on 2 vCPUs: 9,000-12,000 switches against 39,000,
 * and 0.6x the time).  A task that neither preempts nor finds an idle CPU
 * must not then wait out slices longer than its own: a tight-budget task
 * whose low cpu.weight puts its deadline behind loose tasks' would (a
 * weight-10 cyclictest next to weight-1000 hogs: p99 27-30 ms with 20 ms
 * slices, 3-16 ms with 3 ms ones).  So enqueue notes its slice on the CPU
 * it would have preempted, and for max_slice_ns from then that CPU's tick
 * ends any slice that has run longer (p99 1.4-12.6 ms).  Ticks come every
 * 1-4 ms (HZ), so such a slice ends up to a tick late.
 *
 * Rule 4, placement.  A waking task goes to its previous CPU if idle, else
 * to an idle CPU of the same LLC, else of the same NUMA node, else
 * anywhere it may run; found idle, it is dispatched straight to that
 * CPU's local DSQ.  With SMT that walk is made twice, as by the kernel's
 * built-in selection: first for a CPU whose whole core is idle, then for
 * any idle CPU, since one whose sibling is busy gets about half a core.
 * With no CPU idle, it is queued on the CPU running the latest deadline it
 * beats by more than a slice, in its previous LLC or else another LLC of
 * the same node, and rule 3 preempts that CPU; if there is none it waits
 * in its previous LLC.  Never across nodes: a busy remote CPU must take an
 * IPI to let it in, while the local queue keeps it near its cache and its
 * waker, and a task that overruns its budget is stolen anyway (rule 5).
 * A task put back after its slice or a preemption, when no CPU of its
 * domain is idle, goes to an idle CPU of its node, else anywhere: CPU-bound
 * tasks never wake, and without this two of them share a CPU while one of
 * another node idles, as neither waits long enough to be overdue.  With
 * SMT, one whose sibling is busy moves to a whole idle core (LLC, node,
 * anywhere) at the end of its slice, even when it is alone on its CPU:
 * else two CPU-bound tasks that start on one core share it for good while
 * other cores idle, which the kernel's own scheduler fixes by load
 * balancing.  Only a move to a whole core, so the two never swap.  Per-CPU
 * kthreads go straight to their CPU.  A queued task goes to the domain of a
 * CPU in its cpumask, so no domain ever holds a task none of its CPUs may
 * run.
 *
 * Rule 5, stealing.  A CPU takes from another domain a task that will
 * probably miss its deadline where it waits, and is earlier than our
 * own head, on the wall clock and on virtual time: its virtual
 * deadline, as an offset from its domain's clock, is no later than that
 * of our head or of the task this CPU would go on running.  So stealing
 * follows cpu.weight as each queue does, and a tight budget of low
 * weight cannot take the next LLC's CPUs by being always late; not for
 * a task whose domain does not answer its kick, or that is overdue by a
 * quarter of starve_ns, since a queue nobody serves gets no share at
 * all.  Every busy CPU of its domain reaches a scheduling point within
 * a slice, so a task with less than a slice of slack left is at risk
 * (and one past its deadline is overdue).  On our own node, two slices:
 * that CPU may first run a task of its own, and a move within the node
 * costs only the LLC's warmth, not memory locality (on 8 vCPUs in 4
 * LLCs, in three boots, 0.66-0.97x the misses of a 5 ms cgroup, and
 * half its median wakeup latency; one global queue still misses less);
 * across nodes only work that would otherwise miss moves, so one slice.
 * A task whose queue was kicked and none of whose CPUs has dispatched
 * for half a slice is at risk too, on our node only (a vCPU the
 * hypervisor descheduled, an interrupt storm, a CPU lost to an RT task).  Stealing waits for the
 * thief to dispatch, which a CPU busy with a 20 ms slice does not do for
 * up to 20 ms, so a domain that will not start a task in time also calls
 * for help: the rescue.  Its prediction (domain_starts_by()) asks whether
 * any CPU of the domain the task may use reaches a scheduling point before
 * the task's wall deadline: an idle one or one between two of our tasks
 * does, a busy one when its slice (or the kick that cut it) ends by then;
 * one whose slice end or kick is half a slice overdue does not answer, nor
 * does one held by an RT or deadline task (released, or neither idle nor
 * running a task of ours for half a slice).  Enqueue asks it for each task
 * it queues for which rule 3 woke or preempted no CPU (one it did answers
 * now), and a per-domain BPF timer asks again for the queue's head once it
 * is at risk, every half slice while it waits, since a domain can stop
 * answering after a task was queued.  On "no", the nearest CPU that can
 * take the task, in the steal order, is kicked (an idle one, else the one
 * running the latest deadline the task beats by more than a slice; counted
 * as rescue kicks), and its dispatch looks at that domain first and takes
 * the first task there that is at risk or that the domain still would not
 * start in time (a predicted steal), so the task runs a kick's latency
 * after it was queued, not after it was late.  The timer runs on the CPU
 * that armed it: if that CPU is the one not answering, only enqueue's
 * prediction and plain stealing are left.  Domains are visited in the
 * loader's steal order: same node first, then by NUMA distance, nr_scan of
 * them per dispatch, the nearest on our node and one of each other node
 * (domain_info.nr_scan*).  So another node's CPU only ever takes a task
 * that would otherwise miss: one with less than a slice to go, or one its
 * domain was predicted, at the time of the steal, not to start in time.
 * Steals are counted by reason (overdue, at risk, unanswered kick,
 * predicted, idle pull).  A CPU about to go idle, and only then (not one
 * whose task's slice merely ended, or tasks would bounce between LLCs
 * every slice), also pulls from a same-node domain that has more work than
 * CPUs: tasks queued and no idle CPU there.  A CPU that keeps its task
 * (nothing queued here comes first) renews the task's own slice, and from
 * slice_ns on its tick looks for work at risk in those domains and ends
 * the slice when there is some, so such work waits at most slice_ns and a
 * tick, without a scheduling pass every slice_ns on every CPU with a lone
 * task.  A task taken from another domain gets its deadline again on ours.
 *
 * Rule 6, misses.  Each time a task is queued (woken, or put back after its
 * slice) it gets a wall deadline, now + B.  Starting to run after it is a
 * miss.  Per cgroup: runs, misses, lateness and a log2 histogram of the
 * queueing delay, and bursts (wakeup to sleep): how many, their total and
 * waiting times, and how many waited longer than B in all, a request's
 * view of the queue when a thread serves one per wakeup.  Per domain:
 * enqueues, direct, local and stolen starts (same node, other node), and
 * kicks.  Global and per-domain counters are per-CPU maps the loader sums;
 * per-cgroup ones are one shared entry per live cgroup (slo_cgroup_stats),
 * so memory grows with cgroups, not with CPUs times a capacity.
 *
 * Rule 7, safety.  The watchdog timeout is set by the loader.  Weighted
 * virtual time alone can starve: a task of flattened weight 1/100 is
 * charged 10000x its run time and, among enough hogs, waits longer than
 * the watchdog allows.  So a task queued for starve_ns (a quarter of the watchdog) runs next on a CPU
 * of its domain, whatever its deadline; each queue is walked every 100 ms,
 * from the tail and the head in turn.  When an RT or deadline task takes
 * a CPU, ops.cpu_release sends what waits in its local DSQ back through
 * enqueue, so it runs elsewhere; exiting tasks included
 * (SCX_OPS_ENQ_EXITING), which the kernel would otherwise queue right
 * back behind the RT task.  A task pinned under an RT hog can only
 * run where the kernel lends it time (the ext DL server, 7.0+); before
 * that, a hog longer than the watchdog ejects any sched_ext scheduler, and
 * the loader reports it with the kernel's debug dump (ops.dump adds our
 * domains and each task's budget and deadlines).  Every path that cannot
 * find its per-task or per-CPU state aborts the scheduler with
 * scx_bpf_error() rather than dropping a task.  CPU hotplug is left to the kernel: without
 * ops.cpu_online/offline it exits us with SCX_ECODE_ACT_RESTART and the
 * loader reloads on the new topology.
 *
 * Rule 8, limits.  cpu.max (quota per period, plus cpu.max.burst) holds
 * on every CPU.  Limits come from ops.cgroup_init/cgroup_set_bandwidth
 * where the kernel has them (6.17+), else from the loader, which reads
 * cgroupfs; either way they land in slo_cgroup_limits.  A task is charged
 * to its nearest SLO_BW_LEVELS limited ancestors every tick and when it
 * stops; a cgroup whose quota is used up ends the slices of its running
 * tasks at their next tick, and its tasks are parked in one FIFO,
 * SLO_THROTTLED_DSQ, instead of their domain's queue.  Each period adds
 * a quota, up to quota + burst, and what a tick overran is owed, so the
 * long-run rate is the quota even at tick granularity (debt beyond what
 * the quotas of half of park_limit_ns repay is forgiven).  A throttled
 * task alone on its CPU is not kept running: with SCX_OPS_ENQ_LAST its
 * slice end goes through enqueue, which parks it.  While tasks are
 * parked a 1 ms BPF timer wakes an idle CPU, and dispatch moves every
 * task whose cgroups have quota again back to its domain's queue, with a
 * fresh wall deadline: the wait is the cgroup's own limit, reported as
 * throttled time, not as a miss.  A task parked for park_limit_ns (3/8 of
 * the watchdog; queued up to starve_ns more it still runs in time) runs
 * anyway and its cgroup owes the time, so no quota (1 ms per second with
 * many tasks) can get the scheduler ejected by the watchdog.
 *
 * --single-dsq keeps all of this but queues every task on one global DSQ
 * with one clock; it is the baseline the per-LLC design is measured
 * against.  Its trade-off is the opposite one: globally exact deadlines,
 * paid for with one contended lock and cross-LLC migrations.
 */
#include "scx_slo_common.bpf.h"
#include "scx_slo.h"

char _license[] SEC("license") = "GPL";

#define PF_EXITING		0x00000004
#define PF_KTHREAD		0x00200000

/* Load-time knobs and machine shape, set by the loader before loading. */
const volatile u64 slice_ns = 3 * SLO_NSEC_PER_MSEC;
const volatile u64 max_slice_ns = 20 * SLO_NSEC_PER_MSEC;
const volatile u64 default_budget_ns = SLO_DEFAULT_BUDGET_NS;
const volatile u64 lag_cap_ns = 3 * SLO_NSEC_PER_MSEC;
/* a queued task waiting this long runs ahead of deadline order (rule 7) */
const volatile u64 starve_ns = 2500 * SLO_NSEC_PER_MSEC;
/*
 * A task parked out of quota this long runs anyway (rule 8).  Parked, then
 * queued up to starve_ns, it must still run within the watchdog.
 */
const volatile u64 park_limit_ns = 3750 * SLO_NSEC_PER_MSEC;
const volatile u32 nr_cpu_ids = 1;
const volatile u32 nr_online_cpus = 1;	/* entries in domain_cpus */
const volatile u32 nr_domains = 1;
const volatile u32 nr_nodes = 1;
const volatile u32 steal_scan_max = SLO_STEAL_SCAN_DFL;
const volatile bool single_dsq;
const volatile bool smt_enabled;
/* scx_bpf_dsq_peek() exists and is safe (7.1+); else the DSQ iterator */
const volatile bool use_dsq_peek;
/* Test hook: make the verifier reject the program, to test that path. */
const volatile bool debug_verifier_reject;

/* cpu.max comes from ops.cgroup_set_bandwidth (6.17+), else the loader. */
const volatile bool bw_from_kernel;

/* Bumped whenever slo_cgroup_limits gains or loses an entry. */
u64 bw_generation;

/* Written by ops.exit, polled by the loader. */
struct slo_exit_info exit_info;

/* Filled by the loader between load and attach; read-only here. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);			/* nr_cpu_ids */
	__type(key, u32);
	__type(value, struct slo_cpu_info);
} cpu_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);			/* nr_domains */
	__type(key, u32);
	__type(value, struct slo_domain_info);
} domain_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);			/* online CPUs */
	__type(key, u32);
	__type(value, u32);
} domain_cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);			/* online CPUs */
	__type(key, u32);
	__type(value, u32);
} core_cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);			/* nr_domains * (nr_domains - 1) */
	__type(key, u32);
	__type(value, u32);
} steal_order SEC(".maps");

struct budget_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLO_BUDGET_MAP_ENTRIES);
	__type(key, u64);			/* cgroup id */
	__type(value, struct slo_budget);
};

struct budget_map slo_budgets_0 SEC(".maps");
struct budget_map slo_budgets_1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, u32);
	__array(values, struct budget_map);
} slo_budget_sets SEC(".maps") = {
	.values = { &slo_budgets_0, &slo_budgets_1 },
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct slo_control);
} slo_control SEC(".maps");

/* Statistics, per CPU, summed by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLO_NR_STATS);
	__type(key, u32);
	__type(value, u64);
} slo_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);			/* nr_domains */
	__type(key, u32);
	__type(value, struct slo_domain_stats);
} slo_domain_stats SEC(".maps");

/*
 * Per-cgroup statistics: one shared entry per cgroup that ran a task, not
 * one per CPU, allocated on first use (BPF_F_NO_PREALLOC) and updated with
 * atomic adds.  A per-CPU preallocated map would cost capacity x CPUs up
 * front (8192 x 264 B x 512 CPUs is over 1 GB); this costs live cgroups
 * x 264 B, and the adds are a few locked instructions once per task start
 * and once per sleep.
 * Entries leave with their cgroup: slo_cgroup_exit() where the kernel has
 * cgroup callbacks, and the loader, which deletes the entry of any cgroup
 * no longer in the hierarchy, everywhere.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLO_MAX_CGROUP_STATS);
	__type(key, u64);			/* cgroup id */
	__type(value, struct slo_cgroup_stats);
} slo_cgroup_stats SEC(".maps");

/*
 * cpu.max of each limited cgroup, written by slo_cgroup_init() and
 * slo_cgroup_set_bandwidth() when bw_from_kernel, else by the loader.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLO_MAX_CGROUP_LIMITS);
	__type(key, u64);			/* cgroup id */
	__type(value, struct slo_cgroup_limit);
} slo_cgroup_limits SEC(".maps");

/* Bandwidth state of each limited cgroup that ran a task. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLO_MAX_CGROUP_LIMITS);
	__type(key, u64);			/* cgroup id */
	__type(value, struct slo_cgroup_bw);
} slo_cgroup_bw SEC(".maps");

/*
 * Rule 2's cgroup tree, keyed by cgroup id, one entry per cgroup of the cpu
 * controller (ops.cgroup_init).  active_sum is the weight competing inside
 * the cgroup: its own runnable tasks' weights plus the cpu.weight of each
 * child that is active (active_sum > 0).
 */
struct cgroup_ctx {
	u64 parent_id;
	s64 active_sum;
	u32 weight;			/* cpu.weight, 1..10000 */
	u32 level;			/* 0: the root */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLO_MAX_CGROUP_STATS);
	__type(key, u64);			/* cgroup id */
	__type(value, struct cgroup_ctx);
} slo_cgroup_ctxs SEC(".maps");

/* Rule 8: while tasks are parked, this fires every SLO_BW_TICK_NS. */
struct bw_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct bw_timer);
} bw_timers SEC(".maps");

/* set by the timer: the next dispatch looks for parked tasks to release */
u32 release_pending;
u32 bw_timer_armed;
/* parked tasks the release walk in progress may still visit */
u32 release_left;

/* Queue depth per domain, filled on demand by slo_read_depths. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);			/* nr_domains */
	__type(key, u32);
	__type(value, u64);
} domain_depths SEC(".maps");

/* Run-time state. */
struct domain_ctx {
	struct bpf_cpumask __kptr *cpumask;
	u64 vclock;			/* largest vruntime requeued and taken */
	u64 next_starve_scan;		/* rescue_starved() looks again after */
	u64 starve_scans;		/* even: from the tail, odd: from the head */
	/*
	 * Tasks the current walk may still visit.  A counter in map memory,
	 * not on the stack: the verifier does not track its value, so the
	 * walk verifies as one loop, not SLO_STARVE_DEPTH unrolled steps.
	 */
	u32 starve_left;
	/*
	 * When a kick went out for this queue and none of its CPUs has taken
	 * from it since; 0 when none is pending (rule 5).
	 */
	u64 kick_pending_since;
	/* when its rescue timer is due; 0 when it is not armed (rule 5) */
	u64 rescue_at;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);			/* nr_domains */
	__type(key, u32);
	__type(value, struct domain_ctx);
} domain_ctxs SEC(".maps");

/*
 * Rule 5's rescue: per domain, a timer due when its queue's head turns at
 * risk, to see whether a CPU of the domain will start it in time.
 */
struct rescue_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);			/* nr_domains */
	__type(key, u32);
	__type(value, struct rescue_timer);
} rescue_timers SEC(".maps");

struct node_ctx {
	struct bpf_cpumask __kptr *cpumask;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);			/* nr_nodes */
	__type(key, u32);
	__type(value, struct node_ctx);
} node_ctxs SEC(".maps");

/* CPUs online when we loaded: the union of the domains. */
struct online_ctx {
	struct bpf_cpumask __kptr *cpumask;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct online_ctx);
} online_ctxs SEC(".maps");

struct cpu_ctx {
	/* virtual deadline of the task running here, 0 when none */
	u64 running_deadline;
	/* an RT or deadline task took this CPU; cleared when ours runs */
	bool released;
	/*
	 * Slices longer than slice_ns only: a task with a shorter slice than
	 * the one running here waits for this CPU (kick_for() chose it),
	 * since waiter_slice_at; what runs here ends its slice at the first
	 * tick past waiter_slice (rule 3).
	 */
	u64 waiter_slice;
	u64 waiter_slice_at;
	/*
	 * The task running here was kept for another slice of its own
	 * (nothing queued here comes first); from this time on the tick
	 * looks for work at risk in other domains, which this CPU would
	 * otherwise not see until the slice ends (rule 5).  0 when not kept.
	 */
	u64 lone_check_at;
	/*
	 * When the task running here reaches a scheduling point at the
	 * latest: the end of its slice, or the moment it was kicked.
	 */
	u64 slice_end;
	/* when a task of ours last stopped running here */
	u64 stopped_at;
	/*
	 * Kicked to take the head of this domain (+ 1) before its own CPUs
	 * could; 0 when not (rule 5's rescue).
	 */
	u32 rescue_from;
	/* select_cpu's scratch: p->cpus_ptr & an LLC or node mask */
	struct bpf_cpumask __kptr *scratch;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);			/* nr_cpu_ids */
	__type(key, u32);
	__type(value, struct cpu_ctx);
} cpu_ctxs SEC(".maps");

/* How a task reached the CPU it starts on, for the per-domain counters. */
#define QUEUED_DIRECT		0xfffffffeU	/* straight to a local DSQ */

struct task_ctx {
	u64 vruntime;		/* weighted CPU consumed, on its domain's clock */
	u64 vdeadline;		/* vruntime + budget when last queued */
	u64 queued_at;		/* last became runnable or was put back */
	u64 wall_deadline;	/* queued_at + budget */
	u64 started_at;		/* last started running */
	u64 woke_at;		/* this burst's wakeup; 0 while asleep */
	u64 burst_run_ns;	/* run time since woke_at */
	u64 cgroup_id;		/* own cgroup, key for slo_cgroup_stats */
	u64 budget_ns;		/* resolved budget, cached */
	u64 budget_gen;		/* slo_control generation it was resolved at */
	u32 domain;		/* whose clock vruntime is on */
	u32 queued_domain;	/* DSQ it waits in, or QUEUED_DIRECT */
	bool off_clock;		/* its next start does not move the clock */
	/* taken by rule 5's rescue: its domain would not have started it in time */
	bool rescued;
	/* rule 2: the cpu cgroup and weight counted in its active_sum */
	u64 counted_cg;
	u32 counted_weight;
	/* rule 8: limited ancestors, nearest first, for cgroup bw_cg at bw_gen */
	u32 nr_bw;
	u64 bw_ids[SLO_BW_LEVELS];
	u64 bw_cg;
	u64 bw_gen;
	u64 bw_charged_at;	/* run time up to here is charged to bw_ids */
	u64 parked_at;		/* went into SLO_THROTTLED_DSQ */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

static void stat_inc(enum slo_stat_idx idx)
{
	u32 key = idx;
	u64 *cnt = bpf_map_lookup_elem(&slo_stats, &key);

	if (cnt)
		(*cnt)++;
}

static struct slo_domain_stats *domain_stats(u32 dom)
{
	return bpf_map_lookup_elem(&slo_domain_stats, &dom);
}

static struct task_ctx *lookup_task_ctx(struct task_struct *p)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);

	if (!tctx)
		scx_bpf_error("task_ctx lookup failed for pid %d", p->pid);
	return tctx;
}

static void unknown_cpu(s32 cpu);

/*
 * A CPU that was offline when we loaded has no domain.  Once it is back it
 * shows up in the idle mask and as a task's CPU before ops.cpu_online()
 * runs, so any path may meet it: that is the hotplug restart, not an error.
 */
static struct slo_cpu_info *lookup_cpu_info(s32 cpu)
{
	u32 key = cpu;
	struct slo_cpu_info *info = bpf_map_lookup_elem(&cpu_info, &key);

	if (!info) {
		scx_bpf_error("CPU %d out of range", cpu);
		return NULL;
	}
	if (info->domain >= nr_domains) {
		unknown_cpu(cpu);
		return NULL;
	}
	return info;
}

/*
 * A CPU came online that was not in the topology we loaded with.  The
 * kernel is about to exit us for the hotplug anyway; ask for the restart
 * ourselves so the loader reloads on the new topology either way.
 */
static void unknown_cpu(s32 cpu)
{
	scx_bpf_exit(SCX_ECODE_ACT_RESTART | SCX_ECODE_RSN_HOTPLUG,
		     "CPU %d is not in the loaded topology", cpu);
}

/* Domain of @cpu, or SLO_NO_DOMAIN for a CPU that was offline at load. */
static u32 cpu_domain(s32 cpu)
{
	u32 key = cpu;
	struct slo_cpu_info *info = bpf_map_lookup_elem(&cpu_info, &key);

	return info && info->domain < nr_domains ? info->domain : SLO_NO_DOMAIN;
}

/* The CPUs of domain @dom, or NULL. */
static const struct cpumask *domain_cpumask(u32 dom)
{
	struct domain_ctx *dctx = bpf_map_lookup_elem(&domain_ctxs, &dom);

	return dctx ? (const struct cpumask *)dctx->cpumask : NULL;
}

/* The CPUs of @info's NUMA node, or NULL (also on a machine of one node). */
static const struct cpumask *node_cpumask(const struct slo_cpu_info *info)
{
	struct node_ctx *nctx;

	if (nr_nodes <= 1 || !info)
		return NULL;
	nctx = bpf_map_lookup_elem(&node_ctxs, &info->node);
	return nctx ? (const struct cpumask *)nctx->cpumask : NULL;
}

/* The online CPUs we schedule, or NULL. */
static const struct cpumask *online_cpumask(void)
{
	struct online_ctx *octx;
	u32 zero = 0;

	octx = bpf_map_lookup_elem(&online_ctxs, &zero);
	return octx ? (const struct cpumask *)octx->cpumask : NULL;
}

/*
 * A CPU for @p to queue near: its current one if allowed and ours, else
 * any allowed CPU that has a domain.  -1 if it may run on none of them.
 */
static s32 queue_cpu(struct task_struct *p)
{
	s32 cpu = scx_bpf_task_cpu(p);
	const struct cpumask *online;

	if (bpf_cpumask_test_cpu(cpu, p->cpus_ptr) &&
	    cpu_domain(cpu) != SLO_NO_DOMAIN)
		return cpu;
	stat_inc(SLO_STAT_AFFINITY_FIXUP);
	online = online_cpumask();
	if (!online)
		return -1;
	cpu = bpf_cpumask_any_and_distribute(p->cpus_ptr, online);
	return (u32)cpu < nr_cpu_ids ? cpu : -1;
}

static struct slo_domain_info *lookup_domain_info(u32 dom)
{
	struct slo_domain_info *info = bpf_map_lookup_elem(&domain_info, &dom);

	if (!info)
		scx_bpf_error("no domain_info for domain %u", dom);
	return info;
}

static struct domain_ctx *lookup_domain_ctx(u32 dom)
{
	struct domain_ctx *dctx = bpf_map_lookup_elem(&domain_ctxs, &dom);

	if (!dctx)
		scx_bpf_error("no domain_ctx for domain %u", dom);
	return dctx;
}

static u64 dsq_of(u32 dom)
{
	return single_dsq ? SLO_SINGLE_DSQ : dom;
}

/* The domain whose clock orders @dom's queue: one clock in single mode. */
static u32 clock_domain(u32 dom)
{
	return single_dsq ? 0 : dom;
}

/*
 * The task's own cgroup on the unified hierarchy, read from the task and not
 * from whatever is current.  Its kernfs id is the cgroup2 directory's inode
 * number, which is how userspace names it.
 */
static struct cgroup *task_dfl_cgroup(struct task_struct *p)
{
	return BPF_CORE_READ(p, cgroups, dfl_cgrp);
}

static u64 cgroup_id_of(struct cgroup *cgrp)
{
	return BPF_CORE_READ(cgrp, kn, id);
}

static struct slo_control *lookup_control(void)
{
	u32 zero = 0;

	return bpf_map_lookup_elem(&slo_control, &zero);
}

/*
 * The budget and weight of the nearest cgroup, from @cgrp up, with an
 * entry in the active budget set; else the default budget.
 */
static void resolve_budget(struct cgroup *cgrp, struct slo_control *ctl,
			   struct task_ctx *tctx)
{
	int level = BPF_CORE_READ(cgrp, level);
	u32 set = ctl->active_set;
	void *budgets;
	int i;

	tctx->budget_ns = ctl->default_budget_ns ?: default_budget_ns;
	budgets = bpf_map_lookup_elem(&slo_budget_sets, &set);
	if (!budgets)
		return;

	for (i = 0; i < SLO_MAX_CGROUP_DEPTH; i++) {
		struct cgroup *ancestor = NULL;
		struct slo_budget *budget;
		u64 id;

		if (level - i < 0)
			break;
		bpf_core_read(&ancestor, sizeof(ancestor),
			      &cgrp->ancestors[level - i]);
		if (!ancestor)
			break;
		id = cgroup_id_of(ancestor);
		budget = bpf_map_lookup_elem(budgets, &id);
		if (budget) {
			tctx->budget_ns = budget->budget_ns;
			return;
		}
	}
}

/*
 * Cache the budget per task; a wakeup only pays for the cgroup walk when the
 * task changed cgroup or the loader changed the budgets.
 */
static void refresh_budget(struct task_struct *p, struct task_ctx *tctx)
{
	struct cgroup *cgrp = task_dfl_cgroup(p);
	struct slo_control *ctl = lookup_control();
	u64 gen, id;

	if (!cgrp || !ctl)
		return;
	gen = ctl->generation;
	id = cgroup_id_of(cgrp);
	if (id == tctx->cgroup_id && gen == tctx->budget_gen && tctx->budget_ns)
		return;
	tctx->cgroup_id = id;
	tctx->budget_gen = gen;
	resolve_budget(cgrp, ctl, tctx);
}

/*
 * Rule 3's slice: a fifth of the budget, within [slice_ns, max_slice_ns]
 * (both 3 ms unless --max-slice): tasks of one budget take turns at slice
 * ends, and a fifth of the budget is what one turn may cost the next.
 */
static u64 task_slice(const struct task_ctx *tctx)
{
	u64 slice;

	/* rodata: without --max-slice the verifier drops the division */
	if (max_slice_ns <= slice_ns)
		return slice_ns;
	slice = tctx->budget_ns / SLO_SLICE_BUDGET_DIV;
	if (slice < slice_ns)
		return slice_ns;
	return slice < max_slice_ns ? slice : max_slice_ns;
}

/*
 * How long the task running on @cctx's CPU may run while a task with a
 * shorter slice waits for that CPU, or 0 for its own slice: the shortest
 * such slice noted within the last max_slice_ns.
 */
static u64 waiter_slice_bound(struct cpu_ctx *cctx, u64 now)
{
	if (!cctx->waiter_slice_at || now - cctx->waiter_slice_at >= max_slice_ns)
		return 0;
	return cctx->waiter_slice;
}

/*
 * Move the task's vruntime onto @dom's clock, keeping its lag: clocks of
 * different domains advance independently.
 */
static void task_set_domain(struct task_ctx *tctx, u32 dom)
{
	struct domain_ctx *from, *to;
	u32 from_clock, to_clock = clock_domain(dom);

	if (tctx->domain == dom)
		return;
	from_clock = clock_domain(tctx->domain);
	tctx->domain = dom;
	if (from_clock == to_clock)
		return;
	from = bpf_map_lookup_elem(&domain_ctxs, &from_clock);
	to = lookup_domain_ctx(to_clock);
	if (!from || !to)
		return;
	tctx->vruntime = tctx->vruntime - from->vclock + to->vclock;
}

/*
 * On wakeup, a task is at most lag_cap_ns behind its domain's clock (the
 * credit a sleeper banks) and at most its own slice ahead of it (the debt
 * it keeps).  Without the second bound, a low-weight sleeper (nice 19 is
 * charged 100x its run time) piles up debt on every run and, waking into a
 * busy domain, waits behind everyone's deadlines for seconds.  Its own
 * slice, not slice_ns: a task that sleeps between runs of up to 20 ms
 * would otherwise shed most of each run's debt, and beat its cpu.weight
 * (weight 100 against a weight-400 hog, sleeping 10% of the time: 0.238
 * of the CPU, not 0.2).
 */
static void clamp_lag(struct task_ctx *tctx)
{
	struct domain_ctx *dctx = lookup_domain_ctx(clock_domain(tctx->domain));
	u64 debt_cap = task_slice(tctx);

	if (!dctx)
		return;
	if ((s64)(dctx->vclock - lag_cap_ns - tctx->vruntime) > 0)
		tctx->vruntime = dctx->vclock - lag_cap_ns;
	else if ((s64)(tctx->vruntime - dctx->vclock - debt_cap) > 0)
		tctx->vruntime = dctx->vclock + debt_cap;
}

/* Index of the highest set bit, 0 for 0. */
static u32 ilog2_u64(u64 v)
{
	u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	return r;
}

static u32 delay_bucket(u64 delay_ns)
{
	u64 delay_us = delay_ns / SLO_NSEC_PER_USEC;
	u32 bucket;

	if (!delay_us)
		return 0;
	bucket = ilog2_u64(delay_us) + 1;
	return bucket < SLO_DELAY_BUCKETS ? bucket : SLO_DELAY_BUCKETS - 1;
}

/*
 * The statistics of @p's cgroup, created on first use.  Not for an
 * exiting task: cgroup_exit() in do_exit() unlinks it from its cgroup,
 * which can then be removed, and the task still runs (SCX_OPS_ENQ_EXITING
 * queues it like any other).  Creating the entry then would undo
 * slo_cgroup_exit()'s delete, and pod churn would fill the map.
 */
static struct slo_cgroup_stats *lookup_cgroup_stats(struct task_struct *p,
						    u64 cgroup_id)
{
	struct slo_cgroup_stats *cs, zero = {};

	cs = bpf_map_lookup_elem(&slo_cgroup_stats, &cgroup_id);
	if (cs || (p->flags & PF_EXITING))
		return cs;
	/* NOEXIST: a CPU that lost the race to insert uses the winner's entry */
	bpf_map_update_elem(&slo_cgroup_stats, &cgroup_id, &zero, BPF_NOEXIST);
	cs = bpf_map_lookup_elem(&slo_cgroup_stats, &cgroup_id);
	if (!cs)
		stat_inc(SLO_STAT_CGROUP_STATS_FULL);
	return cs;
}

/* Rule 6: a task starts running on a CPU of domain @dom at @now. */
static void account_start(struct task_struct *p, struct task_ctx *tctx,
			  u32 dom, u32 node, u64 now)
{
	u64 wall_deadline = tctx->queued_at + tctx->budget_ns;
	/* queued_at may come from another CPU's clock, a little ahead */
	u64 delay = (s64)(now - tctx->queued_at) > 0 ? now - tctx->queued_at : 0;
	bool overdue = (s64)(now - wall_deadline) > 0;
	struct slo_domain_stats *ds = domain_stats(dom);
	struct slo_cgroup_stats *cs;
	u32 from = tctx->queued_domain;

	stat_inc(SLO_STAT_RUNS);
	if (overdue)
		stat_inc(SLO_STAT_MISSES);

	if (ds) {
		if (from == QUEUED_DIRECT) {
			ds->direct_dispatches++;
		} else if (from == dom || single_dsq) {
			ds->local_dispatches++;
		} else {
			struct slo_domain_info *finfo =
				bpf_map_lookup_elem(&domain_info, &from);

			if (finfo && finfo->node == node) {
				ds->steals_same_node++;
			} else {
				ds->steals_other_node++;
				/*
				 * rule 5 crosses nodes only for a deadline at
				 * risk, or one its domain would miss (rescued)
				 */
				if ((s64)(wall_deadline - now) >= (s64)slice_ns && !tctx->rescued)
					ds->steals_not_at_risk++;
			}
		}
	}
	tctx->rescued = false;

	cs = lookup_cgroup_stats(p, tctx->cgroup_id);
	if (!cs)
		return;
	/* shared by every CPU: atomic adds, whose results nobody reads */
	__sync_fetch_and_add(&cs->runs, 1);
	__sync_fetch_and_add(&cs->delay_ns, delay);
	__sync_fetch_and_add(&cs->delay_hist[delay_bucket(delay)], 1);
	if (overdue) {
		__sync_fetch_and_add(&cs->misses, 1);
		__sync_fetch_and_add(&cs->lateness_ns, now - wall_deadline);
	}
}

/*
 * Rule 6: a task that woke at woke_at goes to sleep at @now.  The burst's
 * wait is its time runnable but not running: the start delay plus every
 * wait behind other tasks after a preemption or a slice's end.  Its own
 * run time is not held against it, so a burst that needs more CPU than
 * its budget is late only if it also waited longer than the budget.
 * These feed the shed signal and its concurrency limit (loader/shed.h):
 * for a service that serves one request per wakeup, bursts in flight are
 * requests in flight.
 */
static void account_burst(struct task_struct *p, struct task_ctx *tctx, u64 now)
{
	struct slo_cgroup_stats *cs;
	u64 burst, wait;

	/* woke_at may come from another CPU's clock, a little ahead */
	burst = (s64)(now - tctx->woke_at) > 0 ? now - tctx->woke_at : 0;
	wait = burst > tctx->burst_run_ns ? burst - tctx->burst_run_ns : 0;
	cs = lookup_cgroup_stats(p, tctx->cgroup_id);
	if (!cs)
		return;
	__sync_fetch_and_add(&cs->bursts, 1);
	__sync_fetch_and_add(&cs->burst_ns, burst);
	__sync_fetch_and_add(&cs->burst_wait_ns, wait);
	if (wait > tctx->budget_ns)
		__sync_fetch_and_add(&cs->late_bursts, 1);
}

/*
 * Rule 2.  The cgroup whose cpu.weight governs @p: its task group's, the
 * nearest ancestor with the cpu controller on.
 */
static u64 task_cpu_cgroup_id(struct task_struct *p)
{
	if (bpf_core_field_exists(p->sched_task_group))
		return BPF_CORE_READ(p, sched_task_group, css.cgroup, kn, id);
	return cgroup_id_of(task_dfl_cgroup(p));
}

/*
 * Add @delta to cgroup @id's active_sum.  A cgroup that becomes active or
 * idle adds or takes its cpu.weight in its parent, and so on up.  Every
 * step is one atomic add whose old value decides the transition, so
 * concurrent wakeups and sleeps in one cgroup sort themselves out: of an
 * activation and a deactivation racing, either both propagate or neither.
 */
static void cg_add(u64 id, s64 delta)
{
	u32 i;

	bpf_for(i, 0, SLO_MAX_CGROUP_DEPTH) {
		struct cgroup_ctx *cgc = bpf_map_lookup_elem(&slo_cgroup_ctxs, &id);
		s64 old, new;

		/* nothing reads the root's sum: spare every CPU its cache line */
		if (!cgc || !delta || !cgc->level)
			return;
		old = __sync_fetch_and_add(&cgc->active_sum, delta);
		new = old + delta;
		if (old <= 0 && new > 0)
			delta = cgc->weight;
		else if (old > 0 && new <= 0)
			delta = -(s64)cgc->weight;
		else
			return;
		id = cgc->parent_id;
	}
}

/*
 * @p's weight in the flattened tree, in 1/SLO_WEIGHT_ONE units: its own
 * (nice) weight times, for each cgroup from its own up to the root's
 * child, that cgroup's cpu.weight over the weight active inside it.  The
 * root's own split cancels out, so a task of the root cgroup keeps its
 * nice weight, as before cgroups counted.  Clamped to [0.01, 10^6] so a
 * charge never divides by zero nor overflows.
 */
#define SLO_WEIGHT_SHIFT	16
#define SLO_WEIGHT_ONE		(1ULL << SLO_WEIGHT_SHIFT)

static u64 flat_weight(struct task_ctx *tctx, u32 task_weight)
{
	u64 eff = (u64)task_weight << SLO_WEIGHT_SHIFT;
	u64 id = tctx->counted_cg, below = task_weight;
	u32 i;

	bpf_for(i, 0, SLO_MAX_CGROUP_DEPTH) {
		struct cgroup_ctx *cgc = bpf_map_lookup_elem(&slo_cgroup_ctxs, &id);
		s64 sum;

		if (!cgc || !cgc->level)
			break;
		/* the weight we came from is in it, unless a race hides it */
		sum = cgc->active_sum;
		if (sum < (s64)below)
			sum = below;
		eff = eff * cgc->weight / (u64)sum;
		if (eff < SLO_WEIGHT_ONE / 100)
			eff = SLO_WEIGHT_ONE / 100;
		else if (eff > 1000000 * SLO_WEIGHT_ONE)
			eff = 1000000 * SLO_WEIGHT_ONE;
		below = cgc->weight;
		id = cgc->parent_id;
	}
	return eff;
}

/*
 * Rule 8.  @p's limited ancestors (own cgroup first), re-walked when it
 * changed cgroup or a limit came or went (bw_generation).
 */
static void resolve_bw(struct task_struct *p, struct task_ctx *tctx)
{
	struct cgroup *cgrp = task_dfl_cgroup(p);
	u64 gen = bw_generation, id;
	int level, i;

	if (!cgrp)
		return;
	id = cgroup_id_of(cgrp);
	if (id == tctx->bw_cg && gen == tctx->bw_gen)
		return;
	tctx->bw_cg = id;
	tctx->bw_gen = gen;
	tctx->nr_bw = 0;
	level = BPF_CORE_READ(cgrp, level);
	bpf_for(i, 0, SLO_MAX_CGROUP_DEPTH) {
		struct cgroup *ancestor = NULL;
		u32 n = tctx->nr_bw;
		u64 aid;

		/* the root has no cpu.max */
		if (level - i <= 0 || n >= SLO_BW_LEVELS)
			break;
		bpf_core_read(&ancestor, sizeof(ancestor), &cgrp->ancestors[level - i]);
		if (!ancestor)
			break;
		aid = cgroup_id_of(ancestor);
		if (bpf_map_lookup_elem(&slo_cgroup_limits, &aid)) {
			tctx->bw_ids[n] = aid;
			tctx->nr_bw = n + 1;
		}
	}
	/* a limit that just arrived is not charged for what ran before it */
	tctx->bw_charged_at = scx_bpf_now();
}

/* The bandwidth state of limited cgroup @id, set up on first use. */
static struct slo_cgroup_bw *lookup_bw(u64 id, u64 now)
{
	struct slo_cgroup_bw *bw = bpf_map_lookup_elem(&slo_cgroup_bw, &id);
	struct slo_cgroup_limit *lim;
	struct slo_cgroup_bw fresh = {};

	if (bw)
		return bw;
	lim = bpf_map_lookup_elem(&slo_cgroup_limits, &id);
	if (!lim || !lim->period_ns)
		return NULL;
	fresh.runtime_left = lim->quota_ns;
	fresh.period_end = now + lim->period_ns;
	fresh.period_ns = lim->period_ns;
	fresh.quota_ns = lim->quota_ns;
	fresh.burst_ns = lim->burst_ns;
	bpf_map_update_elem(&slo_cgroup_bw, &id, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&slo_cgroup_bw, &id);
}

/*
 * Start the periods of @bw that ended by @now: add a quota for each (what
 * was overrun is owed, as the fair scheduler's runtime_remaining is), up
 * to quota + burst, and pick up a changed limit.  One CPU does it, the
 * one whose compare-and-swap moves period_end.
 */
static void bw_refill(u64 id, struct slo_cgroup_bw *bw, u64 now)
{
	struct slo_cgroup_limit *lim;
	u64 end = bw->period_end, period, periods;
	s64 left, new, cap, add;

	if ((s64)(now - end) < 0)
		return;
	lim = bpf_map_lookup_elem(&slo_cgroup_limits, &id);
	period = lim && lim->period_ns ? lim->period_ns : bw->period_ns;
	if (!period)
		period = 100 * SLO_NSEC_PER_MSEC;
	periods = (now - end) / period + 1;
	if (__sync_val_compare_and_swap(&bw->period_end, end, end + periods * period) != end)
		return;
	if (!lim) {
		/* no limit any more: nothing is charged against it again */
		bw->quota_ns = 0;
		cap = add = (s64)SLO_NSEC_PER_SEC * 1000;
	} else {
		bool changed = lim->quota_ns != bw->quota_ns ||
			       lim->period_ns != bw->period_ns ||
			       lim->burst_ns != bw->burst_ns;

		bw->period_ns = lim->period_ns;
		bw->quota_ns = lim->quota_ns;
		bw->burst_ns = lim->burst_ns;
		cap = (s64)(lim->quota_ns + lim->burst_ns);
		add = periods > 2 ? cap : (s64)(periods * lim->quota_ns);
		/* a new limit starts afresh: no debt, no credit */
		if (changed)
			add = cap * 4;
	}
	/* charges land meanwhile: add, then take back what exceeds the cap */
	left = __sync_fetch_and_add(&bw->runtime_left, add);
	new = left + add;
	if (new > cap) {
		__sync_fetch_and_add(&bw->runtime_left, cap - new);
		new = cap;
	}
	/*
	 * Forgive debt beyond what quotas repay in half of park_limit_ns:
	 * each CPU overruns by up to a tick, and a small quota (1 ms a second)
	 * on many CPUs would otherwise owe minutes and be let out by the
	 * override instead of by its periods.
	 */
	if (lim && lim->period_ns) {
		s64 floor = -(s64)(lim->quota_ns * (park_limit_ns / 2 / lim->period_ns));

		if (new < floor + add) {
			__sync_fetch_and_add(&bw->runtime_left, floor + add - new);
			new = floor + add;
		}
	}
	if (left <= 0 && new > 0)
		__sync_fetch_and_add(&bw->throttled_ns, now - bw->throttled_since);
}

/* Charge @delta ns of run time to every limited ancestor of the task. */
static void bw_charge(struct task_ctx *tctx, u64 delta, u64 now)
{
	u32 i, n = tctx->nr_bw;

	bpf_for(i, 0, SLO_BW_LEVELS) {
		struct slo_cgroup_bw *bw;
		s64 old;
		u64 id;

		if (i >= n)
			break;
		id = tctx->bw_ids[i];
		bw = lookup_bw(id, now);
		if (!bw)
			continue;
		bw_refill(id, bw, now);
		old = __sync_fetch_and_add(&bw->runtime_left, -(s64)delta);
		if (old > 0 && old <= (s64)delta) {
			bw->throttled_since = now;
			__sync_fetch_and_add(&bw->nr_throttled, 1);
		}
	}
}

/* Whether one of the task's limited ancestors, as cached, is out of quota. */
static bool bw_ids_throttled(struct task_ctx *tctx, u64 now)
{
	u32 i, n = tctx->nr_bw;

	bpf_for(i, 0, SLO_BW_LEVELS) {
		struct slo_cgroup_bw *bw;
		u64 id;

		if (i >= n)
			break;
		id = tctx->bw_ids[i];
		bw = lookup_bw(id, now);
		if (!bw)
			continue;
		bw_refill(id, bw, now);
		if (bw->runtime_left <= 0)
			return true;
	}
	return false;
}

/* Whether a limited ancestor of @p has used up its quota for now. */
static bool task_throttled(struct task_struct *p, struct task_ctx *tctx, u64 now)
{
	resolve_bw(p, tctx);
	return tctx->nr_bw && bw_ids_throttled(tctx, now);
}

/* Bring the task's limited ancestors' charges up to @now. */
static void bw_charge_until(struct task_ctx *tctx, u64 now)
{
	u64 delta = now - tctx->bw_charged_at;

	if (!tctx->nr_bw || (s64)delta <= 0)
		return;
	tctx->bw_charged_at = now;
	bw_charge(tctx, delta, now);
}

static int bw_timer_fn(void *map, int *key, struct bpf_timer *timer);

static void arm_bw_timer(void)
{
	struct bw_timer *t;
	u32 zero = 0;

	if (bw_timer_armed || __sync_val_compare_and_swap(&bw_timer_armed, 0, 1))
		return;
	t = bpf_map_lookup_elem(&bw_timers, &zero);
	if (t)
		bpf_timer_start(&t->timer, SLO_BW_TICK_NS, 0);
}

/*
 * Rule 8's clock.  While tasks are parked, every tick asks the next
 * dispatch to look at them and wakes an idle CPU to do it (busy CPUs
 * dispatch within a slice anyway).
 */
static int bw_timer_fn(void *map, int *key, struct bpf_timer *timer)
{
	struct online_ctx *octx;
	u32 zero = 0;
	s32 cpu;

	if (scx_bpf_dsq_nr_queued(SLO_THROTTLED_DSQ) <= 0) {
		bw_timer_armed = 0;
		/* a task parked since the check above saw the timer armed */
		if (scx_bpf_dsq_nr_queued(SLO_THROTTLED_DSQ) <= 0 ||
		    __sync_val_compare_and_swap(&bw_timer_armed, 0, 1))
			return 0;
	}
	release_pending = 1;
	octx = bpf_map_lookup_elem(&online_ctxs, &zero);
	if (octx) {
		struct bpf_cpumask *online;

		bpf_rcu_read_lock();
		online = octx->cpumask;
		cpu = online ? scx_bpf_pick_idle_cpu((const struct cpumask *)online, 0) : -1;
		bpf_rcu_read_unlock();
		if (cpu >= 0)
			scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
	}
	bpf_timer_start(timer, SLO_BW_TICK_NS, 0);
	return 0;
}

/* Rule 8: @p's cgroup is out of quota; it waits in SLO_THROTTLED_DSQ. */
static void park_throttled(struct task_struct *p, struct task_ctx *tctx,
			   u64 enq_flags, u64 now)
{
	tctx->parked_at = now;
	tctx->queued_domain = QUEUED_DIRECT;
	stat_inc(SLO_STAT_THROTTLES);
	scx_bpf_dsq_insert_vtime(p, SLO_THROTTLED_DSQ, task_slice(tctx), now, enq_flags);
	arm_bw_timer();
}

/*
 * An idle CPU in @mask & p->cpus_ptr, claimed, or -1; @flags as for
 * scx_bpf_pick_idle_cpu() (SCX_PICK_IDLE_CORE: only a CPU whose whole core
 * is idle).
 */
static s32 pick_idle_and(struct task_struct *p, const struct cpumask *mask,
			 struct bpf_cpumask *scratch, u64 flags)
{
	bpf_cpumask_and(scratch, p->cpus_ptr, mask);
	return scx_bpf_pick_idle_cpu((const struct cpumask *)scratch, flags);
}

/*
 * An idle CPU in @mask & p->cpus_ptr, claimed, or -1.  With SMT, a CPU
 * whose whole core is idle comes first.
 */
static s32 pick_idle_in(struct task_struct *p, const struct cpumask *mask,
			struct bpf_cpumask *scratch)
{
	s32 cpu;

	if (smt_enabled) {
		cpu = pick_idle_and(p, mask, scratch, SCX_PICK_IDLE_CORE);
		if (cpu >= 0)
			return cpu;
	}
	return pick_idle_and(p, mask, scratch, 0);
}

/* Whether any CPU of domain @dom is idle. */
static bool domain_has_idle(u32 dom)
{
	const struct cpumask *mask = domain_cpumask(dom), *idle;
	bool has_idle;

	if (!mask)
		return false;
	idle = scx_bpf_get_idle_cpumask();
	has_idle = bpf_cpumask_intersects(mask, idle);
	scx_bpf_put_idle_cpumask(idle);
	return has_idle;
}

/* This CPU's scratch cpumask for select_cpu() and enqueue(), or NULL. */
static struct bpf_cpumask *scratch_mask(void)
{
	u32 this_cpu = bpf_get_smp_processor_id();
	struct cpu_ctx *cctx = bpf_map_lookup_elem(&cpu_ctxs, &this_cpu);

	return cctx ? cctx->scratch : NULL;
}

/* Rule 4's outer circles: an idle CPU of @cpu's node, else anywhere. */
static s32 pick_idle_beyond_llc(struct task_struct *p, s32 cpu)
{
	struct slo_cpu_info *info = bpf_map_lookup_elem(&cpu_info, &cpu);
	const struct cpumask *node = node_cpumask(info);
	struct bpf_cpumask *scratch = scratch_mask();
	s32 idle;

	if (node && scratch) {
		idle = pick_idle_in(p, node, scratch);
		if (idle >= 0)
			return idle;
	}
	return scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
}

/*
 * Rule 4's circles for one kind of idle CPU (@flags, as for
 * scx_bpf_pick_idle_cpu()): @prev_cpu's LLC, its node, anywhere @p may run.
 */
static s32 pick_idle_circles(struct task_struct *p, s32 prev_cpu, u64 flags)
{
	struct slo_cpu_info *info = bpf_map_lookup_elem(&cpu_info, &prev_cpu);
	struct bpf_cpumask *scratch = scratch_mask();
	const struct cpumask *llc = NULL, *node = node_cpumask(info);
	s32 cpu;

	if (info && info->domain < nr_domains)
		llc = domain_cpumask(info->domain);
	if (llc && scratch) {
		cpu = pick_idle_and(p, llc, scratch, flags);
		if (cpu >= 0)
			return cpu;
	}
	if (node && scratch) {
		cpu = pick_idle_and(p, node, scratch, flags);
		if (cpu >= 0)
			return cpu;
	}
	return scx_bpf_pick_idle_cpu(p->cpus_ptr, flags);
}

/* Whether @cpu's whole core is idle (with SMT). */
static bool core_idle(s32 cpu)
{
	const struct cpumask *idle_smt = scx_bpf_get_idle_smtmask();
	bool idle = bpf_cpumask_test_cpu(cpu, idle_smt);

	scx_bpf_put_idle_cpumask(idle_smt);
	return idle;
}

/*
 * Whether another hardware thread of @cpu's core is busy, so that @cpu
 * gets about half a core (with SMT).  A global function, so the verifier
 * checks its loop once, not in every path of dispatch() and enqueue()
 * that reaches it.
 */
__noinline int sibling_busy(s32 cpu)
{
	struct slo_cpu_info *info = bpf_map_lookup_elem(&cpu_info, &cpu);
	const struct cpumask *idle;
	int busy = 0;
	u32 i;

	if (!info || info->nr_core_cpus < 2)
		return 0;
	idle = scx_bpf_get_idle_cpumask();
	bpf_for(i, info->core_start, info->core_start + info->nr_core_cpus) {
		u32 *sibling = bpf_map_lookup_elem(&core_cpus, &i);

		if (!sibling)
			break;
		if (*sibling != (u32)cpu && !bpf_cpumask_test_cpu(*sibling, idle)) {
			busy = 1;
			break;
		}
	}
	scx_bpf_put_idle_cpumask(idle);
	return busy;
}

/*
 * Rule 4 for a task put back on @cpu after its slice or a preemption: an
 * idle CPU to move it to, claimed, or -1 to queue it in its domain.  Off
 * a busy-sibling core, a whole idle core anywhere comes first; else an
 * idle CPU of its node or anywhere, only if its own domain has none
 * (kick_for() wakes that one for the domain's earliest deadline).  Global,
 * for the verifier, as sibling_busy().
 */
__noinline s32 requeue_cpu(struct task_struct *p __arg_trusted, s32 cpu)
{
	s32 idle;

	if (smt_enabled && sibling_busy(cpu)) {
		idle = pick_idle_circles(p, cpu, SCX_PICK_IDLE_CORE);
		if (idle >= 0) {
			stat_inc(SLO_STAT_REQUEUE_CORE);
			return idle;
		}
	}
	if (domain_has_idle(cpu_domain(cpu)))
		return -1;
	return pick_idle_beyond_llc(p, cpu);
}

/*
 * With SMT, whether @prev, whose slice ended on @cpu, should leave it for
 * a whole idle core rather than be kept: not kept, it goes through
 * enqueue() (with SCX_ENQ_LAST if nothing else runs here), and
 * requeue_cpu() moves it.
 */
static bool prev_wants_core(struct task_struct *prev, s32 cpu)
{
	const struct cpumask *idle_smt;
	bool any;

	if (!smt_enabled || single_dsq || prev->nr_cpus_allowed < 2 ||
	    !sibling_busy(cpu))
		return false;
	idle_smt = scx_bpf_get_idle_smtmask();
	any = bpf_cpumask_intersects(idle_smt, prev->cpus_ptr);
	scx_bpf_put_idle_cpumask(idle_smt);
	return any;
}

/*
 * Rule 4: prev CPU, its LLC, its node, anywhere.  With SMT, that order is
 * walked for a CPU whose whole core is idle first, as the kernel's
 * built-in selection does: a CPU whose sibling is busy gets about half a
 * core, and a task that took one would otherwise keep it, its previous
 * CPU being idle at every wakeup, while whole cores idle.
 */
static s32 pick_idle_cpu(struct task_struct *p, s32 prev_cpu)
{
	bool prev_ok = bpf_cpumask_test_cpu(prev_cpu, p->cpus_ptr);
	s32 cpu;

	if (smt_enabled) {
		if (prev_ok && core_idle(prev_cpu) &&
		    scx_bpf_test_and_clear_cpu_idle(prev_cpu))
			return prev_cpu;
		if (p->nr_cpus_allowed > 1) {
			cpu = pick_idle_circles(p, prev_cpu, SCX_PICK_IDLE_CORE);
			if (cpu >= 0)
				return cpu;
		}
	}
	if (prev_ok && scx_bpf_test_and_clear_cpu_idle(prev_cpu))
		return prev_cpu;
	if (p->nr_cpus_allowed == 1)
		return -1;
	return pick_idle_circles(p, prev_cpu, 0);
}

/*
 * Of @dom's CPUs that @p may use, the one running the latest deadline, if
 * @p's deadline (@rel_deadline past the domain's clock) beats it by more
 * than a slice; else -1.  *@budget_left counts down the CPUs looked at.
 */
static s32 preemptible_in(struct task_struct *p, u32 dom, s64 rel_deadline,
			  int *budget_left)
{
	struct slo_domain_info *dinfo = bpf_map_lookup_elem(&domain_info, &dom);
	u32 clock_dom = clock_domain(dom), i;
	struct domain_ctx *dctx = bpf_map_lookup_elem(&domain_ctxs, &clock_dom);
	s64 best = (s64)slice_ns;
	s32 victim = -1;

	if (!dinfo || !dctx)
		return -1;
	bpf_for(i, dinfo->cpus_start, dinfo->cpus_start + dinfo->nr_cpus) {
		struct cpu_ctx *cctx;
		u32 *cpup, cpu;
		s64 ahead;

		if (--(*budget_left) < 0)
			break;
		cpup = bpf_map_lookup_elem(&domain_cpus, &i);
		if (!cpup)
			break;
		cpu = *cpup;
		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			continue;
		cctx = bpf_map_lookup_elem(&cpu_ctxs, &cpu);
		if (!cctx || !cctx->running_deadline)
			continue;
		/* how much later the running deadline is than ours */
		ahead = (s64)(cctx->running_deadline - dctx->vclock) - rel_deadline;
		if (ahead > best) {
			best = ahead;
			victim = cpu;
		}
	}
	return victim;
}

/*
 * No CPU is idle: queue @p where it will run at once, on a CPU near
 * @prev_cpu (its LLC, then the same-node part of the steal order) running a
 * deadline it beats by more than a slice; enqueue then preempts that CPU
 * (rule 3).  Deadlines are compared as distances from each domain's own
 * clock.  At most SLO_PREEMPT_SCAN CPUs are looked at.  -1 if there is none.
 */
static s32 pick_preempt_cpu(struct task_struct *p, struct task_ctx *tctx,
			    s32 prev_cpu)
{
	struct slo_domain_info *dinfo;
	struct domain_ctx *dctx;
	u32 dom = cpu_domain(prev_cpu), clock_dom, i, nr_scan;
	int budget_left = SLO_PREEMPT_SCAN;
	s64 lag;
	s32 cpu;

	if (single_dsq || dom == SLO_NO_DOMAIN)
		return -1;
	clock_dom = clock_domain(tctx->domain);
	dctx = bpf_map_lookup_elem(&domain_ctxs, &clock_dom);
	if (!dctx)
		return -1;
	/* its lag once woken: runnable() will clamp it to lag_cap_ns */
	lag = (s64)(dctx->vclock - tctx->vruntime);
	if (lag > (s64)lag_cap_ns)
		lag = lag_cap_ns;

	cpu = preemptible_in(p, dom, (s64)tctx->budget_ns - lag, &budget_left);
	if (cpu >= 0)
		return cpu;
	dinfo = bpf_map_lookup_elem(&domain_info, &dom);
	if (!dinfo)
		return -1;
	/* same node only: no cross-node migration of a task that is not late */
	nr_scan = dinfo->nr_same_node < steal_scan_max ? dinfo->nr_same_node : steal_scan_max;
	bpf_for(i, 0, nr_scan) {
		u32 idx = dinfo->steal_start + i, *other;

		if (budget_left <= 0)
			break;
		other = bpf_map_lookup_elem(&steal_order, &idx);
		if (!other)
			break;
		cpu = preemptible_in(p, *other, (s64)tctx->budget_ns - lag, &budget_left);
		if (cpu >= 0)
			return cpu;
	}
	return -1;
}

s32 BPF_STRUCT_OPS(slo_select_cpu, struct task_struct *p, s32 prev_cpu,
		   u64 wake_flags)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	s32 cpu;

	if (!tctx)
		return prev_cpu;
	/* out of quota: enqueue parks it */
	if (task_throttled(p, tctx, scx_bpf_now()))
		return prev_cpu;
	cpu = pick_idle_cpu(p, prev_cpu);
	if (cpu >= 0) {
		tctx->queued_domain = QUEUED_DIRECT;
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, task_slice(tctx), 0);
		return cpu;
	}
	if (p->nr_cpus_allowed > 1) {
		refresh_budget(p, tctx);
		cpu = pick_preempt_cpu(p, tctx, prev_cpu);
		if (cpu >= 0)
			return cpu;
	}
	return prev_cpu;
}
/* A kick went out for @dom's queue: unanswered, it makes the head at risk. */
static void note_kick(u32 dom)
{
	struct domain_ctx *dctx;

	if (single_dsq)
		return;
	dctx = lookup_domain_ctx(dom);
	if (dctx && !dctx->kick_pending_since)
		dctx->kick_pending_since = scx_bpf_now() ?: 1;
}

/* Wake idle @cpu, claimed, for a task queued on @dom. */
static void kick_idle(s32 cpu, u32 dom)
{
	struct slo_domain_stats *ds = domain_stats(dom);

	note_kick(dom);
	scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
	if (ds)
		ds->idle_kicks++;
}

/* The CPUs that run @dom's queue: the domain's, or all with --single-dsq. */
static const struct cpumask *queue_cpumask(u32 dom)
{
	return single_dsq ? online_cpumask() : domain_cpumask(dom);
}

/*
 * An idle CPU, claimed, among those that run @dom's queue that @p may
 * use, or -1; with @whole_core only one whose whole core is idle (SMT).
 */
static s32 claim_idle_for(struct task_struct *p, u32 dom, bool whole_core)
{
	const struct cpumask *mask = queue_cpumask(dom);
	struct bpf_cpumask *scratch = scratch_mask();

	if (!scratch || !mask)
		return -1;
	if (whole_core)
		return pick_idle_and(p, mask, scratch, SCX_PICK_IDLE_CORE);
	return pick_idle_in(p, mask, scratch);
}

/*
 * Rule 3: wake an idle CPU of @dom that @p may use, or preempt the one
 * running the latest deadline if @vdeadline beats it by more than a slice.
 * A CPU between two tasks is about to dispatch and will see @p: it only
 * gets an idle kick, in case its dispatch just missed @p.  In single-DSQ
 * mode every CPU shares the queue and is a candidate.  At most
 * SLO_KICK_SCAN of the CPUs @p may use are looked at, from a random place
 * in the domain, so an enqueue costs the same on an LLC of 112 CPUs (or
 * with --single-dsq on a machine of 512) as on one of 16: the victim is
 * the latest deadline of that sample, and an idle CPU beyond the sample is
 * still found, from the idle mask.  Returns whether it woke or preempted
 * a CPU that @p may use: one that reaches a scheduling point now.
 */
__noinline int kick_for(struct task_struct *p __arg_trusted, u32 dom,
			u64 vdeadline, u64 slice, u64 enq_flags)
{
	const struct cpumask *idle;
	struct slo_domain_info *dinfo;
	struct slo_domain_stats *ds;
	struct cpu_ctx *vctx;
	u32 start, nr, offset = 0, looked = 0, j, victim = 0;
	s32 wake = -1;
	u64 latest = 0;

	if (single_dsq) {
		start = 0;
		nr = nr_online_cpus;
	} else {
		dinfo = lookup_domain_info(dom);
		if (!dinfo)
			return false;
		start = dinfo->cpus_start;
		nr = dinfo->nr_cpus;
	}
	if (!nr)
		return false;
	if (nr > SLO_KICK_SCAN)
		offset = bpf_get_prandom_u32() % nr;

	/*
	 * With SMT, a whole idle core first, as for a wakeup (rule 4): the
	 * sample below takes the first idle CPU it meets, and a CPU-bound
	 * task moved off a busy-sibling core would go straight back there
	 * the next time it is queued.
	 */
	if (smt_enabled) {
		/* not in @wake: the loop's states prune on its being -1 */
		s32 core_cpu = claim_idle_for(p, dom, true);

		if (core_cpu >= 0) {
			kick_idle(core_cpu, dom);
			return true;
		}
	}

	idle = scx_bpf_get_idle_cpumask();
	bpf_for(j, 0, nr) {
		struct cpu_ctx *cctx;
		u32 *cpup, cpu, pos = offset + j, idx;
		u64 running;

		if (looked >= SLO_KICK_SCAN)
			break;
		idx = start + (pos >= nr ? pos - nr : pos);
		cpup = bpf_map_lookup_elem(&domain_cpus, &idx);
		if (!cpup)
			break;
		cpu = *cpup;
		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			continue;
		looked++;
		/*
		 * Claimed, so that a burst of wakeups spreads over the idle
		 * CPUs instead of all kicking the first one.
		 */
		if (bpf_cpumask_test_cpu(cpu, idle) && scx_bpf_test_and_clear_cpu_idle(cpu)) {
			wake = cpu;
			break;
		}
		cctx = bpf_map_lookup_elem(&cpu_ctxs, &cpu);
		/* run by a higher class: neither between tasks nor preemptible */
		if (!cctx || cctx->released)
			continue;
		running = cctx->running_deadline;
		/*
		 * This CPU, between two tasks, is putting its last one back
		 * (the only enqueue that runs on a CPU inside its own
		 * schedule()): its dispatch has already chosen what runs
		 * next.  A kick would only cost it an irq_work interrupt
		 * (these self-kicks were over half of all kicks with 8 hogs
		 * and a latency probe on 8 vCPUs); keep looking for a CPU
		 * that can take @p.  With SCX_ENQ_LAST it found nothing and
		 * goes idle, so it is kicked below.
		 */
		if (!running && cpu == bpf_get_smp_processor_id() &&
		    !(enq_flags & SCX_ENQ_LAST))
			continue;
		if (!running) {
			/*
			 * Between two tasks.  Its dispatch may have found the
			 * queue empty just before our insert, and then it goes
			 * idle with @p queued; an idle kick, which the kernel
			 * skips when the CPU is sure to run a full scheduling
			 * cycle, closes that window.
			 */
			wake = cpu;
			break;
		}
		if (running > latest) {
			latest = running;
			victim = cpu;
		}
	}
	scx_bpf_put_idle_cpumask(idle);
	/* the sample was cut short: an idle CPU outside it beats a preemption */
	if (wake < 0 && looked >= SLO_KICK_SCAN)
		wake = claim_idle_for(p, dom, false);
	if (wake >= 0) {
		kick_idle(wake, dom);
		return true;
	}
	if (latest && (s64)(latest - vdeadline) > (s64)slice_ns)
		note_kick(dom);
	ds = domain_stats(dom);
	if (!latest)
		return false;
	vctx = bpf_map_lookup_elem(&cpu_ctxs, &victim);
	if (!vctx)
		return false;
	if ((s64)(latest - vdeadline) <= (s64)slice_ns) {
		/*
		 * Not preempting: @p waits its turn, which must not mean
		 * waiting out a slice longer than its own (a low cpu.weight
		 * can put a tight task's deadline behind loose tasks'): the
		 * victim's tick ends such a slice early.
		 */
		if (max_slice_ns > slice_ns && slice < max_slice_ns) {
			u64 now = scx_bpf_now();

			if (!waiter_slice_bound(vctx, now) || slice <= vctx->waiter_slice) {
				vctx->waiter_slice = slice;
				vctx->waiter_slice_at = now;
			}
			/* rule 5's prediction: that tick comes within @slice */
			if ((s64)(vctx->slice_end - (now + slice)) > 0)
				vctx->slice_end = now + slice;
		}
		return false;
	}
	/* one kick per victim until it reschedules */
	vctx->running_deadline = vdeadline;
	vctx->slice_end = scx_bpf_now();
	scx_bpf_kick_cpu(victim, SCX_KICK_PREEMPT);
	if (ds)
		ds->preempt_kicks++;
	return true;
}

static int rescue_timer_fn(void *map, int *key, struct bpf_timer *timer);
int domain_starts_by(struct task_struct *p, u32 dom, u64 by, u64 now);
int summon_helper(struct task_struct *p, u32 dom);

/*
 * Rule 5: have @dom's rescue timer go off at @at, unless it is due
 * sooner already.  Two CPUs arming it at once may leave it due at the
 * later of their times; the timer then looks at whatever heads the queue.
 */
static void arm_rescue(u32 dom, u64 at, u64 now)
{
	struct domain_ctx *dctx;
	struct rescue_timer *t;

	if (single_dsq || nr_domains < 2)
		return;
	dctx = lookup_domain_ctx(dom);
	if (!dctx || (dctx->rescue_at && (s64)(dctx->rescue_at - at) <= 0))
		return;
	t = bpf_map_lookup_elem(&rescue_timers, &dom);
	if (!t)
		return;
	dctx->rescue_at = at ?: 1;
	bpf_timer_start(&t->timer, (s64)(at - now) > 0 ? at - now : 0, 0);
}

void BPF_STRUCT_OPS(slo_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct slo_domain_stats *ds;
	struct slo_cpu_info *info;
	struct task_ctx *tctx;
	bool kicked;
	u64 slice;
	s32 cpu;

	tctx = lookup_task_ctx(p);
	if (!tctx)
		return;
	refresh_budget(p, tctx);
	if (enq_flags & SCX_ENQ_REENQ)
		stat_inc(SLO_STAT_RT_REQUEUES);

	/* per-CPU kthreads (ksoftirqd, kworkers) run where they must, now */
	if ((p->flags & PF_KTHREAD) && p->nr_cpus_allowed == 1) {
		stat_inc(SLO_STAT_KTHREAD_LOCAL);
		tctx->queued_domain = QUEUED_DIRECT;
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, task_slice(tctx), enq_flags);
		return;
	}

	if (task_throttled(p, tctx, scx_bpf_now())) {
		park_throttled(p, tctx, enq_flags, scx_bpf_now());
		return;
	}

	/*
	 * Rule 4 for a task put back after its slice or a preemption.  Only
	 * wakeups pass through select_cpu(), so without this a CPU-bound task
	 * never leaves its domain: two of them share a CPU while a CPU of
	 * another node idles, since neither waits long enough to be overdue
	 * and stolen.  An idle CPU of its own domain is left to kick_for(),
	 * which wakes it to run the earliest deadline queued there, except
	 * that a task off a busy-sibling core takes a whole idle core first
	 * (requeue_cpu()).  In single-DSQ mode every idle CPU is kicked for
	 * the one queue already.
	 * A migration-disabled task, once switched out, has p->cpus_ptr
	 * narrowed to its own CPU, so it is never moved.  A move to another
	 * node is not for a deadline at risk, but an idle CPU is free
	 * capacity: it is counted apart (requeue-far), not as a steal.
	 */
	cpu = scx_bpf_task_cpu(p);
	if (!(enq_flags & SCX_ENQ_WAKEUP) && !single_dsq && p->nr_cpus_allowed > 1) {
		s32 from = cpu;

		cpu = requeue_cpu(p, from);
		if (cpu >= 0) {
			struct slo_cpu_info *src = lookup_cpu_info(from);
			struct slo_cpu_info *dst = lookup_cpu_info(cpu);

			stat_inc(SLO_STAT_REQUEUE_IDLE);
			if (src && dst && src->node != dst->node)
				stat_inc(SLO_STAT_REQUEUE_FAR);
			tctx->queued_domain = QUEUED_DIRECT;
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | cpu, task_slice(tctx),
					   enq_flags);
			scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
			return;
		}
	}

	/* queue in the domain of a CPU the task may actually use */
	cpu = queue_cpu(p);
	if (cpu < 0) {
		scx_bpf_error("pid %d may run on no CPU we schedule", p->pid);
		return;
	}
	info = lookup_cpu_info(cpu);
	if (!info)
		return;

	task_set_domain(tctx, info->domain);
	tctx->vdeadline = tctx->vruntime + tctx->budget_ns;
	tctx->wall_deadline = tctx->queued_at + tctx->budget_ns;
	tctx->queued_domain = info->domain;
	ds = domain_stats(info->domain);
	if (ds)
		ds->enqueues++;
	slice = task_slice(tctx);
	scx_bpf_dsq_insert_vtime(p, dsq_of(info->domain), slice, tctx->vdeadline,
				 enq_flags);
	kicked = kick_for(p, info->domain, tctx->vdeadline, slice, enq_flags);
	/*
	 * Rule 5: a domain none of whose CPUs will start @p in time (held by
	 * RT tasks, or not answering) gets help now; else look again once @p
	 * is at risk, in case one stops answering meanwhile.  A CPU just woken
	 * or preempted for @p answers now, so the prediction is not asked
	 * (an idle CPU claimed by the kick is no longer in the idle mask, and
	 * would be taken for one that does not answer); the timer still
	 * catches a kick that goes unanswered.
	 */
	if (!single_dsq && nr_domains > 1) {
		u64 now = scx_bpf_now();

		if (!kicked && !domain_starts_by(p, info->domain, tctx->wall_deadline, now))
			summon_helper(p, info->domain);
		arm_rescue(info->domain, tctx->wall_deadline - slice_ns, now);
	}
}

/* The task_ctx of the first task queued on @dsq_id, or NULL if none. */
static struct task_ctx *head_tctx(u64 dsq_id)
{
	struct task_struct *p = NULL;

	if (use_dsq_peek && bpf_ksym_exists(scx_bpf_dsq_peek___compat)) {
		p = scx_bpf_dsq_peek___compat(dsq_id);
		return p ? bpf_task_storage_get(&task_ctxs, p, 0, 0) : NULL;
	}
	bpf_for_each(scx_dsq, p, dsq_id, 0)
		return bpf_task_storage_get(&task_ctxs, p, 0, 0);
	return NULL;
}

/* Wall deadline of the first task queued on @dsq_id, or U64_MAX if none. */
static u64 head_wall_deadline(u64 dsq_id)
{
	struct task_ctx *tctx = head_tctx(dsq_id);

	return tctx ? tctx->wall_deadline : (u64)-1;
}

/* The virtual deadline running @tctx would be queued with @now. */
static u64 running_vdeadline(struct task_ctx *tctx, u64 now)
{
	return tctx->vruntime + tctx->budget_ns +
	       (now - tctx->started_at) * (100 * SLO_WEIGHT_ONE) /
	       flat_weight(tctx, tctx->counted_weight ?: 100);
}

/*
 * Rule 1 for the task whose slice just ended: @prev, still runnable, is not
 * in the queue while dispatch looks at it, so without this any queued task
 * would take its place, and two CPU-bound tasks would alternate slice by
 * slice whatever their weights.  It keeps the CPU for another slice while
 * the deadline it would be queued with now is no later than the head's.
 */
/* @prev's context if it is still runnable and not out of quota, else NULL. */
static struct task_ctx *prev_may_go_on(struct task_struct *prev, u64 now)
{
	struct task_ctx *tctx;

	if (!prev || !(prev->scx.flags & SCX_TASK_QUEUED))
		return NULL;
	tctx = bpf_task_storage_get(&task_ctxs, prev, 0, 0);
	if (!tctx || (tctx->nr_bw && bw_ids_throttled(tctx, now)))
		return NULL;
	return tctx;
}

static bool prev_keeps_cpu(struct task_struct *prev, u64 dsq_id, u64 now)
{
	struct task_ctx *tctx, *head;

	tctx = prev_may_go_on(prev, now);
	if (!tctx)
		return false;
	head = head_tctx(dsq_id);
	if (!head)
		return false;
	return (s64)(running_vdeadline(tctx, now) - head->vdeadline) <= 0;
}

/*
 * Rule 5's bound on virtual time: the deadline of what @dom's CPU would
 * run otherwise, @head of @dom's queue (NULL if empty) or @running (its
 * task, still runnable, NULL if none), as an offset from @dom's clock.  A task taken
 * from another domain must be earlier on its own clock, so that stealing
 * follows cpu.weight as each queue does: a tight budget of low weight
 * that is always late (weight 1 with 1 ms, against 10000 with 5 ms) took
 * every CPU of the next LLC by its wall deadline, and a sleeper queued
 * there ran only after the starvation backstop, 2.5 s later.
 * SLO_NO_VBOUND: nothing to run here, anything at risk may come.
 */
#define SLO_NO_VBOUND		((s64)(~0ULL >> 1))

static s64 own_vbound(u32 dom, struct task_ctx *head, struct task_struct *running,
		      u64 now)
{
	struct domain_ctx *dctx = lookup_domain_ctx(clock_domain(dom));
	struct task_ctx *tctx;
	s64 bound = SLO_NO_VBOUND, rel;

	if (!dctx)
		return bound;
	if (head)
		bound = (s64)(head->vdeadline - dctx->vclock);
	tctx = prev_may_go_on(running, now);
	if (tctx) {
		rel = (s64)(running_vdeadline(tctx, now) - dctx->vclock);
		if (rel < bound)
			bound = rel;
	}
	return bound;
}

/*
 * Rule 5: why a task queued in another domain, with wall deadline
 * @wall_deadline, may be taken now (a SLO_STAT_STEAL_* index), or 0.  Each
 * busy CPU reaches a scheduling point within a slice, so a task with less
 * than a slice of slack may not start in time where it is.  On our node
 * the horizon is two slices, since that CPU may run a task of its own
 * first and the move costs no memory locality.  A task whose queue's kick
 * has gone unanswered may not start at all (a vCPU the hypervisor
 * descheduled, an interrupt storm), which only a CPU of the same node
 * acts on before the deadline is at risk.
 */
static u32 steal_reason(u64 wall_deadline, bool same_node, bool kick_late, u64 now)
{
	s64 slack = (s64)(wall_deadline - now);
	s64 horizon = same_node ? 2 * (s64)slice_ns : (s64)slice_ns;

	if (slack <= 0)
		return SLO_STAT_STEAL_OVERDUE;
	if (slack < horizon)
		return SLO_STAT_STEAL_AT_RISK;
	if (same_node && kick_late)
		return SLO_STAT_STEAL_UNANSWERED;
	return 0;
}

/*
 * Whether a task may be stolen whatever own_vbound() says: its domain does
 * not answer its kick (@kick_late: a descheduled vCPU, an interrupt storm,
 * CPUs held by RT tasks), or it is overdue by a quarter of starve_ns.
 * Weights share CPUs that serve a queue; a queue nobody serves gets no
 * share at all, and its own domain's starvation backstop needs one of its
 * CPUs to dispatch.
 */
static bool steal_past_weight(u64 wall_deadline, bool kick_late, u64 now)
{
	return kick_late || (s64)(now - wall_deadline) > (s64)(starve_ns / 4);
}

/* A domain whose queue's head may be taken, as steal_from() needs it. */
struct steal_target {
	u32 victim;
	s64 own_vbound;		/* own_vbound() of the thief, set by the caller */
	u64 victim_vclock;
	bool same_node;
	bool kick_late;
	bool rescue;		/* also a task the victim would start too late */
};

/*
 * Rule 5 for entry @i of @dinfo's scan order (the same-node domains
 * first, then the cross-node ones): why its head, earlier than @own_head
 * and no later than @t->own_vbound on virtual time, may be taken now
 * (filling *@t), or 0.
 */
static u32 scan_victim(struct slo_domain_info *dinfo, u32 i, u64 own_head,
		       u64 now, struct steal_target *t)
{
	u32 pos = i < dinfo->nr_scan_same_node ? i :
		  dinfo->nr_same_node + (i - dinfo->nr_scan_same_node);
	u32 idx = dinfo->steal_start + pos, *vdom;
	struct domain_ctx *vctx;
	struct task_ctx *head;
	u64 since;

	vdom = bpf_map_lookup_elem(&steal_order, &idx);
	if (!vdom || scx_bpf_dsq_nr_queued(*vdom) <= 0)
		return 0;
	head = head_tctx(*vdom);
	vctx = lookup_domain_ctx(*vdom);
	if (!head || !vctx || head->wall_deadline >= own_head)
		return 0;
	since = vctx->kick_pending_since;
	t->kick_late = since && (s64)(now - since) > (s64)(slice_ns / 2);
	/* the head is the earliest there on virtual time: none later beats us */
	if (!steal_past_weight(head->wall_deadline, t->kick_late, now) &&
	    (s64)(head->vdeadline - vctx->vclock) > t->own_vbound)
		return 0;
	t->victim = *vdom;
	t->victim_vclock = vctx->vclock;
	t->same_node = i < dinfo->nr_scan_same_node;
	return steal_reason(head->wall_deadline, t->same_node, t->kick_late, now);
}

/*
 * Rule 5: take a task at risk (steal_reason()), earlier than @own_head,
 * that may run on @cpu, from the first SLO_STEAL_DEPTH of domain
 * @t->victim's queue.
 */
static bool steal_from(const struct steal_target *t, s32 cpu, u64 own_head,
		       u64 now)
{
	struct task_struct *p;
	int depth = 0;

	bpf_for_each(scx_dsq, p, dsq_of(t->victim), 0) {
		struct task_ctx *tctx;
		u32 reason;

		if (++depth > SLO_STEAL_DEPTH)
			break;
		tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
		if (!tctx || tctx->wall_deadline >= own_head)
			continue;
		if (!steal_past_weight(tctx->wall_deadline, t->kick_late, now) &&
		    (s64)(tctx->vdeadline - t->victim_vclock) > t->own_vbound)
			continue;
		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			continue;
		reason = steal_reason(tctx->wall_deadline, t->same_node, t->kick_late, now);
		if (!reason && t->rescue &&
		    !domain_starts_by(p, t->victim, tctx->wall_deadline, now))
			reason = SLO_STAT_STEAL_PREDICTED;
		if (!reason)
			continue;
		if (scx_bpf_dsq_move(BPF_FOR_EACH_ITER, p, SCX_DSQ_LOCAL, 0)) {
			tctx->rescued = reason == SLO_STAT_STEAL_PREDICTED;
			stat_inc(reason);
			return true;
		}
	}
	return false;
}

/*
 * Rule 5's prediction: whether a CPU of @dom that @p may use reaches a
 * scheduling point by @by.  An idle one does, unless the domain's kick has
 * gone unanswered for half a slice.  A busy one does if its task's slice
 * (or the kick that cut it short) ends by @by and is not over half a
 * slice past: one that is does not answer (a vCPU the hypervisor
 * descheduled, an interrupt storm).  Nor does one that has run no task of
 * ours for half a slice without being idle: an RT or deadline task holds
 * it (ops.cpu_release is not called on every way such a task takes a
 * CPU, so that flag alone would miss some).  At most SLO_KICK_SCAN CPUs
 * are looked at.
 */
static __always_inline bool do_domain_starts_by(struct task_struct *p, u32 dom,
						u64 by, u64 now)
{
	struct slo_domain_info *dinfo = lookup_domain_info(dom);
	struct domain_ctx *dctx = lookup_domain_ctx(dom);
	s64 grace = (s64)(slice_ns / 2);
	const struct cpumask *idle;
	bool stale_kick, starts = false;
	u32 i, end;

	if (!dinfo || !dctx)
		return true;
	stale_kick = dctx->kick_pending_since &&
		     (s64)(now - dctx->kick_pending_since) > grace;
	end = dinfo->cpus_start + (dinfo->nr_cpus < SLO_KICK_SCAN ? dinfo->nr_cpus : SLO_KICK_SCAN);
	idle = scx_bpf_get_idle_cpumask();
	bpf_for(i, dinfo->cpus_start, end) {
		struct cpu_ctx *cctx;
		u32 *cpup, cpu;
		u64 slice_end;

		cpup = bpf_map_lookup_elem(&domain_cpus, &i);
		if (!cpup)
			break;
		cpu = *cpup;
		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			continue;
		cctx = bpf_map_lookup_elem(&cpu_ctxs, &cpu);
		if (!cctx || cctx->released)
			continue;
		if (!cctx->running_deadline) {
			/* idle, or between two tasks of ours */
			if (!stale_kick && (bpf_cpumask_test_cpu(cpu, idle) ||
					    (s64)(now - cctx->stopped_at) <= grace)) {
				starts = true;
				break;
			}
			continue;
		}
		slice_end = cctx->slice_end;
		if ((s64)(now - slice_end) <= grace && (s64)(slice_end - by) <= 0) {
			starts = true;
			break;
		}
	}
	scx_bpf_put_idle_cpumask(idle);
	return starts;
}

/*
 * Rule 5's rescue, for @p queued in @dom, which no CPU of @dom will start
 * before its wall deadline: kick the nearest CPU that can take it, in
 * @dom's steal order (same node first, then by NUMA distance), an idle
 * one, else the one running the latest deadline @p beats by more than a
 * slice.  That CPU's dispatch looks at @dom first (rescue_from) and takes
 * @p if its domain still would not start it in time.
 */
static __always_inline bool do_summon_helper(struct task_struct *p, u32 dom)
{
	struct slo_domain_info *dinfo = lookup_domain_info(dom);
	struct domain_ctx *dctx = lookup_domain_ctx(clock_domain(dom));
	int budget_left = SLO_PREEMPT_SCAN;
	struct task_ctx *tctx;
	struct cpu_ctx *hctx;
	s64 rel_deadline;
	u32 i;

	if (!p || !dinfo || !dctx)
		return false;
	tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
	if (!tctx)
		return false;
	rel_deadline = (s64)(tctx->vdeadline - dctx->vclock);
	bpf_for(i, 0, nr_domains - 1) {
		u32 idx = dinfo->steal_start + i, *other;
		bool idle = false;
		s32 cpu;

		if (budget_left <= 0)
			break;
		other = bpf_map_lookup_elem(&steal_order, &idx);
		if (!other)
			break;
		cpu = claim_idle_for(p, *other, false);
		if (cpu >= 0)
			idle = true;
		else
			cpu = preemptible_in(p, *other, rel_deadline, &budget_left);
		if (cpu < 0)
			continue;
		hctx = bpf_map_lookup_elem(&cpu_ctxs, &cpu);
		if (!hctx)
			return false;
		hctx->rescue_from = dom + 1;
		if (!idle) {
			struct domain_ctx *hdctx = lookup_domain_ctx(clock_domain(*other));

			/*
			 * one kick per helper until it reschedules: it runs
			 * @p's deadline, as seen on its own domain's clock
			 */
			if (hdctx)
				hctx->running_deadline = hdctx->vclock + rel_deadline;
			hctx->slice_end = scx_bpf_now();
		}
		scx_bpf_kick_cpu(cpu, idle ? SCX_KICK_IDLE : SCX_KICK_PREEMPT);
		stat_inc(SLO_STAT_RESCUE_KICKS);
		return true;
	}
	return false;
}

/*
 * kick_for(), domain_starts_by() and summon_helper() are global functions,
 * as requeue_cpu() is, so the verifier checks each once instead of in every
 * path of enqueue() and dispatch() that reaches it: 87,000 instructions
 * verified at load instead of 180,000 on 7.3.4, 144,000 instead of 289,000
 * on 6.12.  A global function is checked as a part of each program that
 * calls it, and the rescue timer's callback, which calls these two,
 * belongs to slo_init(), a sleepable program, where the verifier does not
 * assume an RCU read-side section: 6.12 then refuses p->cpus_ptr, an RCU
 * pointer, to the cpumask kfuncs.  So these two hold the RCU read lock
 * themselves; kick_for(), reached from enqueue() only, does not need it.
 */
__noinline int domain_starts_by(struct task_struct *p __arg_trusted, u32 dom,
				u64 by, u64 now)
{
	bool starts;

	bpf_rcu_read_lock();
	starts = do_domain_starts_by(p, dom, by, now);
	bpf_rcu_read_unlock();
	return starts;
}

__noinline int summon_helper(struct task_struct *p __arg_trusted, u32 dom)
{
	bool summoned;

	bpf_rcu_read_lock();
	summoned = do_summon_helper(p, dom);
	bpf_rcu_read_unlock();
	return summoned;
}

/*
 * Rule 5, on @dom's rescue timer: @p heads the queue.  Once it is at risk
 * (less than a slice of slack), rescue it if no CPU of @dom will start it
 * in time, and look again half a slice on while it waits.  Returns when
 * the timer is next due.
 */
static u64 rescue_head(struct task_struct *p, u32 dom, u64 now)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
	u64 at;

	if (!tctx)
		return 0;
	at = tctx->wall_deadline - slice_ns;
	if ((s64)(at - now) > 0)
		return at;
	if (!domain_starts_by(p, dom, tctx->wall_deadline, now))
		summon_helper(p, dom);
	return now + slice_ns / 2;
}

/*
 * Rule 5's timer for @dom's queue.  It runs on the CPU that armed it, so
 * it catches a domain that stops answering after a task was queued there
 * as long as that CPU answers; enqueue's own prediction catches one that
 * had stopped before.
 */
static int rescue_timer_fn(void *map, int *key, struct bpf_timer *timer)
{
	struct domain_ctx *dctx;
	struct task_struct *p;
	u32 dom = *key;
	u64 now = scx_bpf_now(), at = 0;

	dctx = lookup_domain_ctx(dom);
	if (!dctx)
		return 0;
	dctx->rescue_at = 0;
	/*
	 * The DSQ iterator needs an RCU read-side section, which the
	 * verifier does not assume for a callback set up by slo_init(), a
	 * sleepable program.
	 */
	bpf_rcu_read_lock();
	bpf_for_each(scx_dsq, p, dsq_of(dom), 0) {
		at = rescue_head(p, dom, now);
		break;
	}
	bpf_rcu_read_unlock();
	if (at)
		arm_rescue(dom, at, now);
	return 0;
}

/*
 * Rule 5's rescue, on the CPU it kicked: take a task from the domain
 * summon_helper() chose this CPU for, earlier than @own_head, at risk or
 * one that domain would still not start in time.
 */
static bool take_rescue(s32 cpu, u32 dom, u64 own_head, s64 own_vbound, u64 now)
{
	struct cpu_ctx *cctx = bpf_map_lookup_elem(&cpu_ctxs, &cpu);
	struct slo_domain_info *ours, *theirs;
	struct steal_target t = {};
	struct domain_ctx *vctx;

	if (!cctx || !cctx->rescue_from)
		return false;
	t.victim = cctx->rescue_from - 1;
	cctx->rescue_from = 0;
	if (t.victim == dom || head_wall_deadline(t.victim) >= own_head)
		return false;
	ours = lookup_domain_info(dom);
	theirs = lookup_domain_info(t.victim);
	vctx = lookup_domain_ctx(t.victim);
	if (!ours || !theirs || !vctx)
		return false;
	t.same_node = ours->node == theirs->node;
	t.rescue = true;
	t.own_vbound = own_vbound;
	t.victim_vclock = vctx->vclock;
	return steal_from(&t, cpu, own_head, now);
}

/*
 * Rule 7's backstop.  Virtual deadlines are fair in aggregate, but a task
 * of tiny weight is charged up to 10000x its run time (a flattened weight
 * of 1/100: nice 19 in a cgroup of cpu.weight 1 beside one of 10000), and
 * under deep overload it can wait behind a stream of earlier deadlines
 * longer than the watchdog allows.  Every
 * SLO_STARVE_SCAN_NS, one CPU of the domain walks its queue and runs first
 * a task that has waited starve_ns.  The walk starts from the tail, where
 * the latest deadlines and so the likeliest victims are, and every other
 * time from the head, so with up to 2 x SLO_STARVE_DEPTH tasks queued every
 * one of them is seen; the cost is paid once per interval per domain, not
 * per dispatch.  While a starving task is queued the next dispatch looks
 * again.  Tasks in a CPU's local DSQ are not here: they run next on that
 * CPU, or go back through enqueue when an RT or deadline task takes it
 * (slo_cpu_release()).
 */
static bool rescue_starved(u32 dom, s32 cpu, u64 now)
{
	struct domain_ctx *dctx = lookup_domain_ctx(clock_domain(dom));
	struct task_struct *p;
	u64 iter_flags;

	if (!dctx || (s64)(now - dctx->next_starve_scan) < 0)
		return false;
	dctx->next_starve_scan = now + SLO_STARVE_SCAN_NS;
	iter_flags = dctx->starve_scans++ & 1 ? 0 : SCX_DSQ_ITER_REV;
	dctx->starve_left = SLO_STARVE_DEPTH;

	bpf_for_each(scx_dsq, p, dsq_of(dom), iter_flags) {
		struct task_ctx *tctx;

		if (!dctx->starve_left)
			break;
		dctx->starve_left--;
		tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
		if (!tctx || (s64)(now - tctx->queued_at) < (s64)starve_ns)
			continue;
		/* starving, so whichever CPU dispatches next looks again */
		dctx->next_starve_scan = now;
		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			continue;
		tctx->off_clock = true;
		if (scx_bpf_dsq_move(BPF_FOR_EACH_ITER, p, SCX_DSQ_LOCAL, 0)) {
			stat_inc(SLO_STAT_STARVE_RESCUES);
			return true;
		}
	}
	return false;
}

/*
 * Wake an idle CPU that can run @p from @dom's queue (any CPU with
 * --single-dsq), if there is one: counted and noted as kick_for()'s idle
 * kicks are, so that a kick the CPU does not answer makes @p's queue's
 * head at risk here too (rule 5).
 */
static void kick_idle_in(struct task_struct *p, u32 dom)
{
	s32 cpu = claim_idle_for(p, dom, false);

	if (cpu >= 0)
		kick_idle(cpu, dom);
}

/*
 * Whether parked @p may go, and if so onto which domain, its deadline set
 * as if just queued (*@vdeadline) and *@override set when it goes because
 * it waited park_limit_ns; SLO_NO_DOMAIN leaves it parked.  A subprog so
 * that release_throttled()'s loop calls no helper: with
 * bpf_task_storage_get() in the loop's body, kernel 7.0's verifier fails
 * with an internal error ("backtracking call unexpected regs") when it
 * propagates precision between iterations, and the load fails with EFAULT.
 */
static __noinline u32 release_domain(struct task_struct *p, u64 now,
				     u64 *vdeadline, bool *override)
{
	struct task_ctx *tctx;
	s32 qcpu;
	u32 dom;

	tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
	if (!tctx)
		return SLO_NO_DOMAIN;
	*override = (s64)(now - tctx->parked_at) >= (s64)park_limit_ns;

	/*
	 * A limit that came, went or changed lets everyone go; who is still
	 * out of quota is parked again by its next tick and enqueue.
	 * Re-walking cgroups here would cost the verifier a loop nested in
	 * release_throttled()'s.
	 */
	if (!*override && tctx->bw_gen == bw_generation &&
	    bw_ids_throttled(tctx, now))
		return SLO_NO_DOMAIN;
	qcpu = queue_cpu(p);
	dom = qcpu >= 0 ? cpu_domain(qcpu) : SLO_NO_DOMAIN;
	if (dom == SLO_NO_DOMAIN)
		return SLO_NO_DOMAIN;
	task_set_domain(tctx, dom);
	clamp_lag(tctx);
	tctx->queued_at = now;
	tctx->vdeadline = tctx->vruntime + tctx->budget_ns;
	tctx->wall_deadline = now + tctx->budget_ns;
	tctx->queued_domain = dom;
	*vdeadline = tctx->vdeadline;
	return dom;
}

/*
 * Rule 8: move parked tasks whose cgroups have quota again into their
 * domain's queue, as if they had just been queued: the wait while parked
 * is the cgroup's own limit at work, counted as throttled time, not as
 * queueing delay against the budget.  A task parked for park_limit_ns runs
 * anyway and its cgroup owes the time, so a quota too small to give each
 * of its tasks a turn within the watchdog cannot get us ejected.  A
 * global function, so the verifier checks it once, not inside every path
 * of slo_dispatch().
 */
__noinline int release_throttled(u64 now)
{
	struct task_struct *p;

	if (!release_pending || __sync_val_compare_and_swap(&release_pending, 1, 0) != 1)
		return 0;
	/* in map memory, not on the stack: see domain_ctx.starve_left */
	release_left = SLO_RELEASE_DEPTH;
	bpf_for_each(scx_dsq, p, SLO_THROTTLED_DSQ, 0) {
		bool override = false;
		u64 vdeadline = 0;
		u32 dom;

		if (!release_left) {
			release_pending = 1;
			break;
		}
		release_left--;
		dom = release_domain(p, now, &vdeadline, &override);
		if (dom == SLO_NO_DOMAIN)
			continue;
		if (!scx_bpf_dsq_move_vtime(BPF_FOR_EACH_ITER, p, dsq_of(dom),
					    vdeadline, 0))
			continue;
		if (override)
			stat_inc(SLO_STAT_BW_OVERRIDES);
		kick_idle_in(p, dom);
	}
	return 0;
}

void BPF_STRUCT_OPS(slo_dispatch, s32 cpu, struct task_struct *prev)
{
	struct slo_domain_info *dinfo;
	struct domain_ctx *dctx;
	u64 own_head, now = scx_bpf_now();
	struct task_ctx *head;
	u32 i, dom, nr_scan;
	s64 vbound;

	release_throttled(now);
	if (single_dsq) {
		if (rescue_starved(0, cpu, now))
			return;
		if (prev_keeps_cpu(prev, SLO_SINGLE_DSQ, now) ||
		    !scx_bpf_dsq_move_to_local(SLO_SINGLE_DSQ))
			goto keep_prev;
		return;
	}

	dom = cpu_domain(cpu);
	if (dom == SLO_NO_DOMAIN) {
		unknown_cpu(cpu);
		return;
	}
	dinfo = lookup_domain_info(dom);
	if (!dinfo)
		return;

	/* reaching dispatch answers any kick for our queue */
	dctx = lookup_domain_ctx(dom);
	if (dctx && dctx->kick_pending_since)
		dctx->kick_pending_since = 0;

	/* 0. a task of ours that has waited too long, whatever its deadline */
	if (rescue_starved(dom, cpu, now))
		return;

	/*
	 * 1. a head at risk elsewhere that beats ours: first the one we were
	 * kicked for, then the nearest
	 */
	/* one look at our head serves both clocks */
	head = head_tctx(dom);
	own_head = head ? head->wall_deadline : (u64)-1;
	vbound = own_vbound(dom, head, prev, now);
	if (take_rescue(cpu, dom, own_head, vbound, now))
		return;
	nr_scan = dinfo->nr_scan;
	bpf_for(i, 0, nr_scan) {
		struct steal_target t = { .own_vbound = vbound };

		if (!scan_victim(dinfo, i, own_head, now, &t))
			continue;
		if (steal_from(&t, cpu, own_head, now))
			return;
	}

	/*
	 * 2. our own queue, unless @prev comes first; a @prev that leaves for
	 * a whole core gives the CPU to our head
	 */
	if (prev_keeps_cpu(prev, dom, now) && !prev_wants_core(prev, cpu))
		goto keep_prev;
	if (scx_bpf_dsq_move_to_local(dom))
		return;

	/*
	 * 3. About to go idle: help a same-node domain with more work than
	 * CPUs, i.e. tasks queued while none of its CPUs is idle.  A domain
	 * with an idle CPU was kicked when its tasks were queued.  A CPU
	 * whose task's slice merely ended is not about to go idle: pulling
	 * there would bounce tasks between LLCs every slice.
	 */
	if (prev && (prev->scx.flags & SCX_TASK_QUEUED)) {
		if (prev_wants_core(prev, cpu))
			return;
		goto keep_prev;
	}
	bpf_for(i, 0, dinfo->nr_same_node) {
		u32 idx = dinfo->steal_start + i, *victim;

		victim = bpf_map_lookup_elem(&steal_order, &idx);
		if (!victim)
			break;
		if (scx_bpf_dsq_nr_queued(*victim) > 0 && !domain_has_idle(*victim) &&
		    scx_bpf_dsq_move_to_local(*victim)) {
			stat_inc(SLO_STAT_STEAL_IDLE_PULL);
			return;
		}
	}

	/*
	 * @prev goes on for another slice of its own.  For that long this CPU
	 * does not dispatch, so does not steal (step 1): a task at risk in
	 * another domain would wait up to max_slice_ns.  So from slice_ns on,
	 * its tick looks for one (lone_at_risk()) and ends the slice when
	 * there is one.  Ending every kept slice at slice_ns instead sent
	 * each CPU with a lone task through a scheduling pass every slice_ns
	 * for nothing: a tenth of all dispatches with 8 hogs and a latency
	 * probe on 8 vCPUs.  A task out of quota is let go, so that enqueue
	 * parks it.
	 */
keep_prev:
	if (prev && (prev->scx.flags & SCX_TASK_QUEUED)) {
		struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, prev, 0, 0);
		struct cpu_ctx *cctx;

		if (tctx && tctx->nr_bw && bw_ids_throttled(tctx, now))
			return;
		prev->scx.slice = tctx ? task_slice(tctx) : slice_ns;
		cctx = bpf_map_lookup_elem(&cpu_ctxs, &cpu);
		if (cctx) {
			cctx->slice_end = now + prev->scx.slice;
			/*
			 * The kernel calls ops.running() only for a task that
			 * was switched in, not for one that keeps its CPU.  So
			 * undo kick_for()'s mark of a preempted CPU (the
			 * kicker's deadline, one kick per victim): kept, it
			 * would make @prev look like a task of the kicker's
			 * budget until it next stops, and no wakeup would
			 * preempt it for as long as it keeps its CPU.
			 */
			if (tctx)
				cctx->running_deadline = tctx->vdeadline ?: 1;
			if (!single_dsq && max_slice_ns > slice_ns)
				cctx->lone_check_at = now + slice_ns;
		}
	}
}

/*
 * An RT or deadline task took @cpu.  Whatever waits in its local DSQ
 * (placed there by select_cpu() or a steal) would wait for as long as that
 * task runs, and a watchdog timeout would eject us: send it back through
 * slo_enqueue(), which queues it in its domain or on an idle CPU.
 */
void BPF_STRUCT_OPS(slo_cpu_release, s32 cpu, struct scx_cpu_release_args *args)
{
	struct cpu_ctx *cctx = bpf_map_lookup_elem(&cpu_ctxs, &cpu);

	/* kick_for() must not take it for a CPU between two of our tasks */
	if (cctx)
		cctx->released = true;
	scx_bpf_reenqueue_local();
}

void BPF_STRUCT_OPS(slo_runnable, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = lookup_task_ctx(p);

	if (!tctx)
		return;
	tctx->queued_at = scx_bpf_now();
	/* not set: a wakeup; set: back from a property change mid-burst */
	if (!tctx->woke_at) {
		tctx->woke_at = tctx->queued_at;
		tctx->burst_run_ns = 0;
	}
	refresh_budget(p, tctx);
	clamp_lag(tctx);
	tctx->off_clock = true;
	tctx->counted_cg = task_cpu_cgroup_id(p);
	tctx->counted_weight = p->scx.weight ?: 100;
	cg_add(tctx->counted_cg, tctx->counted_weight);
}

void BPF_STRUCT_OPS(slo_quiescent, struct task_struct *p, u64 deq_flags)
{
	struct task_ctx *tctx = lookup_task_ctx(p);

	if (!tctx)
		return;
	cg_add(tctx->counted_cg, -(s64)tctx->counted_weight);
	tctx->counted_weight = 0;
	/* a sleep ends the burst; a property change does not (runnable follows) */
	if ((deq_flags & SCX_DEQ_SLEEP) && tctx->woke_at) {
		account_burst(p, tctx, scx_bpf_now());
		tctx->woke_at = 0;
	}
}

void BPF_STRUCT_OPS(slo_running, struct task_struct *p)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	s32 cpu = scx_bpf_task_cpu(p);
	struct slo_cpu_info *info;
	struct domain_ctx *dctx;
	struct cpu_ctx *cctx;
	u64 now = scx_bpf_now();

	if (!tctx)
		return;
	tctx->started_at = now;
	if (cpu_domain(cpu) == SLO_NO_DOMAIN) {
		unknown_cpu(cpu);
		return;
	}
	info = lookup_cpu_info(cpu);
	if (!info)
		return;
	/*
	 * On this domain's clock from here: a task taken from another
	 * domain's queue had its deadline set on that domain's clock, and
	 * kick_for() compares running deadlines against this one's.
	 */
	task_set_domain(tctx, info->domain);
	tctx->vdeadline = tctx->vruntime + tctx->budget_ns;

	/*
	 * The clock follows the tasks that compete for the domain: only a
	 * task taken from the queue after a slice or a preemption moves it.
	 * One placed on an idle CPU competed with nobody; one just woken may
	 * carry up to a slice of debt, and one rescued from starvation
	 * jumped the queue far ahead.  Each would ratchet the clock along
	 * at its own pace: a thread waking 30 times a second on one CPU, a
	 * slice ahead each time, outran two hogs queued on another CPU of
	 * the domain, and every task waking there waited behind them for
	 * the starvation backstop.  Nor does a task taken from another
	 * domain's queue: it was taken for its wall deadline, not its turn
	 * on our clock, and a low-weight one carries the debt of its last
	 * slices (10000x its run time at the lowest weight, 0.01).  Four
	 * hogs of cpu.weight 1 with a 1 ms budget, stolen again and again,
	 * moved a domain's clock past its own hogs, and a 5 ms sleeper
	 * there ran 65 times in 6 s and waited for the backstop 51 times
	 * (12-16 times with this fix alone).
	 */
	dctx = lookup_domain_ctx(clock_domain(info->domain));
	if (dctx && tctx->queued_domain != QUEUED_DIRECT && !tctx->off_clock &&
	    clock_domain(tctx->queued_domain) == clock_domain(info->domain) &&
	    (s64)(tctx->vruntime - dctx->vclock) > 0)
		dctx->vclock = tctx->vruntime;
	tctx->off_clock = false;
	cctx = bpf_map_lookup_elem(&cpu_ctxs, &cpu);
	if (cctx) {
		cctx->running_deadline = tctx->vdeadline ?: 1;
		cctx->released = false;
		cctx->lone_check_at = 0;
		cctx->slice_end = now + p->scx.slice;
	}

	account_start(p, tctx, info->domain, info->node, now);
	tctx->queued_domain = QUEUED_DIRECT;
	tctx->bw_charged_at = now;
}

/*
 * Rule 5 for a CPU that kept its task (nothing queued here comes first):
 * whether a task at risk waits in a domain its dispatch would steal from.
 */
static bool lone_at_risk(s32 cpu, struct task_struct *p, u64 now)
{
	struct slo_domain_info *dinfo;
	u32 i, dom = cpu_domain(cpu);
	struct task_ctx *head;
	u64 own_head;
	s64 vbound;

	if (dom == SLO_NO_DOMAIN || !(dinfo = lookup_domain_info(dom)))
		return false;
	head = head_tctx(dom);
	own_head = head ? head->wall_deadline : (u64)-1;
	vbound = own_vbound(dom, head, p, now);
	bpf_for(i, 0, dinfo->nr_scan) {
		struct steal_target t = { .own_vbound = vbound };

		if (scan_victim(dinfo, i, own_head, now, &t))
			return true;
	}
	return false;
}

/*
 * Rule 8 on a running task: charge its limited ancestors every tick, and
 * end its slice once one of them is out of quota, on every CPU it runs on.
 * Rule 3: end a slice longer than that of a task waiting for this CPU.
 */
void BPF_STRUCT_OPS(slo_tick, struct task_struct *p)
{
	struct task_ctx *tctx;
	struct cpu_ctx *cctx;
	u64 now, bound;
	s32 cpu;

	tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
	if (!tctx)
		return;
	/*
	 * task_throttled() re-resolves the limited ancestors here too, not
	 * only at enqueue: a CPU-bound task alone on its CPU is not enqueued
	 * again, and a limit that arrives after it started (from the loader,
	 * or by moving it into a limited cgroup) would never reach it.
	 */
	now = scx_bpf_now();
	bw_charge_until(tctx, now);
	if (task_throttled(p, tctx, now)) {
		p->scx.slice = 0;
		return;
	}
	/*
	 * rodata: with --max-slice equal to --slice no slice is longer, and
	 * every slice ends by itself before either check could end it
	 */
	if (max_slice_ns <= slice_ns || !p->scx.slice)
		return;
	cpu = scx_bpf_task_cpu(p);
	cctx = bpf_map_lookup_elem(&cpu_ctxs, &cpu);
	if (!cctx)
		return;
	bound = waiter_slice_bound(cctx, now);
	if (bound && now - tctx->started_at >= bound) {
		p->scx.slice = 0;
		cctx->slice_end = now;
		stat_inc(SLO_STAT_SLICE_CUTS);
		return;
	}
	if (cctx->lone_check_at && (s64)(now - cctx->lone_check_at) >= 0) {
		cctx->lone_check_at = now + slice_ns;
		if (lone_at_risk(cpu, p, now)) {
			p->scx.slice = 0;
			cctx->slice_end = now;
		}
	}
}

void BPF_STRUCT_OPS(slo_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	s32 cpu = scx_bpf_task_cpu(p);
	struct cpu_ctx *cctx = bpf_map_lookup_elem(&cpu_ctxs, &cpu);
	u64 now = scx_bpf_now();

	if (cctx) {
		cctx->running_deadline = 0;
		cctx->stopped_at = now;
	}
	if (!tctx)
		return;
	bw_charge_until(tctx, now);
	tctx->burst_run_ns += now - tctx->started_at;
	/* rule 2: 100/weight per ns, the weight flattened through the tree */
	tctx->vruntime += (now - tctx->started_at) * (100 * SLO_WEIGHT_ONE) /
			  flat_weight(tctx, tctx->counted_weight ?: (p->scx.weight ?: 100));
	/* still runnable: it goes back in a queue and waits from now */
	if (runnable)
		tctx->queued_at = now;
}

void BPF_STRUCT_OPS(slo_enable, struct task_struct *p)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	struct domain_ctx *dctx;
	u32 dom;

	if (!tctx)
		return;
	/* a task last run on a CPU now offline starts on domain 0's clock */
	dom = cpu_domain(scx_bpf_task_cpu(p));
	if (dom == SLO_NO_DOMAIN)
		dom = 0;
	tctx->domain = dom;
	tctx->queued_domain = QUEUED_DIRECT;
	dctx = lookup_domain_ctx(clock_domain(dom));
	tctx->vruntime = dctx ? dctx->vclock : 0;
	tctx->queued_at = scx_bpf_now();
	/* back from another class: its time there was no burst of ours */
	tctx->woke_at = 0;
	refresh_budget(p, tctx);
}

s32 BPF_STRUCT_OPS(slo_init_task, struct task_struct *p,
		   struct scx_init_task_args *args)
{
	if (!bpf_task_storage_get(&task_ctxs, p, 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE))
		return -ENOMEM;
	return 0;
}

/* Build domain @dom's cpumask from the loader's CPU list and OR it into its node's. */
static s32 init_domain(u32 dom)
{
	struct bpf_cpumask *mask, *node_mask, *online, *old;
	struct slo_domain_info *dinfo;
	struct online_ctx *octx;
	struct domain_ctx *dctx;
	struct node_ctx *nctx;
	u32 i, zero = 0;
	s32 ret;

	dinfo = lookup_domain_info(dom);
	dctx = lookup_domain_ctx(dom);
	if (!dinfo || !dctx)
		return -EINVAL;
	nctx = bpf_map_lookup_elem(&node_ctxs, &dinfo->node);
	if (!nctx) {
		scx_bpf_error("domain %u: bad node %u", dom, dinfo->node);
		return -EINVAL;
	}
	if (!single_dsq) {
		ret = scx_bpf_create_dsq(dom, dinfo->numa_id);
		if (ret) {
			scx_bpf_error("cannot create DSQ %u: %d", dom, ret);
			return ret;
		}
	}

	mask = bpf_cpumask_create();
	if (!mask)
		return -ENOMEM;
	bpf_for(i, dinfo->cpus_start, dinfo->cpus_start + dinfo->nr_cpus) {
		u32 *cpu = bpf_map_lookup_elem(&domain_cpus, &i);

		if (cpu)
			bpf_cpumask_set_cpu(*cpu, mask);
	}
	old = bpf_kptr_xchg(&dctx->cpumask, mask);
	if (old)
		bpf_cpumask_release(old);

	/* node and online masks start empty (slo_init) and gain each domain */
	octx = bpf_map_lookup_elem(&online_ctxs, &zero);
	if (!octx)
		return -EINVAL;
	bpf_rcu_read_lock();
	node_mask = nctx->cpumask;
	online = octx->cpumask;
	if (node_mask && online) {
		bpf_for(i, dinfo->cpus_start, dinfo->cpus_start + dinfo->nr_cpus) {
			u32 *cpu = bpf_map_lookup_elem(&domain_cpus, &i);

			if (!cpu)
				continue;
			bpf_cpumask_set_cpu(*cpu, node_mask);
			bpf_cpumask_set_cpu(*cpu, online);
		}
	}
	bpf_rcu_read_unlock();
	return 0;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(slo_init)
{
	struct bpf_cpumask *mask, *old;
	struct bw_timer *timer;
	struct online_ctx *octx;
	u32 i, zero = 0;
	s32 ret;

	octx = bpf_map_lookup_elem(&online_ctxs, &zero);
	if (!octx)
		return -EINVAL;
	mask = bpf_cpumask_create();
	if (!mask)
		return -ENOMEM;
	old = bpf_kptr_xchg(&octx->cpumask, mask);
	if (old)
		bpf_cpumask_release(old);

	bpf_for(i, 0, nr_nodes) {
		struct node_ctx *nctx = bpf_map_lookup_elem(&node_ctxs, &i);

		if (!nctx)
			return -EINVAL;
		mask = bpf_cpumask_create();
		if (!mask)
			return -ENOMEM;
		old = bpf_kptr_xchg(&nctx->cpumask, mask);
		if (old)
			bpf_cpumask_release(old);
	}
	bpf_for(i, 0, nr_domains) {
		ret = init_domain(i);
		if (ret)
			return ret;
	}
	bpf_for(i, 0, nr_cpu_ids) {
		struct cpu_ctx *cctx = bpf_map_lookup_elem(&cpu_ctxs, &i);

		if (!cctx)
			return -EINVAL;
		mask = bpf_cpumask_create();
		if (!mask)
			return -ENOMEM;
		old = bpf_kptr_xchg(&cctx->scratch, mask);
		if (old)
			bpf_cpumask_release(old);
	}
	ret = scx_bpf_create_dsq(SLO_THROTTLED_DSQ, -1);
	if (ret)
		return ret;
	timer = bpf_map_lookup_elem(&bw_timers, &zero);
	if (!timer)
		return -EINVAL;
	bpf_timer_init(&timer->timer, &bw_timers, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&timer->timer, bw_timer_fn);
	bpf_for(i, 0, nr_domains) {
		struct rescue_timer *rt = bpf_map_lookup_elem(&rescue_timers, &i);

		if (!rt)
			return -EINVAL;
		bpf_timer_init(&rt->timer, &rescue_timers, CLOCK_MONOTONIC);
		bpf_timer_set_callback(&rt->timer, rescue_timer_fn);
	}
	/* last, so that the log up to the rejection runs to many pages */
	if (debug_verifier_reject) {
		/* deliberately invalid: a store through a scalar */
		u64 *bogus = (u64 *)bpf_ktime_get_ns();

		*bogus = 0;
	}
	if (single_dsq)
		return scx_bpf_create_dsq(SLO_SINGLE_DSQ, -1);
	return 0;
}

/*
 * Run by the loader (BPF_PROG_TEST_RUN) for its statistics: DSQ depths are
 * only known to the kernel.  In single-DSQ mode the one queue's depth is
 * reported on domain 0.
 */
SEC("syscall")
int slo_read_depths(void *ctx)
{
	u32 i;

	bpf_for(i, 0, nr_domains) {
		u64 *depth = bpf_map_lookup_elem(&domain_depths, &i);
		s32 queued;

		if (!depth)
			break;
		if (single_dsq)
			queued = i ? 0 : scx_bpf_dsq_nr_queued(SLO_SINGLE_DSQ);
		else
			queued = scx_bpf_dsq_nr_queued(i);
		*depth = queued > 0 ? queued : 0;
	}
	return 0;
}

/*
 * A cgroup is going away: drop its statistics, so that pod churn never
 * fills the map.  Called only for cgroups sched_ext tracks (the cpu
 * controller's, on kernels with CONFIG_EXT_GROUP_SCHED); the loader drops
 * the rest, and the loader leaves this op out where the kernel lacks it.
 *
 * The kernel also calls this for every live cgroup when the scheduler is
 * detached, before ops.exit: those keep their entries, or the loader's
 * final statistics would be empty.  rmdir takes a cgroup offline
 * (CSS_ONLINE clear on its own css) before its controllers are told, so
 * only a removed cgroup arrives here offline.
 */
void BPF_STRUCT_OPS(slo_cgroup_exit, struct cgroup *cgrp)
{
	u64 id = cgrp->kn->id;

	if (cgrp->self.flags & CSS_ONLINE)
		return;
	bpf_map_delete_elem(&slo_cgroup_stats, &id);
	bpf_map_delete_elem(&slo_cgroup_ctxs, &id);
	bpf_map_delete_elem(&slo_cgroup_bw, &id);
	if (bw_from_kernel && !bpf_map_delete_elem(&slo_cgroup_limits, &id))
		__sync_fetch_and_add(&bw_generation, 1);
}

/* Rule 8: a cgroup's cpu.max, in microseconds; U64_MAX quota is "max". */
static void set_limit(u64 id, u64 period_us, u64 quota_us, u64 burst_us)
{
	struct slo_cgroup_limit lim = {};

	if (!bw_from_kernel)
		return;
	/* cpu.max caps quota at 2^44-1 us; anything above is "max" */
	if (quota_us == (u64)-1 || !period_us || quota_us >= (1ULL << 44)) {
		if (!bpf_map_delete_elem(&slo_cgroup_limits, &id))
			__sync_fetch_and_add(&bw_generation, 1);
		return;
	}
	lim.period_ns = period_us * SLO_NSEC_PER_USEC;
	lim.quota_ns = quota_us * SLO_NSEC_PER_USEC;
	lim.burst_ns = burst_us == (u64)-1 ? 0 : burst_us * SLO_NSEC_PER_USEC;
	if (!bpf_map_update_elem(&slo_cgroup_limits, &id, &lim, BPF_ANY))
		__sync_fetch_and_add(&bw_generation, 1);
	else
		stat_inc(SLO_STAT_LIMITS_FULL);
}

/*
 * A cgroup of the cpu controller, at load for every existing one and then
 * as they are made.  It never fails: a cgroup the map has no room for
 * counts as part of its parent (flat_weight() stops below it).
 */
s32 BPF_STRUCT_OPS(slo_cgroup_init, struct cgroup *cgrp,
		   struct scx_cgroup_init_args *args)
{
	struct cgroup_ctx cgc = { .weight = args->weight ?: 100 };
	struct cgroup *parent = NULL;
	u64 id = cgrp->kn->id;
	int level = cgrp->level;

	cgc.level = level;
	if (level > 0) {
		bpf_core_read(&parent, sizeof(parent), &cgrp->ancestors[level - 1]);
		if (parent)
			cgc.parent_id = cgroup_id_of(parent);
	}
	bpf_map_update_elem(&slo_cgroup_ctxs, &id, &cgc, BPF_ANY);
	if (bpf_core_field_exists(args->bw_quota_us))
		set_limit(id, BPF_CORE_READ(args, bw_period_us),
			  BPF_CORE_READ(args, bw_quota_us),
			  BPF_CORE_READ(args, bw_burst_us));
	return 0;
}

/*
 * cpu.weight written.  If the cgroup is active its parent holds the old
 * weight: move it by the difference.  A deactivation racing with this may
 * take the new weight out where the old was put in; the error is one
 * weight in one parent until that parent next goes idle and active.
 */
void BPF_STRUCT_OPS(slo_cgroup_set_weight, struct cgroup *cgrp, u32 weight)
{
	u64 id = cgrp->kn->id;
	struct cgroup_ctx *cgc = bpf_map_lookup_elem(&slo_cgroup_ctxs, &id);
	u32 old;

	if (!cgc || !weight)
		return;
	old = cgc->weight;
	cgc->weight = weight;
	if (cgc->level && cgc->active_sum > 0)
		cg_add(cgc->parent_id, (s64)weight - (s64)old);
}

/*
 * The kernel's debug dump (an error exit, or SysRq-D): per domain, its
 * clock and depth; per task, its budget and deadlines.  On an error exit
 * the loader prints it, so an ejection can be reported whole.
 */
void BPF_STRUCT_OPS(slo_dump, struct scx_dump_ctx *dctx)
{
	u32 dom;

	scx_bpf_dump("scx_slo: %u domains, %s, slice %llu ns, default budget %llu ns",
		     nr_domains, single_dsq ? "one global queue" : "one queue per LLC",
		     slice_ns, default_budget_ns);
	scx_bpf_dump("scx_slo: %d tasks parked by cpu.max", scx_bpf_dsq_nr_queued(SLO_THROTTLED_DSQ));
	bpf_for(dom, 0, nr_domains) {
		struct domain_ctx *domc = bpf_map_lookup_elem(&domain_ctxs, &dom);

		if (!domc)
			break;
		scx_bpf_dump("domain %u: vclock %llu queued %d", dom, domc->vclock,
			     single_dsq ? (dom ? 0 : scx_bpf_dsq_nr_queued(SLO_SINGLE_DSQ)) :
					  scx_bpf_dsq_nr_queued(dom));
	}
}

void BPF_STRUCT_OPS(slo_dump_task, struct scx_dump_ctx *dctx, struct task_struct *p)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);

	if (!tctx)
		return;
	scx_bpf_dump("scx_slo: budget %llu vdeadline %llu wall_deadline %llu "
		     "queued_at %llu domain %u", tctx->budget_ns, tctx->vdeadline, tctx->wall_deadline,
		     tctx->queued_at, tctx->queued_domain);
}

/* The kernel's dump of an error exit, copied by slo_exit() for the loader. */
char exit_dump[SLO_EXIT_DUMP_LEN];

void BPF_STRUCT_OPS(slo_exit, struct scx_exit_info *ei)
{
	if (ei->dump)
		bpf_probe_read_kernel_str(exit_dump, sizeof(exit_dump), ei->dump);
	SLO_RECORD_EXIT(exit_info, ei);
}

/* cpu.max or cpu.max.burst written (6.17+; else the loader tells us). */
void BPF_STRUCT_OPS(slo_cgroup_set_bandwidth, struct cgroup *cgrp,
		    u64 period_us, u64 quota_us, u64 burst_us)
{
	set_limit(cgrp->kn->id, period_us, quota_us, burst_us);
}

SEC(".struct_ops.link")
struct sched_ext_ops slo_ops = {
	.select_cpu	= (void *)slo_select_cpu,
	.enqueue	= (void *)slo_enqueue,
	.dispatch	= (void *)slo_dispatch,
	.runnable	= (void *)slo_runnable,
	.running	= (void *)slo_running,
	.stopping	= (void *)slo_stopping,
	.enable		= (void *)slo_enable,
	.init_task	= (void *)slo_init_task,
	.tick		= (void *)slo_tick,
	.quiescent	= (void *)slo_quiescent,
	.cgroup_init	= (void *)slo_cgroup_init,
	.cgroup_exit	= (void *)slo_cgroup_exit,
	.cgroup_set_weight = (void *)slo_cgroup_set_weight,
	.cgroup_set_bandwidth = (void *)slo_cgroup_set_bandwidth,
	.cpu_release	= (void *)slo_cpu_release,
	.dump		= (void *)slo_dump,
	.dump_task	= (void *)slo_dump_task,
	/*
	 * ENQ_LAST: a task whose slice ended with nothing else to run goes
	 * through slo_enqueue() rather than running on with a refilled
	 * slice, so a throttled one alone on its CPU is parked;
	 * slo_dispatch() refills the slice of every other such task itself.
	 *
	 * ENQ_EXITING: without it the kernel puts an exiting task that is
	 * preempted, or that slo_cpu_release() re-enqueues, straight into
	 * its CPU's local queue.  On a CPU an RT task holds, that queue runs
	 * only in the ext DL server's window, and the task, still owed its
	 * budget, waited up to 945 ms there while another CPU was free.
	 */
	.flags		= SCX_OPS_ENQ_LAST | SCX_OPS_ENQ_EXITING,
	.exit_dump_len	= SLO_EXIT_DUMP_LEN,
	.init		= (void *)slo_init,
	.exit		= (void *)slo_exit,
	.name		= SCX_SLO_OPS_NAME,
};
