// SPDX-License-Identifier: GPL-2.0
/*
 * The /metrics + /healthz server (loader/http.c), driven with raw sockets on
 * loopback only (any 127/8 source address, to play several clients):
 * methods, paths, bodies, oversized headers, a stalled client, 1000
 * concurrent connections, health from a real and a fake
 * /sys/kernel/sched_ext, and the bounds against hostile clients (per-client
 * connections, request deadline, lifetime, body memory, a stalled loader).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "promtool_check.h"

#include "http.h"
#include "shed.h"

#define NCONC		1000
#define SHORT_TIMEOUT_S	1

static struct slo_http *srv;		/* defaults, real /sys/kernel/sched_ext */
static struct slo_http *srv_short;	/* 1 s idle timeout */
static struct slo_http *srv_fake;	/* fake sched_ext tree */
static char fake_dir[] = "/tmp/test_http.XXXXXX";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A connection to 127.0.0.1:@port from source address @src (host order). */
static int connect_from(uint16_t port, uint32_t src, int rcvbuf)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in from = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 15 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	from.sin_addr.s_addr = htonl(src);
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)))
		fail_msg("bind to source 0x%08x: %s", src, strerror(errno));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		fail_msg("connect 127.0.0.1:%u: %s", port, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static int connect_port(uint16_t port)
{
	return connect_from(port, INADDR_LOOPBACK, 0);
}

/* Write what the peer takes; stop quietly when it closes on us. */
static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Read until EOF, reset or timeout; NUL-terminated.  Returns bytes read. */
static size_t recv_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n < cap - 1) {
		ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);

		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	return n;
}

/* One request on a fresh connection; the whole response in @resp. */
static int request(uint16_t port, const char *req, char *resp, size_t cap)
{
	int fd = connect_port(port), status = 0;

	send_all(fd, req, strlen(req));
	recv_all(fd, resp, cap);
	close(fd);
	if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	return status;
}

static int get(uint16_t port, const char *method, const char *path, char *resp, size_t cap)
{
	char req[512];

	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
		 method, path);
	return request(port, req, resp, cap);
}

static const char *body_of(const char *resp)
{
	const char *p = strstr(resp, "\r\n\r\n");

	return p ? p + 4 : "";
}

#define TRAILER_START	"# HELP scx_slo_metrics_age_seconds "

/* A /metrics body without the server's own samples: the loader's text. */
static const char *loader_text(const char *resp)
{
	static char text[65536];
	const char *b = body_of(resp), *t = strstr(b, TRAILER_START);

	snprintf(text, sizeof(text), "%.*s", t ? (int)(t - b) : (int)strlen(b), b);
	return text;
}

/* The value of the sample @name (no labels) in a /metrics answer; -1 if none. */
static double sample_of(const char *resp, const char *name)
{
	const char *p = body_of(resp);
	size_t nl = strlen(name);

	while ((p = strstr(p, name))) {
		if ((p == body_of(resp) || p[-1] == '\n') && p[nl] == ' ')
			return strtod(p + nl + 1, NULL);
		p += nl;
	}
	return -1;
}

/* Case-insensitive header lookup; the value's first @cap-1 bytes in @out. */
static bool header(const char *resp, const char *name, char *out, size_t cap)
{
	const char *end = strstr(resp, "\r\n\r\n"), *p = resp;
	size_t nl = strlen(name);

	while ((p = strstr(p, "\r\n")) && p < end) {
		p += 2;
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(out, cap, "%.*s", (int)(e - v), v);
			return true;
		}
	}
	return false;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_parse_addr(void **state)
{
	static const char *good[] = { "127.0.0.1:9464", "0.0.0.0:9464", "[::1]:9464", "[::]:80",
				      "10.1.2.3:0", "127.0.0.1:65535" };
	static const char *bad[] = { "", "9464", ":9464", "localhost:9464", "127.0.0.1",
				     "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:80x", "::1:9464",
				     "[::1]9464", "[::1", "[::1]:", "1.2.3:80", "[127.0.0.1]:80",
				     "127.0.0.1:-1", "[]:80", "1.2.3.4.5:80" };
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err[0] = '\0';
		if (slo_http_parse_addr(good[i], &ss, &len, err, sizeof(err)))
			fail_msg("%s rejected: %s", good[i], err);
	}
	assert_int_equal(slo_http_parse_addr("[::1]:9464", &ss, &len, err, sizeof(err)), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 9464);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (!slo_http_parse_addr(bad[i], &ss, &len, err, sizeof(err)))
			fail_msg("%s accepted", bad[i]);
		assert_non_null(strstr(err, "expected IPv4:PORT or [IPv6]:PORT"));
		assert_null(strchr(err, '\n'));
	}
	assert_null(slo_http_start("localhost:9464", err, sizeof(err)));
	assert_non_null(strstr(err, "\"localhost:9464\": not a numeric IPv4 address"));
	/* what is quoted back stays one line (found by fuzz_http) */
	assert_int_equal(slo_http_parse_addr("[f\n0::1\"]:80", &ss, &len, err, sizeof(err)), -1);
	assert_null(strchr(err, '\n'));
	assert_non_null(strstr(err, "\"[f\\x0a0::1\\x22]:80\""));
}

