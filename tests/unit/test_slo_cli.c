// SPDX-License-Identifier: GPL-2.0
/*
 * The map-free half of `scx_slo slo`: arguments, the check of each pinned
 * map before it is used, and output made from map values.  The CLI itself,
 * against real and planted maps, is tested in the VM (tests/vm/guest/slo-maps.sh).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "slo_cli.h"
#include "slo_cli_parse.h"

static int parse(struct slo_cli_args *a, int argc, ...)
{
	char *argv[8] = { "slo" };
	va_list ap;
	int i;

	va_start(ap, argc);
	for (i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	return slo_cli_parse_args(argc, argv, a);
}

static void test_args(void **state)
{
	struct slo_cli_args a;

	assert_int_equal(parse(&a, 2, "list"), 0);
	assert_int_equal(a.cmd, SLO_CLI_LIST);
	assert_null(a.path);
	assert_int_equal(parse(&a, 3, "get", "/web"), 0);
	assert_int_equal(a.cmd, SLO_CLI_GET);
	assert_string_equal(a.path, "/web");
	assert_int_equal(parse(&a, 4, "set", "/web", "5ms"), 0);
	assert_int_equal(a.cmd, SLO_CLI_SET);
	assert_string_equal(a.path, "/web");
	assert_string_equal(a.budget, "5ms");
	assert_int_equal(parse(&a, 3, "del", "/web"), 0);
	assert_int_equal(a.cmd, SLO_CLI_DEL);
	assert_int_equal(parse(&a, 2, "--help"), 0);
	assert_int_equal(a.cmd, SLO_CLI_HELP);

	/* checked before root and the maps, as they always were */
	assert_int_equal(parse(&a, 1), 2);
	assert_int_equal(parse(&a, 5, "set", "/web", "5ms", "200"), 2);	/* old WEIGHT */
	assert_int_equal(parse(&a, 6, "set", "/web", "5ms", "200", "300"), 2);
	assert_int_equal(parse(&a, 3, "list", "/web"), 2);
	assert_int_equal(parse(&a, 2, "get"), 2);
	assert_int_equal(parse(&a, 3, "set", "/web"), 2);
	assert_int_equal(parse(&a, 2, "bogus"), 2);
	assert_int_equal(parse(&a, 2, ""), 2);
}

static void test_budget(void **state)
{
	uint64_t ns = 0;

	assert_int_equal(slo_cli_parse_budget("5ms", &ns), 0);
	assert_int_equal(ns, 5000000ULL);
	assert_int_equal(slo_cli_parse_budget("50us", &ns), 0);
	assert_int_equal(slo_cli_parse_budget("10s", &ns), 0);
	assert_int_equal(slo_cli_parse_budget("5", &ns), 2);
	assert_int_equal(slo_cli_parse_budget("49999ns", &ns), 2);
	assert_int_equal(slo_cli_parse_budget("10.000000001s", &ns), 2);
	assert_int_equal(slo_cli_parse_budget("99999999999999999999s", &ns), 2);
	assert_int_equal(slo_cli_parse_budget("", &ns), 2);
	/* the file's rule (budget_rule.c): these were accepted by `slo set` once */
	assert_int_equal(slo_cli_parse_budget("0100ms", &ns), 2);
	assert_int_equal(slo_cli_parse_budget("+5ms", &ns), 2);
	assert_int_equal(slo_cli_parse_budget(" 5ms", &ns), 2);
	assert_int_equal(slo_cli_parse_budget("0ms", &ns), 2);
}

static void test_normalize(void **state)
{
	char path[16];

	assert_int_equal(slo_cli_normalize("//web//a/", path, sizeof(path)), 0);
	assert_string_equal(path, "/web/a");
	assert_int_equal(slo_cli_normalize("/", path, sizeof(path)), 0);
	assert_string_equal(path, "/");
	assert_int_equal(slo_cli_normalize("web", path, sizeof(path)), 2);
	assert_int_equal(slo_cli_normalize("/web/..", path, sizeof(path)), 2);
	assert_int_equal(slo_cli_normalize("/0123456789abcdef", path, sizeof(path)), 2);
}

/* What the kernel says about the map the running scheduler pinned as @i. */
static struct bpf_map_info real_info(unsigned int i)
{
	struct bpf_map_info info;

	memset(&info, 0, sizeof(info));
	info.type = slo_cli_maps[i].type;
	info.key_size = slo_cli_maps[i].key_size;
	info.value_size = slo_cli_maps[i].value_size;
	info.max_entries = i == SLO_CLI_MAP_CONTROL ? 1 : SLO_BUDGET_MAP_ENTRIES;
	strcpy(info.name, slo_cli_maps[i].name);
	return info;
}

/* check @info against map @i: refused, in one line naming the pin and @parts */
static void refused(unsigned int i, const struct bpf_map_info *info, uint32_t len,
		    const char *const *parts)
{
	char why[512];

	assert_int_equal(slo_cli_check_map(&slo_cli_maps[i], info, len, why, sizeof(why)), -1);
	assert_null(strchr(why, '\n'));
	assert_int_equal(strncmp(why, slo_cli_maps[i].pin, strlen(slo_cli_maps[i].pin)), 0);
	for (; *parts; parts++)
		if (!strstr(why, *parts))
			fail_msg("\"%s\" does not mention \"%s\"", why, *parts);
}

#define REFUSED(i, info, len, ...) \
	refused(i, info, len, (const char *const[]){ __VA_ARGS__, NULL })

