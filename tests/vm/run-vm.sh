#!/usr/bin/env bash
# run-vm.sh: boot a sched_ext kernel in QEMU and run one guest test script.
#
#   run-vm.sh [--kernel VER] [--preset NAME] [--timeout SEC]
#             [--initramfs FILE] [--log FILE] [--args "SCX_SLO ARGS"]
#             [--forward HOSTPORT] [--guest-forward GUESTPORT=HOSTPORT]
#             [--file PATH] TEST
#
# TEST is a name under tests/vm/guest/ (e.g. "load") or a path to a script.
# VER is a kernel version cached by tests/setup.sh, or a prefix of one
# ("7.3"); the newest is the default.  Exit status: 0 when the guest printed
# PASS, 1 when it printed FAIL, 2 when it printed no result (hang, panic,
# timeout), 3 for a setup error.  The guest's result line carries a random
# token, so output of the test itself can never pass for it.  --args are
# added to every scx_slo the guest test starts (e.g. "--single-dsq").
# --forward gives the guest a NIC (10.0.2.15, no route out; QEMU restrict=on
# also cuts it off from everything but the forwards) and forwards
# 127.0.0.1:HOSTPORT on the host to the guest's port 9464.
# --guest-forward (repeatable) gives it the NIC too, and each connection
# the guest opens to 10.0.2.100:GUESTPORT reaches 127.0.0.1:HOSTPORT on the
# host (through a socat QEMU starts for that connection).  --file
# (repeatable) copies PATH into the guest as /host/NAME.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CACHE=${SCX_SLO_CACHE:-/var/cache/scx_slo}
BUILD=${SCX_SLO_BUILD:-$here/../../build}

kernel= preset=${SCXVM_PRESET:-1s1l4c} timeout=300 initramfs= log= args= forward=
guest_forwards=() files=()
usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "run-vm: $*" >&2; exit 3; }
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--preset) preset=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--initramfs) initramfs=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--args) args=$2; shift 2 ;;
	--forward) forward=$2; shift 2 ;;
	--guest-forward) guest_forwards+=("$2"); shift 2 ;;
	--file) files+=("$2"); shift 2 ;;
	-h|--help) usage; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { usage >&2; exit 3; }
test=$1
script=$test
[ -f "$script" ] || script=$here/guest/$test.sh
[ -f "$script" ] || die "no guest test '$test' (looked for $script)"
name=$(basename "$script" .sh)

kdir=$(ls -d "$CACHE"/kernels/"$kernel"*/ 2>/dev/null | sort -V | tail -n1 || true)
[ -n "$kdir" ] && [ -f "$kdir/vmlinuz" ] ||
	die "no cached sched_ext kernel matching '${kernel:-any}' in $CACHE/kernels: run tests/setup.sh"
kver=$(basename "$kdir")

initramfs=${initramfs:-$BUILD/tests/vm/initramfs.cpio}
[ -f "$initramfs" ] || die "no base initramfs at $initramfs: build the project first"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed: run tests/setup.sh"

# Topology presets.  Intel vendor + level=0x1e: QEMU 10 aborts on dies > 1
# with CPUID leaf 0x1f visible, and AMD under TCG gives every CPU its own L3.
cpu=(-cpu max,vendor=GenuineIntel,level=0x1e)
case $args in *[\"\$\`]*) die "--args must not contain quotes, \$ or backquotes" ;; esac
case $preset in
2s2l2c)	# 2 sockets x 2 LLCs x 2 cores, 2 NUMA nodes: the topology shape
	mem=2G
	topo=(-machine q35,smp-cache.0.cache=l3,smp-cache.0.topology=die
		-smp 8,sockets=2,dies=2,cores=2,threads=1
		-object memory-backend-ram,id=m0,size=1G -object memory-backend-ram,id=m1,size=1G
		-numa node,cpus=0-3,nodeid=0,memdev=m0 -numa node,cpus=4-7,nodeid=1,memdev=m1) ;;