static void test_bind_errors_and_ipv6(void **state)
{
	char addr[64], err[256];
	struct slo_http *h;

	/* the port srv holds */
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", slo_http_port(srv));
	assert_null(slo_http_start(addr, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot bind"));
	assert_non_null(strstr(err, "Address already in use"));

	/* IPv6 loopback: bind and stop only (no traffic) */
	h = slo_http_start("[::1]:0", err, sizeof(err));
	if (!h) {
		print_message("note: no IPv6 loopback here: %s\n", err);
		return;
	}
	assert_true(slo_http_port(h) > 0);
	slo_http_stop(h);
}

static void test_metrics_get(void **state)
{
	static char resp[65536];
	char ct[128], cl[32];
	const char *text = "# HELP x y\n# TYPE x gauge\nx 1\n";

	/* nothing published yet */
	assert_int_equal(get(slo_http_port(srv), "GET", "/metrics", resp, sizeof(resp)), 503);

	slo_http_set_metrics(srv, strdup(text), strlen(text));
	assert_int_equal(get(slo_http_port(srv), "GET", "/metrics", resp, sizeof(resp)), 200);
	assert_string_equal(loader_text(resp), text);
	assert_true(header(resp, "Content-Type", ct, sizeof(ct)));
	assert_string_equal(ct, "text/plain; version=0.0.4; charset=utf-8");
	assert_true(header(resp, "Content-Length", cl, sizeof(cl)));
	assert_int_equal(atoi(cl), strlen(body_of(resp)));
	/* the server's own samples follow the loader's */
	assert_true(sample_of(resp, "scx_slo_metrics_age_seconds") >= 0);
	assert_true(sample_of(resp, "scx_slo_metrics_age_seconds") < 5);
	assert_true(sample_of(resp, "scx_slo_http_connections") >= 1);
	assert_int_equal((int)sample_of(resp, "scx_slo_http_body_bytes"), strlen(text));

	/* a query string does not change the resource */
	assert_int_equal(get(slo_http_port(srv), "GET", "/metrics?name[]=x", resp, sizeof(resp)), 200);
	assert_string_equal(loader_text(resp), text);

	/* a new text replaces the old one */
	slo_http_set_metrics(srv, strdup("y 2\n"), 4);
	assert_int_equal(get(slo_http_port(srv), "GET", "/metrics", resp, sizeof(resp)), 200);
	assert_string_equal(loader_text(resp), "y 2\n");

	/* NULL server: the text is still freed (valgrind checks) */
	slo_http_set_metrics(NULL, strdup("z\n"), 2);
}

static void test_head(void **state)
{
	static char resp[8192];
	char cl[32], ct[128];

	assert_int_equal(get(slo_http_port(srv), "HEAD", "/metrics", resp, sizeof(resp)), 200);
	assert_string_equal(body_of(resp), "");
	assert_true(header(resp, "Content-Length", cl, sizeof(cl)));
	/* "y 2\n" and the server's samples */
	assert_true(atoi(cl) > 4 + (int)strlen(TRAILER_START));
	assert_true(header(resp, "Content-Type", ct, sizeof(ct)));
	assert_string_equal(ct, "text/plain; version=0.0.4; charset=utf-8");
	assert_int_equal(get(slo_http_port(srv), "HEAD", "/healthz", resp, sizeof(resp)), 503);
	assert_string_equal(body_of(resp), "");
}

static void test_methods(void **state)
{
	static const char *methods[] = { "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE",
					 "BREW" };
	static char resp[8192];
	char allow[64];
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		int st = get(slo_http_port(srv), methods[i], "/metrics", resp, sizeof(resp));

		if (st != 405)
			fail_msg("%s /metrics: %d, want 405", methods[i], st);
		assert_true(header(resp, "Allow", allow, sizeof(allow)));
		assert_string_equal(allow, "GET, HEAD");
	}
	assert_int_equal(get(slo_http_port(srv), "DELETE", "/healthz", resp, sizeof(resp)), 405);
	/* a POST with a body is refused before the body is read */
	assert_int_equal(request(slo_http_port(srv),
				 "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n"
				 "Connection: close\r\n\r\nhello world", resp, sizeof(resp)), 405);
}

static void test_not_found(void **state)
{
	static const char *paths[] = { "/nope", "/", "/metrics/", "/metrics/x", "/healthz/x",
				       "/METRICS", "/../metrics", "/v1", "/v1/admission/x",
				       "/v1/pressure/", "/V1/admission" };
	static char resp[8192];
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int st = get(slo_http_port(srv), "GET", paths[i], resp, sizeof(resp));

		if (st != 404)
			fail_msg("GET %s: %d, want 404", paths[i], st);
	}
}

