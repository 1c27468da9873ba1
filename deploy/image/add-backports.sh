#!/bin/sh
# Add bookworm-backports on the mirror this image's apt sources already use
# (deb822 /etc/apt/sources.list.d/debian.sources as in Debian's official
# images, or a one-line /etc/apt/sources.list as debootstrap writes), as
# tests/setup.sh does on the host.  clang-19 is in bookworm; libbpf 1.4 and
# bpftool 7.x come from backports.  Idempotent.
set -eu
grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/ && exit 0
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb /{for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
cat > /etc/apt/sources.list.d/bookworm-backports.sources <<SRC
Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
echo "add-backports: bookworm-backports on $mirror"
