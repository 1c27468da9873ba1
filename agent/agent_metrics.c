// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "agent_metrics.h"

static const char *const restart_names[RESTART_REASONS] = {
	[RESTART_EXPIRED] = "expired",
	[RESTART_EOF] = "eof",
	[RESTART_TIMEOUT] = "timeout",
	[RESTART_UNAUTHORIZED] = "unauthorized",
	[RESTART_THROTTLED] = "throttled",
	[RESTART_SERVER_ERROR] = "server_error",
	[RESTART_ERROR] = "error",
};

const char *watch_restart_name(enum watch_restart r)
{
	return r < RESTART_REASONS ? restart_names[r] : "?";
}

#define P "scx_slo_agent_"

static void metric(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP " P "%s %s\n# TYPE " P "%s %s\n", name, help, name, type);
}

char *agent_metrics_render(const struct agent_stats *st, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	int i;

	if (!f)
		return NULL;
	metric(f, "api_reachable", "gauge",
	       "1 while the last list or watch request got a good answer; 0 while the last good state is kept.");
	fprintf(f, P "api_reachable %d\n", st->api_reachable);
	metric(f, "last_sync_timestamp_seconds", "gauge",
	       "Unix time of the last successful list or watch event (0: never).");
	fprintf(f, P "last_sync_timestamp_seconds %.3f\n", st->last_sync_unix);
	metric(f, "pods_watched", "gauge", "Pods bound to this node, as last seen.");
	fprintf(f, P "pods_watched %u\n", st->pods_watched);
	metric(f, "slo_entries", "gauge", "Entries in the SLO file last written.");
	fprintf(f, P "slo_entries %u\n", st->slo_entries);
	metric(f, "pods_pending", "gauge", "Pods with a valid budget whose cgroup does not exist yet.");
	fprintf(f, P "pods_pending %u\n", st->pods_pending);
	metric(f, "pods_invalid", "gauge", "Pods skipped now for an invalid budget annotation.");
	fprintf(f, P "pods_invalid %u\n", st->pods_invalid);
	metric(f, "invalid_annotations_total", "counter",
	       "Invalid budget annotation values seen (each pod and value once).");
	fprintf(f, P "invalid_annotations_total %llu\n", (unsigned long long)st->invalid_annotations_total);
	metric(f, "invalid_namespace_annotations_total", "counter",
	       "Invalid namespace default values seen (--namespace-defaults; each namespace and value once).");
	fprintf(f, P "invalid_namespace_annotations_total %llu\n",
		(unsigned long long)st->invalid_namespace_annotations_total);
	metric(f, "watch_restarts_total", "counter", "Watch requests that ended, by reason.");
	for (i = 0; i < RESTART_REASONS; i++)
		fprintf(f, P "watch_restarts_total{reason=\"%s\"} %llu\n", restart_names[i],
			(unsigned long long)st->watch_restarts[i]);
	metric(f, "lists_total", "counter", "Full lists of the node's pods, by result.");
	fprintf(f, P "lists_total{result=\"ok\"} %llu\n", (unsigned long long)st->lists_total);
	fprintf(f, P "lists_total{result=\"error\"} %llu\n", (unsigned long long)st->list_failures_total);
	metric(f, "events_total", "counter", "Kubernetes Events about invalid annotations, by result.");
	fprintf(f, P "events_total{result=\"posted\"} %llu\n", (unsigned long long)st->events_posted_total);
	fprintf(f, P "events_total{result=\"failed\"} %llu\n", (unsigned long long)st->events_failed_total);
	metric(f, "events_forbidden", "gauge", "1 once RBAC refused an Event (no more are tried).");
	fprintf(f, P "events_forbidden %d\n", st->events_forbidden);
	metric(f, "file_writes_total", "counter", "Writes of the SLO file, by result.");
	fprintf(f, P "file_writes_total{result=\"ok\"} %llu\n", (unsigned long long)st->file_writes_total);
	fprintf(f, P "file_writes_total{result=\"error\"} %llu\n",
		(unsigned long long)st->file_write_errors_total);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}
