// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "annotation.h"
#include "watch_stream.h"

/* ---- line splitter ------------------------------------------------------------- */

void line_splitter_init(struct line_splitter *ls, size_t max)
{
	memset(ls, 0, sizeof(*ls));
	ls->max = max;
}

static int emit(const char *line, size_t len, line_fn fn, void *ctx)
{
	if (len && line[len - 1] == '\r')
		len--;
	if (!len)
		return 0;
	return fn(line, len, ctx);
}

static int hold(struct line_splitter *ls, const char *data, size_t n)
{
	size_t cap;
	char *nb;

	if (ls->len + n > ls->max)
		return -E2BIG;
	if (ls->len + n > ls->cap) {
		cap = ls->cap ? ls->cap : 4096;
		while (cap < ls->len + n)
			cap *= 2;
		nb = realloc(ls->buf, cap);
		if (!nb)
			return -ENOMEM;
		ls->buf = nb;
		ls->cap = cap;
	}
	memcpy(ls->buf + ls->len, data, n);
	ls->len += n;
	return 0;
}

int line_splitter_feed(struct line_splitter *ls, const char *data, size_t n, line_fn fn, void *ctx)
{
	const char *nl;
	size_t piece, len;
	int ret;

	while (n) {
		nl = memchr(data, '\n', n);
		if (!nl)
			return hold(ls, data, n);
		piece = (size_t)(nl - data);
		if (ls->len) {
			/* the line began in an earlier piece */
			ret = hold(ls, data, piece);
			if (ret)
				return ret;
			len = ls->len;
			ls->len = 0;
			ret = emit(ls->buf, len, fn, ctx);
		} else {
			if (piece > ls->max)
				return -E2BIG;
			ret = emit(data, piece, fn, ctx);
		}
		if (ret)
			return ret;
		n -= piece + 1;
		data = nl + 1;
	}
	return 0;
}

size_t line_splitter_pending(const struct line_splitter *ls)
{
	return ls->len;
}

void line_splitter_reset(struct line_splitter *ls)
{
	ls->len = 0;
}

void line_splitter_free(struct line_splitter *ls)
{
	free(ls->buf);
	memset(ls, 0, sizeof(*ls));
}

/* ---- JSON ---------------------------------------------------------------------- */

void pod_free(struct pod *p)
{
	free(p->budget);
	memset(p, 0, sizeof(*p));
}

