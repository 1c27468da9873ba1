// SPDX-License-Identifier: GPL-2.0
/*
 * The SLO configuration parser, fed hostile input.  Every rejection is
 * checked for its exact message (file, 1-based line, problem) and for not
 * having written anything into the caller's struct.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../bpf/scx_slo.h"
#include "config.h"

#define NAME	"t.yaml"

/* A growable string, for generated files. */
struct buf {
	char *s;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3)))
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if (b->s && b->len + (size_t)n < b->cap)
			break;
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
	b->len += (size_t)n;
}

static void buf_fill(struct buf *b, char c, size_t n)
{
	while (n--)
		buf_printf(b, "%c", c);
}

/* A struct the parser must leave exactly as it was when it fails. */
static void poison(struct slo_config *cfg)
{
	memset(cfg, 0xa5, sizeof(*cfg));
}

static void assert_poisoned(const struct slo_config *cfg)
{
	struct slo_config ref;

	poison(&ref);
	assert_memory_equal(cfg, &ref, sizeof(ref));
}

static void parse_ok_n(const char *text, size_t len, struct slo_config *cfg)
{
	char err[1024] = "junk";

	if (slo_config_parse(text, len, NAME, cfg, err, sizeof(err)))
		fail_msg("rejected: %s", err);
	assert_string_equal(err, "");
}

static void parse_ok(const char *text, struct slo_config *cfg)
{
	parse_ok_n(text, strlen(text), cfg);
}

static void parse_bad_n(const char *text, size_t len, const char *expect)
{
	struct slo_config cfg;
	char err[1024] = "";

	poison(&cfg);
	assert_int_equal(slo_config_parse(text, len, NAME, &cfg, err, sizeof(err)), -1);
	assert_string_equal(err, expect);
	assert_poisoned(&cfg);
}

static void parse_bad(const char *text, const char *expect)
{
	parse_bad_n(text, strlen(text), expect);
}

/* "budget: X" in an otherwise valid file: the message for line 3. */
static void budget_bad(const char *budget, const char *expect_problem)
{
	char text[256], expect[512];

	snprintf(text, sizeof(text), "slos:\n  - cgroup: /a\n    budget: %s\n", budget);
	snprintf(expect, sizeof(expect), NAME ":3: %s", expect_problem);
	parse_bad(text, expect);
}

/* The refusal of the per-SLO weight of earlier versions, on line @line. */
#define WEIGHT_GONE	"'weight' is no longer supported: CPU shares follow the " \
			"cgroup's cpu.weight (the pod's CPU request); remove it"

static void weight_refused(const char *text, unsigned int line)
{
	char expect[512];

	snprintf(expect, sizeof(expect), NAME ":%u: " WEIGHT_GONE, line);
	parse_bad(text, expect);
}

static void cgroup_bad(const char *cgroup, const char *expect_problem)
{
	char text[256], expect[512];

	snprintf(text, sizeof(text), "slos:\n  - budget: 5ms\n    cgroup: %s\n", cgroup);
	snprintf(expect, sizeof(expect), NAME ":3: %s", expect_problem);
	parse_bad(text, expect);
}

/* ------------------------------------------------------------------------
 * Valid files.
 */

static void test_valid_full(void **state)
{
	struct slo_config cfg;

	parse_ok("# scx_slo latency budgets\n"
		 "default_budget: 200ms   # tasks with no SLO above them\n"
		 "slos:\n"
		 "  - cgroup: /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice\n"
		 "    budget: 5ms\n"
		 "\n"
		 "  - budget: 250us\n"
		 "    cgroup: //system.slice//sshd.service/   # normalised\n"
		 "  - {cgroup: \"/batch\", budget: \"1.5s\"}\n"
		 "  - cgroup: /\n"
		 "    budget: 10s\n", &cfg);
	assert_true(cfg.has_default_budget);
	assert_int_equal(cfg.default_budget_ns, 200 * SLO_NSEC_PER_MSEC);
	assert_int_equal(cfg.nr_entries, 4);
	assert_string_equal(cfg.entries[0].path,
			    "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice");
	assert_int_equal(cfg.entries[0].budget_ns, 5 * SLO_NSEC_PER_MSEC);
	assert_int_equal(cfg.entries[0].line, 4);
	assert_string_equal(cfg.entries[1].path, "/system.slice/sshd.service");
	assert_int_equal(cfg.entries[1].budget_ns, 250 * SLO_NSEC_PER_USEC);
	assert_int_equal(cfg.entries[1].line, 8);
	assert_string_equal(cfg.entries[2].path, "/batch");
	assert_int_equal(cfg.entries[2].budget_ns, 1500 * SLO_NSEC_PER_MSEC);
	assert_int_equal(cfg.entries[2].line, 9);
	assert_string_equal(cfg.entries[3].path, "/");
	assert_int_equal(cfg.entries[3].budget_ns, SLO_BUDGET_MAX_NS);
	slo_config_free(&cfg);
	assert_null(cfg.entries);
	assert_int_equal(cfg.nr_entries, 0);
	slo_config_free(&cfg);	/* twice is harmless */
}

