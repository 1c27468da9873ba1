// SPDX-License-Identifier: GPL-2.0
/*
 * openloop: an open-loop HTTP load generator (issue 17).
 *
 * wrk and hey are closed loop: a client waits for an answer before it sends
 * again, so a server that stalls is offered less load and its stall hides
 * in the requests never sent (coordinated omission).  Here arrivals are
 * Poisson at the rate of each step of a schedule, drawn in advance from a
 * seeded generator, and every request is sent at its time whatever is still
 * in flight (libcurl's multi interface, many connections at once).  Latency
 * runs from the SCHEDULED send time, so a generator that falls behind shows
 * as latency too, and its own lag is reported (send_lag_p99_ms).
 *
 * Output: with --log, one line per request (scheduled and send time since
 * the start and latency in microseconds, HTTP status, curl's error code,
 * step); a JSON summary (openloop_report.h) on stdout or to --json.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "duration.h"
#include "openloop_report.h"
#include "openloop_schedule.h"

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

#define NSEC_PER_MSEC	1000000ULL
#define MAX_INFLIGHT	60000
#define FD_HEADROOM	64

static struct {
	const char *url;
	struct ol_schedule schedule;
	bool have_schedule;
	uint64_t budget_ns;
	uint64_t timeout_ns;
	uint64_t window_ns;
	uint64_t seed;
	unsigned int max_inflight;
	const char *log_path;
	const char *json_path;
	bool quiet;
} opts = {
	.budget_ns = 20 * NSEC_PER_MSEC,
	.timeout_ns = 2000 * NSEC_PER_MSEC,
	.window_ns = 250 * NSEC_PER_MSEC,
	.seed = 1,
	.max_inflight = 4096,
};

static volatile sig_atomic_t stopping;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: openloop [OPTIONS] --steps RATE:DURATION[,...] URL\n"
"       openloop [OPTIONS] --steps-file FILE URL\n"
"\n"
"Open-loop HTTP GET load: Poisson arrivals at each step's rate, sent on time\n"
"whatever is still in flight; latency from the scheduled send time.\n"
"\n"
"  -s, --steps LIST       steps of offered load, e.g. 50:10s,150:2s (requests/s:duration)\n"
"  -f, --steps-file FILE  the same, one 'RATE DURATION' per line ('#' comments)\n"
"  -b, --budget DUR       a 2xx answer within DUR is good (default 20ms)\n"
"  -t, --timeout DUR      give up on a request after DUR (default 2s)\n"
"  -w, --window DUR       time series resolution (default 250ms)\n"
"  -S, --seed N           seed of the arrival times (default 1)\n"
"  -c, --max-inflight N   requests in flight at most (default 4096); one due\n"
"                         while N are in flight is counted failed (overflow)\n"
"  -l, --log FILE         one line per request: sched_us send_us latency_us\n"
"                         status curl_error step\n"
"  -j, --json FILE        the summary to FILE instead of stdout\n"
"  -q, --quiet            no per-step lines on stderr\n"
"  -h, --help             this text\n"
"\n"
"Shed requests are those answered 503.  Exit status: 0 when the schedule ran\n"
"(whatever the server answered), 1 on a runtime error, 2 on bad usage.\n");
}

/* bad usage: one line naming the problem, exit 2 */
static void __attribute__((format(printf, 1, 2), noreturn)) die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("openloop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

static uint64_t parse_dur(const char *opt, const char *arg, uint64_t min_ns)
{
	const char *why = NULL;
	uint64_t ns;

	if (slo_parse_duration(arg, &ns, &why))
		die_usage("%s '%s': %s", opt, arg, why);
	if (ns < min_ns)
		die_usage("%s '%s': too short", opt, arg);
	return ns;
}

static uint64_t parse_uint(const char *opt, const char *arg, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*arg < '0' || *arg > '9')
		die_usage("%s '%s': not a whole number", opt, arg);
	v = strtoull(arg, &end, 10);
	if (errno || *end || v > max)
		die_usage("%s '%s': not a whole number in range", opt, arg);
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "steps", required_argument, NULL, 's' },
		{ "steps-file", required_argument, NULL, 'f' },
		{ "budget", required_argument, NULL, 'b' },
		{ "timeout", required_argument, NULL, 't' },
		{ "window", required_argument, NULL, 'w' },
		{ "seed", required_argument, NULL, 'S' },
		{ "max-inflight", required_argument, NULL, 'c' },
		{ "log", required_argument, NULL, 'l' },
		{ "json", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char err[512];
	int c;

	while ((c = getopt_long(argc, argv, "s:f:b:t:w:S:c:l:j:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
		case 'f':
			if (opts.have_schedule)
				die_usage("give one of --steps and --steps-file, once");
			if ((c == 's' ? ol_schedule_parse(optarg, &opts.schedule, err, sizeof(err))
				      : ol_schedule_parse_file(optarg, &opts.schedule, err, sizeof(err))))
				die_usage("%s", err);
			opts.have_schedule = true;
			break;
		case 'b': opts.budget_ns = parse_dur("--budget", optarg, 1); break;
		case 't': opts.timeout_ns = parse_dur("--timeout", optarg, NSEC_PER_MSEC); break;
		case 'w': opts.window_ns = parse_dur("--window", optarg, NSEC_PER_MSEC); break;
		case 'S': opts.seed = parse_uint("--seed", optarg, UINT64_MAX); break;
		case 'c':
			opts.max_inflight = (unsigned int)parse_uint("--max-inflight", optarg, MAX_INFLIGHT);
			if (!opts.max_inflight)
				die_usage("--max-inflight '%s': must be at least 1", optarg);
			break;
		case 'l': opts.log_path = optarg; break;
		case 'j': opts.json_path = optarg; break;
		case 'q': opts.quiet = true; break;
		case 'h': usage(stdout); exit(0);
		default:
			fprintf(stderr, "openloop: see --help\n");
			exit(EXIT_USAGE);
		}
	}
	if (!opts.have_schedule)
		die_usage("no load: give --steps or --steps-file");
	if (optind != argc - 1)
		die_usage("%s", optind < argc ? "one URL, not several" : "no URL");
	opts.url = argv[optind];
	if (strncmp(opts.url, "http://", 7))
		die_usage("URL '%s': must start with http://", opts.url);
	/* it goes into the JSON summary as it is */
	if (strpbrk(opts.url, "\"\\ \t\r\n"))
		die_usage("URL '%s': quotes, backslashes and blanks must be percent-encoded", opts.url);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* every connection is a descriptor: make room for max_inflight of them */
static void raise_fd_limit(void)
{
	rlim_t want = (rlim_t)opts.max_inflight + FD_HEADROOM;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;	/* root may raise it */
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur <= FD_HEADROOM) {
			fprintf(stderr, "openloop: only %llu file descriptors allowed\n",
				(unsigned long long)rl.rlim_cur);
			exit(EXIT_RUNTIME);
		}
		fprintf(stderr, "openloop: --max-inflight lowered from %u to %llu (file descriptor limit)\n",
			opts.max_inflight, (unsigned long long)(rl.rlim_cur - FD_HEADROOM));
		opts.max_inflight = (unsigned int)(rl.rlim_cur - FD_HEADROOM);
	}
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void)ptr;
	(void)userdata;
	return size * nmemb;
}

