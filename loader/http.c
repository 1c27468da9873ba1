// SPDX-License-Identifier: GPL-2.0
/*
 * /metrics and /healthz on libmicrohttpd.
 *
 * Threading: one thread of ours runs MHD's epoll loop (MHD_USE_EPOLL,
 * driven by MHD_run) and, between passes, enforces the deadlines MHD does
 * not have.  Every answer is either a shared in-memory body or a few
 * hundred bytes built from two small sysfs reads, so one thread serves
 * thousands of connections, bounds the HTTP side to one CPU whatever the
 * load, and has no FD_SETSIZE limit.  Thread-per-connection would turn 1000
 * connections into 1000 threads (stacks, scheduling work) for nothing.
 *
 * Bounds against hostile clients.  MHD limits connections (in all and per
 * source address), idle time and each connection's memory pool.  What MHD
 * cannot do we do from the same thread, so no connection can go away under
 * us: every connection is listed from accept (MHD's connection notifier)
 * until MHD has closed it, with its accept time and the deadline for its
 * next request; a connection past its request deadline (slowloris: a
 * header trickled a byte at a time never goes idle) or its lifetime (a
 * reader taking a window's worth every few seconds) is shut down, and MHD
 * then sees EOF and closes it.  The socket is always still open then: MHD
 * reports the close before it closes the descriptor.
 *
 * /metrics bodies: each text the loader publishes is one reference-counted
 * body, and each answer is a small MHD response over two buffers (zero
 * copy): the shared body and a trailer of a few samples made per request
 * (the data's age, the server's own counters).  A slow reader therefore
 * pins the version it started on, not a copy; versions superseded while
 * still being read are the only memory readers can pile up, and once they
 * exceed the cap the readers of the oldest ones are cut.
 *
 * We bind the listening socket ourselves and hand it to MHD, so the address
 * is exactly the one asked for (IPV6_V6ONLY for IPv6), errors name the
 * cause, and port 0 works.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "cgroup.h"
#include "duration.h"
#include "escape.h"
#include "health.h"
#include "http.h"
#include "scx_slo.h"
#include "shed.h"

#define HEALTH_REASON_LEN	256
#define LISTEN_BACKLOG		4096	/* the kernel caps it at somaxconn */
#define LOG_WINDOW_S		60	/* at most LOG_PER_WINDOW MHD messages */
#define LOG_PER_WINDOW		10	/* per LOG_WINDOW_S seconds */
#define TICK_MS			250	/* deadlines are checked this often */
#define MAX_CUT_PER_TICK	64	/* body versions cut in one check */

#define CT_METRICS		"text/plain; version=0.0.4; charset=utf-8"
#define CT_TEXT			"text/plain; charset=utf-8"

/* One published /metrics text, shared by every answer that sends it. */
struct body {
	struct body *prev, *next;	/* h->bodies, oldest first */
	unsigned int refs;		/* h->cur's, plus one per answer; h->lock */
	bool cut;			/* its readers were cut to free it */
	uint64_t seq;			/* from 1 */
	double made;			/* CLOCK_MONOTONIC, s */
	size_t len;
	char *text;
};

/* One client connection, from accept until MHD closes it (HTTP thread). */
struct conn {
	struct conn *prev, *next;
	struct conn *wprev, *wnext;	/* h->waiting, while it is */
	bool waiting;			/* for its request: the evictable ones */
	int fd;
	double accepted;
	double request_by;		/* 0 while a request is being answered */
	uint64_t body_seq;		/* the body it is sending, 0 for none */
	bool cut;
};

/* A /metrics answer: frees the trailer and drops the body reference. */
struct reply {
	struct slo_http *h;
	struct body *body;
	char trailer[];
};

enum cut_reason { CUT_REQUEST_DEADLINE, CUT_LIFETIME, CUT_BODY_MEMORY, CUT_EVICTED, CUT_REASONS };

struct slo_http {
	struct MHD_Daemon *mhd;
	uint16_t port;
	char sched_ext_dir[PATH_MAX];
	bool no_sched_ext;
	unsigned int request_timeout_s, lifetime_s, stall_s;
	size_t body_memory;
	bool manual;

	pthread_t thread;
	bool thread_started;
	int epoll_fd;			/* MHD's */
	int stop_fd;			/* eventfd: stop the thread */
	double next_tick;

	/* HTTP thread only (and slo_http_stop after the thread ended) */
	struct conn *conns;
	struct conn *wait_head, *wait_tail;	/* waiting for a request, oldest first */
	unsigned int nr_tracked, soft_limit;

	pthread_mutex_t lock;		/* guards the fields below */
	struct slo_shed *shed;		/* the admission signal; NULL: admit all */
	struct body *bodies, *bodies_tail;
	struct body *cur;		/* the latest body; NULL before the first */
	uint64_t next_seq;
	size_t body_bytes;
	unsigned int nr_bodies;
	bool healthy;
	char reason[HEALTH_REASON_LEN];
	double last_beat;		/* CLOCK_MONOTONIC, s */
	unsigned int nr_conns;
	uint64_t cuts[CUT_REASONS];

