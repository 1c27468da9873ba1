// SPDX-License-Identifier: GPL-2.0
/*
 * Prints the metric families the loader's /metrics renderer emits, one
 * "NAME TYPE" a line, from slo_metrics_render() itself: the list the
 * dashboard's and the alert rules' queries are checked against
 * (tests/deploy/monitoring-test.sh), so that renaming a metric in the
 * loader fails that test.  Every family is written with its # TYPE line
 * even when it has no series, so an empty snapshot lists them all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

int main(void)
{
	struct slo_metrics_snapshot snap = { 0 };
	char *text, *line, *save;
	size_t len;
	int err;

	err = slo_metrics_render(&snap, 200, &text, &len);
	if (err) {
		fprintf(stderr, "metric_families: slo_metrics_render: %s\n", strerror(-err));
		return 1;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "# TYPE ", 7))
			puts(line + 7);
	free(text);
	return 0;
}
