// SPDX-License-Identifier: GPL-2.0
/*
 * slo_probe: a request-latency probe in the manner of schbench, the
 * project's own latency workload for bench/run.sh (issue 7).
 *
 * Message threads hand requests to worker threads and wake them with a
 * futex.  Each request records two latencies, both starting at the wake
 * instant (a CLOCK_MONOTONIC timestamp the message thread takes just before
 * the futex wake):
 *
 *   wakeup  - until the worker runs: its first timestamp after the futex
 *             wait returns;
 *   request - until the worker has finished --work-us of CPU work.
 *
 * The work is a spin loop calibrated at start-up against
 * CLOCK_THREAD_CPUTIME_ID, so "1000 us" is a millisecond of CPU on whatever
 * machine runs the probe (the test VM is ~65x slower than its host).
 *
 * With --rate 0 a message thread wakes a worker as soon as one is idle (and
 * sleeps on its own futex until one is); with --rate N the message threads
 * together post N requests a second and a tick that finds every worker busy
 * is counted as skipped.  Every thread keeps its own histograms
 * (probe_stats.h), merged after all threads are joined.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "probe_stats.h"

#ifndef SLO_PROBE_VERSION
#define SLO_PROBE_VERSION "0.1.0"
#endif

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

#define NSEC_PER_USEC	1000ULL
#define NSEC_PER_MSEC	1000000ULL
#define NSEC_PER_SEC	1000000000ULL

#define MAX_MESSAGE_THREADS	256
#define MAX_WORKERS		1024	/* in total: each keeps ~116 KiB of histograms */
#define MAX_RATE		1000000ULL
#define MAX_WORK_US		10000000ULL	/* 10 s */
#define MAX_DURATION_S		86400.0
#define MAX_MIN_SAMPLES		1000000000ULL
#define MAX_BUDGET_US		(86400ULL * 1000000ULL)
#define POLL_NS			(50 * NSEC_PER_MSEC)

/* Calibration: grow a chunk to >= CAL_CHUNK_NS of CPU, then time it CAL_RUNS times. */
#define CAL_CHUNK_NS		(2 * NSEC_PER_MSEC)
#define CAL_RUNS		25

/* worker state: the worker's futex word */
enum {
	W_IDLE = 0,	/* waiting for a request */
	W_POSTED,	/* a message thread posted one; wake_ns is valid */
	W_STOP,		/* exit */
};

struct msg_thread;

struct worker {
	_Atomic uint32_t state;
	uint64_t wake_ns;		/* written before state becomes W_POSTED */
	_Atomic uint64_t samples;	/* measured requests, read by main */
	uint64_t wakeup_over, request_over;	/* measured, past --budget-us */
	struct msg_thread *msg;
	struct probe_hist *wakeup;
	struct probe_hist *request;
	pthread_t tid;
	bool started;
} __attribute__((aligned(64)));

struct msg_thread {
	_Atomic uint32_t seq;		/* futex word: bumped on completions, stop */
	_Atomic uint32_t waiting;	/* the message thread sleeps on seq */
	struct worker *workers;
	unsigned int nr_workers;
	unsigned int next;		/* round-robin start of the idle scan */
	uint64_t period_ns;		/* 0: as fast as workers free up */
	uint64_t posted;
	uint64_t skipped;		/* ticks that found every worker busy */
	pthread_t tid;
	bool started;
} __attribute__((aligned(64)));

static struct {
	unsigned int message_threads;
	unsigned int workers;		/* per message thread */
	uint64_t rate;			/* requests/s over all message threads */
	double duration_s;
	double warmup_s;
	uint64_t min_samples;
	uint64_t work_us;
	uint64_t budget_ns;		/* 0: no --budget-us */
	int fifo_prio;			/* 0: SCHED_OTHER workers */
	double iters_per_us;		/* 0: calibrate */
	bool json;
} opts = {
	.message_threads = 1,
	.workers = 2,
	.duration_s = 10.0,
	.warmup_s = 1.0,
	.work_us = 1000,
};

