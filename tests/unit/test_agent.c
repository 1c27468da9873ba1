// SPDX-License-Identifier: GPL-2.0
/* The pure parts of scx_slo_agent: stream splitting and decoding, pod ->
 * cgroup paths, annotation messages, the SLO file it writes. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "annotation.h"
#include "config.h"
#include "pod_cgroup.h"
#include "slo_file.h"
#include "watch_stream.h"

/* A watch stream as an API server sends it: several events, a bookmark,
 * an object with a newline escaped inside a string, CRLF line ends on
 * one line, and an ERROR 410 last. */
static const char sample[] =
	"{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\","
	"\"uid\":\"1b4e28ba-2fa1-11d2-883f-0016d3cca427\",\"resourceVersion\":\"101\",\"annotations\":"
	"{\"scx-slo.io/latency-budget\":\"5ms\",\"note\":\"two\\nlines\"}},\"status\":{\"qosClass\":\"Guaranteed\"}}}\n"
	"{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"etcd\",\"namespace\":\"kube-system\","
	"\"uid\":\"c9d8e7f6-0000-4000-8000-000000000001\",\"resourceVersion\":\"102\",\"annotations\":"
	"{\"kubernetes.io/config.mirror\":\"5c3f0b1d9a8e7f6c5b4a39281706f5e4\"}},\"spec\":{\"containers\":"
	"[{\"name\":\"m\",\"resources\":{\"requests\":{\"cpu\":\"100m\"}}}]}}}\r\n"
	"{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":\"150\"}}}\n"
	"{\"type\":\"DELETED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\","
	"\"uid\":\"1b4e28ba-2fa1-11d2-883f-0016d3cca427\",\"resourceVersion\":\"151\"}}}\n"
	"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
	"\"message\":\"too old resource version: 151 (200)\",\"reason\":\"Expired\",\"code\":410}}\n";

struct seen {
	char text[1024];
	int n;
};

static int collect(const char *line, size_t len, void *ctx)
{
	struct seen *s = ctx;
	struct watch_event ev;
	char err[256];
	size_t off = strlen(s->text);

	assert_int_equal(watch_event_parse(line, len, &ev, err, sizeof(err)), 0);
	switch (ev.type) {
	case WATCH_ERROR:
		snprintf(s->text + off, sizeof(s->text) - off, "ERROR %d|", ev.code);
		break;
	case WATCH_BOOKMARK:
		snprintf(s->text + off, sizeof(s->text) - off, "BOOKMARK %s|", ev.rv);
		break;
	default:
		snprintf(s->text + off, sizeof(s->text) - off, "%d %s/%s %s %s %s %s|", ev.type, ev.pod.ns,
			 ev.pod.name, ev.rv, ev.pod.cgroup_uid, pod_qos_name(ev.pod.qos),
			 ev.pod.has_budget ? ev.pod.budget : "-");
	}
	s->n++;
	watch_event_free(&ev);
	return 0;
}

static const char want_events[] =
	"0 default/web 101 1b4e28ba-2fa1-11d2-883f-0016d3cca427 Guaranteed 5ms|"
	"1 kube-system/etcd 102 5c3f0b1d9a8e7f6c5b4a39281706f5e4 Burstable -|"
	"BOOKMARK 150|"
	"2 default/web 151 1b4e28ba-2fa1-11d2-883f-0016d3cca427 BestEffort -|"
	"ERROR 410|";

static void test_split_anywhere(void **state)
{
	size_t n = sizeof(sample) - 1, i, j;

	/* one split at every point, and two at every pair a few bytes apart */
	for (i = 0; i <= n; i++) {
		for (j = i; j <= n && j <= i + 3; j++) {
			struct line_splitter ls;
			struct seen s = { "", 0 };

			line_splitter_init(&ls, WATCH_MAX_LINE);
			assert_int_equal(line_splitter_feed(&ls, sample, i, collect, &s), 0);
			assert_int_equal(line_splitter_feed(&ls, sample + i, j - i, collect, &s), 0);
			assert_int_equal(line_splitter_feed(&ls, sample + j, n - j, collect, &s), 0);
			assert_int_equal(line_splitter_pending(&ls), 0);
			assert_string_equal(s.text, want_events);
			line_splitter_free(&ls);
		}
	}
}