static void test_body_refused(void **state)
{
	static char resp[8192];
	int st;

	st = request(slo_http_port(srv),
		     "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde", resp,
		     sizeof(resp));
	assert_int_equal(st, 413);
	st = request(slo_http_port(srv),
		     "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "5\r\nabcde\r\n0\r\n\r\n", resp, sizeof(resp));
	assert_int_equal(st, 413);
	/* Content-Length: 0 is no body */
	st = request(slo_http_port(srv),
		     "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		     resp, sizeof(resp));
	assert_int_equal(st, 200);
	/* garbage is MHD's business: 400, no crash */
	st = request(slo_http_port(srv), "\x01\x02garbage\r\n\r\n", resp, sizeof(resp));
	assert_true(st == 400 || st == -1);
}

#define BIG (64 * 1024)

/* @head, BIG bytes of @fill, @tail: sent on one connection, the status back. */
static int send_big(uint16_t port, const char *head, char fill, const char *tail,
		    char *resp, size_t cap)
{
	static char req[BIG + 256];
	size_t hl = strlen(head), tl = strlen(tail);
	int fd, st = 0;

	assert_true(hl + BIG + tl <= sizeof(req));
	memcpy(req, head, hl);
	memset(req + hl, fill, BIG);
	memcpy(req + hl + BIG, tail, tl);
	fd = connect_port(port);
	send_all(fd, req, hl + BIG + tl);
	recv_all(fd, resp, cap);
	close(fd);
	if (sscanf(resp, "HTTP/1.%*d %d", &st) != 1)
		return -1;
	return st;
}

static void test_big_header(void **state)
{
	static char resp[8192];
	int st;

	st = send_big(slo_http_port(srv), "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ", 'a',
		      "\r\nConnection: close\r\n\r\n", resp, sizeof(resp));
	if (st < 400 || st > 499)
		fail_msg("64 KiB header: status %d, want 4xx; got \"%.80s\"", st, resp);
	print_message("64 KiB header -> %d\n", st);

	/* a huge URL too */
	st = send_big(slo_http_port(srv), "GET /", 'u', " HTTP/1.1\r\nHost: x\r\n\r\n", resp,
		      sizeof(resp));
	if (st < 400 || st > 499)
		fail_msg("64 KiB URL: status %d, want 4xx", st);
	print_message("64 KiB URL -> %d\n", st);

	/* many small headers adding up to more than the connection's memory */
	{
		static char req[BIG + 256];
		size_t n = 0;
		int fd, i;

		n += (size_t)snprintf(req, sizeof(req), "GET /metrics HTTP/1.1\r\nHost: x\r\n");
		for (i = 0; i < 2000; i++)
			n += (size_t)snprintf(req + n, sizeof(req) - n, "X-H%d: %d\r\n", i, i);
		n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
		fd = connect_port(slo_http_port(srv));
		send_all(fd, req, n);
		recv_all(fd, resp, sizeof(resp));
		close(fd);
		st = 0;
		sscanf(resp, "HTTP/1.%*d %d", &st);
		if (st < 400 || st > 499)
			fail_msg("2000 headers: status %d, want 4xx", st);
	}

	/* still serving */
	assert_int_equal(get(slo_http_port(srv), "GET", "/metrics", resp, sizeof(resp)), 200);
}

static void test_slow_client(void **state)
{
	static const char half[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
	static char resp[8192];
	double t0, dt;
	char c;
	ssize_t r;
	int fd, idle;

	slo_http_set_metrics(srv_short, strdup("s 1\n"), 4);

	/* half a request, then nothing */
	fd = connect_port(slo_http_port(srv_short));
	/* a connection that never says anything */
	idle = connect_port(slo_http_port(srv_short));
	send_all(fd, half, strlen(half));
	t0 = now_s();
	r = recv(fd, &c, 1, 0);		/* blocks until the server drops us */
	dt = now_s() - t0;
	assert_true(r <= 0);
	print_message("stalled client dropped after %.2f s (timeout %d s)\n", dt, SHORT_TIMEOUT_S);
	assert_true(dt >= SHORT_TIMEOUT_S * 0.5);
	assert_true(dt < SHORT_TIMEOUT_S + 4);
	close(fd);

	r = recv(idle, &c, 1, 0);
	assert_true(r <= 0);
	assert_true(now_s() - t0 < SHORT_TIMEOUT_S + 4);
	close(idle);

	/* and others are still served */
	assert_int_equal(get(slo_http_port(srv_short), "GET", "/metrics", resp, sizeof(resp)), 200);
	assert_string_equal(loader_text(resp), "s 1\n");
}

static void test_concurrent(void **state)
{
	static int fds[NCONC];
	static size_t got[NCONC];
	static char bufs[NCONC][2048];
	static struct pollfd pfd[NCONC];
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
	static char resp[8192];
	struct rlimit rl;
	const char *text = "c 1000\n";
	int i, open_n = 0, ok = 0;
	double t0 = now_s();

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 2 * NCONC + 200) {
		rl.rlim_cur = rl.rlim_max;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	if (rl.rlim_cur < 2 * NCONC + 200)
		fail_msg("RLIMIT_NOFILE hard limit %llu too low for %d connections",
			 (unsigned long long)rl.rlim_max, NCONC);
	slo_http_set_metrics(srv, strdup(text), strlen(text));

	/* open all of them first: 1000 connections held at once, from 32 clients */
	for (i = 0; i < NCONC; i++)
		fds[i] = connect_from(slo_http_port(srv), 0x7f000201 + (uint32_t)(i % 32), 0);
	/* then a request on each, all outstanding together */
	for (i = 0; i < NCONC; i++) {
		send_all(fds[i], req, sizeof(req) - 1);
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
		pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		got[i] = 0;
	}
	open_n = NCONC;
	while (open_n && now_s() - t0 < 60) {
		int n = poll(pfd, NCONC, 1000);

		assert_true(n >= 0);
		for (i = 0; i < NCONC && n; i++) {
			ssize_t r;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			n--;
			r = recv(pfd[i].fd, bufs[i] + got[i], sizeof(bufs[i]) - 1 - got[i], 0);
			if (r > 0) {
				got[i] += (size_t)r;
				if (got[i] < sizeof(bufs[i]) - 1)
					continue;
			} else if (r < 0 && errno == EAGAIN) {
				continue;
			}
			bufs[i][got[i]] = '\0';
			close(pfd[i].fd);
			pfd[i].fd = -1;
			open_n--;
			if (!strncmp(bufs[i], "HTTP/1.1 200", 12) && !strcmp(loader_text(bufs[i]), text))
				ok++;
		}
	}
	for (i = 0; i < NCONC; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	print_message("%d concurrent connections: %d answered 200 in %.2f s\n", NCONC, ok,
		      now_s() - t0);
	assert_int_equal(open_n, 0);
	assert_int_equal(ok, NCONC);
	assert_int_equal(get(slo_http_port(srv), "GET", "/metrics", resp, sizeof(resp)), 200);
	assert_int_equal(get(slo_http_port(srv), "GET", "/healthz", resp, sizeof(resp)), 503);
}

static void test_healthz_host(void **state)
{
	static char resp[8192];
	const char *body;
	char ct[128];
	struct stat st;

	slo_http_set_health(srv, true, NULL);
	assert_int_equal(get(slo_http_port(srv), "GET", "/healthz", resp, sizeof(resp)), 503);
	body = body_of(resp);
	print_message("/healthz on this host: %s", body);
	assert_non_null(strstr(body, "sched_ext"));
	if (stat("/sys/kernel/sched_ext/state", &st))
		assert_non_null(strstr(body, "/sys/kernel/sched_ext/state: No such file or directory"));
	assert_null(strstr(body, "loader:"));
	assert_true(header(resp, "Content-Type", ct, sizeof(ct)));
	assert_string_equal(ct, "text/plain; charset=utf-8");

	slo_http_set_health(srv, false, "scheduler exited (ERROR_STALL)");
	assert_int_equal(get(slo_http_port(srv), "GET", "/healthz", resp, sizeof(resp)), 503);
	assert_non_null(strstr(body_of(resp), "loader: scheduler exited (ERROR_STALL)\n"));
}

static void test_healthz_fake(void **state)
{
	static char resp[8192];
	uint16_t port = slo_http_port(srv_fake);
	char path[128];

	/* not yet reported by the loader */
	assert_int_equal(get(port, "GET", "/healthz", resp, sizeof(resp)), 503);
	assert_non_null(strstr(body_of(resp), "loader: scheduler not attached yet\n"));

	slo_http_set_health(srv_fake, true, NULL);
	assert_int_equal(get(port, "GET", "/healthz", resp, sizeof(resp)), 200);
	assert_string_equal(body_of(resp), "ok\n");

	write_file(fake_dir, "state", "disabled\n");
	assert_int_equal(get(port, "GET", "/healthz", resp, sizeof(resp)), 503);
	assert_non_null(strstr(body_of(resp), "sched_ext: state is \"disabled\", not \"enabled\""));

	write_file(fake_dir, "state", "enabled\n");
	write_file(fake_dir, "root/ops", "rusty\n");
	assert_int_equal(get(port, "GET", "/healthz", resp, sizeof(resp)), 503);
	assert_non_null(strstr(body_of(resp), "sched_ext: attached scheduler is \"rusty\", not \"slo\""));

	snprintf(path, sizeof(path), "%s/root/ops", fake_dir);
	unlink(path);
	slo_http_set_health(srv_fake, false, "BPF maps unreadable");
	assert_int_equal(get(port, "GET", "/healthz", resp, sizeof(resp)), 503);
	assert_non_null(strstr(body_of(resp), "sched_ext: no BPF scheduler attached"));
	assert_non_null(strstr(body_of(resp), "\nloader: BPF maps unreadable\n"));

	write_file(fake_dir, "root/ops", "slo\n");
	slo_http_set_health(srv_fake, true, "");
	assert_int_equal(get(port, "GET", "/healthz", resp, sizeof(resp)), 200);
	assert_string_equal(body_of(resp), "ok\n");
}

/* Swapping the text while clients read: every body is one whole version. */
static atomic_int swapping;

static void *swapper(void *arg)
{
	unsigned int v = 0;

	while (swapping) {
		char *t = malloc(4096);
		int n;

		/* "v N\n" repeated: a torn body would mix two N */
		n = 0;
		while (n < 4000)
			n += snprintf(t + n, 4096 - (size_t)n, "v %u\n", v);
		slo_http_set_metrics(srv, t, (size_t)n);
		v++;
	}
	return NULL;
}

static void test_swap_under_load(void **state)
{
	static char resp[16384];
	char why[160] = "";
	pthread_t th;
	int i;

	/* a whole first version before any reader looks */
	slo_http_set_metrics(srv, strdup("v 0\n"), 4);
	swapping = 1;
	assert_int_equal(pthread_create(&th, NULL, swapper, NULL), 0);
	/* no asserts until the swapper is joined: a failure must not leave it running */
	for (i = 0; i < 300 && !why[0]; i++) {
		const char *b, *p;
		size_t fl;
		int st = get(slo_http_port(srv), "GET", "/metrics", resp, sizeof(resp));

		b = loader_text(resp);
		p = strchr(b, '\n');
		if (st != 200 || !p || strncmp(b, "v ", 2)) {
			snprintf(why, sizeof(why), "status %d, body \"%.40s\"", st, b);
			break;
		}
		fl = (size_t)(p - b + 1);
		for (p = b; *p; p += fl) {
			if (strncmp(p, b, fl)) {
				snprintf(why, sizeof(why), "torn body: \"%.*s\" then \"%.20s\"",
					 (int)fl - 1, b, p);
				break;
			}
		}
	}
	swapping = 0;
	pthread_join(th, NULL);
	if (why[0])
		fail_msg("%s", why);
}

static void test_stop_with_connections(void **state)
{
	char err[256];
	struct slo_http *h = slo_http_start("127.0.0.1:0", err, sizeof(err));
	int fds[20], i;
	double t0;

	assert_non_null(h);
	slo_http_set_metrics(h, strdup("q 1\n"), 4);
	for (i = 0; i < 20; i++)
		fds[i] = connect_port(slo_http_port(h));
	send_all(fds[0], "GET /metr", 9);
	t0 = now_s();
	slo_http_stop(h);
	assert_true(now_s() - t0 < 3);
	for (i = 0; i < 20; i++)
		close(fds[i]);
	slo_http_stop(NULL);
}

/* ---- bounds against hostile clients ---------------------------------------------- */

static struct slo_http *srv_bounds;	/* 1 s request deadline, 3 s lifetime, 1 s stall */
static struct slo_http *srv_mem;	/* 1 MiB of bodies held */
#define BOUNDS_REQUEST_S	1
#define BOUNDS_LIFETIME_S	3
#define BOUNDS_STALL_S		1

/* Wait up to @ms for the peer to close @fd: the seconds it took, or -1. */
static double wait_closed(int fd, int ms)
{
	double t0 = now_s();
	char buf[4096];

	while ((now_s() - t0) * 1000 < ms) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 50) <= 0)
			continue;
		r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN))
			return now_s() - t0;
	}
	return -1;
}