	pthread_mutex_t log_lock;	/* rate limit of MHD's messages */
	time_t log_sec;
	unsigned int log_n, log_dropped;
};

static double now_s(void)
{
	return (double)slo_mono_ns() / 1e9;
}

/* ---- address parsing and binding ----------------------------------------------- */

/*
 * The argument as it may be quoted back: control bytes, quotes and
 * backslashes escaped, long ones cut, so that the error stays one line.
 */
static void quote_arg(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; s && *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (o >= 96) {
			o += (size_t)snprintf(out + o, len - o, "...");
			break;
		}
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o < len ? o : len - 1] = '\0';
}

static int addr_fail(char *err, size_t errlen, const char *addr_port, const char *why)
{
	char q[128];

	if (err && errlen) {
		quote_arg(addr_port, q, sizeof(q));
		snprintf(err, errlen,
			 "invalid address \"%s\": %s; expected IPv4:PORT or [IPv6]:PORT, e.g. 127.0.0.1:9464 or [::1]:9464",
			 q, why);
	}
	return -1;
}

int slo_http_parse_addr(const char *addr_port, struct sockaddr_storage *ss, socklen_t *sslen,
			char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *port_s, *p;
	unsigned long port = 0;
	size_t hlen;

	if (!addr_port || !*addr_port)
		return addr_fail(err, errlen, addr_port, "empty");
	if (addr_port[0] == '[') {
		const char *close = strchr(addr_port, ']');

		if (!close)
			return addr_fail(err, errlen, addr_port, "missing ']'");
		if (close[1] != ':')
			return addr_fail(err, errlen, addr_port, "missing :PORT after ']'");
		hlen = (size_t)(close - addr_port - 1);
		p = addr_port + 1;
		port_s = close + 2;
	} else {
		const char *colon = strrchr(addr_port, ':');

		if (!colon)
			return addr_fail(err, errlen, addr_port, "missing :PORT");
		if (memchr(addr_port, ':', (size_t)(colon - addr_port)))
			return addr_fail(err, errlen, addr_port, "an IPv6 address needs brackets");
		hlen = (size_t)(colon - addr_port);
		p = addr_port;
		port_s = colon + 1;
	}
	if (!hlen)
		return addr_fail(err, errlen, addr_port, "missing host");
	if (hlen >= sizeof(host))
		return addr_fail(err, errlen, addr_port, "host too long");
	memcpy(host, p, hlen);
	host[hlen] = '\0';

	if (!*port_s)
		return addr_fail(err, errlen, addr_port, "missing port");
	for (p = port_s; *p; p++) {
		if (*p < '0' || *p > '9')
			return addr_fail(err, errlen, addr_port, "port is not a number");
		port = port * 10 + (unsigned long)(*p - '0');
		if (port > 65535)
			return addr_fail(err, errlen, addr_port, "port out of range 0-65535");
	}

	memset(ss, 0, sizeof(*ss));
	if (addr_port[0] == '[') {
		struct addrinfo hints = { .ai_family = AF_INET6, .ai_flags = AI_NUMERICHOST,
					  .ai_socktype = SOCK_STREAM };
		struct addrinfo *ai = NULL;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		/* getaddrinfo also takes a scope (fe80::1%eth0) */
		if (getaddrinfo(host, NULL, &hints, &ai) || !ai ||
		    ai->ai_addrlen > sizeof(*ss)) {
			if (ai)
				freeaddrinfo(ai);
			return addr_fail(err, errlen, addr_port, "not a numeric IPv6 address");
		}
		memcpy(ss, ai->ai_addr, ai->ai_addrlen);
		freeaddrinfo(ai);
		s6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return addr_fail(err, errlen, addr_port, "not a numeric IPv4 address");
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*s4);
	}
	return 0;
}

static int listen_on(const char *addr_port, uint16_t *port, char *err, size_t errlen)
{
	struct sockaddr_storage ss, bound;
	socklen_t sslen, blen = sizeof(bound);
	int fd, one = 1, sndbuf = SLO_HTTP_SNDBUF;

	if (slo_http_parse_addr(addr_port, &ss, &sslen, err, errlen))
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s: socket: %s", addr_port, strerror(errno));
		return -1;
	}
	/* bind only what was asked for: no dual-stack [::] catching IPv4 */
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		goto fail_errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail_errno;
	/*
	 * Accepted sockets inherit a fixed send buffer: left to autotuning, a
	 * client that stops reading lets each connection queue megabytes in
	 * the kernel, charged to our memory cgroup.  A fixed one keeps the
	 * rest of a slow reader's answer in the one shared body instead.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)))
		goto fail_errno;
	if (bind(fd, (struct sockaddr *)&ss, sslen)) {
		snprintf(err, errlen, "cannot bind %s: %s", addr_port, strerror(errno));
		close(fd);
		return -1;
	}
	if (listen(fd, LISTEN_BACKLOG) || getsockname(fd, (struct sockaddr *)&bound, &blen))
		goto fail_errno;
	*port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						  : ((struct sockaddr_in *)&bound)->sin_port);
	return fd;
fail_errno:
	snprintf(err, errlen, "%s: %s", addr_port, strerror(errno));
	close(fd);
	return -1;
}

/* ---- /healthz ------------------------------------------------------------------ */

