// SPDX-License-Identifier: GPL-2.0
/*
 * The failure policy (loader/policy.c): every row of README.md's "Failure
 * policy" table, the backoff's arithmetic; the last known-good copy
 * (loader/last_good.c): it reads back as what was in force, hostile paths
 * included, is refused when it is not ours; the termination message
 * (loader/termination.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "last_good.h"
#include "policy.h"
#include "termination.h"

static void expect(enum slo_outcome out, int kind, int64_t code, bool stopping,
		   enum slo_action action, int exit_code)
{
	struct slo_decision d = slo_policy_decide(out, kind, code, stopping);

	print_message("  outcome %d kind %d (%s) code %#llx stopping %d: action %d exit %d: %s\n",
		      out, kind, slo_exit_kind_name(kind), (unsigned long long)code, stopping,
		      d.action, d.exit_code, d.why);
	assert_int_equal(d.action, action);
	if (action == SLO_ACT_EXIT)
		assert_int_equal(d.exit_code, exit_code);
	assert_non_null(d.why);
}

static void test_kernel_exits(void **state)
{
	const int64_t restart = (int64_t)SLO_ECODE_ACT_RESTART;

	/* we asked (SIGTERM): a clean 0 */
	expect(SLO_OUT_DETACHED, SLO_EXIT_KIND_UNREG, 0, true, SLO_ACT_EXIT, EXIT_OK);
	/* errors exit 7 whether or not we were stopping: the kubelet backs off */
	expect(SLO_OUT_DETACHED, SLO_EXIT_KIND_ERROR, 0, false, SLO_ACT_EXIT, EXIT_SCHED_ERROR);
	expect(SLO_OUT_DETACHED, SLO_EXIT_KIND_ERROR_BPF, 0, false, SLO_ACT_EXIT, EXIT_SCHED_ERROR);
	expect(SLO_OUT_DETACHED, SLO_EXIT_KIND_ERROR_STALL, 0, false, SLO_ACT_EXIT, EXIT_SCHED_ERROR);
	expect(SLO_OUT_DETACHED, SLO_EXIT_KIND_ERROR_STALL, 0, true, SLO_ACT_EXIT, EXIT_SCHED_ERROR);
	expect(SLO_OUT_DETACHED, 1027, 0, false, SLO_ACT_EXIT, EXIT_SCHED_ERROR);
	expect(SLO_OUT_DETACHED, 2000, 0, false, SLO_ACT_EXIT, EXIT_SCHED_ERROR);
	/* an error exit with the restart bit is still an error */
	expect(SLO_OUT_DETACHED, SLO_EXIT_KIND_ERROR, restart, false, SLO_ACT_EXIT, EXIT_SCHED_ERROR);
	/* the kernel asks for a restart (hotplug): at once, in-process */
	expect(SLO_OUT_DETACHED, SLO_EXIT_KIND_UNREG_BPF, restart, false, SLO_ACT_RESTART, 0);
	expect(SLO_OUT_DETACHED, SLO_EXIT_KIND_UNREG_KERN, restart | 1, false, SLO_ACT_RESTART, 0);
	/* ... but not while stopping */
	expect(SLO_OUT_DETACHED, SLO_EXIT_KIND_UNREG_KERN, restart, true, SLO_ACT_EXIT, EXIT_OK);
	/* unregistered without an error or a restart request: retry with backoff */
	expect(SLO_OUT_DETACHED, SLO_EXIT_KIND_UNREG_BPF, 0, false, SLO_ACT_RETRY, 0);
	expect(SLO_OUT_DETACHED, SLO_EXIT_KIND_UNREG_KERN, 0, false, SLO_ACT_RETRY, 0);
	expect(SLO_OUT_DETACHED, SLO_EXIT_KIND_PARENT, 0, false, SLO_ACT_RETRY, 0);
	expect(SLO_OUT_DETACHED, SLO_EXIT_KIND_PARENT_KILL, 0, false, SLO_ACT_RETRY, 0);
	expect(SLO_OUT_DETACHED, SLO_EXIT_KIND_UNREG, 0, false, SLO_ACT_RETRY, 0);
	expect(SLO_OUT_DETACHED, 70, 0, false, SLO_ACT_RETRY, 0);
	/* the operator's SysRq-S is respected: parked, not re-attached */
	expect(SLO_OUT_DETACHED, SLO_EXIT_KIND_SYSRQ, 0, false, SLO_ACT_PARK, 0);
	expect(SLO_OUT_DETACHED, SLO_EXIT_KIND_SYSRQ, 0, true, SLO_ACT_EXIT, EXIT_OK);
}

