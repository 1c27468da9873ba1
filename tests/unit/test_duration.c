// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "duration.h"

static uint64_t parse_ok(const char *s)
{
	const char *why = NULL;
	uint64_t ns = 0;

	assert_int_equal(slo_parse_duration(s, &ns, &why), 0);
	assert_null(why);
	return ns;
}

static void parse_bad(const char *s, const char *why_part)
{
	const char *why = NULL;
	uint64_t ns = 12345;

	assert_int_equal(slo_parse_duration(s, &ns, &why), -1);
	assert_non_null(why);
	assert_non_null(strstr(why, why_part));
	assert_int_equal(ns, 12345);	/* nothing written on failure */
}

static void test_units(void **state)
{
	assert_int_equal(parse_ok("250us"), 250000ULL);
	assert_int_equal(parse_ok("250\xc2\xb5s"), 250000ULL);
	assert_int_equal(parse_ok("5ms"), 5000000ULL);
	assert_int_equal(parse_ok("1s"), 1000000000ULL);
	assert_int_equal(parse_ok("800ns"), 800ULL);
	assert_int_equal(parse_ok("0ms"), 0ULL);
}

static void test_fractions(void **state)
{
	assert_int_equal(parse_ok("1.5ms"), 1500000ULL);
	assert_int_equal(parse_ok("0.25s"), 250000000ULL);
	assert_int_equal(parse_ok("2.000001s"), 2000001000ULL);
	parse_bad("1.5ns", "whole number");
	parse_bad("1.ms", "decimal point");
	parse_bad("0.0000000001s", "fractional digits");
}

static void test_rejects(void **state)
{
	parse_bad("", "empty");
	parse_bad("-5ms", "negative");
	parse_bad("5", "unit");
	parse_bad("5 ms", "unit");
	parse_bad("5MS", "unit");
	parse_bad("5min", "unit");
	parse_bad("ms", "digit");
	parse_bad(" 5ms", "digit");
	parse_bad("5ms ", "unit");
	parse_bad("1e3ms", "unit");
	parse_bad("\xff\xfe", "digit");
	assert_int_equal(slo_parse_duration(NULL, &(uint64_t){0}, NULL), -1);
}

static void test_overflow(void **state)
{
	/* UINT64_MAX ns is about 584 years */
	assert_int_equal(parse_ok("18446744073709551615ns"), UINT64_MAX);
	parse_bad("18446744073709551616ns", "too large");
	parse_bad("18446744074s", "too large");
	parse_bad("99999999999999999999999999s", "too large");
	parse_bad("18446744073709551615.5us", "too large");
}

static void test_format_roundtrip(void **state)
{
	static const uint64_t values[] = {
		0, 1, 999, 1000, 250000, 1500000, 5000000, 1000000000,
		2500000000ULL, 10000000000ULL, UINT64_MAX,
	};
	char buf[32];
	size_t i;

	slo_format_duration(5000000, buf, sizeof(buf));
	assert_string_equal(buf, "5ms");
	slo_format_duration(1500000, buf, sizeof(buf));
	assert_string_equal(buf, "1500us");
	slo_format_duration(0, buf, sizeof(buf));
	assert_string_equal(buf, "0ns");
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		slo_format_duration(values[i], buf, sizeof(buf));
		assert_int_equal(parse_ok(buf), values[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_fractions),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_format_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
