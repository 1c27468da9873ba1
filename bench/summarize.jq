# bench/summarize.jq: adds .missing and .summary to bench/run.sh's raw
# results (jq -f summarize.jq raw.json).
#
# Every ratio is taken within one repetition (same boot, neighbouring runs),
# then summarised across repetitions as {median, min, max, n}:
#   vs_default     a run's value / the default scheduler's
#   vs_idle_floor  request latency / the workload alone on the idle machine
#   vs_fifo_floor  wakeup latency / the wakeup-only probe at SCHED_FIFO
#   vs_single_dsq  scx_slo's value / scx_slo --single-dsq's (per-LLC)
#   vs_scx_simple  scx_slo's and --single-dsq's value / scx_simple's (--peers)

def stats:
  map(select(. != null)) | sort | length as $n
  | if $n == 0 then null
    else {median: (if $n % 2 == 1 then .[($n - 1) / 2] else (.[$n / 2 - 1] + .[$n / 2]) / 2 end),
          min: .[0], max: .[-1], n: $n}
    end;

def pcts: ["p50", "p90", "p99", "p999"];

# the runs of each repetition: the built-in five, then the peers (--peers,
# --peer) by the names bench/run.sh gave them
def entries($settings): ["idle", "fifo", "default", "scx_slo", "single_dsq"] + [($settings.peers // [])[].name];

# a run's miss ratio for the cgroup PATH (scx_slo's own counters)
def miss($path): if .misses == null then null
  else ([.misses[] | select(.cgroup == $path) | .miss_ratio] | first) end;

# the metrics a run is summarised by, as a flat object
def metrics($info):
  . as $r
  | (reduce pcts[] as $p ({}; . + {("request_\($p)"): $r.probe.request_us[$p],
                                     ("wakeup_\($p)"): $r.probe.wakeup_us[$p]}))
  + {samples: $r.probe.request_us.samples,
     throughput: $r.throughput.bogo_ops_per_s,
     miss_web: ($r | miss($info.web_cgroup // "/scx-bench-web")),
     miss_batch: ($r | miss($info.batch_cgroup // "/scx-bench-batch"))}
  + (if $r.messaging then {messaging_s: $r.messaging.seconds} else {} end)
  + (if $r.cyclictest then {cyclictest_p99: $r.cyclictest.p99} else {} end)
  + (if $r.schbench then {schbench_request_p99: $r.schbench.request_us.p99,
                          schbench_wakeup_p99: $r.schbench.wakeup_us.p99} else {} end);

def ratio_keys: [pcts[] | "request_\(.)", "wakeup_\(.)"] + ["throughput", "messaging_s", "cyclictest_p99",
  "schbench_request_p99", "schbench_wakeup_p99"];

def summarize_preset($names):
  . as $P
  | ($P.info // {}) as $info
  | [$P.runs[] | {rep, sched, m: metrics($info)}] as $runs
  | ([$runs[].rep] | unique) as $reps
  # value of metric K for scheduler S in repetition R
  | def val($s; $r; $k): ([$runs[] | select(.sched == $s and .rep == $r) | .m[$k]] | first);
    def ratio_stats($s; $base; $keys):
      reduce $keys[] as $k ({};
        . + {($k): ([$reps[] as $r | val($s; $r; $k) as $a | val($base; $r; $k) as $b
                     | if ($a != null and $b != null and $b > 0) then $a / $b else null end] | stats)});
    def abs_stats($s):
      ([$runs[] | select(.sched == $s) | .m | keys[]] | unique) as $keys
      | reduce $keys[] as $k ({}; . + {($k): ([$runs[] | select(.sched == $s) | .m[$k]] | stats)});
  {preset: $P.preset, kernel: $info.kernel, nproc: $info.nproc, llcs: $info.llcs,
   reps: ($reps | length),
   runs: (reduce $names[] as $s ({};
     if any($runs[]; .sched == $s) | not then . else
     . + {($s): ({abs: abs_stats($s)}
        + (if $s != "default" then {vs_default: ratio_stats($s; "default"; ratio_keys)} else {} end)
        + (if ($s | IN("idle", "fifo")) | not then
             {vs_idle_floor: ratio_stats($s; "idle"; [pcts[] | "request_\(.)"]),
              vs_fifo_floor: ratio_stats($s; "fifo"; [pcts[] | "wakeup_\(.)"])}
           else {} end)
        + (if $s == "scx_slo" then {vs_single_dsq: ratio_stats($s; "single_dsq"; ratio_keys)} else {} end)
        + (if ($s | IN("scx_slo", "single_dsq")) and any($runs[]; .sched == "scx_simple") then
             {vs_scx_simple: ratio_stats($s; "scx_simple"; ratio_keys)} else {} end))}
     end))};

# issue 7, item 6: targets to report against (not assertions)
def targets($S):
  def med(f): (f // null) | if . == null then null else .median end;
  def row($what; $preset; $value; $op; $limit):
    {target: $what, preset: $preset, value: $value, op: $op, limit: $limit,
     met: (if $value == null then null elif $op == "<=" then $value <= $limit else $value >= $limit end)};
  ([$S[] | select(.preset == "2s1c" or .preset == "host")] | first) as $lat
  | ([$S[] | select(.preset == "2s2l2c")] | first) as $llc
  | ($lat.runs.scx_slo // {}) as $slo
  | [ row("request p99 vs default scheduler"; $lat.preset; med($slo.vs_default.request_p99); "<="; 0.4),
      row("request p99 vs idle floor"; $lat.preset; med($slo.vs_idle_floor.request_p99); "<="; 1.5),
      row("wakeup p99 vs SCHED_FIFO floor"; $lat.preset; med($slo.vs_fifo_floor.wakeup_p99); "<="; 1.1),
      row("batch throughput vs default scheduler"; $lat.preset; med($slo.vs_default.throughput); ">="; 0.95),
      row("miss ratio of the budgeted cgroup"; $lat.preset; med($slo.abs.miss_web); "<="; 0.001),
      (if $llc then
        row("per-LLC request p99 vs --single-dsq"; "2s2l2c"; med($llc.runs.scx_slo.vs_single_dsq.request_p99); "<="; 1.0),
        row("per-LLC wakeup p99 vs --single-dsq"; "2s2l2c"; med($llc.runs.scx_slo.vs_single_dsq.wakeup_p99); "<="; 1.0),
        row("per-LLC throughput vs --single-dsq"; "2s2l2c"; med($llc.runs.scx_slo.vs_single_dsq.throughput); ">="; 1.0)
       else empty end),
      # issue 14: hackbench time (lower is better), on the preset that has it
      (([$S[] | select(.runs.scx_slo.vs_default.messaging_s)] | last) as $msg
       | if $msg then
           row("messaging time vs default scheduler"; $msg.preset; med($msg.runs.scx_slo.vs_default.messaging_s); "<="; 1.3),
           (if $msg.runs.scx_slo.vs_scx_simple then
              row("messaging time vs scx_simple"; $msg.preset; med($msg.runs.scx_slo.vs_scx_simple.messaging_s); "<="; 1.0)
            else empty end)
         else empty end) ];

. as $all
| entries($all.settings) as $names
| .missing = [.presets[] as $P | range(1; $all.settings.reps + 1) as $r | $names[] as $s
              | select(any($P.runs[]; .rep == $r and .sched == $s) | not)
              | "\($P.preset) rep \($r) \($s)"]
| .summary = ([.presets[] | summarize_preset($names)] as $S
              | {presets: $S, targets: targets($S)})