static void test_loader_errors(void **state)
{
	expect(SLO_OUT_SLOT_TAKEN, 0, 0, false, SLO_ACT_RETRY, 0);
	expect(SLO_OUT_SLOT_TAKEN, 0, 0, true, SLO_ACT_EXIT, EXIT_OK);
	expect(SLO_OUT_VERIFIER, 0, 0, false, SLO_ACT_EXIT, EXIT_VERIFIER);
	expect(SLO_OUT_LOAD_FAILED, 0, 0, false, SLO_ACT_EXIT, EXIT_FAILURE_OTHER);
	expect(SLO_OUT_NO_SCHED_EXT, 0, 0, false, SLO_ACT_EXIT, EXIT_NO_SCHED_EXT);
}

static void test_kind_names(void **state)
{
	assert_string_equal(slo_exit_kind_name(SLO_EXIT_KIND_UNREG), "UNREG");
	assert_string_equal(slo_exit_kind_name(SLO_EXIT_KIND_SYSRQ), "SYSRQ");
	assert_string_equal(slo_exit_kind_name(SLO_EXIT_KIND_ERROR_STALL), "ERROR_STALL");
	assert_string_equal(slo_exit_kind_name(1500), "ERROR_OTHER");
	assert_string_equal(slo_exit_kind_name(99), "OTHER");
}

static void test_backoff(void **state)
{
	unsigned int n;

	/* the floor (rnd 0) and the ceiling (rnd at the top) of each attempt */
	assert_int_equal(slo_backoff_ms(0, 0), 500);
	assert_int_equal(slo_backoff_ms(0, 500), 1000);
	assert_int_equal(slo_backoff_ms(0, 501), 500);	/* rnd wraps within the half */
	assert_int_equal(slo_backoff_ms(1, 0), 1000);
	assert_int_equal(slo_backoff_ms(2, 0), 2000);
	assert_int_equal(slo_backoff_ms(4, 8000), 16000);
	/* capped at 30 s from attempt 5 on (32 s), and never overflows */
	assert_int_equal(slo_backoff_ms(5, 0), 15000);
	assert_int_equal(slo_backoff_ms(5, 15000), 30000);
	for (n = 5; n < 100; n++) {
		uint32_t lo = slo_backoff_ms(n, 0), hi = slo_backoff_ms(n, 15000);

		assert_int_equal(lo, SLO_BACKOFF_CAP_MS / 2);
		assert_int_equal(hi, SLO_BACKOFF_CAP_MS);
		assert_true(slo_backoff_ms(n, UINT32_MAX) <= SLO_BACKOFF_CAP_MS);
	}
	/* every value lies in [half, full] */
	for (n = 0; n < 8; n++) {
		uint32_t r;

		for (r = 0; r < 100000; r += 977) {
			uint32_t full = (SLO_BACKOFF_BASE_MS << n) < SLO_BACKOFF_CAP_MS ?
				SLO_BACKOFF_BASE_MS << n : SLO_BACKOFF_CAP_MS;
			uint32_t v = slo_backoff_ms(n, r * 2654435761u);

			assert_true(v >= full / 2 && v <= full);
		}
	}
}

static char tmp[] = "/tmp/test_policy.XXXXXX";

