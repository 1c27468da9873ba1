// SPDX-License-Identifier: GPL-2.0
/*
 * The heartbeat file and `scx_slo health` (loader/health.c), against a fake
 * /sys/kernel/sched_ext in a temporary directory: healthy, each way of being
 * unhealthy (no sched_ext, another scheduler, no loader, a dead loader, a
 * stalled one), a second loader refused, and what the loader does with a
 * directory or file it did not make (symlinks, other owners, hard links).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "health.h"

#define SEC	1000000000ULL

static char tmp[] = "/tmp/test_health.XXXXXX";
static char sysdir[256], hbdir[256], hbpath[512];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void set_sched_ext(const char *state, const char *ops)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/state", sysdir);
	write_file(p, state);
	snprintf(p, sizeof(p), "%s/root/ops", sysdir);
	if (ops)
		write_file(p, ops);
	else
		unlink(p);
}

static int check(uint64_t max_age, char *out, size_t len)
{
	int ret = slo_health_check(sysdir, hbpath, max_age, out, len);

	print_message("  health: %d: %s\n", ret, out);
	assert_null(strchr(out, '\n'));
	return ret;
}

static void test_healthy(void **state)
{
	struct slo_heartbeat hb;
	char err[512], out[1024];
	struct stat st;

	set_sched_ext("enabled\n", "slo\n");
	assert_int_equal(slo_heartbeat_open(&hb, hbpath, err, sizeof(err)), 0);
	assert_int_equal(stat(hbdir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(hbpath, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(check(10 * SEC, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "ok: sched_ext runs 'slo'; scx_slo (pid "));

	/* closed: the file goes, and the probe says nothing runs */
	slo_heartbeat_close(&hb);
	assert_int_equal(check(10 * SEC, out, sizeof(out)), SLO_EXIT_UNHEALTHY);
	assert_non_null(strstr(out, "no heartbeat at"));
	slo_heartbeat_close(&hb);	/* twice is harmless */
}

static void test_sched_ext_states(void **state)
{
	struct slo_heartbeat hb;
	char err[512], out[1024], p[512];

	assert_int_equal(slo_heartbeat_open(&hb, hbpath, err, sizeof(err)), 0);

	set_sched_ext("disabled\n", NULL);
	assert_int_equal(check(10 * SEC, out, sizeof(out)), SLO_EXIT_UNHEALTHY);
	assert_string_equal(out, "sched_ext state is 'disabled', not 'enabled'; "
			    "no sched_ext scheduler is attached");

	set_sched_ext("enabled\n", "rusty\n");
	assert_int_equal(check(10 * SEC, out, sizeof(out)), SLO_EXIT_UNHEALTHY);
	assert_string_equal(out, "the attached sched_ext scheduler is 'rusty', not 'slo'");

	snprintf(p, sizeof(p), "%s/state", sysdir);
	unlink(p);
	assert_int_equal(check(10 * SEC, out, sizeof(out)), SLO_EXIT_UNHEALTHY);
	assert_non_null(strstr(out, "this kernel has no sched_ext"));

	set_sched_ext("enabled\n", "slo\n");
	assert_int_equal(check(10 * SEC, out, sizeof(out)), 0);
	slo_heartbeat_close(&hb);
}

static void test_stalled(void **state)
{
	struct slo_heartbeat hb;
	char err[512], out[1024];

	set_sched_ext("enabled\n", "slo\n");
	assert_int_equal(slo_heartbeat_open(&hb, hbpath, err, sizeof(err)), 0);
	usleep(1300 * 1000);
	assert_int_equal(check(1 * SEC, out, sizeof(out)), SLO_EXIT_UNHEALTHY);
	assert_non_null(strstr(out, "has not completed a pass of its main loop for 1."));
	assert_non_null(strstr(out, "(limit 1s)"));
	/* a second has passed: the beat is written, and healthy again */
	slo_heartbeat_beat(&hb);
	assert_int_equal(check(1 * SEC, out, sizeof(out)), 0);
	/* within the second, no write (the file keeps the last one) */
	slo_heartbeat_beat(&hb);
	assert_int_equal(check(1 * SEC, out, sizeof(out)), 0);
	slo_heartbeat_close(&hb);
}

