// SPDX-License-Identifier: GPL-2.0
/*
 * http_flood: the metrics-port attack of issue 15, and the probes that must
 * keep answering through it.  One epoll loop holds, spread over the --from
 * source addresses (loopback takes any 127/8 source, so one machine can
 * play many clients):
 *
 *   --slow N          connections that send a request line and then one
 *                     header byte every --trickle-ms (slowloris); one the
 *                     server closes is reopened after --reopen-ms, so N
 *                     stay in flight
 *   --flood N         connections that GET /metrics back to back
 *   --slow-readers N  connections that GET /metrics with a 2 KiB receive
 *                     buffer and read --read-bytes every --trickle-ms, so
 *                     the server holds their answers
 *
 * Each kind's first connections are spread over a second, the slow
 * readers' over --ramp-ms (1 s; longer, and they pin more versions of the
 * body), and at most --max-opens connections are opened a second (the
 * attacker shares the victim's CPUs in a VM; a refused connection is
 * reopened at once).
 *
 * Probes run in threads of their own, one after another (a slow one delays
 * the next), so that their times are theirs and not the flood loop's:
 *
 *   --healthz-from A  every --probe-ms, GET /healthz on a fresh connection
 *                     from source A: it passes when "200" arrives within
 *                     --probe-timeout-ms (given up after 30 s)
 *   --exec CMD        every --probe-ms, CMD (words split at spaces, run
 *                     without a shell, as a kubelet exec probe is): it
 *                     passes when it exits 0 within the same timeout (its
 *                     stderr is passed through)
 *   --rss-pid PID     PID's VmRSS, sampled every second
 *
 * After --duration seconds it prints one line of key=value results and
 * exits 0 whatever the probes saw: the caller decides what passes.  Exit 2
 * with one line for bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT	24
#endif

#define MAX_SOURCES		1024
#define SLOW_PREFIX		"GET /healthz HTTP/1.1\r\nHost: flood\r\nX-Slow: "
#define METRICS_REQ		"GET /metrics HTTP/1.1\r\nHost: flood\r\nConnection: close\r\n\r\n"
#define HEALTHZ_REQ		"GET /healthz HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n"

enum kind { SLOW, FLOOD, READER };

struct conn {
	enum kind kind;
	int fd;
	bool connected;
	size_t sent;		/* request bytes sent */
	char head[16];		/* first bytes of the answer */
	size_t got;
	double next_at;		/* next trickle, or reopen time when fd < 0 */
};

static struct {
	struct sockaddr_in target;
	struct in_addr src[MAX_SOURCES];
	int nsrc;
	struct in_addr probe_src;
	bool have_probe_src;
	int slow, flood, readers;
	int trickle_ms, reopen_ms, probe_ms, probe_timeout_ms, read_bytes, ramp_ms, max_opens;
	double duration;
	const char *exec_cmd;
	pid_t rss_pid;
} o = {
	.trickle_ms = 5000, .reopen_ms = 250, .probe_ms = 1000, .probe_timeout_ms = 1000,
	.read_bytes = 512, .duration = 20, .ramp_ms = 1000, .max_opens = 100000,
};

static struct {
	unsigned long slow_opened, slow_closed, slow_answered, slow_connect_failed;
	unsigned long flood_ok, flood_other, flood_failed;
	unsigned long readers_opened, readers_closed;
	unsigned long healthz_total, healthz_ok;
	double healthz_max_ms, healthz_sum_ms;
	unsigned long exec_total, exec_ok;
	double exec_max_ms, exec_sum_ms;
	long rss_max_kb, hwm_kb;
	long tcp_mem_max_kb, orphans_max;	/* the whole machine's, both ends */
	unsigned long held_samples, held_sum, held_min, held_max;
	int unfinished;			/* probes given up after 30 s */
} st = { .held_min = (unsigned long)-1 };

