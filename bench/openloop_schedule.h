/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __OPENLOOP_SCHEDULE_H
#define __OPENLOOP_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The offered load of bench/openloop: a list of steps, each a rate of
 * Poisson arrivals held for a duration.
 */

#define OL_MAX_STEPS		256
#define OL_MAX_RATE		100000.0	/* requests/s */
#define OL_MAX_STEP_NS		(3600ULL * 1000000000ULL)
#define OL_MAX_REQUESTS		20000000ULL	/* expected arrivals, all steps */

struct ol_step {
	double rate;		/* requests/s; 0 = a pause */
	uint64_t duration_ns;
};

struct ol_schedule {
	struct ol_step steps[OL_MAX_STEPS];
	size_t n;
	uint64_t total_ns;
};

/*
 * "RATE:DURATION[,RATE:DURATION...]", e.g. "50:10s,100:2s" (rates may have
 * a fraction, durations need a unit).  Returns 0, or -1 with one line
 * naming the problem in err.
 */
int ol_schedule_parse(const char *list, struct ol_schedule *s, char *err, size_t errlen);

/* The same from a file: one "RATE DURATION" per line, '#' comments. */
int ol_schedule_parse_file(const char *path, struct ol_schedule *s, char *err, size_t errlen);

/*
 * Arrival times: exponential gaps at each step's rate, from a seeded
 * generator, so a seed gives the same arrivals on every run.  A gap that
 * crosses a step's end is drawn again from the end at the next step's rate
 * (Poisson arrivals are memoryless, so that is exact).
 */
struct ol_arrivals {
	const struct ol_schedule *s;
	size_t step;
	uint64_t step_start_ns;
	double t_ns;		/* the last arrival, since the start */
	uint64_t rng;
};

void ol_arrivals_init(struct ol_arrivals *a, const struct ol_schedule *s, uint64_t seed);

/* The next arrival (ns since the start) and its step; false at the end. */
bool ol_arrivals_next(struct ol_arrivals *a, uint64_t *at_ns, uint32_t *step);

#endif /* __OPENLOOP_SCHEDULE_H */
