/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_slo: per-cgroup latency budgets, scheduled earliest-deadline-first.
 *
 * Every task has a latency budget B: that of the nearest cgroup, walking up
 * from its own, with an entry in the slo_budgets map, or the default budget
 * (100 ms).  The loader fills the map; the BPF side never calls back.
 *
 * Ordering.  Each task carries a weighted virtual runtime (vruntime) that
 * advances with the CPU it consumes, scaled by 100 / weight.  When it is
 * queued, its virtual deadline is vruntime + B, and the deadline queue runs
 * the earliest virtual deadline first.  A task that just woke is first pulled
 * up to no more than lag_cap_ns behind the scheduler's clock (the largest
 * vruntime seen starting to run), so its deadline lands about B ahead of the
 * clock: a 5 ms task overtakes a 100 ms task that woke at the same moment.
 *
 * The budget buys latency, not CPU.  Because B is a constant offset added to
 * a clock that advances with consumed CPU, two always-runnable tasks with
 * different budgets settle into alternating runs and each gets an equal,
 * weight-proportional share: the tight-budget task only runs *earlier*.  The
 * lag clamp bounds the credit a sleeper can bank, so a task that sleeps for
 * a minute cannot then monopolise a CPU.
 *
 * Misses.  Separately from the virtual deadline, each time a task is queued
 * (woken, or put back after its slice) it gets a wall deadline: now + B.
 * Starting to run after it is a deadline miss, counted per cgroup with the
 * lateness and a log2 histogram of queueing delay, in per-CPU maps the
 * loader sums.
 *
 * Placement.  A waking task goes straight to an idle CPU when the kernel's
 * default idle selection finds one (prev CPU, then its LLC, then anywhere);
 * otherwise it is queued.
 *
 * This is the walking skeleton: one global deadline queue, no preemption
 * and no topology.  Per-LLC queues, preemption and overdue stealing
 * replace it.  The trade-off of a single queue is contention on its lock
 * and cross-LLC migrations; its virtue is that deadlines are globally exact.
 */
#include "scx_slo_common.bpf.h"
#include "scx_slo.h"

char _license[] SEC("license") = "GPL";

/* Load-time knobs, set by the loader before the program is verified. */
const volatile u64 slice_ns = 3 * SLO_NSEC_PER_MSEC;
const volatile u64 default_budget_ns = SLO_DEFAULT_BUDGET_NS;
const volatile u64 lag_cap_ns = 3 * SLO_NSEC_PER_MSEC;
/* Test hook: make the verifier reject the program, to test that path. */
const volatile bool debug_verifier_reject;

/* Written by ops.exit, polled by the loader. */
struct slo_exit_info exit_info;

/*
 * Bumped by the loader after it changes slo_budgets, so tasks re-resolve
 * their cached budget on their next wakeup.
 */
volatile u64 budget_generation;

/* Largest vruntime that started running; the reference for lag clamping. */
static u64 vclock;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLO_MAX_BUDGETS);
	__type(key, u64);			/* cgroup id */
	__type(value, struct slo_budget);
} slo_budgets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLO_NR_STATS);
	__type(key, u32);
	__type(value, u64);
} slo_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SLO_MAX_CGROUP_STATS);
	__type(key, u64);			/* cgroup id */
	__type(value, struct slo_cgroup_stats);
} slo_cgroup_stats SEC(".maps");

struct task_ctx {
	u64 vruntime;		/* weighted CPU consumed: the fairness clock */
	u64 queued_at;		/* last became runnable or was put back */
	u64 started_at;		/* last started running */
	u64 cgroup_id;		/* own cgroup, key for slo_cgroup_stats */
	u64 budget_ns;		/* resolved budget, cached */
	u64 budget_gen;		/* budget_generation it was resolved at */
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

static struct task_ctx *lookup_task_ctx(struct task_struct *p)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);

	if (!tctx)
		scx_bpf_error("task_ctx lookup failed for pid %d", p->pid);
	return tctx;
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

/* The budget of the nearest cgroup, from @cgrp up, that has one. */
static u64 resolve_budget(struct cgroup *cgrp)
{
	int level = BPF_CORE_READ(cgrp, level);
	int i;

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
		budget = bpf_map_lookup_elem(&slo_budgets, &id);
		if (budget)
			return budget->budget_ns;
	}
	return default_budget_ns;
}

/*
 * Cache the budget per task; a wakeup only pays for the cgroup walk when the
 * task changed cgroup or the loader changed the budgets.
 */
