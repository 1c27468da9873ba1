// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kube_config.h"

double kube_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int kube_token_reload(struct kube_config *kc, char *err, size_t errlen)
{
	char buf[KUBE_TOKEN_MAX + 2];
	size_t len = 0, i;
	ssize_t n;
	int fd;

	fd = open(kc->token_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "token file %s: %s", kc->token_file, strerror(errno));
		return -1;
	}
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
		len--;
	buf[len] = '\0';
	if (len > KUBE_TOKEN_MAX) {
		snprintf(err, errlen, "token file %s: longer than %d bytes", kc->token_file,
			 KUBE_TOKEN_MAX);
		return -1;
	}
	if (!len) {
		snprintf(err, errlen, "token file %s is empty", kc->token_file);
		return -1;
	}
	/* it goes into a header line: nothing that could end or split one */
	for (i = 0; i < len; i++) {
		if ((unsigned char)buf[i] <= 0x20 || (unsigned char)buf[i] >= 0x7f) {
			snprintf(err, errlen, "token file %s: byte %zu is not a token character",
				 kc->token_file, i);
			return -1;
		}
	}
	memcpy(kc->token, buf, len + 1);
	kc->token_read_at = kube_now();
	return 0;
}

int kube_token_refresh(struct kube_config *kc, char *err, size_t errlen)
{
	if (kc->token_read_at && kube_now() - kc->token_read_at < KUBE_TOKEN_REREAD_S)
		return 0;
	return kube_token_reload(kc, err, errlen);
}

int kube_config_init(struct kube_config *kc, const char *api, const char *token_file,
		     const char *ca_file, char *err, size_t errlen)
{
	const char *host, *port;
	size_t n;

	memset(kc, 0, sizeof(*kc));
	if (!api) {
		host = getenv("KUBERNETES_SERVICE_HOST");
		port = getenv("KUBERNETES_SERVICE_PORT");
		if (!host || !*host || !port || !*port) {
			snprintf(err, errlen,
				 "--api-server not given and KUBERNETES_SERVICE_HOST/PORT not set (not in a pod?)");
			return -1;
		}
		/* an IPv6 service address needs brackets in a URL */
		snprintf(kc->api, sizeof(kc->api), strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s",
			 host, port);
	} else {
		if (strncmp(api, "https://", 8) || strlen(api) < 9) {
			snprintf(err, errlen, "--api-server '%.200s': must be an https:// URL", api);
			return -1;
		}
		if (strlen(api) >= sizeof(kc->api)) {
			snprintf(err, errlen, "--api-server: longer than %zu bytes", sizeof(kc->api) - 1);
			return -1;
		}
		strcpy(kc->api, api);
	}
	n = strlen(kc->api);
	while (n && kc->api[n - 1] == '/')
		kc->api[--n] = '\0';
	if (strlen(token_file) >= sizeof(kc->token_file) || strlen(ca_file) >= sizeof(kc->ca_file)) {
		snprintf(err, errlen, "token or CA file path too long");
		return -1;
	}
	strcpy(kc->token_file, token_file);
	strcpy(kc->ca_file, ca_file);
	if (access(ca_file, R_OK)) {
		snprintf(err, errlen, "CA file %s: %s", ca_file, strerror(errno));
		return -1;
	}
	return kube_token_reload(kc, err, errlen);
}
