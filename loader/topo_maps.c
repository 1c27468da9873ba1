// SPDX-License-Identifier: GPL-2.0
/*
 * The machine, as the BPF side sees it: the loader sizes the scheduler's
 * maps from the topology before loading and fills them before attaching.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "scx_slo.h"		/* before the skeleton: it uses the u64 types */
#include "scx_slo.skel.h"
#include "topo_maps.h"

/* Does the running kernel have the kfunc @name? */
bool slo_kernel_has_kfunc(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool found;

	if (!btf)
		return false;
	found = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) >= 0;
	btf__free(btf);
	return found;
}

/* Parameters of the kfunc @name in the kernel's BTF, or -1. */
int slo_kernel_kfunc_nr_args(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id, nr = -1;

	if (!btf)
		return -1;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	t = id >= 0 ? btf__type_by_id(btf, btf__type_by_id(btf, id)->type) : NULL;
	if (t && btf_is_func_proto(t))
		nr = btf_vlen(t);
	btf__free(btf);
	return nr;
}

/*
 * Does the running kernel's struct sched_ext_ops have the callback @member?
 * Some depend on the kernel's version or config (cgroup ops need
 * CONFIG_EXT_GROUP_SCHED), and libbpf refuses to attach a struct_ops map
 * that sets a member the kernel lacks.
 */
bool slo_kernel_has_ops_member(const char *member)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_member *m;
	const struct btf_type *t;
	bool found = false;
	int id, i;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "sched_ext_ops", BTF_KIND_STRUCT);
	t = id >= 0 ? btf__type_by_id(btf, id) : NULL;
	for (i = 0, m = t ? btf_members(t) : NULL; t && i < btf_vlen(t); i++, m++) {
		if (!strcmp(btf__name_by_offset(btf, m->name_off), member)) {
			found = true;
			break;
		}
	}
	btf__free(btf);
	return found;
}

