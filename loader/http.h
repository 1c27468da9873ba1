/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_HTTP_H
#define __SLO_HTTP_H

/*
 * The read-only HTTP endpoint behind --metrics ADDR:PORT (libmicrohttpd).
 *
 *   GET|HEAD /metrics  200, text/plain; version=0.0.4: the latest text given
 *                      to slo_http_set_metrics(), then a few samples of the
 *                      server's own (the data's age, connections, closes)
 *                      made per request; 503 until there is a text
 *   GET|HEAD /healthz  200 "ok\n" when the loader says healthy AND its main
 *                      loop completed a pass (slo_http_heartbeat()) within
 *                      the stall time AND <sched_ext>/state reads "enabled"
 *                      AND <sched_ext>/root/ops reads "slo" (read per
 *                      request); else 503, one line per failed condition
 *   GET|HEAD /v1/admission?cgroup=PATH[&key=STRING]
 *                      204 admit, or 503 shed with Retry-After (seconds);
 *                      /v1/admission/auth answers 403 instead of 503 (nginx
 *                      auth_request takes only 2xx/401/403); both carry
 *                      X-SCX-SLO-Reason and X-SCX-SLO-Shed-Probability; an
 *                      unknown cgroup or a stale signal admits (fail open);
 *                      a missing or malformed cgroup is 400, one line
 *   GET|HEAD /v1/pressure?cgroup=PATH
 *                      200 JSON: shed_probability, age_seconds, ttl_seconds,
 *                      reason, queue_delay_p99_seconds, budget_seconds,
 *                      miss_ratio, late_burst_ratio, in_flight,
 *                      concurrency_limit (0: none), retry_after_seconds,
 *                      known, stale (see shed.h)
 *   other paths 404; other methods 405 (Allow: GET, HEAD); a request body
 *   413; malformed requests 400 and oversized headers 431 (from MHD).
 *
 * Any client that can reach the port is assumed hostile, so every resource
 * it can hold is bounded: connections in all (near the limit, the oldest
 * one still waiting for its request makes room for a new one) and per
 * source address, the time to send a whole request (from accept; every
 * answer closes its connection), the time a connection may live, the
 * memory of each connection (MHD's pool, and the kernel's send buffer,
 * which the socket's memory cgroup pays for), and the memory of /metrics
 * bodies held for slow readers (one shared copy per version; readers of
 * the oldest versions are cut when the versions held exceed the cap).
 *
 * One thread of ours runs MHD's epoll loop and enforces the deadlines, at
 * nice SLO_HTTP_NICE.  It never calls into the loader: the loader pushes
 * the metrics text, its health, and a heartbeat per pass of its main loop.
 * The thread answers /v1/admission on the path of every request a proxy
 * guards, so it runs at the nice of the proxies that call it: at nice 10
 * its weight was a tenth of theirs, and on a saturated node each answer
 * waited behind them (bench/shed.sh at 0.9x capacity: admitted p50 309 ms
 * at nice 10, 19 ms at nice 0, in the emulated VM).  The main loop is a
 * sleeper woken a few times a second, which any fair scheduler runs
 * ahead of a thread kept busy by a flood, so it needs no nice of its own.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SLO_HTTP_CONN_LIMIT		2048		/* concurrent connections */
#define SLO_HTTP_PER_IP_LIMIT		32		/* of them from one address */
#define SLO_HTTP_TIMEOUT_S		10		/* idle seconds before a drop */
#define SLO_HTTP_REQUEST_TIMEOUT_S	5		/* to send a whole request */
#define SLO_HTTP_LIFETIME_S		30		/* of any connection */
#define SLO_HTTP_CONN_MEMORY		(16 * 1024)	/* per-connection pool */
#define SLO_HTTP_SNDBUF			(16 * 1024)	/* kernel send buffer (x2) */
#define SLO_HTTP_BODY_MEMORY		(8 << 20)	/* /metrics bodies held */
#define SLO_HTTP_STALL_S		5		/* heartbeat older: 503 */
#define SLO_HTTP_NICE			0		/* of the HTTP thread */
#define SLO_HTTP_SCHED_EXT_DIR		"/sys/kernel/sched_ext"