static void test_per_ip_limit(void **state)
{
	enum { N = SLO_HTTP_PER_IP_LIMIT + 8 };
	static char resp[8192];
	int fds[N], i, closed = 0, fd;

	slo_http_set_metrics(srv, strdup("p 1\n"), 4);
	for (i = 0; i < N; i++)
		fds[i] = connect_from(slo_http_port(srv), 0x7f000301, 0);
	/* the server closes those over the limit at once, keeps the others */
	for (i = 0; i < N; i++)
		if (wait_closed(fds[i], i < SLO_HTTP_PER_IP_LIMIT ? 100 : 2000) >= 0)
			closed++;
	print_message("%d connections from one address: %d closed at once (limit %d)\n", N,
		      closed, SLO_HTTP_PER_IP_LIMIT);
	assert_int_equal(closed, N - SLO_HTTP_PER_IP_LIMIT);
	/* another client is served meanwhile */
	fd = connect_from(slo_http_port(srv), 0x7f000302, 0);
	send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 53);
	recv_all(fd, resp, sizeof(resp));
	close(fd);
	assert_true(!strncmp(resp, "HTTP/1.1 200", 12));
	/* and the first one again once its connections are gone */
	for (i = 0; i < N; i++)
		close(fds[i]);
	usleep(300 * 1000);
	fd = connect_from(slo_http_port(srv), 0x7f000301, 0);
	send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 53);
	recv_all(fd, resp, sizeof(resp));
	close(fd);
	assert_true(!strncmp(resp, "HTTP/1.1 200", 12));
}

