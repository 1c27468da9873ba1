// SPDX-License-Identifier: GPL-2.0
/*
 * scx_slo_agent: turns the scx-slo.io/latency-budget annotations of the
 * pods bound to this node into an SLO file the scheduler reads from its
 * --slo-dir.  It needs no capabilities: it reads the API server (list and
 * watch of the node's pods), looks at the cgroup tree, and writes one file.
 *
 * One thread: the watch runs on a curl multi handle polled at most a second
 * at a time, so the once-a-second work (pending cgroups, token age, the
 * metrics text) runs whether or not the stream is quiet.
 *
 * Rules it keeps:
 * - a pod gets an entry once its budget is valid and its cgroup has been
 *   seen under either kubelet driver; until then it is pending (checked
 *   every second and on each event).  An entry stays while the pod
 *   exists, even after its cgroup is gone (the loader ignores absent
 *   cgroups), and goes with the pod's deletion;
 * - the file is written only after a first complete list, only when its
 *   bytes change, and atomically; while the API server is unreachable the
 *   last written file stays as it is;
 * - a 410 (in the stream or as the answer) means a fresh list, diffed with
 *   what was known: a pod deleted while the watch was down goes too;
 * - with --namespace-defaults the namespaces are listed and watched the
 *   same way, each collection on its own request, backoff and version; a
 *   pod without the annotation takes its namespace's, re-evaluated when the
 *   namespace changes, and the file waits for both first lists.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "agent_metrics.h"
#include "annotation.h"
#include "config.h"
#include "escape.h"
#include "http.h"
#include "kube_client.h"
#include "kube_config.h"
#include "pod_cgroup.h"
#include "slo_file.h"
#include "watch_stream.h"

#define DEFAULT_OUTPUT		"/run/scx-slo/slos/pods.yaml"
#define DEFAULT_METRICS		"127.0.0.1:9181"
#define DEFAULT_CGROUP_ROOT	"/sys/fs/cgroup"
#define BACKOFF_BASE_MS		500
#define BACKOFF_MAX_MS		30000
#define RETRY_AFTER_MAX_S	60
#define WATCH_MIN_TIMEOUT_S	300	/* timeoutSeconds asked: 5 to 10 min */
#define WATCH_IDLE_GRACE_S	60	/* past it with no byte: a dead stream */
#define SHORT_WATCH_S		1.0	/* an eventless stream shorter than this failed */
#define LIST_PAGE		500
#define MAX_PODS		(64 * 1024)
#define MAX_NAMESPACES		(64 * 1024)
#define EXIT_USAGE		2

#define STOP_RELIST		1	/* line callback: 410 in the stream */
#define STOP_ERROR		2	/* line callback: an ERROR event or bad line */

struct opts {
	const char *node;
	const char *api;
	const char *token_file;
	const char *ca_file;
	const char *cgroup_root;
	const char *output;
	const char *metrics;
	bool namespace_defaults;
	bool verbose;
};

struct pod_entry {
	struct pod pod;
	bool valid;			/* has a budget, and it parses */
	uint64_t budget_ns;
	bool reported;			/* its invalid value was logged and counted */
	bool event_due;			/* an Event about it is still to post */
	char msg[256];			/* why the value is invalid */
	char path[256];			/* its cgroup once seen; "" while pending */
	bool conflict_logged;
};

/* A namespace's default budget (--namespace-defaults). */
struct ns_entry {
	struct pod ns;			/* name and annotation only */
	bool valid;
	uint64_t budget_ns;
};

enum phase { NEED_LIST, NEED_WATCH, WATCHING };

struct agent;

/* One listed and watched collection: the node's pods, or the namespaces. */
struct resource {
	struct agent *a;
	enum kube_object kind;
	const char *what;		/* "pods", "namespaces": for log lines */
	char path[512];			/* the collection and its selector, up to '?' or '&' */
	struct kube_watch watch;
	enum phase phase;
	double retry_at;
	unsigned int failures;		/* in a row, for the backoff */
	int stop_kind;			/* STOP_* from the line callback */
	char rv[KUBE_RV_MAX + 1];
	bool synced;			/* a list completed at least once */
};

enum { RES_PODS, RES_NAMESPACES, RES_MAX };

struct agent {
	struct opts o;
	struct kube_config kc;
	CURLM *multi;
	struct resource res[RES_MAX];
	unsigned int nr_res;
	unsigned int backoff_base_ms, backoff_max_ms;
	bool synced;			/* every collection listed at least once */
	bool dirty;
	struct pod_entry *pods;
	size_t nr_pods;
	struct ns_entry *nss;
	size_t nr_nss;
	char *written;			/* bytes last written (or found) */
	size_t written_len;
	struct agent_stats st;
	struct slo_http *http;
	bool reachable_logged_down;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = sig;
}

