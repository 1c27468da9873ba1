// SPDX-License-Identifier: GPL-2.0
/*
 * `scx_slo slo list|get|set|del`: act on the budgets of the running
 * scheduler through the maps it pinned under SLO_PIN_DIR.
 *
 * set and del edit the active budget set in place: they take effect on the
 * next wakeup of the cgroup's tasks and last until the running scheduler next
 * applies its configuration file (a reload rebuilds the set from the file).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "budgets.h"
#include "cgroup.h"
#include "config.h"
#include "duration.h"
#include "scx_slo.h"
#include "slo_cli.h"

__attribute__((format(printf, 1, 2)))
static void cli_msg(const char *fmt, ...)
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
"until scx_slo next applies its configuration file.  A budget buys\n"
"latency, not CPU: CPU shares follow each cgroup's own cpu.weight.\n"
"\n"
"Exit status: 0 done, 1 failure, 2 bad usage or input, 3 not root,\n"
"8 no scx_slo is running.\n");
}

struct cli_maps {
	struct slo_budget_maps maps;
	struct slo_control ctl;
};

static int open_maps(struct cli_maps *m)
{
	m->maps.control_fd = bpf_obj_get(SLO_PIN_CONTROL);
	if (m->maps.control_fd < 0) {
		if (errno == ENOENT)
			cli_msg("no scx_slo scheduler is running (nothing pinned at %s)",
				SLO_PIN_DIR);
		else
			cli_msg("cannot open %s: %s", SLO_PIN_CONTROL, strerror(errno));
		return errno == ENOENT ? SLO_EXIT_NOT_RUNNING : 1;
	}
	m->maps.set_fd[0] = bpf_obj_get(SLO_PIN_BUDGETS_0);
	m->maps.set_fd[1] = bpf_obj_get(SLO_PIN_BUDGETS_1);
	if (m->maps.set_fd[0] < 0 || m->maps.set_fd[1] < 0) {
		cli_msg("cannot open the budget maps in %s: %s", SLO_PIN_DIR, strerror(errno));
		return 1;
	}
	if (slo_control_read(m->maps.control_fd, &m->ctl)) {
		cli_msg("cannot read %s: %s", SLO_PIN_CONTROL, strerror(errno));
		return 1;
	}
	return 0;
}

static int active_fd(const struct cli_maps *m)
{
	return m->maps.set_fd[m->ctl.active_set ? 1 : 0];
}

static int resolve(const char *arg, char *path, size_t len, uint64_t *id)
{
	char mount[PATH_MAX];
	const char *why = NULL;
	int err;

	if (slo_cgroup_normalize(arg, path, len, &why)) {
		cli_msg("'%s': %s", arg, why);
		return 2;
	}
	err = slo_cgroup_mount(mount, sizeof(mount));
	if (err) {
		cli_msg("no cgroup2 mount found: %s", strerror(-err));
		return 1;
	}
	err = slo_cgroup_id(mount, path, id);
	if (err) {
		cli_msg("cgroup %s: %s", path, strerror(-err));
		return 2;
	}
	return 0;
}

static int cmd_list(struct cli_maps *m)
{
	struct slo_cgroup_table table = {};
	char mount[PATH_MAX], budget[32];
	uint64_t key, next;
	bool have_key = false, have_names;
	int fd = active_fd(m);

	have_names = !slo_cgroup_mount(mount, sizeof(mount)) &&
		     !slo_cgroup_table_build(mount, &table);
	slo_format_duration(m->ctl.default_budget_ns ? m->ctl.default_budget_ns :
			    SLO_DEFAULT_BUDGET_NS, budget, sizeof(budget));
	printf("default budget %s\n", budget);
	printf("%-60s %8s\n", "CGROUP", "BUDGET");
	while (!bpf_map_get_next_key(fd, have_key ? &key : NULL, &next)) {
		struct slo_budget val;
		const char *path = have_names ? slo_cgroup_table_path(&table, next) : NULL;
		char idbuf[32];

		key = next;
		have_key = true;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		if (!path) {
			snprintf(idbuf, sizeof(idbuf), "<id %llu>", (unsigned long long)key);
			path = idbuf;
		}
		slo_format_duration(val.budget_ns, budget, sizeof(budget));
		printf("%-60s %8s\n", path, budget);
	}
	if (have_names)
		slo_cgroup_table_free(&table);
	return 0;
}

static int cmd_get(struct cli_maps *m, const char *arg)
{
	char path[PATH_MAX], budget[32];
	struct slo_budget val;
	uint64_t id;
	int ret = resolve(arg, path, sizeof(path), &id);

	if (ret)
		return ret;
	if (bpf_map_lookup_elem(active_fd(m), &id, &val)) {
		printf("%s: no SLO of its own (it inherits from its nearest ancestor with one, or the default)\n",
		       path);
		return 0;
	}
	slo_format_duration(val.budget_ns, budget, sizeof(budget));
	printf("%s: budget %s\n", path, budget);
	return 0;
}

static int bump(struct cli_maps *m)
{
	int err = slo_control_publish(m->maps.control_fd, m->ctl.active_set,
				      m->ctl.default_budget_ns);

	if (err) {
		cli_msg("cannot publish the change: %s", strerror(-err));
		return 1;
	}
	return 0;
}

static int cmd_set(struct cli_maps *m, const char *arg, const char *dur)
{
	struct slo_budget val = {};
	char path[PATH_MAX];
	const char *why = NULL;
	uint64_t id, budget_ns;
	int ret;

	if (slo_parse_duration(dur, &budget_ns, &why)) {
		cli_msg("budget '%s': %s", dur, why);
		return 2;
	}
	val.budget_ns = budget_ns;
	if (budget_ns < SLO_BUDGET_MIN_NS || budget_ns > SLO_BUDGET_MAX_NS) {
		char lo[32], hi[32];

		slo_format_duration(SLO_BUDGET_MIN_NS, lo, sizeof(lo));
		slo_format_duration(SLO_BUDGET_MAX_NS, hi, sizeof(hi));
		cli_msg("budget '%s': must be between %s and %s", dur, lo, hi);
		return 2;
	}
	ret = resolve(arg, path, sizeof(path), &id);
	if (ret)
		return ret;
	if (bpf_map_update_elem(active_fd(m), &id, &val, BPF_ANY)) {
		cli_msg("cannot set the budget of %s: %s", path, strerror(errno));
		return 1;
	}
	return bump(m);
}

static int cmd_del(struct cli_maps *m, const char *arg)
{
	char path[PATH_MAX];
	uint64_t id;
	int ret = resolve(arg, path, sizeof(path), &id);

	if (ret)
		return ret;
	if (bpf_map_delete_elem(active_fd(m), &id)) {
		if (errno == ENOENT) {
			cli_msg("%s has no SLO of its own", path);
			return 2;
		}
		cli_msg("cannot delete the budget of %s: %s", path, strerror(errno));
		return 1;
	}
	return bump(m);
}

int slo_cli_main(int argc, char **argv)
{
	struct cli_maps m;
	const char *cmd = argc > 1 ? argv[1] : NULL;
	int nargs = argc - 2, ret;

	if (!cmd || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		cli_usage(cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	/* the per-SLO weight of earlier versions: say why it is gone */
	if (!strcmp(cmd, "set") && nargs == 3) {
		cli_msg("set: the WEIGHT argument ('%s') is no longer supported: CPU shares "
			"follow the cgroup's cpu.weight (the pod's CPU request); "
			"use scx_slo slo set PATH DURATION", argv[4]);
		return 2;
	}
	if (!((!strcmp(cmd, "list") && nargs == 0) ||
	      (!strcmp(cmd, "get") && nargs == 1) ||
	      (!strcmp(cmd, "set") && nargs == 2) ||
	      (!strcmp(cmd, "del") && nargs == 1))) {
		cli_msg("bad command '%s'%s (try scx_slo slo --help)", cmd,
			nargs < 0 ? "" : " or argument count");
		return 2;
	}
	if (geteuid() != 0) {
		cli_msg("must run as root: the budget maps are root-only");
		return 3;
	}
	ret = open_maps(&m);
	if (ret)
		return ret;
	if (!strcmp(cmd, "list"))
		return cmd_list(&m);
	if (!strcmp(cmd, "get"))
		return cmd_get(&m, argv[2]);
	if (!strcmp(cmd, "set"))
		return cmd_set(&m, argv[2], argv[3]);
	return cmd_del(&m, argv[2]);
}
