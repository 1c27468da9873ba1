#!/usr/bin/env bash
# mkinitramfs.sh OUT PROGRAM...: the base initramfs for the test VM.
#
# An uncompressed newc cpio (TCG is slow to decompress) holding busybox, the
# guest init, and each PROGRAM with the shared libraries ldd finds for it.
# run-vm.sh appends a small per-test archive to it.
set -euo pipefail
out=$1; shift
here=$(cd "$(dirname "$0")" && pwd)

busybox=$(command -v busybox || true)
[ -n "$busybox" ] && file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	busybox=/bin/busybox
[ -x "$busybox" ] || { echo "mkinitramfs: busybox-static is not installed" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,proc,sys,dev,tmp,run,boot,root,etc}
cp "$busybox" "$root/bin/busybox"
install -m 0755 "$here/init" "$root/init"
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/false' >> "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"

copy_with_libs() {
	local prog=$1 path lib
	path=$(command -v "$prog" || true)
	[ -n "$path" ] || { echo "mkinitramfs: $prog not found" >&2; exit 1; }
	path=$(readlink -f "$path")
	install -D -m 0755 "$path" "$root/usr/bin/$(basename "$prog")"
	# "libfoo.so => /path (addr)" and "/lib64/ld-linux... (addr)"
	for lib in $(ldd "$path" 2>/dev/null | awk '/=> \//{print $3} /^[ \t]*\//{print $1}'); do
		[ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
	done
}
for prog in "$@"; do
	# an optional program that is not built comes as an empty argument
	[ -z "$prog" ] || copy_with_libs "$prog"
done

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
