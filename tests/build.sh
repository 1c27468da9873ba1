#!/usr/bin/env bash
# Install dependencies (tests/setup.sh) and build into BUILD_DIR.
#
#   tests/build.sh [BUILD_DIR]      (default ./build)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${1:-build}
bash tests/setup.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$(nproc)"
