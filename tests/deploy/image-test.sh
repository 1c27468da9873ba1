#!/usr/bin/env bash
# Image test (ctest label "deploy"): build the top-level Dockerfile with
# podman from a debootstrapped local Debian base (no registry is reachable),
# then run the image:
#   - `scx_slo --version` and `--show-topology [--json]` work in the container;
#   - every shared library resolves, and no build tool leaked into the image;
#   - on this host's kernel (no sched_ext), starting the scheduler with the
#     DaemonSet's capabilities and a read-only root exits 4 with the one
#     "no sched_ext" line.
# Prints the build time and the image size.
#
# Installs podman, buildah, debootstrap, runc, uidmap if missing.  The base
# rootfs is cached in $SCX_SLO_CACHE/debootstrap (SCX_SLO_REFRESH_BASE=1
# rebuilds it; SCX_SLO_IMAGE_NO_CACHE=1 builds without podman's layer cache,
# for a cold build time).  podman reads tests/deploy/containers.conf through
# CONTAINERS_CONF; nothing is written to /etc/containers.
#
# Kernel BTF for the BPF build: $SCX_SLO_BTF if set, else the newest test
# kernel tests/setup.sh cached (its .BTF section goes to deploy/btf/vmlinux,
# which git ignores).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

IMAGE=${SCX_SLO_IMAGE:-localhost/scx-slo:test}
BASE=localhost/debian:bookworm
[ "$(id -u)" = 0 ] || die "must run as root (podman builds as root here)"

need_pkgs podman buildah debootstrap runc uidmap containernetworking-plugins \
	debian-archive-keyring binutils zstd
export CONTAINERS_CONF=$DEPLOY_TESTS/containers.conf
PODMAN=(podman --log-level=error)

# --- 1. base image: debootstrap --variant=minbase bookworm, imported once ----
MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$MIRROR" ] || die "cannot find the Debian mirror in /etc/apt"
ROOTFS=$CACHE/debootstrap/bookworm
if [ -n "${SCX_SLO_REFRESH_BASE:-}" ]; then
	rm -rf "$ROOTFS"
	"${PODMAN[@]}" rmi -f "$BASE" >/dev/null 2>&1 || true
fi
if [ ! -f "$ROOTFS/.complete" ]; then
	echo "debootstrap: minbase bookworm from $MIRROR into $ROOTFS"
	rm -rf "$ROOTFS.tmp"; mkdir -p "$(dirname "$ROOTFS")"
	t0=$(date +%s)
	debootstrap --variant=minbase bookworm "$ROOTFS.tmp" "$MIRROR" > "$CACHE/debootstrap/log" 2>&1 ||
		{ tail -n 20 "$CACHE/debootstrap/log"; die "debootstrap failed"; }
	touch "$ROOTFS.tmp/.complete"
	rm -rf "$ROOTFS"; mv "$ROOTFS.tmp" "$ROOTFS"
	echo "debootstrap: $(( $(date +%s) - t0 )) s"
	"${PODMAN[@]}" rmi -f "$BASE" >/dev/null 2>&1 || true
fi
if ! "${PODMAN[@]}" image exists "$BASE"; then
	# Without downloaded .debs and package lists, like Debian's own images.
	tar -C "$ROOTFS" --exclude=./.complete --exclude='./var/cache/apt/*.bin' \
		--exclude='./var/cache/apt/archives/*.deb' --exclude='./var/lib/apt/lists/*_*' -c . |
		"${PODMAN[@]}" import - "$BASE" >/dev/null 2>&1 || die "podman import of $ROOTFS failed"
	echo "base image $BASE imported"
fi

