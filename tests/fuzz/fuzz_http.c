// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the HTTP request path: each input is sent as the
 * raw bytes of one client connection to the real server (loader/http.c on
 * libmicrohttpd, in manual mode: no thread, the harness drives it), over a
 * socketpair, and the answer is checked: a well-formed status line with a
 * status this server can give, 200 only for GET or HEAD of /metrics,
 * /healthz or /v1/pressure, 204 and 403 only for GET or HEAD of
 * /v1/admission, our answers no longer than their Content-Length says, and
 * every connection gone afterwards (no slot leaks across inputs).
 *
 * An input starting with "@" is instead an address for
 * slo_http_parse_addr() (the --metrics argument): accepted ones are a real
 * IPv4 or IPv6 socket address, refused ones get one line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PASSES		200	/* server passes per input, at most */

static struct slo_http *srv;
static unsigned long inputs;

/* A broken contract: say which before the crash libFuzzer records. */
__attribute__((noreturn))
static void broken(const char *what)
{
	fprintf(stderr, "fuzz_http: %s\n", what);
	abort();
}

static void fake_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static void start(void)
{
	static char dir[] = "/tmp/fuzz_http.XXXXXX";
	struct slo_http_opts o = { .sched_ext_dir = dir, .manual = true };
	char path[64], err[256];

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/root", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/state", dir);
	fake_file(path, "enabled\n");
	snprintf(path, sizeof(path), "%s/root/ops", dir);
	fake_file(path, "slo\n");
	srv = slo_http_start_opts("127.0.0.1:0", &o, err, sizeof(err));
	if (!srv) {
		fprintf(stderr, "fuzz_http: %s\n", err);
		abort();
	}
	slo_http_set_health(srv, true, NULL);
}

/* A new body now and then: answers in flight keep the old one. */
static void publish(void)
{
	char *t = malloc(256);
	int n;

	if (!t)
		abort();
	n = snprintf(t, 256, "# HELP fuzz_x A sample.\n# TYPE fuzz_x gauge\nfuzz_x %lu\n", inputs);
	slo_http_set_metrics(srv, t, (size_t)n);
}

static void check_addr(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	char *s = malloc(size + 1), err[512];

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	err[0] = '\0';
	if (!slo_http_parse_addr(s, &ss, &len, err, sizeof(err))) {
		if (ss.ss_family == AF_INET && len != sizeof(struct sockaddr_in))
			broken("IPv4 address of the wrong length");
		if (ss.ss_family == AF_INET6 && len != sizeof(struct sockaddr_in6))
			broken("IPv6 address of the wrong length");
		if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
			broken("accepted address of another family");
	} else if (!err[0] || strchr(err, '\n')) {
		broken("refused address without one line of error");
	}
	free(s);
}

/*
 * Is the request line of @req a GET or HEAD of a path starting with one of
 * @paths (NULL-terminated), read
 * as leniently as libmicrohttpd 0.9.75 does: empty lines before it skipped
 * (RFC 9112 2.2; a line is read as a C string, so one starting with a NUL
 * is empty too), the method ending at the first space and read as a C
 * string (so "GET\0\t\0 /metrics" is a GET), then a run of spaces or tabs.
 */
