#!/usr/bin/env bash
# bench/plot.sh RESULTS.json OUT.png: latency percentiles per scheduler and
# batch throughput beside them, one row per preset (gnuplot, jq).
#
# Bars are medians across repetitions, whiskers min..max.  Left: request
# latency (wakeup to the end of ~1 ms of CPU work); middle: wakeup latency;
# right: stress-ng bogo ops/s.  Latency axes are logarithmic.
set -euo pipefail
results=$1 png=$2
command -v gnuplot > /dev/null || { echo "plot: gnuplot is not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

presets=$(jq -r '.summary.presets[].preset' "$results")
[ -n "$presets" ] || { echo "plot: no presets in $results" >&2; exit 1; }
rows=0
for p in $presets; do
	rows=$((rows + 1))
	# NAME then (median min max) per column; "-" is missing
	jq -r --arg p "$p" '
		def v($s): if . == null then "- - -" else "\(.median) \(.min) \(.max)" end;
		def name: {idle: "idle floor", fifo: "FIFO floor", default: "default",
		           scx_slo: "scx_slo", single_dsq: "single-dsq"}[.] // .;
		[(.settings.peers // [])[].name] as $peers
		| (.summary.presets[] | select(.preset == $p) | .runs) as $r
		| ["idle", "fifo", "default", "scx_slo", "single_dsq"] + $peers | .[]
		| select($r[.] != null) as $s
		| $r[$s].abs as $a
		| "\"\($s | name)\" "
		  + ([("p50", "p90", "p99", "p999") | . as $q
		      | if $s == "fifo" then "- - -" else $a["request_\($q)"] | v($s) end] | join(" ")) + " "
		  + ([("p50", "p90", "p99", "p999") | $a["wakeup_\(.)"] | v($s)] | join(" "))' \
		"$results" > "$work/lat-$p.dat"
	jq -r --arg p "$p" '
		def name: {default: "default", scx_slo: "scx_slo", single_dsq: "single-dsq"}[.] // .;
		[(.settings.peers // [])[].name] as $peers
		| (.summary.presets[] | select(.preset == $p) | .runs) as $r
		| ["default", "scx_slo", "single_dsq"] + $peers | .[]
		| select($r[.].abs.throughput != null) as $s
		| $r[$s].abs.throughput as $t
		| "\"\($s | name)\" \($t.median) \($t.min) \($t.max)"' "$results" > "$work/thr-$p.dat"
	jq -r --arg p "$p" '.summary.presets[] | select(.preset == $p)
		| "\(.preset): \(.kernel // "?"), \(.nproc // "?") CPUs, \(.reps) rep(s)"' \
		"$results" > "$work/title-$p.txt"
done

term="pngcairo size 1500,$((400 * rows)) font 'sans,10'"
echo 'set terminal' | gnuplot 2>&1 | grep -q pngcairo || term="png size 1500,$((400 * rows))"
{
	echo "set terminal $term"
	echo "set output '$png'"
	echo "set termoption noenhanced"
	echo "set datafile missing '-'"
	echo "set multiplot layout $rows,3"
	echo "set style data histogram"
	echo "set style histogram errorbars gap 1 lw 1"
	echo "set style fill solid 0.8 border -1"
	echo "set key top left"
	echo "set grid ytics"
	echo "set xtics rotate by -20"
	for p in $presets; do
		title=$(cat "$work/title-$p.txt")
		echo "set logscale y"
		echo "set ylabel 'microseconds (log)'"
		echo "set title 'request latency, $title'"
		echo "plot '$work/lat-$p.dat' using 2:3:4:xtic(1) title 'p50', '' using 5:6:7 title 'p90', '' using 8:9:10 title 'p99', '' using 11:12:13 title 'p99.9'"
		echo "set title 'wakeup latency, $title'"
		echo "plot '$work/lat-$p.dat' using 14:15:16:xtic(1) title 'p50', '' using 17:18:19 title 'p90', '' using 20:21:22 title 'p99', '' using 23:24:25 title 'p99.9'"
		echo "unset logscale y"
		echo "set ylabel 'bogo ops/s'"
		echo "set yrange [0:*]"
		echo "set title 'batch throughput (stress-ng), $p'"
		echo "plot '$work/thr-$p.dat' using 2:3:4:xtic(1) title 'bogo ops/s' lc rgb '#4a7f3f'"
		echo "set autoscale y"
	done
	echo "unset multiplot"
} > "$work/plot.gp"
gnuplot "$work/plot.gp"
