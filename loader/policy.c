// SPDX-License-Identifier: GPL-2.0
/*
 * The failure policy (see policy.h and README.md "Failure policy").
 */
#include "policy.h"

const char *slo_exit_kind_name(int kind)
{
	switch (kind) {
	case SLO_EXIT_KIND_NONE:	return "NONE";
	case SLO_EXIT_KIND_DONE:	return "DONE";
	case SLO_EXIT_KIND_UNREG:	return "UNREG";
	case SLO_EXIT_KIND_UNREG_BPF:	return "UNREG_BPF";
	case SLO_EXIT_KIND_UNREG_KERN:	return "UNREG_KERN";
	case SLO_EXIT_KIND_SYSRQ:	return "SYSRQ";
	case SLO_EXIT_KIND_PARENT:	return "PARENT";
	case SLO_EXIT_KIND_PARENT_KILL:	return "PARENT_KILL";
	case SLO_EXIT_KIND_ERROR:	return "ERROR";
	case SLO_EXIT_KIND_ERROR_BPF:	return "ERROR_BPF";
	case SLO_EXIT_KIND_ERROR_STALL:	return "ERROR_STALL";
	case 1027:			return "ERROR_REENQ";
	case 1028:			return "ERROR_RESCUE";
	default:	return kind >= SLO_EXIT_KIND_ERROR ? "ERROR_OTHER" : "OTHER";
	}
}

static struct slo_decision act(enum slo_action action, int code, const char *why)
{
	return (struct slo_decision){ .action = action, .exit_code = code, .why = why };
}

struct slo_decision slo_policy_decide(enum slo_outcome outcome, int kind,
				      int64_t exit_code, bool stopping)
{
	switch (outcome) {
	case SLO_OUT_SLOT_TAKEN:
		/*
		 * Exiting would crash-loop against a condition only the other
		 * scheduler's owner clears (or the old pod of a rolling update,
		 * still detaching): wait for the slot instead.
		 */
		if (stopping)
			return act(SLO_ACT_EXIT, EXIT_OK, "stopped while waiting for the sched_ext slot");
		return act(SLO_ACT_RETRY, 0, "another sched_ext scheduler is attached");
	case SLO_OUT_VERIFIER:
		/* the same program on the same kernel fails the same way */
		return act(SLO_ACT_EXIT, EXIT_VERIFIER, "the BPF verifier rejected the scheduler");
	case SLO_OUT_LOAD_FAILED:
		return act(SLO_ACT_EXIT, EXIT_FAILURE_OTHER, "cannot load or attach the scheduler");
	case SLO_OUT_NO_SCHED_EXT:
		return act(SLO_ACT_EXIT, EXIT_NO_SCHED_EXT, "the kernel cannot run sched_ext schedulers");
	case SLO_OUT_DETACHED:
		break;
	}

	/*
	 * An error exit is a bug of ours or a workload the scheduler cannot
	 * serve (a stall): re-attaching at once could repeat it as fast as
	 * the watchdog fires.  Exit, so that the kubelet's growing back-off
	 * spaces the attempts and the pod's status carries the reason.
	 */
	if (kind >= SLO_EXIT_KIND_ERROR)
		return act(SLO_ACT_EXIT, EXIT_SCHED_ERROR, "the kernel ejected the scheduler");
	if (stopping)
		return act(SLO_ACT_EXIT, EXIT_OK, "detached on request");
	/* the kernel asks for it: CPU hotplug changed the topology */
	if ((uint64_t)exit_code & SLO_ECODE_ACT_RESTART)
		return act(SLO_ACT_RESTART, 0, "the kernel asked for a restart");
	/* an operator's emergency switch back to the fair scheduler: respected */
	if (kind == SLO_EXIT_KIND_SYSRQ)
		return act(SLO_ACT_PARK, 0, "detached by SysRq-S");
	/* UNREG_BPF/UNREG_KERN/PARENT*, or a kind newer than us: not our error */
	return act(SLO_ACT_RETRY, 0, "unregistered without an error");
}

uint32_t slo_backoff_ms(unsigned int attempt, uint32_t rnd)
{
	uint32_t full = SLO_BACKOFF_CAP_MS, half;

	if (attempt < 16 && (SLO_BACKOFF_BASE_MS << attempt) < SLO_BACKOFF_CAP_MS)
		full = SLO_BACKOFF_BASE_MS << attempt;
	half = full / 2;
	return half + rnd % (half + 1);
}
