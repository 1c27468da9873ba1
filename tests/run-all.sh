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
# -j2: the host-side tests run two at a time, and beside bench.quick's
# VM, which asserts nothing about speed; every other VM test is RUN_SERIAL
# (one VM at a time, alone on the host, so its timing is its own)
ctest --test-dir build --output-on-failure --timeout 900 -j2 -LE 'compat-extra|open-issue' || status=$?
echo "run-all: $(( $(date +%s) - start )) s wall time, kernels: $(ls "${SCX_SLO_CACHE:-/var/cache/scx_slo}/kernels" | tr '\n' ' ')"
exit $status
