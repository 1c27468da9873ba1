#!/usr/bin/env bash
# Negative test of the manifest validation (ctest label "deploy"): take the
# rendered manifests, which pass, break one field at a time the way a typo
# would, and check that validate.mjs rejects each one and names the field.
# A misspelled field is what the API server silently drops (e.g.
# readOnlyRootFileSystem would leave the root filesystem writable), so the
# schema check must refuse unknown fields, not only wrong types.  Then the
# agent's checker (agent.mjs) against privileges added one at a time.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

need_npm
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
"$KUBECTL" kustomize "$TOP/deploy/kustomize/base" > "$OUT/base.yaml" || die "kustomize base failed"
"$KUBECTL" kustomize "$TOP/deploy/kustomize/demo" > "$OUT/demo.yaml" || die "kustomize demo failed"
"$KUBECTL" kustomize "$TOP/deploy/kustomize/monitoring" > "$OUT/monitoring.yaml" || die "kustomize monitoring failed"
"$HELM" template scx-slo "$TOP/deploy/helm/scx-slo" -n kube-system > "$OUT/helm.yaml" || die "helm template failed"

validate() { node "$DEPLOY_TESTS/validate.mjs" "$NPM_DIR" "$@" 2>&1; }

# The control: unchanged, all four pass.
if out=$(validate "$OUT/base.yaml" "$OUT/demo.yaml" "$OUT/helm.yaml" "$OUT/monitoring.yaml"); then ok "control: the rendered manifests pass"
else fail "control: the rendered manifests do not pass:"; echo "$out"; finish; exit 1; fi

# mutate NAME FILE SED-EXPR EXPECTED-REGEX: a copy of FILE with the sed
# edit (the first match) must fail validation with a line matching the regex.
# All copies are validated in one run (TypeScript starts once), then judged.
names=() wants=() n=0
mutate() {
	local name=$1 file=$2 expr=$3 want=$4
	n=$((n + 1))
	sed "$expr" "$OUT/$file" > "$OUT/bad-$n.yaml"
	if cmp -s "$OUT/$file" "$OUT/bad-$n.yaml"; then
		fail "$name: the edit '$expr' changed nothing"; rm -f "$OUT/bad-$n.yaml"
	fi
	names[n]=$name wants[n]=$want
}
judge() {
	local out i mine
	out=$(validate "$OUT"/bad-*.yaml)
	for ((i = 1; i <= n; i++)); do
		[ -f "$OUT/bad-$i.yaml" ] || continue
		mine=$(grep "^invalid: $OUT/bad-$i.yaml:" <<<"$out" | sed "s|^invalid: $OUT/bad-$i.yaml|line|")
		if [ -z "$mine" ]; then
			fail "${names[i]}: accepted"
		elif grep -q -- "${wants[i]}" <<<"$mine"; then
			ok "${names[i]}: $(grep -m1 -- "${wants[i]}" <<<"$mine")"
		else
			fail "${names[i]}: rejected, but without '${wants[i]}':"; echo "$mine"
		fi
	done
}

# Misspelled fields, from the top of an object down to a list item's field.
mutate "misspelled volumeMount field" base.yaml '0,/mountPath: \/sys\/fs\/bpf/s//mountPth: \/sys\/fs\/bpf/' \
	"volumeMounts\[[0-9]*\]\.mountPth: unknown field 'mountPth'.*did you mean 'mountPath'"
mutate "misspelled securityContext field" base.yaml '0,/readOnlyRootFilesystem:/s//readOnlyRootFileSystem:/' \
	"securityContext\.readOnlyRootFileSystem: unknown field"
mutate "misspelled pod spec field" base.yaml 's/hostPID: false/hostPid: false/' \
	"spec\.template\.spec\.hostPid: unknown field 'hostPid'.*did you mean 'hostPID'"
mutate "misspelled DaemonSet spec field" base.yaml 's/^  updateStrategy:/  updateStrategey:/' \
	"spec\.updateStrategey: unknown field"
mutate "misspelled probe" helm.yaml '0,/livenessProbe:/s//livenesProbe:/' \
	"containers\[0\]\.livenesProbe: unknown field"
mutate "misspelled capability list" base.yaml '0,/^\( *\)add:$/s//\1adds:/' \
	"capabilities\.adds: unknown field"
mutate "misspelled top-level field" demo.yaml '0,/^metadata:/s//metdata:/' \
	"metdata: unknown field"
mutate "misspelled Deployment field" demo.yaml 's/^  replicas: 2/  replica: 2/' \
	"spec\.replica: unknown field 'replica'"
mutate "misspelled Service field" base.yaml 's/^  clusterIP: None/  clusterIp: None/' \
	"spec\.clusterIp: unknown field"
mutate "misspelled recursive read-only" base.yaml 's/recursiveReadOnly: IfPossible/recursiveReadonly: IfPossible/' \
	"volumeMounts\[[0-9]*\]\.recursiveReadonly: unknown field.*did you mean 'recursiveReadOnly'"
mutate "misspelled termination message policy" base.yaml 's/terminationMessagePolicy:/terminationMessagePolicey:/' \
	"terminationMessagePolicey: unknown field"
mutate "misspelled NetworkPolicy field" base.yaml 's/^  policyTypes:/  policyType:/' \
	"spec\.policyType: unknown field 'policyType'.*did you mean 'policyTypes'"
