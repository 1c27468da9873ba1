/* SPDX-License-Identifier: GPL-2.0 */
/* Shared between the files of topology/, not part of its interface. */
#ifndef __SLO_TOPOLOGY_INTERNAL_H
#define __SLO_TOPOLOGY_INTERNAL_H

#include "topology.h"

/*
 * Fill every domain's steal_order, nr_same_node and scan bounds, and
 * ->steal_scan_max.  Returns 0 or -ENOMEM.
 */
int slo_topology_order_steal(struct slo_topology *t);

#endif /* __SLO_TOPOLOGY_INTERNAL_H */
