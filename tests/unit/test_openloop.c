// SPDX-License-Identifier: GPL-2.0
/*
 * bench/openloop's pure parts: the step schedule (parsing, refusals, Poisson
 * arrivals) and the summary (goodput, sheds, percentiles, settle and clear
 * times) over synthetic records.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "openloop_report.h"
#include "openloop_schedule.h"

#define MS	1000000ULL
#define SEC	1000000000ULL

static struct ol_schedule sched;
static char err[512];

static void test_parse_list(void **state)
{
	(void)state;
	assert_int_equal(ol_schedule_parse("50:10s,150.5:2s,0:500ms", &sched, err, sizeof(err)), 0);
	assert_int_equal(sched.n, 3);
	assert_true(sched.steps[0].rate == 50.0);
	assert_int_equal(sched.steps[0].duration_ns, 10 * SEC);
	assert_true(sched.steps[1].rate == 150.5);
	assert_int_equal(sched.steps[2].duration_ns, 500 * MS);
	assert_int_equal(sched.total_ns, 12500 * MS);
}

/* each refusal is one line naming the step and the problem */
static void expect_refused(const char *list, const char *words)
{
	err[0] = '\0';
	assert_int_equal(ol_schedule_parse(list, &sched, err, sizeof(err)), -1);
	if (!strstr(err, words))
		fail_msg("'%s': error '%s' does not contain '%s'", list, err, words);
	assert_null(strchr(err, '\n'));
}

static void test_parse_refusals(void **state)
{
	(void)state;
	expect_refused("", "empty");
	expect_refused("50", "step 1: '50' is not RATE:DURATION");
	expect_refused("50:10", "step 1: duration '10'");
	expect_refused("50:10s,x:1s", "step 2: rate 'x' is not a number");
	expect_refused("-5:1s", "rate '-5' is not a number");
	expect_refused("50:10s,,60:1s", "empty step");
	expect_refused("50:10s,", "empty step");
	expect_refused("nan:1s", "not a number");
	expect_refused("1e9:1s", "above");
	expect_refused("50:0s", "must be above 0");
	expect_refused("50:2h", "duration '2h'");
	expect_refused("90000:1000s", "requests expected");
}

