// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kube_client.h"

void kube_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static bool tls_error(CURLcode c)
{
	return c == CURLE_SSL_CONNECT_ERROR || c == CURLE_PEER_FAILED_VERIFICATION ||
	       c == CURLE_SSL_CACERT_BADFILE || c == CURLE_SSL_CERTPROBLEM ||
	       c == CURLE_SSL_ISSUER_ERROR;
}

/* "Retry-After: 3" (delta seconds; an HTTP date is treated as absent). */
static long parse_retry_after(const char *line, size_t len)
{
	static const char key[] = "retry-after:";
	char num[16];
	size_t i = sizeof(key) - 1, n = 0;

	if (len < i || strncasecmp(line, key, i))
		return -2;
	while (i < len && line[i] == ' ')
		i++;
	while (i < len && n < sizeof(num) - 1 && line[i] >= '0' && line[i] <= '9')
		num[n++] = line[i++];
	num[n] = '\0';
	return n ? strtol(num, NULL, 10) : -1;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *p)
{
	long *retry_after = p, v = parse_retry_after(data, size * nmemb);

	if (v >= -1)
		*retry_after = v;
	return size * nmemb;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *p)
{
	struct kube_response *r = p;
	size_t n = size * nmemb;
	char *nb;

	if (r->len + n > KUBE_MAX_BODY)
		return 0;
	nb = realloc(r->body, r->len + n + 1);
	if (!nb)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* The options every request shares; NULL on failure. */
static CURL *new_easy(struct kube_config *kc, const char *path, struct curl_slist **headers,
		      char *errbuf)
{
	char url[4096], auth[KUBE_TOKEN_MAX + 32];
	CURL *c;

	if ((size_t)snprintf(url, sizeof(url), "%s%s", kc->api, path) >= sizeof(url))
		return NULL;
	c = curl_easy_init();
	if (!c)
		return NULL;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", kc->token);
	*headers = curl_slist_append(NULL, auth);
	*headers = curl_slist_append(*headers, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *headers);
	curl_easy_setopt(c, CURLOPT_CAINFO, kc->ca_file);
	/* read the CA file for each connection: a rotated CA needs no restart */
	curl_easy_setopt(c, CURLOPT_CA_CACHE_TIMEOUT, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)KUBE_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "scx_slo_agent");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	return c;
}

int kube_request(struct kube_config *kc, const char *method, const char *path, const char *json,
		 struct kube_response *r)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	CURLcode res;
	CURL *c;

	memset(r, 0, sizeof(*r));
	r->retry_after_s = -1;
	c = new_easy(kc, path, &headers, errbuf);
	if (!c) {
		snprintf(r->error, sizeof(r->error), "cannot make a request for %.200s", path);
		return -1;
	}
	if (json) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	}
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)KUBE_REQUEST_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->retry_after_s);
	res = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	if (res != CURLE_OK) {
		r->tls_failed = tls_error(res);
		snprintf(r->error, sizeof(r->error), "%s %.200s: %s", method, kc->api,
			 errbuf[0] ? errbuf : curl_easy_strerror(res));
		r->status = 0;	/* no whole answer: nothing of it is used */
		return -1;
	}
	return 0;
}

void kube_response_free(struct kube_response *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

static int count_line(const char *line, size_t len, void *p)
{
	struct kube_watch *w = p;

	w->events++;
	return w->fn(line, len, w->ctx);
}

static size_t on_watch_body(char *data, size_t size, size_t nmemb, void *p)
{
	struct kube_watch *w = p;
	size_t n = size * nmemb;
	char *nb;
	int ret;

	w->last_data = kube_now();
	if (!w->status)
		curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &w->status);
	if (w->status != 200) {
		if (w->error_len + n > KUBE_MAX_ERROR_BODY)
			return n;
		nb = realloc(w->error_body, w->error_len + n + 1);
		if (!nb)
			return 0;
		w->error_body = nb;
		memcpy(nb + w->error_len, data, n);
		w->error_len += n;
		nb[w->error_len] = '\0';
		return n;
	}
	ret = line_splitter_feed(&w->lines, data, n, count_line, w);
	if (ret) {
		w->stop_reason = ret;
		return 0;	/* ends the transfer: CURLE_WRITE_ERROR */
	}
	return n;
}

int kube_watch_start(struct kube_watch *w, CURLM *multi, struct kube_config *kc, const char *path,
		     line_fn fn, void *ctx, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->retry_after_s = -1;
	w->easy = new_easy(kc, path, &w->headers, w->error);
	if (!w->easy) {
		snprintf(err, errlen, "cannot make a watch request for %.200s", path);
		return -1;
	}
	line_splitter_init(&w->lines, WATCH_MAX_LINE);
	w->fn = fn;
	w->ctx = ctx;
	curl_easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, on_watch_body);
	curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(w->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(w->easy, CURLOPT_HEADERDATA, &w->retry_after_s);
	curl_easy_setopt(w->easy, CURLOPT_PRIVATE, w);
	w->started = w->last_data = kube_now();
	if (curl_multi_add_handle(multi, w->easy) != CURLM_OK) {
		snprintf(err, errlen, "cannot start the watch");
		curl_easy_cleanup(w->easy);
		curl_slist_free_all(w->headers);
		line_splitter_free(&w->lines);
		w->easy = NULL;
		return -1;
	}
	w->active = true;
	return 0;
}

void kube_watch_stop(struct kube_watch *w, CURLM *multi)
{
	if (!w->active)
		return;
	curl_multi_remove_handle(multi, w->easy);
	curl_easy_cleanup(w->easy);
	curl_slist_free_all(w->headers);
	line_splitter_free(&w->lines);
	free(w->error_body);
	w->error_body = NULL;
	w->easy = NULL;
	w->active = false;
}
