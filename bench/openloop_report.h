/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __OPENLOOP_REPORT_H
#define __OPENLOOP_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "openloop_schedule.h"

/*
 * What bench/openloop measured, summed up per step and per window of time.
 * Every request belongs to the step and the window of its SCHEDULED send
 * time, and its latency runs from that time: a generator (or a server)
 * that falls behind shows as latency, never as requests left out.
 */

/* status of a request the generator could not send: too many in flight */
#define OL_STATUS_OVERFLOW	(-1)
/* the status a shed request carries (nginx's and the loader's contract) */
#define OL_STATUS_SHED		503

struct ol_record {
	uint64_t sched_ns;	/* scheduled send time, since the start */
	uint64_t send_ns;	/* handed to the HTTP client */
	uint64_t done_ns;	/* answer complete, or the failure seen */
	int32_t status;		/* HTTP status; 0 when there was none */
	int32_t error;		/* the client's error code (curl), 0 for none */
	uint32_t step;
};

struct ol_report_opts {
	uint64_t budget_ns;	/* a 2xx within it is "good" */
	uint64_t timeout_ns;	/* what a failed admitted request counts as */
	uint64_t window_ns;	/* time series resolution */
	uint64_t hold_ns;	/* how long a window's state must last to count */
	double healthy;		/* share of admitted requests good in a healthy window */
	double clear_shed;	/* at most this share shed in a clear window */
};

/* the defaults bench/openloop uses: 250 ms windows held 1 s, 95 %, 1 % */
void ol_report_opts_default(struct ol_report_opts *o, uint64_t budget_ns, uint64_t timeout_ns);

/*
 * The summary as one JSON object:
 *   steps[]:  per step, offered and good requests a second, shed and error
 *             counts, percentiles of admitted (not shed) requests (a
 *             failed one counts as the timeout) and of 2xx answers, the
 *             generator's own send lag, and
 *     settle_s: from the step's start until admitted requests are back in
 *               budget: the first window that starts a run of healthy
 *               windows lasting hold (or to the step's end); null: never
 *     clear_s:  the same, with windows that are also clear (almost
 *               nothing shed): the recovery after load drops
 *   windows:  per window, requests scheduled, good, shed, and admitted
 *             but not good.
 * rec[] holds n records in scheduled order.  Returns 0, -1 on a write error.
 */
int ol_report_json(FILE *f, const struct ol_schedule *s, const struct ol_record *rec, size_t n,
		   const struct ol_report_opts *o);

#endif /* __OPENLOOP_REPORT_H */
