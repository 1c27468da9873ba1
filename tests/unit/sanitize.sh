#!/usr/bin/env bash
# The unit tests under AddressSanitizer and UndefinedBehaviorSanitizer (ctest
# label "sanitize"): a second build tree, configured with SCX_SLO_SANITIZE,
# in which only the unit tests are built and run.  Any report fails them:
# ASan and LSan exit non-zero, UBSan aborts (-fno-sanitize-recover=all).
#   sanitize.sh SOURCE_DIR BUILD_DIR [CMAKE CTEST GENERATOR CC]
set -euo pipefail
src=$1 dir=$2
cmake=${3:-cmake} ctest=${4:-ctest} gen=${5:-} cc=${6:-}

args=(-S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DSCX_SLO_SANITIZE=ON)
# a tree configured before keeps its generator and compiler
if [ ! -f "$dir/CMakeCache.txt" ]; then
	[ -z "$gen" ] || args+=(-G "$gen")
	[ -z "$cc" ] || args+=(-DCMAKE_C_COMPILER="$cc")
fi
"$cmake" "${args[@]}" > "$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
"$cmake" --build "$dir" --target unit_tests -j"$(nproc)"
"$ctest" --test-dir "$dir" -L unit --output-on-failure