/* Append one line to the health report.  Returns the new length. */
__attribute__((format(printf, 4, 5)))
static size_t report(char *buf, size_t len, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (off >= len - 1)
		return off;
	va_start(ap, fmt);
	n = vsnprintf(buf + off, len - off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return off;
	off += (size_t)n;
	if (off > len - 2)	/* truncated: keep room for the newline */
		off = len - 2;
	buf[off++] = '\n';
	buf[off] = '\0';
	return off;
}

/* Fill @body; true when healthy.  Every failed condition gets a line. */
static bool check_health(struct slo_http *h, char *body, size_t blen, size_t *outlen)
{
	char path[PATH_MAX + 32], val[128];
	bool loader_ok, healthy;
	char reason[HEALTH_REASON_LEN];
	double beat_age;
	size_t off = 0;
	int e;

	pthread_mutex_lock(&h->lock);
	loader_ok = h->healthy;
	memcpy(reason, h->reason, sizeof(reason));
	beat_age = now_s() - h->last_beat;
	pthread_mutex_unlock(&h->lock);

	snprintf(path, sizeof(path), "%s/state", h->sched_ext_dir);
	e = h->no_sched_ext ? 0 : slo_read_small(path, val, sizeof(val));
	if (h->no_sched_ext) {
		/* not the scheduler's server: nothing of sched_ext to check */
	} else if (e) {
		off = report(body, blen, off, "sched_ext: cannot read %s: %s%s", path, strerror(e),
			     e == ENOENT ? " (this kernel has no sched_ext)" : "");
	} else {
		if (strcmp(val, "enabled"))
			off = report(body, blen, off, "sched_ext: state is \"%s\", not \"enabled\" (%s)",
				     val, path);
		snprintf(path, sizeof(path), "%s/root/ops", h->sched_ext_dir);
		e = slo_read_small(path, val, sizeof(val));
		if (e == ENOENT)
			off = report(body, blen, off, "sched_ext: no BPF scheduler attached (%s missing)",
				     path);
		else if (e)
			off = report(body, blen, off, "sched_ext: cannot read %s: %s", path, strerror(e));
		else if (strcmp(val, SCX_SLO_OPS_NAME))
			off = report(body, blen, off,
				     "sched_ext: attached scheduler is \"%s\", not \"" SCX_SLO_OPS_NAME "\" (%s)",
				     val, path);
	}
	if (!loader_ok)
		off = report(body, blen, off, "loader: %s",
			     reason[0] ? reason : "not healthy");
	else if (beat_age > h->stall_s)
		off = report(body, blen, off,
			     "loader: its main loop has not completed a pass for %.1f s (stalled; limit %u s)",
			     beat_age, h->stall_s);
	healthy = !off;
	if (healthy)
		off = report(body, blen, off, "ok");
	*outlen = off;
	return healthy;
}

/* ---- /metrics bodies --------------------------------------------------------------- */

/* Drop one reference; the caller frees what comes back (outside the lock). */
static struct body *body_put_locked(struct slo_http *h, struct body *b)
{
	if (--b->refs)
		return NULL;
	if (b->prev)
		b->prev->next = b->next;
	else
		h->bodies = b->next;
	if (b->next)
		b->next->prev = b->prev;
	else
		h->bodies_tail = b->prev;
	h->body_bytes -= b->len;
	h->nr_bodies--;
	return b;
}

static void body_free(struct body *b)
{
	if (!b)
		return;
	free(b->text);
	free(b);
}

static void reply_free(void *cls)
{
	struct reply *r = cls;
	struct body *dead;

	pthread_mutex_lock(&r->h->lock);
	dead = body_put_locked(r->h, r->body);
	pthread_mutex_unlock(&r->h->lock);
	body_free(dead);
	free(r);
}

/*
 * The server's own samples, after the loader's: made per answer because the
 * age of the data is only known when it is sent.
 */
static int trailer(struct slo_http *h, const struct body *b, char *out, size_t len)
{
	uint64_t cuts[CUT_REASONS];
	unsigned int conns;
	size_t bytes;

	pthread_mutex_lock(&h->lock);
	memcpy(cuts, h->cuts, sizeof(cuts));
	conns = h->nr_conns;
	bytes = h->body_bytes;
	pthread_mutex_unlock(&h->lock);
	return snprintf(out, len,
		"# HELP scx_slo_metrics_age_seconds Seconds since the loader collected the samples above.\n"
		"# TYPE scx_slo_metrics_age_seconds gauge\n"
		"scx_slo_metrics_age_seconds %.3f\n"
		"# HELP scx_slo_http_connections Connections open to this HTTP server.\n"
		"# TYPE scx_slo_http_connections gauge\n"
		"scx_slo_http_connections %u\n"
		"# HELP scx_slo_http_connections_cut_total Connections the server closed for exceeding a bound.\n"
		"# TYPE scx_slo_http_connections_cut_total counter\n"
		"scx_slo_http_connections_cut_total{reason=\"request_deadline\"} %llu\n"
		"scx_slo_http_connections_cut_total{reason=\"lifetime\"} %llu\n"
		"scx_slo_http_connections_cut_total{reason=\"body_memory\"} %llu\n"
		"scx_slo_http_connections_cut_total{reason=\"evicted\"} %llu\n"
		"# HELP scx_slo_http_body_bytes Bytes of /metrics text held for readers, the latest included.\n"
		"# TYPE scx_slo_http_body_bytes gauge\n"
		"scx_slo_http_body_bytes %zu\n",
		now_s() - b->made, conns,
		(unsigned long long)cuts[CUT_REQUEST_DEADLINE],
		(unsigned long long)cuts[CUT_LIFETIME],
		(unsigned long long)cuts[CUT_BODY_MEMORY],
		(unsigned long long)cuts[CUT_EVICTED], bytes);
}

#define TRAILER_MAX	1536

/* A response over the latest body and a fresh trailer; NULL before any body. */
static struct MHD_Response *metrics_response(struct slo_http *h, uint64_t *seq)
{
	struct MHD_Response *resp;
	struct MHD_IoVec iov[2];
	struct body *b, *dead;
	struct reply *r;
	int n;

	r = malloc(sizeof(*r) + TRAILER_MAX);
	if (!r)
		return NULL;
	pthread_mutex_lock(&h->lock);
	b = h->cur;
	if (b)
		b->refs++;
	pthread_mutex_unlock(&h->lock);
	if (!b) {
		free(r);
		return NULL;
	}
	r->h = h;
	r->body = b;
	n = trailer(h, b, r->trailer, TRAILER_MAX);
	if (n < 0 || n >= TRAILER_MAX)
		n = 0;
	iov[0] = (struct MHD_IoVec){ .iov_base = b->text, .iov_len = b->len };
	iov[1] = (struct MHD_IoVec){ .iov_base = r->trailer, .iov_len = (size_t)n };
	resp = MHD_create_response_from_iovec(iov, 2, reply_free, r);
	if (!resp) {
		pthread_mutex_lock(&h->lock);
		dead = body_put_locked(h, b);
		pthread_mutex_unlock(&h->lock);
		body_free(dead);
		free(r);
		return NULL;
	}
	/* from here on MHD frees r through reply_free */
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CT_METRICS) != MHD_YES ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES) {
		MHD_destroy_response(resp);
		return NULL;
	}
	*seq = b->seq;
	return resp;
}

