# bench/shed.sh's summary.md from its results.json (jq -r).
def f($d): if . == null then "-" else (. * pow(10; $d) | round) / pow(10; $d) | tostring end;
def pct: if . == null then "-" else (. * 1000 | round) / 10 | tostring + "%" end;
def secs: if . == null then "never" else f(2) + " s" end;
def yn: if . then "yes" else "**no**" end;
"# Load shedding end to end (bench/shed.sh)",
"",
"\(.date): `\(.command)`, preset \(.preset), kernel \(.info.kernel // "?"), \(.info.nproc // "?") vCPUs (QEMU TCG on \(.machine.cpus) host CPUs, host load at the end \(.machine.loadavg_at_end)).",
"Service: \(.info.work // "?") of CPU a request, budget \(.info.budget // "?"), next to `\(.info.stress // "?")`; the proxy and the loader at cpu.weight \(.info.front_weight // 100) (the others 100) and budget \(.info.front_budget // "5ms")\(if .info.isolate_front then ", on CPU 0 with the generator, the service and the batch job on the other CPUs (`--isolate-front`)" else ", all sharing every CPU" end); capacity \(.info.capacity_rps | f(1)) requests/s\(if .info.capacity_basis == "throughput" then " (**no request was served within the budget during the ramp: this is the highest 2xx rate**)" else "" end)\(if .info.capacity_may_be_higher then " (the ramp's last step: may be higher)" else "" end); limit_conn \(.info.limit_conn // "?"); the loader's --shed-target \(.info.shed_target // "default (1%)").",
"",
"| arm | load | offered/s | goodput/s | of capacity | admitted p99 (ms) | 2xx p50 (ms) | shed | failed | client lag p99 (ms) | settle | service runs late | requests (bursts) late | shed signal max | limit min |",
"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
(.summary.arms[] | .arm as $a | .steps[] |
 "| \($a) | \(.ratio)x\(if .phase == "step" then "" else " (" + .phase + ")" end) | \(.offered_rps | f(1)) | \(.goodput_rps | f(1)) | \(.goodput_of_capacity | pct) | \(.admitted_p99_ms | f(1)) | \(.ok_p50_ms | f(1)) | \(.shed_frac | pct) | \(.errors) | \(.send_lag_p99_ms | f(1)) | \(.settle_s | secs) | \(.sched_miss_frac | pct) | \(.sched_late_burst_frac | pct) | \(.sched_shed_max | f(2)) | \(.sched_limit_min | if . == null then "-" elif . == 0 then "none" else tostring end) |"),
"",
"| arm | false sheds (0.5-0.9x) | shed at 0.9x | reaction 1.2 / 1.5 / 2 / 3 / 10x | recovery after the burst | p50 added by the hop (ms) | 2x, 3x goodput >= 90% | 2x, 3x p99 in budget | < 1% shed at 0.9x |",
"|---|---|---|---|---|---|---|---|---|",
(.summary.arms[] |
 "| \(.arm) | \(.false_shed_frac | pct) | \(.shed_frac_09 | pct) | \([.reaction_s[].settle_s | secs] | join(" / ")) | \(.recovery_s | secs) | \(.hop_p50_ms | f(2)) | \(.targets.goodput_2x_3x | yn) | \(.targets.p99_2x_3x | yn) | \(.targets.false_shed_09 | yn) |"),
"",
(if (.missing | length) > 0 then "**No result for: \(.missing | join(", "))** (see the console log).\n" else empty end),
"Service runs late: the share of the service's runs that started later than its budget after becoming runnable (the scheduler's counters); requests (bursts) late: the share of its bursts, wakeup to sleep (a request, for its thread-per-connection server), that spent longer than the budget runnable but not running; the shed signal is computed from the larger of the two.  Shed signal max: the loader's highest shed probability for the service in the step (the scheduler and haproxy arms act on it); limit min: the lowest concurrency limit it published (the haproxy arm sets it as the server's maxconn).",
"",
"Goodput: 2xx answers within the budget a second.  Admitted: not shed (a failed admitted request counts as the 2 s timeout).  Settle: from the step's start until 95% of admitted requests are in budget for 1 s.  Recovery: the same after the burst, with under 1% shed.  Every latency runs from the scheduled send time (open loop)."
