// SPDX-License-Identifier: GPL-2.0
/*
 * The container's termination message (see termination.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "termination.h"

int slo_termination_write(const char *path, bool create, const char *text)
{
	size_t len = strnlen(text, SLO_TERMINATION_MAX), off = 0;
	int fd, e = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0),
		  0644);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) && !e)
		e = -errno;
	return e;
}
