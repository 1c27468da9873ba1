// SPDX-License-Identifier: GPL-2.0
/* slo_probe's latency histograms (bench/probe_stats.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "../../bench/probe_stats.h"

#define US	UINT64_C(1000)
#define MS	UINT64_C(1000000)
#define SEC	UINT64_C(1000000000)

static struct probe_hist *new_hist(void)
{
	struct probe_hist *h = malloc(sizeof(*h));

	assert_non_null(h);
	probe_hist_init(h);
	return h;
}

/* |got - want| <= want / 256 (half a bucket at worst: 0.39%) */
static void assert_close(uint64_t got, uint64_t want)
{
	uint64_t diff = got > want ? got - want : want - got;

	if (diff > want / 256) {
		print_error("got %llu, want %llu (+-0.4%%)\n",
			    (unsigned long long)got, (unsigned long long)want);
		fail();
	}
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_buckets_tile_the_range(void **state)
{
	unsigned int i;

	assert_int_equal(probe_hist_bucket_low(0), 0);
	for (i = 0; i < PROBE_HIST_BUCKETS; i++) {
		uint64_t lo = probe_hist_bucket_low(i), hi = probe_hist_bucket_high(i);

		assert_true(lo <= hi);
		assert_int_equal(probe_hist_bucket(lo), i);
		assert_int_equal(probe_hist_bucket(hi), i);
		if (i + 1 < PROBE_HIST_BUCKETS)
			assert_int_equal(probe_hist_bucket_low(i + 1), hi + 1);
		/* a bucket is at most 1/128 of its values wide */
		assert_true(hi - lo <= lo / PROBE_HIST_SUB);
	}
	assert_int_equal(probe_hist_bucket_high(PROBE_HIST_BUCKETS - 1), UINT64_MAX);
	assert_int_equal(probe_hist_bucket(UINT64_MAX), PROBE_HIST_BUCKETS - 1);
	/* exact below 256 */
	for (i = 0; i < 256; i++)
		assert_int_equal(probe_hist_bucket_low(probe_hist_bucket(i)), i);
}

static void test_empty(void **state)
{
	struct probe_hist *h = new_hist();
	struct probe_summary s;

	assert_int_equal(h->count, 0);
	assert_int_equal(probe_hist_percentile(h, 50), 0);
	assert_int_equal(probe_hist_percentile(h, 0), 0);
	assert_int_equal(probe_hist_percentile(h, 100), 0);
	assert_true(probe_hist_mean(h) == 0.0);
	memset(&s, 0xff, sizeof(s));
	probe_hist_summarize(h, &s);
	assert_int_equal(s.samples, 0);
	assert_int_equal(s.p50, 0);
	assert_int_equal(s.p999, 0);
	assert_int_equal(s.max, 0);
	assert_true(s.mean == 0.0);
	free(h);
}

static void test_single_value_is_exact(void **state)
{
	static const uint64_t values[] = { 0, 1, 255, 256, 257, 12345, 1000 * MS + 7 };
	struct probe_hist *h = new_hist();
	struct probe_summary s;
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		probe_hist_init(h);
		probe_hist_add(h, values[i]);
		probe_hist_summarize(h, &s);
		assert_int_equal(s.samples, 1);
		/* clamped to [min, max], so exact */
		assert_int_equal(s.p50, values[i]);
		assert_int_equal(s.p999, values[i]);
		assert_int_equal(s.max, values[i]);
		assert_true(s.mean == (double)values[i]);
	}
	free(h);
}

/* 1..1000 ns, in the exact range up to 255: nearest rank */
static void test_uniform_small(void **state)
{
	struct probe_hist *h = new_hist();
	uint64_t v;

	for (v = 1000; v >= 1; v--)
		probe_hist_add(h, v);
	assert_int_equal(h->count, 1000);
	assert_int_equal(probe_hist_percentile(h, 10), 100);	/* exact bucket */
	assert_int_equal(probe_hist_percentile(h, 25), 250);
	assert_close(probe_hist_percentile(h, 50), 500);
	assert_close(probe_hist_percentile(h, 90), 900);
	assert_close(probe_hist_percentile(h, 99), 990);
	assert_close(probe_hist_percentile(h, 99.9), 999);
	assert_int_equal(probe_hist_percentile(h, 100), 1000);
	assert_int_equal(probe_hist_percentile(h, 0), 1);
	assert_true(probe_hist_mean(h) == 500.5);
	free(h);
}

/* 1 us .. 10 s in 100,000 even steps (shuffled order makes no difference) */
static void test_uniform_wide(void **state)
{
	struct probe_hist *h = new_hist();
	const uint64_t n = 100000, step = 10 * SEC / n;
	struct probe_summary s;
	uint64_t i;

	for (i = 1; i <= n; i++)
		probe_hist_add(h, i * step);
	probe_hist_summarize(h, &s);
	assert_int_equal(s.samples, n);
	assert_close(s.p50, 50000 * step);
	assert_close(s.p90, 90000 * step);
	assert_close(s.p99, 99000 * step);
	assert_close(s.p999, 99900 * step);
	assert_int_equal(s.max, 10 * SEC);
	assert_close((uint64_t)s.mean, (n + 1) * step / 2);
	free(h);
}