static void test_valid_no_default(void **state)
{
	struct slo_config cfg;

	parse_ok("slos:\n  - cgroup: /a\n    budget: 5ms\n", &cfg);
	assert_false(cfg.has_default_budget);
	assert_int_equal(cfg.default_budget_ns, SLO_DEFAULT_BUDGET_NS);
	assert_int_equal(cfg.nr_entries, 1);
	slo_config_free(&cfg);
}

static void test_valid_only_default(void **state)
{
	struct slo_config cfg;

	parse_ok("default_budget: 1s\n", &cfg);
	assert_true(cfg.has_default_budget);
	assert_int_equal(cfg.default_budget_ns, SLO_NSEC_PER_SEC);
	assert_int_equal(cfg.nr_entries, 0);
	assert_null(cfg.entries);
	slo_config_free(&cfg);
}

/* An explicit "no SLOs" is a configuration (it clears them all). */
static void test_valid_no_slos(void **state)
{
	static const char *const texts[] = {
		"slos:\n#  - cgroup: /a\n#    budget: 5ms\n",
		"slos: []\n",
		"slos: ~\n",
		"{}\n",
		"---\nslos:\n...\n",
		"\xef\xbb\xbfslos: []\n",	/* UTF-8 byte order mark */
		"slos: []",			/* no final newline */
	};
	struct slo_config cfg;
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		parse_ok(texts[i], &cfg);
		assert_false(cfg.has_default_budget);
		assert_int_equal(cfg.nr_entries, 0);
		slo_config_free(&cfg);
	}
}

static void test_valid_at_limits(void **state)
{
	struct slo_config cfg;
	struct buf b = { 0 };

	parse_ok("default_budget: 50us\n"
		 "slos:\n"
		 "  - {cgroup: /min, budget: 50000ns}\n"
		 "  - {cgroup: /max, budget: 10000ms}\n"
		 "  - {cgroup: /frac, budget: 0.00005s}\n", &cfg);
	assert_int_equal(cfg.default_budget_ns, SLO_BUDGET_MIN_NS);
	assert_int_equal(cfg.entries[0].budget_ns, SLO_BUDGET_MIN_NS);
	assert_int_equal(cfg.entries[1].budget_ns, SLO_BUDGET_MAX_NS);
	assert_int_equal(cfg.entries[2].budget_ns, SLO_BUDGET_MIN_NS);
	slo_config_free(&cfg);

	/* A line of exactly SLO_CONFIG_MAX_LINE bytes (line break excluded) */
	buf_printf(&b, "default_budget: 5ms #");
	buf_fill(&b, 'x', SLO_CONFIG_MAX_LINE - strlen("default_budget: 5ms #"));
	buf_printf(&b, "\r\n");
	parse_ok_n(b.s, b.len, &cfg);
	slo_config_free(&cfg);
	free(b.s);
}

/* A cgroup path of exactly SLO_CONFIG_MAX_PATH bytes, folded over short lines. */
static void long_path(struct buf *b, size_t path_len)
{
	size_t i;

	buf_printf(b, "slos:\n  - budget: 5ms\n    cgroup: \"/");
	for (i = 1; i < path_len; i++) {
		buf_printf(b, "%c", 'a' + (int)(i % 26));
		/* a backslash before the break joins the lines with no space */
		if (i % 100 == 0)
			buf_printf(b, "\\\n      ");
	}
	buf_printf(b, "\"\n");
}

static void test_long_path(void **state)
{
	struct slo_config cfg;
	struct buf b = { 0 };

	long_path(&b, SLO_CONFIG_MAX_PATH);
	parse_ok_n(b.s, b.len, &cfg);
	assert_int_equal(cfg.nr_entries, 1);
	assert_int_equal(strlen(cfg.entries[0].path), SLO_CONFIG_MAX_PATH);
	slo_config_free(&cfg);
	free(b.s);

	memset(&b, 0, sizeof(b));
	long_path(&b, SLO_CONFIG_MAX_PATH + 1);
	parse_bad_n(b.s, b.len, NAME ":3: cgroup path is longer than 4095 bytes");
	free(b.s);
}

