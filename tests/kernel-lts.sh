#!/usr/bin/env bash
# kernel-lts.sh: build Debian's 6.12 LTS kernel with sched_ext and cache it as
# a test kernel for tests/vm/run-vm.sh.
#
# Why: 6.12 is the LTS series most distributions that ship sched_ext are on,
# and the oldest kernel scx_slo supports, but Debian's own 6.12 binaries
# (bookworm-backports, trixie) are built without CONFIG_SCHED_CLASS_EXT, so
# there is no 6.12 sched_ext kernel to download.  bookworm ships the patched
# 6.12 source as linux-source-6.12; this script builds a small guest-only
# kernel from it: allnoconfig plus exactly what the test VM needs (below),
# bzImage and the three virtio-net modules of run-vm.sh --forward, nothing
# else.
#
# BUILD TIME (6.12.118, gcc 12.2, pahole 1.24, make -j2 on a 2-core bookworm
# VM, about 1500 compiled files): the make takes 23.8 min of CPU time (user +
# sys), so about 12-13 min of wall time on an idle host; unpacking and
# configuring add under a minute (plus apt).  Measured while other QEMU tests
# shared the two cores: 17 min (a guest running half of the time), 31 min
# (all of the time).  Dropping gcc's variable tracking (KCFLAGS below) saved
# 8% of the CPU time; BTF only needs DWARF's types.  Peak disk: about 3 GB.
#
# Result: $SCX_SLO_CACHE/kernels/<version>-scx/ (default cache
# /var/cache/scx_slo), e.g. kernels/6.12.118-scx/, holding
#   vmlinuz      arch/x86/boot/bzImage (zstd)
#   config       the .config it was built with
#   suite        "bookworm-source"
#   modules/     failover.ko net_failover.ko virtio_net.ko (debug-stripped)
#   vmlinux      the vmlinux ELF with its debug info stripped: .BTF, .BTF_ids
#                and the symbol table are kept (bpftool btf dump file works,
#                and bpf/gen-vmlinux-h.sh's $kdir/vmlinux convention holds)
#   build-info   source version, config hash, toolchain, build time
#
# Idempotent: when the cached kernel was built from the same source version
# with the same configuration (a hash of configure() below, the make flags and
# the toolchain versions), it prints one line and does nothing.  A newer
# linux-source-6.12 (a Debian point release) builds a new kernel and drops
# the older 6.12 one.  Other runs wait on a lock.
#
# Environment:
#   SCX_SLO_CACHE             cache root (default /var/cache/scx_slo)
#   SCX_SLO_LTS_BUILD_DIR     build tree (default $SCX_SLO_CACHE/build-6.12)
#   SCX_SLO_LTS_KEEP_BUILD=1  keep the build tree after a successful install
#                             (a rerun then reuses it: incremental rebuild)
#   SCX_SLO_LTS_JOBS          make -j (default nproc)
#   SCX_SLO_LTS_FORCE=1       rebuild even when the cached kernel is current
set -Eeuo pipefail
export LC_ALL=C
export DEBIAN_FRONTEND=noninteractive

SERIES=6.12
PKG=linux-source-$SERIES
TARBALL=/usr/src/$PKG.tar.xz
LOCALVERSION=-scx
SUITE=bookworm-source
CACHE=${SCX_SLO_CACHE:-/var/cache/scx_slo}
WORK=${SCX_SLO_LTS_BUILD_DIR:-$CACHE/build-$SERIES}
JOBS=${SCX_SLO_LTS_JOBS:-$(nproc)}
LOG=$CACHE/build-$SERIES.log
# BTF needs DWARF's types, not its variable locations: gcc's variable
# tracking is most of what -g costs (measured: -15% CPU per compiled file,
# -8% for the whole build).
MAKE_ARGS=(KCFLAGS="-fno-var-tracking -fno-var-tracking-assignments" bzImage modules)
BUILD_DEPS=(build-essential bc bison flex libelf-dev libssl-dev dwarves cpio
	zstd xz-utils python3)

die() { echo "kernel-lts: $*" >&2; exit 1; }
say() { echo "kernel-lts: $*" >&2; }
trap 'die "unexpected failure (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