static void roundtrip(const char *yaml)
{
	struct slo_config in, back;
	char err[512], path[512];
	int64_t at = 0;

	assert_int_equal(slo_config_parse(yaml, strlen(yaml), "in.yaml", &in, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/last-good.yaml", tmp);
	assert_int_equal(slo_last_good_save(path, &in, "/etc/scx-slo/slo.yaml", err, sizeof(err)), 0);
	assert_int_equal(slo_last_good_load(path, &back, &at, err, sizeof(err)), 0);
	assert_true(slo_config_same(&in, &back));
	assert_true(at > 0);
	slo_config_free(&in);
	slo_config_free(&back);
}

static void test_last_good_roundtrip(void **state)
{
	char *big;
	size_t i, off = 0;

	roundtrip("default_budget: 100ms\nslos:\n  - cgroup: /kubepods.slice\n    budget: 5ms\n"
		  "  - cgroup: /system.slice/getty@tty1.service\n    budget: 1.5ms\n");
	roundtrip("slos:\n  - cgroup: \"/we ird/a: b/#c/\\\"q\\\"/back\\\\slash/é\"\n    budget: 250us\n");
	roundtrip("slos:\n  - cgroup: /a:b\n    budget: 10s\n  - cgroup: /\n    budget: 50us\n");
	roundtrip("default_budget: 7ms\n");
	/* the largest file: 4096 entries; and a path as long as a line allows */
	big = malloc(1 << 20);
	assert_non_null(big);
	off += (size_t)sprintf(big + off, "slos:\n");
	for (i = 0; i < 4096; i++)
		off += (size_t)sprintf(big + off, "- cgroup: /pods/p%zu\n  budget: %zuus\n", i, 50 + i);
	big[off] = '\0';
	roundtrip(big);
	off = (size_t)sprintf(big, "slos:\n- cgroup: /");
	memset(big + off, 'x', 4084);
	off += 4084;
	off += (size_t)sprintf(big + off, "\n  budget: 5ms\n");
	roundtrip(big);
	free(big);
}

static void test_last_good_refused(void **state)
{
	struct slo_config cfg;
	char err[512], path[512], link[512];
	int64_t at;
	int fd;

	/* no copy */
	snprintf(path, sizeof(path), "%s/none.yaml", tmp);
	assert_int_equal(slo_last_good_load(path, &cfg, &at, err, sizeof(err)), -1);
	/* writable by others: not a copy scx_slo made */
	snprintf(path, sizeof(path), "%s/open.yaml", tmp);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "default_budget: 5ms\n", 20), 20);
	fchmod(fd, 0666);
	close(fd);
	assert_int_equal(slo_last_good_load(path, &cfg, &at, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a copy scx_slo saved"));
	/* a symlink is not followed */
	chmod(path, 0600);
	snprintf(link, sizeof(link), "%s/link.yaml", tmp);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(slo_last_good_load(link, &cfg, &at, err, sizeof(err)), -1);
	assert_int_equal(slo_last_good_load(path, &cfg, &at, err, sizeof(err)), 0);
	slo_config_free(&cfg);
	/* a bad copy is a parse error like any file's */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "slos: 3\n", 8), 8);
	close(fd);
	assert_int_equal(slo_last_good_load(path, &cfg, &at, err, sizeof(err)), -1);
	/* saving into a directory that is a symlink: refused */
	snprintf(link, sizeof(link), "%s/dirlink", tmp);
	assert_int_equal(symlink(tmp, link), 0);
	snprintf(path, sizeof(path), "%s/dirlink/x.yaml", tmp);
	cfg = (struct slo_config){ .default_budget_ns = 5000000 };
	assert_int_equal(slo_last_good_save(path, &cfg, "src", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot save"));
}

static void test_termination(void **state)
{
	char path[512], buf[8192], *big;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/term", tmp);
	/* the default path is only written where the kubelet made it */
	assert_int_equal(slo_termination_write(path, false, "x\n"), -ENOENT);
	assert_int_equal(slo_termination_write(path, true, "first, longer\n"), 0);
	assert_int_equal(slo_termination_write(path, false, "second\n"), 0);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, 7);
	assert_memory_equal(buf, "second\n", 7);
	/* cut at what the kubelet keeps */
	big = malloc(10000);
	memset(big, 'a', 9999);
	big[9999] = '\0';
	assert_int_equal(slo_termination_write(path, false, big), 0);
	free(big);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, SLO_TERMINATION_MAX);
}

static int setup(void **state)
{
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_exits),
		cmocka_unit_test(test_loader_errors),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_last_good_roundtrip),
		cmocka_unit_test(test_last_good_refused),
		cmocka_unit_test(test_termination),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