__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("scx_slo_agent: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* "namespace/name", escaped for a log line. */
static const char *pod_label(const struct pod *p, char *buf, size_t len)
{
	char raw[2 * KUBE_NAME_MAX + 2];

	snprintf(raw, sizeof(raw), "%s/%s", p->ns, p->name);
	slo_escape(buf, len, raw);
	return buf;
}

static const char *name_label(const char *name, char *buf, size_t len)
{
	slo_escape(buf, len, name);
	return buf;
}

static void usage(FILE *out)
{
	fprintf(out,
"Usage: scx_slo_agent [OPTIONS]\n"
"\n"
"Watch the pods bound to this node and write their scx-slo.io/latency-budget\n"
"annotations as an SLO file for scx_slo --slo-dir.\n"
"\n"
"  -n, --node NAME        this node's name (default: $NODE_NAME; required)\n"
"  -a, --api-server URL   API server (default: https://$KUBERNETES_SERVICE_HOST:\n"
"                         $KUBERNETES_SERVICE_PORT)\n"
"  -t, --token-file FILE  service-account token, read again every minute and\n"
"                         after a 401 (default:\n"
"                         " KUBE_TOKEN_FILE ")\n"
"  -C, --ca-file FILE     CA of the API server, read for every connection\n"
"                         (default:\n"
"                         " KUBE_CA_FILE ")\n"
"  -r, --cgroup-root DIR  cgroup2 mount where the pods' cgroups are looked for\n"
"                         (default: " DEFAULT_CGROUP_ROOT ")\n"
"  -o, --output FILE      SLO file to write, atomically (default:\n"
"                         " DEFAULT_OUTPUT ")\n"
"  -m, --metrics ADDR:PORT  serve /metrics and /healthz (default: " DEFAULT_METRICS ";\n"
"                         'none' to serve nothing)\n"
"  -N, --namespace-defaults  also watch the namespaces: a pod without the\n"
"                         annotation takes its namespace's\n"
"  -v, --verbose          log every pod change\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 after SIGTERM or SIGINT, 1 on a runtime failure, 2 for bad usage.\n");
}

/* A node name is a DNS subdomain: it goes into a query string as is. */
static bool node_name_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > 253)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return false;
	}
	return true;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option long_opts[] = {
		{ "node",		required_argument, NULL, 'n' },
		{ "api-server",		required_argument, NULL, 'a' },
		{ "token-file",		required_argument, NULL, 't' },
		{ "ca-file",		required_argument, NULL, 'C' },
		{ "cgroup-root",	required_argument, NULL, 'r' },
		{ "output",		required_argument, NULL, 'o' },
		{ "metrics",		required_argument, NULL, 'm' },
		{ "namespace-defaults",	no_argument,       NULL, 'N' },
		{ "verbose",		no_argument,       NULL, 'v' },
		{ "help",		no_argument,       NULL, 'h' },
		{}
	};
	struct stat st;
	int c;

	*o = (struct opts){
		.node = getenv("NODE_NAME"),
		.token_file = KUBE_TOKEN_FILE,
		.ca_file = KUBE_CA_FILE,
		.cgroup_root = DEFAULT_CGROUP_ROOT,
		.output = DEFAULT_OUTPUT,
		.metrics = DEFAULT_METRICS,
	};
	while ((c = getopt_long(argc, argv, "n:a:t:C:r:o:m:Nvh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'n': o->node = optarg; break;
		case 'a': o->api = optarg; break;
		case 't': o->token_file = optarg; break;
		case 'C': o->ca_file = optarg; break;
		case 'r': o->cgroup_root = optarg; break;
		case 'o': o->output = optarg; break;
		case 'm': o->metrics = optarg; break;
		case 'N': o->namespace_defaults = true; break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		default:
			fprintf(stderr, "Try 'scx_slo_agent --help'.\n");
			return -1;
		}
	}
	if (optind < argc) {
		say("unexpected argument '%.200s'", argv[optind]);
		return -1;
	}
	if (!o->node || !*o->node) {
		say("--node not given and NODE_NAME not set");
		return -1;
	}
	if (!node_name_valid(o->node)) {
		say("--node '%.253s': not a node name (lowercase letters, digits, '-' and '.')", o->node);
		return -1;
	}
	if (stat(o->cgroup_root, &st) || !S_ISDIR(st.st_mode)) {
		say("--cgroup-root %.200s: not a directory", o->cgroup_root);
		return -1;
	}
	if (o->output[0] != '/' || o->output[strlen(o->output) - 1] == '/') {
		say("--output '%.200s': must be an absolute file path", o->output);
		return -1;
	}
	if (strlen(o->output) < PATH_MAX) {
		char dir[PATH_MAX];

		strcpy(dir, o->output);
		*strrchr(dir, '/') = '\0';
		if (stat(dir[0] ? dir : "/", &st) || !S_ISDIR(st.st_mode)) {
			say("--output %.200s: no directory %.200s", o->output, dir);
			return -1;
		}
	}
	if (strcmp(o->metrics, "none")) {
		struct sockaddr_storage ss;
		socklen_t sslen;
		char err[256];

		if (slo_http_parse_addr(o->metrics, &ss, &sslen, err, sizeof(err))) {
			say("--metrics: %s", err);
			return -1;
		}
	}
	return 0;
}

/* ---- the pod table ------------------------------------------------------------- */

static struct pod_entry *find_pod(struct agent *a, const char *uid)
{
	size_t i;

	for (i = 0; i < a->nr_pods; i++)
		if (!strcmp(a->pods[i].pod.uid, uid))
			return &a->pods[i];
	return NULL;
}

static bool same_inputs(const struct pod *x, const struct pod *y)
{
	return x->qos == y->qos && !strcmp(x->cgroup_uid, y->cgroup_uid) &&
	       x->has_budget == y->has_budget && x->budget_len == y->budget_len &&
	       (!x->budget_len || !memcmp(x->budget, y->budget, x->budget_len));
}