static int ep;
static unsigned long next_src;
static pthread_mutex_t st_lock = PTHREAD_MUTEX_INITIALIZER;	/* probe results */
static volatile int stopping;
static double t_end;		/* probes start none after this */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("http_flood: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "A.B.C.D" or "A.B.C.D-E" (last octet D to E), comma separated */
static void parse_sources(const char *arg)
{
	char *copy = strdup(arg), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		struct in_addr a;
		long last = -1;

		if (dash) {
			char *end;

			*dash = '\0';
			last = strtol(dash + 1, &end, 10);
			if (*end || last < 0 || last > 255)
				die("--from '%s': bad range end", arg);
		}
		if (inet_pton(AF_INET, tok, &a) != 1)
			die("--from '%s': '%s' is not an IPv4 address", arg, tok);
		if (last < 0) {
			if (o.nsrc >= MAX_SOURCES)
				die("--from: more than %d sources", MAX_SOURCES);
			o.src[o.nsrc++] = a;
			continue;
		}
		for (long i = ntohl(a.s_addr) & 0xff; i <= last; i++) {
			if (o.nsrc >= MAX_SOURCES)
				die("--from: more than %d sources", MAX_SOURCES);
			o.src[o.nsrc].s_addr = htonl((ntohl(a.s_addr) & ~0xffu) | (uint32_t)i);
			o.nsrc++;
		}
	}
	free(copy);
}

static long num(const char *name, const char *arg, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v < lo || v > hi)
		die("%s '%s': expected a number from %ld to %ld", name, arg, lo, hi);
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "target", required_argument, NULL, 't' },
		{ "from", required_argument, NULL, 'f' },
		{ "slow", required_argument, NULL, 's' },
		{ "flood", required_argument, NULL, 'F' },
		{ "slow-readers", required_argument, NULL, 'r' },
		{ "trickle-ms", required_argument, NULL, 'T' },
		{ "reopen-ms", required_argument, NULL, 'R' },
		{ "read-bytes", required_argument, NULL, 'b' },
		{ "ramp-ms", required_argument, NULL, 'M' },
		{ "max-opens", required_argument, NULL, 'X' },
		{ "duration", required_argument, NULL, 'd' },
		{ "healthz-from", required_argument, NULL, 'H' },
		{ "exec", required_argument, NULL, 'e' },
		{ "rss-pid", required_argument, NULL, 'p' },
		{ "probe-ms", required_argument, NULL, 'P' },
		{ "probe-timeout-ms", required_argument, NULL, 'O' },
		{}
	};
	char host[64];
	const char *colon;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			colon = strrchr(optarg, ':');
			if (!colon || (size_t)(colon - optarg) >= sizeof(host))
				die("--target '%s': expected IPv4:PORT", optarg);
			memcpy(host, optarg, (size_t)(colon - optarg));
			host[colon - optarg] = '\0';
			o.target.sin_family = AF_INET;
			o.target.sin_port = htons((uint16_t)num("--target port", colon + 1, 1, 65535));
			if (inet_pton(AF_INET, host, &o.target.sin_addr) != 1)
				die("--target '%s': expected IPv4:PORT", optarg);
			break;
		case 'f': parse_sources(optarg); break;
		case 's': o.slow = (int)num("--slow", optarg, 0, 100000); break;
		case 'F': o.flood = (int)num("--flood", optarg, 0, 10000); break;
		case 'r': o.readers = (int)num("--slow-readers", optarg, 0, 100000); break;
		case 'T': o.trickle_ms = (int)num("--trickle-ms", optarg, 10, 600000); break;
		case 'R': o.reopen_ms = (int)num("--reopen-ms", optarg, 0, 600000); break;
		case 'b': o.read_bytes = (int)num("--read-bytes", optarg, 1, 1 << 20); break;
		case 'M': o.ramp_ms = (int)num("--ramp-ms", optarg, 0, 3600000); break;
		case 'X': o.max_opens = (int)num("--max-opens", optarg, 20, 1000000); break;
		case 'd': o.duration = (double)num("--duration", optarg, 1, 86400); break;
		case 'H':
			if (inet_pton(AF_INET, optarg, &o.probe_src) != 1)
				die("--healthz-from '%s': not an IPv4 address", optarg);
			o.have_probe_src = true;
			break;
		case 'e': o.exec_cmd = optarg; break;
		case 'p': o.rss_pid = (pid_t)num("--rss-pid", optarg, 1, 1 << 30); break;
		case 'P': o.probe_ms = (int)num("--probe-ms", optarg, 10, 600000); break;
		case 'O': o.probe_timeout_ms = (int)num("--probe-timeout-ms", optarg, 10, 600000); break;
		default:
			exit(2);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	if (!o.target.sin_port)
		die("--target IPv4:PORT is required");
	if (!o.nsrc)
		o.src[o.nsrc++].s_addr = htonl(INADDR_ANY);
}

