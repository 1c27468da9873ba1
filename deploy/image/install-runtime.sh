#!/bin/sh
# install-runtime.sh LIST: install the "package=version" lines of LIST (from
# runtime-packages.sh in the build stage) into this runtime image, without
# recommends, then drop apt's caches.  A package the base image already has is
# left as it is (never downgraded).  bookworm-backports must be configured for
# libbpf1.
set -eu
list=$1
want=""
while IFS= read -r line; do
	[ -n "$line" ] || continue
	pkg=${line%%=*}
	if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		echo "install-runtime: $pkg already in the base image"
	else
		want="$want $line"
	fi
done < "$list"
apt-get update -q -o Acquire::Languages=none
# shellcheck disable=SC2086  # one word per package
[ -z "$want" ] || apt-get install -y -q --no-install-recommends $want
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old
