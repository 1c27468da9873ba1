#!/usr/bin/env bash
# Install everything a fresh Debian bookworm machine needs to build and test
# scx_slo, and fetch the sched_ext test kernels.  Idempotent: a second run
# only refreshes what changed.
#
# The system's apt sources are only ever extended by bookworm-backports (on the
# mirror the system already uses).  Test kernels come from trixie-backports and
# sid through a private apt configuration under $SCX_SLO_CACHE, which never
# touches /etc/apt.
set -euo pipefail

CACHE=${SCX_SLO_CACHE:-/var/cache/scx_slo}
STAMP=$CACHE/.setup-done
export DEBIAN_FRONTEND=noninteractive

die() { echo "setup: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (installs packages)"

SRC=/etc/apt/sources.list.d/debian.sources
MIRROR=$(awk '/^URIs:/{print $2; exit}' "$SRC" 2>/dev/null || true)
[ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$MIRROR" ] || die "cannot find the Debian mirror in $SRC or /etc/apt/sources.list"

BOOKWORM_PKGS=(build-essential cmake pkg-config git clang-19 llvm-19 libelf-dev
	zlib1g-dev libhwloc-dev hwloc libnuma-dev libcmocka-dev stress-ng zstd
	cpio busybox-static rt-tests util-linux procps jq xz-utils wrk libyaml-dev libclang-rt-19-dev
	gnuplot-nox libmicrohttpd-dev prometheus)
BACKPORT_PKGS=(libbpf-dev bpftool qemu-system-x86)

have_all() {
	local missing
	missing=$(dpkg-query -W -f='${Status}\n' "$@" 2>&1 | awk '!/install ok installed/' | wc -l)
	[ "$missing" -eq 0 ]
}

# --- 1. system packages ------------------------------------------------------
BP=/etc/apt/sources.list.d/bookworm-backports.sources
if [ ! -f "$BP" ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	cat > "$BP" <<SRCS
Types: deb
URIs: $MIRROR
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRCS
	NEED_UPDATE=1
fi

if ! have_all "${BOOKWORM_PKGS[@]}" "${BACKPORT_PKGS[@]}"; then
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${BOOKWORM_PKGS[@]}"
	apt-get install -y -q --no-install-recommends -t bookworm-backports "${BACKPORT_PKGS[@]}"
elif [ -n "${NEED_UPDATE:-}" ]; then
	apt-get update -q
fi

# --- 2. sched_ext test kernels --------------------------------------------------
# Debian's trixie-backports "cloud" kernel and sid's have CONFIG_SCHED_CLASS_EXT;
# bookworm's and trixie's 6.12 do not.  Versions are discovered from the
# archive, not hard-coded: we follow the linux-image-cloud-amd64 metapackage
# down to the package that carries the vmlinuz.
mkdir -p "$CACHE/kernels"
fetch_kernels() { # $1 = suite
	local suite=$1 A=$CACHE/apt-$1
	# An empty dpkg status and sources.list.d of our own: nothing from the
	# system's apt state leaks in (and /dev/null is not always a device).
	mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/sources.list.d"
	: > "$A/status"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $suite main" > "$A/sources.list"
	local O=(-o "Dir::Etc::SourceList=$A/sources.list" -o "Dir::Etc::SourceParts=$A/sources.list.d"
		-o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache"
		-o "Dir::State::status=$A/status" -o Debug::NoLocking=1 -o APT::Get::List-Cleanup=0
		-o APT::Sandbox::User=root)
	apt-get "${O[@]}" update -q >/dev/null || { echo "setup: apt update for $suite failed" >&2; return 1; }

	# Walk the metapackage's Depends until a package ships a vmlinuz.
	local pkg=linux-image-cloud-amd64 depth
	for depth in 1 2 3 4; do
		local ver dir deb
		ver=$(apt-cache "${O[@]}" show "$pkg" 2>/dev/null | awk '/^Version:/{print $2; exit}')
		[ -n "$ver" ] || { echo "setup: $suite has no $pkg" >&2; return 1; }
		dir=$CACHE/debs; mkdir -p "$dir"
		deb=$(ls "$dir/${pkg}_"*.deb 2>/dev/null | grep -F "_${ver//:/%3a}_" | head -n1 || true)
		if [ -z "$deb" ]; then
			(cd "$dir" && apt-get "${O[@]}" download -q "$pkg=$ver" >/dev/null) ||
				{ echo "setup: download of $pkg=$ver from $suite failed" >&2; return 1; }
			deb=$(ls -t "$dir/${pkg}_"*.deb | head -n1)
		fi
		local listing
		listing=$(dpkg-deb -c "$deb")
		if grep -qE '/vmlinuz(-[^/]*)?$' <<<"$listing"; then
			local tmp kver
			tmp=$(mktemp -d)
			dpkg-deb -x "$deb" "$tmp"
			local vmlinuz config
			vmlinuz=$(find "$tmp" -name 'vmlinuz*' -type f | head -n1)
			config=$(find "$tmp" \( -name 'config' -o -name 'config-*' \) -type f | head -n1)
			kver=$(basename "$(dirname "$vmlinuz")")
			[ "$kver" = boot ] && kver=${vmlinuz##*/vmlinuz-}
			# Newer Debian kernels keep the config in linux-base-<kver>.
			if [ -z "$config" ]; then
				(cd "$dir" && ls "linux-base-${kver}_"*.deb >/dev/null 2>&1 ||
					apt-get "${O[@]}" download -q "linux-base-$kver" >/dev/null) || true
				local base
				base=$(ls -t "$dir/linux-base-${kver}_"*.deb 2>/dev/null | head -n1 || true)
				[ -n "$base" ] && dpkg-deb -x "$base" "$tmp"
				config=$(find "$tmp" \( -name 'config' -o -name 'config-*' \) -type f | head -n1)
			fi
			if [ -n "$config" ] && ! grep -q '^CONFIG_SCHED_CLASS_EXT=y' "$config"; then
				echo "setup: $suite kernel $kver lacks CONFIG_SCHED_CLASS_EXT, skipped" >&2
				rm -rf "$tmp"; return 1
			fi
			local out=$CACHE/kernels/$kver
			mkdir -p "$out"
			cp "$vmlinuz" "$out/vmlinuz"
			[ -n "$config" ] && cp "$config" "$out/config"
			echo "$suite" > "$out/suite"
			# the VM's network driver (a module), for tests that scrape the
			# guest from the host: from linux-modules-<kver>
			rm -rf "$out/modules"; mkdir -p "$out/modules"
			(cd "$dir" && ls "linux-modules-${kver}_"*.deb >/dev/null 2>&1 ||
				apt-get "${O[@]}" download -q "linux-modules-$kver" >/dev/null) ||
				{ echo "setup: download of linux-modules-$kver failed" >&2; rm -rf "$tmp"; return 1; }
			local mods ko
			mods=$(ls -t "$dir/linux-modules-${kver}_"*.deb | head -n1)
			mkdir -p "$tmp/mods"
			dpkg-deb --fsys-tarfile "$mods" | tar -x -C "$tmp/mods" --wildcards \
				'*/virtio_net.ko*' '*/net_failover.ko*' '*/failover.ko*'
			for ko in $(find "$tmp/mods" -name '*.ko*'); do
				case $ko in
				*.xz) xz -dc "$ko" > "$out/modules/$(basename "${ko%.xz}")" ;;
				*.zst) zstd -qdc "$ko" > "$out/modules/$(basename "${ko%.zst}")" ;;
				*) cp "$ko" "$out/modules/" ;;
				esac
			done
			rm -rf "$tmp"
			echo "setup: kernel $kver from $suite in $out"
			return 0
		fi
		# Next hop: the first linux-image/linux-binary dependency.
		pkg=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' |
			grep -E '^linux-(image|binary)-[0-9]' | head -n1)
		[ -n "$pkg" ] || { echo "setup: cannot follow $deb to a kernel image" >&2; return 1; }
	done
	return 1
}

n=0
for suite in ${SCX_SLO_KERNEL_SUITES:-trixie-backports sid}; do
	fetch_kernels "$suite" && n=$((n + 1)) || true
done
[ "$n" -gt 0 ] || die "no sched_ext test kernel could be fetched"
ls "$CACHE/kernels" > "$STAMP"
