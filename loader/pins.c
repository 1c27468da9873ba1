// SPDX-License-Identifier: GPL-2.0
/*
 * The pin directory, reached only through directory fds.
 *
 * Pinning uses BPF_F_PATH_FD (Linux 6.5; sched_ext needs 6.12): the pin is
 * created relative to the directory fd that was checked, so there is no
 * window between the check and the pin in which the path could be swapped
 * for a symlink or another directory.  Inside a root-owned 0700 directory
 * only root can add, rename or remove entries, so once it is checked the
 * names in it are ours.  The one step by name is the final rmdir, done only
 * if the name still refers to the inode we opened (with bpffs's sticky bit
 * nobody else can rename a root-owned entry anyway).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "pins.h"
#include "slo_cli.h"

#define SCHED_EXT_STATE	"/sys/kernel/sched_ext/state"

const char *const slo_pin_names[] = { SLO_PIN_OPS_NAME, "budgets_0", "budgets_1", "control" };
const size_t slo_nr_pin_names = sizeof(slo_pin_names) / sizeof(slo_pin_names[0]);

__attribute__((format(printf, 3, 4)))
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void slo_pins_close(struct slo_pins *p)
{
	close_fd(&p->dir_fd);
	close_fd(&p->bpffs_fd);
}

static int open_bpffs(struct slo_pins *p, char *err, size_t errlen)
{
	int e;

	p->dir_fd = -1;
	p->bpffs_fd = open(SLO_BPFFS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (p->bpffs_fd >= 0)
		return 0;
	e = errno;
	fail(err, errlen, "cannot open %s: %s", SLO_BPFFS, strerror(e));
	return -e;
}

/*
 * Open the directory without following a symlink and check it: a root-owned
 * directory, mode 0700 (set to 0700 by the loader, @fix_mode, since the
 * directory is root's; refused by the CLI, which changes nothing).
 */
static int open_dir(struct slo_pins *p, bool fix_mode, char *err, size_t errlen)
{
	struct stat st;
	int e;

	p->dir_fd = openat(p->bpffs_fd, SLO_PIN_DIR_NAME,
			   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (p->dir_fd < 0) {
		e = errno;
		if (e == ENOENT) {
			fail(err, errlen, "nothing pinned at %s", SLO_PIN_DIR);
			return -ENOENT;
		}
		if ((e == ELOOP || e == ENOTDIR) &&
		    !fstatat(p->bpffs_fd, SLO_PIN_DIR_NAME, &st, AT_SYMLINK_NOFOLLOW)) {
			fail(err, errlen, "%s is %s owned by uid %u, not a directory: "
			     "refusing to use it (planted?)", SLO_PIN_DIR,
			     S_ISLNK(st.st_mode) ? "a symlink" : "a file",
			     (unsigned int)st.st_uid);
			return -EPERM;
		}
		fail(err, errlen, "cannot open %s: %s", SLO_PIN_DIR, strerror(e));
		return -e;
	}
	if (fstat(p->dir_fd, &st)) {
		e = errno;
		fail(err, errlen, "cannot inspect %s: %s", SLO_PIN_DIR, strerror(e));
		close_fd(&p->dir_fd);
		return -e;
	}
	if (st.st_uid != 0) {
		fail(err, errlen, "%s is owned by uid %u, not root: refusing to use it (planted?)",
		     SLO_PIN_DIR, (unsigned int)st.st_uid);
		close_fd(&p->dir_fd);
		return -EPERM;
	}
	if ((st.st_mode & 07777) == 0700)
		return 0;
	if (!fix_mode) {
		fail(err, errlen, "%s has mode %04o, not 0700: refusing to use it",
		     SLO_PIN_DIR, (unsigned int)(st.st_mode & 07777));
		close_fd(&p->dir_fd);
		return -EPERM;
	}
	if (fchmod(p->dir_fd, 0700)) {
		e = errno;
		fail(err, errlen, "cannot make %s mode 0700: %s", SLO_PIN_DIR, strerror(e));
		close_fd(&p->dir_fd);
		return -e;
	}
	return 0;
}

/* Unpin @name if it is a pin (bpffs shows pins as regular files). */
static int remove_pin(int dir_fd, const char *name)
{
	struct stat st;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(st.st_mode))
		return -EEXIST;
	if (unlinkat(dir_fd, name, 0) && errno != ENOENT)
		return -errno;
	return 0;
}

