/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_slo: per-cgroup latency budgets, earliest deadline first, one deadline
 * queue per last-level cache.
 *
 * Budgets.  Every task has a latency budget B (and a CPU weight): that of
 * the nearest cgroup, walking up from its own, with an entry in the active
 * budget set, or the default (100 ms).  The loader writes a whole new
 * configuration into the inactive set of two and flips slo_control, so a
 * configuration applies all at once; the BPF side never calls back.  A task
 * caches its budget and re-resolves it when its cgroup id or the control
 * generation changes, so moves and reconfiguration apply on the next wakeup
 * or requeue.
 *
 * Domains.  CPUs sharing a last-level cache form a domain, and each domain
 * has one deadline-ordered DSQ (its llc_dsq_id).  The loader describes the
 * machine at load time (cpu_info, domain_info, domain_cpus, steal_order), so
 * nothing here knows the machine's size.  Placement, queueing and the
 * virtual clock are per domain; the only cross-domain traffic is placement
 * of a waking task onto an idle CPU elsewhere, and stealing.
 *
 * Rule 1, order.  A task carries a weighted vruntime that advances with the
 * CPU it consumes, scaled by 100 / weight.  Queued, its virtual deadline is
 * vruntime + B and its domain's DSQ runs the earliest first.  On wakeup the
 * vruntime is pulled up to at most lag_cap_ns behind the domain's clock
 * (the largest vruntime seen starting to run there), and down to at most a
 * slice ahead of it, so the deadline lands about B ahead of the clock: a
 * 5 ms task overtakes a 100 ms task that woke at the same moment.  A task
 * moving between domains keeps its lag against the clock, not its raw
 * vruntime, since each domain's clock runs apart.
 *
 * Rule 2, the budget buys latency, not CPU.  B is a constant offset on a
 * clock that advances with consumed CPU, so two always-runnable tasks with
 * different budgets alternate and get equal, weight-proportional shares;
 * the tight budget only runs first.  The lag clamp bounds the credit a
 * sleeper can bank.
 *
 * Rule 3, preemption.  After queueing a task, enqueue looks at the CPUs of
 * its domain that the task may use: an idle one is kicked awake; failing
 * that, the CPU running the latest virtual deadline is kicked with
 * SCX_KICK_PREEMPT if that deadline is later than the new one by more than
 * a slice (so equal-budget tasks do not preempt each other on every wakeup).
 * Slices are 3 ms by default: with preemption, budgets of 1 ms and up can
 * be met.
 *
 * Rule 4, placement.  A waking task goes to its previous CPU if idle, else
 * to an idle CPU of the same LLC (a whole idle core first when SMT is on),
 * else of the same NUMA node, else anywhere it may run; found idle, it is
 * dispatched straight to that CPU's local DSQ.  With no CPU idle, it is
 * queued on the CPU running the latest deadline it beats by more than a
 * slice, in its previous LLC or else another LLC of the same node, and
 * rule 3 preempts that CPU; if there is none it waits in its previous
 * LLC.  Never across nodes: a busy remote CPU must take an IPI to let it in,
 * while the local queue keeps it near its cache and its waker, and a task
 * that overruns its budget is stolen anyway (rule 5).  A task put back after
 * its slice or a preemption, when no CPU of its domain is idle, goes to an
 * idle CPU of its node, else anywhere: CPU-bound tasks never wake, and
 * without this two of them share a CPU while one of another node idles, as
 * neither waits long enough to be overdue.  Per-CPU kthreads go straight to
 * their CPU.  A queued task goes to the domain of a CPU in its cpumask, so
 * no domain ever holds a task none of its CPUs may run.
 *
 * Rule 5, stealing.  A CPU takes from another domain only when that
 * domain's head task is overdue (its wall deadline has passed) and earlier
 * than our own head, or our queue is empty.  Domains are visited in the
 * loader's steal order: same node first, then by NUMA distance, nr_scan of
 * them per dispatch, the nearest on our node and one of each other node
 * (domain_info.nr_scan*).  Only a task that is overdue and may
 * run on this CPU is taken, so no cross-node steal ever moves a task that
 * could still meet its budget at home.  An otherwise idle CPU also pulls
 * from a same-node domain that has more work than CPUs: tasks queued and
 * no idle CPU there.  A CPU keeping a lone task renews its slice to ours,
 * not the kernel's 20 ms, so it looks for overdue work every slice.
 *
 * Rule 6, misses.  Each time a task is queued (woken, or put back after its
 * slice) it gets a wall deadline, now + B.  Starting to run after it is a
 * miss.  Per cgroup: runs, misses, lateness and a log2 histogram of the
 * queueing delay.  Per domain: enqueues, direct, local and stolen starts
 * (same node, other node), and kicks.  Global and per-domain counters are
 * per-CPU maps the loader sums; per-cgroup ones are one shared entry per
 * live cgroup (slo_cgroup_stats), so memory grows with cgroups, not with
 * CPUs times a capacity.
 *
 * Rule 7, safety.  The watchdog timeout is set by the loader.  Weighted
 * virtual time alone can starve: a nice-19 task is charged 100x its run
 * time and, among enough hogs, waits longer than the watchdog allows.  So a
 * task queued for starve_ns (a quarter of the watchdog) runs next on a CPU
 * of its domain, whatever its deadline; each queue is walked every 100 ms,
 * from the tail and the head in turn.  When an RT or deadline task takes
 * a CPU, ops.cpu_release sends what waits in its local DSQ back through
 * enqueue, so it runs elsewhere.  A task pinned under an RT hog can only
 * run where the kernel lends it time (the ext DL server, 7.0+); before
 * that, a hog longer than the watchdog ejects any sched_ext scheduler, and
 * the loader reports it with the kernel's debug dump (ops.dump adds our
 * domains and each task's budget and deadlines).  Every path that cannot
 * find its per-task or per-CPU state aborts the scheduler with
 * scx_bpf_error() rather than dropping a task.  CPU hotplug is left to the kernel: without
 * ops.cpu_online/offline it exits us with SCX_ECODE_ACT_RESTART and the
 * loader reloads on the new topology.
 *
 * --single-dsq keeps all of this but queues every task on one global DSQ
 * with one clock; it is the baseline the per-LLC design is measured
 * against.  Its trade-off is the opposite one: globally exact deadlines,
 * paid for with one contended lock and cross-LLC migrations.
 */
