# RT and deadline tasks never get the scheduler ejected (rule 7).  A
# SCHED_FIFO busy loop takes CPU 1 for 15 s while sched_ext tasks are queued
# there: two hogs pinned to CPU 1 and two free to run anywhere.  The kernel
# calls ops.cpu_release when the RT task takes the CPU; what waited in its
# local DSQ is re-queued, the free hogs move on, and the pinned ones, which
# can run nowhere else, must not trip the watchdog.
#
# Whether they can is the kernel's call: from 7.0 on, the ext DL server
# (rq->ext_server) gives sched_ext tasks a share of a CPU an RT task
# monopolises, and then the scheduler must stay attached, with no error
# exit.  Before it, nothing a BPF scheduler does lets a task pinned under
# an RT hog run, so a hog longer than the watchdog ejects every sched_ext
# scheduler; there the test holds scx_slo to what it can do: an RT hog
# shorter than the watchdog (5 s of 10) costs nothing, and the 15 s one
# ends in a clean, reported ERROR_STALL with the kernel's debug dump,
# every task back on the fair scheduler.
[ "$(nproc)" -ge 2 ] || fail "needs 2 CPUs, have $(nproc)"
if bpftool btf dump file /sys/kernel/btf/vmlinux | grep -q "'ext_server' type_id"; then
	ext_server=1 hog_s=15
else
	ext_server=0 hog_s=5
fi
log "ext DL server: $ext_server; RT hog for ${hog_s} s"

start_scx_slo
pinned= free=
for i in 1 2; do
	taskset -c 1 sh -c 'while :; do :; done' &
	pinned="$pinned $!"
	sh -c 'while :; do :; done' &
	free="$free $!"
done

# rt_hog SECONDS: SCHED_FIFO 50 on CPU 1; F0/F1 the free hogs' ticks
rt_hog() {
	chrt -f 50 taskset -c 1 sh -c 'while :; do :; done' &
	_rt=$!
	sleep 1
	chrt -p "$_rt" | grep -q FIFO || fail "the RT hog is not SCHED_FIFO: $(chrt -p "$_rt")"
	# shellcheck disable=SC2086 # one pid per word
	F0=$(cpu_ticks $free)
	sleep $(($1 - 1))
	# shellcheck disable=SC2086
	F1=$(cpu_ticks $free)
	kill "$_rt"
	wait "$_rt" 2>/dev/null || true
}

sleep 2
rt_hog "$hog_s"
log "free hogs got $((F1 - F0)) ticks in $((hog_s - 1)) s under the RT task"
[ $((F1 - F0)) -gt 0 ] || fail "the free hogs got no CPU while CPU 1 ran the RT task"
kill -0 "$SCX_PID" 2>/dev/null || fail "scx_slo exited while the RT task ran"
[ "$(sched_state)" = enabled ] && [ "$(sched_ops)" = slo ] || fail "scheduler no longer attached after the RT task"
# shellcheck disable=SC2086
p0=$(cpu_ticks $pinned)
sleep 3
# shellcheck disable=SC2086
p1=$(cpu_ticks $pinned)
log "pinned hogs got $((p1 - p0)) ticks in the 3 s after"
[ $((p1 - p0)) -gt 0 ] || fail "the pinned hogs did not run after the RT task"

if [ "$ext_server" = 0 ]; then
	# past the watchdog: the kernel ejects us; it must be clean and told
	rt_hog 15
	wait "$SCX_PID"
	SCX_RC=$?
	grep -q 'EXIT: ERROR_STALL' "$ERR" || fail "no ERROR_STALL reported after a 15 s RT hog (exit $SCX_RC)"
	[ "$SCX_RC" -eq 7 ] || fail "exit status $SCX_RC after the stall, want 7"
	grep -q '^scx_slo: dump: .*scx_slo: .* domains' "$ERR" || fail "the kernel's debug dump (with our ops.dump lines) was not printed"
	[ "$(sched_state)" = disabled ] || fail "state $(sched_state) after the ejection"
	# shellcheck disable=SC2086
	p0=$(cpu_ticks $pinned); sleep 2; p1=$(cpu_ticks $pinned)
	[ $((p1 - p0)) -gt 0 ] || fail "the pinned hogs did not run on the fair scheduler"
	log "15 s RT hog without an ext DL server: ERROR_STALL reported with $(grep -c '^scx_slo: dump:' "$ERR") dump lines; tasks back on the fair scheduler"
	# shellcheck disable=SC2086
	kill $pinned $free
	exit 0
fi
# shellcheck disable=SC2086
kill $pinned $free
stop_clean
log "$(final_global rt-requeues) tasks re-queued by cpu_release"