static atomic_int stop;
static volatile sig_atomic_t got_signal;
static uint64_t measure_start_ns;	/* samples woken earlier are warm-up */
static uint64_t work_iters;		/* spin iterations per request */

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg(const char *fmt, ...)
{
	va_list ap;

	fputs("slo_probe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static struct timespec ns_to_ts(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / NSEC_PER_SEC),
		.tv_nsec = (long)(ns % NSEC_PER_SEC),
	};
	return ts;
}

/* ---- futexes ---- */

/* Sleep while *addr == val; absolute CLOCK_MONOTONIC deadline, 0 for none. */
static void futex_wait(_Atomic uint32_t *addr, uint32_t val, uint64_t deadline_ns)
{
	struct timespec ts;

	if (deadline_ns) {
		ts = ns_to_ts(deadline_ns);
		syscall(SYS_futex, addr, FUTEX_WAIT_BITSET_PRIVATE, val, &ts, NULL,
			FUTEX_BITSET_MATCH_ANY);
	} else {
		syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
	}
	/* EAGAIN, EINTR and ETIMEDOUT all mean: look again */
}

static void futex_wake(_Atomic uint32_t *addr, int nr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, nr, NULL, NULL, 0);
}

/* ---- the work ---- */

/*
 * A dependent xorshift chain the compiler can neither drop (the empty asm is
 * volatile and claims to change x) nor vectorise.
 */
static void spin(uint64_t iters, uint64_t x)
{
	uint64_t i;

	x |= 1;
	for (i = 0; i < iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		__asm__ volatile("" : "+r"(x));
	}
}

static uint64_t timed_spin(uint64_t iters)
{
	uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);

	spin(iters, t0);
	return clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* What calibrate() measured, for the JSON output. */
static struct {
	bool done;
	double min, median, max;	/* iterations per microsecond over CAL_RUNS */
	double wall_ms;
} cal;

/*
 * Iterations of spin() per microsecond of this thread's CPU time.  A chunk
 * grows until it takes CAL_CHUNK_NS of CPU, then is timed CAL_RUNS times and
 * the second-fastest rate kept (one odd reading cannot set it): about 60 ms
 * of CPU in all, on the host or in the VM.
 *
 * Thread CPU time leaves out the time the thread waits preempted inside its
 * machine, but not the time a VM's vCPU waits for a busy host's CPU (TCG has
 * no steal-time accounting): in the test VM on a loaded host, chunks of the
 * same loop measured from 30 to 370 iterations/us.  Waiting only ever makes a
 * chunk look slower, so short chunks and the fastest of them come nearest the
 * machine's real speed.
 */
static double calibrate(void)
{
	double rates[CAL_RUNS];
	uint64_t iters = 1024, t, t0 = now_ns();
	int i;

	for (;;) {
		t = timed_spin(iters);
		if (t >= CAL_CHUNK_NS || iters >= (1ULL << 40))
			break;
		/* aim 25% past the target, growing at most 64x per step */
		if (t == 0 || t * 64 < CAL_CHUNK_NS)
			iters *= 64;
		else
			iters = (uint64_t)((double)iters * 1.25 * (double)CAL_CHUNK_NS / (double)t) + 1;
	}
	for (i = 0; i < CAL_RUNS; i++) {
		t = timed_spin(iters);
		rates[i] = (double)iters * (double)NSEC_PER_USEC / (double)(t ? t : 1);
	}
	qsort(rates, CAL_RUNS, sizeof(rates[0]), cmp_double);
	cal.done = true;
	cal.min = rates[0];
	cal.median = rates[CAL_RUNS / 2];
	cal.max = rates[CAL_RUNS - 1];
	cal.wall_ms = (double)(now_ns() - t0) / 1e6;
	return rates[CAL_RUNS - 2];
}