# --- the configuration ---------------------------------------------------------
# allnoconfig, then exactly what the QEMU test VM (tests/vm/run-vm.sh, its
# init and the guest tests) needs.  Every entry is checked in the final
# .config: one that Kconfig dropped (an unmet dependency) fails the build.
# Values: y, n, m, a number, or a "string".
configure() {
	local opts=(
		# machine: 64-bit SMP, up to 8192 CPUs like Debian (MAXSMP:
		# NR_CPUS=8192, CPUMASK_OFFSTACK), ACPI NUMA, PCI, x2APIC
		64BIT=y SMP=y DEBUG_KERNEL=y MAXSMP=y CPUMASK_OFFSTACK=y
		NUMA=y ACPI=y ACPI_NUMA=y X86_64_ACPI_NUMA=y PCI=y PCI_MSI=y
		X86_X2APIC=y HYPERVISOR_GUEST=y PARAVIRT=y KVM_GUEST=y
		HOTPLUG_CPU=y SCHED_MC=y SCHED_SMT=y SCHED_CLUSTER=y
		# what PCI/ACPI/thermal would default to and the VM has no use for
		INTEL_MEI=n ACPI_AC=n ACPI_BATTERY=n SERIAL_8250_EXAR=n
		SERIAL_8250_MID=n X86_PKG_TEMP_THERMAL=n
		# scheduler, timers: as Debian's 6.12 (voluntary, dynamic, 250 Hz)
		PREEMPT_NONE=n PREEMPT_VOLUNTARY=y PREEMPT=n PREEMPT_DYNAMIC=y
		HZ_250=y HZ_PERIODIC=n NO_HZ_IDLE=y HIGH_RES_TIMERS=y
		NUMA_BALANCING=y SCHEDSTATS=y SCHED_AUTOGROUP=y PSI=y JUMP_LABEL=y
		SOFTLOCKUP_DETECTOR=y DETECT_HUNG_TASK=y
		CC_OPTIMIZE_FOR_SIZE=n CC_OPTIMIZE_FOR_PERFORMANCE=y
		# sched_ext, BPF, BTF (pahole >= 1.21 for DWARF 5)
		BPF=y BPF_SYSCALL=y BPF_JIT=y BPF_JIT_ALWAYS_ON=y
		DEBUG_INFO_NONE=n DEBUG_INFO_DWARF5=y DEBUG_INFO_BTF=y
		DEBUG_INFO_BTF_MODULES=n SCHED_CLASS_EXT=y
		# cgroups: cgroup2 with the cpu controller; no RT group scheduling
		CGROUPS=y CGROUP_SCHED=y FAIR_GROUP_SCHED=y CFS_BANDWIDTH=y
		RT_GROUP_SCHED=n EXT_GROUP_SCHED=y CGROUP_CPUACCT=y CPUSETS=y
		CGROUP_PIDS=y MEMCG=y
		# tracing: bpf_printk, bpf_probe_read_kernel*, kprobes, tracefs
		KALLSYMS=y KALLSYMS_ALL=y PERF_EVENTS=y FTRACE=y KPROBES=y
		KPROBE_EVENTS=y BPF_EVENTS=y DEBUG_FS=y UNWINDER_ORC=y
		UNWINDER_FRAME_POINTER=n
		# console, boot, userspace (busybox init from an initramfs)
		TTY=y PRINTK=y SERIAL_8250=y SERIAL_8250_CONSOLE=y RTC_CLASS=y
		RTC_DRV_CMOS=y BLK_DEV_INITRD=y RD_GZIP=y RD_ZSTD=y RD_XZ=y
		RD_BZIP2=n RD_LZMA=n RD_LZO=n RD_LZ4=n KERNEL_GZIP=n KERNEL_ZSTD=y
		BINFMT_ELF=y BINFMT_SCRIPT=y DEVTMPFS=y PROC_FS=y SYSFS=y
		TMPFS=y SHMEM=y FUTEX=y EPOLL=y EVENTFD=y SIGNALFD=y TIMERFD=y
		INOTIFY_USER=y POSIX_TIMERS=y MULTIUSER=y IKCONFIG=y
		IKCONFIG_PROC=y
		# network: loopback TCP; virtio-net as modules for --forward
		NET=y INET=y UNIX=y PACKET=y NETDEVICES=y NET_CORE=y
		VIRTIO_MENU=y VIRTIO=y VIRTIO_PCI=y VIRTIO_NET=m
		NET_FAILOVER=m FAILOVER=m MODULES=y MODVERSIONS=n MODULE_SIG=n
		# ours
		LOCALVERSION_AUTO=n LOCALVERSION="\"$LOCALVERSION\""
	)
	local o sym val got args=()
	for o in "${opts[@]}"; do
		sym=${o%%=*} val=${o#*=}
		# EXT_GROUP_SCHED appeared with sched_ext's cgroup support
		if [ "$sym" = EXT_GROUP_SCHED ] && ! grep -rqs '^config EXT_GROUP_SCHED$' init/Kconfig; then
			continue
		fi
		case $val in
		y) args+=(--enable "$sym") ;;
		n) args+=(--disable "$sym") ;;
		m) args+=(--module "$sym") ;;
		\"*\") val=${val#\"}; args+=(--set-str "$sym" "${val%\"}") ;;
		*) args+=(--set-val "$sym" "$val") ;;
		esac
	done
	make -s allnoconfig
	scripts/config --file .config "${args[@]}"
	make -s olddefconfig
	local bad=()
	for o in "${opts[@]}"; do
		sym=${o%%=*} val=${o#*=}
		if [ "$sym" = EXT_GROUP_SCHED ] && ! grep -rqs '^config EXT_GROUP_SCHED$' init/Kconfig; then
			continue
		fi
		got=$(sed -n "s/^CONFIG_$sym=//p" .config)
		if [ "$val" = n ]; then
			[ -z "$got" ] || bad+=("$sym (want n, got $got)")
		elif [ "$got" != "$val" ]; then
			bad+=("$sym (want $val, got ${got:-n})")
		fi
	done
	[ "$(sed -n 's/^CONFIG_NR_CPUS=//p' .config)" -ge 512 ] 2>/dev/null || bad+=("NR_CPUS < 512")
	[ ${#bad[@]} -eq 0 ] || die "the kernel config lacks: ${bad[*]}"
}

# --- packages ----------------------------------------------------------------------
installed() {
	[ "$(dpkg-query -W -f='${Status}\n' "$@" 2>/dev/null | awk '/install ok installed/{n++} END{print n+0}')" -eq $# ]
}
candidate() { apt-cache policy "$PKG" 2>/dev/null | awk '/Candidate:/{v=$2} END{print v}'; }
# The cache key: source version, the configuration procedure, the toolchain.
cache_key() {
	toolchain="gcc $(gcc -dumpfullversion 2>/dev/null || echo none), pahole $(pahole --version 2>/dev/null || echo none)"
	confhash=$(printf '%s\n' "$(declare -f configure)" "$toolchain" "${MAKE_ARGS[@]}" | sha256sum | cut -c1-16)
	key="source=$PKG $srcver config=$confhash"
}
is_cached() {
	[ -z "${SCX_SLO_LTS_FORCE:-}" ] && [ -s "$kdir/vmlinuz" ] && [ -f "$kdir/build-info" ] &&
		[ "$(head -n1 "$kdir/build-info")" = "$key" ]
}
cached_exit() {
	echo "kernel-lts: $krel is cached in $kdir ($PKG $srcver, config $confhash)"
	exit 0
}

mkdir -p "$CACHE/kernels" || die "cannot create $CACHE/kernels"
exec 9> "$CACHE/.kernel-lts.lock"
flock -n 9 || { say "another kernel-lts.sh is running: waiting for it"; flock 9; }

srcver=$(candidate)
case $srcver in ''|'(none)')
	[ "$(id -u)" = 0 ] || die "$PKG is not known to apt, and updating the index needs root"
	apt-get update -q >/dev/null || die "apt-get update failed"
	srcver=$(candidate) ;;
esac
case $srcver in ''|'(none)') die "no $PKG package in the configured apt sources (bookworm has it)" ;; esac
upstream=${srcver%%-*}
case $upstream in "$SERIES".[0-9]*) ;; *) die "$PKG $srcver is not a $SERIES.x source" ;; esac
krel=$upstream$LOCALVERSION
kdir=$CACHE/kernels/$krel

