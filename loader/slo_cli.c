// SPDX-License-Identifier: GPL-2.0
/*
 * `scx_slo slo list|get|set|del`: act on the budgets of the running
 * scheduler through the maps it pinned under SLO_PIN_DIR.
 *
 * set and del edit the active budget set in place: they take effect on the
 * next wakeup of the cgroup's tasks and last until the running scheduler next
 * applies its SLO sources (a reload rebuilds the set from the files).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
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
#include "health.h"
#include "pins.h"
#include "scx_slo.h"
#include "slo_cli.h"
#include "slo_cli_parse.h"

struct cli_maps {
	struct slo_budget_maps maps;
	struct slo_control ctl;
};

/*
 * Whether a pinned object is a map: bpffs also pins programs and links,
 * whose info would be misread as a map's.  Told apart as bpftool does, by
 * the name of the fd's anonymous inode.  1, 0, or -errno.
 */
static int fd_is_map(int fd)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	return !strcmp(target, "anon_inode:bpf-map");
}

/*
 * Open the pinned map @i into *fd and check it is the map this scx_slo
 * expects before anything reads or writes through it.  0 or the exit status.
 */
static int open_map(const struct slo_pins *pins, unsigned int i, int *fd)
{
	const struct slo_cli_map *want = &slo_cli_maps[i];
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	char why[512];
	int ret;

	ret = slo_pins_get(pins, strrchr(want->pin, '/') + 1, fd);
	if (ret == -ENOENT && i == SLO_CLI_MAP_CONTROL) {
		slo_cli_msg("no scx_slo scheduler is running (nothing pinned at %s)", SLO_PIN_DIR);
		return SLO_EXIT_NOT_RUNNING;
	}
	if (ret == -EPERM) {
		slo_cli_msg("%s: not a root-owned pin (a symlink or directory?): refusing to use it",
			    want->pin);
		return 2;
	}
	if (ret) {
		slo_cli_msg("cannot open %s: %s", want->pin, strerror(-ret));
		return 1;
	}
	ret = fd_is_map(*fd);
	if (ret < 0) {
		slo_cli_msg("cannot tell what %s is: %s", want->pin, strerror(-ret));
		return 1;
	}
	if (!ret) {
		slo_cli_msg("%s: not a BPF map (not what this scx_slo pins: planted?); refusing to use it",
			    want->pin);
		return 2;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_map_get_info_by_fd(*fd, &info, &len)) {
		slo_cli_msg("cannot inspect %s: %s", want->pin, strerror(errno));
		return 1;
	}
	if (slo_cli_check_map(want, &info, len, why, sizeof(why))) {
		slo_cli_msg("%s", why);
		return 2;
	}
	return 0;
}

/*
 * Without CAP_SYS_ADMIN (the DaemonSet grants CAP_BPF and CAP_PERFMON
 * only) the kernel does not let us walk BPF links.  In the loader's own
 * container (kubectl exec) its heartbeat tells instead: a loader that holds
 * it, runs (does not wait) and sees sched_ext run 'slo' pinned its maps
 * when it attached.  1, 0, or -EPERM where there is no heartbeat to read
 * (on the node, without CAP_SYS_ADMIN).
 */
static int attached_by_heartbeat(void)
{
	static const char running[] = "ok: sched_ext runs ";
	char out[1024];

	if (access(SLO_HEARTBEAT_PATH, F_OK))
		return -EPERM;
	if (slo_health_check(SLO_HEALTH_SCHED_EXT_DIR, SLO_HEARTBEAT_PATH, SLO_HEALTH_MAX_AGE_NS,
			     out, sizeof(out)))
		return 0;
	return !strncmp(out, running, sizeof(running) - 1);
}

/*
 * Whether the scheduler that pinned the maps is the one attached: a loader
 * that was SIGKILLed or OOM-killed leaves its pins (and with them its maps)
 * behind, and writing to those changes nothing.  0 or the exit status.
 */