static void watch(struct conn *c, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (epoll_ctl(ep, op, c->fd, &ev) && op != EPOLL_CTL_DEL)
		die("epoll_ctl: %s", strerror(errno));
}

/* Non-blocking connect from @src; -1 when no socket could be had. */
static int open_from(struct in_addr src, int rcvbuf)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = src };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	/* the port is picked at connect(): far more connections per source */
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (src.s_addr != htonl(INADDR_ANY) && bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&o.target, sizeof(o.target)) && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static void conn_open(struct conn *c, double now)
{
	struct in_addr src = o.src[next_src++ % (unsigned long)o.nsrc];

	c->fd = open_from(src, c->kind == READER ? 2048 : 0);
	c->connected = false;
	c->sent = c->got = 0;
	c->next_at = now + o.trickle_ms / 1e3;
	if (c->fd < 0) {
		if (c->kind == SLOW)
			st.slow_connect_failed++;
		else if (c->kind == FLOOD)
			st.flood_failed++;
		c->next_at = now + (o.reopen_ms ? o.reopen_ms : 100) / 1e3;
		return;
	}
	if (c->kind == SLOW)
		st.slow_opened++;
	else if (c->kind == READER)
		st.readers_opened++;
	watch(c, EPOLLOUT, EPOLL_CTL_ADD);
}

static void conn_close(struct conn *c, double now)
{
	if (c->fd >= 0) {
		watch(c, 0, EPOLL_CTL_DEL);
		close(c->fd);
	}
	c->fd = -1;
	c->connected = false;
	c->next_at = now + o.reopen_ms / 1e3;
}

static const char *request_of(const struct conn *c, size_t *len)
{
	switch (c->kind) {
	case SLOW:
		*len = sizeof(SLOW_PREFIX) - 1;
		return SLOW_PREFIX;
	default:
		*len = sizeof(METRICS_REQ) - 1;
		return METRICS_REQ;
	}
}

static int status_of(const struct conn *c)
{
	int s = 0;

	if (c->got < 12 || sscanf(c->head, "HTTP/1.%*d %d", &s) != 1)
		return 0;
	return s;
}

/* Data or an event on a socket. */
static void on_event(struct conn *c, uint32_t ev, double now)
{
	char buf[65536];
	ssize_t r;

	if (!c->connected) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err || (ev & (EPOLLERR | EPOLLHUP))) {
			if (c->kind == SLOW)
				st.slow_connect_failed++;
			else if (c->kind == FLOOD)
				st.flood_failed++;
			conn_close(c, now);
			return;
		}
		c->connected = true;
	}
	if (c->sent == 0) {
		size_t len;
		const char *req = request_of(c, &len);

		r = send(c->fd, req, len, MSG_NOSIGNAL);
		if (r < 0 && errno == EAGAIN)
			return;
		if (r < (ssize_t)len) {
			conn_close(c, now);
			return;
		}
		c->sent = len;
		/* a slow reader is only looked at on its ticks */
		watch(c, c->kind == READER ? 0 : EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
		return;
	}
	if (c->kind == READER) {
		/* HUP or ERR: the server let go of us */
		st.readers_closed++;
		conn_close(c, now);
		return;
	}
	r = recv(c->fd, buf, sizeof(buf), 0);
	if (r < 0 && errno == EAGAIN)
		return;
	if (r > 0) {
		if (c->got < sizeof(c->head) - 1) {
			size_t n = sizeof(c->head) - 1 - c->got;

			if ((size_t)r < n)
				n = (size_t)r;
			memcpy(c->head + c->got, buf, n);
			c->head[c->got + n] = '\0';
		}
		c->got += (size_t)r;
		if (c->kind == SLOW && c->got == (size_t)r)
			st.slow_answered++;
		return;
	}
	/* EOF or reset */
	switch (c->kind) {
	case SLOW:
		st.slow_closed++;
		break;
	case FLOOD:
		if (status_of(c) == 200)
			st.flood_ok++;
		else if (status_of(c))
			st.flood_other++;
		else
			st.flood_failed++;
		break;
	default:
		break;
	}
	conn_close(c, now);
}