static struct ns_entry *find_ns(struct agent *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nr_nss; i++)
		if (!strcmp(a->nss[i].ns.name, name))
			return &a->nss[i];
	return NULL;
}

/* A pod without its own annotation: its namespace's valid one, or none. */
static void inherit(struct agent *a, struct pod_entry *e)
{
	const struct ns_entry *n = a->o.namespace_defaults ? find_ns(a, e->pod.ns) : NULL;
	bool valid = n && n->valid;
	uint64_t budget_ns = valid ? n->budget_ns : 0;

	if (valid != e->valid || budget_ns != e->budget_ns)
		a->dirty = true;
	e->valid = valid;
	e->budget_ns = budget_ns;
}

/* Check the pod's budget and look for its cgroup; logs what changes. */
static void evaluate(struct agent *a, struct pod_entry *e)
{
	char label[4 * (2 * KUBE_NAME_MAX + 2) + 1];
	int ret;

	if (!e->pod.has_budget) {
		if (e->reported)	/* its UID cannot name a cgroup */
			return;
		inherit(a, e);
	} else if (!e->valid && !e->reported) {
		if (agent_parse_annotation(e->pod.budget, e->pod.budget_len, &e->budget_ns, e->msg,
					   sizeof(e->msg))) {
			say("pod %s: annotation " SLO_AGENT_ANNOTATION ": %s; this pod is skipped",
			    pod_label(&e->pod, label, sizeof(label)), e->msg);
			a->st.invalid_annotations_total++;
			e->reported = true;
			e->event_due = !a->st.events_forbidden;
			return;
		}
		e->valid = true;
	}
	if (!e->valid || e->path[0])
		return;
	ret = pod_cgroup_resolve(a->o.cgroup_root, e->pod.qos, e->pod.cgroup_uid, e->path,
				 sizeof(e->path));
	if (ret == -EINVAL) {
		/* cannot be a kubelet's pod: never retried for the same UID */
		say("pod %s: UID '%.64s' cannot name a cgroup; this pod is skipped",
		    pod_label(&e->pod, label, sizeof(label)), e->pod.cgroup_uid);
		e->valid = false;
		e->reported = true;
		return;
	}
	if (ret) {
		e->path[0] = '\0';
		return;
	}
	if (a->o.verbose)
		say("pod %s: cgroup %s", pod_label(&e->pod, label, sizeof(label)), e->path);
	a->dirty = true;
}

/* ADDED or MODIFIED (or a listed pod): takes @p. */
static int upsert(struct agent *a, struct pod *p)
{
	struct pod_entry *e = find_pod(a, p->uid), *np;

	if (e && same_inputs(&e->pod, p)) {
		pod_move(&e->pod, p);
		return 0;
	}
	if (!e) {
		if (a->nr_pods >= MAX_PODS) {
			say("more than %d pods on this node: pod %.64s ignored", MAX_PODS, p->uid);
			pod_free(p);
			return -1;
		}
		np = realloc(a->pods, (a->nr_pods + 1) * sizeof(*np));
		if (!np) {
			pod_free(p);
			return -1;
		}
		a->pods = np;
		e = &a->pods[a->nr_pods++];
		memset(e, 0, sizeof(*e));
	} else {
		struct pod keep = e->pod;

		memset(e, 0, sizeof(*e));
		e->pod = keep;
	}
	pod_move(&e->pod, p);
	a->dirty = true;
	evaluate(a, e);
	return 0;
}

static void remove_pod(struct agent *a, const char *uid)
{
	struct pod_entry *e = find_pod(a, uid);

	if (!e)
		return;
	pod_free(&e->pod);
	*e = a->pods[--a->nr_pods];
	a->dirty = true;
}

/* ---- the namespace defaults ---------------------------------------------------- */

/* The pods of @ns that take its default see the new one. */
static void reevaluate_namespace(struct agent *a, const char *ns)
{
	size_t i;

	for (i = 0; i < a->nr_pods; i++)
		if (!a->pods[i].pod.has_budget && !strcmp(a->pods[i].pod.ns, ns))
			evaluate(a, &a->pods[i]);
}

/* ADDED or MODIFIED (or a listed namespace): takes @n. */
static void upsert_ns(struct agent *a, struct pod *n)
{
	char label[4 * KUBE_NAME_MAX + 1], msg[256];
	struct ns_entry *e = find_ns(a, n->name), *ne;

	if (e && e->ns.has_budget == n->has_budget && e->ns.budget_len == n->budget_len &&
	    (!n->budget_len || !memcmp(e->ns.budget, n->budget, n->budget_len))) {
		pod_move(&e->ns, n);
		return;
	}
	if (!e) {
		if (a->nr_nss >= MAX_NAMESPACES) {
			say("more than %d namespaces: namespace %s ignored", MAX_NAMESPACES,
			    name_label(n->name, label, sizeof(label)));
			pod_free(n);
			return;
		}
		ne = realloc(a->nss, (a->nr_nss + 1) * sizeof(*ne));
		if (!ne) {
			pod_free(n);
			return;
		}
		a->nss = ne;
		e = &a->nss[a->nr_nss++];
		memset(e, 0, sizeof(*e));
	}
	pod_move(&e->ns, n);
	e->valid = false;
	e->budget_ns = 0;
	if (e->ns.has_budget) {
		/* each namespace and value reported once: a new value comes here anew */
		if (agent_parse_annotation(e->ns.budget, e->ns.budget_len, &e->budget_ns, msg, sizeof(msg))) {
			say("namespace %s: annotation " SLO_AGENT_ANNOTATION ": %s; its pods without one "
			    "of their own are skipped", name_label(e->ns.name, label, sizeof(label)), msg);
			a->st.invalid_namespace_annotations_total++;
			e->budget_ns = 0;
		} else {
			e->valid = true;
		}
	}
	if (a->o.verbose)
		say("namespace %s: default %s", name_label(e->ns.name, label, sizeof(label)),
		    e->valid ? "set" : "none");
	reevaluate_namespace(a, e->ns.name);
}

