// SPDX-License-Identifier: GPL-2.0
/* What the running kernel offers and who holds the sched_ext slot (sysfs, BTF). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "msg.h"
#include "options.h"
#include "policy.h"
#include "probes.h"
#include "topo_maps.h"

int read_sysfs(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* Name of the attached scheduler, or "" if none/unknown. */
void attached_ops_name(char *buf, size_t len)
{
	if (read_sysfs(SCHED_EXT_SYSFS "/root/ops", buf, len))
		buf[0] = '\0';
}

/* Can this kernel run us at all? (A slot taken is waited for: main().) */
int check_kernel(void)
{
	struct utsname uts;

	if (access(SCHED_EXT_SYSFS, F_OK)) {
		uname(&uts);
		msg("kernel %s has no sched_ext (CONFIG_SCHED_CLASS_EXT): "
		    "boot a kernel 6.12 or later built with it", uts.release);
		return EXIT_NO_SCHED_EXT;
	}
	if (slo_kernel_kfunc_nr_args("scx_bpf_create_dsq") > 2) {
		uname(&uts);
		msg("kernel %s: its BTF gives sched_ext kfuncs a hidden 'aux' "
		    "argument (scx_bpf_create_dsq takes 3), a BTF defect of some "
		    "7.1 and 7.2 builds that no libbpf scheduler can load on: "
		    "boot another kernel (7.2.13 and later are fixed)", uts.release);
		return EXIT_NO_SCHED_EXT;
	}
	return EXIT_OK;
}

/*
 * Does another sched_ext scheduler hold the slot?  Its name and state in
 * @who ("'simple', state enabled").  Checked before loading, so waiting
 * for the slot costs a sysfs read, not a BPF load and verification.
 */
bool slot_taken(char *who, size_t len)
{
	char state[64], ops[128];

	if (read_sysfs(SCHED_EXT_SYSFS "/state", state, sizeof(state)) ||
	    !strcmp(state, "disabled"))
		return false;
	attached_ops_name(ops, sizeof(ops));
	snprintf(who, len, "'%s', state %s", ops[0] ? ops : "unknown", state);
	return true;
}

/*
 * scx_bpf_dsq_peek() appeared in 6.19 but could return a task being
 * dequeued until 7.1; before that, the DSQ iterator reads the head.
 */
int decide_dsq_peek(bool *use_peek)
{
	bool have = slo_kernel_has_kfunc("scx_bpf_dsq_peek");

	switch (opts.dsq_peek) {
	case PEEK_ITER:
		*use_peek = false;
		return 0;
	case PEEK_KFUNC:
		if (!have) {
			msg("--dsq-peek kfunc: this kernel has no scx_bpf_dsq_peek()");
			return -1;
		}
		*use_peek = true;
		return 0;
	default:
		*use_peek = have && slo_kernel_at_least(7, 1);
		return 0;
	}
}

uint64_t read_hotplug_seq(void)
{
	char buf[32];

	if (read_sysfs(SCHED_EXT_SYSFS "/hotplug_seq", buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 10);
}