# The Prometheus Operator's kinds (schemas of @kubernetes-models/prometheus-operator).
mutate "misspelled PodMonitor field" monitoring.yaml 's/^  podMetricsEndpoints:/  podMetricEndpoints:/' \
	"spec\.podMetricEndpoints: unknown field 'podMetricEndpoints'.*did you mean 'podMetricsEndpoints'"
mutate "misspelled relabeling field" monitoring.yaml 's/targetLabel: instance/targetLabl: instance/' \
	"relabelings\[0\]\.targetLabl: unknown field"
mutate "misspelled alert rule field" monitoring.yaml '0,/^\( *\)for: 3m/s//\1fro: 3m/' \
	"spec\.groups\[0\]\.rules\[0\]\.fro: unknown field 'fro'.*did you mean 'for'"
mutate "misspelled CRD kind" monitoring.yaml 's/^kind: PodMonitor$/kind: PodMonitors/' \
	"no schema for apiVersion 'monitoring.coreos.com/v1' kind 'PodMonitors'"
# Wrong types, a missing required field, an unknown kind.
mutate "string for an integer" base.yaml '0,/containerPort: 9180/s//containerPort: "9180"/' \
	"containerPort: must be integer"
mutate "missing required field" demo.yaml '0,/containerPort: 8080/s//containerPrt: 8080/' \
	"must have required property 'containerPort'\|missingProperty.*containerPort"
mutate "misspelled kind" base.yaml 's/^kind: DaemonSet/kind: Daemonset/' \
	"no schema for apiVersion 'apps/v1' kind 'Daemonset'"
judge

# The agent's checker (agent.mjs): each privilege added to the kustomize
# base, one at a time, must be refused for that reason.
if out=$(node "$DEPLOY_TESTS/agent.mjs" "$NPM_DIR" "$OUT/base.yaml" 2>&1); then ok "agent control: the base passes"
else fail "agent control: the base does not pass:"; echo "$out"; fi
# agent_reject NAME KIND/NAME STATEMENT EXPECTED-REGEX: mutate.mjs applies
# STATEMENT to that object; agent.mjs must fail with a FAIL line matching.
agent_reject() {
	n=$((n + 1))
	if ! node "$DEPLOY_TESTS/mutate.mjs" "$NPM_DIR" "$OUT/base.yaml" "$OUT/agent-$n.yaml" "$2" "$3" 2> "$OUT/err"; then
		fail "$1: $(cat "$OUT/err")"; return
	fi
	local out
	if out=$(node "$DEPLOY_TESTS/agent.mjs" "$NPM_DIR" "$OUT/agent-$n.yaml" 2>&1); then
		fail "$1: accepted"
	elif grep '^FAIL' <<<"$out" | grep -q -- "$4"; then
		ok "$1: $(grep '^FAIL' <<<"$out" | grep -m1 -- "$4")"
	else fail "$1: rejected, but not for '$4':"; echo "$out"; fi
}
pods='o.rules.find((r) => r.resources.includes("pods"))'
events='o.rules.find((r) => r.resources.includes("events"))'
agent='o.spec.template.spec.containers.find((c) => c.name === "agent")'
sched='o.spec.template.spec.containers.find((c) => c.name === "scx-slo")'
agent_reject "a verb added on pods" ClusterRole/scx-slo-agent "$pods.verbs.push('delete')" \
	"ClusterRole scx-slo-agent is exactly"
agent_reject "a wildcard verb" ClusterRole/scx-slo-agent "$pods.verbs = ['*']" \
	"ClusterRole scx-slo-agent is exactly"
agent_reject "update on events" ClusterRole/scx-slo-agent "$events.verbs.push('update')" \
	"ClusterRole scx-slo-agent is exactly"
agent_reject "secrets readable" ClusterRole/scx-slo-agent \
	"o.rules.push({ apiGroups: [''], resources: ['secrets'], verbs: ['get'] })" "ClusterRole scx-slo-agent is exactly"
agent_reject "a role for the default account too" ClusterRoleBinding/scx-slo-agent \
	"o.subjects.push({ kind: 'ServiceAccount', name: 'default', namespace: 'kube-system' })" \
	"pod's service account alone"
agent_reject "the token in the scheduler" DaemonSet/scx-slo \
	"$sched.volumeMounts.push({ name: 'agent-token', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true })" \
	"no token mounted in the scheduler"
agent_reject "a token automounted" DaemonSet/scx-slo "o.spec.template.spec.automountServiceAccountToken = true" \
	"the pod automounts no token"
agent_reject "a capability for the agent" DaemonSet/scx-slo "$agent.securityContext.capabilities.add = ['NET_RAW']" \
	"agent drops every capability and adds none"
agent_reject "the agent as root" DaemonSet/scx-slo "$agent.securityContext.runAsUser = 0" \
	"agent runs non-root"
agent_reject "the SLO directory writable by the scheduler" DaemonSet/scx-slo \
	"delete $sched.volumeMounts.find((m) => m.mountPath === '/run/scx-slo/slos').readOnly" \
	"read-only in the scheduler"
agent_reject "DNS egress" NetworkPolicy/scx-slo "o.spec.egress.push({ ports: [{ port: 53, protocol: 'UDP' }] })" \
	"egress is TCP 443, 6443 only"
agent_reject "egress anywhere" NetworkPolicy/scx-slo "o.spec.egress.push({})" "egress is TCP 443, 6443 only"
finish