void pod_move(struct pod *dst, struct pod *src)
{
	if (dst == src)
		return;
	pod_free(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* Copy a required string field; -1 with @err when missing or too long. */
static int copy_field(struct json_object *o, const char *key, const char *what, char *out,
		      size_t len, char *err, size_t errlen)
{
	const char *s = get_str(o, key);

	if (!s) {
		snprintf(err, errlen, "%s has no %s", what, key);
		return -1;
	}
	if (strlen(s) >= len) {
		snprintf(err, errlen, "%s's %s is longer than %zu bytes", what, key, len - 1);
		return -1;
	}
	strcpy(out, s);
	return 0;
}

/* Same quantity spelled the same way; the API server canonicalises them. */
static int same_quantity(struct json_object *a, struct json_object *b)
{
	const char *x = a ? json_object_get_string(a) : NULL, *y = b ? json_object_get_string(b) : NULL;

	return x && y && !strcmp(x, y);
}

/*
 * The kubelet's rule when the API server did not set status.qosClass:
 * Guaranteed when every container limits CPU and memory and requests
 * (defaulted to the limits) equal them; BestEffort when no container
 * requests or limits either; else Burstable.
 */
static enum pod_qos compute_qos(struct json_object *spec)
{
	static const char *const lists[] = { "containers", "initContainers" };
	bool guaranteed = true, any = false;
	size_t l, i, k, n;

	for (l = 0; l < 2; l++) {
		struct json_object *arr = get(spec, lists[l]);

		if (!arr || !json_object_is_type(arr, json_type_array))
			continue;
		n = json_object_array_length(arr);
		for (i = 0; i < n; i++) {
			struct json_object *res = get(json_object_array_get_idx(arr, i), "resources");
			struct json_object *req = get(res, "requests"), *lim = get(res, "limits");
			static const char *const kinds[] = { "cpu", "memory" };

			for (k = 0; k < 2; k++) {
				struct json_object *r = get(req, kinds[k]), *m = get(lim, kinds[k]);

				if (r || m)
					any = true;
				if (!m || (r && !same_quantity(r, m)))
					guaranteed = false;
			}
		}
	}
	if (!any)
		return POD_QOS_BESTEFFORT;
	return guaranteed ? POD_QOS_GUARANTEED : POD_QOS_BURSTABLE;
}

static int object_from_json(enum kube_object kind, struct json_object *obj, struct pod *p, char *rv,
			    char *err, size_t errlen)
{
	const char *what = kind == KUBE_NAMESPACE ? "namespace" : "pod";
	struct json_object *meta = get(obj, "metadata"), *ann, *status, *budget;
	const char *s, *qos;

	memset(p, 0, sizeof(*p));
	if (!meta) {
		snprintf(err, errlen, "%s has no metadata", what);
		return -1;
	}
	if (copy_field(meta, "uid", what, p->uid, sizeof(p->uid), err, errlen) ||
	    copy_field(meta, "name", what, p->name, sizeof(p->name), err, errlen))
		return -1;
	if (kind == KUBE_NAMESPACE)
		strcpy(p->ns, p->name);
	else if (copy_field(meta, "namespace", what, p->ns, sizeof(p->ns), err, errlen))
		return -1;
	if (rv && copy_field(meta, "resourceVersion", what, rv, KUBE_RV_MAX + 1, err, errlen))
		return -1;
	ann = get(meta, "annotations");
	s = get_str(ann, "kubernetes.io/config.mirror");
	if (s && strlen(s) <= KUBE_UID_MAX) {
		/* a static pod: the kubelet names its cgroup by the config hash */
		strcpy(p->cgroup_uid, s);
		p->mirror = true;
	} else {
		strcpy(p->cgroup_uid, p->uid);
	}
	budget = get(ann, SLO_AGENT_ANNOTATION);
	if (budget) {
		const char *v = json_object_is_type(budget, json_type_string) ? json_object_get_string(budget) : "";
		size_t n = json_object_is_type(budget, json_type_string) ? (size_t)json_object_get_string_len(budget) : 0;

		p->budget = malloc(n + 1);
		if (!p->budget) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		memcpy(p->budget, v, n);
		p->budget[n] = '\0';
		p->budget_len = n;
		p->has_budget = true;
	}
	if (kind == KUBE_NAMESPACE)
		return 0;
	status = get(obj, "status");
	qos = get_str(status, "qosClass");
	if (!qos || pod_qos_parse(qos, &p->qos))
		p->qos = compute_qos(get(obj, "spec"));
	return 0;
}

static struct json_object *parse_json(const char *buf, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	struct json_object *o;
	enum json_tokener_error e;
	size_t end;

	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (len > (size_t)INT32_MAX) {
		json_tokener_free(tok);
		snprintf(err, errlen, "JSON of %zu bytes is too large", len);
		return NULL;
	}
	o = json_tokener_parse_ex(tok, buf, (int)len);
	e = json_tokener_get_error(tok);
	end = o ? json_tokener_get_parse_end(tok) : 0;
	/* a list body ends with a newline */
	while (end < len && (buf[end] == '\n' || buf[end] == '\r' || buf[end] == ' ' || buf[end] == '\t'))
		end++;
	if (!o || e != json_tokener_success || end != len) {
		snprintf(err, errlen, "invalid JSON: %s",
			 e == json_tokener_continue ? "truncated" :
			 e != json_tokener_success ? json_tokener_error_desc(e) : "trailing data");
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

void watch_event_free(struct watch_event *ev)
{
	pod_free(&ev->pod);
}

int watch_event_parse(const char *line, size_t len, struct watch_event *ev, char *err, size_t errlen)
{
	return kube_event_parse(KUBE_POD, line, len, ev, err, errlen);
}

int kube_event_parse(enum kube_object kind, const char *line, size_t len, struct watch_event *ev,
		     char *err, size_t errlen)
{
	struct json_object *root, *obj;
	const char *type;
	int ret = -1;

	memset(ev, 0, sizeof(*ev));
	root = parse_json(line, len, err, errlen);
	if (!root)
		return -1;
	type = get_str(root, "type");
	obj = get(root, "object");
	if (!type || !obj) {
		snprintf(err, errlen, "watch event without %s", type ? "object" : "type");
		goto out;
	}
	if (!strcmp(type, "ERROR")) {
		struct json_object *code = get(obj, "code");
		const char *msg = get_str(obj, "message");

		ev->type = WATCH_ERROR;
		ev->code = code ? json_object_get_int(code) : 0;
		snprintf(ev->message, sizeof(ev->message), "%s", msg ? msg : "");
		ret = 0;
		goto out;
	}
	if (!strcmp(type, "BOOKMARK")) {
		ev->type = WATCH_BOOKMARK;
		ret = copy_field(get(obj, "metadata"), "resourceVersion", "bookmark", ev->rv,
				 sizeof(ev->rv), err, errlen);
		goto out;
	}
	if (!strcmp(type, "ADDED"))
		ev->type = WATCH_ADDED;
	else if (!strcmp(type, "MODIFIED"))
		ev->type = WATCH_MODIFIED;
	else if (!strcmp(type, "DELETED"))
		ev->type = WATCH_DELETED;
	else {
		snprintf(err, errlen, "unknown watch event type '%.32s'", type);
		goto out;
	}
	ret = object_from_json(kind, obj, &ev->pod, ev->rv, err, errlen);
out:
	json_object_put(root);
	if (ret)
		watch_event_free(ev);
	return ret;
}

int pod_list_parse(const char *body, size_t len, struct pod **pods, size_t *nr,
		   char *rv, size_t rvlen, char *cont, size_t contlen, char *err, size_t errlen)
{
	return kube_list_parse(KUBE_POD, body, len, pods, nr, rv, rvlen, cont, contlen, err, errlen);
}

int kube_list_parse(enum kube_object kind, const char *body, size_t len, struct pod **pods, size_t *nr,
		    char *rv, size_t rvlen, char *cont, size_t contlen, char *err, size_t errlen)
{
	struct json_object *root, *items, *meta;
	const char *c;
	size_t i, n;
	int ret = -1;

	root = parse_json(body, len, err, errlen);
	if (!root)
		return -1;
	meta = get(root, "metadata");
	items = get(root, "items");
	if (!meta || (items && !json_object_is_type(items, json_type_array))) {
		snprintf(err, errlen, "not a list: no %s", meta ? "items array" : "metadata");
		goto out;
	}
	if (copy_field(meta, "resourceVersion", "list", rv, rvlen, err, errlen))
		goto out;
	c = get_str(meta, "continue");
	snprintf(cont, contlen, "%s", c ? c : "");
	n = items ? json_object_array_length(items) : 0;
	for (i = 0; i < n; i++) {
		struct pod *np = realloc(*pods, (*nr + 1) * sizeof(**pods));

		if (!np) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		*pods = np;
		if (object_from_json(kind, json_object_array_get_idx(items, i), &np[*nr], NULL, err, errlen))
			goto out;
		(*nr)++;
	}
	ret = 0;
out:
	json_object_put(root);
	return ret;
}

int kube_status_parse(const char *body, size_t len, int *code, char *msg, size_t msglen)
{
	char err[64];
	struct json_object *root = body && len ? parse_json(body, len, err, sizeof(err)) : NULL;
	const char *kind = get_str(root, "kind"), *m;
	int ret = -1;

	if (kind && !strcmp(kind, "Status")) {
		*code = get(root, "code") ? json_object_get_int(get(root, "code")) : 0;
		m = get_str(root, "message");
		snprintf(msg, msglen, "%s", m ? m : "");
		ret = 0;
	}
	json_object_put(root);
	return ret;
}
