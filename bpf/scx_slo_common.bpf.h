/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The project's own sched_ext kfunc declarations and compatibility helpers.
 *
 * No Debian package ships scx's BPF headers, and bpftool's generated kfunc
 * prototypes describe only the kernel vmlinux.h was dumped from, so we
 * suppress those (BPF_NO_KFUNC_PROTOTYPES) and declare what we call here.
 *
 * sched_ext renamed and extended kfuncs between 6.12 and 7.x:
 *
 *   6.12   scx_bpf_dispatch[_vtime](), scx_bpf_consume()
 *   6.13   scx_bpf_dsq_insert[_vtime](), scx_bpf_dsq_move_to_local()
 *   6.14   scx_bpf_now()
 *   6.19   scx_bpf_dsq_insert___v2() returns bool,
 *          __scx_bpf_dsq_insert_vtime() takes an argument struct,
 *          scx_bpf_dsq_peek() (unsafe until 7.1)
 *
 * Every name that is not in all of them is declared __weak, and callers go
 * through the static inlines below, which test bpf_ksym_exists() on the
 * newest form first.  libbpf resolves a missing weak kfunc to zero, the
 * verifier sees a constant branch and drops the dead call, so the choice is
 * made when the program is loaded, on the kernel it is loaded into.  libbpf
 * strips only the last "___suffix" of a name when it resolves a kfunc, so
 * "scx_bpf_dsq_insert___compat" asks for scx_bpf_dsq_insert and
 * "scx_bpf_dsq_insert___v2___compat" for scx_bpf_dsq_insert___v2, which is
 * the kernel's own name for the bool-returning form.  bpf/kfuncs.txt lists
 * every call path and its alternatives, and the build checks each one
 * against the BTF of every cached test kernel (bpf/check-kfuncs.sh).
 */
#ifndef __SCX_SLO_COMMON_BPF_H
#define __SCX_SLO_COMMON_BPF_H

#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* vmlinux.h carries no macros: the errno values BPF returns to the kernel. */
#ifndef ENOMEM
#define ENOMEM		12
#endif
#ifndef CLOCK_MONOTONIC
#define CLOCK_MONOTONIC	1
#endif
#ifndef EINVAL
#define EINVAL		22
#endif

/* Present in every sched_ext kernel (6.12+). */
s32 scx_bpf_create_dsq(u64 dsq_id, s32 node) __ksym;
s32 scx_bpf_select_cpu_dfl(struct task_struct *p, s32 prev_cpu, u64 wake_flags,
			   bool *is_idle) __ksym;
void scx_bpf_kick_cpu(s32 cpu, u64 flags) __ksym;
s32 scx_bpf_dsq_nr_queued(u64 dsq_id) __ksym;
void scx_bpf_exit_bstr(s64 exit_code, char *fmt, unsigned long long *data,
		       u32 data__sz) __ksym;
void scx_bpf_error_bstr(char *fmt, unsigned long long *data, u32 data__sz) __ksym;
s32 scx_bpf_pick_idle_cpu(const struct cpumask *cpus_allowed, u64 flags) __ksym;
bool scx_bpf_test_and_clear_cpu_idle(s32 cpu) __ksym;
s32 scx_bpf_task_cpu(const struct task_struct *p) __ksym;
const struct cpumask *scx_bpf_get_idle_cpumask(void) __ksym;
void scx_bpf_put_idle_cpumask(const struct cpumask *cpumask) __ksym;
const struct cpumask *scx_bpf_get_idle_smtmask(void) __ksym;

/* The DSQ iterator (6.12+), for bpf_for_each(scx_dsq, p, dsq_id, flags). */
int bpf_iter_scx_dsq_new(struct bpf_iter_scx_dsq *it, u64 dsq_id, u64 flags) __ksym __weak;
struct task_struct *bpf_iter_scx_dsq_next(struct bpf_iter_scx_dsq *it) __ksym __weak;
void bpf_iter_scx_dsq_destroy(struct bpf_iter_scx_dsq *it) __ksym __weak;
/* The iterator variable bpf_for_each() declares, for scx_bpf_dsq_move(). */
#define BPF_FOR_EACH_ITER	(&___it)

/* BPF cpumasks (kernel/bpf/cpumask.c). */
struct bpf_cpumask *bpf_cpumask_create(void) __ksym;
void bpf_cpumask_release(struct bpf_cpumask *cpumask) __ksym;
void bpf_cpumask_set_cpu(u32 cpu, struct bpf_cpumask *cpumask) __ksym;
bool bpf_cpumask_test_cpu(u32 cpu, const struct cpumask *cpumask) __ksym;
bool bpf_cpumask_and(struct bpf_cpumask *dst, const struct cpumask *src1,
		     const struct cpumask *src2) __ksym;
bool bpf_cpumask_intersects(const struct cpumask *src1,
			    const struct cpumask *src2) __ksym;