static void test_byte_at_a_time(void **state)
{
	struct line_splitter ls;
	struct seen s = { "", 0 };
	size_t i;

	line_splitter_init(&ls, WATCH_MAX_LINE);
	for (i = 0; i < sizeof(sample) - 1; i++)
		assert_int_equal(line_splitter_feed(&ls, sample + i, 1, collect, &s), 0);
	assert_string_equal(s.text, want_events);
	assert_int_equal(s.n, 5);
	line_splitter_free(&ls);
}

static void test_partial_and_oversized(void **state)
{
	struct line_splitter ls;
	struct seen s = { "", 0 };

	line_splitter_init(&ls, 16);
	/* an event cut by the end of the stream stays pending, never parsed */
	assert_int_equal(line_splitter_feed(&ls, "{\"type\":", 8, collect, &s), 0);
	assert_int_equal(line_splitter_pending(&ls), 8);
	assert_int_equal(s.n, 0);
	/* a line longer than the bound is refused */
	assert_int_equal(line_splitter_feed(&ls, "0123456789abcdef", 16, collect, &s), -E2BIG);
	line_splitter_free(&ls);
}

static void test_bad_events(void **state)
{
	static const char *const bad[] = {
		"not json", "{\"type\":\"ADDED\"}", "{\"object\":{}}",
		"{\"type\":\"SOMETHING\",\"object\":{}}",
		"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"x\",\"namespace\":\"d\"}}}",
		"{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{}}}",
		"{\"type\":\"ADDED\",\"object\":{}} trailing",
	};
	struct watch_event ev;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(watch_event_parse(bad[i], strlen(bad[i]), &ev, err, sizeof(err)), -1);
		assert_true(err[0]);
		assert_null(strchr(err, '\n'));
	}
}

static void test_computed_qos(void **state)
{
	static const struct { const char *containers; enum pod_qos want; } cases[] = {
		{ "[{\"resources\":{}}]", POD_QOS_BESTEFFORT },
		{ "[{\"resources\":{\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}]", POD_QOS_GUARANTEED },
		{ "[{\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\"},"
		  "\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}]", POD_QOS_GUARANTEED },
		{ "[{\"resources\":{\"requests\":{\"cpu\":\"500m\",\"memory\":\"1Gi\"},"
		  "\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}]", POD_QOS_BURSTABLE },
		{ "[{\"resources\":{\"limits\":{\"cpu\":\"1\"}}}]", POD_QOS_BURSTABLE },
		{ "[{\"resources\":{\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}},{\"resources\":{}}]",
		  POD_QOS_BURSTABLE },
	};
	struct watch_event ev;
	char line[1024], err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line),
			 "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\","
			 "\"uid\":\"u1\",\"resourceVersion\":\"1\"},\"spec\":{\"containers\":%s}}}",
			 cases[i].containers);
		assert_int_equal(watch_event_parse(line, strlen(line), &ev, err, sizeof(err)), 0);
		assert_int_equal(ev.pod.qos, cases[i].want);
		watch_event_free(&ev);
	}
}

static void test_list(void **state)
{
	static const char body[] =
		"{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"77\","
		"\"continue\":\"abc\"},\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"uid\":\"u-1\","
		"\"annotations\":{\"scx-slo.io/latency-budget\":\"5ms\\u0000x\"}},\"status\":{\"qosClass\":\"BestEffort\"}}]}";
	static const char status[] = "{\"kind\":\"Status\",\"code\":410,\"message\":\"gone\"}";
	struct pod *pods = NULL;
	size_t nr = 0;
	char rv[65], cont[64], err[256], msg[128];
	int code;

	assert_int_equal(pod_list_parse(body, strlen(body), &pods, &nr, rv, sizeof(rv), cont, sizeof(cont),
					err, sizeof(err)), 0);
	assert_int_equal(nr, 1);
	assert_string_equal(rv, "77");
	assert_string_equal(cont, "abc");
	assert_int_equal(pods[0].qos, POD_QOS_BESTEFFORT);
	/* the NUL in the value is kept, for the annotation check to refuse */
	assert_int_equal(pods[0].budget_len, 5);
	assert_memory_equal(pods[0].budget, "5ms\0x", 5);
	pod_free(&pods[0]);
	free(pods);
	assert_int_equal(kube_status_parse(status, strlen(status), &code, msg, sizeof(msg)), 0);
	assert_int_equal(code, 410);
	assert_string_equal(msg, "gone");
	assert_int_equal(kube_status_parse("", 0, &code, msg, sizeof(msg)), -1);
}

