/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_CONFIG_WATCH_H
#define __SLO_CONFIG_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "slo_sources.h"

/*
 * Following the SLO configuration file while the loader runs (and the
 * SLO directory, --slo-dir, when there is one: see the end of this
 * comment).
 *
 * The file is usually a ConfigMap mount, reached through a chain of
 * symlinks (slo.yaml -> ..data/slo.yaml, ..data -> ..2026_12_03_...) whose
 * target directory is replaced on every update, but it may also sit in a
 * directory that is renamed away, be deleted and re-created, be written in
 * place by a slow writer, or be swapped under us by a bind mount.  So:
 *
 * - the path is resolved one component at a time, and every directory that
 *   holds a component of it (the file, and each symlink of the chain) is
 *   watched with inotify, for that name only; any event that can change
 *   where the path leads (a create, delete or rename of a watched name, a
 *   watched directory deleted or moved, IN_IGNORED, a queue overflow)
 *   resolves the path again and re-arms every watch;
 * - every SLO_WATCH_RECHECK_MS the file is read and compared with what was
 *   last acted on, whatever inotify said: the fallback for what inotify
 *   cannot see (mounts, network filesystems, a watch that could not be
 *   added);
 * - a change is applied only once the file has settled: two reads
 *   SLO_WATCH_QUIET_MS or more apart that agree on content, inode, size and
 *   times, and no writer still holding it open (seen as IN_MODIFY without
 *   IN_CLOSE_WRITE; waited for at most SLO_WATCH_WRITER_MAX_MS).  A file
 *   that does not parse, or is missing, is reported only once it has been
 *   unchanged for SLO_WATCH_BAD_QUIET_MS, so a file written in two goes is
 *   not reported half-written; the configuration in force stays either way.
 */
/*
 * With --slo-dir, the file and every source file of the directory are read
 * as one set (slo_sources.h), settled, merged and applied together; the
 * directory's own path is resolved and watched like the file's, and every
 * event inside it counts as a change (a ConfigMap-style ..data swap
 * included).
 */
#define SLO_WATCH_QUIET_MS		200
#define SLO_WATCH_SAMPLE_MS		100
#define SLO_WATCH_BAD_QUIET_MS		1000
#define SLO_WATCH_WRITER_MAX_MS		5000
#define SLO_WATCH_RECHECK_MS		10000

/* ---- the settle decision: pure, no I/O ------------------------------------ */

/* One read of the file. */
struct slo_file_sample {
	int err;			/* 0, or the -errno that stopped the read */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	uint64_t hash;			/* of the bytes read */
	uint64_t meta;			/* of several files' inodes and times (a set) */
};

/* Same content, same inode, same size and times (or the same error). */
bool slo_file_sample_equal(const struct slo_file_sample *a,
			   const struct slo_file_sample *b);

/* Same content (or the same error): nothing new to act on. */
bool slo_file_sample_same_content(const struct slo_file_sample *a,
				  const struct slo_file_sample *b);

struct slo_settle {
	bool have;			/* @last holds a read */
	struct slo_file_sample last;
	uint64_t since_ms;		/* when @last was first read */
};

enum slo_settle_verdict {
	SLO_SETTLE_WAIT,		/* read again SLO_WATCH_SAMPLE_MS later */
	SLO_SETTLE_READY,		/* this read may be acted on */
};

/*
 * Feed one read made at @now_ms.  READY when it equals the previous read
 * and that read is @quiet_ms old or more, and no writer holds the file
 * (@writer_open; ignored once @writer_ms old, for a writer that never
 * closes).  Otherwise the read becomes the one to compare the next with.
 */
enum slo_settle_verdict slo_settle_step(struct slo_settle *s,
					const struct slo_file_sample *now,
					uint64_t now_ms, uint64_t quiet_ms,
					bool writer_open, uint64_t writer_ms);

/* FNV-1a, 64 bits: tells two versions of a file apart. */
uint64_t slo_content_hash(const void *buf, size_t len);

/* ---- the watcher --------------------------------------------------------- */

/* What /metrics says about reloads (see metrics.h). */
struct slo_reload_status {
	bool last_ok;			/* the last load or reload applied (or was a no-op) */
	struct timespec last;		/* CLOCK_REALTIME of the last one, good or bad */
	struct timespec last_ok_at;	/* CLOCK_REALTIME of the last good one */
	uint64_t ok, failed;		/* reloads after the start, by outcome */
};

