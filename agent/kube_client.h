/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_AGENT_KUBE_CLIENT_H
#define __SLO_AGENT_KUBE_CLIENT_H

/*
 * Requests to the API server (libcurl): plain requests, blocking with a
 * deadline, and the long watch request on a curl multi handle the main
 * loop drives, its body fed to a line splitter as it arrives.
 */
#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "kube_config.h"
#include "watch_stream.h"

#define KUBE_CONNECT_TIMEOUT_S	10
#define KUBE_REQUEST_TIMEOUT_S	60
#define KUBE_MAX_BODY		(256u << 20)	/* one list page */
#define KUBE_MAX_ERROR_BODY	(64u << 10)

struct kube_response {
	long status;		/* HTTP status; 0 when no answer came */
	char *body;
	size_t len;
	long retry_after_s;	/* Retry-After seconds, -1 when absent */
	bool tls_failed;	/* the connection failed on TLS (the CA?) */
	char error[CURL_ERROR_SIZE + 64];
};

void kube_global_init(void);

/*
 * @method "GET" or "POST" (then @json is the body).  0 when an answer came
 * (any status); -1 when none did (@r->error says why).
 */
int kube_request(struct kube_config *kc, const char *method, const char *path, const char *json,
		 struct kube_response *r);
void kube_response_free(struct kube_response *r);

struct kube_watch {
	CURL *easy;
	struct curl_slist *headers;
	struct line_splitter lines;
	line_fn fn;
	void *ctx;
	long status;
	char *error_body;		/* a non-200 answer's body */
	size_t error_len;
	long retry_after_s;
	int stop_reason;		/* non-zero from fn, or -E2BIG */
	double started, last_data;	/* CLOCK_MONOTONIC s */
	unsigned long events;		/* lines handed to fn */
	bool active;
	char error[CURL_ERROR_SIZE];
};

/* Start watching @path on @multi.  0, or -1 with @err. */
int kube_watch_start(struct kube_watch *w, CURLM *multi, struct kube_config *kc, const char *path,
		     line_fn fn, void *ctx, char *err, size_t errlen);
/* Remove it from @multi and free it; safe on an inactive one. */
void kube_watch_stop(struct kube_watch *w, CURLM *multi);

#endif /* __SLO_AGENT_KUBE_CLIENT_H */
