# bench/summary-md.jq: summary.md from results.json (jq -r -f).

def fixed($d):
  if . == null then "–"
  else (if . < 0 then "-" else "" end) as $sign
    | (if . < 0 then -. else . end) * pow(10; $d) | round as $n
    | ($n / pow(10; $d) | floor) as $i
    | if $d == 0 then "\($sign)\($i)"
      else ($n - $i * pow(10; $d) | tostring) as $f
        | "\($sign)\($i).\(if ($f | length) < $d then "0" * ($d - ($f | length)) else "" end)\($f)"
      end
  end;
# "0.59 [0.55..0.63]" from {median, min, max, n}
def cell($d): if . == null then "–"
  elif .n > 1 then "\(.median | fixed($d)) [\(.min | fixed($d))..\(.max | fixed($d))]"
  else .median | fixed($d) end;
def pct_cell: if . == null then "–"
  elif .n > 1 then "\(.median * 100 | fixed(3))% [\(.min * 100 | fixed(3))..\(.max * 100 | fixed(3))]"
  else "\(.median * 100 | fixed(3))%" end;
def row($cells): "| " + ($cells | join(" | ")) + " |";
def sep($n): "|" + ("---|" * $n);
def lbl: {idle: "idle floor (workload alone)", fifo: "SCHED_FIFO floor (wakeup probe)",
             default: "default scheduler", scx_slo: "scx_slo", single_dsq: "scx_slo --single-dsq",
             peer: "peer"}[.] // .;
def pcts: ["p50", "p90", "p99", "p999"];
def pname: {p50: "p50", p90: "p90", p99: "p99", p999: "p99.9"}[.];