static void refresh_budget(struct task_struct *p, struct task_ctx *tctx)
{
	struct cgroup *cgrp = task_dfl_cgroup(p);
	u64 gen = budget_generation;
	u64 id;

	if (!cgrp)
		return;
	id = cgroup_id_of(cgrp);
	if (id == tctx->cgroup_id && gen == tctx->budget_gen && tctx->budget_ns)
		return;
	tctx->cgroup_id = id;
	tctx->budget_gen = gen;
	tctx->budget_ns = resolve_budget(cgrp);
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
	/* from BPF, a per-CPU insert sets this CPU's copy and zeroes the rest */
	bpf_map_update_elem(&slo_cgroup_stats, &cgroup_id, &zero, BPF_NOEXIST);
	cs = bpf_map_lookup_elem(&slo_cgroup_stats, &cgroup_id);
	if (!cs)
		stat_inc(SLO_STAT_CGROUP_STATS_FULL);
	return cs;
}

static void account_start(struct task_ctx *tctx, u64 now)
{
	u64 wall_deadline = tctx->queued_at + tctx->budget_ns;
	u64 delay = now - tctx->queued_at;
	struct slo_cgroup_stats *cs;
	bool missed = (s64)(now - wall_deadline) > 0;

	stat_inc(SLO_STAT_RUNS);
	if (missed)
		stat_inc(SLO_STAT_MISSES);

	cs = lookup_cgroup_stats(tctx->cgroup_id);
	if (!cs)
		return;
	cs->runs++;
	cs->delay_ns += delay;
	cs->delay_hist[delay_bucket(delay)]++;
	if (missed) {
		cs->misses++;
		cs->lateness_ns += now - wall_deadline;
	}
}

s32 BPF_STRUCT_OPS(slo_select_cpu, struct task_struct *p, s32 prev_cpu,
		   u64 wake_flags)
{
	bool is_idle = false;
	s32 cpu;

	cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
	if (is_idle) {
		stat_inc(SLO_STAT_DIRECT_DISPATCH);
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
	}
	return cpu;
}

void BPF_STRUCT_OPS(slo_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = lookup_task_ctx(p);

	if (!tctx)
		return;
	stat_inc(SLO_STAT_ENQUEUE);
	scx_bpf_dsq_insert_vtime(p, SLO_GLOBAL_DSQ, slice_ns,
				 tctx->vruntime + tctx->budget_ns, enq_flags);
}

void BPF_STRUCT_OPS(slo_dispatch, s32 cpu, struct task_struct *prev)
{
	if (scx_bpf_dsq_move_to_local(SLO_GLOBAL_DSQ))
		stat_inc(SLO_STAT_DSQ_DISPATCH);
}

void BPF_STRUCT_OPS(slo_runnable, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	u64 clock = vclock;

	if (!tctx)
		return;
	tctx->queued_at = scx_bpf_now();
	refresh_budget(p, tctx);
	/* sleeping banks at most lag_cap_ns of credit */
	if (clock > lag_cap_ns && tctx->vruntime < clock - lag_cap_ns)
		tctx->vruntime = clock - lag_cap_ns;
}

void BPF_STRUCT_OPS(slo_running, struct task_struct *p)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	u64 now = scx_bpf_now();

	if (!tctx)
		return;
	tctx->started_at = now;
	if (tctx->vruntime > vclock)
		vclock = tctx->vruntime;
	account_start(tctx, now);
}

void BPF_STRUCT_OPS(slo_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	u64 now = scx_bpf_now(), used;

	if (!tctx)
		return;
	used = now - tctx->started_at;
	tctx->vruntime += used * 100 / (p->scx.weight ?: 100);
	/* still runnable: it goes back in the queue and waits from now */
	if (runnable)
		tctx->queued_at = now;
}

void BPF_STRUCT_OPS(slo_enable, struct task_struct *p)
{
	struct task_ctx *tctx = lookup_task_ctx(p);

	if (!tctx)
		return;
	tctx->vruntime = vclock;
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

s32 BPF_STRUCT_OPS_SLEEPABLE(slo_init)
{
	if (debug_verifier_reject) {
		/* deliberately invalid: a store through a scalar */
		u64 *bogus = (u64 *)bpf_ktime_get_ns();

		*bogus = 0;
	}
	return scx_bpf_create_dsq(SLO_GLOBAL_DSQ, -1);
}

void BPF_STRUCT_OPS(slo_exit, struct scx_exit_info *ei)
{
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
	.init		= (void *)slo_init,
	.exit		= (void *)slo_exit,
	.name		= SCX_SLO_OPS_NAME,
};
