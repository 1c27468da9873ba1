// SPDX-License-Identifier: GPL-2.0
/*
 * How long topology discovery takes: scx_slo does it once at start, before
 * the scheduler attaches, so it is start-up latency, not a hot path.  The
 * default input is the 256-CPU synthetic machine of the unit tests (2 sockets
 * x 64 cores x 2 threads); the target is under 50 ms per discovery.
 *
 *	topology_bench [-n RUNS] [-s SYNTHETIC | -x XML | -l]
 *
 * Each run is a full load + free, timed with CLOCK_MONOTONIC.  Not a test:
 * timings depend on the machine, so nothing here passes or fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "topology.h"

#define DEFAULT_SYNTHETIC	"pack:2 [numa] l3:1 core:64 pu:2(indexes=2*64:128*2:1*2)"
#define DEFAULT_RUNS		200
#define TARGET_MS		50.0

enum input { INPUT_SYNTHETIC, INPUT_XML, INPUT_LIVE };

static int load(enum input input, const char *arg, struct slo_topology **t,
		char *err, size_t errlen)
{
	switch (input) {
	case INPUT_XML:
		return slo_topology_load_xml(t, arg, err, errlen);
	case INPUT_LIVE:
		return slo_topology_load_live(t, err, errlen);
	case INPUT_SYNTHETIC:
		break;
	}
	return slo_topology_load_synthetic(t, arg, err, errlen);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: topology_bench [-n RUNS] [-s SYNTHETIC | -x XML | -l]\n"
		"default: -n %d -s \"%s\"\n", DEFAULT_RUNS, DEFAULT_SYNTHETIC);
}

int main(int argc, char **argv)
{
	enum input input = INPUT_SYNTHETIC;
	const char *arg = DEFAULT_SYNTHETIC;
	int runs = DEFAULT_RUNS, i, opt, ret;
	struct slo_topology *t;
	char err[512];
	double *ms, start, median;

	while ((opt = getopt(argc, argv, "n:s:x:lh")) != -1) {
		switch (opt) {
		case 'n':
			runs = atoi(optarg);
			break;
		case 's':
			input = INPUT_SYNTHETIC;
			arg = optarg;
			break;
		case 'x':
			input = INPUT_XML;
			arg = optarg;
			break;
		case 'l':
			input = INPUT_LIVE;
			arg = "live machine";
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || runs < 1) {
		usage(stderr);
		return 2;
	}

	ms = calloc(runs, sizeof(*ms));
	if (!ms) {
		fprintf(stderr, "topology_bench: out of memory\n");
		return 1;
	}

	/* One untimed run: page in hwloc and libnuma, and report bad input early. */
	ret = load(input, arg, &t, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "topology_bench: %s\n", err);
		free(ms);
		return 2;
	}
	printf("input: %s\n", arg);
	printf("model: %d online CPUs, %d LLC domains, %d nodes\n",
	       t->nr_online_cpus, t->nr_domains, t->nr_nodes);
	slo_topology_free(t);

	for (i = 0; i < runs; i++) {
		start = now_ms();
		ret = load(input, arg, &t, err, sizeof(err));
		ms[i] = now_ms() - start;
		if (ret) {
			fprintf(stderr, "topology_bench: run %d: %s\n", i, err);
			free(ms);
			return 1;
		}
		slo_topology_free(t);
	}

	qsort(ms, runs, sizeof(*ms), cmp_double);
	median = runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
	printf("discovery over %d runs: median %.3f ms, min %.3f ms, max %.3f ms (target < %.0f ms: %s)\n",
	       runs, median, ms[0], ms[runs - 1], TARGET_MS,
	       median < TARGET_MS ? "met" : "MISSED");
	free(ms);
	return 0;
}
