/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SLO_AGENT_KUBE_CONFIG_H
#define __SLO_AGENT_KUBE_CONFIG_H

/*
 * In-cluster configuration: the API server's URL, the service-account
 * token and the cluster CA.  Bound service-account tokens expire and the
 * kubelet rotates the file, so the token is read again at least every
 * KUBE_TOKEN_REREAD_S seconds and after any 401.  The CA file is read by
 * libcurl for every new connection (no CA cache), so a rotated CA is
 * picked up by the retry that follows a TLS failure.
 */
#include <limits.h>
#include <stddef.h>

#define KUBE_TOKEN_FILE		"/var/run/secrets/kubernetes.io/serviceaccount/token"
#define KUBE_CA_FILE		"/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
#define KUBE_TOKEN_REREAD_S	60
#define KUBE_TOKEN_MAX		16384

struct kube_config {
	char api[1024];			/* "https://host:port", no trailing '/' */
	char token_file[PATH_MAX];
	char ca_file[PATH_MAX];
	char token[KUBE_TOKEN_MAX + 1];
	double token_read_at;		/* CLOCK_MONOTONIC s; 0: never */
};

/*
 * @api NULL: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT.
 * Reads the token.  0, or -1 with one line in @err.
 */
int kube_config_init(struct kube_config *kc, const char *api, const char *token_file,
		     const char *ca_file, char *err, size_t errlen);

/* Read the token file now.  0, or -1 with @err (the old token is kept). */
int kube_token_reload(struct kube_config *kc, char *err, size_t errlen);

/* Read it again when KUBE_TOKEN_REREAD_S have passed; errors as above. */
int kube_token_refresh(struct kube_config *kc, char *err, size_t errlen);

double kube_now(void);

#endif /* __SLO_AGENT_KUBE_CONFIG_H */
