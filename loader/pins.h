/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_PINS_H
#define __SLO_PINS_H

/*
 * The directory a running scx_slo pins its maps in, for `scx_slo slo ...`.
 *
 * bpffs is world-writable (1777) by default, so every step goes through
 * directory fds and never follows a symlink: the directory must be a real
 * directory owned by root with mode 0700 before anything is pinned in it,
 * read from it or removed from it.  The same directory, locked with flock(),
 * serialises the loader's budget publishing with the CLI's
 * read-modify-write of the control map.
 */
#include <stdbool.h>
#include <stddef.h>

#define SLO_BPFFS		"/sys/fs/bpf"
#define SLO_PIN_DIR_NAME	"scx_slo"

/*
 * The scheduler's struct_ops map, pinned beside the budget maps: its id
 * tells the CLI whether the scheduler that pinned them is the one attached.
 */
#define SLO_PIN_OPS_NAME	"ops"

/* What a loader pins, in the order it pins them (control last). */
extern const char *const slo_pin_names[];
extern const size_t slo_nr_pin_names;

struct slo_pins {
	int bpffs_fd;
	int dir_fd;
};

#define SLO_PINS_INIT { .bpffs_fd = -1, .dir_fd = -1 }

/*
 * Loader: create SLO_PIN_DIR, or take over one that is a directory owned
 * by root (mode set to 0700), and remove the pins a killed loader left
 * there (only the names in slo_pin_names, only regular files).  Anything
 * else at the path (a symlink, a file, a directory someone else owns) is
 * refused and left as it is.  0, or -errno with one line in @err.
 */
int slo_pins_create(struct slo_pins *p, char *err, size_t errlen);

/* Pin @fd as @name in the directory: 0 or -errno. */
int slo_pins_pin(struct slo_pins *p, int fd, const char *name);

/*
 * Loader: unpin every name in slo_pin_names, remove the directory if it is
 * still the one opened (and empty), close it.
 */
void slo_pins_remove(struct slo_pins *p);

/*
 * CLI: open SLO_PIN_DIR as it is, without following a symlink.  0;
 * -ENOENT if there is none; -EPERM if it is not a root-owned 0700
 * directory, or another -errno, with one line in @err.
 */
int slo_pins_open(struct slo_pins *p, char *err, size_t errlen);

/*
 * CLI: the pinned object @name, by fd: 0 with *fd set, or -errno (-EPERM
 * when @name is not a root-owned regular file: a symlink, a directory).
 */
int slo_pins_get(const struct slo_pins *p, const char *name, int *fd);

void slo_pins_close(struct slo_pins *p);

/*
 * flock() @fd exclusively, waiting up to @timeout_ms: 0, or -EWOULDBLOCK
 * on timeout, or another -errno.  The loader holds it on the pin directory
 * while it rewrites and publishes a budget set, the CLI while it reads and
 * writes back the control map.
 */
int slo_lock_wait(int fd, int timeout_ms);
void slo_unlock(int fd);

/*
 * Whether the struct_ops map @ops_fd is the scheduler attached now: a
 * struct_ops link to it exists and sched_ext is enabled.  1, 0, or -errno.
 */
int slo_ops_attached(int ops_fd);

#endif /* __SLO_PINS_H */
