/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_TERMINATION_H
#define __SLO_TERMINATION_H

/*
 * The container's termination message: why the loader exited, where the
 * kubelet copies it into the pod's status (lastState.terminated.message),
 * so `kubectl describe pod` shows it without the logs.
 */
#include <stdbool.h>

#define SLO_TERMINATION_LOG	"/dev/termination-log"
#define SLO_TERMINATION_MAX	4096	/* the kubelet keeps at most this much */

/*
 * Write @text (cut at SLO_TERMINATION_MAX bytes) to @path, replacing what
 * was there.  The default path is written only if it exists (the kubelet
 * bind-mounts it: outside Kubernetes nothing is created in /dev); a path
 * given by --termination-log is created (0644).  Symlinks are not
 * followed.  0, or -errno.
 */
int slo_termination_write(const char *path, bool create, const char *text);

#endif /* __SLO_TERMINATION_H */