static void test_check_map(void **state)
{
	struct bpf_map_info info;
	char why[512];
	unsigned int i;

	for (i = 0; i < SLO_CLI_NR_MAPS; i++) {
		info = real_info(i);
		assert_int_equal(slo_cli_check_map(&slo_cli_maps[i], &info, sizeof(info),
						   why, sizeof(why)), 0);
		assert_string_equal(why, "");
	}
	/* what the scheduler declares: bpf/scx_slo.bpf.c */
	assert_int_equal(slo_cli_maps[SLO_CLI_MAP_CONTROL].value_size, 24);
	assert_int_equal(slo_cli_maps[SLO_CLI_MAP_BUDGETS_0].key_size, 8);
	assert_int_equal(slo_cli_maps[SLO_CLI_MAP_BUDGETS_1].value_size, 8);

	/* larger values than ours: a lookup would overrun our buffer */
	info = real_info(SLO_CLI_MAP_BUDGETS_0);
	info.value_size = 64;
	REFUSED(SLO_CLI_MAP_BUDGETS_0, &info, sizeof(info), ": value size 64, want 8 (",
		"planted");
	info = real_info(SLO_CLI_MAP_BUDGETS_1);
	info.key_size = 16;
	REFUSED(SLO_CLI_MAP_BUDGETS_1, &info, sizeof(info), ": key size 16, want 8 (");
	info = real_info(SLO_CLI_MAP_CONTROL);
	info.type = BPF_MAP_TYPE_HASH;
	REFUSED(SLO_CLI_MAP_CONTROL, &info, sizeof(info), ": type hash, want array (");
	info.type = 9999;
	REFUSED(SLO_CLI_MAP_CONTROL, &info, sizeof(info), ": type 9999, want array (");
	/* every mismatch, in one line */
	info = real_info(SLO_CLI_MAP_CONTROL);
	info.type = BPF_MAP_TYPE_PERCPU_ARRAY;
	info.value_size = 16;
	strcpy(info.name, "other");
	REFUSED(SLO_CLI_MAP_CONTROL, &info, sizeof(info),
		": type percpu_array, want array; value size 16, want 24; name 'other', want 'slo_control' (");
	/* the right sizes under another name: the other budget set, or planted */
	info = real_info(SLO_CLI_MAP_BUDGETS_0);
	REFUSED(SLO_CLI_MAP_BUDGETS_1, &info, sizeof(info),
		": name 'slo_budgets_0', want 'slo_budgets_1' (");
	info.name[0] = '\0';
	REFUSED(SLO_CLI_MAP_BUDGETS_1, &info, sizeof(info), ": name '', want 'slo_budgets_1' (");
	/* a name as no kernel makes it: unterminated, escapes */
	info = real_info(SLO_CLI_MAP_BUDGETS_0);
	memcpy(info.name, "\x1b[2J\n'\\ 456789abcdef", sizeof(info.name));
	REFUSED(SLO_CLI_MAP_BUDGETS_0, &info, sizeof(info),
		"name '\\x1b[2J\\x0a\\x27\\x5c\\x20456789ab', want");
	/* a kernel that describes less than the sizes: nothing to trust */
	info = real_info(SLO_CLI_MAP_CONTROL);
	REFUSED(SLO_CLI_MAP_CONTROL, &info, offsetof(struct bpf_map_info, value_size),
		": the kernel does not describe it (");
	/* the sizes but not the name: the name is not held against it */
	assert_int_equal(slo_cli_check_map(&slo_cli_maps[SLO_CLI_MAP_CONTROL], &info,
					   offsetof(struct bpf_map_info, name), why,
					   sizeof(why)), 0);
	/* a short buffer is cut, never overrun */
	info.value_size = 1;
	memset(why, 'x', sizeof(why));
	assert_int_equal(slo_cli_check_map(&slo_cli_maps[SLO_CLI_MAP_CONTROL], &info,
					   sizeof(info), why, 10), -1);
	assert_int_equal(strlen(why), 9);
	assert_int_equal(why[10], 'x');
}

static void test_values(void **state)
{
	struct slo_control ctl = { .active_set = 0 };
	struct slo_budget val = { .budget_ns = 5000000 };
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(slo_cli_active_set(&ctl), 0);
	ctl.active_set = 1;
	assert_int_equal(slo_cli_active_set(&ctl), 1);
	ctl.active_set = 0xdeadbeef;	/* anything else: still one of the two */
	assert_int_equal(slo_cli_active_set(&ctl), 1);
	assert_int_equal(slo_cli_default_budget(&ctl), SLO_DEFAULT_BUDGET_NS);
	ctl.default_budget_ns = 7;
	assert_int_equal(slo_cli_default_budget(&ctl), 7);

	f = open_memstream(&out, &len);
	assert_non_null(f);
	slo_cli_print_row(f, "/web", 42, &val);
	slo_cli_print_row(f, NULL, 42, &val);
	val.budget_ns = UINT64_MAX;
	slo_cli_print_row(f, NULL, UINT64_MAX, &val);
	/* a name from a delegated subtree: escaped, no raw ESC or CR */
	slo_cli_print_row(f, "/u/x\033[2J\r\\", 7, &val);
	fclose(f);
	assert_string_equal(out,
		"/web                                                              5ms\n"
		"<id 42>                                                           5ms\n"
		"<id 18446744073709551615>                                    18446744073709551615ns\n"
		"/u/x\\x1b[2J\\x0d\\\\                                            18446744073709551615ns\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_check_map),
		cmocka_unit_test(test_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
