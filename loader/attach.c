// SPDX-License-Identifier: GPL-2.0
/*
 * Loading the BPF scheduler (sized for this machine, features for this
 * kernel), libbpf's log, the pins `scx_slo slo` uses, and cpu.max for
 * kernels that do not pass it to BPF.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "scx_slo.h"		/* before the skeleton: it uses the u64 types */
/* before options.h: the skeleton's "opts" parameters would shadow it */
#include "scx_slo.skel.h"

#include "attach.h"
#include "budgets.h"
#include "config_apply.h"
#include "cpu_limits_sync.h"
#include "duration.h"
#include "msg.h"
#include "options.h"
#include "pins.h"
#include "policy.h"
#include "probes.h"
#include "slo_cli.h"
#include "topo_maps.h"
#include "topology.h"

bool bw_from_kernel;

/*
 * libbpf's messages are noise unless something fails.  Keep them (bounded)
 * so a verifier rejection can show the end of the verifier's log, and echo
 * them live only with -v.
 */
static char *libbpf_log;
static size_t libbpf_log_len, libbpf_log_cap;

/*
 * libbpf hands over a failed program's whole verifier log in one call
 * ("%s"), often many pages, with the reason at its end: format it whole,
 * or the tail printed on a rejection is the log's first page.
 */
int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char stack_line[4096], *line = stack_line;
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(stack_line, sizeof(stack_line), fmt, ap);
	if (n >= 0 && (size_t)n >= sizeof(stack_line)) {
		line = malloc((size_t)n + 1);
		if (line) {
			vsnprintf(line, (size_t)n + 1, fmt, again);
		} else {
			line = stack_line;
			n = sizeof(stack_line) - 1;
		}
	}
	va_end(again);
	if (n < 0)
		return 0;
	if (opts.verbose)
		fputs(line, stderr);
	if (level == LIBBPF_DEBUG)
		goto out;
	if (libbpf_log_len + (size_t)n + 1 > libbpf_log_cap) {
		size_t cap = (libbpf_log_len + (size_t)n + 1) * 2;
		char *grown;

		if (cap > 64 << 20)	/* a verifier log can be huge: cap it */
			goto out;
		grown = realloc(libbpf_log, cap);
		if (!grown)
			goto out;
		libbpf_log = grown;
		libbpf_log_cap = cap;
	}
	memcpy(libbpf_log + libbpf_log_len, line, (size_t)n);
	libbpf_log_len += (size_t)n;
	libbpf_log[libbpf_log_len] = '\0';
out:
	if (line != stack_line)
		free(line);
	return n;
}

/* Print the last @lines lines of the verifier log libbpf relayed, if any. */
bool print_verifier_tail(int lines)
{
	const char *begin, *end, *p;
	int seen = 0;

	if (!libbpf_log)
		return false;
	begin = strstr(libbpf_log, "-- BEGIN PROG LOAD LOG --");
	if (!begin)
		return false;
	begin = strchr(begin, '\n');
	if (!begin)
		return false;
	begin++;
	end = strstr(begin, "-- END PROG LOAD LOG --");
	if (!end)
		end = libbpf_log + libbpf_log_len;
	for (p = end; p > begin; p--) {
		if (p[-1] == '\n' && p != end && ++seen > lines)
			break;
	}
	fprintf(stderr, "--- verifier log (last %d lines; -v for all) ---\n", lines);
	fwrite(p, 1, (size_t)(end - p), stderr);
	fprintf(stderr, "---\n");
	return true;
}

/*
 * Pin the budget maps for `scx_slo slo ...`, with the struct_ops map that
 * tells it whether their scheduler is the one attached (pins.h).  Failure
 * only costs runtime control, so it is a warning.
 */
static struct slo_pins pins = SLO_PINS_INIT;

static struct bpf_map *pin_map(struct scx_slo *skel, const char *name)
{
	if (!strcmp(name, SLO_PIN_OPS_NAME))
		return skel->maps.slo_ops;
	if (!strcmp(name, "budgets_0"))
		return skel->maps.slo_budgets_0;
	if (!strcmp(name, "budgets_1"))
		return skel->maps.slo_budgets_1;
	return skel->maps.slo_control;
}

void unpin_maps(void)
{
	if (pins.dir_fd < 0)
		return;
	/* a `scx_slo slo` command in flight finishes before the maps go */
	slo_lock_wait(pins.dir_fd, 2000);
	budgets.lock_fd = -1;
	slo_pins_remove(&pins);
}

void pin_maps(struct scx_slo *skel)
{
	char err[256];
	size_t i;
	int ret;

	ret = slo_pins_create(&pins, err, sizeof(err));
	if (ret) {
		msg("warning: %s: scx_slo slo ... unavailable", err);
		return;
	}
	for (i = 0; i < slo_nr_pin_names; i++) {
		ret = slo_pins_pin(&pins, bpf_map__fd(pin_map(skel, slo_pin_names[i])),
				   slo_pin_names[i]);
		if (ret) {
			msg("warning: cannot pin %s/%s (%s): scx_slo slo ... unavailable",
			    SLO_PIN_DIR, slo_pin_names[i], strerror(-ret));
			slo_pins_remove(&pins);
			return;
		}
	}
	budgets.lock_fd = pins.dir_fd;
}

int exit_kind(struct scx_slo *skel)
{
	return __atomic_load_n(&skel->bss->exit_info.kind, __ATOMIC_ACQUIRE);
}

/* ---- cpu.max from cgroupfs (kernels without ops.cgroup_set_bandwidth) ---- */

static int limits_update(void *ctx, uint64_t id, const struct slo_cgroup_limit *lim)
{
	struct scx_slo *skel = ctx;

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.slo_cgroup_limits), &id, lim, BPF_ANY))
		return -errno;
	return 0;
}

