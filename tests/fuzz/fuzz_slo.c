// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for `scx_slo slo ...` without BPF: its arguments, the
 * check of each pinned map's description before the map is used, and the
 * output it makes from what the maps hold (loader/slo_cli_parse.c).  The
 * maps are where a planted or stale pin puts hostile bytes, so every value
 * is fuzzed, not only the ones the scheduler writes.
 *
 * The first byte picks what the rest is:
 *	0: arguments, NUL-separated, after "slo"
 *	1: a map description: which map, how many bytes of bpf_map_info the
 *	   kernel filled in, the room for the message, then the bpf_map_info
 *	2: map values: a slo_control, then (cgroup id, slo_budget) rows
 * Beyond the sanitizers it checks the contract of each: exit statuses, a
 * normalised path, one printable line naming the pin for a refused map
 * and acceptance of exactly the expected map, budgets that read back as
 * the value they came from.  Run with -close_fd_mask=3: the CLI's messages
 * go to stdout and stderr.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "slo_cli_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS	8

static void check_path(const char *path)
{
	size_t len = strlen(path);
	char again[PATH_MAX];

	if (path[0] != '/' || len >= PATH_MAX || (len > 1 && path[len - 1] == '/') ||
	    strstr(path, "//") || strstr(path, "/./") || strstr(path, "/../") ||
	    (len >= 2 && !strcmp(path + len - 2, "/.")) ||
	    (len >= 3 && !strcmp(path + len - 3, "/..")))
		abort();
	/* normalising is idempotent */
	if (slo_cli_normalize(path, again, sizeof(again)) || strcmp(path, again))
		abort();
}

static void check_budget(const char *arg)
{
	uint64_t ns = 0, back;
	const char *why;
	int ret = slo_cli_parse_budget(arg, &ns);

	if (ret == 0) {
		if (ns < SLO_BUDGET_MIN_NS || ns > SLO_BUDGET_MAX_NS)
			abort();
		if (slo_parse_duration(arg, &back, &why) || back != ns)
			abort();
	} else if (ret != 2) {
		abort();
	}
}

static void fuzz_args(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 1] = { "slo" };
	struct slo_cli_args a;
	char path[PATH_MAX];
	size_t off = 0;
	int argc = 1, ret, i;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	while (off < size && argc < MAX_ARGS) {
		argv[argc++] = buf + off;
		off += strlen(buf + off) + 1;
	}
	argv[argc] = NULL;

	ret = slo_cli_parse_args(argc, argv, &a);
	if (ret != 0 && ret != 2)
		abort();
	if (!ret) {
		static const int want_argc[] = {
			[SLO_CLI_LIST] = 2, [SLO_CLI_GET] = 3, [SLO_CLI_SET] = 4, [SLO_CLI_DEL] = 3,
		};

		if (a.cmd == SLO_CLI_HELP) {
			if (argc < 2 || (strcmp(argv[1], "-h") && strcmp(argv[1], "--help")))
				abort();
		} else if (a.cmd < SLO_CLI_LIST || a.cmd > SLO_CLI_DEL ||
			   argc != want_argc[a.cmd]) {
			abort();
		} else if ((a.cmd != SLO_CLI_LIST && a.path != argv[2]) ||
			   (a.cmd == SLO_CLI_LIST && a.path) ||
			   (a.cmd == SLO_CLI_SET) != (a.budget != NULL) ||
			   (a.budget && a.budget != argv[3])) {
			abort();
		}
	}
	/* what the CLI does with any PATH and DURATION it is given */
	for (i = 1; i < argc; i++) {
		ret = slo_cli_normalize(argv[i], path, sizeof(path));
		if (ret == 0)
			check_path(path);
		else if (ret != 2)
			abort();
		check_budget(argv[i]);
	}
	free(buf);
}