u32 bpf_cpumask_any_and_distribute(const struct cpumask *src1,
				   const struct cpumask *src2) __ksym;
void bpf_rcu_read_lock(void) __ksym;
void bpf_rcu_read_unlock(void) __ksym;

/* Renamed or added along the way: resolved at load time. */
bool scx_bpf_dsq_insert___v2___compat(struct task_struct *p, u64 dsq_id,
				      u64 slice, u64 enq_flags) __ksym __weak;
void scx_bpf_dsq_insert___compat(struct task_struct *p, u64 dsq_id,
				 u64 slice, u64 enq_flags) __ksym __weak;
void scx_bpf_dispatch___compat(struct task_struct *p, u64 dsq_id, u64 slice,
			       u64 enq_flags) __ksym __weak;

bool __scx_bpf_dsq_insert_vtime(struct task_struct *p,
				struct scx_bpf_dsq_insert_vtime_args *args) __ksym __weak;
void scx_bpf_dsq_insert_vtime___compat(struct task_struct *p, u64 dsq_id,
				       u64 slice, u64 vtime, u64 enq_flags) __ksym __weak;
void scx_bpf_dispatch_vtime___compat(struct task_struct *p, u64 dsq_id,
				     u64 slice, u64 vtime, u64 enq_flags) __ksym __weak;

bool scx_bpf_dsq_move_to_local___compat(u64 dsq_id) __ksym __weak;
bool scx_bpf_consume___compat(u64 dsq_id) __ksym __weak;

u64 scx_bpf_now___compat(void) __ksym __weak;

/* Re-enqueue the local DSQ: 6.19+ any context (void), before cpu_release only. */
void scx_bpf_reenqueue_local___v2___compat(void) __ksym __weak;
u32 scx_bpf_reenqueue_local___compat(void) __ksym __weak;

/* ops.dump output (6.12+). */
void scx_bpf_dump_bstr(char *fmt, unsigned long long *data, u32 data__sz) __ksym;

/* Move a task found by the DSQ iterator: 6.13+ name, then 6.12's. */
bool scx_bpf_dsq_move___compat(struct bpf_iter_scx_dsq *it__iter,
			       struct task_struct *p, u64 dsq_id,
			       u64 enq_flags) __ksym __weak;
bool scx_bpf_dispatch_from_dsq___compat(struct bpf_iter_scx_dsq *it__iter,
					struct task_struct *p, u64 dsq_id,
					u64 enq_flags) __ksym __weak;

/* The same into a vtime-ordered DSQ, with the vtime set first. */
void scx_bpf_dsq_move_set_vtime___compat(struct bpf_iter_scx_dsq *it__iter,
					 u64 vtime) __ksym __weak;
void scx_bpf_dispatch_from_dsq_set_vtime___compat(struct bpf_iter_scx_dsq *it__iter,
						  u64 vtime) __ksym __weak;
bool scx_bpf_dsq_move_vtime___compat(struct bpf_iter_scx_dsq *it__iter,
				     struct task_struct *p, u64 dsq_id,
				     u64 enq_flags) __ksym __weak;
bool scx_bpf_dispatch_vtime_from_dsq___compat(struct bpf_iter_scx_dsq *it__iter,
					      struct task_struct *p, u64 dsq_id,
					      u64 enq_flags) __ksym __weak;

/*
 * Peek at a DSQ's first task without locking it (6.19+).  It is only safe
 * from 7.1 on; the loader decides whether to use it (rodata) and this
 * declaration only makes the call possible.
 */
struct task_struct *scx_bpf_dsq_peek___compat(u64 dsq_id) __ksym __weak;

static __always_inline void scx_bpf_dsq_insert(struct task_struct *p, u64 dsq_id,
					       u64 slice, u64 enq_flags)
{
	if (bpf_ksym_exists(scx_bpf_dsq_insert___v2___compat))
		scx_bpf_dsq_insert___v2___compat(p, dsq_id, slice, enq_flags);
	else if (bpf_ksym_exists(scx_bpf_dsq_insert___compat))
		scx_bpf_dsq_insert___compat(p, dsq_id, slice, enq_flags);
	else
		scx_bpf_dispatch___compat(p, dsq_id, slice, enq_flags);
}

static __always_inline void scx_bpf_dsq_insert_vtime(struct task_struct *p,
						     u64 dsq_id, u64 slice,
						     u64 vtime, u64 enq_flags)
{
	if (bpf_ksym_exists(__scx_bpf_dsq_insert_vtime)) {
		struct scx_bpf_dsq_insert_vtime_args args = {
			.dsq_id = dsq_id,
			.slice = slice,
			.vtime = vtime,
			.enq_flags = enq_flags,
		};

		__scx_bpf_dsq_insert_vtime(p, &args);
	} else if (bpf_ksym_exists(scx_bpf_dsq_insert_vtime___compat)) {
		scx_bpf_dsq_insert_vtime___compat(p, dsq_id, slice, vtime, enq_flags);
	} else {
		scx_bpf_dispatch_vtime___compat(p, dsq_id, slice, vtime, enq_flags);
	}
}

