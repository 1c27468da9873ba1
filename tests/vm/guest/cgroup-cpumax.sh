# Rule 8: scx_slo enforces cgroup cpu.max as the kernel's fair scheduler
# does (CFS bandwidth control).  The kernel's default scheduler runs first,
# in this same boot, with scx_slo not loaded: its numbers are logged next
# to scx_slo's and not asserted.  The cgroups are made afresh for each
# scheduler, so under scx_slo every limit is set while it is attached
# (ops.cgroup_set_bandwidth on 6.17+, the loader's cgroupfs reading before).
#
#   (a) cpu.max "20000 100000", one hog pinned to CPU 1: it uses 0.20 of a
#       CPU +-10% over 6 s
#   (b) cpu.max "150000 100000", 4 hogs free on the 4 vCPUs: 1.5 CPUs +-10%
#   (c) the same cgroup set to "max 100000" while they run: after 1 s the
#       hogs are back at full speed, at least 3.5 CPUs over the next 2 s
#   (d) a tiny quota, "1000 1000000" (1 ms a second), 2 hogs pinned to CPU
#       1, measured over 12 s after 1.5 s, longer than the 10 s watchdog:
#       scx_slo stays attached (parked tasks must not stall into a
#       watchdog ejection) and they get at most 150 ms of CPU
# and scx_slo's final stats count the throttles ("throttles N").
#
# (d)'s bound: each run overruns the quota by up to a tick (4 ms at
# HZ=250), and scx_slo forgives debt beyond what the quotas of half its
# park limit repay (1 ms here), so each hog runs about one tick every two
# 1 s periods: 2 x 6 x 4 = 48 ms (7.3.4: 47.7 ms; the default scheduler
# keeps all debt: 8-21 ms).  3x that for ticks stretched by emulation.
# Before a throttled task alone on its CPU was parked (SCX_OPS_ENQ_LAST)
# scx_slo gave 0.9-8.2 s here.  The 1.5 s before the window let the
# loader's cgroupfs walk (each second, kernels before 6.17) find the new
# limit: until it does a new cgroup runs unlimited, as README says.
#
# +-10% relative: a 6 s window holds 60 periods of 100 ms, so where the
# window's edges fall within a period moves the result by at most one
# period's quota (20 or 150 ms, 1.7% of the budget); the rest is the
# emulated vCPUs' noise (a descheduled vCPU thread still charges the
# running hog) and the guest's own tasks, which here compete with 4
# unpinned hogs.  (c) wants 3.5 of 4 CPUs because the test's shell and the
# loader run on the same 4 vCPUs.  The default scheduler, 6.12 and 7.3
# alike: (a) 0.194-0.202, (b) 1.48-1.51, (c) 3.77-4.00 CPUs, (d) 8-21 ms.
WINDOW=6
TOL=0.10

part_a() { # SCHED
	cg_mk "$1-max20"
	cg_max "$1-max20" "20000 100000"
	hog lim "$1-max20"
	measure 1 "$WINDOW"
	hogs_stop
	result a "$1" "$(used_cpus lim)"
	log "$1 (a): $(grep throttled "$CG/$1-max20/cpu.stat" | tr '\n' ' ')"
}

part_bc() { # SCHED
	cg_mk "$1-max150"
	cg_max "$1-max150" "150000 100000"
	for _i in 1 2 3 4; do hog lim "$1-max150" any; done
	measure 1 "$WINDOW"
	result b "$1" "$(used_cpus lim)"
	cg_max "$1-max150" "max 100000"
	measure 1 2
	result c "$1" "$(used_cpus lim)"
	hogs_stop
}

part_d() { # SCHED
	cg_mk "$1-tiny"
	cg_max "$1-tiny" "1000 1000000"
	hog tiny "$1-tiny"
	hog tiny "$1-tiny"
	measure 1.5 12
	hogs_stop
	result d "$1" "$(awk '$1 == "tiny" { printf "%.1f", $2 / 1e6 }' /tmp/used)"
	log "$1 (d): $(grep throttled "$CG/$1-tiny/cpu.stat" | tr '\n' ' ')"
}

for S in default slo; do
	if [ "$S" = slo ]; then
		start_scx_slo
	fi
	part_a "$S"
	[ "$S" = default ] || slo_attached "after part (a)"
	part_bc "$S"
	[ "$S" = default ] || slo_attached "after parts (b) and (c)"
	part_d "$S"
	if [ "$S" = slo ]; then
		slo_attached "after 12 s of a 1 ms/1 s quota (d)"
		stop_clean check_fail
		log "scx_slo final: $(grep '^runs' "$OUT" | tail -n 1)"
		result throttles slo "$(final_global throttles)"
	fi
done

log "(a) cpu.max 20000/100000, 1 hog, CPUs used: default $(res a default), scx_slo $(res a slo) (want 0.20 +-10%)"
log "(b) cpu.max 150000/100000, 4 hogs, CPUs used: default $(res b default), scx_slo $(res b slo) (want 1.5 +-10%)"
log "(c) cpu.max max, 4 hogs, CPUs used 1-3 s after: default $(res c default), scx_slo $(res c slo) (want >= 3.5)"
log "(d) cpu.max 1000/1000000, 2 hogs, CPU ms in 12 s: default $(res d default), scx_slo $(res d slo) (the quota allows about 12 ms; want <= 150)"
log "scx_slo throttles counted: $(res throttles slo) (want > 0)"

check_near "(a) scx_slo CPUs under 20000/100000" "$(res a slo)" 0.20 "$TOL"
check_near "(b) scx_slo CPUs under 150000/100000" "$(res b slo)" 1.5 "$TOL"
check_range "(c) scx_slo CPUs 1 s after cpu.max max" "$(res c slo)" 3.5 4.2
check_range "(d) scx_slo CPU ms under 1000/1000000 in 12 s" "$(res d slo)" 0 150
check_range "(d)/final stats: scx_slo throttles" "$(res throttles slo)" 1 1e18
checks_done
