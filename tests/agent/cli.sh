#!/usr/bin/env bash
# scx_slo_agent's command line and its refusals: each bad input is one line
# naming the problem and exit 2, before anything is contacted or written.
#   cli.sh PATH/TO/scx_slo_agent
set -u
bin=$1
passed=0 failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo token > "$work/token"
echo ca > "$work/ca.crt"
mkdir "$work/out"
ok_args=(--node node-a --api-server https://127.0.0.1:1 --token-file "$work/token"
	--ca-file "$work/ca.crt" --cgroup-root "$work" --output "$work/out/pods.yaml")

# expect NAME STATUS PATTERN CMD...: as tests/cli/cli.sh
expect() {
	local name=$1 want=$2 pattern=$3; shift 3
	local out err rc lines
	out=$(env -u NODE_NAME -u KUBERNETES_SERVICE_HOST -u KUBERNETES_SERVICE_PORT "$@" 2>"$work/err"); rc=$?
	err=$(cat "$work/err")
	lines=$(grep -vc "^Try 'scx_slo_agent --help'" "$work/err")
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $name: exit $rc, want $want"; echo "$err"; failed=$((failed + 1)); return
	fi
	if ! printf '%s\n%s\n' "$out" "$err" | grep -q -- "$pattern"; then
		echo "FAIL $name: output does not match '$pattern'"; echo "$out"; echo "$err"
		failed=$((failed + 1)); return
	fi
	if [ "$want" -ne 0 ] && [ "$lines" -ne 1 ]; then
		echo "FAIL $name: $lines lines on stderr, want 1"; echo "$err"
		failed=$((failed + 1)); return
	fi
	echo "ok   $name"; passed=$((passed + 1))
}

expect help 0 'Usage: scx_slo_agent' "$bin" --help
expect help-names-defaults 0 '/run/scx-slo/slos/pods.yaml' "$bin" --help
expect bad-option 2 'unrecognized option' "$bin" --no-such-option
expect stray-argument 2 "unexpected argument 'foo'" "$bin" "${ok_args[@]}" foo
expect no-node 2 '--node not given and NODE_NAME not set' "$bin" --api-server https://127.0.0.1:1
expect bad-node 2 "--node 'Node_A': not a node name" "$bin" "${ok_args[@]}" --node Node_A
expect node-injection 2 "not a node name" "$bin" "${ok_args[@]}" --node 'a&watch=0'
expect no-api-server 2 'KUBERNETES_SERVICE_HOST/PORT not set' "$bin" --node node-a --output "$work/out/pods.yaml"
expect http-api-server 2 "must be an https:// URL" "$bin" "${ok_args[@]}" --api-server http://127.0.0.1:1
expect no-token 2 "token file $work/none: No such file" "$bin" "${ok_args[@]}" --token-file "$work/none"
: > "$work/empty"
expect empty-token 2 "token file $work/empty is empty" "$bin" "${ok_args[@]}" --token-file "$work/empty"
printf 'abc\r\nInjected: 1\n' > "$work/crlf"
expect token-with-crlf 2 'is not a token character' "$bin" "${ok_args[@]}" --token-file "$work/crlf"
expect no-ca 2 "CA file $work/none: No such file" "$bin" "${ok_args[@]}" --ca-file "$work/none"
expect no-cgroup-root 2 "--cgroup-root $work/none: not a directory" "$bin" "${ok_args[@]}" --cgroup-root "$work/none"
expect relative-output 2 "--output 'pods.yaml': must be an absolute file path" "$bin" "${ok_args[@]}" --output pods.yaml
expect no-output-dir 2 "--output $work/none/pods.yaml: no directory $work/none" "$bin" "${ok_args[@]}" --output "$work/none/pods.yaml"
expect help-namespace-defaults 0 '--namespace-defaults' "$bin" --help
expect namespace-defaults-no-value 2 "doesn't allow an argument" "$bin" "${ok_args[@]}" --namespace-defaults=yes
# accepted: parsing goes on to the next refusal
expect namespace-defaults-accepted 2 "--cgroup-root $work/none: not a directory" "$bin" "${ok_args[@]}" \
	--namespace-defaults --cgroup-root "$work/none"
expect bad-metrics 2 '--metrics' "$bin" "${ok_args[@]}" --metrics localhost:http
[ -z "$(ls -A "$work/out")" ] || { echo "FAIL: a refused start wrote into $work/out"; failed=$((failed + 1)); }

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
