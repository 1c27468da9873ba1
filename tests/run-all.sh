#!/usr/bin/env bash
# Every test, from a fresh machine: install, build, then ctest (unit tests,
# and again under ASan and UBSan in a tree of their own, the CLI, fuzz,
# deployment and benchmark checks, and the VM tests on every cached
# sched_ext kernel).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
start=$(date +%s)
bash tests/build.sh
status=0
ctest --test-dir build --output-on-failure --timeout 900 -LE 'compat-extra|open-issue' || status=$?
echo "run-all: $(( $(date +%s) - start )) s wall time, kernels: $(ls "${SCX_SLO_CACHE:-/var/cache/scx_slo}/kernels" | tr '\n' ' ')"
exit $status