/* ---- request handling ------------------------------------------------------------ */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *body,
			     size_t len, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;	/* MHD closes the connection */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CT_TEXT);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_str(struct MHD_Connection *c, unsigned int status, const char *body,
				 const char *allow)
{
	return reply(c, status, body, strlen(body), allow);
}

static bool has_body(struct MHD_Connection *c, size_t upload_size)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (upload_size)
		return true;
	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return true;
	if (cl) {
		while (*cl == '0')
			cl++;
		return *cl != '\0';
	}
	return false;
}

static void wait_add(struct slo_http *h, struct conn *cn)
{
	cn->wprev = h->wait_tail;
	cn->wnext = NULL;
	if (h->wait_tail)
		h->wait_tail->wnext = cn;
	else
		h->wait_head = cn;
	h->wait_tail = cn;
	cn->waiting = true;
}

static void wait_del(struct slo_http *h, struct conn *cn)
{
	if (!cn->waiting)
		return;
	if (cn->wprev)
		cn->wprev->wnext = cn->wnext;
	else
		h->wait_head = cn->wnext;
	if (cn->wnext)
		cn->wnext->wprev = cn->wprev;
	else
		h->wait_tail = cn->wprev;
	cn->waiting = false;
}

static void cut(struct slo_http *h, struct conn *cn, enum cut_reason why);

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* ---- /v1/admission, /v1/pressure ---------------------------------------------------- */

enum shed_endpoint { EP_ADMISSION, EP_ADMISSION_AUTH, EP_PRESSURE };

#define X_REASON	"X-SCX-SLO-Reason"
#define X_PROBABILITY	"X-SCX-SLO-Shed-Probability"

/*
 * The cgroup a shed request names, normalised into @path; else a 400
 * answer was queued and false comes back.
 */
static bool shed_cgroup(struct MHD_Connection *c, char *path, size_t len, enum MHD_Result *ret)
{
	const char *arg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "cgroup");
	const char *why = NULL;
	char line[512], q[128];

	if (!arg || !*arg) {
		*ret = reply_str(c, MHD_HTTP_BAD_REQUEST,
				 "missing cgroup=PATH, e.g. ?cgroup=/kubepods.slice/pod1\n", NULL);
		return false;
	}
	if (slo_cgroup_normalize(arg, path, len, &why)) {
		quote_arg(arg, q, sizeof(q));
		snprintf(line, sizeof(line), "cgroup \"%s\": %s\n", q, why);
		*ret = reply_str(c, MHD_HTTP_BAD_REQUEST, line, NULL);
		return false;
	}
	return true;
}