static void test_cgroup_paths(void **state)
{
	static const struct { enum cgroup_driver d; enum pod_qos q; const char *want; } cases[] = {
		{ CGROUP_DRIVER_SYSTEMD, POD_QOS_GUARANTEED,
		  "/kubepods.slice/kubepods-pod6f1c2a3e_8d4b_4c1a_9e2f_3a4b5c6d7e8f.slice" },
		{ CGROUP_DRIVER_SYSTEMD, POD_QOS_BURSTABLE,
		  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6f1c2a3e_8d4b_4c1a_9e2f_3a4b5c6d7e8f.slice" },
		{ CGROUP_DRIVER_SYSTEMD, POD_QOS_BESTEFFORT,
		  "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod6f1c2a3e_8d4b_4c1a_9e2f_3a4b5c6d7e8f.slice" },
		{ CGROUP_DRIVER_CGROUPFS, POD_QOS_GUARANTEED, "/kubepods/pod6f1c2a3e-8d4b-4c1a-9e2f-3a4b5c6d7e8f" },
		{ CGROUP_DRIVER_CGROUPFS, POD_QOS_BURSTABLE, "/kubepods/burstable/pod6f1c2a3e-8d4b-4c1a-9e2f-3a4b5c6d7e8f" },
		{ CGROUP_DRIVER_CGROUPFS, POD_QOS_BESTEFFORT, "/kubepods/besteffort/pod6f1c2a3e-8d4b-4c1a-9e2f-3a4b5c6d7e8f" },
	};
	static const char *const bad_uids[] = { "", "../../etc", "a/b", "UPPER", "a b",
		"0123456789012345678901234567890123456789012345678901234567890123456789" };
	char out[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(pod_cgroup_path(cases[i].d, cases[i].q, "6f1c2a3e-8d4b-4c1a-9e2f-3a4b5c6d7e8f",
						 out, sizeof(out)), 0);
		assert_string_equal(out, cases[i].want);
	}
	for (i = 0; i < sizeof(bad_uids) / sizeof(bad_uids[0]); i++)
		assert_int_equal(pod_cgroup_path(CGROUP_DRIVER_SYSTEMD, POD_QOS_BURSTABLE, bad_uids[i], out,
						 sizeof(out)), -1);
}

static void test_cgroup_resolve(void **state)
{
	char root[] = "/tmp/test_agent.XXXXXX", path[512], out[256];

	assert_non_null(mkdtemp(root));
	/* nothing yet: pending */
	assert_int_equal(pod_cgroup_resolve(root, POD_QOS_BURSTABLE, "ab-12", out, sizeof(out)), -ENOENT);
	snprintf(path, sizeof(path), "%s/kubepods", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/kubepods/burstable", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/kubepods/burstable/podab-12", root);
	/* a symlink where the cgroup should be is not one */
	assert_int_equal(symlink("/", path), 0);
	assert_int_equal(pod_cgroup_resolve(root, POD_QOS_BURSTABLE, "ab-12", out, sizeof(out)), -ENOENT);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(pod_cgroup_resolve(root, POD_QOS_BURSTABLE, "ab-12", out, sizeof(out)), 0);
	assert_string_equal(out, "/kubepods/burstable/podab-12");
	/* the QoS class decides: a Guaranteed pod of that UID is elsewhere */
	assert_int_equal(pod_cgroup_resolve(root, POD_QOS_GUARANTEED, "ab-12", out, sizeof(out)), -ENOENT);
	assert_int_equal(pod_cgroup_resolve(root, POD_QOS_BURSTABLE, "../x", out, sizeof(out)), -EINVAL);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/kubepods/burstable", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/kubepods", root);
	rmdir(path);
	rmdir(root);
}