static void test_max_entries(void **state)
{
	struct slo_config cfg;
	struct buf b = { 0 };
	int i;

	buf_printf(&b, "slos:\n");
	for (i = 0; i < SLO_MAX_BUDGETS; i++)
		buf_printf(&b, "  - {cgroup: /pod%d, budget: 5ms}\n", i);
	parse_ok_n(b.s, b.len, &cfg);
	assert_int_equal(cfg.nr_entries, SLO_MAX_BUDGETS);
	assert_string_equal(cfg.entries[SLO_MAX_BUDGETS - 1].path, "/pod4095");
	slo_config_free(&cfg);

	/* one more: rejected on the line of the 4097th entry */
	buf_printf(&b, "  - {cgroup: /pod%d, budget: 5ms}\n", i);
	parse_bad_n(b.s, b.len,
		    NAME ":4098: more than 4096 SLO entries (the most the scheduler's map holds)");
	free(b.s);
}

/* The SLO files shipped under deploy/ parse (they once carried weights). */
static void test_example_file(void **state)
{
	static const char *const files[] = {
		"/deploy/slo.example.yaml",
		"/deploy/kustomize/base/slo.yaml",
	};
	char top[4096], path[4096 + 64], err[1024];
	struct slo_config cfg;
	char *slash;
	size_t f;
	int i;

	/* CMake compiles with absolute paths: tests/unit/test_config.c -> top */
	snprintf(top, sizeof(top), "%s", __FILE__);
	for (i = 0; i < 3; i++) {
		slash = strrchr(top, '/');
		assert_non_null(slash);
		*slash = '\0';
	}
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		snprintf(path, sizeof(path), "%s%s", top, files[f]);
		if (slo_config_load(path, &cfg, err, sizeof(err)))
			fail_msg("%s", err);
		assert_true(cfg.has_default_budget);
		assert_true(cfg.nr_entries >= 3);
		slo_config_free(&cfg);
	}
}

/* ------------------------------------------------------------------------
 * Structure: keys, types, YAML features.
 */

static void test_unknown_keys(void **state)
{
	parse_bad("default_budget: 5ms\ndefault: 5ms\n",
		  NAME ":2: unknown key 'default' (expected default_budget or slos)");
	parse_bad("slos:\n  - cgroup: /a\n    budget: 5ms\n    budgte: 6ms\n",
		  NAME ":4: unknown key 'budgte' in SLO entry (expected cgroup or budget)");
	/* keys are case-sensitive: only the exact removed key gets its own message */
	parse_bad("slos:\n  - cgroup: /a\n    budget: 5ms\n    Weight: 5\n",
		  NAME ":4: unknown key 'Weight' in SLO entry (expected cgroup or budget)");
	/* "slos\0x" is not "slos" even though strcmp() would say so */
	parse_bad("\"slos\\0x\": []\n",
		  NAME ":1: unknown key 'slos\\x00x' (expected default_budget or slos)");
	/* a key that is not a scalar */
	parse_bad("? [slos]\n: []\n",
		  NAME ":1: expected a key (default_budget or slos), not a list");
	parse_bad("slos:\n  - {cgroup: /a, budget: 5ms, {x: 1}: 2}\n",
		  NAME ":2: expected a key (cgroup or budget), not a mapping");
}

static void test_duplicate_keys(void **state)
{
	parse_bad("slos: []\ndefault_budget: 5ms\nslos: []\n",
		  NAME ":3: duplicate key 'slos' (already at line 1)");
	parse_bad("default_budget: 5ms\ndefault_budget: 6ms\n",
		  NAME ":2: duplicate key 'default_budget' (already at line 1)");
	parse_bad("slos:\n  - cgroup: /a\n    budget: 5ms\n    budget: 6ms\n",
		  NAME ":4: duplicate key 'budget' (already at line 3)");
	parse_bad("slos:\n  - cgroup: /a\n    cgroup: /b\n    budget: 5ms\n",
		  NAME ":3: duplicate key 'cgroup' (already at line 2)");
}

