// SPDX-License-Identifier: GPL-2.0
/*
 * budget_watch SECONDS ENTRIES IGNORE_ID: what BPF reads of the budget
 * sets, watched from outside, for tests/vm/guest/slo-race.sh.
 * budget_watch generation: the control word's generation, at once (bpftool
 * takes most of a second to start in the test VM).
 *
 * Each snapshot reads the control word, every entry of the set it names,
 * and the control word again; when both reads agree, nobody published in
 * between, so the set read is the set BPF read all along.  The test's
 * configurations give all ENTRIES entries one budget, different per
 * version and growing, so such a set must hold exactly ENTRIES entries
 * (IGNORE_ID, the cgroup `scx_slo slo set` edits, not counted) with one
 * budget, never lower than one seen before.  Opens the pins without the
 * runtime-control lock, on purpose: it must see what BPF sees.
 * Exit 0, or 1 with one line naming the first bad snapshot.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <linux/types.h>

#include "scx_slo.h"

#define PIN "/sys/fs/bpf/scx_slo/"
/* more keys than any configuration of the test has */
#define SEEN_MAX 1024

static int read_ctl(int fd, struct slo_control *ctl)
{
	uint32_t zero = 0;

	return bpf_map_lookup_elem(fd, &zero, ctl);
}

int main(int argc, char **argv)
{
	unsigned long snapshots = 0, stable = 0;
	uint64_t newest = 0, ignore;
	struct slo_control c1, c2;
	int ctl_fd, set_fd[2];
	long entries;
	time_t end;

	if (argc == 2 && !strcmp(argv[1], "generation")) {
		ctl_fd = bpf_obj_get(PIN "control");
		if (ctl_fd < 0 || read_ctl(ctl_fd, &c1)) {
			perror("budget_watch: cannot read the control map");
			return 1;
		}
		printf("%llu\n", (unsigned long long)c1.generation);
		return 0;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: budget_watch SECONDS ENTRIES IGNORE_ID | generation\n");
		return 2;
	}
	end = time(NULL) + atol(argv[1]);
	entries = atol(argv[2]);
	ignore = strtoull(argv[3], NULL, 10);
	ctl_fd = bpf_obj_get(PIN "control");
	set_fd[0] = bpf_obj_get(PIN "budgets_0");
	set_fd[1] = bpf_obj_get(PIN "budgets_1");
	if (ctl_fd < 0 || set_fd[0] < 0 || set_fd[1] < 0) {
		perror("budget_watch: cannot open the pinned maps");
		return 1;
	}
	while (time(NULL) < end) {
		uint64_t key, next, lo = UINT64_MAX, hi = 0, seen[SEEN_MAX];
		bool have_key = false;
		long n = 0, i;
		int fd;

		if (read_ctl(ctl_fd, &c1))
			continue;
		fd = set_fd[c1.active_set ? 1 : 0];
		while (!bpf_map_get_next_key(fd, have_key ? &key : NULL, &next)) {
			struct slo_budget val;

			key = next;
			have_key = true;
			if (key == ignore || bpf_map_lookup_elem(fd, &key, &val))
				continue;
			/*
			 * The CLI deleting the key we stand on sends
			 * get_next_key back to the first bucket: count
			 * each key once.
			 */
			for (i = 0; i < n && seen[i] != key; i++)
				;
			if (i < n)
				continue;
			if (n == SEEN_MAX)
				break;
			seen[n++] = key;
			lo = val.budget_ns < lo ? val.budget_ns : lo;
			hi = val.budget_ns > hi ? val.budget_ns : hi;
		}
		if (read_ctl(ctl_fd, &c2))
			continue;
		snapshots++;
		if (memcmp(&c1, &c2, sizeof(c1)))
			continue;
		stable++;
		if (n != entries || lo != hi) {
			printf("snapshot %lu: BPF reads set %u (generation %llu) with %ld entries, budgets %llu..%llu ns: not one whole configuration\n",
			       snapshots, c1.active_set, (unsigned long long)c1.generation, n,
			       (unsigned long long)(n ? lo : 0), (unsigned long long)hi);
			return 1;
		}
		if (hi < newest) {
			printf("snapshot %lu: BPF reads set %u (generation %llu) of an older configuration: budget %llu ns after %llu ns\n",
			       snapshots, c1.active_set, (unsigned long long)c1.generation,
			       (unsigned long long)hi, (unsigned long long)newest);
			return 1;
		}
		newest = hi;
	}
	printf("%lu snapshots, %lu with a steady control word, newest budget %llu ns\n",
	       snapshots, stable, (unsigned long long)newest);
	return 0;
}
