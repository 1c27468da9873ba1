// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the SLO configuration parser.  Beyond "no crash, no
 * leak, no undefined behaviour" (the sanitizers), it checks the parser's
 * contract on every input: an accepted file holds only valid entries, a
 * rejected one leaves the caller's struct untouched and names the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../bpf/scx_slo.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	char err[512];

	memset(&cfg, 0x5a, sizeof(cfg));
	memcpy(&untouched, &cfg, sizeof(cfg));
	err[0] = 'x';
	err[1] = '\0';
	if (!slo_config_parse((const char *)data, size, "fuzz", &cfg, err, sizeof(err))) {
		check_accepted(&cfg, err);
		slo_config_free(&cfg);
	} else {
		if (memcmp(&cfg, &untouched, sizeof(cfg)))
			abort();
		if (strncmp(err, "fuzz:", 5) || !err[5])
			abort();
	}
	return 0;
}