static void test_request_deadline(void **state)
{
	static const char half[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ";
	static const char full[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	struct slo_http_stats st0, st1;
	uint16_t port = slo_http_port(srv_bounds);
	double t0, dt = -1;
	char buf[4096];
	int fd;

	slo_http_get_stats(srv_bounds, &st0);
	slo_http_set_metrics(srv_bounds, strdup("d 1\n"), 4);

	/* a header trickled a byte every 200 ms is never idle, but is late */
	fd = connect_port(port);
	send_all(fd, half, strlen(half));
	t0 = now_s();
	while (now_s() - t0 < BOUNDS_REQUEST_S + 4) {
		send(fd, "a", 1, MSG_NOSIGNAL);
		if (wait_closed(fd, 200) >= 0) {
			dt = now_s() - t0;
			break;
		}
	}
	close(fd);
	print_message("trickled header cut after %.2f s (deadline %d s)\n", dt, BOUNDS_REQUEST_S);
	assert_true(dt >= BOUNDS_REQUEST_S * 0.8);
	assert_true(dt < BOUNDS_REQUEST_S + 2);

	/* nothing at all is late too (idle only after 10 s) */
	fd = connect_port(port);
	dt = wait_closed(fd, (BOUNDS_REQUEST_S + 4) * 1000);
	close(fd);
	print_message("silent connection cut after %.2f s\n", dt);
	assert_true(dt >= BOUNDS_REQUEST_S * 0.8);
	assert_true(dt < BOUNDS_REQUEST_S + 2);

	/*
	 * Answered in time: the connection stays open for the next request
	 * (a proxy's kept-alive upstream), and that request has a deadline
	 * of its own, counted from the last answer.
	 */
	fd = connect_port(port);
	send_all(fd, full, strlen(full));
	assert_true(recv(fd, buf, sizeof(buf), 0) > 0);
	assert_true(wait_closed(fd, 500) < 0);
	send_all(fd, full, strlen(full));
	assert_true(recv(fd, buf, sizeof(buf), 0) > 0);
	assert_true(!strncmp(buf, "HTTP/1.1 200", 12));
	dt = wait_closed(fd, (BOUNDS_REQUEST_S + 4) * 1000);
	close(fd);
	print_message("kept-alive connection answered twice, then cut %.2f s after its last answer\n", dt);
	assert_true(dt >= BOUNDS_REQUEST_S * 0.8);
	assert_true(dt < BOUNDS_REQUEST_S + 2);

	slo_http_get_stats(srv_bounds, &st1);
	assert_int_equal(st1.closed_request_deadline - st0.closed_request_deadline, 3);
}

/* A body of @kb KiB whose lines all carry @v. */
static char *big_body(size_t kb, unsigned int v, size_t *len)
{
	char *t = malloc(kb * 1024 + 64);
	size_t n = 0;

	assert_non_null(t);
	while (n < kb * 1024)
		n += (size_t)snprintf(t + n, kb * 1024 + 64 - n, "big_%08u %zu\n", v, n);
	*len = n;
	return t;
}

static void test_lifetime(void **state)
{
	struct slo_http_stats st0, st1;
	double t0, dt = -1;
	size_t len, got = 0;
	char *t = big_body(1024, 1, &len), buf[4096];
	int fd;

	slo_http_get_stats(srv_bounds, &st0);
	slo_http_set_metrics(srv_bounds, t, len);
	/* a reader that keeps taking 4 KiB every 100 ms: 1 MiB takes 25 s */
	fd = connect_from(slo_http_port(srv_bounds), INADDR_LOOPBACK, 4096);
	send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 35);
	t0 = now_s();
	while (now_s() - t0 < BOUNDS_LIFETIME_S + 5) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);

		if (r <= 0) {
			dt = now_s() - t0;
			break;
		}
		got += (size_t)r;
		usleep(100 * 1000);
	}
	close(fd);
	print_message("slow reader cut after %.2f s and %zu bytes (lifetime %d s)\n", dt, got,
		      BOUNDS_LIFETIME_S);
	assert_true(dt >= BOUNDS_LIFETIME_S - 1);
	assert_true(dt < BOUNDS_LIFETIME_S + 2);
	assert_true(got < len);
	slo_http_get_stats(srv_bounds, &st1);
	assert_int_equal(st1.closed_lifetime - st0.closed_lifetime, 1);
}