static void test_wrong_types(void **state)
{
	parse_bad("- cgroup: /a\n  budget: 5ms\n",
		  NAME ":1: the top level must be a mapping with default_budget and/or slos, not a list");
	parse_bad("hello\n",
		  NAME ":1: the top level must be a mapping with default_budget and/or slos, not a scalar");
	parse_bad("default_budget: [5ms]\n",
		  NAME ":1: default_budget must be a duration such as 5ms, not a list");
	parse_bad("default_budget:\n  value: 5ms\n",
		  NAME ":2: default_budget must be a duration such as 5ms, not a mapping");
	parse_bad("slos: /a\n", NAME ":1: slos must be a list of entries, not a scalar");
	parse_bad("slos:\n  cgroup: /a\n  budget: 5ms\n",
		  NAME ":2: slos must be a list of entries, not a mapping");
	parse_bad("slos:\n  - /a\n",
		  NAME ":2: each entry of slos must be a mapping with cgroup and budget, not a scalar");
	parse_bad("slos:\n  - [/a, 5ms]\n",
		  NAME ":2: each entry of slos must be a mapping with cgroup and budget, not a list");
	parse_bad("slos:\n  - cgroup: [/a, /b]\n    budget: 5ms\n",
		  NAME ":2: cgroup must be a path such as /kubepods.slice, not a list");
	parse_bad("slos:\n  - cgroup: /a\n    budget:\n      - 5ms\n",
		  NAME ":4: budget must be a duration such as 5ms, not a list");
}

static void test_missing_fields(void **state)
{
	parse_bad("slos:\n  - budget: 5ms\n", NAME ":2: SLO entry has no cgroup");
	parse_bad("slos:\n  - {\n\n    cgroup: /a}\n", NAME ":2: SLO entry for '/a' has no budget");
	parse_bad("slos:\n  - {}\n", NAME ":2: SLO entry has no cgroup");
	parse_bad("slos:\n  - cgroup:\n    budget: 5ms\n", NAME ":2: cgroup has no value");
	budget_bad("", "budget has no value");
	parse_bad("default_budget:\n", NAME ":1: default_budget has no value");
}

static void test_aliases_anchors_tags(void **state)
{
	parse_bad("default_budget: &b 5ms\n",
		  NAME ":1: YAML anchors (&name) are not supported");
	parse_bad("slos:\n  - &e {cgroup: /a, budget: 5ms}\n",
		  NAME ":2: YAML anchors (&name) are not supported");
	parse_bad("slos: &l []\n", NAME ":1: YAML anchors (&name) are not supported");
	/* an alias alone, or the classic "billion laughs" shape */
	parse_bad("default_budget: *b\n", NAME ":1: YAML aliases (*name) are not supported");
	parse_bad("slos:\n  - {cgroup: /a, budget: 5ms}\n  - *a\n",
		  NAME ":3: YAML aliases (*name) are not supported");
	parse_bad("slos:\n  - {cgroup: /a, <<: *base}\n",
		  NAME ":2: unknown key '<<' in SLO entry (expected cgroup or budget)");
	parse_bad("default_budget: !!str 5ms\n", NAME ":1: YAML tags (!tag) are not supported");
	parse_bad("slos: !!seq []\n", NAME ":1: YAML tags (!tag) are not supported");
	parse_bad("!!map {slos: []}\n", NAME ":1: YAML tags (!tag) are not supported");
	parse_bad("slos:\n  - {cgroup: ! /a, budget: 5ms}\n",
		  NAME ":2: YAML tags (!tag) are not supported");
	parse_bad("%YAML 1.1\n---\nslos: []\n",
		  NAME ":1: YAML directives (%YAML, %TAG) are not supported");
	parse_bad("%TAG !e! tag:example.com,2000:\n---\nslos: []\n",
		  NAME ":1: YAML directives (%YAML, %TAG) are not supported");
}

static void test_multiple_documents(void **state)
{
	parse_bad("slos: []\n---\nslos: []\n",
		  NAME ":2: multiple YAML documents are not supported");
	parse_bad("---\ndefault_budget: 5ms\n...\n---\n",
		  NAME ":4: multiple YAML documents are not supported");
	parse_bad("slos: []\n---\n", NAME ":2: multiple YAML documents are not supported");
}

static void test_syntax_errors(void **state)
{
	parse_bad("slos:\n  - cgroup: /a\n    budget: 5ms\n   cgroup: /b\n",
		  NAME ":4: YAML syntax error: did not find expected '-' indicator (while parsing a block collection at line 2)");
	parse_bad("slos: [\n", NAME ":2: YAML syntax error: did not find expected node content (while parsing a flow node)");
	parse_bad("slos:\n\t- cgroup: /a\n",
		  NAME ":2: YAML syntax error: found character that cannot start any token (while scanning for the next token)");
	/* CR LF line ends count once */
	parse_bad("slos:\r\n  - cgroup: /a\r\n    budget: 5ms\r\n  bad\r\n",
		  NAME ":4: YAML syntax error: could not find expected ':' (while scanning a simple key)");
}