. as $R
| ($R.machine) as $m
| [($R.settings.peers // [])[].name] as $peers
| [
  "# scx_slo benchmark",
  "",
  "- Date: \($R.date) (\($R.wall_s) s)",
  "- Command: `\($R.command)`",
  "- Mode: \($R.mode)" + (if $R.mode == "vm" then " (QEMU test VM, \($m.accel // "tcg"); \($m.qemu // ""))" else "" end),
  "- Machine: \($m.cpu), \($m.cpus) CPUs, \($m.mem_gib) GiB, \($m.os), kernel \($m.kernel)",
  "- Kernels measured: " + ([$R.presets[] | "\(.preset): \(.info.kernel // "?")"] | join(", ")),
  "- Settings: \($R.settings.reps) repetition(s), \($R.settings.duration_s) s runs (>= \($R.settings.min_samples) samples, up to 3x longer), slo_probe at \(if $R.settings.rate == 0 then "full speed" else "\($R.settings.rate) requests/s" end) (\([$R.presets[] | "\(.preset): `\(.info.probe_args // "")`"] | join(", "))), budget \($R.settings.budget) for the workload cgroup, `\($R.presets[0].info.stress // "stress-ng --cpu N" | sub("--cpu [0-9]+"; "--cpu <CPUs>"))` in a default-budget cgroup"
    + (if $R.settings.cyclictest then ", cyclictest (SCHED_OTHER)" else "" end)
    + (if $R.settings.schbench then ", schbench \($R.settings.schbench)" else "" end)
    + (if $R.settings.hackbench then ", hackbench `\($R.settings.hackbench)` after each scheduler's run" else "" end)
    + (if ($R.settings.peers // []) != [] then ", peers: " + ([$R.settings.peers[] | "\(.name) (`\(.command)`)"] | join(", ")) else "" end),
  ([($R.settings.peers // [])[] | select(.origin != "--peer")] as $kp
   | if $kp != [] then
       "- Peers from the kernel's own tools/sched_ext, with their default options: \([$kp[].name] | join(", ")), built from \($kp[0].origin)"
     else empty end),
  "",
  (if $R.mode == "vm" then
    "The VM is emulated (QEMU TCG, no KVM; its vCPUs share the host's cores), so absolute latencies mean little: only ratios between runs of the same boot do. Every ratio below is taken within one repetition, then summarised as median [min..max] across repetitions.\n"
   else "Every ratio below is taken within one repetition, then summarised as median [min..max] across repetitions.\n" end),
  (if ($R.missing | length) > 0 then "**Missing runs** (no result line): \($R.missing | join(", "))\n" else empty end),
  "## Ratios",
  "",
  ($R.summary.presets[] as $P
   | $P.runs as $runs
   | ([ "default", "scx_slo", "single_dsq" ] + $peers | map(select($runs[.] != null))) as $scheds
   | "### \($P.preset): \($P.kernel // "?"), \($P.nproc // "?") CPUs, \($P.llcs // "?") LLCs, \($P.reps) repetition(s)",
     "",
     "Against the default scheduler (latency: lower is better; throughput: higher is better):",
     "",
     row(["run"] + [pcts[] | "request \(pname)"] + [pcts[] | "wakeup \(pname)"] + ["throughput"]),
     sep(10),
     ([ "scx_slo", "single_dsq" ] + $peers + [ "idle", "fifo" ] | .[] | select($runs[.] != null) | . as $s
      | $runs[$s].vs_default as $v
      | row([$s | lbl]
          + [pcts[] | if $s == "fifo" then "–" else $v["request_\(.)"] | cell(2) end]
          + [pcts[] | $v["wakeup_\(.)"] | cell(2)]
          + [if $s == "idle" then "–" else $v.throughput | cell(3) end])),
     "",
     "Against the floors: request latency / the workload alone on the idle machine; wakeup latency / the wakeup probe at SCHED_FIFO under the same saturation:",
     "",
     row(["run"] + [pcts[] | "request \(pname) / idle"] + [pcts[] | "wakeup \(pname) / FIFO"]),
     sep(9),
     ($scheds[] as $s
      | row([$s | lbl]
          + [pcts[] | $runs[$s].vs_idle_floor["request_\(.)"] | cell(2)]
          + [pcts[] | $runs[$s].vs_fifo_floor["wakeup_\(.)"] | cell(2)])),
     "",
     (if $runs.scx_slo.vs_single_dsq then
       "Per-LLC queues against one global queue (scx_slo / scx_slo --single-dsq): request p99 \($runs.scx_slo.vs_single_dsq.request_p99 | cell(2)), wakeup p99 \($runs.scx_slo.vs_single_dsq.wakeup_p99 | cell(2)), throughput \($runs.scx_slo.vs_single_dsq.throughput | cell(3)).\n"
      else empty end),
     "Deadline misses (scx_slo's own counters: a run that starts later than its budget after it was queued):",
     "",
     row(["scheduler", "workload cgroup (budget \($R.settings.budget))", "batch cgroup (default budget)"]),
     sep(3),
     # and any peer that is another scx_slo build (bench/vm/bench.sh)
     ((([ "scx_slo", "single_dsq" ][]), ($runs | keys_unsorted[] | select(IN("scx_slo", "single_dsq") | not)))
      | select($runs[.].abs.miss_web != null) | . as $s
      | row([$s | lbl, ($runs[$s].abs.miss_web | pct_cell), ($runs[$s].abs.miss_batch | pct_cell)])),
     "",
     (if any($runs[]; .abs.cyclictest_p99 or .abs.schbench_request_p99) then
       "Other workloads, p99 against the default scheduler:",
       "",
       row(["run", "cyclictest p99", "schbench request p99", "schbench wakeup p99"]),
       sep(4),
       ($scheds[] | select(. != "default") as $s
        | row([$s | lbl, ($runs[$s].vs_default.cyclictest_p99 | cell(2)),
               ($runs[$s].vs_default.schbench_request_p99 | cell(2)),
               ($runs[$s].vs_default.schbench_wakeup_p99 | cell(2))])),
       ""
      else empty end),
     (if any($runs[]; .abs.messaging_s) then
       "Messaging: hackbench `\($R.settings.hackbench // "")` alone once the load is gone, every task in the default budget (time: lower is better):",
       "",
       row(["run", "seconds", "against the default scheduler", "against scx_simple"]),
       sep(4),
       ($scheds[] as $s
        | row([$s | lbl, ($runs[$s].abs.messaging_s | cell(3)),
               ($runs[$s].vs_default.messaging_s | cell(2)),
               ($runs[$s].vs_scx_simple.messaging_s | cell(2))])),
       ""
      else empty end)
  ),
  "## Targets (issue 7; reported, not asserted)",
  "",
  row(["target", "preset", "measured (median)", "target", "met"]),
  sep(5),
  ($R.summary.targets[]
   | row([.target, .preset,
          (if .value == null then "–" elif (.target | test("miss")) then "\(.value * 100 | fixed(3))%" elif (.target | test("throughput")) then .value | fixed(3) else .value | fixed(2) end),
          (if (.target | test("miss")) then "\(.op) \(.limit * 100 | fixed(1))%" else "\(.op) \(.limit)" end),
          (if .met == null then "no data" elif .met then "yes" else "**no**" end)])),
  "",
  "## Absolute values (medians across repetitions, microseconds; throughput in bogo ops/s)",
  "",
  ($R.summary.presets[] as $P
   | "### \($P.preset)",
     "",
     row(["run"] + [pcts[] | "request \(pname)"] + [pcts[] | "wakeup \(pname)"] + ["samples", "throughput"]),
     sep(11),
     ([ "idle", "fifo", "default", "scx_slo", "single_dsq" ] + $peers | .[] | select($P.runs[.] != null) | . as $s
      | $P.runs[$s].abs as $a
      | row([$s | lbl]
          + [pcts[] | $a["request_\(.)"].median | fixed(0)]
          + [pcts[] | $a["wakeup_\(.)"].median | fixed(0)]
          + [($a.samples.median | fixed(0)), ($a.throughput.median | fixed(0))])),
     ""),
  "Raw percentiles of every run: results.json (`.presets[].runs[]`)."
  ]
| .[]