static void test_body_memory(void **state)
{
	enum { VERSIONS = 8, KB = 512 };
	struct slo_http_stats st;
	int fds[VERSIONS], i, cut = 0;
	double t0;

	for (i = 0; i < VERSIONS; i++) {
		size_t len;
		char *t = big_body(KB, (unsigned int)i, &len);

		slo_http_set_metrics(srv_mem, t, len);
		/* a reader that never reads: it pins the version it asked for */
		fds[i] = connect_from(slo_http_port(srv_mem), 0x7f000401 + (uint32_t)i, 2048);
		send_all(fds[i], "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 35);
		/* its first bytes: the server has taken its reference */
		t0 = now_s();
		while (now_s() - t0 < 5) {
			char c;

			if (recv(fds[i], &c, 1, MSG_PEEK | MSG_DONTWAIT) == 1)
				break;
			usleep(10 * 1000);
		}
	}
	/* the cap is 1 MiB: the latest two versions stay, readers of the rest are cut */
	t0 = now_s();
	do {
		usleep(50 * 1000);
		slo_http_get_stats(srv_mem, &st);
	} while (st.body_bytes > (1 << 20) + 1024 && now_s() - t0 < 5);
	print_message("%d versions of %d KiB pinned by readers: %u held (%zu bytes) after the cap, %llu readers cut\n",
		      VERSIONS, KB, st.bodies, st.body_bytes,
		      (unsigned long long)st.closed_body_memory);
	assert_true(st.body_bytes <= (1 << 20) + 1024);
	assert_int_equal(st.bodies, 2);
	assert_int_equal(st.closed_body_memory, VERSIONS - 2);
	for (i = 0; i < VERSIONS; i++) {
		bool closed = wait_closed(fds[i], i < VERSIONS - 2 ? 2000 : 0) >= 0;

		if (closed)
			cut++;
		if (i >= VERSIONS - 2)
			assert_false(closed);
		close(fds[i]);
	}
	assert_int_equal(cut, VERSIONS - 2);
}

static void test_stalled_loader(void **state)
{
	static char resp[8192];
	uint16_t port = slo_http_port(srv_bounds);

	slo_http_set_health(srv_bounds, true, NULL);
	assert_int_equal(get(port, "GET", "/healthz", resp, sizeof(resp)), 200);
	usleep((BOUNDS_STALL_S * 1000 + 600) * 1000);
	assert_int_equal(get(port, "GET", "/healthz", resp, sizeof(resp)), 503);
	print_message("/healthz, no heartbeat: %s", body_of(resp));
	assert_non_null(strstr(body_of(resp), "loader: its main loop has not completed a pass for"));
	slo_http_heartbeat(srv_bounds);
	assert_int_equal(get(port, "GET", "/healthz", resp, sizeof(resp)), 200);
	assert_string_equal(body_of(resp), "ok\n");
	/* an unhealthy loader says why, with or without heartbeats */
	slo_http_set_health(srv_bounds, false, "scheduler detached: UNREG");
	assert_int_equal(get(port, "GET", "/healthz", resp, sizeof(resp)), 503);
	assert_string_equal(body_of(resp), "loader: scheduler detached: UNREG\n");
	slo_http_heartbeat(NULL);
}

static void test_metrics_age(void **state)
{
	static char resp[8192];
	uint16_t port = slo_http_port(srv_bounds);
	double age;

	slo_http_set_metrics(srv_bounds, strdup("a 1\n"), 4);
	usleep(1200 * 1000);
	assert_int_equal(get(port, "GET", "/metrics", resp, sizeof(resp)), 200);
	age = sample_of(resp, "scx_slo_metrics_age_seconds");
	print_message("age of a body published 1.2 s before: %.3f s\n", age);
	assert_true(age >= 1.1 && age < 3);
	slo_http_set_metrics(srv_bounds, strdup("a 2\n"), 4);
	assert_int_equal(get(port, "GET", "/metrics", resp, sizeof(resp)), 200);
	assert_true(sample_of(resp, "scx_slo_metrics_age_seconds") < 0.5);
}

/* promtool (tests/setup.sh installs it) accepts the loader's text plus ours. */
static void test_promtool(void **state)
{
	static const char text[] = "# HELP scx_slo_x A sample.\n# TYPE scx_slo_x gauge\nscx_slo_x 1\n";
	static char resp[8192];

	slo_http_set_metrics(srv, strdup(text), strlen(text));
	assert_int_equal(get(slo_http_port(srv), "GET", "/metrics", resp, sizeof(resp)), 200);
	promtool_check_metrics(body_of(resp));
}

/* ---- /v1/admission, /v1/pressure ---------------------------------------------------- */

/*
 * A shed signal with /hot overloaded (50% misses on a busy node: the
 * probability at its cap) and /calm without misses, last updated @age_s
 * seconds ago on the server's clock.
 */
static struct slo_shed *shed_signal(double age_s)
{
	struct slo_shed_sample smp[2] = {
		{ .path = "/hot", .budget_ns = 10000000 },
		{ .path = "/calm", .budget_ns = 5000000 },
	};
	struct slo_shed_params p;
	struct slo_shed *shed;
	double t = now_s() - age_s - 20;
	int i;

	slo_shed_params_default(&p, 0.01, 1.0);
	shed = slo_shed_new(&p);
	assert_non_null(shed);
	for (i = 0; i <= 20; i++) {
		smp[0].runs += 1000;
		smp[0].misses += 500;
		smp[0].delay_hist[10] += 500;
		smp[0].delay_hist[16] += 500;
		smp[1].runs += 1000;
		smp[1].delay_hist[8] += 1000;
		assert_int_equal(slo_shed_update(shed, t + i, smp, 2, 1.0), 0);
	}
	return shed;
}

static struct slo_http *srv_shed;	/* answers from shed_now */
static struct slo_shed *shed_now;

/* srv_shed answers from shed_signal(@age_s) from now on. */
static void use_signal(double age_s)
{
	struct slo_shed *old = shed_now;

	shed_now = shed_signal(age_s);
	slo_http_set_shed(srv_shed, shed_now);
	slo_shed_free(old);
}

/* A key that the server sheds (@want_shed) or admits for /hot. */
static void find_key(bool want_shed, char *key, size_t len)
{
	static char resp[4096], path[128];
	int k;

	for (k = 0; k < 1000; k++) {
		snprintf(key, len, "k%d", k);
		snprintf(path, sizeof(path), "/v1/admission?cgroup=/hot&key=%s", key);
		if ((get(slo_http_port(srv_shed), "GET", path, resp, sizeof(resp)) == 503) == want_shed)
			return;
	}
	fail_msg("no key %s in 1000", want_shed ? "shed" : "admitted");
}

static void test_admission_bad_cgroup(void **state)
{
	static const char *paths[] = {
		"/v1/admission", "/v1/admission?cgroup=", "/v1/admission?cgroup=web",
		"/v1/admission?cgroup=/a/../b", "/v1/admission/auth?cgroup=%0a%1b",
		"/v1/pressure", "/v1/pressure?cgroup=./x", "/v1/admission?key=a",
	};
	static char resp[4096];
	const char *b;
	size_t i;

	(void)state;
	use_signal(0);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int st = get(slo_http_port(srv_shed), "GET", paths[i], resp, sizeof(resp));

		if (st != 400)
			fail_msg("GET %s: %d, want 400", paths[i], st);
		b = body_of(resp);
		/* one line naming the problem */
		assert_non_null(strstr(b, "cgroup"));
		assert_true(strlen(b) > 1 && strchr(b, '\n') == b + strlen(b) - 1);
		assert_null(strchr(b, '\x1b'));
	}
}