/* ------------------------------------------------------------------------
 * Values.
 */

static void test_bad_durations(void **state)
{
	budget_bad("5", "budget '5': duration needs a unit (ns, us, ms or s)");
	budget_bad("-5ms", "budget '-5ms': duration is negative");
	budget_bad("5 ms", "budget '5 ms': unknown duration unit (use ns, us, ms or s)");
	budget_bad("5min", "budget '5min': unknown duration unit (use ns, us, ms or s)");
	budget_bad("ms", "budget 'ms': duration must start with a digit");
	budget_bad("1e3ms", "budget '1e3ms': unknown duration unit (use ns, us, ms or s)");
	budget_bad("0x10ms", "budget '0x10ms': unknown duration unit (use ns, us, ms or s)");
	budget_bad("99999999999999999999s", "budget '99999999999999999999s': duration is too large");
	budget_bad("\"5ms\\0junk\"", "budget '5ms\\x00junk': contains a NUL character");
	parse_bad("default_budget: 100\n",
		  NAME ":1: default_budget '100': duration needs a unit (ns, us, ms or s)");
	parse_bad("default_budget: -1s\n",
		  NAME ":1: default_budget '-1s': duration is negative");
}

static void test_budget_range(void **state)
{
	budget_bad("49us", "budget '49us': must be between 50us and 10s");
	budget_bad("49999ns", "budget '49999ns': must be between 50us and 10s");
	budget_bad("0ms", "budget '0ms': must be between 50us and 10s");
	budget_bad("10000000001ns", "budget '10000000001ns': must be between 50us and 10s");
	budget_bad("10.000001s", "budget '10.000001s': must be between 50us and 10s");
	budget_bad("1h", "budget '1h': unknown duration unit (use ns, us, ms or s)");
	budget_bad("0100ms", "budget '0100ms': leading zeros are not allowed");
	budget_bad("\"+5ms\"", "budget '+5ms': duration must start with a digit");
	budget_bad("\" 5ms\"", "budget ' 5ms': duration must start with a digit");
	parse_bad("default_budget: 11s\n",
		  NAME ":1: default_budget '11s': must be between 50us and 10s");
	parse_bad("default_budget: 1us\n",
		  NAME ":1: default_budget '1us': must be between 50us and 10s");
}

/*
 * The per-SLO weight is gone (CPU shares follow cpu.weight): a file that
 * still has one is refused whole, on the weight's line, whatever its value
 * and wherever it stands in the entry.
 */
static void test_weight_removed(void **state)
{
	/* a whole old-format file: the weight of its second entry, line 7 */
	weight_refused("default_budget: 100ms\n"
		       "slos:\n"
		       "  - cgroup: /kubepods.slice/kubepods-burstable.slice\n"
		       "    budget: 20ms\n"
		       "  - cgroup: /kubepods.slice/kubepods-besteffort.slice\n"
		       "    budget: 500ms\n"
		       "    weight: 25\n"
		       "  - cgroup: /system.slice\n"
		       "    budget: 50ms\n", 7);
	weight_refused("slos:\n  - cgroup: /a\n    budget: 5ms\n    weight: 200\n", 4);
	/* first key of its entry, before the entry is complete */
	weight_refused("slos:\n  - weight: 100\n    cgroup: /a\n    budget: 5ms\n", 2);
	/* flow style, quoted key, and values the old parser refused anyway */
	weight_refused("slos: [{cgroup: /a, budget: 5ms, weight: 1}]\n", 1);
	weight_refused("slos:\n  - {cgroup: /a, budget: 5ms}\n  - {cgroup: /b, budget: 5ms,\n"
		       "     \"weight\": 10000}\n", 4);
	weight_refused("slos:\n  - cgroup: /a\n    budget: 5ms\n    weight: 0\n", 4);
	weight_refused("slos:\n  - cgroup: /a\n    budget: 5ms\n    weight:\n", 4);
	weight_refused("slos:\n  - cgroup: /a\n    budget: 5ms\n    weight: {w: 1}\n", 4);
	/* a weight given twice is still one line about the weight */
	weight_refused("slos:\n  - cgroup: /a\n    budget: 5ms\n    weight: 1\n    weight: 2\n", 4);
}