/*
 * A loader waiting on purpose (the slot taken, or parked after SysRq-S)
 * is alive: the probe passes on a fresh heartbeat alone and says why it
 * is not attached; a stale one still fails; back to running, sched_ext
 * counts again.
 */
static void test_waiting(void **state)
{
	struct slo_heartbeat hb;
	char err[512], out[1024];

	set_sched_ext("enabled\n", "simple\n");
	assert_int_equal(slo_heartbeat_open(&hb, hbpath, err, sizeof(err)), 0);
	assert_int_equal(check(10 * SEC, out, sizeof(out)), SLO_EXIT_UNHEALTHY);

	slo_heartbeat_set_waiting(&hb, true);
	assert_int_equal(check(10 * SEC, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "is alive and waiting to attach"));
	assert_non_null(strstr(out, "the attached sched_ext scheduler is 'simple', not 'slo'"));

	usleep(1300 * 1000);
	assert_int_equal(check(1 * SEC, out, sizeof(out)), SLO_EXIT_UNHEALTHY);
	assert_non_null(strstr(out, "has not completed a pass of its main loop"));

	slo_heartbeat_set_waiting(&hb, false);
	assert_int_equal(check(10 * SEC, out, sizeof(out)), SLO_EXIT_UNHEALTHY);
	set_sched_ext("enabled\n", "slo\n");
	assert_int_equal(check(10 * SEC, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "ok: sched_ext runs 'slo'"));
	slo_heartbeat_close(&hb);
}

