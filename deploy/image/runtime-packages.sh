#!/bin/sh
# runtime-packages.sh BINARY: print "package=version", one per line, for the
# Debian package of every shared library BINARY loads (ldd), at the version
# installed here (the one it was linked against).  libc6 is left out: every
# Debian base image has it.  Fails if a library belongs to no package.
set -eu
bin=$1
owner() { # path -> package, trying the merged-/usr aliases of the path
	for p in "$1" "$(realpath "$1")" "/usr${1#/usr}" "${1#/usr}"; do
		pkg=$(dpkg -S "$p" 2>/dev/null | head -n1 | cut -d: -f1)
		[ -n "$pkg" ] && { echo "$pkg"; return 0; }
	done
	return 1
}
libs=$(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u)
[ -n "$libs" ] || { echo "runtime-packages: ldd found no libraries in $bin" >&2; exit 1; }
out=""
for lib in $libs; do
	pkg=$(owner "$lib") || { echo "runtime-packages: no package owns $lib" >&2; exit 1; }
	[ "$pkg" = libc6 ] && continue
	out="$out$pkg=$(dpkg-query -W -f='${Version}' "$pkg")
"
done
printf '%s' "$out" | sort -u