static int check_attached(const struct slo_pins *pins)
{
	const char *pin = SLO_PIN_DIR "/" SLO_PIN_OPS_NAME;
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);
	int fd, ret;

	ret = slo_pins_get(pins, SLO_PIN_OPS_NAME, &fd);
	if (ret == -ENOENT) {
		slo_cli_msg("no scx_slo scheduler is running (%s is missing: the pins in %s are not a running scheduler's)",
			    pin, SLO_PIN_DIR);
		return SLO_EXIT_NOT_RUNNING;
	}
	if (ret == -EPERM) {
		slo_cli_msg("%s: not a root-owned pin (a symlink or directory?): refusing to use it", pin);
		return 2;
	}
	if (ret) {
		slo_cli_msg("cannot open %s: %s", pin, strerror(-ret));
		return 1;
	}
	if (fd_is_map(fd) != 1 || bpf_map_get_info_by_fd(fd, &info, &len) ||
	    info.type != BPF_MAP_TYPE_STRUCT_OPS) {
		slo_cli_msg("%s: not a struct_ops map (not what this scx_slo pins: planted?); refusing to use it",
			    pin);
		close(fd);
		return 2;
	}
	ret = slo_ops_attached(fd);
	close(fd);
	if (ret == -EPERM)
		ret = attached_by_heartbeat();
	if (ret < 0) {
		slo_cli_msg("cannot tell which scheduler is attached: %s%s", strerror(-ret),
			    ret == -EPERM ? " (walking BPF links needs CAP_SYS_ADMIN; in the "
			    "loader's container its heartbeat is read instead)" : "");
		return 1;
	}
	if (!ret) {
		slo_cli_msg("no scx_slo scheduler is running (the pins in %s were left by one that is gone, killed?; the next scx_slo removes them)",
			    SLO_PIN_DIR);
		return SLO_EXIT_NOT_RUNNING;
	}
	return 0;
}

/* How long a command waits while the loader rewrites a budget set. */
#define CLI_LOCK_MS	5000

/*
 * Open the pin directory and its maps, and lock the directory until exit:
 * the control word read here is written back by set and del, so the
 * loader must not publish a set in between.  0 or the exit status.
 */
static int open_maps(struct cli_maps *m)
{
	struct slo_pins pins;
	char err[256];
	int ret;

	m->maps.control_fd = m->maps.set_fd[0] = m->maps.set_fd[1] = -1;
	ret = slo_pins_open(&pins, err, sizeof(err));
	if (ret == -ENOENT) {
		slo_cli_msg("no scx_slo scheduler is running (%s)", err);
		return SLO_EXIT_NOT_RUNNING;
	}
	if (ret) {
		slo_cli_msg("%s", err);
		return ret == -EPERM ? 2 : 1;
	}
	ret = slo_lock_wait(pins.dir_fd, CLI_LOCK_MS);
	if (ret) {
		slo_cli_msg("cannot lock %s (the scheduler is busy applying its configuration?): %s",
			    SLO_PIN_DIR, strerror(-ret));
		slo_pins_close(&pins);
		return 1;
	}
	ret = open_map(&pins, SLO_CLI_MAP_CONTROL, &m->maps.control_fd);
	if (!ret)
		ret = open_map(&pins, SLO_CLI_MAP_BUDGETS_0, &m->maps.set_fd[0]);
	if (!ret)
		ret = open_map(&pins, SLO_CLI_MAP_BUDGETS_1, &m->maps.set_fd[1]);
	if (!ret)
		ret = check_attached(&pins);
	/* the lock stays with the fd, released when the command exits */
	close(pins.bpffs_fd);
	if (ret)
		return ret;
	if (slo_control_read(m->maps.control_fd, &m->ctl)) {
		slo_cli_msg("cannot read %s: %s", SLO_PIN_CONTROL, strerror(errno));
		return 1;
	}
	return 0;
}

static int active_fd(const struct cli_maps *m)
{
	return m->maps.set_fd[slo_cli_active_set(&m->ctl)];
}

static int resolve(const char *arg, char *path, size_t len, uint64_t *id)
{
	char mount[PATH_MAX];
	int err = slo_cli_normalize(arg, path, len);

	if (err)
		return err;
	err = slo_cgroup_mount(mount, sizeof(mount));
	if (err) {
		slo_cli_msg("no cgroup2 mount found: %s", strerror(-err));
		return 1;
	}
	err = slo_cgroup_id(mount, path, id);
	if (err) {
		slo_cli_msg("cgroup %s: %s", path, strerror(-err));
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
	slo_format_duration(slo_cli_default_budget(&m->ctl), budget, sizeof(budget));
	printf("default budget %s\n", budget);
	printf("%-60s %8s\n", "CGROUP", "BUDGET");
	while (!bpf_map_get_next_key(fd, have_key ? &key : NULL, &next)) {
		struct slo_budget val;
		const char *path = have_names ? slo_cgroup_table_path(&table, next) : NULL;

		key = next;
		have_key = true;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		slo_cli_print_row(stdout, path, key, &val);
	}
	if (have_names)
		slo_cgroup_table_free(&table);
	return 0;
}

/* @path and each of its ancestors, with their cgroup ids: what `get` names. */
struct lineage {
	char paths[SLO_CGROUP_WALK_MAX_DEPTH + 1][PATH_MAX];
	uint64_t ids[SLO_CGROUP_WALK_MAX_DEPTH + 1];
	size_t n;
};

static const char *lineage_path(void *ctx, uint64_t id)
{
	const struct lineage *l = ctx;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->ids[i] == id)
			return l->paths[i];
	return NULL;
}