/* Trickle a byte, read a little, reopen what was closed. */
static void tick(struct conn *conns, int n, double now)
{
	static double tokens, last;
	static int start;
	char buf[65536];

	/* a token bucket of opens, and a scan that starts where the last stopped */
	tokens += (last ? now - last : 0) * o.max_opens;
	if (tokens > o.max_opens / 4.0 + 1)
		tokens = o.max_opens / 4.0 + 1;
	last = now;
	for (int j = 0; j < n; j++) {
		int i = (start + j) % n;
		struct conn *c = &conns[i];

		if (c->fd < 0) {
			if (now >= c->next_at && tokens >= 1) {
				tokens--;
				conn_open(c, now);
				start = i + 1;
			}
			continue;
		}
		if (!c->connected || !c->sent || now < c->next_at)
			continue;
		c->next_at = now + o.trickle_ms / 1e3;
		if (c->kind == SLOW) {
			if (send(c->fd, "a", 1, MSG_NOSIGNAL) != 1 && errno != EAGAIN) {
				st.slow_closed++;
				conn_close(c, now);
			}
		} else if (c->kind == READER) {
			ssize_t r = recv(c->fd, buf, (size_t)o.read_bytes, MSG_DONTWAIT);

			if (r == 0 || (r < 0 && errno != EAGAIN)) {
				st.readers_closed++;
				conn_close(c, now);
			}
		}
	}
}

/* A blocking connection from @src with @timeout_s for connect, send and recv. */
static int open_blocking(struct in_addr src, int timeout_s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = src };
	struct timeval tv = { .tv_sec = timeout_s };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    connect(fd, (struct sockaddr *)&o.target, sizeof(o.target))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sleep until @t (CLOCK_MONOTONIC seconds). */
static void sleep_until(double t)
{
	double d = t - now_s();

	if (d > 0)
		usleep((useconds_t)(d * 1e6));
}

/* GET /healthz on a fresh connection: 200 within the timeout, or not. */
static void *healthz_thread(void *arg)
{
	double next = now_s() + 1;

	while (!stopping && next < t_end) {
		char head[64] = "";
		size_t got = 0;
		double t0, ms;
		int fd, status = 0;
		bool ok;

		sleep_until(next);
		next += o.probe_ms / 1e3;
		t0 = now_s();
		fd = open_blocking(o.probe_src, 30);
		if (fd >= 0 && send(fd, HEALTHZ_REQ, sizeof(HEALTHZ_REQ) - 1, MSG_NOSIGNAL) > 0) {
			while (got < 12) {
				ssize_t r = recv(fd, head + got, sizeof(head) - 1 - got, 0);

				if (r < 0 && errno == EAGAIN) {
					pthread_mutex_lock(&st_lock);
					st.unfinished++;
					pthread_mutex_unlock(&st_lock);
				}
				if (r <= 0)
					break;
				got += (size_t)r;
			}
		}
		if (fd >= 0)
			close(fd);
		ms = (now_s() - t0) * 1e3;
		head[got] = '\0';
		sscanf(head, "HTTP/1.%*d %d", &status);
		ok = status == 200 && ms <= o.probe_timeout_ms;
		pthread_mutex_lock(&st_lock);
		st.healthz_total++;
		st.healthz_ok += ok;
		st.healthz_sum_ms += ms;
		if (ms > st.healthz_max_ms)
			st.healthz_max_ms = ms;
		pthread_mutex_unlock(&st_lock);
		if (!ok)
			fprintf(stderr, "http_flood: /healthz probe failed after %.0f ms (%s)\n", ms,
				status ? head : fd < 0 ? "no connection" : "no answer");
		if (next < now_s())
			next = now_s();
	}
	return NULL;
}