static void request_line(const uint8_t *req, size_t n, const char **method, size_t *method_len,
			 const char **target, const char **line_end)
{
	const char *p = (const char *)req, *end, *m;

	for (;;) {
		const char *nl = memchr(p, '\n', n);

		if (!nl || !(*p == '\0' || *p == '\n' || (*p == '\r' && p + 1 == nl)))
			break;
		n -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
	end = memchr(p, '\n', n);
	if (!end)
		end = p + n;
	m = p;
	while (p < end && *p != ' ')
		p++;
	*method = m;
	*method_len = strnlen(m, (size_t)(p - m));
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	*target = p;
	*line_end = end;
}

static bool get_of(const uint8_t *req, size_t n, const char *const *paths)
{
	const char *end, *m, *t;
	size_t ml;

	request_line(req, n, &m, &ml, &t, &end);
	if (!((ml == 3 && !memcmp(m, "GET", 3)) || (ml == 4 && !memcmp(m, "HEAD", 4))))
		return false;
	for (; *paths; paths++) {
		size_t pl = strlen(*paths);

		if ((size_t)(end - t) >= pl && !memcmp(t, *paths, pl))
			return true;
	}
	return false;
}

static const char *const ok_paths[] = { "/metrics", "/healthz", "/v1/pressure", NULL };
static const char *const admission[] = { "/v1/admission", NULL };

/* The answer to @req (the input), as far as the server sent it. */
static void check_answer(const uint8_t *req, size_t reqlen, const char *resp, size_t n)
{
	const char *end, *cl;
	int status = 0;

	if (!n)
		return;		/* closed without a word: MHD does that for garbage */
	if (n < 12 || strncmp(resp, "HTTP/1.", 7) || sscanf(resp + 9, "%3d", &status) != 1)
		broken("no status line");
	switch (status) {
	case 200: case 204: case 400: case 403: case 404: case 405: case 413: case 414: case 417:
	case 431: case 500: case 501: case 503: case 505:
		break;
	default:
		fprintf(stderr, "fuzz_http: status %d\n", status);
		broken("a status this server does not give");
	}
	if (status == 200 && !get_of(req, reqlen, ok_paths))
		broken("200 for something other than GET or HEAD of /metrics, /healthz or /v1/pressure");
	if ((status == 204 || status == 403) && !get_of(req, reqlen, admission))
		broken("204 or 403 for something other than GET or HEAD of /v1/admission");
	/*
	 * Only our own answers: libmicrohttpd 0.9.75's error pages are not
	 * always framed (a bad Content-Length gets its 400 header twice).
	 */
	if (status != 200 && status != 204 && status != 403 && status != 404 && status != 405 &&
	    status != 503)
		return;
	/*
	 * A kept-alive connection answers the requests pipelined after the
	 * first as well: whatever follows the first answer's body (none for
	 * HEAD) must be the next answer, not more body.
	 */
	end = memmem(resp, n, "\r\n\r\n", 4);
	cl = memmem(resp, end ? (size_t)(end - resp) : n, "Content-Length: ", 16);
	if (end && cl) {
		const char *m, *t, *line_end, *sp;
		size_t ml, raw_ml, body, rest = (size_t)(resp + n - (end + 4));

		request_line(req, reqlen, &m, &ml, &t, &line_end);
		/*
		 * libmicrohttpd leaves out the body only for a method of exactly
		 * "HEAD": "HEAD\0\0" passes the handler's strcmp() as HEAD (so
		 * get_of() takes it for one) but is answered with its body,
		 * framed by its Content-Length.  So the raw method here.
		 */
		sp = memchr(m, ' ', (size_t)(line_end - m));
		raw_ml = sp ? (size_t)(sp - m) : (size_t)(line_end - m);
		body = raw_ml == 4 && !memcmp(m, "HEAD", 4) ? 0 : strtoull(cl + 16, NULL, 10);
		if (rest > body && (rest - body < 7 || strncmp(end + 4 + body, "HTTP/1.", 7)))
			broken("a body longer than its Content-Length");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(40000) };
	struct slo_http_stats st;
	static char resp[65536];
	size_t got = 0, sent = 0;
	int sv[2], i;
	bool closed = false;

	if (!srv)
		start();
	if (size && data[0] == '@') {
		check_addr(data + 1, size - 1);
		return 0;
	}
	if (inputs++ % 64 == 0)
		publish();
	slo_http_heartbeat(srv);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		abort();
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (slo_http_add_connection(srv, sv[0], (struct sockaddr *)&peer, sizeof(peer))) {
		close(sv[1]);
		return 0;
	}
	for (i = 0; i < PASSES && !closed; i++) {
		ssize_t r;

		if (sent < size) {
			r = send(sv[1], data + sent, size - sent, MSG_NOSIGNAL);
			if (r > 0)
				sent += (size_t)r;
		}
		slo_http_run(srv, 0);
		while ((r = recv(sv[1], resp + got, sizeof(resp) - 1 - got, 0)) > 0)
			got += (size_t)r;
		if (r == 0 || (r < 0 && errno != EAGAIN))
			closed = true;
		if (got == sizeof(resp) - 1)
			break;
	}
	resp[got] = '\0';
	check_answer(data, size, resp, got);
	/* an incomplete request waits for more: hang up, and the slot must free */
	close(sv[1]);
	for (i = 0; i < PASSES; i++) {
		slo_http_run(srv, 0);
		slo_http_get_stats(srv, &st);
		if (!st.connections)
			break;
	}
	if (st.connections)
		broken("the connection outlived its client");
	return 0;
}
