/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_AGENT_METRICS_H
#define __SLO_AGENT_METRICS_H

/* The agent's own /metrics text (Prometheus exposition format 0.0.4). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum watch_restart {
	RESTART_EXPIRED,	/* 410: in the stream or as the answer; re-listed */
	RESTART_EOF,		/* the server ended the stream */
	RESTART_TIMEOUT,	/* nothing arrived for too long */
	RESTART_UNAUTHORIZED,	/* 401: token read again */
	RESTART_THROTTLED,	/* 429 */
	RESTART_SERVER_ERROR,	/* 5xx */
	RESTART_ERROR,		/* transport, TLS, other statuses, bad data */
	RESTART_REASONS
};

const char *watch_restart_name(enum watch_restart r);

struct agent_stats {
	bool api_reachable;
	double last_sync_unix;		/* last list or watch event; 0: never */
	unsigned int pods_watched;
	unsigned int slo_entries;	/* in the file last written */
	unsigned int pods_pending;	/* with a budget, cgroup not seen yet */
	unsigned int pods_invalid;	/* skipped for their annotation now */
	uint64_t invalid_annotations_total;
	uint64_t invalid_namespace_annotations_total;
	uint64_t watch_restarts[RESTART_REASONS];
	uint64_t lists_total, list_failures_total;
	uint64_t events_posted_total, events_failed_total;
	bool events_forbidden;
	uint64_t file_writes_total, file_write_errors_total;
};

/* malloc'd text, *@len bytes; NULL when out of memory. */
char *agent_metrics_render(const struct agent_stats *st, size_t *len);

#endif /* __SLO_AGENT_METRICS_H */
