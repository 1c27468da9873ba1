#!/usr/bin/env bash
# Install everything a fresh Debian bookworm machine needs to build and test
# scx_slo, fetch the sched_ext test kernels, and build the kernel's own
# sched_ext schedulers the benchmark compares against.  Idempotent: a second
# run only refreshes what changed.
#
# The system's apt sources are only ever extended by bookworm-backports (on the
# mirror the system already uses).  Test kernels come from trixie-backports and
# sid through a private apt configuration under $SCX_SLO_CACHE, which never
# touches /etc/apt.
set -euo pipefail
export LC_ALL=C

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
	gnuplot-nox libmicrohttpd-dev prometheus python3 python3-yaml libcap2-bin
	libcurl4-openssl-dev nginx)
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
# Debian's trixie-backports "cloud" kernels and sid's have CONFIG_SCHED_CLASS_EXT;
# bookworm's and trixie's 6.12 do not (tests/kernel-lts.sh builds that one).
# Versions are discovered from the archive, not hard-coded: the newest kernel
# of every series trixie-backports still serves from 6.16 on (the compat
# layer differs between them), and the one each suite's
# linux-image-cloud-amd64 metapackage points at.  Only the metapackages'
# kernels get the virtio-net modules, which the network tests need.
mkdir -p "$CACHE/kernels"
FIRST_SERIES=6.16

apt_opts() { # $1 = suite: a private apt configuration under $CACHE
	local A=$CACHE/apt-$1
	APT_O=(-o "Dir::Etc::SourceList=$A/sources.list" -o "Dir::Etc::SourceParts=$A/sources.list.d"
		-o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache"
		-o "Dir::State::status=$A/status" -o Debug::NoLocking=1 -o APT::Get::List-Cleanup=0
		-o APT::Sandbox::User=root)
}

apt_update() { # $1 = suite
	local suite=$1 A=$CACHE/apt-$1
	# An empty dpkg status and sources.list.d of our own: nothing from the
	# system's apt state leaks in (and /dev/null is not always a device).
	mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/sources.list.d"
	: > "$A/status"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $suite main" > "$A/sources.list"
	apt_opts "$suite"
	apt-get "${APT_O[@]}" update -q >/dev/null || { echo "setup: apt update for $suite failed" >&2; return 1; }
}

# fetch_kernel SUITE PACKAGE MODULES: follow PACKAGE's Depends down to the
# package that ships a vmlinuz and cache it as $CACHE/kernels/<kver>; with
# MODULES=1 also the virtio-net modules.  Prints the kver on stdout.
fetch_kernel() {
	local suite=$1 pkg=$2 want_modules=$3 depth
	apt_opts "$suite"
	local O=("${APT_O[@]}")
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
			local out=$CACHE/kernels/$kver
			if [ -f "$out/vmlinuz" ] && [ -f "$out/btf" ] &&
			   { [ "$want_modules" = 0 ] || [ -f "$out/modules/virtio_net.ko" ]; }; then
				rm -rf "$tmp"; echo "$kver"; return 0
			fi
			# Newer Debian kernels keep the config in linux-base-<kver>,
			# which the index may no longer list: not required.
			if [ -z "$config" ]; then
				(cd "$dir" && ls "linux-base-${kver}_"*.deb >/dev/null 2>&1 ||
					apt-get "${O[@]}" download -q "linux-base-$kver" >/dev/null 2>&1) || true
				local base
				base=$(ls -t "$dir/linux-base-${kver}_"*.deb 2>/dev/null | head -n1 || true)
				[ -n "$base" ] && dpkg-deb -x "$base" "$tmp"
				config=$(find "$tmp" \( -name 'config' -o -name 'config-*' \) -type f | head -n1)
			fi
			if [ -n "$config" ] && ! grep -q '^CONFIG_SCHED_CLASS_EXT=y' "$config"; then
				echo "setup: $suite kernel $kver lacks CONFIG_SCHED_CLASS_EXT, skipped" >&2
				rm -rf "$tmp"; return 1
			fi
			mkdir -p "$out"
			cp "$vmlinuz" "$out/vmlinuz"
			[ -n "$config" ] && cp "$config" "$out/config"
			echo "$suite" > "$out/suite"
			# the kernel's BTF, raw: what bpf/check-kfuncs.sh resolves against
			extract_btf "$out/vmlinuz" "$out/btf" ||
				{ echo "setup: no BTF in $kver's vmlinuz" >&2; rm -rf "$tmp" "$out"; return 1; }
			rm -rf "$out/modules"; mkdir -p "$out/modules"
			if [ "$want_modules" = 1 ]; then
				# the VM's network driver (a module), for tests that
				# scrape the guest from the host: from linux-modules-<kver>
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
			fi
			rm -rf "$tmp"
			echo "setup: kernel $kver from $suite in $out" >&2
			echo "$kver"
			return 0
		fi
		# Next hop: the first linux-image/linux-binary dependency.
		pkg=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' |
			grep -E '^linux-(image|binary)-[0-9]' | head -n1)
		[ -n "$pkg" ] || { echo "setup: cannot follow $deb to a kernel image" >&2; return 1; }
	done
	return 1
}

