// SPDX-License-Identifier: GPL-2.0
/*
 * scx_slo --show-topology: the model as a tree for people, or as JSON for
 * scripts and tests.  The JSON schema is documented in topology/README.md;
 * bump SLO_TOPOLOGY_JSON_VERSION on any change that is not an added key.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topology.h"

#define SLO_TOPOLOGY_JSON_VERSION	1

struct printer {
	FILE *out;
	const struct slo_topology *t;
	char *buf;			/* scratch for CPU lists */
	size_t cap;
	bool nomem;
};

/* The CPU list of @mask, valid until the next call. */
static const char *cpulist(struct printer *p, const struct slo_cpumask *mask)
{
	size_t need = slo_cpumask_format(mask, NULL, 0) + 1;
	char *tmp;

	if (need > p->cap) {
		tmp = realloc(p->buf, need);
		if (!tmp) {
			p->nomem = true;
			return "?";
		}
		p->buf = tmp;
		p->cap = need;
	}
	slo_cpumask_format(mask, p->buf, p->cap);
	return p->buf;
}

static const char *source_name(enum slo_topology_source source)
{
	switch (source) {
	case SLO_TOPOLOGY_LIVE:
		return "live";
	case SLO_TOPOLOGY_XML:
		return "xml";
	case SLO_TOPOLOGY_SYNTHETIC:
		return "synthetic";
	}
	return "unknown";
}

static void print_memory(FILE *out, uint64_t bytes)
{
	const uint64_t mib = 1ULL << 20, gib = 1ULL << 30;

	if (!bytes)
		fprintf(out, "no memory reported");
	else if (bytes < gib)
		fprintf(out, "memory %llu MiB", (unsigned long long)(bytes / mib));
	else
		fprintf(out, "memory %.1f GiB", (double)bytes / gib);
}

static void text_domain(struct printer *p, const struct slo_domain *d)
{
	int i;

	fprintf(p->out, "    domain %d: %s, cpus %s; steal order", d->id,
		slo_llc_level_name(d->level), cpulist(p, d->cpus));
	for (i = 0; i < p->t->nr_domains - 1; i++)
		fprintf(p->out, "%s%d", i ? ", " : " ", d->steal_order[i]);
	if (p->t->nr_domains == 1)
		fprintf(p->out, " (none)");
	else
		fprintf(p->out, "; scan %d same-node + %d other-node",
			d->nr_scan_same_node, d->nr_scan - d->nr_scan_same_node);
	fputc('\n', p->out);
}

static void text_node(struct printer *p, int n)
{
	const struct slo_node *node = &p->t->nodes[n];

	fprintf(p->out, "  node %d: ", node->os_id);
	if (node->nr_cpus)
		fprintf(p->out, "cpus %s, ", cpulist(p, node->cpus));
	else
		fprintf(p->out, "no cpus, ");
	print_memory(p->out, node->memory_bytes);
	fputc('\n', p->out);
}

static void text_threads_per_core(struct printer *p)
{
	const struct slo_topology *t = p->t;
	int i, w, min = 0, max = 0;

	for (i = 0; i < t->nr_cores; i++) {
		w = slo_cpumask_weight(t->core_cpus[i]);
		if (!i || w < min)
			min = w;
		if (!i || w > max)
			max = w;
	}
	if (min == max)
		fprintf(p->out, "cores: %d, %d thread%s per core\n", t->nr_cores,
			min, min == 1 ? "" : "s");
	else
		fprintf(p->out, "cores: %d, %d-%d threads per core\n", t->nr_cores,
			min, max);
}

/*
 * package -> node -> domain.  A node spanning packages shows up under each,
 * with that package's domains; CPU-less nodes hang off no package and are
 * listed after them.
 */
static void print_text(struct printer *p)
{
	const struct slo_topology *t = p->t;
	int pk, n, d, to;

	fprintf(p->out, "source: %s", source_name(t->source));
	if (t->source_arg)
		fprintf(p->out, " \"%s\"", t->source_arg);
	fputc('\n', p->out);
	fprintf(p->out, "cpus: %d online (%s), ", t->nr_online_cpus,
		cpulist(p, t->online_cpus));
	fprintf(p->out, "%d possible (%s)\n", t->nr_possible_cpus,
		cpulist(p, t->possible_cpus));
	text_threads_per_core(p);
	fprintf(p->out, "llc domains: %d\n", t->nr_domains);

	for (pk = 0; pk < t->nr_packages; pk++) {
		fprintf(p->out, "package %d: cpus %s\n", t->packages[pk].os_id,
			cpulist(p, t->packages[pk].cpus));
		for (n = 0; n < t->nr_nodes; n++) {
			bool shown = false;

			for (d = 0; d < t->nr_domains; d++) {
				if (t->domains[d].package != pk || t->domains[d].node != n)
					continue;
				if (!shown)
					text_node(p, n);
				shown = true;
				text_domain(p, &t->domains[d]);
			}
		}
	}
	for (n = 0; n < t->nr_nodes; n++)
		if (!t->nodes[n].nr_cpus)
			text_node(p, n);

	fprintf(p->out, "node distances (%s):\n      ",
		slo_distance_source_name(t->distance_source));
	for (to = 0; to < t->nr_nodes; to++)
		fprintf(p->out, " %5d", t->nodes[to].os_id);
	fputc('\n', p->out);
	for (n = 0; n < t->nr_nodes; n++) {
		fprintf(p->out, "  %4d", t->nodes[n].os_id);
		for (to = 0; to < t->nr_nodes; to++)
			fprintf(p->out, " %5d", slo_node_distance(t, n, to));
		fputc('\n', p->out);
	}
}