static void test_parse_file(void **state)
{
	char path[] = "/tmp/test_openloop_XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# warm-up\n10 1s\n\n  20   500ms  # overload\n", f);
	fclose(f);
	assert_int_equal(ol_schedule_parse_file(path, &sched, err, sizeof(err)), 0);
	assert_int_equal(sched.n, 2);
	assert_true(sched.steps[1].rate == 20.0);

	f = fopen(path, "w");
	fputs("10 1s\n20 1s extra\n", f);
	fclose(f);
	assert_int_equal(ol_schedule_parse_file(path, &sched, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: want 'RATE DURATION'"));
	unlink(path);
	assert_int_equal(ol_schedule_parse_file(path, &sched, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
}

/* arrivals: in order, inside their step, about rate x duration of them,
 * the same for a seed and different for another */
static void test_arrivals(void **state)
{
	struct ol_arrivals a;
	uint64_t at, prev = 0, count[3] = { 0 }, first_seed1 = 0, first_seed2 = 0;
	uint32_t step;
	double gaps = 0, gaps2 = 0;
	uint64_t ngaps = 0;

	(void)state;
	assert_int_equal(ol_schedule_parse("1000:10s,0:1s,5000:2s", &sched, err, sizeof(err)), 0);
	ol_arrivals_init(&a, &sched, 1);
	while (ol_arrivals_next(&a, &at, &step)) {
		uint64_t start = step == 0 ? 0 : step == 1 ? 10 * SEC : 11 * SEC;

		if (!first_seed1)
			first_seed1 = at;
		assert_true(at >= prev);
		assert_true(at >= start && at < start + sched.steps[step].duration_ns);
		if (step == 0 && count[0]) {
			double g = (double)(at - prev) / 1e6;

			gaps += g;
			gaps2 += g * g;
			ngaps++;
		}
		count[step]++;
		prev = at;
	}
	assert_int_equal(count[1], 0);
	/* Poisson: 10000 +- 4 sigma (100) */
	assert_in_range(count[0], 9600, 10400);
	assert_in_range(count[2], 9600, 10400);
	/* exponential gaps: the standard deviation equals the mean (1 ms) */
	{
		double mean = gaps / (double)ngaps, sd = sqrt(gaps2 / (double)ngaps - mean * mean);

		assert_true(fabs(mean - 1.0) < 0.05);
		assert_true(fabs(sd - 1.0) < 0.1);
	}
	ol_arrivals_init(&a, &sched, 1);
	assert_true(ol_arrivals_next(&a, &at, &step));
	assert_int_equal(at, first_seed1);
	ol_arrivals_init(&a, &sched, 2);
	assert_true(ol_arrivals_next(&a, &at, &step));
	first_seed2 = at;
	assert_int_not_equal(first_seed1, first_seed2);
}

/* the report of n records into a string */
static char *report(const struct ol_record *rec, size_t n, const struct ol_report_opts *o)
{
	static char buf[1 << 16];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	assert_int_equal(ol_report_json(f, &sched, rec, n, o), 0);
	fclose(f);
	return buf;
}

static void expect_in(const char *json, const char *part)
{
	if (!strstr(json, part))
		fail_msg("'%s' not in %s", part, json);
}

/*
 * Two 4 s steps, 100 requests in each (every 40 ms).  Step 0: all good.
 * Step 1: the first 1.5 s admitted and late (100 ms), then shed one in two
 * and the admitted good; plus a failure counted as the timeout.
 */
static void test_report(void **state)
{
	struct ol_record rec[200];
	struct ol_report_opts o;
	size_t i;
	char *json;

	(void)state;
	assert_int_equal(ol_schedule_parse("25:4s,25:4s", &sched, err, sizeof(err)), 0);
	ol_report_opts_default(&o, 20 * MS, 2 * SEC);
	for (i = 0; i < 200; i++) {
		uint64_t t = i * 40 * MS, local = t - (i < 100 ? 0 : 4 * SEC);

		rec[i] = (struct ol_record){ .sched_ns = t, .send_ns = t + MS, .step = i >= 100,
					     .status = 200, .done_ns = t + 5 * MS };
		if (i < 100)
			continue;
		if (local < 1500 * MS)
			rec[i].done_ns = t + 100 * MS;
		else if (i % 2)
			rec[i].status = OL_STATUS_SHED;
	}
	rec[199].status = 0;	/* a timeout, seen after 10 ms: counts as 2 s */
	rec[199].done_ns = rec[199].sched_ns + 10 * MS;
	rec[199].error = 28;
	json = report(rec, 200, &o);
	expect_in(json, "{\"steps\":[{\"step\":0,\"rate\":25,\"duration_s\":4,\"scheduled\":100,"
			"\"offered_rps\":25.000,\"ok\":100,\"good\":100,\"shed\":0,\"errors\":0,");
	expect_in(json, "\"goodput_rps\":25.000,\"shed_frac\":0.000000,");
	expect_in(json, "\"ok_p50_ms\":5.000,\"ok_p99_ms\":5.000,\"send_lag_p99_ms\":1.000,"
			"\"settle_s\":0.000,\"clear_s\":0.000}");
	/* step 1: 38 late (0..1.48 s), then 31 good, 30 shed, 1 failure */
	expect_in(json, "{\"step\":1,\"rate\":25,\"duration_s\":4,\"scheduled\":100,"
			"\"offered_rps\":25.000,\"ok\":69,\"good\":31,\"shed\":30,\"errors\":1,"
			"\"no_answer\":1,\"overflow\":0,\"goodput_rps\":7.750,\"shed_frac\":0.300000,");
	/* the failure is the worst admitted: the timeout */
	expect_in(json, "\"admitted_p99_ms\":2000.000");
	/* in budget from the window at 1.5 s; never clear (one in two shed) */
	expect_in(json, "\"settle_s\":1.500,\"clear_s\":null}");
	/* windows over the whole run: 32 of 250 ms */
	expect_in(json, "\"windows\":{\"window_s\":0.25,\"scheduled\":[7,6,");
	expect_in(json, "\"shed\":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3,");
}

/* a step no request belongs to has no percentiles, and is settled */
static void test_report_empty_step(void **state)
{
	struct ol_record rec[1] = { { .sched_ns = 0, .send_ns = 0, .done_ns = MS, .status = 200 } };
	struct ol_report_opts o;
	char *json;

	(void)state;
	assert_int_equal(ol_schedule_parse("1:1s,0:1s", &sched, err, sizeof(err)), 0);
	ol_report_opts_default(&o, 20 * MS, 2 * SEC);
	json = report(rec, 1, &o);
	expect_in(json, "{\"step\":1,\"rate\":0,\"duration_s\":1,\"scheduled\":0,");
	expect_in(json, "\"admitted_p50_ms\":null,\"admitted_p99_ms\":null,\"ok_p50_ms\":null,");
	expect_in(json, "\"settle_s\":0.000,\"clear_s\":0.000}],");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_arrivals),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_report_empty_step),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
