#!/usr/bin/env bash
# Manifest validation (ctest label "deploy"), offline:
#   - yamllint --strict over deploy/ (deploy/.yamllint; Helm templates excluded);
#   - `kubectl kustomize` renders deploy/kustomize/base, deploy/kustomize/demo and
#     deploy/kustomize/monitoring (the base with the monitoring component);
#   - `helm lint --strict` on deploy/helm/scx-slo, with default and test values;
#   - `helm template` with both value sets (the test values enable monitoring),
#     and with only the PodMonitor enabled;
#   - every rendered object validates against kubernetes-models' schemas, with
#     unknown fields rejected (validate.mjs);
#   - kustomize and Helm agree (kernel check, default SLOs, capabilities, mounts,
#     host namespaces, termination message, NetworkPolicy, the agent container);
#   - the agent (agent.mjs): exactly get/list/watch on pods and namespaces and
#     create/patch on events, its token in its own container only, no
#     capabilities, the shared SLO directory, egress to the API server only;
#     none of it with agent.enabled=false; the demo frontend's SLO from its
#     annotation alone;
#   - monitoring: each render scrapes the pods one way (annotations or a
#     PodMonitor, never both, no annotated Service); the PrometheusRule holds
#     the chart's files/prometheus-rules.yaml and the dashboard ConfigMap its
#     files/grafana-dashboard.json (compare-monitoring.mjs);
#   - with SCX_SLO path given and supporting it, `scx_slo --check-config`
#     accepts the rendered SLO files.
# kubectl, helm, kubernetes-models and TypeScript come from npm (lib.sh).
#   manifests-test.sh [PATH/TO/scx_slo]
set -uo pipefail
source "$(dirname "$0")/lib.sh"
scx_slo=${1:-}

need_pkgs yamllint
need_npm
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
CHART=$TOP/deploy/helm/scx-slo