static void test_dead_loader(void **state)
{
	char err[512], out[1024];
	int status;
	pid_t pid;

	set_sched_ext("enabled\n", "slo\n");
	/* a loader killed with SIGKILL: its file stays, its lock goes */
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct slo_heartbeat hb;

		_exit(slo_heartbeat_open(&hb, hbpath, err, sizeof(err)) ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(access(hbpath, F_OK), 0);
	assert_int_equal(check(10 * SEC, out, sizeof(out)), SLO_EXIT_UNHEALTHY);
	assert_non_null(strstr(out, "scx_slo is not running (no process holds"));
	unlink(hbpath);
}

static void test_second_loader(void **state)
{
	struct slo_heartbeat a, b;
	char err[512], want[64];

	assert_int_equal(slo_heartbeat_open(&a, hbpath, err, sizeof(err)), 0);
	err[0] = '\0';
	assert_int_equal(slo_heartbeat_open(&b, hbpath, err, sizeof(err)), -EBUSY);
	print_message("  second loader: %s\n", err);
	snprintf(want, sizeof(want), "another scx_slo (pid %d) holds", (int)getpid());
	assert_non_null(strstr(err, want));
	/* the first one's file is untouched */
	slo_heartbeat_beat(&a);
	assert_int_equal(access(hbpath, F_OK), 0);
	slo_heartbeat_close(&b);	/* never opened: harmless */
	slo_heartbeat_close(&a);
}

static void test_not_a_heartbeat(void **state)
{
	char out[1024];
	int fd;

	set_sched_ext("enabled\n", "slo\n");
	write_file(hbpath, "garbage\n");
	fd = open(hbpath, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(check(10 * SEC, out, sizeof(out)), SLO_EXIT_UNHEALTHY);
	assert_non_null(strstr(out, "is not a scx_slo heartbeat"));
	close(fd);
	unlink(hbpath);
}

/* Files and directories the loader did not make are never written through. */
static void test_planted(void **state)
{
	struct slo_heartbeat hb;
	char err[512], target[512], link2[256], buf[64];
	struct stat st;
	FILE *f;

	/* a symlink in place of the file: replaced, its target untouched */
	snprintf(target, sizeof(target), "%s/target", tmp);
	write_file(target, "precious\n");
	assert_int_equal(symlink(target, hbpath), 0);
	assert_int_equal(slo_heartbeat_open(&hb, hbpath, err, sizeof(err)), 0);
	assert_int_equal(lstat(hbpath, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	f = fopen(target, "r");
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "precious\n");
	slo_heartbeat_close(&hb);

	/* a hard link to another file: replaced, the other file untouched */
	assert_int_equal(link(target, hbpath), 0);
	assert_int_equal(slo_heartbeat_open(&hb, hbpath, err, sizeof(err)), 0);
	f = fopen(target, "r");
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "precious\n");
	slo_heartbeat_close(&hb);

	/* a world-writable directory (a Kubernetes emptyDir) is made 0700 */
	assert_int_equal(chmod(hbdir, 0777), 0);
	assert_int_equal(slo_heartbeat_open(&hb, hbpath, err, sizeof(err)), 0);
	assert_int_equal(stat(hbdir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	slo_heartbeat_close(&hb);

	/* the directory as a symlink: refused */
	snprintf(link2, sizeof(link2), "%s/hb-link", tmp);
	assert_int_equal(symlink(hbdir, link2), 0);
	snprintf(target, sizeof(target), "%s/heartbeat", link2);
	assert_true(slo_heartbeat_open(&hb, target, err, sizeof(err)) < 0);
	print_message("  symlinked directory: %s\n", err);
	assert_non_null(strstr(err, "a symlink?"));
	unlink(link2);

	/* a directory someone else owns: refused (needs root to set up) */
	if (geteuid() == 0) {
		assert_int_equal(chown(hbdir, 65534, 65534), 0);
		assert_int_equal(slo_heartbeat_open(&hb, hbpath, err, sizeof(err)), -EPERM);
		print_message("  foreign directory: %s\n", err);
		assert_non_null(strstr(err, "is owned by uid 65534"));
		assert_int_equal(chown(hbdir, 0, 0), 0);
	}

	/* not a file path */
	assert_int_equal(slo_heartbeat_open(&hb, "/tmp/", err, sizeof(err)), -EINVAL);
}

static void test_cli_usage(void **state)
{
	char *bad_age[] = { "health", "--max-age", "10", NULL };
	char *small_age[] = { "health", "--max-age", "100ms", NULL };
	char *stray[] = { "health", "now", NULL };
	char *unknown[] = { "health", "--nope", NULL };
	char *missing[] = { "health", "--heartbeat", NULL };

	assert_int_equal(slo_health_main(3, bad_age), 2);
	assert_int_equal(slo_health_main(3, small_age), 2);
	assert_int_equal(slo_health_main(2, stray), 2);
	assert_int_equal(slo_health_main(2, unknown), 2);
	assert_int_equal(slo_health_main(2, missing), 2);
}

static int setup(void **state)
{
	char p[512];

	if (!mkdtemp(tmp))
		return -1;
	snprintf(sysdir, sizeof(sysdir), "%s/sched_ext", tmp);
	snprintf(hbdir, sizeof(hbdir), "%s/run", tmp);
	snprintf(hbpath, sizeof(hbpath), "%s/heartbeat", hbdir);
	snprintf(p, sizeof(p), "%s/root", sysdir);
	if (mkdir(sysdir, 0755) || mkdir(p, 0755))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy),
		cmocka_unit_test(test_sched_ext_states),
		cmocka_unit_test(test_stalled),
		cmocka_unit_test(test_waiting),
		cmocka_unit_test(test_dead_loader),
		cmocka_unit_test(test_second_loader),
		cmocka_unit_test(test_not_a_heartbeat),
		cmocka_unit_test(test_planted),
		cmocka_unit_test(test_cli_usage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
