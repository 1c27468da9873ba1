// SPDX-License-Identifier: GPL-2.0
/*
 * The loader's HTTP server and shed controller (loader/http.c, shed.c)
 * without a scheduler, fed a scripted signal, so that real proxies can be
 * tested against the admission endpoints on a host without sched_ext:
 *
 *   shed_server ADDR:PORT
 *
 * Every 250 ms the controller gets one interval of samples: /hot misses
 * half its budgets on a saturated node (its probability climbs to the cap
 * within a second) and half its requests (bursts) wait past the budget
 * (its concurrency limit falls from Little's 3 to 1 within 2 s), /calm
 * misses none.  /lift is fed /hot's requests (bursts) alone.  SIGUSR1
 * stops the feed, so the signal turns stale 2 s later; SIGTERM or SIGINT
 * ends it.  The port bound is printed on stdout once /hot sheds at the
 * cap and /hot and /lift have a limit of 1.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "shed.h"

#define INTERVAL_S	0.25

static volatile sig_atomic_t exiting, frozen;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		frozen = 1;
	else
		exiting = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct slo_shed_sample smp[3] = {
		{ .path = "/hot", .budget_ns = 10000000 },
		{ .path = "/calm", .budget_ns = 10000000 },
		{ .path = "/lift", .budget_ns = 10000000 },
	};
	struct slo_shed_answer lift;
	struct slo_shed_params p;
	struct slo_shed *shed;
	struct slo_http *h;
	struct slo_shed_answer answer;
	bool told = false;
	char err[256];

	if (argc != 2 || !strcmp(argv[1], "--help")) {
		fprintf(stderr, "usage: shed_server ADDR:PORT\n");
		return 2;
	}
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	slo_shed_params_default(&p, 0.01, INTERVAL_S);
	shed = slo_shed_new(&p);
	h = shed ? slo_http_start(argv[1], err, sizeof(err)) : NULL;
	if (!h) {
		fprintf(stderr, "shed_server: %s\n", shed ? err : "out of memory");
		return 1;
	}
	slo_http_set_shed(h, shed);
	while (!exiting) {
		if (!frozen) {
			smp[0].runs += 1000;
			smp[0].misses += 500;
			smp[0].delay_hist[10] += 500;
			smp[0].delay_hist[16] += 500;
			/* 200 requests a second, 5 ms of CPU and 35 ms of waiting each */
			smp[0].bursts += 50;
			smp[0].late_bursts += 25;
			smp[0].burst_ns += 50 * 40000000ULL;
			smp[0].burst_wait_ns += 50 * 35000000ULL;
			smp[1].runs += 1000;
			smp[1].delay_hist[8] += 1000;
			smp[1].bursts += 100;
			smp[1].burst_ns += 100 * 5000000ULL;
			smp[2].runs += 1000;
			smp[2].delay_hist[8] += 1000;
			smp[2].bursts += 50;
			smp[2].late_bursts += 25;
			smp[2].burst_ns += 50 * 40000000ULL;
			smp[2].burst_wait_ns += 50 * 35000000ULL;
			slo_shed_update(shed, now_s(), smp, 3, 1.0);
			/*
			 * Ready once /hot sheds at its cap: the proxies' checks
			 * count 503s and must not race the climb to it.
			 */
			slo_shed_lookup(shed, "/hot", now_s(), &answer);
			slo_shed_lookup(shed, "/lift", now_s(), &lift);
			if (answer.probability >= 0.9 && answer.concurrency_limit == 1 &&
			    lift.concurrency_limit == 1 && !told) {
				printf("%u\n", slo_http_port(h));
				fflush(stdout);
				told = true;
			}
		}
		usleep((useconds_t)(INTERVAL_S * 1e6));
	}
	slo_http_stop(h);
	slo_shed_free(shed);
	return 0;
}