# extract_btf VMLINUZ OUT: Debian's vmlinuz is a zstd payload behind a
# decompressor stub; find each zstd frame magic, keep the first that
# unpacks to an ELF, and save its .BTF section.
extract_btf() {
	local vmlinuz=$1 out=$2 elf off
	elf=$(mktemp)
	for off in $(grep -aobUP '\x28\xb5\x2f\xfd' "$vmlinuz" | cut -d: -f1); do
		tail -c +$((off + 1)) "$vmlinuz" | zstd -dcq 2>/dev/null > "$elf" || true
		[ "$(head -c4 "$elf" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] && break
	done
	objcopy -O binary --only-section=.BTF "$elf" "$out" 2>/dev/null && [ -s "$out" ]
	local rc=$?
	rm -f "$elf"
	return $rc
}

# The newest kernel package of every series from $FIRST_SERIES on that SUITE lists.
series_packages() { # $1 = suite
	apt_opts "$1"
	apt-cache "${APT_O[@]}" pkgnames linux-image- |
		grep -E '^linux-image-[0-9]+\.[0-9]+\.[0-9]+\+[a-z0-9]+-cloud-amd64$' |
		sed -E 's/^linux-image-(([0-9]+\.[0-9]+)\.[0-9]+)\+.*/\2 \1 &/' |
		sort -V | awk -v first="$FIRST_SERIES" '
			function ge(a, b,  x, y) { split(a, x, "."); split(b, y, ".");
				return x[1] > y[1] || (x[1] == y[1] && x[2] >= y[2]) }
			ge($1, first) { newest[$1] = $3 }
			END { for (s in newest) print newest[s] }' | sort -V
}

fetched=() failed=0
for suite in ${SCX_SLO_KERNEL_SUITES:-trixie-backports sid}; do
	apt_update "$suite" || { failed=1; continue; }
	if kver=$(fetch_kernel "$suite" linux-image-cloud-amd64 1); then
		fetched+=("$kver")
	else
		failed=1
	fi
	[ "$suite" = trixie-backports ] || continue
	for pkg in $(series_packages "$suite"); do
		case " ${fetched[*]} " in *" ${pkg#linux-image-} "*) continue ;; esac
		if kver=$(fetch_kernel "$suite" "$pkg" 0); then fetched+=("$kver"); else failed=1; fi
	done
done
[ "${#fetched[@]}" -gt 0 ] || die "no sched_ext test kernel could be fetched"

# 6.12 LTS: built from Debian's linux-source-6.12 (bookworm), cached.
if [ -z "${SCX_SLO_NO_LTS_BUILD:-}" ]; then
	bash "$(dirname "$0")/kernel-lts.sh" || die "the 6.12 LTS test kernel could not be built"
fi

