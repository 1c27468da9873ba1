/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Latency histograms for slo_probe: log-linear buckets in the manner of
 * HdrHistogram, hand-written, pure C, no threads.
 *
 * Values are unsigned 64-bit (slo_probe records nanoseconds).  Values below
 * 2 * PROBE_HIST_SUB are counted exactly; above, every power-of-two octave is
 * split into PROBE_HIST_SUB equal buckets, so a bucket is at most 1/128 of
 * the values it holds wide and a percentile (the bucket's midpoint) is within
 * 0.4% of the true sample value.  The whole 64-bit range is covered: memory is
 * fixed (about 58 KiB per histogram) however long a run lasts.  Count, sum,
 * minimum and maximum are kept exactly.
 *
 * One histogram per thread, merged after the threads are joined: nothing
 * here is atomic.
 */
#ifndef SLO_PROBE_STATS_H
#define SLO_PROBE_STATS_H

#include <stdint.h>

#define PROBE_HIST_SUB_BITS	7
#define PROBE_HIST_SUB		(1u << PROBE_HIST_SUB_BITS)	/* 128 */
/* exact buckets [0, 256), then 56 octaves (shift 1..56) of 128 buckets */
#define PROBE_HIST_BUCKETS	((64 - PROBE_HIST_SUB_BITS) * PROBE_HIST_SUB + PROBE_HIST_SUB)

struct probe_hist {
	uint64_t count;
	uint64_t min;		/* UINT64_MAX while empty */
	uint64_t max;
	long double sum;	/* exact enough for a mean of any 64-bit values */
	uint64_t buckets[PROBE_HIST_BUCKETS];
};

/* What slo_probe reports for one latency. */
struct probe_summary {
	uint64_t samples;
	uint64_t p50, p90, p99, p999, max;
	double mean;
};

void probe_hist_init(struct probe_hist *h);
void probe_hist_add(struct probe_hist *h, uint64_t value);
/* dst += src; src unchanged.  dst == src is not allowed. */
void probe_hist_merge(struct probe_hist *dst, const struct probe_hist *src);

/* Bucket of a value, and the smallest and largest values that bucket holds. */
unsigned int probe_hist_bucket(uint64_t value);
uint64_t probe_hist_bucket_low(unsigned int bucket);
uint64_t probe_hist_bucket_high(unsigned int bucket);

/*
 * The value at percentile PCT (0..100) by the nearest-rank definition: the
 * smallest sample with at least PCT% of the samples at or below it.  Within a
 * bucket the midpoint is returned, clamped to [min, max]; PCT >= 100 gives
 * max and PCT <= 0 gives min exactly.  0 for an empty histogram.
 */
uint64_t probe_hist_percentile(const struct probe_hist *h, double pct);
double probe_hist_mean(const struct probe_hist *h);	/* 0 when empty */

/* samples, p50/p90/p99/p99.9, max and mean in one call (zeros when empty) */
void probe_hist_summarize(const struct probe_hist *h, struct probe_summary *s);

#endif /* SLO_PROBE_STATS_H */
