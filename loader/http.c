// SPDX-License-Identifier: GPL-2.0
/*
 * /metrics and /healthz on libmicrohttpd.
 *
 * Threading: MHD runs one internal thread that epoll()s every connection
 * (MHD_USE_EPOLL_INTERNAL_THREAD).  Every answer is either a prebuilt
 * in-memory response or a few hundred bytes built from two small sysfs reads,
 * so one thread serves thousands of connections, bounds the HTTP side to one
 * CPU whatever the load, and has no FD_SETSIZE limit.  Thread-per-connection
 * would turn 1000 connections into 1000 threads (stacks, scheduling work)
 * for nothing.
 *
 * We bind the listening socket ourselves and hand it to MHD, so the address
 * is exactly the one asked for (IPV6_V6ONLY for IPv6), errors name the
 * cause, and port 0 works.
 *
 * The latest /metrics body is one MHD response object; MHD reference-counts
 * responses, so each connection holds its own reference while it sends and a
 * new body swaps in under h->lock without copying or waiting for readers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http.h"
#include "scx_slo.h"

#define HEALTH_REASON_LEN	256
#define LISTEN_BACKLOG		1024
#define LOG_WINDOW_S		60	/* at most LOG_PER_WINDOW MHD messages */
#define LOG_PER_WINDOW		10	/* per LOG_WINDOW_S seconds */

#define CT_METRICS		"text/plain; version=0.0.4; charset=utf-8"
#define CT_TEXT			"text/plain; charset=utf-8"

struct slo_http {
	struct MHD_Daemon *mhd;
	uint16_t port;
	char sched_ext_dir[PATH_MAX];

	pthread_mutex_t lock;			/* guards the fields below */
	struct MHD_Response *metrics;		/* we hold one reference */
	bool healthy;
	char reason[HEALTH_REASON_LEN];

	pthread_mutex_t log_lock;		/* rate limit of MHD's messages */
	time_t log_sec;
	unsigned int log_n, log_dropped;
};

/* ---- address parsing and binding ----------------------------------------------- */

static int addr_fail(char *err, size_t errlen, const char *addr_port, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen,
			 "invalid address \"%s\": %s; expected IPv4:PORT or [IPv6]:PORT, e.g. 127.0.0.1:9464 or [::1]:9464",
			 addr_port ? addr_port : "", why);
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
	int fd, one = 1;

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