static void remove_ns(struct agent *a, const char *name)
{
	struct ns_entry *e = find_ns(a, name);
	char gone[KUBE_NAME_MAX + 1];

	if (!e)
		return;
	snprintf(gone, sizeof(gone), "%s", e->ns.name);
	pod_free(&e->ns);
	*e = a->nss[--a->nr_nss];
	reevaluate_namespace(a, gone);
}

/* ---- the SLO file -------------------------------------------------------------- */

static void post_event(struct agent *a, struct pod_entry *e);

static void count_pods(struct agent *a)
{
	size_t i;

	a->st.pods_watched = (unsigned int)a->nr_pods;
	a->st.pods_pending = a->st.pods_invalid = 0;
	for (i = 0; i < a->nr_pods; i++) {
		const struct pod_entry *e = &a->pods[i];

		if (e->valid && !e->path[0])
			a->st.pods_pending++;
		if (e->pod.has_budget && !e->valid)
			a->st.pods_invalid++;
	}
}

static int by_path(const void *x, const void *y)
{
	const struct pod_entry *const *a = x, *const *b = y;
	int c = strcmp((*a)->path, (*b)->path);

	/* the pod the cgroup is named after first, then by name */
	if (!c)
		c = (int)(*a)->pod.mirror - (int)(*b)->pod.mirror;
	if (!c)
		c = strcmp((*a)->pod.uid, (*b)->pod.uid);
	return c;
}

static void publish(struct agent *a)
{
	char label[4 * (2 * KUBE_NAME_MAX + 2) + 1], err[512];
	struct pod_entry **sel;
	struct slo_file_entry *fe;
	struct slo_config check;
	char (*names)[2 * KUBE_NAME_MAX + 2];
	size_t i, n = 0, m = 0, len;
	char *text;

	for (i = 0; i < a->nr_pods; i++)
		if (a->pods[i].event_due)
			post_event(a, &a->pods[i]);
	count_pods(a);
	if (!a->synced || !a->dirty)
		return;
	sel = calloc(a->nr_pods + 1, sizeof(*sel));
	fe = calloc(a->nr_pods + 1, sizeof(*fe));
	names = calloc(a->nr_pods + 1, sizeof(*names));
	if (!sel || !fe || !names)
		goto out;
	for (i = 0; i < a->nr_pods; i++)
		if (a->pods[i].valid && a->pods[i].path[0])
			sel[n++] = &a->pods[i];
	qsort(sel, n, sizeof(*sel), by_path);
	for (i = 0; i < n; i++) {
		/* two pods claiming one cgroup (a mirror annotation naming another pod) */
		if (m && !strcmp(fe[m - 1].cgroup, sel[i]->path)) {
			if (!sel[i]->conflict_logged)
				say("pod %s: cgroup %s is already that of pod %s; this pod is skipped",
				    pod_label(&sel[i]->pod, label, sizeof(label)), sel[i]->path,
				    fe[m - 1].comment);
			sel[i]->conflict_logged = true;
			continue;
		}
		snprintf(names[m], sizeof(names[m]), "%s/%s", sel[i]->pod.ns, sel[i]->pod.name);
		fe[m] = (struct slo_file_entry){ .cgroup = sel[i]->path, .budget_ns = sel[i]->budget_ns,
						 .comment = names[m] };
		m++;
	}
	text = slo_file_render(fe, m, &len);
	if (!text)
		goto out;
	/* the loader refuses a whole file it cannot parse: never write one */
	if (slo_config_parse(text, len, a->o.output, &check, err, sizeof(err))) {
		say("internal error, SLO file not written: %s", err);
		free(text);
		goto out;
	}
	slo_config_free(&check);
	if (a->written ? (a->written_len == len && !memcmp(a->written, text, len))
		       : slo_file_same(a->o.output, text, len)) {
		free(a->written);
		a->written = text;
		a->written_len = len;
		a->st.slo_entries = (unsigned int)m;
		a->dirty = false;
		goto out;
	}
	if (slo_file_write(a->o.output, text, len, err, sizeof(err))) {
		/* dirty stays set: tried again on the next pass */
		say("%s", err);
		a->st.file_write_errors_total++;
		free(text);
		goto out;
	}
	say("wrote %s: %zu entr%s", a->o.output, m, m == 1 ? "y" : "ies");
	free(a->written);
	a->written = text;
	a->written_len = len;
	a->st.slo_entries = (unsigned int)m;
	a->st.file_writes_total++;
	a->dirty = false;
out:
	free(sel);
	free(fe);
	free(names);
}

/* ---- Events -------------------------------------------------------------------- */