/* ---- threads ---- */

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct msg_thread *m = w->msg;
	uint64_t wake, run, end;
	uint32_t s;

	for (;;) {
		s = atomic_load_explicit(&w->state, memory_order_acquire);
		while (s == W_IDLE) {
			futex_wait(&w->state, W_IDLE, 0);
			s = atomic_load_explicit(&w->state, memory_order_acquire);
		}
		run = now_ns();
		if (s != W_POSTED)
			break;
		wake = w->wake_ns;
		if (work_iters)
			spin(work_iters, run);
		end = now_ns();
		if (wake >= measure_start_ns) {
			probe_hist_add(w->wakeup, run > wake ? run - wake : 0);
			probe_hist_add(w->request, end > wake ? end - wake : 0);
			/*
			 * Counted exactly here: the histogram's bucket that
			 * holds the budget also holds values on both sides.
			 */
			if (opts.budget_ns) {
				w->wakeup_over += run > wake && run - wake > opts.budget_ns;
				w->request_over += end > wake && end - wake > opts.budget_ns;
			}
			atomic_store_explicit(&w->samples, w->request->count,
					      memory_order_relaxed);
		}
		s = W_POSTED;
		if (!atomic_compare_exchange_strong(&w->state, &s, W_IDLE))
			break;	/* W_STOP */
		if (!m->period_ns) {
			/* tell a message thread waiting for an idle worker */
			atomic_fetch_add(&m->seq, 1);
			if (atomic_load(&m->waiting))
				futex_wake(&m->seq, 1);
		}
	}
	return NULL;
}

static struct worker *find_idle(struct msg_thread *m)
{
	unsigned int i, k;

	for (i = 0; i < m->nr_workers; i++) {
		k = (m->next + i) % m->nr_workers;
		if (atomic_load_explicit(&m->workers[k].state, memory_order_acquire) == W_IDLE) {
			m->next = (k + 1) % m->nr_workers;
			return &m->workers[k];
		}
	}
	return NULL;
}

static void post(struct msg_thread *m, struct worker *w)
{
	/* the wake instant: just before the futex wake */
	w->wake_ns = now_ns();
	atomic_store_explicit(&w->state, W_POSTED, memory_order_release);
	futex_wake(&w->state, 1);
	m->posted++;
}

static void *msg_main(void *arg)
{
	struct msg_thread *m = arg;
	uint64_t next = now_ns(), now;
	struct worker *w;
	uint32_t seq;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		seq = atomic_load(&m->seq);
		if (m->period_ns) {
			/* fixed rate: one request per tick, skipped if all are busy */
			now = now_ns();
			if (now < next) {
				futex_wait(&m->seq, seq, next);
				continue;
			}
			w = find_idle(m);
			if (w)
				post(m, w);
			else
				m->skipped++;
			next += m->period_ns;
			if (next < now)		/* fell behind: no burst to catch up */
				next = now;
			continue;
		}
		/* as fast as possible: sleep until a worker is idle */
		w = find_idle(m);
		if (w) {
			post(m, w);
			continue;
		}
		atomic_store(&m->waiting, 1);
		if (atomic_load(&m->seq) == seq && !atomic_load(&stop))
			futex_wait(&m->seq, seq, 0);
		atomic_store(&m->waiting, 0);
	}
	return NULL;
}

/* ---- options ---- */

