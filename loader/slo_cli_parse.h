/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_CLI_PARSE_H
#define __SLO_CLI_PARSE_H

/*
 * What `scx_slo slo ...` decides without a BPF map: its arguments, whether a
 * pinned map is the one it expects, and how the values it reads become
 * output.  Kept apart from the map access so that the unit tests and the
 * fuzz harness (tests/fuzz/fuzz_slo.c) reach all of it without root or BPF.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/bpf.h>

#include "scx_slo.h"

enum slo_cli_cmd {
	SLO_CLI_HELP,		/* --help: usage printed, exit 0 */
	SLO_CLI_LIST,
	SLO_CLI_GET,
	SLO_CLI_SET,
	SLO_CLI_DEL,
};

struct slo_cli_args {
	enum slo_cli_cmd cmd;
	const char *path;	/* get, set, del: as given */
	const char *budget;	/* set: as given */
};

/* One line on stderr, "scx_slo slo: ...". */
__attribute__((format(printf, 1, 2)))
void slo_cli_msg(const char *fmt, ...);

/*
 * argv[0] is "slo".  Checks the command and its argument count only (the
 * values are checked once the maps are open, as before).  Returns 0 with
 * @a filled in, or the exit status (2) after one line on stderr, or after
 * the usage when there is no command at all.
 */
int slo_cli_parse_args(int argc, char **argv, struct slo_cli_args *a);

/* set's DURATION: 0 with *ns within the budget range, or 2 after one line. */
int slo_cli_parse_budget(const char *arg, uint64_t *ns);

/* A PATH argument, normalised into @path: 0, or 2 after one line. */
int slo_cli_normalize(const char *arg, char *path, size_t len);

/* A map `scx_slo slo` opens, as the running scheduler pins it. */
struct slo_cli_map {
	const char *pin;	/* path under SLO_PIN_DIR */
	const char *name;	/* the BPF map's name (bpf_map_info.name) */
	uint32_t type;		/* BPF_MAP_TYPE_* */
	uint32_t key_size;
	uint32_t value_size;
};

enum { SLO_CLI_MAP_CONTROL, SLO_CLI_MAP_BUDGETS_0, SLO_CLI_MAP_BUDGETS_1, SLO_CLI_NR_MAPS };
extern const struct slo_cli_map slo_cli_maps[SLO_CLI_NR_MAPS];

/*
 * Whether @info (from BPF_OBJ_GET_INFO_BY_FD; @info_len bytes of it filled
 * in) describes @want.  Every read and write through the map trusts its key
 * and value sizes, so anything else, another version's map or one planted
 * at the pin, is refused: returns -1 with @why set to one line naming the
 * pin and each mismatch, else 0.
 */
int slo_cli_check_map(const struct slo_cli_map *want, const struct bpf_map_info *info,
		      uint32_t info_len, char *why, size_t whylen);

/* The budget set BPF reads, per slo_control: 0 or 1. */
unsigned int slo_cli_active_set(const struct slo_control *ctl);

/* The default budget in force per slo_control. */
uint64_t slo_cli_default_budget(const struct slo_control *ctl);

/* One row of `slo list`: @path, or @id when the cgroup's path is unknown (NULL). */
void slo_cli_print_row(FILE *out, const char *path, uint64_t id,
		       const struct slo_budget *val);

#endif /* __SLO_CLI_PARSE_H */