struct slo_http;
struct slo_shed;

/*
 * Tunables; a zero field (or a NULL opts) takes the default above.  The
 * body memory is never below twice the current body, so a reader of the
 * previous version is not cut when a new one is published.
 */
struct slo_http_opts {
	unsigned int conn_limit;
	unsigned int per_ip_limit;
	unsigned int timeout_s;
	unsigned int request_timeout_s;
	unsigned int lifetime_s;
	unsigned int stall_s;
	size_t conn_memory;
	size_t body_memory;
	const char *sched_ext_dir;	/* tests point this at a fake tree */
	bool no_sched_ext;		/* another program's server (scx_slo_agent):
					 * /healthz is the caller's health alone */
	bool manual;			/* no thread: the caller runs slo_http_run() */
};

/*
 * Parse "IPv4:PORT" or "[IPv6]:PORT" (numeric addresses only, port 0-65535;
 * 0 picks a free port).  0 on success; -1 with one line in @err otherwise.
 */
int slo_http_parse_addr(const char *addr_port, struct sockaddr_storage *ss, socklen_t *sslen,
			char *err, size_t errlen);

/*
 * Bind exactly @addr_port and start serving.  Raises the soft RLIMIT_NOFILE
 * (up to the hard limit) so the connection limit can be reached.  NULL with
 * one line in @err on failure (bad address, bind error, ...).
 */
struct slo_http *slo_http_start(const char *addr_port, char *err, size_t errlen);
struct slo_http *slo_http_start_opts(const char *addr_port, const struct slo_http_opts *opts,
				     char *err, size_t errlen);

/* The port actually bound (useful with port 0). */
uint16_t slo_http_port(const struct slo_http *h);

/*
 * Publish a new /metrics body.  Takes ownership of @text (malloc'd, e.g. from
 * slo_metrics_render()) in every case, including h == NULL and errors.
 */
void slo_http_set_metrics(struct slo_http *h, char *text, size_t len);

/*
 * The loader's view of health; @reason (may be NULL) is copied.  Reporting
 * healthy counts as a heartbeat.
 */
void slo_http_set_health(struct slo_http *h, bool healthy, const char *reason);

/*
 * The shed signal the admission and pressure endpoints answer from; NULL
 * (the default) answers every cgroup as unknown (admit).  A request in
 * flight may still use the one replaced: free it only after the server
 * stops, or while no request is in flight (tests).
 */
void slo_http_set_shed(struct slo_http *h, struct slo_shed *shed);

/*
 * The loader's main loop completed a pass.  While the loader says healthy,
 * /healthz is 503 when the last heartbeat is older than the stall time.
 */
void slo_http_heartbeat(struct slo_http *h);

/* What the server holds and has cut, for tests and /metrics. */
struct slo_http_stats {
	unsigned int connections;
	size_t body_bytes;		/* /metrics bodies held, current included */
	unsigned int bodies;		/* how many versions that is */
	uint64_t closed_request_deadline;
	uint64_t closed_lifetime;
	uint64_t closed_body_memory;
	uint64_t closed_evicted;
};
void slo_http_get_stats(struct slo_http *h, struct slo_http_stats *st);

/*
 * Manual mode (the fuzzer): serve @fd, a connected stream socket, as a
 * client at @addr (0, or -1 with @fd closed); and one pass of the server,
 * waiting up to @timeout_ms for something to do.
 */
int slo_http_add_connection(struct slo_http *h, int fd, const struct sockaddr *addr,
			    socklen_t addrlen);
void slo_http_run(struct slo_http *h, int timeout_ms);

/* Stop serving, close every connection, free everything.  NULL is a no-op. */
void slo_http_stop(struct slo_http *h);

#endif /* __SLO_HTTP_H */
