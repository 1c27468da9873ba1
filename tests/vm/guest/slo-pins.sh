# The pin directory /sys/fs/bpf/scx_slo against a local user (issue 15).
# bpffs is world-writable (1777), so uid 65534 plants things at the path
# before the loader starts: a symlink to a root-owned directory, a map
# pinned at the path itself, a directory of its own with a map of another
# value size in it.  Each time the loader attaches, says in one line that
# it does not use the path, pins nothing and keeps scheduling; the CLI
# refuses the path in one line (exit 2); nothing planted, and nothing a
# symlink points to, is changed.  Before (seen at eb9eb48), the loader
# unlink()ed the files named like its pins in the directory the symlink
# points to, chmod()ed the map planted at the path from 0600 to 0700, and
# unlink()ed the map in the user's directory, removed the directory and
# made its own.  A directory of root's left 0777 is made 0700 and a map
# planted there as a pin is replaced.
# Then the pins a SIGKILLed loader leaves: the CLI exits 8 (before, it
# edited the dead scheduler's maps and exited 0), and the next loader
# removes them and pins its own.

# cli_says STATUS PATTERN: `scx_slo slo list` exits STATUS with one line on
# stderr containing PATTERN and prints nothing
cli_says() {
	scx_slo slo list > /tmp/cli.out 2> /tmp/cli.err
	_rc=$?
	log "slo list: exit $_rc: $(cat /tmp/cli.err)"
	[ "$_rc" -eq "$1" ] || fail "slo list: exit $_rc, want $1"
	[ "$(wc -l < /tmp/cli.err)" -eq 1 ] || fail "slo list: $(wc -l < /tmp/cli.err) lines on stderr, want 1"
	grep -qF -- "$2" /tmp/cli.err || fail "slo list: stderr does not contain '$2'"
	[ ! -s /tmp/cli.out ] || fail "slo list printed '$(cat /tmp/cli.out)'"
}

# loader_refuses PATTERN: the loader attaches and stays attached, with one
# warning about $PIN containing PATTERN
loader_refuses() {
	start_scx_slo --slo /web=5ms
	sleep 1
	kill -0 "$SCX_PID" 2>/dev/null || fail "scx_slo exited"
	[ "$(sched_state)" = enabled ] || fail "sched_ext state $(sched_state)"
	_n=$(grep -c 'warning' "$ERR")
	[ "$_n" -eq 1 ] || fail "$_n warnings from the loader, want 1"
	grep -F 'warning' "$ERR" | grep -qF -- "$1" || fail "the loader's warning does not contain '$1'"
	log "loader: $(grep -F warning "$ERR")"
}

# snapshot PATH: what is at PATH, without following a symlink, and below it
snapshot() {
	stat -c '%F %a %u:%g %N' "$1"
	[ -L "$1" ] || [ ! -d "$1" ] || ls -lnA "$1"
}

log "bpffs mode $(stat -c %a /sys/fs/bpf)"
[ "$(as_nobody id -u)" = $NOBODY ] || fail "setpriv does not run as uid $NOBODY"
# a user who may create maps: the worst case (Debian's default 2 forbids it)
echo 0 > /proc/sys/kernel/unprivileged_bpf_disabled ||
	fail "cannot allow unprivileged BPF"
cg_create web

# 1. a symlink to a root-owned directory holding files named like the pins
mkdir -m 0755 /tmp/victim
for f in control budgets_0 budgets_1 ops; do echo keep > "/tmp/victim/$f"; done
as_nobody ln -s /tmp/victim "$PIN" || fail "uid $NOBODY cannot create a symlink in bpffs"
snapshot "$PIN" > /tmp/before; snapshot /tmp/victim >> /tmp/before
loader_refuses "$PIN is a symlink owned by uid $NOBODY"
cli_says 2 "$PIN is a symlink owned by uid $NOBODY"
stop_scx_slo
snapshot "$PIN" > /tmp/after; snapshot /tmp/victim >> /tmp/after
cmp -s /tmp/before /tmp/after || { diff /tmp/before /tmp/after; fail "the symlink or its target changed"; }
rm "$PIN"

# 2. a map of another value size pinned at the directory's path itself
as_nobody bpftool map create "$PIN" type hash key 8 value 4 entries 4 name x ||
	fail "uid $NOBODY cannot pin a map in bpffs"
snapshot "$PIN" > /tmp/before; bpftool map show pinned "$PIN" >> /tmp/before
loader_refuses "$PIN is a file owned by uid $NOBODY"
cli_says 2 "$PIN is a file owned by uid $NOBODY"
stop_scx_slo
snapshot "$PIN" > /tmp/after; bpftool map show pinned "$PIN" >> /tmp/after
cmp -s /tmp/before /tmp/after || { diff /tmp/before /tmp/after; fail "the planted map changed"; }
rm "$PIN"

