// SPDX-License-Identifier: GPL-2.0
/*
 * The parts of `scx_slo slo list|get|set|del` that need no BPF map: argument
 * checks, the check of each pinned map before it is used, and the output
 * made from what the maps hold.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "budget_rule.h"
#include "cgroup.h"
#include "duration.h"
#include "slo_cli.h"
#include "escape.h"
#include "slo_cli_parse.h"

void slo_cli_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "scx_slo slo: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void cli_usage(FILE *out)
{
	fprintf(out,
"Usage: scx_slo slo list\n"
"       scx_slo slo get PATH\n"
"       scx_slo slo set PATH DURATION\n"
"       scx_slo slo del PATH\n"
"\n"
"Read or change the latency budgets of the running scx_slo.  PATH is a\n"
"cgroup relative to the cgroup2 mount.  set and del act at once and last\n"
"until scx_slo next applies its SLO sources (--config, --slo-dir).  get\n"
"shows the budget in force: its own, inherited, or the default.  A budget buys\n"
"latency, not CPU: CPU shares follow each cgroup's own cpu.weight.\n"
"\n"
"Exit status: 0 done, 1 failure, 2 bad usage or input (or a pinned map\n"
"that is not this scx_slo's), 3 not root, 8 no scx_slo is running.\n");
}

int slo_cli_parse_args(int argc, char **argv, struct slo_cli_args *a)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	int nargs = argc - 2;

	memset(a, 0, sizeof(*a));
	if (!cmd || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		cli_usage(cmd ? stdout : stderr);
		a->cmd = SLO_CLI_HELP;
		return cmd ? 0 : 2;
	}
	/* the per-SLO weight of earlier versions: say why it is gone */
	if (!strcmp(cmd, "set") && nargs == 3) {
		slo_cli_msg("set: the WEIGHT argument ('%s') is no longer supported: CPU shares "
			    "follow the cgroup's cpu.weight (the pod's CPU request); "
			    "use scx_slo slo set PATH DURATION", argv[4]);
		return 2;
	}
	if (!strcmp(cmd, "list") && nargs == 0) {
		a->cmd = SLO_CLI_LIST;
	} else if (!strcmp(cmd, "get") && nargs == 1) {
		a->cmd = SLO_CLI_GET;
	} else if (!strcmp(cmd, "set") && nargs == 2) {
		a->cmd = SLO_CLI_SET;
		a->budget = argv[3];
	} else if (!strcmp(cmd, "del") && nargs == 1) {
		a->cmd = SLO_CLI_DEL;
	} else {
		slo_cli_msg("bad command '%s'%s (try scx_slo slo --help)", cmd,
			    nargs < 0 ? "" : " or argument count");
		return 2;
	}
	if (a->cmd != SLO_CLI_LIST)
		a->path = argv[2];
	return 0;
}

int slo_cli_parse_budget(const char *arg, uint64_t *ns)
{
	char why[128];

	if (slo_parse_budget(arg, ns, why, sizeof(why))) {
		slo_cli_msg("budget '%s': %s", arg, why);
		return 2;
	}
	return 0;
}

int slo_cli_normalize(const char *arg, char *path, size_t len)
{
	const char *why = NULL;

	if (slo_cgroup_normalize(arg, path, len, &why)) {
		slo_cli_msg("'%s': %s", arg, why);
		return 2;
	}
	return 0;
}

/* What the scheduler declares in bpf/scx_slo.bpf.c and pins in pin_maps(). */
const struct slo_cli_map slo_cli_maps[SLO_CLI_NR_MAPS] = {
	[SLO_CLI_MAP_CONTROL] = {
		SLO_PIN_CONTROL, "slo_control", BPF_MAP_TYPE_ARRAY,
		sizeof(uint32_t), sizeof(struct slo_control),
	},
	[SLO_CLI_MAP_BUDGETS_0] = {
		SLO_PIN_BUDGETS_0, "slo_budgets_0", BPF_MAP_TYPE_HASH,
		sizeof(uint64_t), sizeof(struct slo_budget),
	},
	[SLO_CLI_MAP_BUDGETS_1] = {
		SLO_PIN_BUDGETS_1, "slo_budgets_1", BPF_MAP_TYPE_HASH,
		sizeof(uint64_t), sizeof(struct slo_budget),
	},
};