#include "scx_slo_common.bpf.h"
#include "scx_slo.h"

char _license[] SEC("license") = "GPL";

#define PF_KTHREAD		0x00200000

/* Load-time knobs and machine shape, set by the loader before loading. */
const volatile u64 slice_ns = 3 * SLO_NSEC_PER_MSEC;
const volatile u64 default_budget_ns = SLO_DEFAULT_BUDGET_NS;
const volatile u64 lag_cap_ns = 3 * SLO_NSEC_PER_MSEC;
/* a queued task waiting this long runs ahead of deadline order (rule 7) */
const volatile u64 starve_ns = 2500 * SLO_NSEC_PER_MSEC;
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
 * front (8192 x 232 B x 512 CPUs is almost 1 GB); this costs live cgroups
 * x 232 B, and the adds are a few locked instructions once per task start.
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
	u64 vclock;			/* largest vruntime started here */
	u64 next_starve_scan;		/* rescue_starved() looks again after */
	u64 starve_scans;		/* even: from the tail, odd: from the head */
	/*
	 * Tasks the current walk may still visit.  A counter in map memory,
	 * not on the stack: the verifier does not track its value, so the
	 * walk verifies as one loop, not SLO_STARVE_DEPTH unrolled steps.
	 */
	u32 starve_left;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);			/* nr_domains */
	__type(key, u32);
	__type(value, struct domain_ctx);
} domain_ctxs SEC(".maps");

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
	u64 cgroup_id;		/* own cgroup, key for slo_cgroup_stats */
	u64 budget_ns;		/* resolved budget, cached */
	u64 budget_gen;		/* slo_control generation it was resolved at */
	u32 weight;		/* the SLO's CPU weight, 100 = normal */
	u32 domain;		/* whose clock vruntime is on */
	u32 queued_domain;	/* DSQ it waits in, or QUEUED_DIRECT */
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

static struct slo_cpu_info *lookup_cpu_info(s32 cpu)
{
	u32 key = cpu;
	struct slo_cpu_info *info = bpf_map_lookup_elem(&cpu_info, &key);

