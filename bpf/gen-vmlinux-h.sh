#!/usr/bin/env bash
# Write vmlinux.h (all kernel types, from BTF) to $2 using bpftool $1.
#
# Source of the BTF, in order: $SCX_SLO_BTF if set (a vmlinux ELF or raw BTF);
# the running kernel when it has sched_ext; else the newest sched_ext test
# kernel that tests/setup.sh cached, whose compressed vmlinuz we unpack.
set -euo pipefail
export LC_ALL=C
BPFTOOL=$1 OUT=$2
CACHE=${SCX_SLO_CACHE:-/var/cache/scx_slo}

btf=${SCX_SLO_BTF:-}
if [ -z "$btf" ] && [ -d /sys/kernel/sched_ext ] && [ -r /sys/kernel/btf/vmlinux ]; then
	btf=/sys/kernel/btf/vmlinux
fi
if [ -z "$btf" ]; then
	kdir=$(ls -d "$CACHE"/kernels/*/ 2>/dev/null | sort -V | tail -n1)
	[ -n "$kdir" ] || {
		echo "gen-vmlinux-h: the running kernel has no sched_ext and no test kernel is cached in $CACHE/kernels; run tests/setup.sh" >&2
		exit 1
	}
	btf=$kdir/vmlinux
	if [ ! -s "$btf" ]; then
		# Debian's vmlinuz is a zstd payload behind a decompressor stub: find
		# each zstd frame magic and keep the first one that unpacks to an ELF.
		tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
		for off in $(grep -aobUP '\x28\xb5\x2f\xfd' "$kdir/vmlinuz" | cut -d: -f1); do
			tail -c +$((off + 1)) "$kdir/vmlinuz" | zstd -dcq 2>/dev/null > "$tmp" || true
			if [ "$(head -c4 "$tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
				mv "$tmp" "$btf"; break
			fi
		done
		[ -s "$btf" ] || { echo "gen-vmlinux-h: no ELF found in $kdir/vmlinuz" >&2; exit 1; }
	fi
fi
"$BPFTOOL" btf dump file "$btf" format c > "$OUT.tmp"
grep -q 'struct sched_ext_ops {' "$OUT.tmp" || {
	echo "gen-vmlinux-h: BTF from $btf has no struct sched_ext_ops (kernel without sched_ext?)" >&2
	rm -f "$OUT.tmp"; exit 1
}
mv "$OUT.tmp" "$OUT"
