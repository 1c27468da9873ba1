#!/bin/sh
# The init container of the scx-slo DaemonSet: refuse, in one line, a node
# whose kernel cannot run scx_slo (another sched_ext scheduler attached is
# only reported: scx_slo waits for the slot).  Same text as the check in
# deploy/kustomize/base/daemonset.yaml (tests/deploy checks they match).
# BEGIN check-kernel
node=${NODE_NAME:-$(hostname)}
kernel=$(uname -r)
fail() { echo "scx-slo: node $node: kernel $kernel $*" >&2; exit 1; }
[ -d /sys/kernel/sched_ext ] || fail "has no sched_ext\
 (CONFIG_SCHED_CLASS_EXT, /sys/kernel/sched_ext is missing):\
 boot a sched_ext kernel (Linux 6.12+)\
 or remove the node label scx-slo.io/sched-ext"
[ -r /sys/kernel/btf/vmlinux ] || fail "has no BTF\
 (CONFIG_DEBUG_INFO_BTF, /sys/kernel/btf/vmlinux is missing)"
[ -f /sys/fs/cgroup/cgroup.controllers ] || fail "does not\
 mount cgroup v2 at /sys/fs/cgroup (the unified hierarchy is required)"
state=$(cat /sys/kernel/sched_ext/state 2>/dev/null)
ops=$(cat /sys/kernel/sched_ext/root/ops 2>/dev/null)
case "$state:$ops" in
*:slo* | *: | disabled:*) ;;
# not a failure: scx_slo waits for the slot (README, Failure policy)
*) echo "scx-slo: node $node: another sched_ext scheduler ('$ops', $state)\
 is attached: scx_slo will wait for it to detach" ;;
esac
echo "scx-slo: node $node: kernel $kernel, sched_ext ${state:-unknown}: ok"
# END check-kernel
