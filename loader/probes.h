/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_PROBES_H
#define __SLO_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHED_EXT_SYSFS		"/sys/kernel/sched_ext"

/* A sysfs file's first line, trailing blanks cut: 0 or -errno. */
int read_sysfs(const char *path, char *buf, size_t len);

/* Name of the attached scheduler, or "" if none/unknown. */
void attached_ops_name(char *buf, size_t len);

/* Can this kernel run us at all?  EXIT_OK or an exit code, after one line. */
int check_kernel(void);

/*
 * Does another sched_ext scheduler hold the slot?  Its name and state in
 * @who ("'simple', state enabled").
 */
bool slot_taken(char *who, size_t len);

/* --dsq-peek against what the kernel has: 0 with *use_peek set, or -1. */
int decide_dsq_peek(bool *use_peek);

/* The kernel's CPU hotplug sequence number, 0 if unknown. */
uint64_t read_hotplug_seq(void);

#endif /* __SLO_PROBES_H */