/* The config file parser's message for VALUE as a budget, after "NAME:LINE: ". */
static void config_message(const char *value, size_t len, char *out, size_t outlen)
{
	char yaml[512], err[512];
	struct slo_config cfg;
	size_t i, n;
	int off;

	n = (size_t)snprintf(yaml, sizeof(yaml), "slos:\n  - cgroup: /a\n    budget: \"");
	for (i = 0; i < len; i++) {
		if ((unsigned char)value[i] < 0x20)
			n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "\\x%02x", (unsigned char)value[i]);
		else if (value[i] == '"' || value[i] == '\\')
			n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "\\%c", value[i]);
		else
			yaml[n++] = value[i];
	}
	n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "\"\n");
	assert_int_equal(slo_config_parse(yaml, n, "f", &cfg, err, sizeof(err)), -1);
	off = strncmp(err, "f:3: ", 5) ? 0 : 5;
	assert_int_equal(off, 5);
	snprintf(out, outlen, "%s", err + off);
}

static void test_annotation_messages_are_the_files(void **state)
{
#define V(s) { s, sizeof(s) - 1 }
	static const struct { const char *v; size_t len; } cases[] = {
		V("49us"), V("11s"), V("5"), V("5 ms"), V("0100ms"), V("+5ms"), V(" 5ms"), V("abc"),
		V("5ms\0x"), V("it's\\bad"), V(""), V("5ms5ms"),
		V("\033[2Jfive milliseconds, give or take a few, roughly: 5ms"),
	};
#undef V
	char agent[512], file[512];
	uint64_t ns;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(agent_parse_annotation(cases[i].v, cases[i].len, &ns, agent, sizeof(agent)), -1);
		config_message(cases[i].v, cases[i].len, file, sizeof(file));
		assert_string_equal(agent, file);
	}
	assert_int_equal(agent_parse_annotation("250us", 5, &ns, agent, sizeof(agent)), 0);
	assert_int_equal(ns, 250000);
	assert_int_equal(agent_parse_annotation("10s", 3, &ns, agent, sizeof(agent)), 0);
	assert_int_equal(agent_parse_annotation("49us", 4, &ns, agent, sizeof(agent)), -1);
	assert_string_equal(agent, "budget '49us': must be between 50us and 10s");
}

static void test_slo_file(void **state)
{
	struct slo_file_entry e[] = {
		{ "/kubepods.slice/kubepods-pod2.slice", 5000000, "default/b" },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice", 250000, "ns/evil\nname" },
	};
	char dir[] = "/tmp/test_agent_out.XXXXXX", path[256], err[256], tmp[300];
	struct slo_config cfg;
	size_t len;
	char *text;

	text = slo_file_render(e, 2, &len);
	assert_non_null(text);
	assert_int_equal(slo_config_parse(text, len, "pods.yaml", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nr_entries, 2);
	assert_false(cfg.has_default_budget);
	/* sorted by cgroup, whatever the pods' order */
	assert_string_equal(cfg.entries[0].path, "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice");
	assert_int_equal(cfg.entries[0].budget_ns, 250000);
	assert_int_equal(cfg.entries[1].budget_ns, 5000000);
	slo_config_free(&cfg);
	/* a name cannot end the comment line */
	assert_non_null(strstr(text, "# ns/evil\\x0aname\n"));

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pods.yaml", dir);
	assert_false(slo_file_same(path, text, len));
	assert_int_equal(slo_file_write(path, text, len, err, sizeof(err)), 0);
	assert_true(slo_file_same(path, text, len));
	assert_false(slo_file_same(path, text, len - 1));
	/* no temporary file left behind */
	snprintf(tmp, sizeof(tmp), "%s/.pods.yaml.tmp", dir);
	assert_int_equal(access(tmp, F_OK), -1);
	free(text);

	text = slo_file_render(e, 0, &len);
	assert_non_null(strstr(text, "slos: []\n"));
	assert_int_equal(slo_config_parse(text, len, "pods.yaml", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nr_entries, 0);
	slo_config_free(&cfg);
	assert_int_equal(slo_file_write(path, text, len, err, sizeof(err)), 0);
	assert_true(slo_file_same(path, text, len));
	free(text);
	unlink(path);
	rmdir(dir);
	/* a directory that is not there: one line, nothing left */
	assert_int_equal(slo_file_write("/nonexistent-dir/pods.yaml", "x", 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot write /nonexistent-dir/pods.yaml"));
	assert_null(strchr(err, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_anywhere),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_partial_and_oversized),
		cmocka_unit_test(test_bad_events),
		cmocka_unit_test(test_computed_qos),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_cgroup_paths),
		cmocka_unit_test(test_cgroup_resolve),
		cmocka_unit_test(test_annotation_messages_are_the_files),
		cmocka_unit_test(test_slo_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