static void usage(FILE *out)
{
	fprintf(out,
"Usage: slo_probe [OPTIONS]\n"
"\n"
"A schbench-like request-latency probe.  Message threads wake worker threads\n"
"with a futex; each request records its wakeup latency (wake to the worker\n"
"running) and its request latency (wake to the end of --work-us of CPU work),\n"
"and the probe prints p50/p90/p99/p99.9/max/mean of both, in microseconds.\n"
"\n"
"Options:\n"
"  -m, --message-threads N  message threads (1)\n"
"  -w, --workers N          worker threads per message thread (2)\n"
"  -r, --rate N             requests per second over all message threads;\n"
"                           0 = as fast as possible: wake a worker as soon as\n"
"                           one is idle (0).  At a fixed rate a tick that\n"
"                           finds every worker busy is counted as skipped\n"
"  -d, --duration SECONDS   measure for SECONDS after the warm-up (10)\n"
"  -s, --min-samples N      keep measuring past --duration, up to 3x, until\n"
"                           N requests are recorded (0)\n"
"      --warmup SECONDS     discard requests woken in the first SECONDS (1)\n"
"      --work-us US         CPU work per request in microseconds; 0 gives a\n"
"                           wakeup-only probe (1000)\n"
"      --calibration N      spin-loop iterations per microsecond of CPU, as\n"
"                           printed by an earlier run, instead of calibrating\n"
"                           (keeps the work identical across runs)\n"
"      --fifo PRIO          run the workers SCHED_FIFO at PRIO (1-99): the\n"
"                           floor any fair-class scheduler can reach; needs\n"
"                           root or CAP_SYS_NICE\n"
"      --budget-us US       also count the requests whose latencies exceed US\n"
"                           microseconds: a latency budget's misses\n"
"      --json               print one JSON object on stdout\n"
"  -V, --version            print the version and exit\n"
"  -h, --help               print this help and exit\n"
"\n"
"SECONDS may have a fraction (0.5).  The work is a spin loop calibrated at\n"
"start-up against CLOCK_THREAD_CPUTIME_ID (about 60 ms of CPU), so --work-us\n"
"means CPU time on the machine the probe runs on.  SIGINT or SIGTERM ends the\n"
"run early; the results so far are still printed.\n"
"\n"
"Exit status: 0 done, 1 runtime failure (e.g. --fifo not permitted),\n"
"2 bad usage.\n");
}