# --- 2. kernel BTF for vmlinux.h ---------------------------------------------
BTF_DST=$TOP/deploy/btf/vmlinux
btf_src=${SCX_SLO_BTF:-}
if [ -z "$btf_src" ]; then
	kdir=$(ls -d "$CACHE"/kernels/*/ 2>/dev/null | sort -V | tail -n1); kdir=${kdir%/}
	[ -n "$kdir" ] || die "no sched_ext kernel cached in $CACHE/kernels: run tests/setup.sh"
	if [ ! -s "$kdir/vmlinux" ]; then
		# bpf/gen-vmlinux-h.sh unpacks the vmlinuz to vmlinux on its way.
		command -v bpftool >/dev/null || PATH=$PATH:/usr/sbin
		tmp_h=$(mktemp); "$TOP/bpf/gen-vmlinux-h.sh" bpftool "$tmp_h" || die "cannot unpack $kdir/vmlinuz"
		rm -f "$tmp_h"
	fi
	btf_src=$kdir/vmlinux
fi
if [ ! -s "$BTF_DST" ] || [ "$btf_src" -nt "$BTF_DST" ]; then
	# Only the .BTF section (about 5 MB) goes into the build context.
	objcopy=$(command -v llvm-objcopy-19 || command -v objcopy)
	tmpd=$(mktemp -d)
	if "$objcopy" --dump-section .BTF="$tmpd/btf" "$btf_src" "$tmpd/elf" 2>/dev/null; then
		mv "$tmpd/btf" "$BTF_DST"
	else
		cp "$btf_src" "$BTF_DST"	# raw BTF already
	fi
	rm -rf "$tmpd"
fi
echo "BTF: $btf_src -> deploy/btf/vmlinux ($(stat -c %s "$BTF_DST") bytes)"

# --- 3. build -------------------------------------------------------------------
log=$CACHE/image-build.log
echo "building $IMAGE (log: $log)"
old_id=$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
t0=$(date +%s%N)
# --network host: the build's `RUN apt-get` reaches the Debian mirror without
# podman's CNI bridge (the runs below have no network at all).
nocache=(); [ -n "${SCX_SLO_IMAGE_NO_CACHE:-}" ] && nocache=(--no-cache)
if "${PODMAN[@]}" build --pull=never --layers --network host "${nocache[@]}" \
	--build-arg BUILD_BASE=$BASE --build-arg RUNTIME_BASE=$BASE \
	-f "$TOP/Dockerfile" -t "$IMAGE" "$TOP" > "$log" 2>&1; then
	build_s=$(( ($(date +%s%N) - t0) / 1000000000 ))
	ok "image build ($build_s s)"
else
	tail -n 40 "$log"
	fail "image build"
	finish; exit 1
fi
cached=$(grep -c -- '--> Using cache' "$log" || true)
# Keep the store from growing run after run: drop the image this build
# replaced, and build leftovers unused for 3 days (recent layers stay as cache).
new_id=$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$IMAGE")
[ -n "$old_id" ] && [ "$old_id" != "$new_id" ] && "${PODMAN[@]}" rmi "$old_id" >/dev/null 2>&1
"${PODMAN[@]}" image prune -f --filter until=72h >/dev/null 2>&1
size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE")
base_size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$BASE")
sed -n '/^runtime packages:/,/^-->/p' "$log" | grep -v '^runtime packages:\|^-->' | sed 's/^/  runtime package: /'

# --- 4. run it ------------------------------------------------------------------
RUN=("${PODMAN[@]}" run --rm --network none --pull=never)

out=$("${RUN[@]}" "$IMAGE" --version 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '^scx_slo [0-9]' <<<"$out"; then ok "--version: $out"
else fail "--version: exit $rc: $out"; fi

out=$("${RUN[@]}" "$IMAGE" --show-topology 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q 'domain 0' <<<"$out"; then ok "--show-topology: $(grep -c 'domain ' <<<"$out") LLC domain(s)"
else fail "--show-topology: exit $rc: $out"; fi

out=$("${RUN[@]}" "$IMAGE" --show-topology --json 2>&1); rc=$?
if [ $rc -eq 0 ] && node -e 'JSON.parse(require("fs").readFileSync(0, "utf8"))' <<<"$out" 2>/dev/null; then
	ok "--show-topology --json parses"
else fail "--show-topology --json: exit $rc: $out"; fi

out=$("${RUN[@]}" --entrypoint /usr/bin/ldd "$IMAGE" /usr/local/sbin/scx_slo 2>&1); rc=$?
if [ $rc -eq 0 ] && ! grep -q 'not found' <<<"$out"; then ok "every shared library of scx_slo resolves"
else fail "ldd in the image: $out"; fi

out=$("${RUN[@]}" --entrypoint /bin/sh "$IMAGE" -c \
	'for t in clang-19 clang cmake gcc cc bpftool make; do command -v $t; done; ls /usr/include 2>/dev/null | head -n 3; ls /src /out 2>/dev/null' 2>&1)
if [ -z "$out" ]; then ok "no compiler, build tool, header or source in the runtime image"
else fail "build leftovers in the runtime image: $out"; fi

# The DaemonSet's container: root, its capabilities only, read-only root
# filesystem, the host's cgroup2 tree, the ConfigMap's SLO file at /etc/scx-slo.  This
# kernel has no sched_ext: exit 4, one line.  (The DaemonSet's arguments once
# the loader has --config and --metrics; until then the same SLOs by flag.)
help=$("${RUN[@]}" "$IMAGE" --help 2>&1)
cfg=(-v "$TOP/deploy/kustomize/base/slo.yaml:/etc/scx-slo/slo.yaml:ro")
if grep -q -- '--config' <<<"$help" && grep -q -- '--metrics' <<<"$help"; then
	args=(--config /etc/scx-slo/slo.yaml --metrics 0.0.0.0:9180)
else
	args=(--default-budget 100ms --slo /kubepods.slice=5ms --slo /kubepods.slice/kubepods-besteffort.slice=500ms)
	echo "note: scx_slo has no --config/--metrics yet: started with --slo flags"
fi
if grep -q -- '--check-config' <<<"$help"; then
	out=$("${RUN[@]}" "${cfg[@]}" "$IMAGE" --check-config /etc/scx-slo/slo.yaml 2>&1); rc=$?
	if [ $rc -eq 0 ]; then ok "--check-config accepts the ConfigMap's slo.yaml"
	else fail "--check-config on the ConfigMap's slo.yaml: exit $rc: $out"; fi
fi
# the DaemonSet's capabilities, read from it
caps=(--cap-drop=all $(awk '/^ *add:$/ { on = 1; next } on && /^ *#/ { next }
	on && /^ *- / { print "--cap-add=" tolower($2); next } on { exit }' "$TOP/deploy/kustomize/base/daemonset.yaml"))
[ ${#caps[@]} -ge 2 ] || fail "no capability list found in deploy/kustomize/base/daemonset.yaml"
err=$("${RUN[@]}" --read-only "${caps[@]}" --security-opt no-new-privileges \
	-v /sys/fs/cgroup:/sys/fs/cgroup:ro "${cfg[@]}" \
	"$IMAGE" "${args[@]}" 2>&1 >/dev/null); rc=$?
lines=$(grep -c . <<<"$err")
if [ $rc -eq 4 ] && [ "$lines" -eq 1 ] && grep -q '^scx_slo: kernel .* has no sched_ext (CONFIG_SCHED_CLASS_EXT)' <<<"$err"; then
	ok "scheduler on a kernel without sched_ext: exit 4, '$err'"
else
	fail "scheduler on a kernel without sched_ext: exit $rc (want 4), $lines line(s): $err"
fi

# The DaemonSet's init container check, same image, same kernel.
# (the block scalar between its BEGIN/END markers, less the YAML indentation)
ds=$TOP/deploy/kustomize/base/daemonset.yaml
indent=$(grep -m1 '# BEGIN check-kernel' "$ds" | sed 's/#.*//' | wc -c)
check=$(sed -n '/# BEGIN check-kernel/,/# END check-kernel/p' "$ds" | cut -c"$indent"-)
if [ -n "$check" ]; then
	err=$("${RUN[@]}" --read-only --cap-drop=all --user 65534 -e NODE_NAME=image-test \
		--entrypoint /bin/sh "$IMAGE" -c "$check" 2>&1); rc=$?
	if [ $rc -ne 0 ] && grep -q 'has no sched_ext' <<<"$err"; then ok "init container kernel check refuses: $err"
	else fail "init container kernel check: exit $rc: $err"; fi
else
	fail "kernel check script not found in deploy/kustomize/base/daemonset.yaml"
fi

awk -v b="$build_s" -v c="$cached" -v i="$IMAGE" -v s="$size" -v bs="$base_size" 'BEGIN {
	printf "image-test: build %d s (%d steps from cache), image %s: %.1f MB (base %.1f MB + %.1f MB)\n",
		b, c, i, s / 1e6, bs / 1e6, (s - bs) / 1e6 }'
finish
