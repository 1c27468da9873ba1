// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the SLO configuration parser.  Beyond "no crash, no
 * leak, no undefined behaviour" (the sanitizers), it checks the parser's
 * contract on every input: an accepted file holds only valid entries, a
 * rejected one leaves the caller's struct untouched and names the file.
 *
 * The parser's limits (SLO_MAX_BUDGETS entries, SLO_CONFIG_MAX_BYTES, lines
 * and cgroup paths of about 4 KiB) lie far beyond what mutating raw inputs
 * reaches, so an input that starts with a NUL byte (which the parser
 * refuses anyway) is a recipe instead:
 *
 *	00 | count (2 bytes, LE) | cut (3 bytes, LE) | head 00 body 00 tail
 *
 * expands to head, then body count times, each 01 byte in it replaced by
 * the repetition's number in decimal (distinct cgroups), then tail; cut at
 * @cut bytes when that is not 0.  The corpus has recipes for each limit and
 * the sizes either side of it (corpus/config/limit-*).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bpf/scx_slo.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Room to pass the size limit by a little: anything larger fails the same way. */
#define EXPAND_MAX	(SLO_CONFIG_MAX_BYTES + 4096)

/* FUZZ_CONFIG_SHOW=1: one line per input saying what became of it. */
static int show;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	show = getenv("FUZZ_CONFIG_SHOW") != NULL;
	return 0;
}

/* A recipe (see the top) into a buffer of its own size: ASan sees overreads. */
static char *expand(const uint8_t *data, size_t size, size_t *len)
{
	const uint8_t *head, *body, *tail, *end = data + size, *z;
	size_t head_len, body_len, tail_len, count, cut, n = 0, i, j;
	char *out, *shrunk;

	if (size < 6)
		return NULL;
	count = data[1] | (size_t)data[2] << 8;
	cut = data[3] | (size_t)data[4] << 8 | (size_t)data[5] << 16;
	if (!cut || cut > EXPAND_MAX)
		cut = EXPAND_MAX;
	head = data + 6;
	z = memchr(head, 0, (size_t)(end - head));
	body = z ? z + 1 : end;
	head_len = (size_t)((z ? z : end) - head);
	z = memchr(body, 0, (size_t)(end - body));
	tail = z ? z + 1 : end;
	body_len = (size_t)((z ? z : end) - body);
	tail_len = (size_t)(end - tail);

	out = malloc(cut);
	if (!out)
		abort();
#define PUT(p, l) do {							\
		size_t _l = (l) < cut - n ? (l) : cut - n;		\
		memcpy(out + n, (p), _l);				\
		n += _l;						\
	} while (0)
	PUT(head, head_len);
	for (i = 0; i < count && n < cut; i++) {
		for (j = 0; j < body_len && n < cut; j++) {
			char num[24];

			if (body[j] == 1) {
				int w = snprintf(num, sizeof(num), "%zu", i);

				PUT(num, (size_t)w);
			} else {
				out[n++] = (char)body[j];
			}
		}
	}
	PUT(tail, tail_len);
#undef PUT
	/* exactly the bytes made, so that ASan sees a read past them */
	*len = n;
	shrunk = realloc(out, n ? n : 1);
	if (!shrunk)
		abort();
	return shrunk;
}

static void check_accepted(const struct slo_config *cfg, const char *err)
{
	size_t i, j;

	if (err[0])
		abort();
	if (cfg->nr_entries > SLO_MAX_BUDGETS || (cfg->nr_entries && !cfg->entries))
		abort();
	if (cfg->has_default_budget &&
	    (cfg->default_budget_ns < SLO_BUDGET_MIN_NS ||
	     cfg->default_budget_ns > SLO_BUDGET_MAX_NS))
		abort();
	if (!cfg->has_default_budget && cfg->default_budget_ns != SLO_DEFAULT_BUDGET_NS)
		abort();
	for (i = 0; i < cfg->nr_entries; i++) {
		const struct slo_config_entry *e = &cfg->entries[i];
		size_t len = strlen(e->path);

		if (e->path[0] != '/' || len > SLO_CONFIG_MAX_PATH ||
		    (len > 1 && e->path[len - 1] == '/') || strstr(e->path, "//") ||
		    strstr(e->path, "/./") || strstr(e->path, "/../") ||
		    !strcmp(e->path, "/.") || !strcmp(e->path, "/.."))
			abort();
		for (j = 0; j < len; j++)
			if ((unsigned char)e->path[j] < 0x20 || e->path[j] == 0x7f)
				abort();
		if (e->budget_ns < SLO_BUDGET_MIN_NS || e->budget_ns > SLO_BUDGET_MAX_NS)
			abort();
		if (!e->line)
			abort();
		/* quadratic, but fuzz inputs hold few entries */
		for (j = 0; j < i && i < 256; j++)
			if (!strcmp(cfg->entries[j].path, e->path))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slo_config cfg, untouched;
	char err[512], *expanded = NULL;

	if (size && data[0] == 0) {
		expanded = expand(data, size, &size);
		if (!expanded)
			return 0;
		data = (const uint8_t *)expanded;
	}
	memset(&cfg, 0x5a, sizeof(cfg));
	memcpy(&untouched, &cfg, sizeof(cfg));
	err[0] = 'x';
	err[1] = '\0';
	if (!slo_config_parse((const char *)data, size, "fuzz", &cfg, err, sizeof(err))) {
		check_accepted(&cfg, err);
		if (size > SLO_CONFIG_MAX_BYTES)
			abort();
		if (show)
			fprintf(stderr, "fuzz_config: %zu bytes: accepted, %zu entries\n",
				size, cfg.nr_entries);
		slo_config_free(&cfg);
	} else {
		if (memcmp(&cfg, &untouched, sizeof(cfg)))
			abort();
		if (strncmp(err, "fuzz:", 5) || !err[5])
			abort();
		if (size > SLO_CONFIG_MAX_BYTES && !strstr(err, "larger than 1 MiB"))
			abort();
		if (show)
			fprintf(stderr, "fuzz_config: %zu bytes: %s\n", size, err);
	}
	free(expanded);
	return 0;
}