static enum MHD_Result shed_reply(struct MHD_Connection *c, unsigned int status,
				  const char *ctype, const char *body,
				  const struct slo_shed_answer *a, bool shed)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char num[32];

	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (*body)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, X_REASON, a->reason);
	snprintf(num, sizeof(num), "%.4f", a->probability);
	MHD_add_response_header(r, X_PROBABILITY, num);
	if (shed) {
		snprintf(num, sizeof(num), "%u", a->retry_after_s);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The path as a JSON string body: escaped to printable ASCII, then JSON's escapes. */
static void json_path(char *out, size_t len, const char *path)
{
	static char esc[SLO_ESCAPED_SIZE(PATH_MAX)];	/* the HTTP thread's alone */
	size_t o = 0;
	const char *p;

	slo_escape(esc, sizeof(esc), path);
	for (p = esc; *p && o + 3 < len; p++) {
		if (*p == '"' || *p == '\\')
			out[o++] = '\\';
		out[o++] = *p;
	}
	out[o] = '\0';
}

static enum MHD_Result on_shed(struct slo_http *h, struct MHD_Connection *c,
			       enum shed_endpoint ep)
{
	/* the HTTP thread's alone: too big for its stack */
	static char path[PATH_MAX], body[2 * SLO_ESCAPED_SIZE(PATH_MAX) + 512];
	const char *key = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "key");
	struct slo_shed_answer a;
	struct slo_shed *shed;
	enum MHD_Result ret;
	bool shed_it;

	if (!shed_cgroup(c, path, sizeof(path), &ret))
		return ret;
	pthread_mutex_lock(&h->lock);
	shed = h->shed;
	pthread_mutex_unlock(&h->lock);
	slo_shed_lookup(shed, path, now_s(), &a);

	if (ep == EP_PRESSURE) {
		size_t n;

		n = (size_t)snprintf(body, sizeof(body), "{\"cgroup\":\"");
		json_path(body + n, sizeof(body) - n, path);
		n = strlen(body);
		snprintf(body + n, sizeof(body) - n,
			 "\",\"shed_probability\":%.4f,\"age_seconds\":%.3f,\"ttl_seconds\":%.3f,"
			 "\"reason\":\"%s\",\"queue_delay_p99_seconds\":%.6f,\"budget_seconds\":%.6f,"
			 "\"miss_ratio\":%.4f,\"late_burst_ratio\":%.4f,\"in_flight\":%.2f,"
			 "\"concurrency_limit\":%u,\"retry_after_seconds\":%u,\"known\":%s,\"stale\":%s}\n",
			 a.probability, a.age_s, a.ttl_s, a.reason, a.delay_p99_s, a.budget_s,
			 a.miss_ratio, a.late_burst_ratio, a.in_flight, a.concurrency_limit,
			 a.retry_after_s, a.known ? "true" : "false", a.stale ? "true" : "false");
		return shed_reply(c, MHD_HTTP_OK, "application/json", body, &a, false);
	}
	shed_it = slo_shed_decide(&a, key);
	if (!shed_it)
		return shed_reply(c, MHD_HTTP_NO_CONTENT, CT_TEXT, "", &a, false);
	snprintf(body, sizeof(body), "shed: cgroup over its latency budget (%s, probability %.2f)\n",
		 a.reason, a.probability);
	return shed_reply(c, ep == EP_ADMISSION_AUTH ? MHD_HTTP_FORBIDDEN : MHD_HTTP_SERVICE_UNAVAILABLE,
			  CT_TEXT, body, &a, true);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	struct slo_http *h = cls;
	bool is_metrics = !strcmp(url, "/metrics");
	bool is_health = !strcmp(url, "/healthz");
	int shed_ep = !strcmp(url, "/v1/admission") ? EP_ADMISSION :
		      !strcmp(url, "/v1/admission/auth") ? EP_ADMISSION_AUTH :
		      !strcmp(url, "/v1/pressure") ? EP_PRESSURE : -1;
	struct conn *cn = conn_of(c);
	static int headers_seen;	/* *req_cls after the first call */

	(void)version;
	(void)upload_data;

	/*
	 * A good request is answered on MHD's second call, once MHD knows
	 * there is no body: only then does it keep the connection open for
	 * the next request.  A proxy asking /v1/admission for each of its
	 * requests then reuses one connection instead of paying a TCP
	 * handshake and teardown each time (nginx's upstream keepalive).
	 * Errors are answered on the first call, before any body is read,
	 * so MHD closes those connections.
	 */
	if (*req_cls == &headers_seen)
		goto answer;
	/* the whole request is in: its deadline no longer applies */
	if (cn) {
		cn->request_by = 0;
		wait_del(h, cn);
	}
	if (!is_metrics && !is_health && shed_ep < 0)
		return reply_str(c, MHD_HTTP_NOT_FOUND,
				 "not found: this server has /metrics, /healthz, /v1/admission, /v1/admission/auth and /v1/pressure\n",
				 NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_str(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: GET or HEAD only\n",
				 "GET, HEAD");
	if (has_body(c, *upload_data_size))
		return reply_str(c, MHD_HTTP_CONTENT_TOO_LARGE, "request bodies are not accepted\n", NULL);
	*req_cls = &headers_seen;
	return MHD_YES;

answer:
	if (shed_ep >= 0)
		return on_shed(h, c, (enum shed_endpoint)shed_ep);
	if (is_metrics) {
		struct MHD_Response *r;
		enum MHD_Result ret;
		uint64_t seq = 0;

		r = metrics_response(h, &seq);
		if (!r)
			return reply_str(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no metrics collected yet\n",
					 NULL);
		ret = MHD_queue_response(c, MHD_HTTP_OK, r);
		MHD_destroy_response(r);	/* the connection holds its own reference */
		if (ret == MHD_YES && cn)
			cn->body_seq = seq;
		return ret;
	} else {
		char body[2048];
		size_t len;
		bool ok = check_health(h, body, sizeof(body), &len);

		return reply(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, body, len, NULL);
	}
}

/* A request was answered (or its connection died): the next one has a deadline. */
static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct slo_http *h = cls;
	struct conn *cn = conn_of(c);

	if (!cn)
		return;
	cn->request_by = now_s() + h->request_timeout_s;
	cn->body_seq = 0;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct slo_http *h = cls;
	struct conn *cn = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		cn = calloc(1, sizeof(*cn));
		if (!cn || !ci) {
			/* untracked, it would escape the deadlines: refuse it */
			free(cn);
			if (ci)
				shutdown(ci->connect_fd, SHUT_RDWR);
			return;
		}
		cn->fd = ci->connect_fd;
		cn->accepted = now_s();
		cn->request_by = cn->accepted + h->request_timeout_s;
		cn->next = h->conns;
		if (h->conns)
			h->conns->prev = cn;
		h->conns = cn;
		wait_add(h, cn);
		*socket_context = cn;
		pthread_mutex_lock(&h->lock);
		h->nr_conns++;
		pthread_mutex_unlock(&h->lock);
		/*
		 * Near the limit, a new connection evicts the oldest one still
		 * waiting for its request.  At the limit MHD would stop
		 * accepting, and a probe or a scrape would queue behind a
		 * backlog full of slow clients; this way whoever sends a request
		 * right after connecting is served, and only clients that
		 * connect and then dawdle lose their place.
		 */
		if (++h->nr_tracked > h->soft_limit && h->wait_head && h->wait_head != cn)
			cut(h, h->wait_head, CUT_EVICTED);
		return;
	}
	/* MHD_CONNECTION_NOTIFY_CLOSED: the descriptor is closed after this */
	if (!cn)
		return;
	wait_del(h, cn);
	h->nr_tracked--;
	if (cn->prev)
		cn->prev->next = cn->next;
	else
		h->conns = cn->next;
	if (cn->next)
		cn->next->prev = cn->prev;
	free(cn);
	*socket_context = NULL;
	pthread_mutex_lock(&h->lock);
	h->nr_conns--;
	pthread_mutex_unlock(&h->lock);
}

