/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_POLICY_H
#define __SLO_POLICY_H

/*
 * What the loader does after each way a run can end: the kernel's exit
 * kinds (enum scx_exit_kind) and the loader's own failures.  Pure
 * decisions, no I/O, so that the table in README.md ("Failure policy") is
 * what the unit tests check.
 *
 * A DaemonSet's restartPolicy is Always: every exit is followed by a
 * kubelet restart (10 s, 20 s, ... up to 5 min while it keeps failing).  So
 * the loader exits only where a fresh process and the kubelet's back-off
 * are the right answer, and where the pod's status (restart count,
 * lastState.terminated.message) should show it; it waits in-process where
 * exiting would only crash-loop against a condition another party clears.
 */
#include <stdbool.h>
#include <stdint.h>

/* Kernel ABI: enum scx_exit_kind and the action bits of exit_code. */
#define SLO_EXIT_KIND_NONE		0
#define SLO_EXIT_KIND_DONE		1
#define SLO_EXIT_KIND_UNREG		64
#define SLO_EXIT_KIND_UNREG_BPF		65
#define SLO_EXIT_KIND_UNREG_KERN	66
#define SLO_EXIT_KIND_SYSRQ		67
#define SLO_EXIT_KIND_PARENT		68
#define SLO_EXIT_KIND_PARENT_KILL	69
#define SLO_EXIT_KIND_ERROR		1024
#define SLO_EXIT_KIND_ERROR_BPF		1025
#define SLO_EXIT_KIND_ERROR_STALL	1026
#define SLO_ECODE_ACT_RESTART		(1ULL << 48)

/* The loader's exit status, one per failure (README.md "Exit status"). */
enum slo_exit_code {
	EXIT_OK			= 0,
	EXIT_FAILURE_OTHER	= 1,	/* load/attach failed for another reason */
	EXIT_USAGE		= 2,	/* bad command line or input */
	EXIT_NOT_ROOT		= 3,
	EXIT_NO_SCHED_EXT	= 4,	/* kernel built without sched_ext */
	EXIT_BUSY		= 5,	/* another scx_slo holds our heartbeat */
	EXIT_VERIFIER		= 6,	/* the verifier rejected the program */
	EXIT_SCHED_ERROR	= 7,	/* the kernel ejected the scheduler */
};

enum slo_action {
	SLO_ACT_EXIT,		/* exit with .exit_code */
	SLO_ACT_RESTART,	/* load and attach again at once */
	SLO_ACT_RETRY,		/* wait (backoff with jitter), then load again */
	SLO_ACT_PARK,		/* stay detached until SIGHUP or the pod restarts */
};

struct slo_decision {
	enum slo_action action;
	int exit_code;		/* SLO_ACT_EXIT only */
	const char *why;	/* for the log and the termination message */
};

/* How a run of the scheduler ended, as the loader saw it. */
enum slo_outcome {
	SLO_OUT_DETACHED,	/* attached, then the kernel's exit_info says why */
	SLO_OUT_SLOT_TAKEN,	/* another sched_ext scheduler holds the slot */
	SLO_OUT_VERIFIER,	/* the BPF verifier rejected the program */
	SLO_OUT_LOAD_FAILED,	/* open/load/attach failed otherwise */
	SLO_OUT_NO_SCHED_EXT,	/* the kernel cannot run us at all */
};

/* "UNREG", "ERROR_STALL", ...: the kernel's name without SCX_EXIT_. */
const char *slo_exit_kind_name(int kind);

/*
 * The decision for a run that ended with @outcome; for SLO_OUT_DETACHED,
 * @kind and @exit_code are the kernel's exit_info, and @stopping says a
 * SIGTERM/SIGINT asked us to stop (then nothing is restarted).
 */
struct slo_decision slo_policy_decide(enum slo_outcome outcome, int kind,
				      int64_t exit_code, bool stopping);

/*
 * Exponential backoff with jitter for retries in-process: the n-th wait
 * (n from 0) is min(base << n, cap), of which a random half is jittered
 * away ("equal jitter"), so loaders on many nodes that lost the slot at
 * once do not retry in step.  @rnd is any 32-bit random value.
 */
#define SLO_BACKOFF_BASE_MS	1000
#define SLO_BACKOFF_CAP_MS	30000
uint32_t slo_backoff_ms(unsigned int attempt, uint32_t rnd);

#endif /* __SLO_POLICY_H */
