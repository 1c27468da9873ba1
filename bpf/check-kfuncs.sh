#!/usr/bin/env bash
# check-kfuncs.sh BPFTOOL OBJECT LIST [KERNEL_DIR...]
#
# Which declaration of each kfunc call path resolves on each kernel.  Reads
# the kfuncs OBJECT imports (extern FUNCs in its BTF) and LIST
# (bpf/kfuncs.txt), and every KERNEL_DIR's BTF ("btf", raw, cached by
# tests/setup.sh, or the "vmlinux" ELF tests/kernel-lts.sh keeps; default:
# every cached kernel).
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
	for k in "$CACHE"/kernels/*/; do { [ -f "$k/btf" ] || [ -f "$k/vmlinux" ]; } && set -- "$@" "${k%/}"; done
fi
die() { echo "check-kfuncs: $*" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# func_args BTF: "name nr_params" for every FUNC in BTF (raw or ELF)
func_args() {
	"$BPFTOOL" btf dump file "$1" | awk '
		/^\[[0-9]+\] FUNC_PROTO / { id = substr($1, 2, length($1) - 2)
			for (i = 1; i <= NF; i++) if ($i ~ /^vlen=/) vlen[id] = substr($i, 6) }
		/^\[[0-9]+\] FUNC / { name = $3; gsub(/\047/, "", name)
			for (i = 1; i <= NF; i++) if ($i ~ /^type_id=/) type[name] = substr($i, 9)
			if ($0 ~ /linkage=extern/) ext[name] = 1 }
		END { for (n in type) print n, vlen[type[n]] + 0, (n in ext) ? "extern" : "-" }' | sort
}
func_args "$OBJ" > "$work/obj"
awk '$3 == "extern" { print $1 }' "$work/obj" > "$work/imported"
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
	btf=$k/btf; [ -f "$btf" ] || btf=$k/vmlinux
	func_args "$btf" > "$work/k.$short" || die "cannot read the BTF of $k"
	[ -s "$work/k.$short" ] || die "no FUNC in the BTF of $k"
done
{
	echo "$header"
	while IFS=$'\t' read -r path decls fallback; do
		line=$path
		for k in "$@"; do
			name=$(basename "$k"); short=${name%%[+-]*}
			got=
			# the loader refuses a kernel whose BTF gives kfuncs a
			# hidden aux argument (scx_slo.c, check_kernel())
			if grep -q '^scx_bpf_create_dsq 3 ' "$work/k.$short"; then
				line="$line	(refused:aux-BTF)"; continue
			fi
			for d in $decls; do
				kname=$d
				case $d in *___*) kname=${d%___*} ;; esac
				want=$(awk -v n="$d" '$1 == n { print $2 }' "$work/obj")
				have=$(awk -v n="$kname" '$1 == n { print $2 }' "$work/k.$short")
				[ -n "$have" ] || continue
				if [ "$have" = "$want" ]; then got=$kname; break; fi
				got="$kname:$have-args!"
			done
			case $got in *-args!)
				[ -n "$fallback" ] && got="($fallback)" || {
					echo "check-kfuncs: $path: $got on $name (we pass a different number)" >&2
					status=1; }
				line="$line	$got"; continue ;;
			esac
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
