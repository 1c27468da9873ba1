// SPDX-License-Identifier: GPL-2.0
/* Log-linear latency histograms for slo_probe: see probe_stats.h. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "probe_stats.h"

#define EXACT_LIMIT	(2u * PROBE_HIST_SUB)	/* values below are their own bucket */

void probe_hist_init(struct probe_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned int probe_hist_bucket(uint64_t value)
{
	unsigned int msb, shift;

	if (value < EXACT_LIMIT)
		return (unsigned int)value;
	msb = 63u - (unsigned int)__builtin_clzll(value);	/* >= SUB_BITS + 1 */
	shift = msb - PROBE_HIST_SUB_BITS;			/* 1 .. 56 */
	/* value >> shift is in [SUB, 2 * SUB) */
	return shift * PROBE_HIST_SUB + (unsigned int)(value >> shift);
}

uint64_t probe_hist_bucket_low(unsigned int bucket)
{
	unsigned int shift, sub;

	if (bucket < EXACT_LIMIT)
		return bucket;
	if (bucket >= PROBE_HIST_BUCKETS)
		bucket = PROBE_HIST_BUCKETS - 1;
	shift = bucket / PROBE_HIST_SUB - 1;
	sub = bucket - shift * PROBE_HIST_SUB;
	return (uint64_t)sub << shift;
}

uint64_t probe_hist_bucket_high(unsigned int bucket)
{
	if (bucket < EXACT_LIMIT)
		return bucket;
	if (bucket >= PROBE_HIST_BUCKETS)
		bucket = PROBE_HIST_BUCKETS - 1;
	/* width is 1 << shift; the top bucket ends at UINT64_MAX exactly */
	return probe_hist_bucket_low(bucket) +
	       ((UINT64_C(1) << (bucket / PROBE_HIST_SUB - 1)) - 1);
}

void probe_hist_add(struct probe_hist *h, uint64_t value)
{
	h->buckets[probe_hist_bucket(value)]++;
	h->count++;
	h->sum += (long double)value;
	if (value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
}

void probe_hist_merge(struct probe_hist *dst, const struct probe_hist *src)
{
	unsigned int i;

	if (!src->count)
		return;
	for (i = 0; i < PROBE_HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t probe_hist_percentile(const struct probe_hist *h, double pct)
{
	uint64_t rank, seen = 0, low, high, mid;
	long double x;
	unsigned int i;

	if (!h->count)
		return 0;
	if (!(pct > 0.0))		/* also NaN */
		return h->min;
	if (pct >= 100.0)
		return h->max;
	/*
	 * Nearest rank: ceil(pct / 100 * count), with a little slack so that
	 * 99.9% of 1000 is rank 999 despite 99.9 not being exact in binary.
	 */
	x = (long double)pct * (long double)h->count / 100.0L;
	x = ceill(x - x * 1e-12L);
	rank = x < 1.0L ? 1 : (uint64_t)x;
	if (rank > h->count)
		rank = h->count;

	for (i = 0; i < PROBE_HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			break;
	}
	if (i == PROBE_HIST_BUCKETS)	/* counts inconsistent: cannot happen */
		return h->max;
	low = probe_hist_bucket_low(i);
	high = probe_hist_bucket_high(i);
	mid = low + (high - low) / 2;
	if (mid < h->min)
		mid = h->min;
	if (mid > h->max)
		mid = h->max;
	return mid;
}

double probe_hist_mean(const struct probe_hist *h)
{
	if (!h->count)
		return 0.0;
	return (double)(h->sum / (long double)h->count);
}

void probe_hist_summarize(const struct probe_hist *h, struct probe_summary *s)
{
	s->samples = h->count;
	s->p50 = probe_hist_percentile(h, 50.0);
	s->p90 = probe_hist_percentile(h, 90.0);
	s->p99 = probe_hist_percentile(h, 99.0);
	s->p999 = probe_hist_percentile(h, 99.9);
	s->max = h->count ? h->max : 0;
	s->mean = probe_hist_mean(h);
}