/* CMD: exit 0 within the timeout, or not. */
static void *exec_thread(void *arg)
{
	char *words = strdup(o.exec_cmd), *argv[32], *save = NULL;
	double next = now_s() + 1;
	int argc = 0;

	for (char *w = strtok_r(words, " ", &save); w && argc < 31; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (!argc)
		die("--exec: no command");

	while (!stopping && next < t_end) {
		struct pollfd pfd = { .events = POLLIN };
		double t0, ms;
		int status = 0;
		bool ok;
		pid_t pid;

		sleep_until(next);
		next += o.probe_ms / 1e3;
		t0 = now_s();
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (!pid) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, STDOUT_FILENO);
			execvp(argv[0], argv);
			_exit(127);
		}
		pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pfd.fd >= 0 && poll(&pfd, 1, 30000) == 0) {
			kill(pid, SIGKILL);
			pthread_mutex_lock(&st_lock);
			st.unfinished++;
			pthread_mutex_unlock(&st_lock);
		}
		if (pfd.fd >= 0)
			close(pfd.fd);
		waitpid(pid, &status, 0);
		ms = (now_s() - t0) * 1e3;
		ok = WIFEXITED(status) && !WEXITSTATUS(status) && ms <= o.probe_timeout_ms;
		pthread_mutex_lock(&st_lock);
		st.exec_total++;
		st.exec_ok += ok;
		st.exec_sum_ms += ms;
		if (ms > st.exec_max_ms)
			st.exec_max_ms = ms;
		pthread_mutex_unlock(&st_lock);
		if (!ok)
			fprintf(stderr, "http_flood: exec probe failed after %.0f ms (exit %d)\n", ms,
				WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		if (next < now_s())
			next = now_s();
	}
	free(words);
	return NULL;
}

static long status_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			v = strtol(line + klen + 1, NULL, 10);
	fclose(f);
	return v;
}

/* /proc/net/sockstat: TCP socket memory and orphans, machine-wide. */
static void sample_sockstat(void)
{
	long inuse, orphan, tw, alloc, mem;
	char line[256];
	FILE *f = fopen("/proc/net/sockstat", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "TCP: inuse %ld orphan %ld tw %ld alloc %ld mem %ld", &inuse,
			   &orphan, &tw, &alloc, &mem) != 5)
			continue;
		if (mem * (sysconf(_SC_PAGESIZE) / 1024) > st.tcp_mem_max_kb)
			st.tcp_mem_max_kb = mem * (sysconf(_SC_PAGESIZE) / 1024);
		if (orphan > st.orphans_max)
			st.orphans_max = orphan;
	}
	fclose(f);
}

static void sample(const struct conn *conns, int n)
{
	unsigned long held = 0;

	for (int i = 0; i < n; i++)
		if (conns[i].kind == SLOW && conns[i].fd >= 0 && conns[i].connected)
			held++;
	st.held_samples++;
	st.held_sum += held;
	if (held < st.held_min)
		st.held_min = held;
	if (held > st.held_max)
		st.held_max = held;
}

