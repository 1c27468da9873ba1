/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_TEST_PROMTOOL_CHECK_H
#define __SLO_TEST_PROMTOOL_CHECK_H

/*
 * For cmocka tests: include after <cmocka.h>.  promtool (Debian's
 * prometheus package, installed by tests/setup.sh) must accept @text as
 * Prometheus text exposition, with no complaint at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void promtool_check_metrics(const char *text)
{
	char path[] = "/tmp/slo_promtool.XXXXXX", cmd[256], out[4096];
	size_t n;
	FILE *f, *p;
	int fd, st;

	if (system("command -v promtool >/dev/null 2>&1") != 0)
		fail_msg("promtool not found (apt-get install prometheus; tests/setup.sh does)");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	unlink(path);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || n)
		fail_msg("promtool check metrics failed (status %d):\n%s", st, out);
}

#endif /* __SLO_TEST_PROMTOOL_CHECK_H */