static void post_event(struct agent *a, struct pod_entry *e)
{
	char path[512], stamp[32], label[4 * (2 * KUBE_NAME_MAX + 2) + 1];
	struct json_object *ev, *meta, *obj, *src;
	struct kube_response r;
	time_t now = time(NULL);
	struct tm tm;
	char *gen;

	e->event_due = false;
	if (a->st.events_forbidden)
		return;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (asprintf(&gen, "%s.", e->pod.name) < 0)
		return;
	ev = json_object_new_object();
	meta = json_object_new_object();
	json_object_object_add(meta, "generateName", json_object_new_string(gen));
	json_object_object_add(meta, "namespace", json_object_new_string(e->pod.ns));
	free(gen);
	obj = json_object_new_object();
	json_object_object_add(obj, "apiVersion", json_object_new_string("v1"));
	json_object_object_add(obj, "kind", json_object_new_string("Pod"));
	json_object_object_add(obj, "namespace", json_object_new_string(e->pod.ns));
	json_object_object_add(obj, "name", json_object_new_string(e->pod.name));
	json_object_object_add(obj, "uid", json_object_new_string(e->pod.uid));
	src = json_object_new_object();
	json_object_object_add(src, "component", json_object_new_string("scx_slo_agent"));
	json_object_object_add(src, "host", json_object_new_string(a->o.node));
	json_object_object_add(ev, "apiVersion", json_object_new_string("v1"));
	json_object_object_add(ev, "kind", json_object_new_string("Event"));
	json_object_object_add(ev, "metadata", meta);
	json_object_object_add(ev, "involvedObject", obj);
	json_object_object_add(ev, "reason", json_object_new_string("InvalidLatencyBudget"));
	json_object_object_add(ev, "message", json_object_new_string(e->msg));
	json_object_object_add(ev, "type", json_object_new_string("Warning"));
	json_object_object_add(ev, "source", src);
	json_object_object_add(ev, "firstTimestamp", json_object_new_string(stamp));
	json_object_object_add(ev, "lastTimestamp", json_object_new_string(stamp));
	json_object_object_add(ev, "count", json_object_new_int(1));
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events", e->pod.ns);
	if (kube_request(&a->kc, "POST", path, json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN),
			 &r)) {
		say("Event for pod %s not posted: %s", pod_label(&e->pod, label, sizeof(label)), r.error);
		a->st.events_failed_total++;
	} else if (r.status == 403) {
		say("not allowed to post Events (403): invalid annotations are reported in the log and /metrics only");
		a->st.events_forbidden = true;
		a->st.events_failed_total++;
	} else if (r.status < 200 || r.status > 299) {
		say("Event for pod %s not posted: HTTP %ld", pod_label(&e->pod, label, sizeof(label)),
		    r.status);
		a->st.events_failed_total++;
	} else {
		a->st.events_posted_total++;
	}
	kube_response_free(&r);
	json_object_put(ev);
}

/* ---- list and watch ------------------------------------------------------------ */

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_reachable(struct agent *a, bool up, const char *why)
{
	if (up) {
		if (!a->st.api_reachable && a->reachable_logged_down)
			say("API server reachable again");
		a->st.api_reachable = true;
		a->reachable_logged_down = false;
		return;
	}
	a->st.api_reachable = false;
	if (!a->reachable_logged_down) {
		say("API server unreachable (%s): keeping the last good state (%u entries)", why,
		    a->st.slo_entries);
		a->reachable_logged_down = true;
	}
}

/* Full-jitter exponential backoff, or what Retry-After asked for. */
static void retry_later(struct resource *r, long retry_after_s)
{
	struct agent *a = r->a;
	double base = a->backoff_base_ms, delay;
	unsigned int shift = r->failures < 16 ? r->failures : 16;

	delay = base * (double)(1u << shift);
	if (delay > a->backoff_max_ms)
		delay = a->backoff_max_ms;
	delay = delay / 2 + delay / 2 * ((double)random() / RAND_MAX);
	if (retry_after_s >= 0)
		delay = 1000.0 * (retry_after_s < RETRY_AFTER_MAX_S ? retry_after_s : RETRY_AFTER_MAX_S);
	r->failures++;
	r->retry_at = kube_now() + delay / 1000.0;
}

static void after_unauthorized(struct agent *a)
{
	char err[512];

	if (kube_token_reload(&a->kc, err, sizeof(err)))
		say("%s", err);
}

/* Diff a fresh list with the table: pods gone from it are deleted. */
static void replace_pods(struct agent *a, struct pod *listed, size_t n)
{
	char label[4 * (2 * KUBE_NAME_MAX + 2) + 1];
	size_t i, j;

	for (i = 0; i < a->nr_pods;) {
		bool found = false;

		for (j = 0; j < n && !found; j++)
			found = !strcmp(listed[j].uid, a->pods[i].pod.uid);
		if (found) {
			i++;
			continue;
		}
		if (a->o.verbose || a->res[RES_PODS].synced)
			say("pod %s: gone (deleted while not watching)",
			    pod_label(&a->pods[i].pod, label, sizeof(label)));
		remove_pod(a, a->pods[i].pod.uid);
	}
	for (j = 0; j < n; j++)
		upsert(a, &listed[j]);
}

