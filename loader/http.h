/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_HTTP_H
#define __SLO_HTTP_H

/*
 * The read-only HTTP endpoint behind --metrics ADDR:PORT (libmicrohttpd).
 *
 *   GET|HEAD /metrics  200, text/plain; version=0.0.4: the latest text given
 *                      to slo_http_set_metrics() (503 until there is one)
 *   GET|HEAD /healthz  200 "ok\n" when the loader says healthy AND
 *                      <sched_ext>/state reads "enabled" AND
 *                      <sched_ext>/root/ops reads "slo" (read per request);
 *                      else 503, one line per failed condition
 *   other paths 404; other methods 405 (Allow: GET, HEAD); a request body
 *   413; malformed requests 400 and oversized headers 431 (from MHD).
 *
 * One internal epoll thread serves every connection.  The HTTP thread never
 * calls into the loader: the loader pushes a new metrics text (a reference-
 * counted MHD response, swapped under a mutex) and its health flag.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SLO_HTTP_CONN_LIMIT		2048		/* concurrent connections */
#define SLO_HTTP_TIMEOUT_S		10		/* idle seconds before a drop */
#define SLO_HTTP_CONN_MEMORY		(16 * 1024)	/* per-connection pool */
#define SLO_HTTP_SCHED_EXT_DIR		"/sys/kernel/sched_ext"

struct slo_http;

/* Tunables; a zero field (or a NULL opts) takes the default above. */
struct slo_http_opts {
	unsigned int conn_limit;
	unsigned int timeout_s;
	size_t conn_memory;
	const char *sched_ext_dir;	/* tests point this at a fake tree */
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

/* The loader's view of health; @reason (may be NULL) is copied. */
void slo_http_set_health(struct slo_http *h, bool healthy, const char *reason);

/* Stop serving, close every connection, free everything.  NULL is a no-op. */
void slo_http_stop(struct slo_http *h);

#endif /* __SLO_HTTP_H */