/* a latency-shaped mix: the tail percentiles land on the right mode */
static void test_bimodal(void **state)
{
	struct probe_hist *h = new_hist();
	int i;

	/* 9890 at 50 us, 100 at 2 ms, 10 at 30 ms: 10,000 samples */
	for (i = 0; i < 9890; i++)
		probe_hist_add(h, 50 * US);
	for (i = 0; i < 100; i++)
		probe_hist_add(h, 2 * MS);
	for (i = 0; i < 10; i++)
		probe_hist_add(h, 30 * MS);
	assert_close(probe_hist_percentile(h, 50), 50 * US);
	assert_close(probe_hist_percentile(h, 98.9), 50 * US);	/* rank 9890 */
	assert_close(probe_hist_percentile(h, 99), 2 * MS);	/* rank 9900 */
	assert_close(probe_hist_percentile(h, 99.9), 2 * MS);	/* rank 9990 */
	assert_close(probe_hist_percentile(h, 99.91), 30 * MS);
	assert_int_equal(probe_hist_percentile(h, 100), 30 * MS);
	assert_int_equal(h->min, 50 * US);
	free(h);
}

/* every percentile of random data is within 0.4% of the exact order statistic */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_random_against_sorted(void **state)
{
	static const double pcts[] = { 1, 10, 50, 75, 90, 99, 99.9, 99.99 };
	const size_t n = 20000;
	struct probe_hist *h = new_hist();
	uint64_t *v = malloc(n * sizeof(*v)), seed = 0x9e3779b97f4a7c15ULL;
	size_t i, j;

	assert_non_null(v);
	for (i = 0; i < n; i++) {
		/* log-uniform-ish over 1 us .. ~1 s */
		uint64_t r = xorshift(&seed);

		v[i] = (US + (r & 0xfffff)) << (r >> 60 & 0xf) >> 2;
		probe_hist_add(h, v[i]);
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	for (j = 0; j < sizeof(pcts) / sizeof(pcts[0]); j++) {
		size_t rank = (size_t)((pcts[j] * (double)n + 99.0) / 100.0);	/* ceil */

		assert_close(probe_hist_percentile(h, pcts[j]), v[rank - 1]);
	}
	assert_int_equal(probe_hist_percentile(h, 100), v[n - 1]);
	assert_int_equal(probe_hist_percentile(h, 0), v[0]);
	free(v);
	free(h);
}

static void test_huge_values(void **state)
{
	struct probe_hist *h = new_hist();
	struct probe_summary s;

	probe_hist_add(h, UINT64_MAX);
	probe_hist_add(h, UINT64_MAX - 1);
	probe_hist_add(h, UINT64_C(1) << 63);
	probe_hist_add(h, 1);
	probe_hist_summarize(h, &s);
	assert_int_equal(s.samples, 4);
	assert_int_equal(s.max, UINT64_MAX);
	assert_int_equal(h->min, 1);
	/* rank 2 of 4 is 2^63 */
	assert_close(s.p50, UINT64_C(1) << 63);
	assert_close(s.p99, UINT64_MAX);	/* the top bucket */
	/* the sum does not wrap: mean (1 + 2^63 + 2^65 - 3) / 4, about 1.15e19 */
	assert_true(s.mean > 1.15e19 && s.mean < 1.16e19);
	free(h);
}

static void test_merge(void **state)
{
	struct probe_hist *parts[4], *all = new_hist(), *merged = new_hist();
	uint64_t seed = 42;
	int i, p;

	for (p = 0; p < 4; p++)
		parts[p] = new_hist();
	for (i = 0; i < 40000; i++) {
		uint64_t v = xorshift(&seed) % (50 * MS);

		probe_hist_add(all, v);
		/* per-thread histograms of uneven sizes */
		probe_hist_add(parts[(i % 7) % 4], v);
	}
	/* merging an empty histogram changes nothing, into an empty one copies */
	probe_hist_merge(merged, parts[3]);
	probe_hist_init(parts[3]);
	for (p = 0; p < 4; p++)
		probe_hist_merge(merged, parts[p]);
	assert_int_equal(merged->count, all->count);
	assert_int_equal(merged->min, all->min);
	assert_int_equal(merged->max, all->max);
	assert_true(merged->sum == all->sum);
	assert_memory_equal(merged->buckets, all->buckets, sizeof(all->buckets));
	assert_int_equal(probe_hist_percentile(merged, 99.9),
			 probe_hist_percentile(all, 99.9));

	/* min and max come from whichever part has them */
	probe_hist_init(parts[0]);
	probe_hist_init(parts[1]);
	probe_hist_add(parts[0], 5 * MS);
	probe_hist_add(parts[1], 3 * US);
	probe_hist_add(parts[1], 9 * MS);
	probe_hist_merge(parts[0], parts[1]);
	assert_int_equal(parts[0]->count, 3);
	assert_int_equal(parts[0]->min, 3 * US);
	assert_int_equal(parts[0]->max, 9 * MS);
	assert_close(probe_hist_percentile(parts[0], 50), 5 * MS);
	assert_int_equal(parts[1]->count, 2);	/* source unchanged */

	for (p = 0; p < 4; p++)
		free(parts[p]);
	free(all);
	free(merged);
}

static void test_percentiles_monotonic(void **state)
{
	struct probe_hist *h = new_hist();
	uint64_t seed = 7, prev = 0, cur;
	double pct;
	int i;

	for (i = 0; i < 5000; i++)
		probe_hist_add(h, xorshift(&seed) >> (xorshift(&seed) & 63));
	for (pct = 0; pct <= 100.0; pct += 0.25) {
		cur = probe_hist_percentile(h, pct);
		assert_true(cur >= prev);
		prev = cur;
	}
	assert_int_equal(prev, h->max);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_tile_the_range),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_single_value_is_exact),
		cmocka_unit_test(test_uniform_small),
		cmocka_unit_test(test_uniform_wide),
		cmocka_unit_test(test_bimodal),
		cmocka_unit_test(test_random_against_sorted),
		cmocka_unit_test(test_huge_values),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_percentiles_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