	if (!info || info->domain >= nr_domains) {
		scx_bpf_error("no domain for CPU %d", cpu);
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

/*
 * A CPU for @p to queue near: its current one if allowed and ours, else
 * any allowed CPU that has a domain.  -1 if it may run on none of them.
 */
static s32 queue_cpu(struct task_struct *p)
{
	s32 cpu = scx_bpf_task_cpu(p);
	struct online_ctx *octx;
	struct bpf_cpumask *online;
	u32 zero = 0;

	if (bpf_cpumask_test_cpu(cpu, p->cpus_ptr) &&
	    cpu_domain(cpu) != SLO_NO_DOMAIN)
		return cpu;
	stat_inc(SLO_STAT_AFFINITY_FIXUP);
	octx = bpf_map_lookup_elem(&online_ctxs, &zero);
	if (!octx || !(online = octx->cpumask))
		return -1;
	cpu = bpf_cpumask_any_and_distribute(p->cpus_ptr,
					     (const struct cpumask *)online);
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
	tctx->weight = 100;
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
			tctx->weight = budget->weight ?: 100;
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
 * credit a sleeper banks) and at most a slice ahead of it (the debt it
 * keeps).  Without the second bound, a low-weight sleeper (nice 19 is
 * charged 100x its run time) piles up debt on every run and, waking into a
 * busy domain, waits behind everyone's deadlines for seconds.
 */
static void clamp_lag(struct task_ctx *tctx)
{
	struct domain_ctx *dctx = lookup_domain_ctx(clock_domain(tctx->domain));

	if (!dctx)
		return;
	if ((s64)(dctx->vclock - lag_cap_ns - tctx->vruntime) > 0)
		tctx->vruntime = dctx->vclock - lag_cap_ns;
	else if ((s64)(tctx->vruntime - dctx->vclock - slice_ns) > 0)
		tctx->vruntime = dctx->vclock + slice_ns;
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

static struct slo_cgroup_stats *lookup_cgroup_stats(u64 cgroup_id)
{
	struct slo_cgroup_stats *cs, zero = {};

	cs = bpf_map_lookup_elem(&slo_cgroup_stats, &cgroup_id);
	if (cs)
		return cs;
	/* NOEXIST: a CPU that lost the race to insert uses the winner's entry */
	bpf_map_update_elem(&slo_cgroup_stats, &cgroup_id, &zero, BPF_NOEXIST);
	cs = bpf_map_lookup_elem(&slo_cgroup_stats, &cgroup_id);
	if (!cs)
		stat_inc(SLO_STAT_CGROUP_STATS_FULL);
	return cs;
}

/* Rule 6: a task starts running on a CPU of domain @dom at @now. */
static void account_start(struct task_ctx *tctx, u32 dom, u32 node, u64 now)
{
	u64 wall_deadline = tctx->queued_at + tctx->budget_ns;
	u64 delay = now - tctx->queued_at;
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
				if (!overdue)
					ds->steals_not_overdue++;
			}
		}
	}

	cs = lookup_cgroup_stats(tctx->cgroup_id);
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
 * An idle CPU in @mask & p->cpus_ptr, claimed, or -1.  With SMT, a CPU
 * whose whole core is idle comes first.
 */
static s32 pick_idle_in(struct task_struct *p, const struct cpumask *mask,
			struct bpf_cpumask *scratch)
{
	s32 cpu;