static const char *map_type_name(uint32_t type)
{
	switch (type) {
	case BPF_MAP_TYPE_HASH:			return "hash";
	case BPF_MAP_TYPE_ARRAY:		return "array";
	case BPF_MAP_TYPE_PERCPU_HASH:		return "percpu_hash";
	case BPF_MAP_TYPE_PERCPU_ARRAY:		return "percpu_array";
	case BPF_MAP_TYPE_LRU_HASH:		return "lru_hash";
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:	return "array_of_maps";
	case BPF_MAP_TYPE_HASH_OF_MAPS:		return "hash_of_maps";
	default:				return NULL;
	}
}

__attribute__((format(printf, 4, 5)))
static void append(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*n >= len)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	if (w > 0)
		*n = *n + (size_t)w < len ? *n + (size_t)w : len;
}

int slo_cli_check_map(const struct slo_cli_map *want, const struct bpf_map_info *info,
		      uint32_t info_len, char *why, size_t whylen)
{
	/* the kernel terminates names, but this one may come from anywhere */
	char name[sizeof(info->name) * 4 + 1];
	size_t i, n = 0, nn = 0;
	const char *sep = "";
	bool have_name = info_len >= offsetof(struct bpf_map_info, name) + sizeof(info->name);

	if (whylen)
		why[0] = '\0';
	if (have_name) {
		for (i = 0; i < sizeof(info->name) && info->name[i]; i++) {
			unsigned char c = (unsigned char)info->name[i];

			if (c > 0x20 && c < 0x7f && c != '\\' && c != '\'')
				name[nn++] = (char)c;
			else
				nn += (size_t)snprintf(name + nn, sizeof(name) - nn, "\\x%02x", c);
		}
	}
	name[nn] = '\0';

	append(why, whylen, &n, "%s:", want->pin);
	if (info_len < offsetof(struct bpf_map_info, value_size) + sizeof(info->value_size)) {
		append(why, whylen, &n, " the kernel does not describe it");
		goto refuse;
	}
	if (info->type != want->type) {
		const char *got = map_type_name(info->type);

		if (got)
			append(why, whylen, &n, " type %s", got);
		else
			append(why, whylen, &n, " type %u", info->type);
		append(why, whylen, &n, ", want %s", map_type_name(want->type));
		sep = ";";
	}
	if (info->key_size != want->key_size) {
		append(why, whylen, &n, "%s key size %u, want %u", sep, info->key_size,
		       want->key_size);
		sep = ";";
	}
	if (info->value_size != want->value_size) {
		append(why, whylen, &n, "%s value size %u, want %u", sep, info->value_size,
		       want->value_size);
		sep = ";";
	}
	if (have_name && strcmp(name, want->name)) {
		append(why, whylen, &n, "%s name '%s', want '%s'", sep, name, want->name);
		sep = ";";
	}
	if (!*sep) {
		if (whylen)
			why[0] = '\0';
		return 0;
	}
refuse:
	append(why, whylen, &n, " (not the map this scx_slo pins: another version's, or planted); refusing to use it");
	return -1;
}

unsigned int slo_cli_active_set(const struct slo_control *ctl)
{
	return ctl->active_set ? 1 : 0;
}

uint64_t slo_cli_default_budget(const struct slo_control *ctl)
{
	return ctl->default_budget_ns ? ctl->default_budget_ns : SLO_DEFAULT_BUDGET_NS;
}

void slo_cli_print_row(FILE *out, const char *path, uint64_t id,
		       const struct slo_budget *val)
{
	/* names come from the hierarchy: whatever a delegated user chose */
	static char name[SLO_ESCAPED_SIZE(PATH_MAX)];
	char budget[32];

	if (path)
		slo_escape(name, sizeof(name), path);
	else
		snprintf(name, sizeof(name), "<id %llu>", (unsigned long long)id);
	slo_format_duration(val->budget_ns, budget, sizeof(budget));
	fprintf(out, "%-60s %8s\n", name, budget);
}