1s2l1c)	# 1 socket x 2 LLCs x 1 core: per-LLC queues against --single-dsq
	# with one vCPU thread per host core, so a vCPU is seldom descheduled
	# by the host (on 2s2l2c, 8 vCPU threads share 2 host cores)
	mem=1G
	topo=(-machine q35,smp-cache.0.cache=l3,smp-cache.0.topology=die
		-smp 2,sockets=1,dies=2,cores=1,threads=1) ;;
1s1l4c)	# 1 socket x 1 LLC x 4 cores
	mem=1G
	topo=(-machine q35 -smp 4,sockets=1,cores=4,threads=1) ;;
2s1c)	# 2 sockets x 1 core, 2 NUMA nodes: the latency shape (least TCG noise)
	mem=1G
	topo=(-machine q35 -smp 2,sockets=2,cores=1,threads=1
		-object memory-backend-ram,id=m0,size=512M -object memory-backend-ram,id=m1,size=512M
		-numa node,cpus=0,nodeid=0,memdev=m0 -numa node,cpus=1,nodeid=1,memdev=m1) ;;
2s2c2t)	# 2 sockets x 2 cores x 2 threads, 2 NUMA nodes: SMT, as on nearly
	# every production node (each socket one L3)
	mem=1G
	topo=(-machine q35 -smp 8,sockets=2,cores=2,threads=2
		-object memory-backend-ram,id=m0,size=512M -object memory-backend-ram,id=m1,size=512M
		-numa node,cpus=0-3,nodeid=0,memdev=m0 -numa node,cpus=4-7,nodeid=1,memdev=m1) ;;
4s2l8c)	# 4 sockets x 2 LLCs x 8 cores, 4 NUMA nodes (64 vCPUs): a big node's
	# shape, for sizing, verifier limits and steal order at scale, not timing.
	# Booted in 2-6 minutes under TCG before lpj= (below), about 40 s with
	# it on a 2-core host: SCXVM_BOOT_TIMEOUT still gives it room.
	mem=4G
	topo=(-machine q35,smp-cache.0.cache=l3,smp-cache.0.topology=die
		-smp 64,sockets=4,dies=2,cores=8,threads=1)
	for n in 0 1 2 3; do
		topo+=(-object memory-backend-ram,id=m$n,size=1G
			-numa node,cpus=$((n * 16))-$((n * 16 + 15)),nodeid=$n,memdev=m$n)
	done ;;