/* The same for namespaces: pods of one gone from it lose its default. */
static void replace_namespaces(struct agent *a, struct pod *listed, size_t n)
{
	size_t i, j;

	for (i = 0; i < a->nr_nss;) {
		bool found = false;

		for (j = 0; j < n && !found; j++)
			found = !strcmp(listed[j].name, a->nss[i].ns.name);
		if (found)
			i++;
		else
			remove_ns(a, a->nss[i].ns.name);
	}
	for (j = 0; j < n; j++)
		upsert_ns(a, &listed[j]);
}

static int do_list(struct resource *res)
{
	struct agent *a = res->a;
	char path[4096], rv[KUBE_RV_MAX + 1] = "", cont[2048] = "", err[512];
	struct pod *pods = NULL;
	struct kube_response r;
	size_t nr = 0, i;
	int ret = -1;

	do {
		char *esc = cont[0] ? curl_easy_escape(NULL, cont, 0) : NULL;

		snprintf(path, sizeof(path), "%slimit=%d%s%s", res->path, LIST_PAGE,
			 esc ? "&continue=" : "", esc ? esc : "");
		curl_free(esc);
		if (kube_request(&a->kc, "GET", path, NULL, &r)) {
			if (r.tls_failed && !a->reachable_logged_down)
				say("list: TLS failure: the CA file is read again for each try");
			set_reachable(a, false, r.error);
			retry_later(res, -1);
			kube_response_free(&r);
			goto out;
		}
		if (r.status != 200) {
			char msg[256] = "";
			int code;

			kube_status_parse(r.body, r.len, &code, msg, sizeof(msg));
			snprintf(err, sizeof(err), "list of %s: HTTP %ld%s%.200s", res->what, r.status,
				 msg[0] ? ": " : "", msg);
			set_reachable(a, false, err);
			if (r.status == 401)
				after_unauthorized(a);
			retry_later(res, r.status == 429 || r.status >= 500 ? r.retry_after_s : -1);
			kube_response_free(&r);
			goto out;
		}
		if (kube_list_parse(res->kind, r.body ? r.body : "", r.len, &pods, &nr, rv, sizeof(rv), cont,
				    sizeof(cont), err, sizeof(err))) {
			char why[640];

			snprintf(why, sizeof(why), "list of %s: %s", res->what, err);
			set_reachable(a, false, why);
			retry_later(res, -1);
			kube_response_free(&r);
			goto out;
		}
		kube_response_free(&r);
	} while (cont[0]);
	if (res->kind == KUBE_NAMESPACE)
		replace_namespaces(a, pods, nr);
	else
		replace_pods(a, pods, nr);
	snprintf(res->rv, sizeof(res->rv), "%s", rv);
	set_reachable(a, true, NULL);
	res->synced = true;
	a->synced = a->res[RES_PODS].synced && (a->nr_res < 2 || a->res[RES_NAMESPACES].synced);
	a->dirty = true;
	a->st.last_sync_unix = wall_now();
	res->failures = 0;
	if (a->o.verbose)
		say("listed %zu %s at resourceVersion %s", nr, res->what, rv);
	ret = 0;
out:
	if (ret)
		a->st.list_failures_total++;
	else
		a->st.lists_total++;
	for (i = 0; i < nr; i++)
		pod_free(&pods[i]);
	free(pods);
	return ret;
}

static void apply_pod_event(struct agent *a, struct watch_event *ev)
{
	char label[4 * (2 * KUBE_NAME_MAX + 2) + 1];

	if (a->o.verbose)
		say("pod %s: %s", pod_label(&ev->pod, label, sizeof(label)),
		    ev->type == WATCH_ADDED ? "added" : ev->type == WATCH_MODIFIED ? "modified" : "deleted");
	if (ev->type == WATCH_DELETED)
		remove_pod(a, ev->pod.uid);
	else
		upsert(a, &ev->pod);
}

static void apply_ns_event(struct agent *a, struct watch_event *ev)
{
	if (ev->type == WATCH_DELETED)
		remove_ns(a, ev->pod.name);
	else
		upsert_ns(a, &ev->pod);
}

static int on_line(const char *line, size_t len, void *ctx)
{
	char err[512];
	struct resource *r = ctx;
	struct agent *a = r->a;
	struct watch_event ev;

	if (kube_event_parse(r->kind, line, len, &ev, err, sizeof(err))) {
		say("watch of %s: %s; watching again", r->what, err);
		r->stop_kind = STOP_ERROR;
		return STOP_ERROR;
	}
	a->st.last_sync_unix = wall_now();
	set_reachable(a, true, NULL);
	switch (ev.type) {
	case WATCH_ERROR:
		watch_event_free(&ev);
		if (ev.code == 410) {
			if (a->o.verbose)
				say("watch of %s: resourceVersion %s expired: listing again", r->what, r->rv);
			r->stop_kind = STOP_RELIST;
			return STOP_RELIST;
		}
		say("watch of %s: ERROR event %d: %.200s; watching again", r->what, ev.code, ev.message);
		r->stop_kind = STOP_ERROR;
		return STOP_ERROR;
	case WATCH_BOOKMARK:
		break;
	default:
		if (r->kind == KUBE_NAMESPACE)
			apply_ns_event(a, &ev);
		else
			apply_pod_event(a, &ev);
		break;
	}
	snprintf(r->rv, sizeof(r->rv), "%s", ev.rv);
	watch_event_free(&ev);
	return 0;
}

