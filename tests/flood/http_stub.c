// SPDX-License-Identifier: GPL-2.0
/*
 * http_stub ADDR:PORT SCHED_EXT_DIR BODY_KB: the loader's HTTP server
 * (loader/http.c) on the host, with no scheduler: healthy, a fresh /metrics
 * body of BODY_KB KiB every second (a real one at 200 cgroups is about
 * that size), the main loop's heartbeat with it, as the loader does.
 * Prints "port N" once serving; runs until SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static char *body(unsigned long kb, unsigned long version, size_t *len)
{
	size_t cap = kb * 1024 + 128, n = 0;

	*len = 0;
	char *t = malloc(cap);

	if (!t)
		return NULL;
	n += (size_t)snprintf(t, cap, "# HELP stub_sample A filler sample.\n# TYPE stub_sample gauge\n");
	while (n + 64 < kb * 1024)
		n += (size_t)snprintf(t + n, cap - n, "stub_sample{i=\"%zu\"} %lu\n", n, version);
	*len = n;
	return t;
}

int main(int argc, char **argv)
{
	struct slo_http_opts opts = {};
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned long kb, v = 0;
	struct slo_http *h;
	char err[256];

	if (argc != 4) {
		fprintf(stderr, "usage: http_stub ADDR:PORT SCHED_EXT_DIR BODY_KB\n");
		return 2;
	}
	kb = strtoul(argv[3], NULL, 10);
	opts.sched_ext_dir = argv[2];
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	h = slo_http_start_opts(argv[1], &opts, err, sizeof(err));
	if (!h) {
		fprintf(stderr, "http_stub: %s\n", err);
		return 1;
	}
	slo_http_set_health(h, true, NULL);
	printf("port %u\n", slo_http_port(h));
	fflush(stdout);
	while (!stop) {
		size_t len = 0;
		char *t = body(kb, v++, &len);

		slo_http_set_metrics(h, t, len);
#ifndef STUB_OLD_API
		slo_http_heartbeat(h);
#endif
		sleep(1);
	}
	slo_http_stop(h);
	return 0;
}