cache_key
if is_cached; then cached_exit; fi

if ! installed "$PKG" "${BUILD_DEPS[@]}" ||
   [ "$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null || true)" != "$srcver" ]; then
	[ "$(id -u)" = 0 ] || die "must run as root to install $PKG $srcver and the build dependencies"
	say "installing $PKG $srcver and the kernel build dependencies"
	apt-get install -y -q --no-install-recommends "$PKG=$srcver" "${BUILD_DEPS[@]}" >/dev/null ||
		die "apt-get install $PKG=$srcver ${BUILD_DEPS[*]} failed"
	# the toolchain may have come or changed with it
	cache_key
	if is_cached; then cached_exit; fi
fi
[ -f "$TARBALL" ] || die "$PKG is installed but $TARBALL is missing"
pahole --version | awk '{v=$1; sub(/^v/,"",v); split(v,a,"."); exit !(a[1] > 1 || a[2] >= 21)}' ||
	die "pahole $(pahole --version) is too old for BTF from DWARF 5 (need 1.21)"

# --- unpack, configure, build -----------------------------------------------------------
mkdir -p "$(dirname "$WORK")" || die "cannot create $(dirname "$WORK")"
avail=$(df -Pk "$(dirname "$WORK")" | awk 'NR==2{print int($4/1048576)}')
[ "$avail" -ge 6 ] || die "only ${avail} GiB free under $(dirname "$WORK"): the build needs about 6"

