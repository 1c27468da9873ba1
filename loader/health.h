/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_HEALTH_H
#define __SLO_HEALTH_H

/*
 * The probe path no network flood can starve: the loader's heartbeat file
 * and `scx_slo health`, which a kubelet exec probe runs.
 *
 * The loader writes its heartbeat, a CLOCK_MONOTONIC timestamp, into a
 * root-only file after each pass of its main loop (at most once a second)
 * and holds an exclusive flock on it for its whole life, so a reader can
 * tell "not running" (lock free) from "running but stalled" (lock held,
 * timestamp old) from "healthy".
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLO_HEARTBEAT_PATH		"/run/scx_slo/heartbeat"
#define SLO_HEALTH_MAX_AGE_NS		(10 * 1000000000ULL)	/* `health` default */
#define SLO_HEALTH_SCHED_EXT_DIR	"/sys/kernel/sched_ext"

/* Exit status of `scx_slo health` when unhealthy (0 healthy, 2 bad usage). */
#define SLO_EXIT_UNHEALTHY		1

struct slo_heartbeat {
	int fd;			/* -1: none */
	int dir_fd;
	char name[256];		/* the file's name in dir_fd */
	uint64_t last_ns;	/* CLOCK_MONOTONIC of the last write */
	bool waiting;		/* detached on purpose: see slo_heartbeat_set_waiting() */
};

/*
 * Create (or take over) the heartbeat file at @path and lock it.  Its
 * directory is created 0700 if missing, must be owned by us, and is made
 * 0700 if it was not (a Kubernetes emptyDir is 0777); neither it nor the
 * file is followed if it is a symlink, and a file we do not own, with
 * other links or not regular is replaced.  0 on success; -EBUSY when
 * another process holds the lock (another loader); else -errno.  One line
 * in @err on failure.
 */
int slo_heartbeat_open(struct slo_heartbeat *hb, const char *path, char *err, size_t errlen);

/* The main loop completed a pass: write the time if a second has passed. */
void slo_heartbeat_beat(struct slo_heartbeat *hb);

/*
 * The loader is detached on purpose and waiting (for the sched_ext slot,
 * or after SysRq-S): `scx_slo health` then passes on a fresh heartbeat
 * alone, so that the liveness probe does not restart a loader that is
 * doing what the failure policy says.  Written at once when it changes.
 */
void slo_heartbeat_set_waiting(struct slo_heartbeat *hb, bool waiting);

/* Remove the file and let go of the lock.  Safe on a never-opened one. */
void slo_heartbeat_close(struct slo_heartbeat *hb);

/*
 * Healthy when @sched_ext_dir/state reads "enabled", root/ops reads "slo",
 * a process holds the heartbeat file's lock, and its heartbeat is at most
 * @max_age_ns old; or, whatever sched_ext says, when that heartbeat is
 * fresh and says the loader is waiting (slo_heartbeat_set_waiting()).  0 healthy, with a summary in @out; SLO_EXIT_UNHEALTHY
 * with every failed condition in @out, on one line.
 */
int slo_health_check(const char *sched_ext_dir, const char *heartbeat_path,
		     uint64_t max_age_ns, char *out, size_t outlen);

/* `scx_slo health [--heartbeat FILE] [--max-age DURATION]`: argv[0] is "health". */
int slo_health_main(int argc, char **argv);

/* A small file (sysfs), trailing whitespace stripped, into @out; 0 or errno. */
int slo_read_small(const char *path, char *out, size_t outlen);

#endif /* __SLO_HEALTH_H */