static int limits_remove(void *ctx, uint64_t id)
{
	struct scx_slo *skel = ctx;

	if (bpf_map_delete_elem(bpf_map__fd(skel->maps.slo_cgroup_limits), &id))
		return -errno;
	return 0;
}

__attribute__((format(printf, 2, 3)))
static void limits_log(void *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/*
 * One pass over cgroupfs (@full: every cgroup, else the limited ones), then
 * one bw_generation bump if the map changed, so that BPF re-resolves each
 * task's limited ancestors.  Walk errors are reported by cpu_limits_sync.c.
 */
void limits_pass(struct slo_limits *limits, struct scx_slo *skel, bool full)
{
	int changed = full ? slo_limits_sync(limits) : slo_limits_recheck(limits);

	if (changed > 0)
		__atomic_fetch_add(&skel->bss->bw_generation, 1, __ATOMIC_RELEASE);
}

const struct slo_limits_ops limits_ops = {
	.update = limits_update,
	.remove = limits_remove,
	.log = limits_log,
};

/*
 * -v: how long loading took and what the verifier walked for each program
 * (bpf_prog_info.verified_insns, 5.16+), the measure of a change's
 * verification cost that a loaded kernel gives without veristat.
 */
static void report_verified(struct bpf_object *obj, uint64_t load_ms)
{
	struct bpf_program *prog;
	uint64_t total = 0;

	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info = {};
		uint32_t len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0 || bpf_prog_get_info_by_fd(fd, &info, &len))
			continue;
		total += info.verified_insns;
		msg("verifier: %s: %u instructions verified", bpf_program__name(prog),
		    info.verified_insns);
	}
	msg("verifier: %llu instructions verified in all; loading took %llu ms",
	    (unsigned long long)total, (unsigned long long)load_ms);
}

int load_scheduler(bool use_peek, struct slo_topology **topop, struct scx_slo **skelp)
{
	struct slo_bpf_shape shape;
	const char *failed = NULL;
	uint64_t load_start;
	char errbuf[768];
	struct scx_slo *skel;
	int err;

	/* the topology is read afresh on every (re)start: hotplug restarts us */
	err = slo_topology_load_live(topop, errbuf, sizeof(errbuf));
	if (err < 0) {
		msg("%s", errbuf);
		return EXIT_FAILURE_OTHER;
	}

	skel = *skelp = scx_slo__open();
	if (!skel) {
		msg("cannot open the BPF object: %s", strerror(errno));
		return EXIT_FAILURE_OTHER;
	}
	err = slo_size_bpf(skel, *topop, opts.single_dsq, use_peek, &shape, &failed);
	if (err) {
		msg("cannot size map %s: %s", failed, strerror(-err));
		return EXIT_FAILURE_OTHER;
	}
	/* cgroup callbacks exist only with CONFIG_EXT_GROUP_SCHED */
	if (!slo_kernel_has_ops_member("cgroup_exit")) {
		/* no cpu.weight then either: every task counts as the root's */
		skel->struct_ops.slo_ops->cgroup_exit = NULL;
		skel->struct_ops.slo_ops->cgroup_init = NULL;
		skel->struct_ops.slo_ops->cgroup_set_weight = NULL;
		bpf_program__set_autoload(skel->progs.slo_cgroup_exit, false);
		bpf_program__set_autoload(skel->progs.slo_cgroup_init, false);
		bpf_program__set_autoload(skel->progs.slo_cgroup_set_weight, false);
	}
	/* cpu.max reaches BPF from the kernel on 6.17+, else from us */
	bw_from_kernel = slo_kernel_has_ops_member("cgroup_set_bandwidth");
	if (!bw_from_kernel) {
		skel->struct_ops.slo_ops->cgroup_set_bandwidth = NULL;
		bpf_program__set_autoload(skel->progs.slo_cgroup_set_bandwidth, false);
	}
	skel->rodata->bw_from_kernel = bw_from_kernel;
	skel->struct_ops.slo_ops->hotplug_seq = read_hotplug_seq();
	skel->rodata->slice_ns = opts.slice_ns;
	skel->rodata->max_slice_ns = opts.max_slice_ns;
	skel->rodata->default_budget_ns = opts.default_budget_ns;
	skel->rodata->lag_cap_ns = opts.slice_ns;
	/* well inside the watchdog, so a starving task is run, not reported */
	skel->rodata->starve_ns = opts.watchdog_ns / 4;
	skel->rodata->park_limit_ns = opts.watchdog_ns * 3 / 8;
	skel->rodata->debug_verifier_reject = opts.debug_verifier_reject;
	skel->struct_ops.slo_ops->timeout_ms =
		(uint32_t)(opts.watchdog_ns / SLO_NSEC_PER_MSEC);

	load_start = slo_mono_ns();
	err = scx_slo__load(skel);
	if (!err && opts.verbose)
		report_verified(skel->obj, (slo_mono_ns() - load_start) / 1000000);
	if (err) {
		if (print_verifier_tail(20)) {
			msg("the BPF verifier rejected the scheduler (%s)", strerror(-err));
			return EXIT_VERIFIER;
		}
		msg("cannot load the BPF scheduler: %s%s", strerror(-err),
		    opts.verbose ? "" : " (-v shows libbpf's log)");
		return EXIT_FAILURE_OTHER;
	}
	err = slo_fill_topology_maps(skel, *topop, &shape);
	if (err) {
		msg("cannot pass the topology to BPF: %s", strerror(-err));
		return EXIT_FAILURE_OTHER;
	}
	return EXIT_OK;
}

void libbpf_log_free(void)
{
	free(libbpf_log);
	libbpf_log = NULL;
}