/*
 * Make @cfg the configuration in force.  Returns 0 when applied, 1 when
 * @cfg equals what is in force and @force is false (nothing done), -1 with
 * @err set when it could not be applied.  On 0 @cfg is taken; otherwise the
 * caller (the watcher) frees it.
 */
struct slo_config_watch_ops {
	int (*apply)(void *ctx, struct slo_config *cfg, const char *why, bool force,
		     char *err, size_t errlen);
	void (*log)(void *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	void *ctx;
};

struct slo_watch_interest;

struct slo_config_watch {
	char *name;			/* the path as given (NULL: --slo-dir only) */
	char *path;			/* made absolute */
	char *dir_name;			/* --slo-dir as given, or NULL */
	char *dir_path;			/* made absolute */
	char *what;			/* what is watched, for messages */
	uint64_t default_budget_ns;	/* for a file without default_budget */
	struct slo_config_watch_ops ops;
	int fd;				/* inotify, -1 when watching failed */
	bool watch_failed_said;
	struct slo_watch_interest *interests;
	size_t nr_interests;
	bool writer_open;		/* IN_MODIFY of the file not yet closed */
	uint64_t writer_since_ms;

	bool pending;			/* a change to look at */
	bool force;			/* SIGHUP: re-apply even if unchanged */
	const char *why;
	struct slo_settle settle;
	struct slo_source_set set;	/* the last read */
	char read_err[768];		/* why the last read failed */
	uint64_t next_sample_ms;
	uint64_t next_recheck_ms;

	bool have_done;			/* @done holds the read last acted on */
	struct slo_file_sample done;
	struct slo_reload_status status;
	/* --config's file alone, as last applied (what --last-good keeps) */
	struct slo_config config_part;
	bool have_config_part;
};

/*
 * Load @path for the start, once two reads SLO_WATCH_QUIET_MS apart agree
 * (a file that keeps changing is taken as it is after 2 s), into @out (a
 * file without default_budget gets @default_budget_ns), and start watching
 * it.  The start counts as a successful load in @w->status.  Failing to
 * set up inotify is logged through @ops and the periodic check still
 * runs.  0, or -1 with @err holding the one-line problem (the same as
 * slo_config_load()'s) and nothing to free.
 */
int slo_config_watch_init(struct slo_config_watch *w, const char *path,
			  uint64_t default_budget_ns,
			  const struct slo_config_watch_ops *ops,
			  struct slo_config *out, char *err, size_t errlen);

/*
 * The same for the file @path (NULL: none) and the SLO directory @dir
 * (NULL: none), merged (slo_sources.h); at least one of them.
 */
int slo_config_watch_init_sources(struct slo_config_watch *w, const char *path,
				  const char *dir, uint64_t default_budget_ns,
				  const struct slo_config_watch_ops *ops,
				  struct slo_config *out, char *err, size_t errlen);

/*
 * Watch @path although it does not parse now: the loader started on its
 * last good copy (README, Failure policy), and the file is applied as soon
 * as a version of it parses.  Counts as a failed load in @w->status.  0, or
 * -1 (out of memory).
 */
int slo_config_watch_init_broken(struct slo_config_watch *w, const char *path,
				 uint64_t default_budget_ns,
				 const struct slo_config_watch_ops *ops);

/* The same with the SLO directory @dir (NULL: none) too. */
int slo_config_watch_init_broken_sources(struct slo_config_watch *w, const char *path,
					 const char *dir, uint64_t default_budget_ns,
					 const struct slo_config_watch_ops *ops);

/* The inotify fd to poll for POLLIN, or -1. */
int slo_config_watch_fd(const struct slo_config_watch *w);

/* Milliseconds until slo_config_watch_run() has something to do. */
int slo_config_watch_timeout_ms(const struct slo_config_watch *w);

/* SIGHUP: read the file again and apply it even if unchanged. */
void slo_config_watch_request(struct slo_config_watch *w, const char *why);

/* Read events, re-arm, sample, apply: call after every poll(). */
void slo_config_watch_run(struct slo_config_watch *w);

void slo_config_watch_free(struct slo_config_watch *w);

/* A start with no file (--slo): a successful load, as far as /metrics goes. */
void slo_reload_status_started(struct slo_reload_status *st);

#endif /* __SLO_CONFIG_WATCH_H */