static CURL *new_handle(void)
{
	CURL *e = curl_easy_init();

	if (!e)
		return NULL;
	curl_easy_setopt(e, CURLOPT_URL, opts.url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(opts.timeout_ns / NSEC_PER_MSEC));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(opts.timeout_ns / NSEC_PER_MSEC));
	/* the loopback needs no Nagle delay; a proxy from the environment is not ours */
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	return e;
}

/* all arrivals, drawn before the first send */
static struct ol_record *plan(size_t *n)
{
	struct ol_arrivals a;
	struct ol_record *rec = NULL;
	size_t cap = 0, i = 0;
	uint64_t at;
	uint32_t step;

	ol_arrivals_init(&a, &opts.schedule, opts.seed);
	while (ol_arrivals_next(&a, &at, &step)) {
		if (i == cap) {
			struct ol_record *r;

			cap = cap ? cap * 2 : 4096;
			r = realloc(rec, cap * sizeof(*rec));
			if (!r) {
				fprintf(stderr, "openloop: out of memory for %zu requests\n", cap);
				exit(EXIT_RUNTIME);
			}
			rec = r;
		}
		rec[i++] = (struct ol_record){ .sched_ns = at, .step = step };
	}
	*n = i;
	return rec;
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void step_line(size_t step, const struct ol_record *rec, size_t from, size_t to)
{
	const struct ol_step *st = &opts.schedule.steps[step];
	size_t i, good = 0, shed = 0, ok = 0;

	if (opts.quiet)
		return;
	for (i = from; i < to; i++) {
		ok += rec[i].status >= 200 && rec[i].status < 300;
		good += rec[i].status >= 200 && rec[i].status < 300 &&
			rec[i].done_ns - rec[i].sched_ns <= opts.budget_ns;
		shed += rec[i].status == OL_STATUS_SHED;
	}
	fprintf(stderr, "openloop: step %zu: %.1f/s for %.1fs: %zu sent, %zu ok, %zu good, %zu shed\n",
		step, st->rate, (double)st->duration_ns / 1e9, to - from, ok, good, shed);
}

int main(int argc, char **argv)
{
	struct ol_report_opts ro;
	struct ol_record *rec;
	CURL **pool;
	CURLM *multi;
	size_t n, next = 0, npool = 0;
	uint32_t cur_step = UINT32_MAX;
	unsigned int inflight = 0;
	uint64_t t0;
	FILE *out = stdout;
	int running = 0;

	parse_args(argc, argv);
	raise_fd_limit();
	rec = plan(&n);
	if (opts.json_path) {
		out = fopen(opts.json_path, "w");
		if (!out) {
			fprintf(stderr, "openloop: %s: %s\n", opts.json_path, strerror(errno));
			return EXIT_RUNTIME;
		}
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "openloop: curl_global_init failed\n");
		return EXIT_RUNTIME;
	}
	multi = curl_multi_init();
	pool = calloc(opts.max_inflight, sizeof(*pool));
	if (!multi || !pool) {
		fprintf(stderr, "openloop: out of memory\n");
		return EXIT_RUNTIME;
	}
	/* keep every connection open for reuse: a new one per request would
	 * measure TCP handshakes, not the server */
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)opts.max_inflight);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	t0 = now_ns();
	while ((next < n || inflight) && !stopping) {
		uint64_t now = now_ns() - t0;
		struct CURLMsg *msg;
		int left, wait_ms;

		while (next < n && rec[next].sched_ns <= now) {
			struct ol_record *r = &rec[next];
			CURL *e;

			if (r->step != cur_step && !opts.quiet) {
				cur_step = r->step;
				fprintf(stderr, "openloop: step %u: %.1f/s for %.1fs\n", cur_step,
					opts.schedule.steps[cur_step].rate,
					(double)opts.schedule.steps[cur_step].duration_ns / 1e9);
			}
			r->send_ns = now;
			if (inflight >= opts.max_inflight) {
				r->status = OL_STATUS_OVERFLOW;
				r->done_ns = now;
				next++;
				continue;
			}
			e = npool ? pool[--npool] : new_handle();
			if (!e) {
				fprintf(stderr, "openloop: curl_easy_init failed\n");
				return EXIT_RUNTIME;
			}
			curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)r);
			if (curl_multi_add_handle(multi, e) != CURLM_OK) {
				fprintf(stderr, "openloop: curl_multi_add_handle failed\n");
				return EXIT_RUNTIME;
			}
			inflight++;
			next++;
		}

		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left))) {
			struct ol_record *r;
			long status = 0;
			CURL *e = msg->easy_handle;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
			r->done_ns = now_ns() - t0;
			r->error = (int32_t)msg->data.result;
			r->status = msg->data.result == CURLE_OK ? (int32_t)status : 0;
			curl_multi_remove_handle(multi, e);
			pool[npool++] = e;
			inflight--;
		}

		/* sleep until the next arrival is due, rounded up to curl's ms */
		if (next < n) {
			now = now_ns() - t0;
			wait_ms = rec[next].sched_ns > now ?
				(int)((rec[next].sched_ns - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC) : 0;
			if (wait_ms > 100)
				wait_ms = 100;
		} else {
			wait_ms = 100;
		}
		if (wait_ms)
			curl_multi_poll(multi, NULL, 0, wait_ms, NULL);
	}
	if (stopping) {
		fprintf(stderr, "openloop: stopped by a signal: no summary\n");
		return EXIT_RUNTIME;
	}

	for (size_t i = 0, from = 0; i < opts.schedule.n; i++) {
		size_t to = from;

		while (to < n && rec[to].step == i)
			to++;
		step_line(i, rec, from, to);
		from = to;
	}

	if (opts.log_path) {
		FILE *lf = fopen(opts.log_path, "w");
		size_t i;

		if (!lf) {
			fprintf(stderr, "openloop: %s: %s\n", opts.log_path, strerror(errno));
			return EXIT_RUNTIME;
		}
		fputs("# sched_us send_us latency_us status curl_error step\n", lf);
		for (i = 0; i < n; i++)
			fprintf(lf, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %d %d %u\n",
				rec[i].sched_ns / 1000, rec[i].send_ns / 1000,
				(rec[i].done_ns - rec[i].sched_ns) / 1000, rec[i].status,
				rec[i].error, rec[i].step);
		if (fclose(lf)) {
			fprintf(stderr, "openloop: %s: write error\n", opts.log_path);
			return EXIT_RUNTIME;
		}
	}

	ol_report_opts_default(&ro, opts.budget_ns, opts.timeout_ns);
	ro.window_ns = opts.window_ns;
	fprintf(out, "{\"schema\":1,\"url\":\"%s\",\"seed\":%" PRIu64 ",\"budget_s\":%.6g,"
		"\"timeout_s\":%.6g,\"requests\":%zu,\"report\":", opts.url, opts.seed,
		(double)opts.budget_ns / 1e9, (double)opts.timeout_ns / 1e9, n);
	if (ol_report_json(out, &opts.schedule, rec, n, &ro) < 0 || fputs("}\n", out) < 0 ||
	    (out != stdout ? fclose(out) : fflush(out))) {
		fprintf(stderr, "openloop: writing the summary failed\n");
		return EXIT_RUNTIME;
	}
	while (npool)
		curl_easy_cleanup(pool[--npool]);
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	free(pool);
	free(rec);
	return 0;
}