static void test_duplicate_paths(void **state)
{
	parse_bad("slos:\n  - {cgroup: /a, budget: 5ms}\n  - {cgroup: /b, budget: 5ms}\n"
		  "  - {cgroup: /a, budget: 6ms}\n",
		  NAME ":4: duplicate cgroup '/a' (already at line 2)");
	parse_bad("slos:\n  - cgroup: /a\n    budget: 5ms\n  - cgroup: //a/\n    budget: 6ms\n",
		  NAME ":4: duplicate cgroup '//a/' (that is '/a', already at line 2)");
	parse_bad("slos:\n  - {cgroup: /x/y, budget: 5ms}\n  - {cgroup: \"/x///y//\", budget: 6ms}\n",
		  NAME ":3: duplicate cgroup '/x///y//' (that is '/x/y', already at line 2)");
	parse_bad("slos:\n  - {cgroup: /, budget: 5ms}\n  - {cgroup: //, budget: 6ms}\n",
		  NAME ":3: duplicate cgroup '//' (that is '/', already at line 2)");
}

static void test_escaping_paths(void **state)
{
	cgroup_bad("/kubepods/../../etc",
		   "bad cgroup '/kubepods/../../etc': cgroup path must not contain '.' or '..'");
	cgroup_bad("/..", "bad cgroup '/..': cgroup path must not contain '.' or '..'");
	cgroup_bad("/a/..", "bad cgroup '/a/..': cgroup path must not contain '.' or '..'");
	cgroup_bad("/./a", "bad cgroup '/./a': cgroup path must not contain '.' or '..'");
	cgroup_bad("\"/a/\\x2e\\x2e/b\"",
		   "bad cgroup '/a/../b': cgroup path must not contain '.' or '..'");
}

static void test_relative_paths(void **state)
{
	cgroup_bad("kubepods.slice",
		   "bad cgroup 'kubepods.slice': cgroup path must start with '/' (relative to the cgroup2 mount)");
	cgroup_bad("../a",
		   "bad cgroup '../a': cgroup path must start with '/' (relative to the cgroup2 mount)");
	cgroup_bad("~",
		   "bad cgroup '~': cgroup path must start with '/' (relative to the cgroup2 mount)");
	cgroup_bad("\" /a\"",
		   "bad cgroup ' /a': cgroup path must start with '/' (relative to the cgroup2 mount)");
}

static void test_control_chars_in_path(void **state)
{
	cgroup_bad("\"/a\\x01b\"", "cgroup path '/a\\x01b' contains a control character");
	cgroup_bad("\"/a\\0b\"", "cgroup path '/a\\x00b' contains a control character");
	cgroup_bad("\"/a\\nb\"", "cgroup path '/a\\x0ab' contains a control character");
	cgroup_bad("\"/a\\x9bb\"", "cgroup path '/a\\xc2\\x9bb' contains a control character");
	cgroup_bad("\"/a\\x7f\"", "cgroup path '/a\\x7f' contains a control character");
	/* non-ASCII names are fine, and shown escaped in messages */
	cgroup_bad("\"caf\\xe9\"",
		   "bad cgroup 'caf\\xc3\\xa9': cgroup path must start with '/' (relative to the cgroup2 mount)");
}

/* ------------------------------------------------------------------------
 * Raw input: size, lines, encoding.
 */

static void test_long_lines(void **state)
{
	struct buf b = { 0 };

	buf_printf(&b, "slos: []\n# ");
	buf_fill(&b, 'x', SLO_CONFIG_MAX_LINE - 1);	/* 4097 bytes */
	buf_printf(&b, "\n");
	parse_bad_n(b.s, b.len, NAME ":2: line is longer than 4096 bytes");
	free(b.s);

	/* absurdly long: one 1 MiB line with no break at all */
	memset(&b, 0, sizeof(b));
	buf_printf(&b, "default_budget: 5ms\nslos: [");
	buf_fill(&b, ' ', SLO_CONFIG_MAX_BYTES - b.len);
	parse_bad_n(b.s, b.len, NAME ":2: line is longer than 4096 bytes");
	free(b.s);
}

static void test_nul_bytes(void **state)
{
	static const char text[] = "default_budget: 5ms\nslos: [\0]\n";

	parse_bad_n(text, sizeof(text) - 1, NAME ":2: NUL byte in the file (binary data?)");
	parse_bad_n("\0", 1, NAME ":1: NUL byte in the file (binary data?)");
	/* UTF-16 (libyaml would guess it from the BOM): not UTF-8, refused */
	parse_bad_n("\xff\xfes\0l\0", 6, NAME ":1: invalid UTF-8 (binary data?)");
}

