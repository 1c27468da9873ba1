// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "pod_cgroup.h"

static const char *const qos_names[] = {
	[POD_QOS_GUARANTEED] = "Guaranteed",
	[POD_QOS_BURSTABLE] = "Burstable",
	[POD_QOS_BESTEFFORT] = "BestEffort",
};

const char *pod_qos_name(enum pod_qos qos)
{
	return qos <= POD_QOS_BESTEFFORT ? qos_names[qos] : "?";
}

int pod_qos_parse(const char *s, enum pod_qos *qos)
{
	int i;

	for (i = POD_QOS_GUARANTEED; i <= POD_QOS_BESTEFFORT; i++) {
		if (!strcmp(s, qos_names[i])) {
			*qos = (enum pod_qos)i;
			return 0;
		}
	}
	return -1;
}

int pod_uid_valid(const char *uid)
{
	size_t i, n = strlen(uid);

	if (!n || n > 64)
		return 0;
	for (i = 0; i < n; i++) {
		char c = uid[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-'))
			return 0;
	}
	return 1;
}

int pod_cgroup_path(enum cgroup_driver driver, enum pod_qos qos, const char *uid,
		    char *out, size_t len)
{
	const char *tier = qos == POD_QOS_BURSTABLE ? "burstable" : "besteffort";
	char u[65];
	size_t i;
	int n;

	if (!pod_uid_valid(uid))
		return -1;
	if (driver == CGROUP_DRIVER_CGROUPFS) {
		if (qos == POD_QOS_GUARANTEED)
			n = snprintf(out, len, "/kubepods/pod%s", uid);
		else
			n = snprintf(out, len, "/kubepods/%s/pod%s", tier, uid);
	} else {
		for (i = 0; uid[i]; i++)
			u[i] = uid[i] == '-' ? '_' : uid[i];
		u[i] = '\0';
		if (qos == POD_QOS_GUARANTEED)
			n = snprintf(out, len, "/kubepods.slice/kubepods-pod%s.slice", u);
		else
			n = snprintf(out, len, "/kubepods.slice/kubepods-%s.slice/kubepods-%s-pod%s.slice",
				     tier, tier, u);
	}
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int pod_cgroup_resolve(const char *root, enum pod_qos qos, const char *uid, char *out, size_t len)
{
	static const enum cgroup_driver drivers[] = { CGROUP_DRIVER_SYSTEMD, CGROUP_DRIVER_CGROUPFS };
	char rel[256], full[PATH_MAX];
	struct stat st;
	size_t i;

	if (!pod_uid_valid(uid))
		return -EINVAL;
	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		if (pod_cgroup_path(drivers[i], qos, uid, rel, sizeof(rel)))
			return -EINVAL;
		if ((size_t)snprintf(full, sizeof(full), "%s%s", root, rel) >= sizeof(full))
			return -EINVAL;
		/* lstat: a symlink planted in the tree is not a cgroup */
		if (!lstat(full, &st) && S_ISDIR(st.st_mode)) {
			if ((size_t)snprintf(out, len, "%s", rel) >= len)
				return -EINVAL;
			return 0;
		}
	}
	return -ENOENT;
}
