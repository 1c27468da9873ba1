#!/usr/bin/env bash
# bench.shed-quick: bench/shed.sh --quick once (issue 17), so the shedding
# benchmark keeps working: nginx, bench/cpu_service and bench/openloop in
# the VM under scx_slo.  It asserts only that the script succeeded and that
# every arm produced its result (every step with requests in it), with a
# summary and a PNG plot.  Nothing about performance.  The scheduler and
# haproxy arms are among them when the loader serves /v1/admission
# (bench/shed.sh decides).
#
#   tests/bench/shed-quick.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: shed-quick.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

fail() { echo "bench.shed-quick: FAIL: $*" >&2; exit 1; }

"$root/bench/shed.sh" --quick --build "$build" --out "$out" ||
	fail "bench/shed.sh --quick exited with $?"

r=$out/results.json
jq -e '.schema == 1 and .quick == true and .harness_exit == 0' "$r" > /dev/null ||
	fail "results.json: wrong schema or a failed harness: $(jq -c '{schema, quick, harness_exit}' "$r")"
want=$(jq -c '.arms_asked | sort' "$r")
got=$(jq -c '[.summary.arms[].arm] | sort' "$r")
[ "$want" = "$got" ] || fail "arms asked $want, with a result $got"
jq -e '.summary.capacity_rps > 0' "$r" > /dev/null || fail "no capacity measured"
# 8 steps per arm, with requests scheduled and answered (not in every
# 1 s step: at a slow host's capacity of a few a second, a Poisson step
# can be empty)
jq -e 'all(.summary.arms[]; (.steps | length) == 8 and ([.steps[].scheduled] | add) > 0 and ([.steps[] | .ok + .shed] | add) > 0)' "$r" > /dev/null ||
	fail "an arm without 8 steps, requests or answers: $(jq -c '[.summary.arms[] | {arm, steps: [.steps[] | {scheduled, ok, shed}]}]' "$r")"
grep -q '^| none | 0.5x |' "$out/summary.md" || fail "summary.md has no step table"
[ "$(head -c 4 "$out/shed.png" | od -An -tx1 | tr -d ' ')" = 89504e47 ] || fail "shed.png is not a PNG"
echo "bench.shed-quick: ok: arms $(jq -r '[.summary.arms[].arm] | join(", ")' "$r"), capacity $(jq '.summary.capacity_rps' "$r")/s, $(jq .wall_s "$r") s"