# A kernel superseded in its series (or gone from the archive) is dropped,
# but only after a run that fetched every kernel it wanted.
if [ "$failed" = 0 ]; then
	for kdir in "$CACHE"/kernels/*/; do
		kver=$(basename "$kdir")
		case $(cat "$kdir/suite" 2>/dev/null) in trixie-backports|sid) ;; *) continue ;; esac
		case " ${fetched[*]} " in *" $kver "*) ;; *)
			echo "setup: dropping $kver (no longer the newest of its series)"
			rm -rf "$kdir" ;;
		esac
	done
fi

# --- 3. the kernel's own sched_ext schedulers, for bench/run.sh --peers --------
# scx_simple and scx_flatcg, the schedulers the kernel ships as examples, are
# the benchmark's peers: scx_slo should beat what any sched_ext scheduler gets
# for free.  They come from tools/sched_ext of Debian's linux-source-<series>
# for the newest test kernel, from the suite that kernel came from, and run on
# that kernel only: $CACHE/peers/<kver>/.  Their Makefile builds libbpf and
# bpftool from the same tree, so the skeletons match their library (bookworm's
# bpftool 7.5 and libbpf 1.4 do not), and their BPF is compiled against that
# kernel's BTF.  Cached under a key of the source version, the BTF, the
# toolchain and this function: a rerun with the same key prints one line.
PEERS=(scx_simple scx_flatcg)
build_peers() {
	local kdir kver suite series ver btf key out work log t0 t1 s libs
	kdir=$(ls -d "$CACHE"/kernels/*/ 2>/dev/null | sort -V | tail -n1)
	kdir=${kdir%/} kver=${kdir##*/}
	suite=$(cat "$kdir/suite" 2>/dev/null || true)
	case $suite in trixie-backports|sid) ;;
	*) die "peers: the newest test kernel $kver comes from '$suite', which has no linux-source package to build scx_simple from" ;;
	esac
	series=$(grep -oE '^[0-9]+\.[0-9]+' <<<"$kver")
	btf=$kdir/btf
	[ -s "$btf" ] || die "peers: no BTF cached for $kver ($btf) to build scx_simple and scx_flatcg against"
	apt_opts "$suite"
	ver=$(apt-cache "${APT_O[@]}" policy "linux-source-$series" 2>/dev/null | awk '/Candidate:/{print $2}')
	case $ver in ''|'(none)') die "peers: $suite has no linux-source-$series for kernel $kver" ;; esac
	[ "${ver%%-*}" = "${kver%%[+-]*}" ] ||
		echo "setup: peers: $suite's linux-source-$series is $ver, the kernel is $kver: building from it (the BPF is compiled against $kver's BTF)" >&2
	key="source=linux-source-$series $ver kernel=$kver btf=$(sha256sum < "$btf" | cut -c1-16)"
	key+=" tools=$({ declare -f build_peers; gcc -dumpfullversion; clang-19 --version; make --version; } | sha256sum | cut -c1-16)"
	out=$CACHE/peers/$kver
	if [ "$(head -n1 "$out/build-info" 2>/dev/null)" = "$key" ] &&
	   [ -x "$out/scx_simple" ] && [ -x "$out/scx_flatcg" ]; then
		echo "setup: peers ${PEERS[*]} for $kver are cached in $out"
		return 0
	fi
	work=$CACHE/peers/.build log=$CACHE/peers/build.log t0=$SECONDS
	rm -rf "$work"
	mkdir -p "$work/src" "$work/o"
	(cd "$work" && apt-get "${APT_O[@]}" download -q "linux-source-$series=$ver" >/dev/null) ||
		die "peers: download of linux-source-$series=$ver from $suite failed"
	# only what tools/sched_ext builds from, not the whole tree
	dpkg-deb --fsys-tarfile "$work"/linux-source-"$series"_*.deb |
		tar -xO "./usr/src/linux-source-$series.tar.xz" | xz -T0 -dc |
		tar -x -C "$work/src" --strip-components=1 --wildcards "linux-source-$series/tools/*" \
			"linux-source-$series/kernel/bpf/*" "linux-source-$series/scripts/bpf_doc.py" ||
		die "peers: cannot unpack tools/ from linux-source-$series $ver"
	rm -f "$work"/*.deb
	t1=$SECONDS
	# llvm-19 first on PATH: bookworm's unversioned clang is 14, too old for
	# sched_ext's BPF, and llvm-strip may not exist at all.  SKIP_LLVM and
	# SKIP_LIBBFD: bpftool's disassemblers would link whatever libLLVM
	# llvm-config names on this machine; we only need its skeletons.
	if ! PATH=/usr/lib/llvm-19/bin:$PATH make -C "$work/src/tools/sched_ext" -j"$(nproc)" \
		O="$work/o" VMLINUX_BTF="$btf" SKIP_LLVM=1 SKIP_LIBBFD=1 "${PEERS[@]}" > "$log" 2>&1; then
		grep -E 'error|Error' "$log" | tail -n 5 >&2 || true
		die "peers: make ${PEERS[*]} in linux-source-$series $ver failed after $((SECONDS - t1)) s: see $log"
	fi
	t1=$((SECONDS - t1))
	rm -rf "$out.tmp"
	mkdir -p "$out.tmp"
	for s in "${PEERS[@]}"; do
		# the VM gets each binary with the libraries ldd names (bench/run.sh)
		libs=$(ldd "$work/o/build/bin/$s" 2>&1) || die "peers: ldd $s failed: $libs"
		! grep -q 'not found' <<<"$libs" ||
			die "peers: $s needs a library ldd cannot find: $(grep 'not found' <<<"$libs" | tr -s ' \t\n' ' ')"
		install -m 0755 "$work/o/build/bin/$s" "$out.tmp/$s"
	done
	printf '%s\nfrom=linux-source-%s %s (%s)\nbuilt=%s: make -j%d %d s, with download and unpacking %d s\n' \
		"$key" "$series" "$ver" "$suite" "$(date -u +%FT%TZ)" "$(nproc)" "$t1" $((SECONDS - t0)) > "$out.tmp/build-info"
	rm -rf "$out" "$work"
	mv "$out.tmp" "$out"
	for s in "$CACHE"/peers/*/; do
		[ "${s%/}" = "$out" ] || { echo "setup: dropping the peers built for $(basename "$s")"; rm -rf "$s"; }
	done
	echo "setup: peers ${PEERS[*]} for $kver built from linux-source-$series $ver in $((SECONDS - t0)) s (make $t1 s): $out"
}
# one build at a time: a concurrent setup waits, then finds them cached.
# SCX_SLO_NO_PEERS=1 skips them (bench/run.sh --peers then says so).
if [ -z "${SCX_SLO_NO_PEERS:-}" ]; then
	mkdir -p "$CACHE/peers"
	(
		flock -n 8 || { echo "setup: peers: another setup is building them: waiting" >&2; flock 8; }
		build_peers
	) 8> "$CACHE/peers/.lock" || exit 1
fi

ls "$CACHE/kernels" > "$STAMP"