bool slo_kernel_at_least(int want_major, int want_minor)
{
	struct utsname uts;
	int major = 0, minor = 0;

	if (uname(&uts) || sscanf(uts.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > want_major || (major == want_major && minor >= want_minor);
}

int slo_size_bpf(struct scx_slo *skel, const struct slo_topology *topo,
		 bool single_dsq, bool use_peek, struct slo_bpf_shape *shape,
		 const char **failed_map)
{
	int nr_possible = libbpf_num_possible_cpus();
	uint32_t nr_dom = (uint32_t)topo->nr_domains;
	int d, i;
	struct {
		struct bpf_map *map;
		uint32_t entries;
	} sizes[11];

	shape->nr_cpu_ids = (uint32_t)topo->nr_cpu_ids;
	if (nr_possible > 0 && (uint32_t)nr_possible > shape->nr_cpu_ids)
		shape->nr_cpu_ids = (uint32_t)nr_possible;
	shape->nr_online = 0;
	for (d = 0; d < topo->nr_domains; d++)
		shape->nr_online += (uint32_t)topo->domains[d].nr_cpus;
	shape->nr_steal = nr_dom * (nr_dom - 1);

	skel->rodata->nr_cpu_ids = shape->nr_cpu_ids;
	skel->rodata->nr_online_cpus = shape->nr_online;
	skel->rodata->nr_domains = nr_dom;
	skel->rodata->nr_nodes = (uint32_t)topo->nr_nodes;
	/* the largest per-domain dispatch scan (topology/model.c) */
	skel->rodata->steal_scan_max = (uint32_t)topo->steal_scan_max;
	skel->rodata->single_dsq = single_dsq;
	skel->rodata->smt_enabled = topo->nr_cores < topo->nr_online_cpus;
	skel->rodata->use_dsq_peek = use_peek;

	sizes[0].map = skel->maps.cpu_info;		sizes[0].entries = shape->nr_cpu_ids;
	sizes[1].map = skel->maps.cpu_ctxs;		sizes[1].entries = shape->nr_cpu_ids;
	sizes[2].map = skel->maps.domain_info;		sizes[2].entries = nr_dom;
	sizes[3].map = skel->maps.domain_ctxs;		sizes[3].entries = nr_dom;
	sizes[4].map = skel->maps.slo_domain_stats;	sizes[4].entries = nr_dom;
	sizes[5].map = skel->maps.domain_cpus;		sizes[5].entries = shape->nr_online;
	sizes[6].map = skel->maps.steal_order;		sizes[6].entries = shape->nr_steal;
	sizes[7].map = skel->maps.node_ctxs;		sizes[7].entries = (uint32_t)topo->nr_nodes;
	sizes[8].map = skel->maps.domain_depths;	sizes[8].entries = nr_dom;
	sizes[9].map = skel->maps.core_cpus;		sizes[9].entries = shape->nr_online;
	sizes[10].map = skel->maps.rescue_timers;	sizes[10].entries = nr_dom;
	for (i = 0; i < 11; i++) {
		/* an array map needs at least one entry */
		int err = bpf_map__set_max_entries(sizes[i].map,
						   sizes[i].entries ? sizes[i].entries : 1);

		if (err) {
			*failed_map = bpf_map__name(sizes[i].map);
			return err;
		}
	}
	return 0;
}

int slo_fill_topology_maps(struct scx_slo *skel, const struct slo_topology *topo,
			   const struct slo_bpf_shape *shape)
{
	int cpu_fd = bpf_map__fd(skel->maps.cpu_info);
	int dom_fd = bpf_map__fd(skel->maps.domain_info);
	int cpus_fd = bpf_map__fd(skel->maps.domain_cpus);
	int core_fd = bpf_map__fd(skel->maps.core_cpus);
	int steal_fd = bpf_map__fd(skel->maps.steal_order);
	uint32_t cpu, pos = 0, steal_pos = 0, *core_start;
	int c, d, i, err = 0;

	/* each core's online threads, contiguous, for sibling_busy() */
	core_start = calloc(topo->nr_cores ? (size_t)topo->nr_cores : 1, sizeof(*core_start));
	if (!core_start)
		return -ENOMEM;
	for (c = 0; c < topo->nr_cores && !err; c++) {
		int thread;

		core_start[c] = pos;
		slo_cpumask_for_each(thread, topo->core_cpus[c]) {
			uint32_t val = (uint32_t)thread;

			if (pos >= shape->nr_online) {
				err = -E2BIG;
				break;
			}
			if (bpf_map_update_elem(core_fd, &pos, &val, BPF_ANY)) {
				err = -errno;
				break;
			}
			pos++;
		}
	}
	for (cpu = 0; cpu < shape->nr_cpu_ids && !err; cpu++) {
		struct slo_cpu_info info = { .domain = SLO_NO_DOMAIN };

		if (cpu < (uint32_t)topo->nr_cpu_ids && topo->cpus[cpu].online) {
			const struct slo_cpu *tc = &topo->cpus[cpu];

			info.domain = (uint32_t)tc->domain;
			info.node = (uint32_t)tc->node;
			if (tc->core >= 0 && tc->core < topo->nr_cores) {
				info.core_start = core_start[tc->core];
				info.nr_core_cpus =
					(uint32_t)slo_cpumask_weight(topo->core_cpus[tc->core]);
			}
		}
		if (bpf_map_update_elem(cpu_fd, &cpu, &info, BPF_ANY))
			err = -errno;
	}
	free(core_start);
	if (err)
		return err;
	pos = 0;
	for (d = 0; d < topo->nr_domains; d++) {
		const struct slo_domain *dom = &topo->domains[d];
		struct slo_domain_info info = {
			.node = (uint32_t)dom->node,
			.numa_id = topo->nodes[dom->node].os_id,
			.nr_cpus = (uint32_t)dom->nr_cpus,
			.cpus_start = pos,
			.steal_start = steal_pos,
			.nr_steal = (uint32_t)topo->nr_domains - 1,
			.nr_same_node = (uint32_t)dom->nr_same_node,
			.nr_scan = (uint32_t)dom->nr_scan,
			.nr_scan_same_node = (uint32_t)dom->nr_scan_same_node,
		};
		uint32_t key = (uint32_t)d;

		slo_cpumask_for_each(c, dom->cpus) {
			uint32_t val = (uint32_t)c;

			if (bpf_map_update_elem(cpus_fd, &pos, &val, BPF_ANY))
				return -errno;
			pos++;
		}
		for (i = 0; i < topo->nr_domains - 1; i++) {
			uint32_t val = (uint32_t)dom->steal_order[i];

			if (bpf_map_update_elem(steal_fd, &steal_pos, &val, BPF_ANY))
				return -errno;
			steal_pos++;
		}
		if (bpf_map_update_elem(dom_fd, &key, &info, BPF_ANY))
			return -errno;
	}
	return 0;
}