static void fuzz_map_info(const uint8_t *data, size_t size)
{
	const struct slo_cli_map *want;
	struct bpf_map_info info;
	uint32_t info_len;
	size_t whylen, i;
	char *why;
	int ret;
	bool match;

	if (size < 3)
		return;
	want = &slo_cli_maps[data[0] % SLO_CLI_NR_MAPS];
	info_len = data[1] % (sizeof(info) + 1);
	/* from none to more than any message needs */
	whylen = (size_t)data[2] * 2;
	data += 3;
	size -= 3;
	memset(&info, 0, sizeof(info));
	memcpy(&info, data, size < sizeof(info) ? size : sizeof(info));

	/* exactly @whylen bytes: ASan sees a write past them */
	why = malloc(whylen ? whylen : 1);
	if (!why)
		abort();
	ret = slo_cli_check_map(want, &info, info_len, why, whylen);

	match = info_len >= offsetof(struct bpf_map_info, value_size) + sizeof(info.value_size) &&
		info.type == want->type && info.key_size == want->key_size &&
		info.value_size == want->value_size;
	if (info_len >= offsetof(struct bpf_map_info, name) + sizeof(info.name))
		match = match && !strncmp(info.name, want->name, sizeof(info.name)) &&
			strlen(want->name) < sizeof(info.name);
	if (ret != (match ? 0 : -1))
		abort();
	if (whylen) {
		size_t len = strnlen(why, whylen);

		if (len == whylen)
			abort();	/* not terminated */
		if (match && len)
			abort();
		/* one printable line: nothing from the map reaches a terminal raw */
		for (i = 0; i < len; i++)
			if ((unsigned char)why[i] < 0x20 || (unsigned char)why[i] >= 0x7f)
				abort();
		if (!match && strncmp(why, want->pin, len < strlen(want->pin) ? len : strlen(want->pin)))
			abort();
	}
	free(why);
}

/* @buf holds one row of `slo list` for @path (or @id) with @budget_ns. */
static void check_row(const char *buf, const char *path, uint64_t id, uint64_t budget_ns)
{
	const char *nl = strchr(buf, '\n'), *sp;
	char want[40];
	uint64_t back;
	const char *why;

	if (!nl || nl[1])
		abort();
	if (path) {
		if (strncmp(buf, path, strlen(path)))
			abort();
	} else {
		snprintf(want, sizeof(want), "<id %llu> ", (unsigned long long)id);
		if (strncmp(buf, want, strlen(want)))
			abort();
	}
	/* the budget is the last word, and reads back as the map's value */
	for (sp = nl; sp > buf && sp[-1] != ' '; sp--)
		;
	snprintf(want, sizeof(want), "%.*s", (int)(nl - sp), sp);
	if (slo_parse_duration(want, &back, &why) || back != budget_ns)
		abort();
}

static void fuzz_values(const uint8_t *data, size_t size)
{
	struct slo_control ctl;
	uint64_t def, back;
	char buf[32];
	const char *why;
	unsigned int set;

	memset(&ctl, 0, sizeof(ctl));
	memcpy(&ctl, data, size < sizeof(ctl) ? size : sizeof(ctl));
	set = slo_cli_active_set(&ctl);
	if (set > 1 || (set == 0) != (ctl.active_set == 0))
		abort();
	def = slo_cli_default_budget(&ctl);
	if (def != (ctl.default_budget_ns ? ctl.default_budget_ns : SLO_DEFAULT_BUDGET_NS))
		abort();
	slo_format_duration(def, buf, sizeof(buf));
	if (slo_parse_duration(buf, &back, &why) || back != def)
		abort();
	data += size < sizeof(ctl) ? size : sizeof(ctl);
	size -= size < sizeof(ctl) ? size : sizeof(ctl);

	/* rows: a flag byte (path known?), the id, the value */
	while (size >= 1 + sizeof(uint64_t) + sizeof(struct slo_budget)) {
		static const char known[] = "/kubepods.slice/pod-with-a-rather-long-name-0123456789abcdef";
		struct slo_budget val;
		uint64_t id;
		char *out = NULL;
		size_t len = 0;
		const char *path = data[0] & 1 ? known + (data[0] >> 1) % sizeof(known) : NULL;
		FILE *f;

		memcpy(&id, data + 1, sizeof(id));
		memcpy(&val, data + 1 + sizeof(id), sizeof(val));
		data += 1 + sizeof(id) + sizeof(val);
		size -= 1 + sizeof(id) + sizeof(val);
		if (path && !*path)
			path = "/";
		f = open_memstream(&out, &len);
		if (!f)
			abort();
		slo_cli_print_row(f, path, id, &val);
		if (fclose(f))
			abort();
		if (strlen(out) != len)
			abort();
		check_row(out, path, id, val.budget_ns);
		free(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_args(data + 1, size - 1);
		break;
	case 1:
		fuzz_map_info(data + 1, size - 1);
		break;
	default:
		fuzz_values(data + 1, size - 1);
		break;
	}
	return 0;
}