*) die "unknown preset '$preset' (2s2l2c, 1s2l1c, 1s1l4c, 2s1c, 2s2c2t, 4s2l8c)" ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
token=$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
mkdir -p "$work/add"
cp "$script" "$work/add/test.sh"
cp "$here/guest/lib.sh" "$work/add/lib.sh"
# what the DaemonSet grants, for tests that run the loader with exactly that
cp "$here/../../deploy/kustomize/base/daemonset.yaml" "$work/add/daemonset.yaml"
[ -f "$kdir/config" ] && cp "$kdir/config" "$work/add/kconfig"
net=
{ [ -n "$forward" ] || [ ${#guest_forwards[@]} -gt 0 ]; } && net=1
cat > "$work/add/scxvm.env" <<ENV
SCXVM_TOKEN=$token
SCXVM_TEST=$name
SCXVM_PRESET=$preset
SCXVM_GUEST_TIMEOUT=$((timeout > 30 ? timeout - 20 : timeout))
SCX_SLO_ARGS="$args"
SCXVM_NET=$net
ENV
if [ ${#files[@]} -gt 0 ]; then
	mkdir -p "$work/add/host"
	for f in "${files[@]}"; do
		[ -f "$f" ] || die "--file $f: no such file"
		cp "$f" "$work/add/host/"
	done
fi
nic=(-nic none)
if [ -n "$net" ]; then
	ls "$kdir"/modules/virtio_net.ko >/dev/null 2>&1 ||
		die "no virtio_net module cached for $kver: run tests/setup.sh"
	mkdir -p "$work/add/modules"
	cp "$kdir"/modules/*.ko "$work/add/modules/"
	netdev=user,model=virtio-net-pci,restrict=on
	if [ -n "$forward" ]; then
		case $forward in *[!0-9]*) die "--forward wants a port number" ;; esac
		netdev+=,hostfwd=tcp:127.0.0.1:$forward-:9464
	fi
	for gf in "${guest_forwards[@]}"; do
		case $gf in [0-9]*=[0-9]*) ;; *) die "--guest-forward wants GUESTPORT=HOSTPORT, not '$gf'" ;; esac
		case ${gf#*=}${gf%%=*} in *[!0-9]*) die "--guest-forward wants GUESTPORT=HOSTPORT, not '$gf'" ;; esac
		command -v socat >/dev/null || die "socat is not installed: run tests/setup.sh"
		# QEMU's chardev form (tcp:HOST:PORT) connects once, at start, and
		# carries every guest connection over that one stream; cmd: runs
		# one relay per guest connection instead, its stdio the socket
		# (stderr too: -lf keeps socat's messages out of the stream).
		netdev+=",guestfwd=tcp:10.0.2.100:${gf%%=*}-cmd:socat -lf /dev/null STDIO TCP:127.0.0.1:${gf#*=}"
	done
	nic=(-nic "$netdev")
fi
# The kernel reads concatenated cpio archives only from 4-byte boundaries.
cp "$initramfs" "$work/initrd"
pad=$(( (4 - $(stat -c %s "$work/initrd") % 4) % 4 ))
[ "$pad" -eq 0 ] || head -c "$pad" /dev/zero >> "$work/initrd"
(cd "$work/add" && find . | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet) >> "$work/initrd"

log=${log:-$work/console.log}
mkdir -p "$(dirname "$log")"
echo "run-vm: $name on $kver, preset $preset (log: $log)" >&2

# Every CPU but the boot CPU times a delay loop against the timer at boot
# (calibrate_delay: x86 lets a CPU copy a package sibling's result only
# with a constant TSC, and these APs all ran it).  Under TCG each try is
# disturbed, most fail ("Consider using lpj="), and what it settles on is
# about 1500x too small (bogomips 2.80 against the boot CPU's 4192).  A
# 64-vCPU boot took 184 s with it and 40 s with lpj=, which skips it on
# every CPU.  The value is what the boot CPU derives from the TSC, whose
# rate under TCG is the host's: the host's bogomips (2 x its TSC MHz) x
# 500000 / the guest kernel's HZ (250 for a kernel whose config is not
# cached, as Debian's are), so udelay() keeps its length.
hz=$(sed -n "s/^CONFIG_HZ=//p" "$kdir/config" 2>/dev/null || true)
lpj=$(awk -v hz="${hz:-250}" '/^bogomips/ { printf "%d", $3 * 500000 / hz; exit }' /proc/cpuinfo)
[[ $lpj =~ ^[1-9][0-9]*$ ]] || die "cannot derive lpj= from the host's /proc/cpuinfo bogomips"

# QEMU in the background, console in $serial, streamed to stdout as it comes.
serial=$work/serial
run_qemu() {
	: > "$serial"
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
		-accel tcg,thread=multi -m "$mem" -display none -monitor none \
		-serial "file:$serial" -no-reboot "${nic[@]}" \
		"${cpu[@]}" "${topo[@]}" \
		-kernel "$kdir/vmlinuz" -initrd "$work/initrd" \
		-append "console=ttyS0 panic=-1 quiet loglevel=4 nmi_watchdog=0 lpj=$lpj" \
		< /dev/null > "$work/qemu.out" 2>&1 &
	qemu_pid=$!
	tail -n +1 -f --pid="$qemu_pid" "$serial" 2>/dev/null | stdbuf -o0 tr -d '\r' &
}

# A kernel that never reaches init (seen once when the host was overloaded:
# a stall right after "8254 timer not connected to IO-APIC") is booted
# again, saying so, up to three boots in all.  So is a run with no result
# line whose kernel died on "Oops: int3": a vCPU executing a breakpoint
# byte that code patching (static keys, via text_poke_bp) had already
# removed, which is QEMU TCG's multi-threaded translation racing the other
# vCPU's write, not anything under test.  It was seen 2.7 and 3.2 s into
# boots before any scheduler was loaded (set_next_task_fair,
# enqueue_task_fair), and in __schedule(), sched_tick() and
# update_rq_clock() around sched_ext's static key flips; in one CI run it
# hit 3 of about 45 boots, once twice in a row.  So is a boot the guest's
# init finds unsound before the test starts ("scxvm: bad boot": a vCPU
# whose timer never fires, or an RCU stall already).  The earlier boots'
# consoles are kept at the top of the log.
boot_timeout=${SCXVM_BOOT_TIMEOUT:-120}
# A boot whose console stays empty is dead from the start (seen once or
# twice a CI run, after the full 120 s).  With quiet the first line is
# init's, a few seconds into a live boot of the small presets, so one
# silent for a third of the boot timeout is not waited out (the 64-vCPU
# preset, about 40 s to init, sets its own limit).
silent_timeout=${SCXVM_SILENT_TIMEOUT:-$((boot_timeout / 3))}
# set_aside TAG WHY: say why this boot does not count, keep its console
set_aside() {
	echo "run-vm: $name on $kver: $2 (boot $attempt of 3)" >&2
	{ echo "=== run-vm: boot $attempt, $1 ==="; tr -d '\r' < "$serial"; } >> "$work/earlier.log"
	booted=
}
set +e
for attempt in 1 2 3; do
	run_qemu
	booted= silent= start=$SECONDS
	while kill -0 "$qemu_pid" 2>/dev/null; do
		if [ -z "$booted" ]; then
			if grep -aq '^scxvm: test ' "$serial"; then
				booted=1
			elif [ $((SECONDS - start)) -ge "$boot_timeout" ]; then
				kill "$qemu_pid"
				break
			elif [ ! -s "$serial" ] && [ $((SECONDS - start)) -ge "$silent_timeout" ]; then
				silent=1
				kill "$qemu_pid"
				break
			fi
		fi
		sleep 1
	done
	wait "$qemu_pid"
	qemu_rc=$?
	wait
	grep -aq '^scxvm: test ' "$serial" && booted=1
	if bad=$(grep -a -m1 '^scxvm: bad boot: ' "$serial"); then
		set_aside "bad boot" "${bad#scxvm: }"
		continue
	fi
	if [ "$attempt" -lt 3 ] && grep -aq 'Oops: int3: ' "$serial" &&
	   ! grep -aq "^SCXVM-RESULT $token " "$serial"; then
		set_aside "Oops: int3, retried" "the kernel trapped on a stale code-patching breakpoint (Oops: int3, a QEMU TCG race): booting again"
		continue
	fi
	[ -n "$booted" ] && break
	if [ -n "$silent" ]; then
		set_aside "no console" "no console output after ${silent_timeout}s"
	else
		set_aside "no init" "no init after ${boot_timeout}s"
	fi
done
set -e
{
	if [ -f "$work/earlier.log" ]; then cat "$work/earlier.log"; echo "=== run-vm: boot $attempt ==="; fi
	tr -d '\r' < "$serial"
} > "$log"
cat "$work/qemu.out" >> "$log"
[ -n "$booted" ] || { echo "run-vm: FAIL $name on $kver ($preset): the kernel did not boot to a sound init in 3 boots" >&2; exit 2; }

result=$(grep -a "^SCXVM-RESULT $token " "$log" | tail -n1 || true)
case $result in
*" PASS") echo "run-vm: PASS $name on $kver ($preset)" >&2; exit 0 ;;
*" FAIL"*) echo "run-vm: FAIL $name on $kver ($preset): ${result##* FAIL}" >&2; exit 1 ;;
esac
if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
	echo "run-vm: FAIL $name on $kver ($preset): no result within ${timeout}s (hang)" >&2
elif grep -aq 'Kernel panic' "$log"; then
	echo "run-vm: FAIL $name on $kver ($preset): kernel panic" >&2
else
	echo "run-vm: FAIL $name on $kver ($preset): no result line (qemu exit $qemu_rc)" >&2
fi
exit 2
