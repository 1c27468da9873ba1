/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_TOPO_MAPS_H
#define __SLO_TOPO_MAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "topology.h"

struct scx_slo;

/* The shape BPF is sized for: every CPU id the kernel can hand us. */
struct slo_bpf_shape {
	uint32_t nr_cpu_ids;
	uint32_t nr_online;		/* CPUs listed in domains */
	uint32_t nr_steal;		/* steal_order entries */
};

/* Does the running kernel have the kfunc @name (in its BTF)? */
bool slo_kernel_has_kfunc(const char *name);
/* Parameters of the kfunc @name in the kernel's BTF, or -1 if absent. */
int slo_kernel_kfunc_nr_args(const char *name);
/* Does the kernel's struct sched_ext_ops have the callback @member? */
bool slo_kernel_has_ops_member(const char *member);
/* Is the running kernel at least @major.@minor? */
bool slo_kernel_at_least(int major, int minor);

/*
 * Before load: size the topology maps and set the machine's shape in
 * rodata.  0, or -errno with *@failed_map naming the map.
 */
int slo_size_bpf(struct scx_slo *skel, const struct slo_topology *topo,
		 bool single_dsq, bool use_peek, struct slo_bpf_shape *shape,
		 const char **failed_map);

/* After load, before attach: CPU to domain and node, domain CPUs, steal order. */
int slo_fill_topology_maps(struct scx_slo *skel, const struct slo_topology *topo,
			   const struct slo_bpf_shape *shape);

#endif /* __SLO_TOPO_MAPS_H */