static void test_admission_admits(void **state)
{
	static const struct { const char *path, *reason; } cases[] = {
		{ "/v1/admission?cgroup=/calm", "ok" },
		{ "/v1/admission/auth?cgroup=/calm&key=x", "ok" },
		{ "/v1/admission?cgroup=//calm/", "ok" },
		{ "/v1/admission?cgroup=/nope", "unknown" },
		{ "/v1/admission/auth?cgroup=/nope", "unknown" },
	};
	static char resp[4096];
	char val[64];
	size_t i;

	(void)state;
	use_signal(0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st = get(slo_http_port(srv_shed), "GET", cases[i].path, resp, sizeof(resp));

		if (st != 204)
			fail_msg("GET %s: %d, want 204", cases[i].path, st);
		assert_true(header(resp, "X-SCX-SLO-Reason", val, sizeof(val)));
		assert_string_equal(val, cases[i].reason);
		assert_false(header(resp, "Retry-After", val, sizeof(val)));
	}
	/* a server with no signal admits everything */
	assert_int_equal(get(slo_http_port(srv), "GET", "/v1/admission?cgroup=/hot", resp,
			     sizeof(resp)), 204);
	assert_true(header(resp, "X-SCX-SLO-Reason", val, sizeof(val)));
	assert_string_equal(val, "unknown");
}

static void test_admission_sheds(void **state)
{
	static char resp[4096], path[128];
	char key[32], val[64], *end;
	unsigned long retry;
	int i, shed = 0;

	(void)state;
	use_signal(0);
	find_key(true, key, sizeof(key));
	snprintf(path, sizeof(path), "/v1/admission?cgroup=/hot&key=%s", key);
	/* the same key, the same answer */
	for (i = 0; i < 5; i++)
		assert_int_equal(get(slo_http_port(srv_shed), "GET", path, resp, sizeof(resp)), 503);
	assert_true(header(resp, "Retry-After", val, sizeof(val)));
	retry = strtoul(val, &end, 10);
	assert_true(!*end && retry >= 1 && retry <= SLO_SHED_RETRY_AFTER_MAX_S);
	assert_true(header(resp, "X-SCX-SLO-Reason", val, sizeof(val)));
	assert_string_equal(val, "misses");
	assert_true(header(resp, "X-SCX-SLO-Shed-Probability", val, sizeof(val)));
	assert_true(fabs(strtod(val, NULL) - SLO_SHED_MAX_PROBABILITY) < 1e-3);

	/* auth_request's variant: 403, same headers */
	snprintf(path, sizeof(path), "/v1/admission/auth?cgroup=/hot&key=%s", key);
	assert_int_equal(get(slo_http_port(srv_shed), "GET", path, resp, sizeof(resp)), 403);
	assert_true(header(resp, "Retry-After", val, sizeof(val)));
	assert_true(header(resp, "X-SCX-SLO-Reason", val, sizeof(val)));
	assert_string_equal(val, "misses");

	find_key(false, key, sizeof(key));
	snprintf(path, sizeof(path), "/v1/admission/auth?cgroup=/hot&key=%s", key);
	assert_int_equal(get(slo_http_port(srv_shed), "GET", path, resp, sizeof(resp)), 204);

	/* without a key: random, at about the probability */
	for (i = 0; i < 200; i++)
		shed += get(slo_http_port(srv_shed), "GET", "/v1/admission?cgroup=/hot", resp,
			    sizeof(resp)) == 503;
	assert_true(shed > 170 && shed < 200);
}

/* The number after "@name": in a JSON body; NAN when absent. */
static double json_num(const char *body, const char *name)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", name);
	p = strstr(body, pat);
	return p ? strtod(p + strlen(pat), NULL) : NAN;
}

static void json_valid(const char *body)
{
	char cmd[] = "python3 -c 'import json,sys; json.load(sys.stdin)'";
	FILE *f = popen(cmd, "w");

	assert_non_null(f);
	fputs(body, f);
	assert_int_equal(pclose(f), 0);
}