static void test_binary_garbage(void **state)
{
	static const char elf[] = "\x7f" "ELF\x02\x01\x01\0\0\0";
	unsigned int seed = 42;
	char garbage[4096];
	struct slo_config cfg;
	char err[256];
	size_t i;
	int round;

	parse_bad_n(elf, sizeof(elf) - 1, NAME ":1: control character U+007F is not allowed");
	parse_bad("slos: []\n\xc3\x28\n", NAME ":2: invalid UTF-8 (binary data?)");
	parse_bad("\xc0\xafslos: []\n", NAME ":1: invalid UTF-8 (binary data?)");	/* overlong */
	parse_bad("slos: [] # \xed\xa0\x80\n", NAME ":1: invalid UTF-8 (binary data?)");	/* surrogate */
	parse_bad("slos: [] # \xf4\x90\x80\x80\n", NAME ":1: invalid UTF-8 (binary data?)");
	parse_bad("slos: [] # \xe2\x82\n", NAME ":1: invalid UTF-8 (binary data?)");	/* truncated */
	parse_bad("slos: []\n\n\x1b[31m\n", NAME ":3: control character U+001B is not allowed");
	parse_bad("slos: [] # \xc2\x9b\n", NAME ":1: control character U+009B is not allowed");
	parse_bad("slos: [] # \xef\xbf\xbf\n", NAME ":1: control character U+FFFF is not allowed");
	/* NEL, LS, PS are line breaks to YAML: they advance the line count */
	parse_bad("slos: []\xc2\x85\xe2\x80\xa8\xe2\x80\xa9\x01", NAME ":4: control character U+0001 is not allowed");

	/* Random bytes: always rejected (random 4 KiB is never valid UTF-8 YAML), never a crash */
	for (round = 0; round < 200; round++) {
		for (i = 0; i < sizeof(garbage); i++)
			garbage[i] = (char)(rand_r(&seed) & 0xff);
		poison(&cfg);
		assert_int_equal(slo_config_parse(garbage, sizeof(garbage), NAME, &cfg,
						  err, sizeof(err)), -1);
		assert_true(!strncmp(err, NAME ":", strlen(NAME ":")));
		assert_poisoned(&cfg);
	}
}

static void test_empty(void **state)
{
	parse_bad_n("", 0, NAME ":1: no configuration (the file is empty or only comments)");
	parse_bad_n(NULL, 0, NAME ":1: no configuration (the file is empty or only comments)");
	parse_bad("\n\n   \n", NAME ":1: no configuration (the file is empty or only comments)");
	parse_bad("# default_budget: 5ms\n# slos: []\n",
		  NAME ":1: no configuration (the file is empty or only comments)");
	parse_bad("\n# nothing\n---\n# here\n", NAME ":3: no configuration (the document is empty)");
	parse_bad("~\n", NAME ":1: no configuration (the document is empty)");
}

static void test_too_big(void **state)
{
	struct buf b = { 0 };
	unsigned int line;
	char expect[256];
	size_t i;

	/* exactly 1 MiB is still parsed: here it fails on content, not on size */
	buf_printf(&b, "slos: []\n");
	while (b.len < SLO_CONFIG_MAX_BYTES - 100)
		buf_printf(&b, "# padding padding padding padding padding padding\n");
	buf_fill(&b, 'x', SLO_CONFIG_MAX_BYTES - b.len);
	assert_int_equal(b.len, SLO_CONFIG_MAX_BYTES);
	for (i = 0, line = 1; i < b.len; i++)
		line += b.s[i] == '\n';
	snprintf(expect, sizeof(expect),
		 NAME ":%u: YAML syntax error: could not find expected ':' (while scanning a simple key)",
		 line);
	parse_bad_n(b.s, b.len, expect);
	buf_printf(&b, "x");
	parse_bad_n(b.s, b.len, NAME ": file is larger than 1 MiB (1048577 bytes)");
	free(b.s);
}

static void test_err_truncated(void **state)
{
	struct slo_config cfg;
	char err[8];

	memset(err, 'z', sizeof(err));
	poison(&cfg);
	assert_int_equal(slo_config_parse("x: 1\n", 5, NAME, &cfg, err, 6), -1);
	assert_string_equal(err, "t.yam");
	assert_int_equal(err[6], 'z');
	assert_poisoned(&cfg);
	/* no buffer at all is allowed too */
	assert_int_equal(slo_config_parse("x: 1\n", 5, NULL, &cfg, NULL, 0), -1);
	assert_poisoned(&cfg);
}

