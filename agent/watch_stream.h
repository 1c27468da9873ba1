/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_AGENT_WATCH_STREAM_H
#define __SLO_AGENT_WATCH_STREAM_H

/*
 * The Kubernetes watch stream and list bodies, decoded (json-c).
 *
 * A watch answer is newline-delimited JSON, one event per line, and HTTP
 * chunks (or reads) may split a line anywhere, or carry several: the
 * splitter buffers bytes until a whole line is there.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pod_cgroup.h"

#define WATCH_MAX_LINE		(16u << 20)	/* one event; a pod is far smaller */
#define KUBE_UID_MAX		64
#define KUBE_NAME_MAX		254
#define KUBE_RV_MAX		64

struct line_splitter {
	char *buf;
	size_t len, cap, max;
};

/* Called per complete line (no newline, no trailing CR, never empty). */
typedef int (*line_fn)(const char *line, size_t len, void *ctx);

void line_splitter_init(struct line_splitter *ls, size_t max);
/*
 * Feed @n bytes.  0; -E2BIG when a line exceeds the maximum (the rest of
 * the stream cannot be trusted: restart it); or the first non-zero value
 * @fn returned, with the remaining bytes dropped.
 */
int line_splitter_feed(struct line_splitter *ls, const char *data, size_t n, line_fn fn, void *ctx);
/* Bytes of an incomplete last line still held. */
size_t line_splitter_pending(const struct line_splitter *ls);
void line_splitter_reset(struct line_splitter *ls);
void line_splitter_free(struct line_splitter *ls);

/*
 * What the agent needs of one pod, or of one namespace (KUBE_NAMESPACE:
 * ns and name both its name, the budget its annotation's, the rest unset).
 */
enum kube_object { KUBE_POD, KUBE_NAMESPACE };

struct pod {
	char uid[KUBE_UID_MAX + 1];
	char cgroup_uid[KUBE_UID_MAX + 1];	/* the kubelet's: the mirror annotation's, else uid */
	bool mirror;
	char ns[KUBE_NAME_MAX + 1];
	char name[KUBE_NAME_MAX + 1];
	enum pod_qos qos;
	bool has_budget;		/* the annotation is present */
	char *budget;			/* its value, malloc'd (may hold NULs) */
	size_t budget_len;
};

void pod_free(struct pod *p);
/* Move @src into @dst (freeing what @dst held); @src is left empty. */
void pod_move(struct pod *dst, struct pod *src);

enum watch_type { WATCH_ADDED, WATCH_MODIFIED, WATCH_DELETED, WATCH_BOOKMARK, WATCH_ERROR };

struct watch_event {
	enum watch_type type;
	struct pod pod;			/* ADDED, MODIFIED, DELETED */
	char rv[KUBE_RV_MAX + 1];	/* object's resourceVersion; "" for ERROR */
	int code;			/* ERROR: the Status code (410: expired) */
	char message[256];		/* ERROR: the Status message */
};

/* One line of a watch stream.  0, or -1 with one line in @err. */
int watch_event_parse(const char *line, size_t len, struct watch_event *ev, char *err, size_t errlen);
int kube_event_parse(enum kube_object kind, const char *line, size_t len, struct watch_event *ev,
		     char *err, size_t errlen);
void watch_event_free(struct watch_event *ev);

/*
 * A PodList page: its pods are appended to *@pods (*@nr of them, realloc'd),
 * its resourceVersion and continue token copied.  0, or -1 with @err.
 */
int pod_list_parse(const char *body, size_t len, struct pod **pods, size_t *nr,
		   char *rv, size_t rvlen, char *cont, size_t contlen, char *err, size_t errlen);
/* The same for a PodList or a NamespaceList page. */
int kube_list_parse(enum kube_object kind, const char *body, size_t len, struct pod **pods, size_t *nr,
		    char *rv, size_t rvlen, char *cont, size_t contlen, char *err, size_t errlen);

/* A Status body's code and message (an HTTP error answer); -1 if not one. */
int kube_status_parse(const char *body, size_t len, int *code, char *msg, size_t msglen);

#endif /* __SLO_AGENT_WATCH_STREAM_H */