/* MHD's own error messages (accept failures, protocol errors), rate-limited. */
static void on_log(void *cls, const char *fmt, va_list ap)
{
	struct slo_http *h = cls;
	time_t now = time(NULL);
	char msg[512];
	size_t n;

	pthread_mutex_lock(&h->log_lock);
	if (now - h->log_sec >= LOG_WINDOW_S) {
		if (h->log_dropped)
			fprintf(stderr, "scx_slo: http: %u more messages suppressed\n",
				h->log_dropped);
		h->log_sec = now;
		h->log_n = h->log_dropped = 0;
	}
	if (h->log_n++ < LOG_PER_WINDOW) {
		vsnprintf(msg, sizeof(msg), fmt, ap);
		n = strlen(msg);
		fprintf(stderr, "scx_slo: http: %s%s", msg, n && msg[n - 1] == '\n' ? "" : "\n");
	} else {
		h->log_dropped++;
	}
	pthread_mutex_unlock(&h->log_lock);
}

/* ---- deadlines and the body cap (HTTP thread) --------------------------------------- */

/*
 * Shut the socket down; MHD sees EOF or EPIPE on its next pass and closes
 * it.  No linger: what is queued for a reader that stopped reading is
 * dropped with a reset rather than kept by the kernel.
 */
static void cut(struct slo_http *h, struct conn *cn, enum cut_reason why)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (cn->cut)
		return;
	cn->cut = true;
	wait_del(h, cn);
	/* counted first: whoever sees the connection end sees it counted */
	pthread_mutex_lock(&h->lock);
	h->cuts[why]++;
	pthread_mutex_unlock(&h->lock);
	setsockopt(cn->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	shutdown(cn->fd, SHUT_RDWR);
}