/* ------------------------------------------------------------------------
 * slo_config_load(): files on disk.
 */

static char tmpdir[64];

static int setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) ? -1 : 0;
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void load_bad(const char *path, const char *expect_problem)
{
	char err[1024], expect[1024];
	struct slo_config cfg;

	poison(&cfg);
	assert_int_equal(slo_config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(expect, sizeof(expect), "%s%s", path, expect_problem);
	assert_string_equal(err, expect);
	assert_poisoned(&cfg);
}

static void test_load_configmap_symlinks(void **state)
{
	char dir[256], data[256], file[512], link[256], err[256];
	static const char text[] = "slos:\n  - {cgroup: /a, budget: 5ms}\n";
	struct slo_config cfg;

	/* What the kubelet makes: slo.yaml -> ..data/slo.yaml, ..data -> ..<timestamp> */
	snprintf(dir, sizeof(dir), "%s/..2024_01_01_00_00_00.1", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(file, sizeof(file), "%s/slo.yaml", dir);
	write_file(file, text, sizeof(text) - 1);
	snprintf(data, sizeof(data), "%s/..data", tmpdir);
	assert_int_equal(symlink("..2024_01_01_00_00_00.1", data), 0);
	snprintf(link, sizeof(link), "%s/slo.yaml", tmpdir);
	assert_int_equal(symlink("..data/slo.yaml", link), 0);

	if (slo_config_load(link, &cfg, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(cfg.nr_entries, 1);
	assert_string_equal(cfg.entries[0].path, "/a");
	slo_config_free(&cfg);
}

/* An old file with a weight, from disk: refused with its path and line. */
static void test_load_old_weight_config(void **state)
{
	static const char text[] =
		"# written for an scx_slo that had per-SLO weights\n"
		"default_budget: 100ms\n"
		"slos:\n"
		"  - cgroup: /kubepods.slice\n"
		"    budget: 5ms\n"
		"  - cgroup: /kubepods.slice/kubepods-besteffort.slice\n"
		"    weight: 25\n"
		"    budget: 500ms\n";
	char path[256];

	snprintf(path, sizeof(path), "%s/config.yaml", tmpdir);
	write_file(path, text, sizeof(text) - 1);
	load_bad(path, ":7: " WEIGHT_GONE);
}

static void test_load_errors(void **state)
{
	char path[256], fifo[256];
	struct buf b = { 0 };

	snprintf(path, sizeof(path), "%s/missing.yaml", tmpdir);
	load_bad(path, ": cannot open: No such file or directory");
	load_bad(tmpdir, ": not a regular file");
	snprintf(fifo, sizeof(fifo), "%s/fifo.yaml", tmpdir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	load_bad(fifo, ": not a regular file");	/* and does not hang */

	/* over 1 MiB: refused from its size, before anything is parsed */
	snprintf(path, sizeof(path), "%s/big.yaml", tmpdir);
	buf_printf(&b, "slos: []\n");
	buf_fill(&b, '#', SLO_CONFIG_MAX_BYTES);
	write_file(path, b.s, b.len);
	load_bad(path, ": file is larger than 1 MiB (1048585 bytes)");
	free(b.s);

	/* content errors carry the path as the name */
	snprintf(path, sizeof(path), "%s/bad.yaml", tmpdir);
	write_file(path, "slos:\n  - {cgroup: a, budget: 5ms}\n", 35);
	load_bad(path, ":2: bad cgroup 'a': cgroup path must start with '/' (relative to the cgroup2 mount)");
	write_file(path, "", 0);
	load_bad(path, ":1: no configuration (the file is empty or only comments)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_full),
		cmocka_unit_test(test_valid_no_default),
		cmocka_unit_test(test_valid_only_default),
		cmocka_unit_test(test_valid_no_slos),
		cmocka_unit_test(test_valid_at_limits),
		cmocka_unit_test(test_long_path),
		cmocka_unit_test(test_max_entries),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_aliases_anchors_tags),
		cmocka_unit_test(test_multiple_documents),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_bad_durations),
		cmocka_unit_test(test_budget_range),
		cmocka_unit_test(test_weight_removed),
		cmocka_unit_test(test_duplicate_paths),
		cmocka_unit_test(test_escaping_paths),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_control_chars_in_path),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_binary_garbage),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_err_truncated),
		cmocka_unit_test(test_load_configmap_symlinks),
		cmocka_unit_test(test_load_old_weight_config),
		cmocka_unit_test(test_load_errors),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