static __always_inline bool scx_bpf_dsq_move_to_local(u64 dsq_id)
{
	if (bpf_ksym_exists(scx_bpf_dsq_move_to_local___compat))
		return scx_bpf_dsq_move_to_local___compat(dsq_id);
	return scx_bpf_consume___compat(dsq_id);
}

static __always_inline bool scx_bpf_dsq_move(struct bpf_iter_scx_dsq *it,
					     struct task_struct *p, u64 dsq_id,
					     u64 enq_flags)
{
	if (bpf_ksym_exists(scx_bpf_dsq_move___compat))
		return scx_bpf_dsq_move___compat(it, p, dsq_id, enq_flags);
	return scx_bpf_dispatch_from_dsq___compat(it, p, dsq_id, enq_flags);
}

static __always_inline bool scx_bpf_dsq_move_vtime(struct bpf_iter_scx_dsq *it,
						   struct task_struct *p, u64 dsq_id,
						   u64 vtime, u64 enq_flags)
{
	if (bpf_ksym_exists(scx_bpf_dsq_move_vtime___compat)) {
		scx_bpf_dsq_move_set_vtime___compat(it, vtime);
		return scx_bpf_dsq_move_vtime___compat(it, p, dsq_id, enq_flags);
	}
	scx_bpf_dispatch_from_dsq_set_vtime___compat(it, vtime);
	return scx_bpf_dispatch_vtime_from_dsq___compat(it, p, dsq_id, enq_flags);
}

static __always_inline void scx_bpf_reenqueue_local(void)
{
	if (bpf_ksym_exists(scx_bpf_reenqueue_local___v2___compat))
		scx_bpf_reenqueue_local___v2___compat();
	else
		scx_bpf_reenqueue_local___compat();
}

/*
 * scx_bpf_now() (6.14+) is the rq clock, cheaper than and close to
 * bpf_ktime_get_ns(); both count CLOCK_MONOTONIC nanoseconds.
 */
static __always_inline u64 scx_bpf_now(void)
{
	if (bpf_ksym_exists(scx_bpf_now___compat))
		return scx_bpf_now___compat();
	return bpf_ktime_get_ns();
}

/*
 * scx_bpf_error("fmt", args...): abort the scheduler with a formatted
 * message.  The kernel takes the format and a u64 array of arguments, the
 * same calling convention as bpf_seq_printf().
 */
#define ___slo_bstr_preamble(fmt, args...)					\
	static char ___fmt[] = fmt;						\
	unsigned long long ___param[___bpf_narg(args)] = {};			\
										\
	_Pragma("GCC diagnostic push")						\
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")			\
	___bpf_fill(___param, args);						\
	_Pragma("GCC diagnostic pop")

#define scx_bpf_error(fmt, args...)						\
({										\
	___slo_bstr_preamble(fmt, ##args)					\
	scx_bpf_error_bstr(___fmt, ___param, sizeof(___param));		\
})

#define scx_bpf_exit(code, fmt, args...)					\
({										\
	___slo_bstr_preamble(fmt, ##args)					\
	scx_bpf_exit_bstr((code), ___fmt, ___param, sizeof(___param));		\
})

/* scx_bpf_dump("fmt", args...): a line of the kernel's debug dump. */
#define scx_bpf_dump(fmt, args...)						\
({										\
	___slo_bstr_preamble(fmt, ##args)					\
	scx_bpf_dump_bstr(___fmt, ___param, sizeof(___param));			\
})

#define BPF_STRUCT_OPS(name, args...)						\
	SEC("struct_ops/" #name) BPF_PROG(name, ##args)

#define BPF_STRUCT_OPS_SLEEPABLE(name, args...)					\
	SEC("struct_ops.s/" #name) BPF_PROG(name, ##args)

/* Copy the kernel's exit information into a struct slo_exit_info. */
#define SLO_RECORD_EXIT(dst, ei)						\
({										\
	(dst).exit_code = (ei)->exit_code;					\
	/* exit_cpu is new (7.1): absent, the field relocation would fail */	\
	(dst).exit_cpu = bpf_core_field_exists((ei)->exit_cpu) ?		\
		BPF_CORE_READ((ei), exit_cpu) : -1;				\
	bpf_probe_read_kernel_str((dst).reason, sizeof((dst).reason),		\
				  (ei)->reason);				\
	bpf_probe_read_kernel_str((dst).msg, sizeof((dst).msg), (ei)->msg);	\
	/* kind last: userspace polls it and then reads the rest */		\
	asm volatile("" ::: "memory");						\
	(dst).kind = (ei)->kind;						\
})

#endif /* __SCX_SLO_COMMON_BPF_H */