static void lineage_fill(struct lineage *l, const char *mount, const char *path)
{
	char cur[PATH_MAX];

	snprintf(cur, sizeof(cur), "%s", path);
	l->n = 0;
	for (;;) {
		char *slash;

		if (l->n < sizeof(l->ids) / sizeof(l->ids[0]) &&
		    !slo_cgroup_id(mount, cur, &l->ids[l->n])) {
			snprintf(l->paths[l->n], sizeof(l->paths[0]), "%s", cur);
			l->n++;
		}
		if (!strcmp(cur, "/"))
			break;
		slash = strrchr(cur, '/');
		if (slash == cur)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

/*
 * The budget in force, by the rule --stats and /metrics use
 * (budget_resolve.h), and whose it is.
 */
static int cmd_get(struct cli_maps *m, const char *arg)
{
	char path[PATH_MAX], mount[PATH_MAX], budget[32];
	struct slo_set_entry *set;
	struct slo_resolver resolver;
	struct slo_resolved res;
	struct lineage *lineage;
	uint64_t id, set_default;
	size_t nr_set;
	int ret = resolve(arg, path, sizeof(path), &id);

	if (ret)
		return ret;
	if (slo_cgroup_mount(mount, sizeof(mount)))
		return 1;
	lineage = malloc(sizeof(*lineage));
	if (!lineage) {
		slo_cli_msg("out of memory");
		return 1;
	}
	lineage_fill(lineage, mount, path);
	ret = slo_budgets_read_active(&m->maps, &set, &nr_set, &set_default);
	if (ret) {
		slo_cli_msg("cannot read the budget set: %s", strerror(-ret));
		free(lineage);
		return 1;
	}
	if (slo_resolver_build(&resolver, NULL, NULL, set, nr_set,
			       set_default ? set_default : slo_cli_default_budget(&m->ctl),
			       lineage_path, lineage)) {
		slo_cli_msg("out of memory");
		free(set);
		free(lineage);
		return 1;
	}
	res = slo_resolver_lookup(&resolver, path);
	slo_format_duration(res.budget_ns, budget, sizeof(budget));
	if (!res.from)
		printf("%s: budget %s, the default (no SLO on it or above it)\n", path, budget);
	else if (strcmp(res.from, path))
		printf("%s: budget %s, inherited from %s\n", path, budget, res.from);
	else
		printf("%s: budget %s\n", path, budget);
	slo_resolver_free(&resolver);
	free(set);
	free(lineage);
	return 0;
}

static int bump(struct cli_maps *m)
{
	int err = slo_control_publish(m->maps.control_fd, m->ctl.active_set,
				      m->ctl.default_budget_ns);

	if (err) {
		slo_cli_msg("cannot publish the change: %s", strerror(-err));
		return 1;
	}
	return 0;
}

static int cmd_set(struct cli_maps *m, const char *arg, const char *dur)
{
	struct slo_budget val = {};
	char path[PATH_MAX];
	uint64_t id, budget_ns;
	int ret = slo_cli_parse_budget(dur, &budget_ns);

	if (ret)
		return ret;
	val.budget_ns = budget_ns;
	ret = resolve(arg, path, sizeof(path), &id);
	if (ret)
		return ret;
	if (bpf_map_update_elem(active_fd(m), &id, &val, BPF_ANY)) {
		slo_cli_msg("cannot set the budget of %s: %s", path, strerror(errno));
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
			slo_cli_msg("%s has no SLO of its own", path);
			return 2;
		}
		slo_cli_msg("cannot delete the budget of %s: %s", path, strerror(errno));
		return 1;
	}
	return bump(m);
}

int slo_cli_main(int argc, char **argv)
{
	struct slo_cli_args a;
	struct cli_maps m;
	int ret = slo_cli_parse_args(argc, argv, &a);

	if (ret || a.cmd == SLO_CLI_HELP)
		return ret;
	if (geteuid() != 0) {
		slo_cli_msg("must run as root: the budget maps are root-only");
		return 3;
	}
	ret = open_maps(&m);
	if (ret)
		return ret;
	switch (a.cmd) {
	case SLO_CLI_LIST:
		return cmd_list(&m);
	case SLO_CLI_GET:
		return cmd_get(&m, a.path);
	case SLO_CLI_SET:
		return cmd_set(&m, a.path, a.budget);
	default:
		return cmd_del(&m, a.path);
	}
}
