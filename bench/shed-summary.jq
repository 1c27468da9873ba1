# bench/shed.sh's results.json: the raw per-arm summaries of bench/openloop,
# with per arm what issue 17 asks for, computed from them:
#   steps[]          each step with its load ratio, goodput as a share of
#                    the capacity, and the scheduler's view of the service
#                    (sched_miss_frac: its runs that started later than the
#                    budget; sched_late_burst_frac: its bursts, wakeup to
#                    sleep, that waited longer than the budget in all;
#                    sched_shed_max: the loader's highest shed probability;
#                    sched_limit_min: its lowest concurrency limit, 0 for
#                    none), from the guest's once-a-second sampler
#   false_shed_frac  shed share of the 0.5x and 0.9x steps (before any overload)
#   reaction_s       per overload step (1.2x to 10x), settle_s: from the
#                    step's start until admitted requests are back in
#                    budget (null: never within the step)
#   recovery_s       the 0.5x step after the burst, clear_s: until requests
#                    are in budget and nothing is shed again
#   hop_p50_ms       the p50 of 2xx answers at 0.5x minus its baseline's:
#                    what the admission adds (the haproxy arm's baseline is
#                    haproxy_none when it ran, else, like every arm's, none)
#   targets          issue 17's: at 2x and 3x goodput >= 90% of capacity and
#                    admitted p99 within the budget; under 1% shed at 0.9x
# and "missing": the arms asked for that have no result.
def nz: if . == 0 then 1 else . end;
# the 2xx p50 at 0.5x of arm $a, null when it did not run
def base_p50($arms; $a): [$arms[] | select(.arm == $a) | .report.steps[0].ok_p50_ms] | first // null;
. as $r
| ($r.info.capacity_rps // null) as $cap
| ($r.info.ratios // [0.5, 0.9, 1.2, 1.5, 2, 3, 10, 0.5]) as $ratios
| .missing = [$r.arms_asked[] | . as $a | select([$r.arms[].arm] | index($a) | not)]
| .summary = {
    capacity_rps: $cap,
    arms: [$r.arms[] |
      (.budget_s * 1000) as $b
      | (.signal // []) as $sig
      | [.report.steps | to_entries[] | .value + {
          sched_miss_frac: ($sig[.key] | if . == null or .runs == 0 then null else .misses / .runs end),
          sched_late_burst_frac: ($sig[.key] | if . == null or (.bursts // 0) == 0 then null else .late_bursts / .bursts end),
          sched_shed_max: ($sig[.key].shed_probability_max // null),
          sched_limit_min: ($sig[.key].concurrency_limit_min // null),
          ratio: $ratios[.key],
          phase: (if .key == 6 then "burst" elif .key == 7 then "after burst" else "step" end),
          goodput_of_capacity: (if $cap then .value.goodput_rps / $cap else null end)}] as $s
      | {arm, budget_ms: $b, steps: $s,
         false_shed_frac: (([$s[0:2][].shed] | add) / ([$s[0:2][].scheduled] | add | nz)),
         shed_frac_09: $s[1].shed_frac,
         reaction_s: [$s[2:7][] | {ratio, settle_s}],
         recovery_s: $s[7].clear_s,
         hop_p50_ms: ((if .arm == "haproxy" then base_p50($r.arms; "haproxy_none") // base_p50($r.arms; "none")
                       else base_p50($r.arms; "none") end) as $base
                      | if .arm == "none" or .arm == "haproxy_none" or $base == null or $s[0].ok_p50_ms == null
                        then null else $s[0].ok_p50_ms - $base end),
         targets: {
           goodput_2x_3x: ($cap != null and ([$s[4,5].goodput_rps] | all(. >= 0.9 * $cap))),
           p99_2x_3x: ([$s[4,5].admitted_p99_ms] | all(. != null and . <= $b)),
           false_shed_09: ($s[1].shed_frac < 0.01)}}]
  }
