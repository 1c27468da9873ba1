/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_AGENT_POD_CGROUP_H
#define __SLO_AGENT_POD_CGROUP_H

/*
 * Where the kubelet puts a pod's cgroup, under either cgroup driver:
 *
 *   QoS         systemd                                             cgroupfs
 *   Guaranteed  /kubepods.slice/kubepods-pod<U>.slice                 /kubepods/pod<uid>
 *   Burstable   /kubepods.slice/kubepods-burstable.slice/
 *                 kubepods-burstable-pod<U>.slice                     /kubepods/burstable/pod<uid>
 *   BestEffort  (likewise with besteffort)                          /kubepods/besteffort/pod<uid>
 *
 * where <U> is the UID with '-' made '_' (systemd reserves '-' for the
 * slice hierarchy).  Which driver a node uses is seen from the tree itself.
 */
#include <stddef.h>

enum pod_qos { POD_QOS_GUARANTEED, POD_QOS_BURSTABLE, POD_QOS_BESTEFFORT };
enum cgroup_driver { CGROUP_DRIVER_SYSTEMD, CGROUP_DRIVER_CGROUPFS };

const char *pod_qos_name(enum pod_qos qos);
/* "Guaranteed", "Burstable", "BestEffort": 0, else -1. */
int pod_qos_parse(const char *s, enum pod_qos *qos);

/*
 * A UID that may go into a path: 1 to 64 of [0-9a-z-] (UUIDs, and the
 * hex config hash of a static pod).  Anything else never reaches a path.
 */
int pod_uid_valid(const char *uid);

/*
 * The path, relative to the cgroup root and starting with '/'.  0, or -1
 * for an invalid UID or a short buffer.
 */
int pod_cgroup_path(enum cgroup_driver driver, enum pod_qos qos, const char *uid,
		    char *out, size_t len);

/*
 * The path of the pod's cgroup as it exists under @root (tried under both
 * drivers, systemd first).  0 with @out set; -ENOENT while neither exists
 * (pending); -EINVAL for an invalid UID.
 */
int pod_cgroup_resolve(const char *root, enum pod_qos qos, const char *uid, char *out, size_t len);

#endif /* __SLO_AGENT_POD_CGROUP_H */
