#!/usr/bin/env bash
# kernel-btf-defect.sh BPFTOOL KERNEL_DIR: prints "aux" when the kernel's
# BTF gives sched_ext kfuncs a hidden 'aux' parameter (scx_bpf_create_dsq
# with 3), the defect of some 7.1/7.2 builds that scx_slo refuses with one
# line; prints nothing otherwise.  Used by CMake to pick the VM tests a
# kernel gets.
set -euo pipefail
export LC_ALL=C
k=$2 btf=$2/btf
[ -f "$btf" ] || btf=$k/vmlinux
[ -f "$btf" ] || exit 0
"$1" btf dump file "$btf" | awk '
	/^\[[0-9]+\] FUNC_PROTO / { id = substr($1, 2, length($1) - 2)
		for (i = 1; i <= NF; i++) if ($i ~ /^vlen=/) vlen[id] = substr($i, 6) }
	/^\[[0-9]+\] FUNC \047scx_bpf_create_dsq\047 / {
		for (i = 1; i <= NF; i++) if ($i ~ /^type_id=/) t = substr($i, 9) }
	END { if (t != "" && vlen[t] + 0 > 2) print "aux" }'