/*
 * A JSON string.  Input is expected to be UTF-8 (paths and synthetic strings
 * come from the command line); bytes that are not valid UTF-8 become U+FFFD
 * so the output always parses.
 */
static void json_string(FILE *out, const char *s)
{
	const unsigned char *c = (const unsigned char *)s;
	int len, i;

	fputc('"', out);
	while (*c) {
		if (*c == '"' || *c == '\\') {
			fprintf(out, "\\%c", *c);
			c++;
			continue;
		}
		if (*c < 0x20 || *c == 0x7f) {
			fprintf(out, "\\u%04x", *c);
			c++;
			continue;
		}
		if (*c < 0x80) {
			fputc(*c++, out);
			continue;
		}

		if (*c >= 0xc2 && *c <= 0xdf)
			len = 2;
		else if (*c >= 0xe0 && *c <= 0xef)
			len = 3;
		else if (*c >= 0xf0 && *c <= 0xf4)
			len = 4;
		else
			len = 0;
		for (i = 1; i < len; i++)
			if ((c[i] & 0xc0) != 0x80)
				len = 0;
		/* Overlong 3/4-byte forms, surrogates and > U+10FFFF. */
		if ((len == 3 && *c == 0xe0 && c[1] < 0xa0) ||
		    (len == 3 && *c == 0xed && c[1] >= 0xa0) ||
		    (len == 4 && *c == 0xf0 && c[1] < 0x90) ||
		    (len == 4 && *c == 0xf4 && c[1] >= 0x90))
			len = 0;

		if (!len) {
			fputs("\\ufffd", out);
			c++;
			continue;
		}
		fwrite(c, 1, len, out);
		c += len;
	}
	fputc('"', out);
}

static void json_int_or_null(FILE *out, bool valid, int v)
{
	if (valid)
		fprintf(out, "%d", v);
	else
		fputs("null", out);
}

static void json_packages(struct printer *p)
{
	const struct slo_topology *t = p->t;
	const char *sep;
	int pk, n, d;

	fputs("  \"packages\": [\n", p->out);
	for (pk = 0; pk < t->nr_packages; pk++) {
		const struct slo_package *pkg = &t->packages[pk];

		fprintf(p->out, "    {\"id\": %d, \"cpus\": ", pkg->os_id);
		json_string(p->out, cpulist(p, pkg->cpus));
		fprintf(p->out, ", \"nr_cpus\": %d, \"nodes\": [", pkg->nr_cpus);
		sep = "";
		for (n = 0; n < t->nr_nodes; n++) {
			for (d = 0; d < t->nr_domains; d++)
				if (t->domains[d].package == pk && t->domains[d].node == n)
					break;
			if (d == t->nr_domains)
				continue;
			fprintf(p->out, "%s%d", sep, t->nodes[n].os_id);
			sep = ", ";
		}
		fputs("], \"domains\": [", p->out);
		sep = "";
		for (d = 0; d < t->nr_domains; d++) {
			if (t->domains[d].package != pk)
				continue;
			fprintf(p->out, "%s%d", sep, d);
			sep = ", ";
		}
		fprintf(p->out, "]}%s\n", pk + 1 < t->nr_packages ? "," : "");
	}
	fputs("  ],\n", p->out);
}

static void json_nodes(struct printer *p)
{
	const struct slo_topology *t = p->t;
	int n, to;

	fputs("  \"nodes\": [\n", p->out);
	for (n = 0; n < t->nr_nodes; n++) {
		const struct slo_node *node = &t->nodes[n];

		fprintf(p->out, "    {\"id\": %d, \"cpus\": ", node->os_id);
		json_string(p->out, cpulist(p, node->cpus));
		fprintf(p->out, ", \"nr_cpus\": %d, \"memory_bytes\": %llu, \"distances\": [",
			node->nr_cpus, (unsigned long long)node->memory_bytes);
		for (to = 0; to < t->nr_nodes; to++)
			fprintf(p->out, "%s%d", to ? ", " : "", slo_node_distance(t, n, to));
		fprintf(p->out, "]}%s\n", n + 1 < t->nr_nodes ? "," : "");
	}
	fputs("  ],\n", p->out);
}