int slo_pins_create(struct slo_pins *p, char *err, size_t errlen)
{
	size_t i;
	int e;

	e = open_bpffs(p, err, errlen);
	if (e)
		return e;
	if (mkdirat(p->bpffs_fd, SLO_PIN_DIR_NAME, 0700) && errno != EEXIST) {
		e = errno;
		fail(err, errlen, "cannot create %s: %s", SLO_PIN_DIR, strerror(e));
		slo_pins_close(p);
		return -e;
	}
	e = open_dir(p, true, err, errlen);
	if (e) {
		slo_pins_close(p);
		return e;
	}
	/*
	 * The attached scheduler is us (attaching failed otherwise), so pins
	 * found here were left by a loader that was killed: stale.
	 */
	for (i = 0; i < slo_nr_pin_names; i++) {
		e = remove_pin(p->dir_fd, slo_pin_names[i]);
		if (e) {
			fail(err, errlen, "%s/%s is not a pin left by scx_slo (%s): leaving it",
			     SLO_PIN_DIR, slo_pin_names[i],
			     e == -EEXIST ? "a symlink or directory" : strerror(-e));
			slo_pins_close(p);
			return e;
		}
	}
	return 0;
}

int slo_pins_pin(struct slo_pins *p, int fd, const char *name)
{
	LIBBPF_OPTS(bpf_obj_pin_opts, opts, .file_flags = BPF_F_PATH_FD, .path_fd = p->dir_fd);

	if (bpf_obj_pin_opts(fd, name, &opts))
		return -errno;
	/* pins are 0600 less the umask already: make it independent of it */
	if (fchmodat(p->dir_fd, name, 0600, 0))
		return -errno;
	return 0;
}

void slo_pins_remove(struct slo_pins *p)
{
	struct stat ours, now;
	size_t i;

	if (p->dir_fd < 0)
		return;
	/* control first: without it the CLI says no scheduler is running */
	for (i = slo_nr_pin_names; i-- > 0;)
		remove_pin(p->dir_fd, slo_pin_names[i]);
	if (!fstat(p->dir_fd, &ours) &&
	    !fstatat(p->bpffs_fd, SLO_PIN_DIR_NAME, &now, AT_SYMLINK_NOFOLLOW) &&
	    ours.st_dev == now.st_dev && ours.st_ino == now.st_ino)
		unlinkat(p->bpffs_fd, SLO_PIN_DIR_NAME, AT_REMOVEDIR);
	slo_pins_close(p);
}

int slo_pins_open(struct slo_pins *p, char *err, size_t errlen)
{
	int e = open_bpffs(p, err, errlen);

	if (e == -ENOENT)
		fail(err, errlen, "nothing pinned at %s", SLO_PIN_DIR);
	if (!e)
		e = open_dir(p, false, err, errlen);
	if (e)
		slo_pins_close(p);
	return e;
}

int slo_pins_get(const struct slo_pins *p, const char *name, int *fd)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_PATH_FD, .path_fd = p->dir_fd);
	struct stat st;

	*fd = -1;
	if (fstatat(p->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != 0)
		return -EPERM;
	*fd = bpf_obj_get_opts(name, &opts);
	return *fd < 0 ? -errno : 0;
}

int slo_lock_wait(int fd, int timeout_ms)
{
	const struct timespec step = { .tv_nsec = 5 * 1000 * 1000 };

	for (;;) {
		if (!flock(fd, LOCK_EX | LOCK_NB))
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || timeout_ms <= 0)
			return -errno;
		nanosleep(&step, NULL);
		timeout_ms -= 5;
	}
}

void slo_unlock(int fd)
{
	if (fd >= 0)
		flock(fd, LOCK_UN);
}

static bool sched_ext_enabled(void)
{
	char state[32] = "";
	FILE *f = fopen(SCHED_EXT_STATE, "re");

	if (!f)
		return false;
	if (!fgets(state, sizeof(state), f))
		state[0] = '\0';
	fclose(f);
	return !strcmp(state, "enabled\n");
}

int slo_ops_attached(int ops_fd)
{
	struct bpf_map_info map = {};
	uint32_t len = sizeof(map), id = 0;

	if (bpf_map_get_info_by_fd(ops_fd, &map, &len))
		return -errno;
	/* a scheduler the kernel ejected keeps its link until the loader sees it */
	if (!sched_ext_enabled())
		return 0;
	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info link = {};
		int fd = bpf_link_get_fd_by_id(id);
		bool ours;

		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		len = sizeof(link);
		ours = !bpf_link_get_info_by_fd(fd, &link, &len) &&
		       link.type == BPF_LINK_TYPE_STRUCT_OPS && link.struct_ops.map_id == map.id;
		close(fd);
		if (ours)
			return 1;
	}
	return errno == ENOENT ? 0 : -errno;
}