if out=$(cd "$TOP/deploy" && yamllint --strict . 2>&1 &&
	yamllint --strict -c "$TOP/deploy/.yamllint" "$DEPLOY_TESTS"/*.yaml 2>&1); then
	ok "yamllint --strict deploy/ tests/deploy/*.yaml"
else fail "yamllint:"; echo "$out"; fi

# kinds FILE: "Kind/name" per object, sorted (the name is metadata's: a
# ClusterRoleBinding's roleRef has a name too)
kinds() {
	awk '/^kind:/ { k = $2 } /^[^ ]/ { m = $0 == "metadata:"; next } m && /^  name:/ { print k "/" $2; m = 0 }' "$1" |
		sort | tr '\n' ' '
}

for k in base demo monitoring; do
	if "$KUBECTL" kustomize "$TOP/deploy/kustomize/$k" > "$OUT/kustomize-$k.yaml" 2> "$OUT/err"; then
		ok "kubectl kustomize deploy/kustomize/$k: $(kinds "$OUT/kustomize-$k.yaml")"
	else fail "kubectl kustomize deploy/kustomize/$k: $(cat "$OUT/err")"; fi
done
want="ClusterRole/scx-slo-agent ClusterRoleBinding/scx-slo-agent ConfigMap/scx-slo-config DaemonSet/scx-slo NetworkPolicy/scx-slo Service/scx-slo-metrics ServiceAccount/scx-slo "
[ "$(kinds "$OUT/kustomize-base.yaml")" = "$want" ] && ok "base has exactly: $want" ||
	fail "base objects: $(kinds "$OUT/kustomize-base.yaml"), want $want"
grep -q '^  namespace: kube-system$' "$OUT/kustomize-base.yaml" &&
	! grep '^  namespace:' "$OUT/kustomize-base.yaml" | grep -vq 'kube-system$' &&
	ok "base: every object in kube-system" || fail "base: objects outside kube-system"
want_mon="ClusterRole/scx-slo-agent ClusterRoleBinding/scx-slo-agent ConfigMap/scx-slo-config ConfigMap/scx-slo-grafana-dashboard DaemonSet/scx-slo NetworkPolicy/scx-slo PodMonitor/scx-slo PrometheusRule/scx-slo Service/scx-slo-metrics ServiceAccount/scx-slo "
[ "$(kinds "$OUT/kustomize-monitoring.yaml")" = "$want_mon" ] && ok "monitoring overlay has exactly: $want_mon" ||
	fail "monitoring overlay objects: $(kinds "$OUT/kustomize-monitoring.yaml"), want $want_mon"

for v in default test; do
	args=(); [ $v = test ] && args=(-f "$DEPLOY_TESTS/helm-values-test.yaml")
	if out=$("$HELM" lint --strict "$CHART" "${args[@]}" 2>&1); then ok "helm lint --strict ($v values)"
	else fail "helm lint --strict ($v values):"; echo "$out"; fi
	if "$HELM" template scx-slo "$CHART" -n kube-system "${args[@]}" > "$OUT/helm-$v.yaml" 2> "$OUT/err"; then
		ok "helm template ($v values): $(kinds "$OUT/helm-$v.yaml")"
	else fail "helm template ($v values): $(cat "$OUT/err")"; fi
done
# Default values but the PodMonitor: the pods must lose their annotations.
if "$HELM" template scx-slo "$CHART" -n kube-system --set monitoring.podMonitor.enabled=true \
	> "$OUT/helm-podmonitor.yaml" 2> "$OUT/err"; then
	ok "helm template (monitoring.podMonitor.enabled=true): $(kinds "$OUT/helm-podmonitor.yaml")"
else fail "helm template (monitoring.podMonitor.enabled=true): $(cat "$OUT/err")"; fi

# Without the agent: no RBAC, no token, no egress (tests/deploy/agent.mjs).
if "$HELM" template scx-slo "$CHART" -n kube-system --set agent.enabled=false \
	> "$OUT/helm-noagent.yaml" 2> "$OUT/err"; then
	ok "helm template (agent.enabled=false): $(kinds "$OUT/helm-noagent.yaml")"
else fail "helm template (agent.enabled=false): $(cat "$OUT/err")"; fi

# Values the chart's values.schema.json must refuse, each in a values file.
bad_values=(
	'config: {defaultBudget: 100, slos: []}'
	'config: {defaultBudget: 100ms, slos: [{cgroup: kubepods.slice, budget: 5ms}]}'
	'config: {defaultBudget: 100ms, slos: [{cgroup: /web, budget: 5 ms}]}'
	'config: {defaultBudget: 100ms, slos: [{cgroup: /web, budget: 5ms, weight: 100}]}'
	'config: {defaultBudget: 100ms, slos: [{cgroup: /web, budgets: 5ms}]}'
	'metrics: {port: 70000}'
	'metrics: {prot: 9180}'
	'nodeSelektor: {scx-slo.io/sched-ext: "true"}'
	'cgroupRecursiveReadOnly: Yes'
	'networkPolicy: {enabled: true, metricsFrom: [{namespaceSelektor: {}}]}'
	'networkPolicy: {enabled: true, metricsFrom: []}'
	'monitoring: {rules: {missRatioTarget: 2}}'
	'monitoring: {rules: {missRatioTarget: "1%"}}'
	'monitoring: {podMonitor: {enabled: true, interval: 30}}'
	'monitoring: {podMonitor: {enabld: true}}'
	'agent: {enabeld: false}'
	'agent: {enabled: "false"}'
	'agent: {metricsPort: 0}'
	'networkPolicy: {enabled: true, apiServerPorts: []}'
	'networkPolicy: {enabled: true, apiServerPorts: [https]}'
	'networkPolicy: {enabled: true, apiServerTo: [{ipBlok: {cidr: 10.0.0.0/8}}]}'
)
for bad in "${bad_values[@]}"; do
	printf '%s\n' "$bad" > "$OUT/bad-values.yaml"
	if "$HELM" template scx-slo "$CHART" -f "$OUT/bad-values.yaml" >/dev/null 2>"$OUT/err"; then
		fail "helm accepted bad values: $bad"
	else ok "helm values schema refuses '$bad': $(grep '^- ' "$OUT/err" | sed 's/^- //' | paste -sd';' -)"; fi
done

rendered=("$OUT"/kustomize-base.yaml "$OUT"/kustomize-demo.yaml "$OUT"/kustomize-monitoring.yaml
	"$OUT"/helm-default.yaml "$OUT"/helm-test.yaml "$OUT"/helm-podmonitor.yaml "$OUT"/helm-noagent.yaml)
if out=$(node "$DEPLOY_TESTS/validate.mjs" "$NPM_DIR" "${rendered[@]}" 2>&1); then
	ok "schemas (kubernetes-models, unknown fields rejected): $(tail -n1 <<<"$out")"
else fail "schema validation:"; echo "$out"; fi

if out=$(node "$DEPLOY_TESTS/compare.mjs" "$NPM_DIR" "$OUT/kustomize-base.yaml" "$OUT/helm-default.yaml" "$OUT" 2>&1); then
	ok "kustomize and helm agree:"; sed 's/^/       /' <<<"$out"
else fail "kustomize and helm differ:"; echo "$out"; fi

# The agent: exact RBAC verbs, its token in its container only, no
# capabilities, the shared SLO directory, its egress; and none of it
# without the agent.  tests/deploy/helm-values-test.yaml allows port 6443 only.
if out=$(node "$DEPLOY_TESTS/agent.mjs" "$NPM_DIR" "$OUT"/kustomize-base.yaml "$OUT"/kustomize-monitoring.yaml \
	"$OUT"/helm-default.yaml "$OUT"/helm-test.yaml:ports=6443 "$OUT"/helm-podmonitor.yaml \
	"$OUT"/helm-noagent.yaml:off 2>&1); then
	ok "agent:"; sed 's/^/       /' <<<"$out"
else fail "agent:"; echo "$out"; fi
if out=$(node "$DEPLOY_TESTS/agent.mjs" "$NPM_DIR" --demo "$OUT"/kustomize-demo.yaml \
	"$OUT"/kustomize-base.yaml "$OUT"/helm-default.yaml 2>&1); then
	ok "demo frontend's SLO from its annotation alone:"; sed 's/^/       /' <<<"$out"
else fail "demo frontend's SLO:"; echo "$out"; fi

# The miss-ratio target of tests/deploy/helm-values-test.yaml is 0.05.
if out=$(node "$DEPLOY_TESTS/compare-monitoring.mjs" "$NPM_DIR" "$CHART/files/prometheus-rules.yaml" \
	"$CHART/files/grafana-dashboard.json" "$OUT"/kustomize-base.yaml "$OUT"/kustomize-monitoring.yaml \
	"$OUT"/helm-default.yaml "$OUT"/helm-test.yaml=0.05 "$OUT"/helm-podmonitor.yaml 2>&1); then
	ok "monitoring objects:"; sed 's/^/       /' <<<"$out"
else fail "monitoring objects:"; echo "$out"; fi

# The rendered SLO files, as scx_slo itself parses them (once it can).
if [ -n "$scx_slo" ] && [ -x "$scx_slo" ] && "$scx_slo" --help 2>&1 | grep -q -- '--check-config'; then
	for f in kustomize-slo helm-slo; do
		if out=$("$scx_slo" --check-config "$OUT/$f.yaml" 2>&1); then ok "scx_slo --check-config $f.yaml"
		else fail "scx_slo --check-config $f.yaml: $out"; fi
	done
else
	echo "note: scx_slo --check-config not available; rendered SLO files not parsed by scx_slo"
fi
finish