static int parse_uint(const char *name, const char *arg, uint64_t min, uint64_t max,
		      uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (arg[0] < '0' || arg[0] > '9') {
		msg("%s '%s': expected a whole number from %llu to %llu", name, arg,
		    (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	v = strtoull(arg, &end, 10);
	if (errno || *end || v < min || v > max) {
		msg("%s '%s': expected a whole number from %llu to %llu", name, arg,
		    (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_seconds(const char *name, const char *arg, double min, bool min_open,
			 double *out)
{
	double v;
	char *end;

	errno = 0;
	if ((arg[0] < '0' || arg[0] > '9') && arg[0] != '.')
		goto bad;	/* no sign, "inf", "nan" or hex */
	v = strtod(arg, &end);
	if (errno || *end || end == arg || !isfinite(v) || v > MAX_DURATION_S ||
	    v < min || (min_open && v <= min) || strpbrk(arg, "xXpP"))
		goto bad;
	*out = v;
	return 0;
bad:
	if (min_open)
		msg("%s '%s': expected seconds, more than %g and at most %g", name, arg,
		    min, MAX_DURATION_S);
	else
		msg("%s '%s': expected seconds from %g to %g", name, arg, min, MAX_DURATION_S);
	return -1;
}

static int parse_args(int argc, char **argv)
{
	enum { OPT_WARMUP = 256, OPT_WORK_US, OPT_FIFO, OPT_JSON, OPT_CALIBRATION,
	       OPT_BUDGET_US };
	static const struct option long_opts[] = {
		{ "message-threads",	required_argument, NULL, 'm' },
		{ "workers",		required_argument, NULL, 'w' },
		{ "rate",		required_argument, NULL, 'r' },
		{ "duration",		required_argument, NULL, 'd' },
		{ "min-samples",	required_argument, NULL, 's' },
		{ "warmup",		required_argument, NULL, OPT_WARMUP },
		{ "work-us",		required_argument, NULL, OPT_WORK_US },
		{ "calibration",	required_argument, NULL, OPT_CALIBRATION },
		{ "fifo",		required_argument, NULL, OPT_FIFO },
		{ "budget-us",		required_argument, NULL, OPT_BUDGET_US },
		{ "json",		no_argument,	   NULL, OPT_JSON },
		{ "version",		no_argument,	   NULL, 'V' },
		{ "help",		no_argument,	   NULL, 'h' },
		{}
	};
	const char *arg;
	int c, pmin, pmax;
	uint64_t v;
	char *end;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:w:r:d:s:Vh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_uint("--message-threads", optarg, 1, MAX_MESSAGE_THREADS, &v))
				return -1;
			opts.message_threads = (unsigned int)v;
			break;
		case 'w':
			if (parse_uint("--workers", optarg, 1, MAX_WORKERS, &v))
				return -1;
			opts.workers = (unsigned int)v;
			break;
		case 'r':
			if (parse_uint("--rate", optarg, 0, MAX_RATE, &opts.rate))
				return -1;
			break;
		case 'd':
			if (parse_seconds("--duration", optarg, 0.0, true, &opts.duration_s))
				return -1;
			break;
		case 's':
			if (parse_uint("--min-samples", optarg, 0, MAX_MIN_SAMPLES,
				       &opts.min_samples))
				return -1;
			break;
		case OPT_WARMUP:
			if (parse_seconds("--warmup", optarg, 0.0, false, &opts.warmup_s))
				return -1;
			break;
		case OPT_WORK_US:
			if (parse_uint("--work-us", optarg, 0, MAX_WORK_US, &opts.work_us))
				return -1;
			break;
		case OPT_CALIBRATION:
			errno = 0;
			opts.iters_per_us = strtod(optarg, &end);
			if (errno || *end || end == optarg || !isfinite(opts.iters_per_us) ||
			    opts.iters_per_us < 0.001 || opts.iters_per_us > 1e7 ||
			    strpbrk(optarg, "xXpP")) {
				msg("--calibration '%s': expected iterations per microsecond, from 0.001 to 1e7",
				    optarg);
				return -1;
			}
			break;
		case OPT_FIFO:
			pmin = sched_get_priority_min(SCHED_FIFO);
			pmax = sched_get_priority_max(SCHED_FIFO);
			if (parse_uint("--fifo", optarg, (uint64_t)pmin, (uint64_t)pmax, &v))
				return -1;
			opts.fifo_prio = (int)v;
			break;
		case OPT_BUDGET_US:
			if (parse_uint("--budget-us", optarg, 1, MAX_BUDGET_US, &v))
				return -1;
			opts.budget_ns = v * NSEC_PER_USEC;
			break;
		case OPT_JSON:
			opts.json = true;
			break;
		case 'V':
			printf("slo_probe %s\n", SLO_PROBE_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			msg("option '%s' needs a value (see --help)", argv[optind - 1]);
			return -1;
		default:
			arg = argv[optind - 1];
			if (strncmp(arg, "--", 2))
				msg("unknown option '-%c' (see --help)", optopt);
			else if (optopt && strchr(arg, '='))
				msg("option '%.*s' takes no value (see --help)",
				    (int)(strchr(arg, '=') - arg), arg);
			else
				msg("unknown option '%s' (see --help)", arg);
			return -1;
		}
	}
	if (optind < argc) {
		msg("unexpected argument '%s' (see --help)", argv[optind]);
		return -1;
	}
	if ((uint64_t)opts.message_threads * opts.workers > MAX_WORKERS) {
		msg("%u message threads x %u workers is more than %d workers in all",
		    opts.message_threads, opts.workers, MAX_WORKERS);
		return -1;
	}
	if (opts.rate && opts.rate < opts.message_threads) {
		msg("--rate %llu is below one request a second per message thread (%u)",
		    (unsigned long long)opts.rate, opts.message_threads);
		return -1;
	}
	return 0;
}

/* ---- output ---- */

static void print_summary_json(const char *name, const struct probe_summary *s,
			       uint64_t over)
{
	printf("\"%s\":{\"samples\":%llu", name, (unsigned long long)s->samples);
	if (opts.budget_ns)
		printf(",\"over_budget\":%llu", (unsigned long long)over);
	if (!s->samples) {
		printf(",\"p50\":null,\"p90\":null,\"p99\":null,\"p999\":null,"
		       "\"max\":null,\"mean\":null}");
		return;
	}
	printf(",\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,\"mean\":%.3f}",
	       (double)s->p50 / 1e3, (double)s->p90 / 1e3, (double)s->p99 / 1e3,
	       (double)s->p999 / 1e3, (double)s->max / 1e3, s->mean / 1e3);
}

static void print_summary_text(const char *name, const struct probe_summary *s)
{
	printf("%-10s %10llu %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f\n", name,
	       (unsigned long long)s->samples, (double)s->p50 / 1e3, (double)s->p90 / 1e3,
	       (double)s->p99 / 1e3, (double)s->p999 / 1e3, (double)s->max / 1e3,
	       s->mean / 1e3);
}

struct results {
	struct probe_summary wakeup, request;
	uint64_t wakeup_over, request_over;
	uint64_t posted, skipped;
	double measured_s;
	bool min_samples_met;
	bool interrupted;
};

static void print_results(const struct results *r)
{
	double rps = r->measured_s > 0 ? (double)r->request.samples / r->measured_s : 0.0;

	if (opts.json) {
		printf("{\"probe\":\"slo_probe\",\"version\":\"%s\",\"config\":{"
		       "\"message_threads\":%u,\"workers\":%u,\"rate\":%llu,"
		       "\"duration_s\":%g,\"warmup_s\":%g,\"min_samples\":%llu,"
		       "\"work_us\":%llu,\"fifo\":",
		       SLO_PROBE_VERSION, opts.message_threads, opts.workers,
		       (unsigned long long)opts.rate, opts.duration_s, opts.warmup_s,
		       (unsigned long long)opts.min_samples, (unsigned long long)opts.work_us);
		if (opts.fifo_prio)
			printf("%d", opts.fifo_prio);
		else
			printf("null");
		if (opts.budget_ns)
			printf(",\"budget_us\":%llu",
			       (unsigned long long)(opts.budget_ns / NSEC_PER_USEC));
		else
			printf(",\"budget_us\":null");
		printf(",\"iters_per_us\":%.4f,\"calibration\":", opts.iters_per_us);
		if (cal.done)
			printf("{\"runs\":%d,\"min\":%.4f,\"median\":%.4f,\"max\":%.4f,"
			       "\"wall_ms\":%.1f}},", CAL_RUNS, cal.min, cal.median, cal.max,
			       cal.wall_ms);
		else
			printf("null},");
		print_summary_json("wakeup_us", &r->wakeup, r->wakeup_over);
		putchar(',');
		print_summary_json("request_us", &r->request, r->request_over);
		printf(",\"requests_per_sec\":%.1f,\"measured_s\":%.3f,\"posted\":%llu,"
		       "\"skipped\":%llu,\"min_samples_met\":%s,\"interrupted\":%s}\n",
		       rps, r->measured_s, (unsigned long long)r->posted,
		       (unsigned long long)r->skipped, r->min_samples_met ? "true" : "false",
		       r->interrupted ? "true" : "false");
		return;
	}
	printf("slo_probe %s: %u message thread%s x %u worker%s%s, ", SLO_PROBE_VERSION,
	       opts.message_threads, opts.message_threads == 1 ? "" : "s", opts.workers,
	       opts.workers == 1 ? "" : "s", opts.fifo_prio ? " (SCHED_FIFO)" : "");
	if (opts.rate)
		printf("%llu requests/s", (unsigned long long)opts.rate);
	else
		printf("as fast as possible");
	printf(", work %llu us (%.2f iterations/us)\n", (unsigned long long)opts.work_us,
	       opts.iters_per_us);
	printf("measured %.2f s after %g s of warm-up%s: %.1f requests/s",
	       r->measured_s, opts.warmup_s, r->interrupted ? " (interrupted)" : "", rps);
	if (opts.rate)
		printf(", %llu tick%s skipped (every worker busy)",
		       (unsigned long long)r->skipped, r->skipped == 1 ? "" : "s");
	printf("\n\n%-10s %10s %9s %9s %9s %9s %9s %9s\n", "(us)", "samples", "p50", "p90",
	       "p99", "p99.9", "max", "mean");
	print_summary_text("wakeup", &r->wakeup);
	print_summary_text("request", &r->request);
	if (opts.budget_ns)
		printf("\nover the %llu us budget: wakeup %llu (%.2f%%), request %llu (%.2f%%)\n",
		       (unsigned long long)(opts.budget_ns / NSEC_PER_USEC),
		       (unsigned long long)r->wakeup_over,
		       r->wakeup.samples ? 100.0 * (double)r->wakeup_over / (double)r->wakeup.samples : 0.0,
		       (unsigned long long)r->request_over,
		       r->request.samples ? 100.0 * (double)r->request_over / (double)r->request.samples : 0.0);
}

/* ---- main ---- */

static void on_signal(int sig)
{
	got_signal = sig;
}

static uint64_t total_samples(const struct worker *workers, unsigned int nr)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < nr; i++)
		sum += atomic_load_explicit(&workers[i].samples, memory_order_relaxed);
	return sum;
}

/* A worker thread: SCHED_FIFO at --fifo's priority when given. */
static int start_thread(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	struct sched_param sp = { .sched_priority = opts.fifo_prio };
	pthread_attr_t attr;
	int err;

	if (!opts.fifo_prio) {
		err = pthread_create(tid, NULL, fn, arg);
	} else {
		pthread_attr_init(&attr);
		pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
		pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
		pthread_attr_setschedparam(&attr, &sp);
		err = pthread_create(tid, &attr, fn, arg);
		pthread_attr_destroy(&attr);
		if (err == EPERM) {
			msg("--fifo %d: not permitted to run threads SCHED_FIFO "
			    "(needs root, CAP_SYS_NICE or a high enough RLIMIT_RTPRIO)",
			    opts.fifo_prio);
			return -1;
		}
	}
	if (err) {
		msg("cannot start a worker thread: %s", strerror(err));
		return -1;
	}
	return 0;
}

static void *noop_main(void *arg)
{
	return arg;
}

/* Fail fast, before calibrating, when --fifo is not permitted. */
static int check_fifo(void)
{
	pthread_t tid;

	if (!opts.fifo_prio)
		return 0;
	if (start_thread(&tid, noop_main, NULL))
		return -1;
	pthread_join(tid, NULL);
	return 0;
}

static int start_worker(struct worker *w)
{
	if (start_thread(&w->tid, worker_main, w))
		return -1;
	w->started = true;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int nr_workers, i, j;
	struct msg_thread *msgs = NULL;
	struct worker *workers = NULL;
	struct probe_hist *wakeup = NULL, *request = NULL;
	uint64_t end_min, end_max, t_stop, now, wait;
	struct results r = { 0 };
	struct timespec ts;
	struct sigaction sa;
	sigset_t block, old;
	int rc = 0, err;

	if (parse_args(argc, argv))
		return EXIT_USAGE;
	if (check_fifo())
		return EXIT_RUNTIME;

	if (!opts.iters_per_us)
		opts.iters_per_us = calibrate();
	work_iters = (uint64_t)llround((double)opts.work_us * opts.iters_per_us);
	if (opts.work_us && !work_iters)
		work_iters = 1;

	nr_workers = opts.message_threads * opts.workers;
	msgs = aligned_alloc(64, sizeof(*msgs) * opts.message_threads);
	workers = aligned_alloc(64, sizeof(*workers) * nr_workers);
	wakeup = malloc(sizeof(*wakeup));
	request = malloc(sizeof(*request));
	if (!msgs || !workers || !wakeup || !request) {
		msg("out of memory");
		rc = EXIT_RUNTIME;
		goto out_free;
	}
	memset(msgs, 0, sizeof(*msgs) * opts.message_threads);
	memset(workers, 0, sizeof(*workers) * nr_workers);
	for (i = 0; i < nr_workers; i++) {
		workers[i].msg = &msgs[i / opts.workers];
		workers[i].wakeup = malloc(sizeof(struct probe_hist));
		workers[i].request = malloc(sizeof(struct probe_hist));
		if (!workers[i].wakeup || !workers[i].request) {
			msg("out of memory");
			rc = EXIT_RUNTIME;
			goto out_free;
		}
		probe_hist_init(workers[i].wakeup);
		probe_hist_init(workers[i].request);
	}
	for (i = 0; i < opts.message_threads; i++) {
		msgs[i].workers = &workers[i * opts.workers];
		msgs[i].nr_workers = opts.workers;
		if (opts.rate)
			msgs[i].period_ns = NSEC_PER_SEC * opts.message_threads / opts.rate;
	}

	/* SIGINT/SIGTERM go to this thread only, and end the run early */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);

	measure_start_ns = now_ns() + (uint64_t)(opts.warmup_s * (double)NSEC_PER_SEC);
	for (i = 0; i < opts.message_threads && !rc; i++) {
		for (j = 0; j < opts.workers && !rc; j++)
			if (start_worker(&msgs[i].workers[j]))
				rc = EXIT_RUNTIME;
		if (rc)
			break;
		err = pthread_create(&msgs[i].tid, NULL, msg_main, &msgs[i]);
		if (err) {
			msg("cannot start a message thread: %s", strerror(err));
			rc = EXIT_RUNTIME;
			break;
		}
		msgs[i].started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	/* wait for the end: --duration, or past it for --min-samples, up to 3x */
	end_min = measure_start_ns + (uint64_t)(opts.duration_s * (double)NSEC_PER_SEC);
	end_max = measure_start_ns + (uint64_t)(3.0 * opts.duration_s * (double)NSEC_PER_SEC);
	while (!rc) {
		now = now_ns();
		if (got_signal) {
			r.interrupted = true;
			break;
		}
		if (now >= end_max ||
		    (now >= end_min && total_samples(workers, nr_workers) >= opts.min_samples))
			break;
		wait = now < end_min ? end_min - now : POLL_NS;
		if (wait > POLL_NS)
			wait = POLL_NS;
		ts = ns_to_ts(wait);
		nanosleep(&ts, NULL);	/* a signal cuts it short */
	}
	t_stop = now_ns();

	/* shutdown: message threads first, so nothing is posted to a stopped worker */
	atomic_store(&stop, 1);
	for (i = 0; i < opts.message_threads; i++) {
		atomic_fetch_add(&msgs[i].seq, 1);
		futex_wake(&msgs[i].seq, INT_MAX);
	}
	for (i = 0; i < opts.message_threads; i++)
		if (msgs[i].started)
			pthread_join(msgs[i].tid, NULL);
	for (i = 0; i < nr_workers; i++) {
		atomic_store(&workers[i].state, W_STOP);
		futex_wake(&workers[i].state, 1);
	}
	for (i = 0; i < nr_workers; i++)
		if (workers[i].started)
			pthread_join(workers[i].tid, NULL);
	if (rc)
		goto out_free;

	probe_hist_init(wakeup);
	probe_hist_init(request);
	for (i = 0; i < nr_workers; i++) {
		probe_hist_merge(wakeup, workers[i].wakeup);
		probe_hist_merge(request, workers[i].request);
		r.wakeup_over += workers[i].wakeup_over;
		r.request_over += workers[i].request_over;
	}
	for (i = 0; i < opts.message_threads; i++) {
		r.posted += msgs[i].posted;
		r.skipped += msgs[i].skipped;
	}
	probe_hist_summarize(wakeup, &r.wakeup);
	probe_hist_summarize(request, &r.request);
	r.measured_s = t_stop > measure_start_ns ?
		(double)(t_stop - measure_start_ns) / (double)NSEC_PER_SEC : 0.0;
	r.min_samples_met = r.request.samples >= opts.min_samples;
	print_results(&r);
	if (fflush(stdout) || ferror(stdout)) {
		msg("cannot write the results: %s", strerror(errno));
		rc = EXIT_RUNTIME;
	}
	if (!r.min_samples_met)
		msg("only %llu requests recorded in %.1f s, fewer than --min-samples %llu",
		    (unsigned long long)r.request.samples, r.measured_s,
		    (unsigned long long)opts.min_samples);

out_free:
	if (workers) {
		for (i = 0; i < nr_workers; i++) {
			free(workers[i].wakeup);
			free(workers[i].request);
		}
	}
	free(workers);
	free(msgs);
	free(wakeup);
	free(request);
	return rc;
}