static void enforce(struct slo_http *h)
{
	uint64_t cut_seq[MAX_CUT_PER_TICK];
	double now = now_s();
	struct conn *cn;
	struct body *b;
	size_t held, limit;
	int ncut = 0, i;

	for (cn = h->conns; cn; cn = cn->next) {
		if (now >= cn->accepted + h->lifetime_s)
			cut(h, cn, CUT_LIFETIME);
		else if (cn->request_by && now >= cn->request_by)
			cut(h, cn, CUT_REQUEST_DEADLINE);
	}

	/* versions past the cap: cut the readers of the oldest first */
	pthread_mutex_lock(&h->lock);
	limit = h->body_memory;
	if (h->cur && limit < 2 * h->cur->len)
		limit = 2 * h->cur->len;
	held = 0;
	for (b = h->bodies; b; b = b->next)
		if (!b->cut)
			held += b->len;
	for (b = h->bodies; b && held > limit && ncut < MAX_CUT_PER_TICK; b = b->next) {
		if (b == h->cur || b->cut)
			continue;
		b->cut = true;
		held -= b->len;
		cut_seq[ncut++] = b->seq;
	}
	pthread_mutex_unlock(&h->lock);
	if (!ncut)
		return;
	for (cn = h->conns; cn; cn = cn->next)
		for (i = 0; i < ncut; i++)
			if (cn->body_seq == cut_seq[i])
				cut(h, cn, CUT_BODY_MEMORY);
}

/* One pass: wait up to @timeout_ms for MHD's sockets (or a stop), serve, enforce. */
static bool serve_once(struct slo_http *h, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = h->epoll_fd, .events = POLLIN },
		{ .fd = h->stop_fd, .events = POLLIN },
	};
	MHD_UNSIGNED_LONG_LONG mhd_ms;
	double now;

	if (MHD_get_timeout(h->mhd, &mhd_ms) == MHD_YES && mhd_ms < (MHD_UNSIGNED_LONG_LONG)timeout_ms)
		timeout_ms = (int)mhd_ms;
	if (poll(pfd, 2, timeout_ms) > 0 && pfd[1].revents)
		return false;
	MHD_run(h->mhd);
	now = now_s();
	if (now >= h->next_tick) {
		enforce(h);
		h->next_tick = now + TICK_MS / 1000.0;
	}
	return true;
}

static void *serve(void *arg)
{
	struct slo_http *h = arg;

	/*
	 * At the proxies' nice (http.h says why), whatever nice the loader
	 * was started with: each of their requests waits for an admission
	 * answer.  Nice is per thread on Linux.
	 */
	setpriority(PRIO_PROCESS, (id_t)gettid(), SLO_HTTP_NICE);
	while (serve_once(h, TICK_MS))
		;
	return NULL;
}

void slo_http_run(struct slo_http *h, int timeout_ms)
{
	if (h && h->manual) {
		serve_once(h, timeout_ms);
		enforce(h);
	}
}

int slo_http_add_connection(struct slo_http *h, int fd, const struct sockaddr *addr,
			    socklen_t addrlen)
{
	if (!h || !h->manual) {
		close(fd);
		return -1;
	}
	/* MHD closes @fd itself when it refuses it */
	return MHD_add_connection(h->mhd, fd, addr, addrlen) == MHD_YES ? 0 : -1;
}

/* ---- lifecycle --------------------------------------------------------------------- */

/* Room for the connection limit plus the loader's own descriptors. */
static void raise_nofile(unsigned int conn_limit)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)conn_limit + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static unsigned int or_default(unsigned int v, unsigned int dfl)
{
	return v ? v : dfl;
}

