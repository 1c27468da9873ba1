// SPDX-License-Identifier: GPL-2.0
/*
 * cpu_service: a CPU-bound HTTP service for the shedding benchmark (issue 17).
 *
 * GET /work burns --work of CPU, then answers 200.  The work is measured on
 * the thread's own CPU clock (CLOCK_THREAD_CPUTIME_ID), checked after each
 * chunk of a spin loop calibrated at start to about 50 us, so a request
 * costs the same CPU time however slow the (emulated) CPU is and however
 * often it is preempted.
 *
 * libmicrohttpd with a thread per connection: a request that arrives is
 * read and worked on by its own runnable thread at once, so when the
 * service is overloaded the queue is the scheduler's run queue (what
 * scx_slo measures and sheds on), never an accept backlog or a worker
 * pool's queue the scheduler cannot see.  GET /healthz answers 204
 * without work.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "duration.h"

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

#define NSEC_PER_USEC		1000ULL
#define NSEC_PER_SEC		1000000000ULL
#define CHUNK_NS		(50 * NSEC_PER_USEC)
#define MAX_WORK_NS		NSEC_PER_SEC
#define MAX_CONNECTIONS		16384
#define THREAD_STACK		(256 * 1024)

static struct {
	struct sockaddr_in addr;
	uint64_t work_ns;
	unsigned int max_connections;
} opts = {
	.work_ns = 5000 * NSEC_PER_USEC,
	.max_connections = 4096,
};

static uint64_t chunk_iters;
static _Atomic uint64_t served;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: cpu_service [--listen ADDR:PORT] [--work DUR] [--max-connections N]\n"
"\n"
"A CPU-bound HTTP service: GET /work burns DUR of CPU (the thread's own CPU\n"
"clock) and answers 200 'ok'; GET /healthz answers 204.  One thread per\n"
"connection (libmicrohttpd), so load queues in the scheduler.\n"
"\n"
"  -l, --listen ADDR:PORT     IPv4 address and port (default 127.0.0.1:8081)\n"
"  -w, --work DUR             CPU per request (default 5ms, at most 1s)\n"
"  -c, --max-connections N    connections at once (default 4096)\n"
"  -h, --help                 this text\n"
"\n"
"Runs until SIGINT or SIGTERM, then prints the requests served.\n");
}

static void __attribute__((format(printf, 1, 2), noreturn)) die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("cpu_service: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

static void parse_listen(const char *arg)
{
	char host[64], *colon, *end;
	unsigned long port;

	if (strlen(arg) >= sizeof(host))
		die_usage("--listen '%s': too long", arg);
	strcpy(host, arg);
	colon = strrchr(host, ':');
	if (!colon)
		die_usage("--listen '%s': want ADDR:PORT", arg);
	*colon = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || errno || *end || !port || port > 65535)
		die_usage("--listen '%s': port must be 1 to 65535", arg);
	memset(&opts.addr, 0, sizeof(opts.addr));
	opts.addr.sin_family = AF_INET;
	opts.addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &opts.addr.sin_addr) != 1)
		die_usage("--listen '%s': '%s' is not a numeric IPv4 address", arg, host);
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "work", required_argument, NULL, 'w' },
		{ "max-connections", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *why = NULL;
	unsigned long v;
	char *end;
	int c;

	parse_listen("127.0.0.1:8081");
	while ((c = getopt_long(argc, argv, "l:w:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			parse_listen(optarg);
			break;
		case 'w':
			if (slo_parse_duration(optarg, &opts.work_ns, &why))
				die_usage("--work '%s': %s", optarg, why);
			if (opts.work_ns > MAX_WORK_NS)
				die_usage("--work '%s': at most 1s", optarg);
			break;
		case 'c':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || errno || *end || !v || v > MAX_CONNECTIONS)
				die_usage("--max-connections '%s': want 1 to %d", optarg, MAX_CONNECTIONS);
			opts.max_connections = (unsigned int)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "cpu_service: see --help\n");
			exit(EXIT_USAGE);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void spin(uint64_t iters)
{
	for (volatile uint64_t i = 0; i < iters; i++)
		;
}

/* a chunk of about CHUNK_NS: the CPU clock is read once a chunk */
static void calibrate(void)
{
	uint64_t t;

	for (chunk_iters = 1000;; chunk_iters *= 2) {
		t = thread_cpu_ns();
		spin(chunk_iters);
		t = thread_cpu_ns() - t;
		if (t >= CHUNK_NS || chunk_iters >= (1ULL << 40))
			break;
	}
	chunk_iters = chunk_iters * CHUNK_NS / (t ? t : 1);
	if (!chunk_iters)
		chunk_iters = 1;
}

static void burn(uint64_t ns)
{
	uint64_t until = thread_cpu_ns() + ns;

	while (thread_cpu_ns() < until)
		spin(chunk_iters);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	static int headers_seen;

	(void)cls;
	(void)version;
	(void)upload;
	/* the first call has the headers only: answer on the second */
	if (!*state) {
		*state = &headers_seen;
		return MHD_YES;
	}
	if (*upload_size)
		return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "no request bodies\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only\n");
	if (!strcmp(url, "/healthz"))
		return reply(c, MHD_HTTP_NO_CONTENT, "");
	if (strcmp(url, "/work"))
		return reply(c, MHD_HTTP_NOT_FOUND, "not found: GET /work or /healthz\n");
	burn(opts.work_ns);
	atomic_fetch_add(&served, 1);
	return reply(c, MHD_HTTP_OK, "ok\n");
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	char addr[INET_ADDRSTRLEN];
	char work[32];
	sigset_t stop;
	int sig;

	parse_args(argc, argv);
	calibrate();
	/* blocked before MHD's threads exist, so only sigwait() below takes them */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_POLL | MHD_USE_ERROR_LOG,
			     0, NULL, NULL, on_request, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&opts.addr,
			     MHD_OPTION_CONNECTION_LIMIT, opts.max_connections,
			     MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK,
			     MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096U,
			     MHD_OPTION_CONNECTION_TIMEOUT, 60U,
			     MHD_OPTION_END);
	inet_ntop(AF_INET, &opts.addr.sin_addr, addr, sizeof(addr));
	if (!d) {
		fprintf(stderr, "cpu_service: cannot listen on %s:%u\n", addr, ntohs(opts.addr.sin_port));
		return EXIT_RUNTIME;
	}
	slo_format_duration(opts.work_ns, work, sizeof(work));
	printf("cpu_service: listening on %s:%u, %s of CPU per request, a thread per connection\n",
	       addr, ntohs(opts.addr.sin_port), work);
	fflush(stdout);
	sigwait(&stop, &sig);
	MHD_stop_daemon(d);
	printf("cpu_service: served %llu requests\n", (unsigned long long)atomic_load(&served));
	return 0;
}