static void start_watch(struct resource *r)
{
	struct agent *a = r->a;
	char path[4096], err[512];
	char *rv = curl_easy_escape(NULL, r->rv, 0);
	long timeout = WATCH_MIN_TIMEOUT_S + random() % WATCH_MIN_TIMEOUT_S;

	snprintf(path, sizeof(path),
		 "%swatch=1&resourceVersion=%s&allowWatchBookmarks=true&timeoutSeconds=%ld",
		 r->path, rv ? rv : "", timeout);
	curl_free(rv);
	r->stop_kind = 0;
	if (kube_watch_start(&r->watch, a->multi, &a->kc, path, on_line, r, err, sizeof(err))) {
		say("%s", err);
		retry_later(r, -1);
		return;
	}
	r->phase = WATCHING;
}

static void restart(struct agent *a, enum watch_restart why)
{
	a->st.watch_restarts[why]++;
}

/* The watch request of @r ended with @res; decide what comes next. */
static void watch_ended(struct resource *r, CURLcode res)
{
	struct agent *a = r->a;
	struct kube_watch *w = &r->watch;
	double lasted = kube_now() - w->started;
	char msg[256] = "", why[512];
	long status = w->status;
	int code = 0;

	if (!status)
		curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &status);
	r->phase = NEED_WATCH;
	r->retry_at = 0;
	if (r->stop_kind == STOP_RELIST) {
		restart(a, RESTART_EXPIRED);
		r->phase = NEED_LIST;
		if (lasted < SHORT_WATCH_S)
			retry_later(r, -1);	/* expired at once, again and again: no busy loop */
	} else if (r->stop_kind == STOP_ERROR || w->stop_reason) {
		restart(a, RESTART_ERROR);
		retry_later(r, -1);
	} else if (!status) {
		snprintf(why, sizeof(why), "watch of %s: %s", r->what, w->error[0] ? w->error : curl_easy_strerror(res));
		if ((res == CURLE_SSL_CACERT_BADFILE || res == CURLE_PEER_FAILED_VERIFICATION ||
		     res == CURLE_SSL_CONNECT_ERROR) && !a->reachable_logged_down)
			say("watch: TLS failure (%s): the CA file is read again for each try",
			    curl_easy_strerror(res));
		set_reachable(a, false, why);
		restart(a, res == CURLE_OPERATION_TIMEDOUT ? RESTART_TIMEOUT : RESTART_ERROR);
		retry_later(r, -1);
	} else if (status == 200) {
		/* EOF, or the transfer broke mid-stream: watch again from r->rv */
		restart(a, res == CURLE_OK ? RESTART_EOF : RESTART_ERROR);
		set_reachable(a, true, NULL);
		if (line_splitter_pending(&w->lines))
			say("watch: stream ended inside an event (%zu bytes dropped); watching again",
			    line_splitter_pending(&w->lines));
		if (!w->events && lasted < SHORT_WATCH_S)
			retry_later(r, -1);	/* an empty stream at once: no busy loop */
		else
			r->failures = 0;
	} else {
		kube_status_parse(w->error_body, w->error_len, &code, msg, sizeof(msg));
		snprintf(why, sizeof(why), "watch of %s: HTTP %ld%s%.200s", r->what, status, msg[0] ? ": " : "", msg);
		if (status == 410) {
			restart(a, RESTART_EXPIRED);
			r->phase = NEED_LIST;
			if (lasted < SHORT_WATCH_S)
				retry_later(r, -1);
		} else if (status == 401) {
			restart(a, RESTART_UNAUTHORIZED);
			set_reachable(a, false, why);
			after_unauthorized(a);
			retry_later(r, -1);
		} else if (status == 429) {
			restart(a, RESTART_THROTTLED);
			retry_later(r, w->retry_after_s);
		} else if (status >= 500) {
			restart(a, RESTART_SERVER_ERROR);
			set_reachable(a, false, why);
			retry_later(r, w->retry_after_s);
		} else {
			restart(a, RESTART_ERROR);
			set_reachable(a, false, why);
			retry_later(r, -1);
		}
		if (a->o.verbose || status != 410)
			say("%s", why);
	}
	kube_watch_stop(w, a->multi);
}

/* ---- main loop ----------------------------------------------------------------- */

static void once_a_second(struct agent *a)
{
	char err[512];
	size_t i, len;
	char *text;

	if (kube_token_refresh(&a->kc, err, sizeof(err)))
		say("%s", err);
	for (i = 0; i < a->nr_pods; i++)
		if (a->pods[i].valid && !a->pods[i].path[0])
			evaluate(a, &a->pods[i]);
	publish(a);
	text = agent_metrics_render(&a->st, &len);
	if (text)
		slo_http_set_metrics(a->http, text, len);
	slo_http_heartbeat(a->http);
}

static unsigned int env_ms(const char *name, unsigned int dflt)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return dflt;
	v = strtoul(s, &end, 10);
	return *end || !v || v > 600000 ? dflt : (unsigned int)v;
}

/* Start whatever is due; true when something was (the loop goes round again). */
static bool start_due(struct agent *a, double now)
{
	unsigned int i;

	for (i = 0; i < a->nr_res; i++) {
		struct resource *r = &a->res[i];

		if (r->phase == NEED_LIST && now >= r->retry_at) {
			if (!do_list(r))
				r->phase = NEED_WATCH;
			publish(a);
			return true;
		}
		if (r->phase == NEED_WATCH && now >= r->retry_at) {
			start_watch(r);
			return true;
		}
	}
	return false;
}