static void json_domains(struct printer *p)
{
	const struct slo_topology *t = p->t;
	int d, i;

	fputs("  \"domains\": [\n", p->out);
	for (d = 0; d < t->nr_domains; d++) {
		const struct slo_domain *dom = &t->domains[d];

		fprintf(p->out, "    {\"id\": %d, \"cache\": \"%s\", \"node\": %d, \"package\": %d, \"cpus\": ",
			dom->id, slo_llc_level_name(dom->level),
			t->nodes[dom->node].os_id, t->packages[dom->package].os_id);
		json_string(p->out, cpulist(p, dom->cpus));
		fprintf(p->out, ", \"nr_cpus\": %d, \"steal_order\": [", dom->nr_cpus);
		for (i = 0; i < t->nr_domains - 1; i++)
			fprintf(p->out, "%s%d", i ? ", " : "", dom->steal_order[i]);
		fprintf(p->out, "], \"nr_same_node\": %d, \"nr_scan\": %d, \"nr_scan_same_node\": %d}%s\n",
			dom->nr_same_node, dom->nr_scan, dom->nr_scan_same_node,
			d + 1 < t->nr_domains ? "," : "");
	}
	fputs("  ],\n", p->out);
}

static void json_cpus(struct printer *p)
{
	const struct slo_topology *t = p->t;
	int cpu, last = -1;

	/* Possible CPUs only: numbers in the holes between them do not exist. */
	slo_cpumask_for_each(cpu, t->possible_cpus)
		last = cpu;

	fputs("  \"cpus\": [\n", p->out);
	slo_cpumask_for_each(cpu, t->possible_cpus) {
		const struct slo_cpu *c = &t->cpus[cpu];

		fprintf(p->out, "    {\"cpu\": %d, \"online\": %s, \"domain\": ", cpu,
			c->online ? "true" : "false");
		json_int_or_null(p->out, c->online, c->domain);
		fputs(", \"node\": ", p->out);
		json_int_or_null(p->out, c->online, c->online ? t->nodes[c->node].os_id : 0);
		fputs(", \"package\": ", p->out);
		json_int_or_null(p->out, c->online,
				 c->online ? t->packages[c->package].os_id : 0);
		fputs(", \"core\": ", p->out);
		json_int_or_null(p->out, c->online, c->core);
		fputs(", \"smt_siblings\": ", p->out);
		if (c->online)
			json_string(p->out, cpulist(p, c->smt_siblings));
		else
			fputs("null", p->out);
		fprintf(p->out, "}%s\n", cpu != last ? "," : "");
	}
	fputs("  ]\n", p->out);
}

static void print_json(struct printer *p)
{
	const struct slo_topology *t = p->t;

	fprintf(p->out, "{\n  \"schema_version\": %d,\n", SLO_TOPOLOGY_JSON_VERSION);
	fprintf(p->out, "  \"source\": {\"type\": \"%s\", \"input\": ",
		source_name(t->source));
	if (t->source_arg)
		json_string(p->out, t->source_arg);
	else
		fputs("null", p->out);
	fputs("},\n", p->out);

	fprintf(p->out, "  \"nr_cpu_ids\": %d,\n", t->nr_cpu_ids);
	fprintf(p->out, "  \"nr_possible_cpus\": %d,\n", t->nr_possible_cpus);
	fprintf(p->out, "  \"nr_online_cpus\": %d,\n", t->nr_online_cpus);
	fputs("  \"possible_cpus\": ", p->out);
	json_string(p->out, cpulist(p, t->possible_cpus));
	fputs(",\n  \"online_cpus\": ", p->out);
	json_string(p->out, cpulist(p, t->online_cpus));
	fprintf(p->out, ",\n  \"nr_cores\": %d,\n", t->nr_cores);
	fprintf(p->out, "  \"distance_source\": \"%s\",\n",
		slo_distance_source_name(t->distance_source));

	json_packages(p);
	json_nodes(p);
	json_domains(p);
	json_cpus(p);
	fputs("}\n", p->out);
}

int slo_topology_print(FILE *out, const struct slo_topology *t, bool json)
{
	struct printer p = { .out = out, .t = t };

	if (json)
		print_json(&p);
	else
		print_text(&p);
	free(p.buf);

	if (p.nomem)
		return -ENOMEM;
	if (fflush(out) || ferror(out))
		return -EIO;
	return 0;
}
