#!/usr/bin/env bash
# bench/shed-plot.sh RESULTS.json OUT.png: bench/shed.sh's plot (gnuplot, jq).
#
# Left: goodput against offered load (the 0.5x to 3x steps), per arm, with
# the capacity.  Middle: p99 of admitted requests against offered load, with
# the budget (log scale).  Right: goodput over time in 250 ms windows, per
# arm, with the offered load.
set -euo pipefail
results=$1 png=$2
command -v gnuplot > /dev/null || { echo "shed-plot: gnuplot is not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

arms=$(jq -r '.summary.arms[].arm' "$results")
[ -n "$arms" ] || { echo "shed-plot: no arm has a result in $results" >&2; exit 1; }
cap=$(jq '.summary.capacity_rps' "$results")
budget=$(jq '.summary.arms[0].budget_ms' "$results")
for a in $arms; do
	# a failed step's p99 is absent: "-"
	jq -r --arg a "$a" '.summary.arms[] | select(.arm == $a) | .steps[0:6][]
		| "\(.offered_rps) \(.goodput_rps) \(.admitted_p99_ms // "-")"' "$results" > "$work/steps-$a.dat"
	jq -r --arg a "$a" '.arms[] | select(.arm == $a) | .report.windows as $w
		| range(0; $w.good | length) as $i
		| "\($i * $w.window_s) \($w.good[$i] / $w.window_s) \($w.scheduled[$i] / $w.window_s)"' \
		"$results" > "$work/win-$a.dat"
done
title=$(jq -r '"\(.preset), \(.info.kernel // "?"), capacity \(.summary.capacity_rps | . * 10 | round / 10)/s, budget \(.info.budget)"' "$results")

term="pngcairo size 1650,480 font 'sans,10'"
echo 'set terminal' | gnuplot 2>&1 | grep -q pngcairo || term="png size 1650,480"
{
	echo "set terminal $term"
	echo "set output '$png'"
	echo "set termoption noenhanced"
	echo "set datafile missing '-'"
	echo "set multiplot layout 1,3 title 'load shedding end to end: $title'"
	echo "set key top left"
	echo "set grid"
	echo "set xlabel 'offered requests/s'"
	echo "set ylabel 'goodput (2xx within budget)/s'"
	echo "set title 'goodput against offered load'"
	echo "set yrange [0:*]"
	plot="plot $cap title 'capacity' dt 2 lc rgb '#888888'"
	for a in $arms; do plot="$plot, '$work/steps-$a.dat' using 1:2 with linespoints title '$a'"; done
	echo "$plot"
	echo "set autoscale y"
	echo "set logscale y"
	echo "set ylabel 'admitted p99 (ms, log)'"
	echo "set title 'p99 of admitted requests'"
	plot="plot $budget title 'budget' dt 2 lc rgb '#888888'"
	for a in $arms; do plot="$plot, '$work/steps-$a.dat' using 1:3 with linespoints title '$a'"; done
	echo "$plot"
	echo "unset logscale y"
	echo "set yrange [0:*]"
	echo "set xlabel 'seconds'"
	echo "set ylabel 'requests/s'"
	echo "set title 'goodput over time (250 ms windows)'"
	first=$(echo $arms | cut -d' ' -f1)
	plot="plot '$work/win-$first.dat' using 1:3 with lines title 'offered' lc rgb '#bbbbbb'"
	for a in $arms; do plot="$plot, '$work/win-$a.dat' using 1:2 with lines title '$a'"; done
	echo "$plot"
	echo "unset multiplot"
} > "$work/plot.gp"
gnuplot "$work/plot.gp"