static void test_pressure(void **state)
{
	static char resp[4096];
	const char *b;
	char val[64];

	(void)state;
	use_signal(0);
	assert_int_equal(get(slo_http_port(srv_shed), "GET", "/v1/pressure?cgroup=/hot", resp,
			     sizeof(resp)), 200);
	assert_true(header(resp, "Content-Type", val, sizeof(val)));
	assert_string_equal(val, "application/json");
	b = body_of(resp);
	json_valid(b);
	assert_non_null(strstr(b, "\"cgroup\":\"/hot\""));
	assert_non_null(strstr(b, "\"reason\":\"misses\""));
	assert_true(fabs(json_num(b, "shed_probability") - SLO_SHED_MAX_PROBABILITY) < 1e-3);
	assert_true(json_num(b, "age_seconds") >= 0 && json_num(b, "age_seconds") < 3);
	assert_true(json_num(b, "ttl_seconds") > 0 && json_num(b, "ttl_seconds") <= 3);
	assert_true(fabs(json_num(b, "miss_ratio") - 0.5) < 1e-3);
	assert_true(fabs(json_num(b, "budget_seconds") - 0.01) < 1e-9);
	assert_true(json_num(b, "queue_delay_p99_seconds") > 0.01);

	use_signal(0);
	assert_int_equal(get(slo_http_port(srv_shed), "GET", "/v1/pressure?cgroup=/calm", resp,
			     sizeof(resp)), 200);
	b = body_of(resp);
	json_valid(b);
	assert_true(json_num(b, "shed_probability") == 0);
	assert_non_null(strstr(b, "\"reason\":\"ok\""));

	/* a name with quotes, backslashes and control bytes stays valid JSON */
	use_signal(0);	/* json_valid() starts a Python: seconds on a loaded host */
	assert_int_equal(get(slo_http_port(srv_shed), "GET",
			     "/v1/pressure?cgroup=/a%22b%5Cc%01%C3%A9", resp, sizeof(resp)), 200);
	b = body_of(resp);
	json_valid(b);
	assert_non_null(strstr(b, "\"known\":false"));
	assert_non_null(strstr(b, "\"reason\":\"unknown\""));
}

static void test_stale_admits(void **state)
{
	static char resp[4096];
	char val[64];
	int i;

	(void)state;
	use_signal(10);
	for (i = 0; i < 50; i++) {
		assert_int_equal(get(slo_http_port(srv_shed), "GET", "/v1/admission?cgroup=/hot",
				     resp, sizeof(resp)), 204);
		assert_true(header(resp, "X-SCX-SLO-Reason", val, sizeof(val)));
		assert_string_equal(val, "stale");
	}
	assert_int_equal(get(slo_http_port(srv_shed), "GET", "/v1/admission/auth?cgroup=/hot",
			     resp, sizeof(resp)), 204);
	assert_int_equal(get(slo_http_port(srv_shed), "GET", "/v1/pressure?cgroup=/hot", resp,
			     sizeof(resp)), 200);
	assert_true(json_num(body_of(resp), "shed_probability") == 0);
	assert_true(json_num(body_of(resp), "ttl_seconds") == 0);
	assert_non_null(strstr(body_of(resp), "\"stale\":true"));
}

/* ---- fixtures ---------------------------------------------------------------------- */

static int setup(void **state)
{
	struct slo_http_opts short_opts = { .timeout_s = SHORT_TIMEOUT_S };
	struct slo_http_opts fake_opts = { .sched_ext_dir = fake_dir };
	struct slo_http_opts bounds_opts = {
		.sched_ext_dir = fake_dir,
		.request_timeout_s = BOUNDS_REQUEST_S,
		.lifetime_s = BOUNDS_LIFETIME_S,
		.stall_s = BOUNDS_STALL_S,
	};
	struct slo_http_opts mem_opts = { .body_memory = 1 << 20 };
	char err[256], root[128];

	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(fake_dir))
		return -1;
	snprintf(root, sizeof(root), "%s/root", fake_dir);
	if (mkdir(root, 0755))
		return -1;
	write_file(fake_dir, "state", "enabled\n");
	write_file(fake_dir, "root/ops", "slo\n");

	srv = slo_http_start("127.0.0.1:0", err, sizeof(err));
	if (!srv) {
		fprintf(stderr, "start: %s\n", err);
		return -1;
	}
	srv_short = slo_http_start_opts("127.0.0.1:0", &short_opts, err, sizeof(err));
	srv_fake = slo_http_start_opts("127.0.0.1:0", &fake_opts, err, sizeof(err));
	srv_bounds = slo_http_start_opts("127.0.0.1:0", &bounds_opts, err, sizeof(err));
	srv_mem = slo_http_start_opts("127.0.0.1:0", &mem_opts, err, sizeof(err));
	srv_shed = slo_http_start("127.0.0.1:0", err, sizeof(err));
	if (!srv_short || !srv_fake || !srv_bounds || !srv_mem || !srv_shed) {
		fprintf(stderr, "start: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	slo_http_stop(srv);
	slo_http_stop(srv_short);
	slo_http_stop(srv_fake);
	slo_http_stop(srv_bounds);
	slo_http_stop(srv_mem);
	slo_http_stop(srv_shed);
	slo_shed_free(shed_now);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_dir);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_bind_errors_and_ipv6),
		cmocka_unit_test(test_metrics_get),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_body_refused),
		cmocka_unit_test(test_big_header),
		cmocka_unit_test(test_slow_client),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_healthz_host),
		cmocka_unit_test(test_healthz_fake),
		cmocka_unit_test(test_swap_under_load),
		cmocka_unit_test(test_stop_with_connections),
		cmocka_unit_test(test_per_ip_limit),
		cmocka_unit_test(test_request_deadline),
		cmocka_unit_test(test_lifetime),
		cmocka_unit_test(test_body_memory),
		cmocka_unit_test(test_stalled_loader),
		cmocka_unit_test(test_metrics_age),
		cmocka_unit_test(test_promtool),
		cmocka_unit_test(test_admission_bad_cgroup),
		cmocka_unit_test(test_admission_admits),
		cmocka_unit_test(test_admission_sheds),
		cmocka_unit_test(test_pressure),
		cmocka_unit_test(test_stale_admits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