# 3. the user's own directory, with a control map of another value size
as_nobody mkdir -m 0777 "$PIN" || fail "uid $NOBODY cannot create a directory in bpffs"
as_nobody bpftool map create "$PIN/control" type array key 4 value 64 entries 1 name slo_control ||
	fail "uid $NOBODY cannot pin a map in its directory"
snapshot "$PIN" > /tmp/before; bpftool map dump pinned "$PIN/control" >> /tmp/before
loader_refuses "$PIN is owned by uid $NOBODY, not root"
cli_says 2 "$PIN is owned by uid $NOBODY, not root"
stop_scx_slo
snapshot "$PIN" > /tmp/after; bpftool map dump pinned "$PIN/control" >> /tmp/after
cmp -s /tmp/before /tmp/after || { diff /tmp/before /tmp/after; fail "the user's directory changed"; }
rm -r "$PIN"

# 4. root's directory left world-writable, a user's map planted in it as
# control: the loader makes it 0700 first, then replaces the planted pin
mkdir -m 0777 "$PIN"
as_nobody bpftool map create "$PIN/control" type array key 4 value 64 entries 1 name slo_control ||
	fail "uid $NOBODY cannot pin a map in a 0777 directory"
start_scx_slo --slo /web=5ms
# the planted control counts as pinned: wait for the loader's own
_n=100
while [ "$(stat -c %u "$PIN/control" 2> /dev/null)" != 0 ]; do
	[ $_n -gt 0 ] || fail "$PIN/control is still uid $NOBODY's 10 s after attaching"
	usleep 100000
	_n=$((_n - 1))
done
[ "$(stat -c '%a %u' "$PIN")" = "700 0" ] || fail "$PIN is $(stat -c '%a %u' "$PIN"), want 700 0"
[ "$(stat -c '%u' "$PIN/control")" = 0 ] || fail "$PIN/control is still uid $NOBODY's"
! grep -q warning "$ERR" || fail "warning from the loader: $(grep warning "$ERR")"
[ "$(scx_slo slo get /web)" = "/web: budget 5ms" ] || fail "slo get /web: '$(scx_slo slo get /web)'"
as_nobody bpftool map create "$PIN/evil" type hash key 8 value 4 entries 4 name x 2> /dev/null &&
	fail "uid $NOBODY pinned a map in $PIN"
as_nobody ln -s /tmp/victim "$PIN/x" 2> /dev/null && fail "uid $NOBODY made a symlink in $PIN"

# 5. SIGKILL: the pins stay, naming a scheduler that is gone
old_ops=$(bpftool map show pinned "$PIN/ops" | sed -n '1s/^\([0-9]*\):.*/\1/p')
[ -n "$old_ops" ] || fail "no struct_ops map pinned at $PIN/ops"
kill -KILL "$SCX_PID"
wait "$SCX_PID" 2> /dev/null
wait_state disabled 100 || fail "state is $(sched_state) 10 s after SIGKILL"
[ -e "$PIN/control" ] || fail "no stale pins after SIGKILL (test premise)"
cli_says 8 "no scx_slo scheduler is running (the pins in $PIN were left by one that is gone"
scx_slo slo set /web 1ms 2> /tmp/cli.err
rc=$?
[ "$rc" -eq 8 ] || fail "slo set over stale pins: exit $rc, want 8"

# the next loader removes them and pins its own
start_scx_slo --slo /web=7ms
# stale pins are all gone before the first new one (ops, control last)
_n=100
while :; do
	new_ops=$(bpftool map show pinned "$PIN/ops" 2> /dev/null | sed -n '1s/^\([0-9]*\):.*/\1/p')
	[ -n "$new_ops" ] && [ "$new_ops" != "$old_ops" ] && [ -e "$PIN/control" ] && break
	[ $_n -gt 0 ] || fail "ops pin: map '$new_ops' 10 s after attaching, was $old_ops"
	usleep 100000
	_n=$((_n - 1))
done
! grep -q warning "$ERR" || fail "warning from the loader: $(grep warning "$ERR")"
[ "$(scx_slo slo get /web)" = "/web: budget 7ms" ] || fail "slo get /web: '$(scx_slo slo get /web)'"
bpftool map show id "$old_ops" > /dev/null 2>&1 && fail "the killed scheduler's struct_ops map $old_ops is still alive"
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || fail "exit status $SCX_RC"
[ ! -e "$PIN" ] || fail "$PIN left after a clean stop: $(ls -A "$PIN")"
cli_says 8 "no scx_slo scheduler is running (nothing pinned at $PIN)"
log "all refused, nothing changed"