struct slo_http *slo_http_start_opts(const char *addr_port, const struct slo_http_opts *opts,
				     char *err, size_t errlen)
{
	static const struct slo_http_opts dfl;
	unsigned int conn_limit, per_ip_limit, timeout_s;
	const union MHD_DaemonInfo *di;
	size_t conn_memory;
	struct slo_http *h;
	char dummy[1];
	int fd, family_flags = 0;
	struct sockaddr_storage ss;
	socklen_t sslen;

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!opts)
		opts = &dfl;
	conn_limit = or_default(opts->conn_limit, SLO_HTTP_CONN_LIMIT);
	per_ip_limit = or_default(opts->per_ip_limit, SLO_HTTP_PER_IP_LIMIT);
	timeout_s = or_default(opts->timeout_s, SLO_HTTP_TIMEOUT_S);
	conn_memory = opts->conn_memory ? opts->conn_memory : SLO_HTTP_CONN_MEMORY;

	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->request_timeout_s = or_default(opts->request_timeout_s, SLO_HTTP_REQUEST_TIMEOUT_S);
	h->lifetime_s = or_default(opts->lifetime_s, SLO_HTTP_LIFETIME_S);
	h->stall_s = or_default(opts->stall_s, SLO_HTTP_STALL_S);
	h->body_memory = opts->body_memory ? opts->body_memory : SLO_HTTP_BODY_MEMORY;
	h->manual = opts->manual;
	h->soft_limit = conn_limit - (conn_limit / 32 ? conn_limit / 32 : 1);
	h->next_seq = 1;
	h->stop_fd = -1;
	snprintf(h->sched_ext_dir, sizeof(h->sched_ext_dir), "%s",
		 opts->sched_ext_dir ? opts->sched_ext_dir : SLO_HTTP_SCHED_EXT_DIR);
	h->no_sched_ext = opts->no_sched_ext;
	snprintf(h->reason, sizeof(h->reason), "scheduler not attached yet");
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->log_lock, NULL);

	fd = listen_on(addr_port, &h->port, err, errlen);
	if (fd < 0)
		goto fail;
	if (!slo_http_parse_addr(addr_port, &ss, &sslen, NULL, 0) && ss.ss_family == AF_INET6)
		family_flags = MHD_USE_IPv6;
	raise_nofile(conn_limit);

	h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG | family_flags,
				  0, NULL, NULL, on_request, h,
				  MHD_OPTION_EXTERNAL_LOGGER, on_log, h,
				  MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				  MHD_OPTION_CONNECTION_LIMIT, conn_limit,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip_limit,
				  MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, conn_memory,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				  MHD_OPTION_END);
	if (!h->mhd) {
		snprintf(err, errlen, "%s: cannot start the HTTP server (libmicrohttpd)", addr_port);
		/* MHD may or may not have closed the socket it was given */
		if (fcntl(fd, F_GETFD) != -1)
			close(fd);
		goto fail;
	}
	di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	h->epoll_fd = di ? di->epoll_fd : -1;
	h->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->epoll_fd < 0 || h->stop_fd < 0) {
		snprintf(err, errlen, "%s: cannot start the HTTP server: %s", addr_port,
			 h->stop_fd < 0 ? strerror(errno) : "no epoll descriptor from libmicrohttpd");
		goto fail_mhd;
	}
	if (!h->manual) {
		int e = pthread_create(&h->thread, NULL, serve, h);

		if (e) {
			snprintf(err, errlen, "%s: cannot start the HTTP thread: %s", addr_port,
				 strerror(e));
			goto fail_mhd;
		}
		h->thread_started = true;
	}
	return h;
fail_mhd:
	MHD_stop_daemon(h->mhd);
	if (h->stop_fd >= 0)
		close(h->stop_fd);
fail:
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->log_lock);
	free(h);
	return NULL;
}

struct slo_http *slo_http_start(const char *addr_port, char *err, size_t errlen)
{
	return slo_http_start_opts(addr_port, NULL, err, errlen);
}

uint16_t slo_http_port(const struct slo_http *h)
{
	return h ? h->port : 0;
}

void slo_http_set_metrics(struct slo_http *h, char *text, size_t len)
{
	struct body *b, *dead = NULL;

	if (!h || !text) {
		free(text);
		return;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		free(text);
		return;
	}
	b->text = text;
	b->len = len;
	b->refs = 1;
	b->made = now_s();
	pthread_mutex_lock(&h->lock);
	b->seq = h->next_seq++;
	b->prev = h->bodies_tail;
	if (h->bodies_tail)
		h->bodies_tail->next = b;
	else
		h->bodies = b;
	h->bodies_tail = b;
	h->body_bytes += len;
	h->nr_bodies++;
	if (h->cur)
		dead = body_put_locked(h, h->cur);
	h->cur = b;
	pthread_mutex_unlock(&h->lock);
	body_free(dead);
}

void slo_http_set_health(struct slo_http *h, bool healthy, const char *reason)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->healthy = healthy;
	h->last_beat = now_s();
	snprintf(h->reason, sizeof(h->reason), "%s", reason ? reason : "");
	pthread_mutex_unlock(&h->lock);
}

void slo_http_set_shed(struct slo_http *h, struct slo_shed *shed)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->shed = shed;
	pthread_mutex_unlock(&h->lock);
}

void slo_http_heartbeat(struct slo_http *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->last_beat = now_s();
	pthread_mutex_unlock(&h->lock);
}

void slo_http_get_stats(struct slo_http *h, struct slo_http_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	st->connections = h->nr_conns;
	st->body_bytes = h->body_bytes;
	st->bodies = h->nr_bodies;
	st->closed_request_deadline = h->cuts[CUT_REQUEST_DEADLINE];
	st->closed_lifetime = h->cuts[CUT_LIFETIME];
	st->closed_body_memory = h->cuts[CUT_BODY_MEMORY];
	st->closed_evicted = h->cuts[CUT_EVICTED];
	pthread_mutex_unlock(&h->lock);
}

void slo_http_stop(struct slo_http *h)
{
	struct body *dead = NULL;
	uint64_t one = 1;

	if (!h)
		return;
	if (h->thread_started) {
		if (write(h->stop_fd, &one, sizeof(one)) != sizeof(one))
			abort();	/* an eventfd write cannot fail here */
		pthread_join(h->thread, NULL);
	}
	/* closes every socket; each answer's reply_free drops its body */
	MHD_stop_daemon(h->mhd);
	close(h->stop_fd);
	pthread_mutex_lock(&h->lock);
	if (h->cur)
		dead = body_put_locked(h, h->cur);
	h->cur = NULL;
	pthread_mutex_unlock(&h->lock);
	body_free(dead);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->log_lock);
	free(h);
}
