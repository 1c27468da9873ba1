#!/usr/bin/env bash
# check-kfuncs.sh BPFTOOL OBJECT LIST [KERNEL_DIR...]
#
# Which declaration of each kfunc call path resolves on each kernel.  Reads
# the kfuncs OBJECT imports (extern FUNCs in its BTF) and LIST
# (bpf/kfuncs.txt), and every KERNEL_DIR's raw BTF ("btf", cached by
# tests/setup.sh and tests/kernel-lts.sh; default: every cached kernel).
# Prints one table and fails when the object imports a kfunc LIST does not
# name, or a path without a fallback resolves on none of its declarations
# on some kernel.  libbpf resolves a declaration by its name up to the
# last "___", and so does this check.
set -euo pipefail
export LC_ALL=C
BPFTOOL=$1 OBJ=$2 LIST=$3
shift 3
CACHE=${SCX_SLO_CACHE:-/var/cache/scx_slo}
if [ $# -eq 0 ]; then
	for k in "$CACHE"/kernels/*/; do [ -f "$k/btf" ] && set -- "$@" "${k%/}"; done
fi
die() { echo "check-kfuncs: $*" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

"$BPFTOOL" btf dump file "$OBJ" | sed -nE "s/^\[[0-9]+\] FUNC '([^']+)' .*linkage=extern.*/\1/p" |
	sort -u > "$work/imported"
[ -s "$work/imported" ] || die "$OBJ imports no kfunc: not a BPF object with BTF?"

# path<TAB>decl decl ...<TAB>fallback
awk '!/^#/ && NF { path = $1; decls = ""; fb = ""
	for (i = 2; i <= NF; i++) {
		if ($i == "fallback:") { for (j = i + 1; j <= NF; j++) fb = fb (fb ? " " : "") $j; break }
		decls = decls (decls ? " " : "") $i
	}
	print path "\t" decls "\t" fb }' "$LIST" > "$work/paths"
tr ' ' '\n' < <(cut -f2 "$work/paths") | sort -u > "$work/listed"
unlisted=$(comm -23 "$work/imported" "$work/listed" | tr '\n' ' ')
[ -z "$unlisted" ] || die "imported by $OBJ but not in $LIST: $unlisted"
stale=$(comm -13 "$work/imported" "$work/listed" | tr '\n' ' ')
[ -z "$stale" ] || die "in $LIST but not imported by $OBJ (drop them): $stale"

[ $# -gt 0 ] || { echo "check-kfuncs: no cached kernel BTF to check against (run tests/setup.sh)"; exit 0; }

status=0
header="path"
for k in "$@"; do
	name=$(basename "$k"); short=${name%%[+-]*}
	header="$header	$short"
	"$BPFTOOL" btf dump file "$k/btf" | sed -nE "s/^\[[0-9]+\] FUNC '([^']+)' .*/\1/p" |
		sort -u > "$work/k.$short" || die "cannot read the BTF of $k"
	[ -s "$work/k.$short" ] || die "no FUNC in the BTF of $k"
done
{
	echo "$header"
	while IFS=$'\t' read -r path decls fallback; do
		line=$path
		for k in "$@"; do
			name=$(basename "$k"); short=${name%%[+-]*}
			got=
			for d in $decls; do
				kname=$d
				case $d in *___*) kname=${d%___*} ;; esac
				if grep -qxF "$kname" "$work/k.$short"; then got=$kname; break; fi
			done
			if [ -z "$got" ]; then
				if [ -n "$fallback" ]; then
					got="($fallback)"
				else
					got="MISSING"
					echo "check-kfuncs: $path resolves on none of [$decls] on $name" >&2
					status=1
				fi
			fi
			line="$line	$got"
		done
		echo "$line"
	done < "$work/paths"
} | column -t -s $'\t'
exit $status