t0=$SECONDS
if [ -f "$WORK/.scx-source" ] && [ "$(cat "$WORK/.scx-source")" = "$srcver" ]; then
	say "reusing the build tree in $WORK ($PKG $srcver)"
else
	say "unpacking $TARBALL ($srcver) into $WORK"
	rm -rf "$WORK"
	mkdir -p "$WORK"
	xz -T0 -dc "$TARBALL" | tar -x -C "$WORK" --strip-components=1 ||
		die "cannot unpack $TARBALL into $WORK"
	echo "$srcver" > "$WORK/.scx-source"
fi
cd "$WORK"
[ -f Makefile ] && [ -f kernel/Kconfig.preempt ] || die "$WORK is not a kernel source tree"
grep -q '^config SCHED_CLASS_EXT$' kernel/Kconfig.preempt || die "$PKG $srcver has no sched_ext (no SCHED_CLASS_EXT in Kconfig)"

configure
grep -qx 'CONFIG_SCHED_CLASS_EXT=y' .config || die "CONFIG_SCHED_CLASS_EXT=y is not in the final config"
grep -qx 'CONFIG_DEBUG_INFO_BTF=y' .config || die "CONFIG_DEBUG_INFO_BTF=y is not in the final config"
say "building $krel: make -j$JOBS ${MAKE_ARGS[*]} (log: $LOG)"
t1=$SECONDS
if ! make -j"$JOBS" "${MAKE_ARGS[@]}" > "$LOG" 2>&1; then
	grep -E 'error|Error' "$LOG" | tail -n 20 >&2 || true
	die "make bzImage modules failed after $((SECONDS - t1)) s: see $LOG"
fi
build_s=$((SECONDS - t1))
got=$(make -s kernelrelease)
[ "$got" = "$krel" ] || die "make kernelrelease says '$got', expected '$krel'"
say "built $krel in $build_s s (make -j$JOBS on $(nproc) CPUs, $(awk '{print $1}' /proc/loadavg) load)"

# --- install -------------------------------------------------------------------------------
tmp=$CACHE/kernels/.tmp-$krel
rm -rf "$tmp"
mkdir -p "$tmp/modules"
cp arch/x86/boot/bzImage "$tmp/vmlinuz"
cp .config "$tmp/config"
echo "$SUITE" > "$tmp/suite"
for m in drivers/net/net_failover.ko net/core/failover.ko drivers/net/virtio_net.ko; do
	[ -f "$m" ] || die "module $m was not built"
	objcopy --strip-debug "$m" "$tmp/modules/$(basename "$m")"
done
objcopy --strip-debug vmlinux "$tmp/vmlinux"
readelf -SW "$tmp/vmlinux" | awk '/ \.BTF /{f=1} END{exit !f}' || die "the stripped vmlinux has no .BTF section"
if command -v bpftool >/dev/null; then
	bpftool btf dump file "$tmp/vmlinux" format raw 2>/dev/null |
		awk "/STRUCT 'sched_ext_ops'/{f=1} END{exit !f}" ||
		die "bpftool finds no struct sched_ext_ops in the BTF of $tmp/vmlinux"
fi
{
	echo "$key"
	echo "toolchain=$toolchain"
	echo "make=-j$JOBS ${MAKE_ARGS[*]}, $build_s s ($((SECONDS - t0)) s with unpacking and configuring), $(nproc) CPUs"
	echo "built=$(date -u +%FT%TZ)"
} > "$tmp/build-info"
rm -rf "$kdir"
mv "$tmp" "$kdir"

# drop older 6.12 builds of ours (a run-vm.sh --kernel 6.12 takes the newest)
for old in "$CACHE"/kernels/"$SERIES".*"$LOCALVERSION"/; do
	old=${old%/}
	[ -d "$old" ] && [ "$old" != "$kdir" ] || continue
	[ "$(cat "$old/suite" 2>/dev/null)" = "$SUITE" ] || continue
	say "dropping $(basename "$old") (superseded by $krel)"
	rm -rf "$old"
done

cd /
if [ -z "${SCX_SLO_LTS_KEEP_BUILD:-}" ]; then
	rm -rf "$WORK"
fi
echo "kernel-lts: $krel installed in $kdir (vmlinuz $(stat -c %s "$kdir/vmlinuz") bytes, make $build_s s)"
