// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "escape.h"

static void escapes_to(const char *in, const char *want)
{
	char out[256];

	assert_int_equal(slo_escape(out, sizeof(out), in), strlen(want));
	assert_string_equal(out, want);
}

static void test_printable_kept(void **state)
{
	escapes_to("/kubepods.slice/pod-1234_ab.slice", "/kubepods.slice/pod-1234_ab.slice");
	escapes_to("a \"quoted\" 'name' ~!", "a \"quoted\" 'name' ~!");
	escapes_to("", "");
}

static void test_terminal_controls(void **state)
{
	/* clear screen, window title with BEL, CR forging a line, newline, tab, DEL */
	escapes_to("evil\033[2J\033]0;pwned\007\rscx_slo: EXIT\n\t\177",
		   "evil\\x1b[2J\\x1b]0;pwned\\x07\\x0dscx_slo: EXIT\\x0a\\x09\\x7f");
}

static void test_backslash_doubled(void **state)
{
	/* the name "\x1b" (four characters) is not confused with an ESC byte */
	escapes_to("\\x1b", "\\\\x1b");
	escapes_to("\033", "\\x1b");
	escapes_to("a\\b", "a\\\\b");
}

static void test_non_ascii(void **state)
{
	/* invalid UTF-8 and valid UTF-8 alike: bytes, never raw */
	escapes_to("/x\xff\xc3\x28y", "/x\\xff\\xc3(y");
	escapes_to("caf\xc3\xa9", "caf\\xc3\\xa9");
}

static void test_embedded_nul(void **state)
{
	char out[32];

	assert_int_equal(slo_escape_mem(out, sizeof(out), "a\0b", 3), 6);
	assert_string_equal(out, "a\\x00b");
}

static void test_truncation_whole_escapes(void **state)
{
	char out[8];
	size_t n;

	memset(out, 'Z', sizeof(out));
	/* "ab", \x1b and "c" fill 7 bytes and the NUL the 8th; "d" is cut */
	n = slo_escape(out, sizeof(out), "ab\033cd");
	assert_int_equal(n, 8);
	assert_string_equal(out, "ab\\x1bc");

	/* never half an escape: "a" then \x1b needs 5 of the 4 bytes left */
	n = slo_escape(out, 5, "a\033b");
	assert_int_equal(n, 6);
	assert_string_equal(out, "a");

	/* a later short piece does not slip in after a cut */
	n = slo_escape(out, 4, "\033b");
	assert_int_equal(n, 5);
	assert_string_equal(out, "");

	/* len 0 writes nothing */
	out[0] = 'Q';
	assert_int_equal(slo_escape(out, 0, "abc"), 3);
	assert_int_equal(out[0], 'Q');
}

static void test_worst_case_size(void **state)
{
	char in[64], out[SLO_ESCAPED_SIZE(64)];
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(0x80 + i);
	assert_int_equal(slo_escape_mem(out, sizeof(out), in, sizeof(in)), 4 * sizeof(in));
	assert_int_equal(strlen(out), 4 * sizeof(in));
}

static void test_dup(void **state)
{
	char *s = slo_escape_dup("x\ny");

	assert_non_null(s);
	assert_string_equal(s, "x\\x0ay");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printable_kept),
		cmocka_unit_test(test_terminal_controls),
		cmocka_unit_test(test_backslash_doubled),
		cmocka_unit_test(test_non_ascii),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_truncation_whole_escapes),
		cmocka_unit_test(test_worst_case_size),
		cmocka_unit_test(test_dup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
