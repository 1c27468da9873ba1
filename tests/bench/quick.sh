#!/usr/bin/env bash
# bench.quick: bench/run.sh --quick --peers --hackbench, once, so the
# benchmark keeps working (issue 7) with the kernel's own schedulers beside
# scx_slo and the messaging run (issue 14).  It asserts only that the script succeeded and that its output is
# well formed: results.json with every expected run and no missing one, each
# peer attached as itself, a hackbench time for every scheduler's run, a
# summary and a PNG plot.  Nothing about
# performance.
#
#   tests/bench/quick.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: quick.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

fail() { echo "bench.quick: FAIL: $*" >&2; exit 1; }

# --vm: the host kernel may have sched_ext or not; the test VM always does
"$root/bench/run.sh" --vm --quick --peers --hackbench-args "-g 1 -l 10" --build "$build" --out "$out" ||
	fail "bench/run.sh --vm --quick --peers --hackbench-args '-g 1 -l 10' exited with $?"

r=$out/results.json
[ -s "$r" ] || fail "no results.json"
jq -e . "$r" > /dev/null || fail "results.json is not JSON"
jq -e '.schema == 1 and .settings.quick == true' "$r" > /dev/null ||
	fail "results.json: wrong schema or settings"
jq -e '(.missing | length) == 0' "$r" > /dev/null ||
	fail "runs missing: $(jq -c .missing "$r")"
jq -e '[.presets[].preset] | sort == ["2s1c", "2s2l2c"]' "$r" > /dev/null ||
	fail "presets: $(jq -c '[.presets[].preset]' "$r")"
# every preset: each expected run is there and its harness exited 0
jq -e 'all(.presets[]; (.runs | length) == .expected_runs and .harness_exit == 0)' "$r" > /dev/null ||
	fail "a preset has missing runs or a failed harness: $(jq -c '[.presets[] | {preset, expected_runs, got: (.runs | length), harness_exit}]' "$r")"
# a peer's result is its own: sched_ext named it simple or flatcg
jq -e 'all(.presets[]; [.runs[] | select(.sched | IN("scx_simple", "scx_flatcg")) | "\(.sched)=\(.ops)"] | sort ==
	["scx_flatcg=flatcg", "scx_simple=simple"])' "$r" > /dev/null ||
	fail "peers: $(jq -c '[.presets[] | {preset, peers: [.runs[] | select(.sched | IN("scx_simple", "scx_flatcg")) | {sched, ops}]}]' "$r")"
# hackbench ran after every scheduler's run, not after the floors'
jq -e 'all(.presets[].runs[]; if .kind == "floor" then .messaging == null else (.messaging.seconds | type == "number" and . > 0) end)' "$r" > /dev/null ||
	fail "hackbench times: $(jq -c '[.presets[].runs[] | {preset, sched, messaging}]' "$r")"
grep -q '^## Ratios' "$out/summary.md" || fail "summary.md has no ratio table"
grep -q '^Messaging: hackbench' "$out/summary.md" || fail "summary.md has no messaging table"
grep -q '^| scx_flatcg |' "$out/summary.md" || fail "summary.md has no scx_flatcg row"
[ "$(head -c 4 "$out/latency.png" | od -An -tx1 | tr -d ' ')" = 89504e47 ] ||
	fail "latency.png is not a PNG"
echo "bench.quick: ok: $(jq '[.presets[].runs | length] | add' "$r") runs in $(jq .wall_s "$r") s, results.json, summary.md and latency.png well formed"