/* The victim's RSS and the machine's TCP memory, every second. */
static void *sampler_thread(void *arg)
{
	while (!stopping && now_s() < t_end) {
		sample_sockstat();
		if (o.rss_pid) {
			long rss = status_kb(o.rss_pid, "VmRSS");

			if (rss > st.rss_max_kb)
				st.rss_max_kb = rss;
		}
		usleep(1000 * 1000);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t threads[3];
	struct epoll_event evs[256];
	struct conn *conns;
	struct rlimit rl;
	double t0, now, next_sample, next_tick;
	int n, i, nthreads = 0;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	n = o.slow + o.flood + o.readers;
	/* root may raise the hard limit; others get what they have */
	rl.rlim_cur = rl.rlim_max = (rlim_t)n + 256;
	if (setrlimit(RLIMIT_NOFILE, &rl) && !getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	conns = calloc((size_t)n + 1, sizeof(*conns));
	if (ep < 0 || !conns)
		die("setup: %s", strerror(errno));
	t0 = now = now_s();
	t_end = t0 + o.duration;
	for (i = 0; i < n; i++) {
		int k = i < o.slow ? i : i < o.slow + o.flood ? i - o.slow : i - o.slow - o.flood;
		int nk = i < o.slow ? o.slow : i < o.slow + o.flood ? o.flood : o.readers;

		conns[i].kind = i < o.slow ? SLOW : i < o.slow + o.flood ? FLOOD : READER;
		conns[i].fd = -1;
		/* each kind's first connects spread out, not one burst: slow
		 * readers that start at different times pin different versions */
		conns[i].next_at = t0 + (conns[i].kind == READER ? o.ramp_ms / 1e3 : 1) * k / nk;
	}
	if (o.have_probe_src && pthread_create(&threads[nthreads++], NULL, healthz_thread, NULL))
		die("pthread_create failed");
	if (o.exec_cmd && pthread_create(&threads[nthreads++], NULL, exec_thread, NULL))
		die("pthread_create failed");
	if (pthread_create(&threads[nthreads++], NULL, sampler_thread, NULL))
		die("pthread_create failed");
	next_sample = t0 + 1;
	next_tick = t0;
	while ((now = now_s()) < t_end) {
		int k = epoll_wait(ep, evs, sizeof(evs) / sizeof(evs[0]), 20);

		now = now_s();
		for (i = 0; i < k; i++)
			on_event(evs[i].data.ptr, evs[i].events, now);
		if (now >= next_tick) {
			tick(conns, n, now);
			/* trickles are seconds apart: a fifth of a second is fine enough */
			next_tick = now + 0.2;
		}
		if (now >= next_sample) {
			sample(conns, n);
			next_sample += 1;
		}
	}
	for (i = 0; i < n; i++)
		conn_close(&conns[i], now);
	/* the probes running end (30 s at most), none starts */
	stopping = 1;
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	if (o.rss_pid)
		st.hwm_kb = status_kb(o.rss_pid, "VmHWM");
	printf("FLOOD duration=%.0f slow=%d sources=%d slow_held_min=%lu slow_held_avg=%lu "
	       "slow_held_max=%lu slow_opened=%lu slow_closed=%lu slow_answered=%lu "
	       "slow_connect_failed=%lu flood_ok=%lu flood_other=%lu flood_failed=%lu "
	       "readers=%d readers_opened=%lu readers_closed=%lu "
	       "healthz_ok=%lu healthz_total=%lu healthz_max_ms=%.0f healthz_avg_ms=%.0f "
	       "exec_ok=%lu exec_total=%lu exec_max_ms=%.0f exec_avg_ms=%.0f "
	       "probes_unfinished=%d rss_max_kb=%ld hwm_kb=%ld tcp_mem_max_kb=%ld orphans_max=%ld\n",
	       o.duration, o.slow, o.nsrc, st.held_min == (unsigned long)-1 ? 0 : st.held_min,
	       st.held_samples ? st.held_sum / st.held_samples : 0, st.held_max,
	       st.slow_opened, st.slow_closed, st.slow_answered, st.slow_connect_failed,
	       st.flood_ok, st.flood_other, st.flood_failed, o.readers, st.readers_opened,
	       st.readers_closed, st.healthz_ok, st.healthz_total, st.healthz_max_ms,
	       st.healthz_total ? st.healthz_sum_ms / st.healthz_total : 0, st.exec_ok,
	       st.exec_total, st.exec_max_ms, st.exec_total ? st.exec_sum_ms / st.exec_total : 0,
	       st.unfinished, st.rss_max_kb, st.hwm_kb, st.tcp_mem_max_kb, st.orphans_max);
	return 0;
}