/* Read a small sysfs file, trailing whitespace stripped.  0 or errno. */
static int read_small(const char *path, char *out, size_t outlen)
{
	ssize_t n;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = read(fd, out, outlen - 1);
	e = errno;
	close(fd);
	if (n < 0)
		return e;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ' || out[n - 1] == '\t'))
		n--;
	out[n] = '\0';
	return 0;
}

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
	size_t off = 0;
	int e;

	pthread_mutex_lock(&h->lock);
	loader_ok = h->healthy;
	memcpy(reason, h->reason, sizeof(reason));
	pthread_mutex_unlock(&h->lock);

	snprintf(path, sizeof(path), "%s/state", h->sched_ext_dir);
	e = read_small(path, val, sizeof(val));
	if (e) {
		off = report(body, blen, off, "sched_ext: cannot read %s: %s%s", path, strerror(e),
			     e == ENOENT ? " (this kernel has no sched_ext)" : "");
	} else {
		if (strcmp(val, "enabled"))
			off = report(body, blen, off, "sched_ext: state is \"%s\", not \"enabled\" (%s)",
				     val, path);
		snprintf(path, sizeof(path), "%s/root/ops", h->sched_ext_dir);
		e = read_small(path, val, sizeof(val));
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
	healthy = !off;
	if (healthy)
		off = report(body, blen, off, "ok");
	*outlen = off;
	return healthy;
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	struct slo_http *h = cls;
	bool is_metrics = !strcmp(url, "/metrics");
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	(void)req_cls;

	/*
	 * Everything is answered on the first call, before any body is read:
	 * MHD then closes a connection whose body was not consumed.
	 */
	if (!is_metrics && strcmp(url, "/healthz"))
		return reply_str(c, MHD_HTTP_NOT_FOUND, "not found: this server has /metrics and /healthz\n",
				 NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_str(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: GET or HEAD only\n",
				 "GET, HEAD");
	if (has_body(c, *upload_data_size))
		return reply_str(c, MHD_HTTP_CONTENT_TOO_LARGE, "request bodies are not accepted\n", NULL);

	if (is_metrics) {
		bool have;

		pthread_mutex_lock(&h->lock);
		/* MHD_queue_response takes its own reference before we unlock */
		have = h->metrics != NULL;
		if (have)
			ret = MHD_queue_response(c, MHD_HTTP_OK, h->metrics);
		pthread_mutex_unlock(&h->lock);
		if (have)
			return ret;
		return reply_str(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no metrics collected yet\n", NULL);
	} else {
		char body[2048];
		size_t len;
		bool ok = check_health(h, body, sizeof(body), &len);

		return reply(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, body, len, NULL);
	}
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

struct slo_http *slo_http_start_opts(const char *addr_port, const struct slo_http_opts *opts,
				     char *err, size_t errlen)
{
	static const struct slo_http_opts dfl;
	unsigned int conn_limit, timeout_s;
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
	conn_limit = opts->conn_limit ? opts->conn_limit : SLO_HTTP_CONN_LIMIT;
	timeout_s = opts->timeout_s ? opts->timeout_s : SLO_HTTP_TIMEOUT_S;
	conn_memory = opts->conn_memory ? opts->conn_memory : SLO_HTTP_CONN_MEMORY;

	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(h->sched_ext_dir, sizeof(h->sched_ext_dir), "%s",
		 opts->sched_ext_dir ? opts->sched_ext_dir : SLO_HTTP_SCHED_EXT_DIR);
	snprintf(h->reason, sizeof(h->reason), "scheduler not attached yet");
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->log_lock, NULL);

	fd = listen_on(addr_port, &h->port, err, errlen);
	if (fd < 0)
		goto fail;
	if (!slo_http_parse_addr(addr_port, &ss, &sslen, NULL, 0) && ss.ss_family == AF_INET6)
		family_flags = MHD_USE_IPv6;
	raise_nofile(conn_limit);

	h->mhd = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC |
				  MHD_USE_ERROR_LOG | family_flags,
				  0, NULL, NULL, on_request, h,
				  MHD_OPTION_EXTERNAL_LOGGER, on_log, h,
				  MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				  MHD_OPTION_CONNECTION_LIMIT, conn_limit,
				  MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, conn_memory,
				  MHD_OPTION_END);
	if (!h->mhd) {
		snprintf(err, errlen, "%s: cannot start the HTTP server (libmicrohttpd)", addr_port);
		/* MHD may or may not have closed the socket it was given */
		if (fcntl(fd, F_GETFD) != -1)
			close(fd);
		goto fail;
	}
	return h;
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
	struct MHD_Response *r, *old;

	if (!h || !text) {
		free(text);
		return;
	}
	/* MUST_FREE: MHD free()s text when the last reference goes */
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CT_METRICS) != MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES) {
		MHD_destroy_response(r);
		return;
	}
	pthread_mutex_lock(&h->lock);
	old = h->metrics;
	h->metrics = r;
	pthread_mutex_unlock(&h->lock);
	if (old)
		MHD_destroy_response(old);	/* drops our reference only */
}

void slo_http_set_health(struct slo_http *h, bool healthy, const char *reason)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->healthy = healthy;
	snprintf(h->reason, sizeof(h->reason), "%s", reason ? reason : "");
	pthread_mutex_unlock(&h->lock);
}

void slo_http_stop(struct slo_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd);	/* joins the thread, closes every socket */
	if (h->metrics)
		MHD_destroy_response(h->metrics);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->log_lock);
	free(h);
}