static void run(struct agent *a)
{
	double next_tick = 0, now, wake;
	bool watching;
	unsigned int i;
	int running;
	CURLMsg *m;

	while (!stop_requested) {
		now = kube_now();
		if (now >= next_tick) {
			once_a_second(a);
			next_tick = now + 1.0;
		}
		if (start_due(a, now))
			continue;
		wake = next_tick;
		watching = false;
		for (i = 0; i < a->nr_res; i++) {
			if (a->res[i].phase == WATCHING)
				watching = true;
			else if (a->res[i].retry_at < wake)
				wake = a->res[i].retry_at;
		}
		if (!watching) {
			if (wake > now)
				usleep((useconds_t)((wake - now) * 1e6) + 1000);
			continue;
		}
		curl_multi_poll(a->multi, NULL, 0, wake > now ? (int)((wake - now) * 1000) + 1 : 1, NULL);
		curl_multi_perform(a->multi, &running);
		while ((m = curl_multi_info_read(a->multi, &running))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			for (i = 0; i < a->nr_res; i++)
				if (a->res[i].phase == WATCHING && m->easy_handle == a->res[i].watch.easy)
					break;
			if (i < a->nr_res) {
				/* the handle is freed: read no further messages about it */
				watch_ended(&a->res[i], m->data.result);
				break;
			}
		}
		for (i = 0; i < a->nr_res; i++) {
			struct resource *r = &a->res[i];

			if (r->phase == WATCHING &&
			    kube_now() - r->watch.last_data > WATCH_MIN_TIMEOUT_S * 2 + WATCH_IDLE_GRACE_S) {
				say("watch of %s: nothing received for %d s; watching again", r->what,
				    WATCH_MIN_TIMEOUT_S * 2 + WATCH_IDLE_GRACE_S);
				restart(a, RESTART_TIMEOUT);
				kube_watch_stop(&r->watch, a->multi);
				r->phase = NEED_WATCH;
			}
		}
		if (a->dirty)
			publish(a);
	}
}

/* The pods bound to this node and, with --namespace-defaults, the namespaces. */
static void init_resources(struct agent *a)
{
	struct resource *r = &a->res[RES_PODS];

	r->a = a;
	r->kind = KUBE_POD;
	r->what = "pods";
	snprintf(r->path, sizeof(r->path), "/api/v1/pods?fieldSelector=spec.nodeName%%3D%s&", a->o.node);
	a->nr_res = 1;
	if (!a->o.namespace_defaults)
		return;
	r = &a->res[RES_NAMESPACES];
	r->a = a;
	r->kind = KUBE_NAMESPACE;
	r->what = "namespaces";
	snprintf(r->path, sizeof(r->path), "/api/v1/namespaces?");
	a->nr_res = 2;
}

int main(int argc, char **argv)
{
	/* a list or an Event blocks the loop for up to a request's timeout */
	struct slo_http_opts hopts = {
		.no_sched_ext = true,
		.stall_s = KUBE_CONNECT_TIMEOUT_S + KUBE_REQUEST_TIMEOUT_S + 30,
	};
	struct agent a = { 0 };
	char err[512];
	size_t i;

	if (parse_opts(argc, argv, &a.o))
		return EXIT_USAGE;
	if (kube_config_init(&a.kc, a.o.api, a.o.token_file, a.o.ca_file, err, sizeof(err))) {
		say("%s", err);
		return EXIT_USAGE;
	}
	srandom((unsigned int)(time(NULL) ^ getpid()));
	/* tests shorten the backoff; production keeps 0.5 s doubling to 30 s */
	a.backoff_base_ms = env_ms("SCX_SLO_AGENT_BACKOFF_MS", BACKOFF_BASE_MS);
	a.backoff_max_ms = a.backoff_base_ms == BACKOFF_BASE_MS ? BACKOFF_MAX_MS : a.backoff_base_ms * 8;
	init_resources(&a);
	kube_global_init();
	a.multi = curl_multi_init();
	if (!a.multi) {
		say("cannot initialise libcurl");
		return 1;
	}
	if (strcmp(a.o.metrics, "none")) {
		a.http = slo_http_start_opts(a.o.metrics, &hopts, err, sizeof(err));
		if (!a.http) {
			say("--metrics: %s", err);
			return 1;
		}
		slo_http_set_health(a.http, true, NULL);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	say("node %s, API server %s, writing %s%s", a.o.node, a.kc.api, a.o.output,
	    a.o.namespace_defaults ? ", with namespace defaults" : "");
	run(&a);
	say("stopping (signal %d); %s stays as last written", (int)stop_requested, a.o.output);
	for (i = 0; i < a.nr_res; i++)
		kube_watch_stop(&a.res[i].watch, a.multi);
	curl_multi_cleanup(a.multi);
	slo_http_stop(a.http);
	for (i = 0; i < a.nr_pods; i++)
		pod_free(&a.pods[i].pod);
	free(a.pods);
	for (i = 0; i < a.nr_nss; i++)
		pod_free(&a.nss[i].ns);
	free(a.nss);
	free(a.written);
	curl_global_cleanup();
	return 0;
}