	bpf_cpumask_and(scratch, p->cpus_ptr, mask);
	if (smt_enabled) {
		cpu = scx_bpf_pick_idle_cpu((const struct cpumask *)scratch,
					    SCX_PICK_IDLE_CORE);
		if (cpu >= 0)
			return cpu;
	}
	return scx_bpf_pick_idle_cpu((const struct cpumask *)scratch, 0);
}

/* Whether any CPU of domain @dom is idle. */
static bool domain_has_idle(u32 dom)
{
	struct domain_ctx *dctx = bpf_map_lookup_elem(&domain_ctxs, &dom);
	const struct cpumask *idle;
	struct bpf_cpumask *mask;
	bool has_idle;

	if (!dctx || !(mask = dctx->cpumask))
		return false;
	idle = scx_bpf_get_idle_cpumask();
	has_idle = bpf_cpumask_intersects((const struct cpumask *)mask, idle);
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
	struct bpf_cpumask *scratch = scratch_mask(), *mask;
	struct node_ctx *nctx;
	s32 idle;

	if (nr_nodes > 1 && info && scratch &&
	    (nctx = bpf_map_lookup_elem(&node_ctxs, &info->node)) &&
	    (mask = nctx->cpumask)) {
		idle = pick_idle_in(p, (const struct cpumask *)mask, scratch);
		if (idle >= 0)
			return idle;
	}
	return scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
}

/* Rule 4: prev CPU, its LLC, its node, anywhere. */
static s32 pick_idle_cpu(struct task_struct *p, s32 prev_cpu)
{
	struct slo_cpu_info *info;
	struct domain_ctx *dctx;
	struct bpf_cpumask *scratch, *mask;
	s32 cpu;

	if (bpf_cpumask_test_cpu(prev_cpu, p->cpus_ptr) &&
	    scx_bpf_test_and_clear_cpu_idle(prev_cpu))
		return prev_cpu;
	if (p->nr_cpus_allowed == 1)
		return -1;

	info = bpf_map_lookup_elem(&cpu_info, &prev_cpu);
	scratch = scratch_mask();
	if (info && info->domain < nr_domains && scratch &&
	    (dctx = bpf_map_lookup_elem(&domain_ctxs, &info->domain)) &&
	    (mask = dctx->cpumask)) {
		cpu = pick_idle_in(p, (const struct cpumask *)mask, scratch);
		if (cpu >= 0)
			return cpu;
	}
	return pick_idle_beyond_llc(p, prev_cpu);
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
	cpu = pick_idle_cpu(p, prev_cpu);
	if (cpu >= 0) {
		tctx->queued_domain = QUEUED_DIRECT;
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
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
/*
 * Rule 3: wake an idle CPU of @dom that @p may use, or preempt the one
 * running the latest deadline if @vdeadline beats it by more than a slice.
 * A CPU between two tasks is about to dispatch and will see @p: nothing to
 * do then.  In single-DSQ mode every CPU shares the queue and is a
 * candidate.
 */
static void kick_for(struct task_struct *p, u32 dom, u64 vdeadline)
{
	const struct cpumask *idle;
	struct slo_domain_info *dinfo;
	struct slo_domain_stats *ds;
	u32 start, end, i, victim = 0;
	s32 wake = -1;
	u64 latest = 0;

	if (single_dsq) {
		start = 0;
		end = nr_online_cpus;
	} else {
		dinfo = lookup_domain_info(dom);
		if (!dinfo)
			return;
		start = dinfo->cpus_start;
		end = dinfo->cpus_start + dinfo->nr_cpus;
	}

	idle = scx_bpf_get_idle_cpumask();
	bpf_for(i, start, end) {
		struct cpu_ctx *cctx;
		u32 *cpup, cpu, idx = i;
		u64 running;

		cpup = bpf_map_lookup_elem(&domain_cpus, &idx);
		if (!cpup)
			break;
		cpu = *cpup;
		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			continue;
		if (bpf_cpumask_test_cpu(cpu, idle)) {
			wake = cpu;
			break;
		}
		cctx = bpf_map_lookup_elem(&cpu_ctxs, &cpu);
		if (!cctx)
			continue;
		running = cctx->running_deadline;
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

	ds = domain_stats(dom);
	if (wake >= 0) {
		scx_bpf_kick_cpu(wake, SCX_KICK_IDLE);
		if (ds)
			ds->idle_kicks++;
		return;
	}
	if (!latest || (s64)(latest - vdeadline) <= (s64)slice_ns)
		return;
	{
		struct cpu_ctx *vctx = bpf_map_lookup_elem(&cpu_ctxs, &victim);

		/* one kick per victim until it reschedules */
		if (vctx)
			vctx->running_deadline = vdeadline;
	}
	scx_bpf_kick_cpu(victim, SCX_KICK_PREEMPT);
	if (ds)
		ds->preempt_kicks++;
}

void BPF_STRUCT_OPS(slo_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct slo_domain_stats *ds;
	struct slo_cpu_info *info;
	struct task_ctx *tctx;
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
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, enq_flags);
		return;
	}

	/*
	 * Rule 4 for a task put back after its slice or a preemption.  Only
	 * wakeups pass through select_cpu(), so without this a CPU-bound task
	 * never leaves its domain: two of them share a CPU while a CPU of
	 * another node idles, since neither waits long enough to be overdue
	 * and stolen.  An idle CPU of its own domain is left to kick_for(),
	 * which wakes it to run the earliest deadline queued there.  In
	 * single-DSQ mode every idle CPU is kicked for the one queue already.
	 * A migration-disabled task, once switched out, has p->cpus_ptr
	 * narrowed to its own CPU, so it is never moved.
	 */
	cpu = scx_bpf_task_cpu(p);
	if (!(enq_flags & SCX_ENQ_WAKEUP) && !single_dsq &&
	    p->nr_cpus_allowed > 1 && !domain_has_idle(cpu_domain(cpu))) {
		cpu = pick_idle_beyond_llc(p, cpu);
		if (cpu >= 0) {
			stat_inc(SLO_STAT_REQUEUE_IDLE);
			tctx->queued_domain = QUEUED_DIRECT;
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | cpu, slice_ns,
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
	scx_bpf_dsq_insert_vtime(p, dsq_of(info->domain), slice_ns,
				 tctx->vdeadline, enq_flags);
	kick_for(p, info->domain, tctx->vdeadline);
}

/* Wall deadline of the first task queued on @dsq_id, or U64_MAX if none. */
static u64 head_wall_deadline(u64 dsq_id)
{
	struct task_struct *p = NULL;
	struct task_ctx *tctx;

	if (use_dsq_peek && bpf_ksym_exists(scx_bpf_dsq_peek___compat)) {
		p = scx_bpf_dsq_peek___compat(dsq_id);
		if (!p)
			return (u64)-1;
		tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
		return tctx ? tctx->wall_deadline : (u64)-1;
	}
	bpf_for_each(scx_dsq, p, dsq_id, 0) {
		tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
		return tctx ? tctx->wall_deadline : (u64)-1;
	}
	return (u64)-1;
}

/*
 * Rule 5: take an overdue task, earlier than @own_head, that may run on
 * @cpu from the first SLO_STEAL_DEPTH tasks of domain @victim's queue.
 */
static bool steal_overdue_from(u32 victim, s32 cpu, u64 own_head, u64 now)
{
	struct task_struct *p;
	int depth = 0;

	bpf_for_each(scx_dsq, p, dsq_of(victim), 0) {
		struct task_ctx *tctx;

		if (++depth > SLO_STEAL_DEPTH)
			break;
		tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
		if (!tctx)
			continue;
		if ((s64)(now - tctx->wall_deadline) <= 0 ||
		    tctx->wall_deadline >= own_head)
			continue;
		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			continue;
		if (scx_bpf_dsq_move(BPF_FOR_EACH_ITER, p, SCX_DSQ_LOCAL, 0))
			return true;
	}
	return false;
}

/*
 * Rule 7's backstop.  Virtual deadlines are fair in aggregate, but a task
 * of tiny weight is charged up to 10000x its run time (nice 19 in an SLO
 * of weight 1), and under deep overload it can wait behind a stream of
 * earlier deadlines longer than the watchdog allows.  Every
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
		if (scx_bpf_dsq_move(BPF_FOR_EACH_ITER, p, SCX_DSQ_LOCAL, 0)) {
			stat_inc(SLO_STAT_STARVE_RESCUES);
			return true;
		}
	}
	return false;
}

void BPF_STRUCT_OPS(slo_dispatch, s32 cpu, struct task_struct *prev)
{
	struct slo_domain_info *dinfo;
	u64 own_head, now = scx_bpf_now();
	u32 i, dom, nr_scan;

	if (single_dsq) {
		if (!rescue_starved(0, cpu, now))
			scx_bpf_dsq_move_to_local(SLO_SINGLE_DSQ);
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

	/* 0. a task of ours that has waited too long, whatever its deadline */
	if (rescue_starved(dom, cpu, now))
		return;

	/* 1. an overdue head elsewhere that beats ours, nearest first */
	own_head = head_wall_deadline(dom);
	nr_scan = dinfo->nr_scan;
	bpf_for(i, 0, nr_scan) {
		/* past the same-node entries scanned, the cross-node ones */
		u32 pos = i < dinfo->nr_scan_same_node ? i :
			  dinfo->nr_same_node + (i - dinfo->nr_scan_same_node);
		u32 idx = dinfo->steal_start + pos, *victim;
		u64 head;

		victim = bpf_map_lookup_elem(&steal_order, &idx);
		if (!victim)
			break;
		if (scx_bpf_dsq_nr_queued(*victim) <= 0)
			continue;
		head = head_wall_deadline(*victim);
		if ((s64)(now - head) <= 0 || head >= own_head)
			continue;
		if (steal_overdue_from(*victim, cpu, own_head, now))
			return;
	}

	/* 2. our own queue */
	if (scx_bpf_dsq_move_to_local(dom))
		return;

	/*
	 * 3. About to go idle: help a same-node domain with more work than
	 * CPUs, i.e. tasks queued while none of its CPUs is idle.  A domain
	 * with an idle CPU was kicked when its tasks were queued.
	 */
	bpf_for(i, 0, dinfo->nr_same_node) {
		u32 idx = dinfo->steal_start + i, *victim;

		victim = bpf_map_lookup_elem(&steal_order, &idx);
		if (!victim)
			break;
		if (scx_bpf_dsq_nr_queued(*victim) > 0 && !domain_has_idle(*victim) &&
		    scx_bpf_dsq_move_to_local(*victim))
			return;
	}

	/*
	 * Nothing else to run, so @prev goes on.  The kernel would refill its
	 * slice to SCX_SLICE_DFL (20 ms), and for that long this CPU would not
	 * dispatch, so not steal (step 1): an overdue task queued elsewhere
	 * would wait up to 20 ms past its deadline instead of a slice.
	 */
	if (prev && (prev->scx.flags & SCX_TASK_QUEUED))
		prev->scx.slice = slice_ns;
}

/*
 * An RT or deadline task took @cpu.  Whatever waits in its local DSQ
 * (placed there by select_cpu() or a steal) would wait for as long as that
 * task runs, and a watchdog timeout would eject us: send it back through
 * slo_enqueue(), which queues it in its domain or on an idle CPU.
 */
void BPF_STRUCT_OPS(slo_cpu_release, s32 cpu, struct scx_cpu_release_args *args)
{
	scx_bpf_reenqueue_local();
}

void BPF_STRUCT_OPS(slo_runnable, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = lookup_task_ctx(p);

	if (!tctx)
		return;
	tctx->queued_at = scx_bpf_now();
	refresh_budget(p, tctx);
	clamp_lag(tctx);
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
	task_set_domain(tctx, info->domain);
	if (tctx->queued_domain == QUEUED_DIRECT)
		tctx->vdeadline = tctx->vruntime + tctx->budget_ns;

	dctx = lookup_domain_ctx(clock_domain(info->domain));
	if (dctx && (s64)(tctx->vruntime - dctx->vclock) > 0)
		dctx->vclock = tctx->vruntime;
	cctx = bpf_map_lookup_elem(&cpu_ctxs, &cpu);
	if (cctx)
		cctx->running_deadline = tctx->vdeadline ?: 1;

	account_start(tctx, info->domain, info->node, now);
	tctx->queued_domain = QUEUED_DIRECT;
}

void BPF_STRUCT_OPS(slo_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	s32 cpu = scx_bpf_task_cpu(p);
	struct cpu_ctx *cctx = bpf_map_lookup_elem(&cpu_ctxs, &cpu);
	u64 now = scx_bpf_now();

	if (cctx)
		cctx->running_deadline = 0;
	if (!tctx)
		return;
	/* the task's own weight (nice, cpu.weight) times its SLO's weight */
	tctx->vruntime += (now - tctx->started_at) * 10000 /
			  ((u64)(p->scx.weight ?: 100) * (tctx->weight ?: 100));
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
	struct online_ctx *octx;
	u32 i, zero = 0;
	s32 ret;

	if (debug_verifier_reject) {
		/* deliberately invalid: a store through a scalar */
		u64 *bogus = (u64 *)bpf_ktime_get_ns();

		*bogus = 0;
	}

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
 */
void BPF_STRUCT_OPS(slo_cgroup_exit, struct cgroup *cgrp)
{
	u64 id = cgrp->kn->id;

	bpf_map_delete_elem(&slo_cgroup_stats, &id);
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
	.cgroup_exit	= (void *)slo_cgroup_exit,
	.cpu_release	= (void *)slo_cpu_release,
	.dump		= (void *)slo_dump,
	.dump_task	= (void *)slo_dump_task,
	.exit_dump_len	= SLO_EXIT_DUMP_LEN,
	.init		= (void *)slo_init,
	.exit		= (void *)slo_exit,
	.name		= SCX_SLO_OPS_NAME,
};
