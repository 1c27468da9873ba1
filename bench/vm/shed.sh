# bench/vm/shed.sh: the measuring half of bench/shed.sh, in one boot.  Not
# run by hand: bench/shed.sh prepends the SHED_* settings and the nginx
# configurations (under $SHED_CONF) and runs it through tests/vm/run-vm.sh,
# which sources tests/vm/guest/lib.sh first.  POSIX/busybox sh.
#
# scx_slo runs throughout (--slo: the service's cgroup SHED_BUDGET, nginx's
# and the loader's SHED_FRONT_BUDGET, with cpu.weight SHED_FRONT_WEIGHT
# against the others' 100), stress-ng saturates every CPU from a
# batch cgroup, bench/cpu_service (SHED_WORK of CPU a request) sits behind
# nginx, and bench/openloop offers the load at SCHED_FIFO from the root
# cgroup, as a client machine would (its CPU is taken off the top; its own
# lag is reported).
#
#   1. capacity: the "none" arm under a ramp of rates; the capacity is the
#      highest goodput (2xx within SHED_BUDGET a second) of any step
#   2. per arm in SHED_ARMS, nginx restarted with the arm's locations:
#      0.5, 0.9, 1.2, 1.5, 2 and 3x the capacity SHED_STEP_S each, 10x for
#      SHED_BURST_S, 0.5x SHED_STEP_S again.  The scheduler arm first asks
#      the loader's /v1/admission/auth once and has no result (an ERROR
#      line) when it does not answer 204 or 403.  The haproxy arms run
#      HAProxy with the shipped haproxy.cfg instead of nginx (its runtime
#      API on TCP: busybox nc has no Unix sockets); in the haproxy arm
#      poller_script's loop, the shipped scx-slo-poller's in sh (the guest
#      has no Python), keeps its map current.
#
# Output: "shed: ..." progress lines, "SHED-INFO {json}" once, and one
# "SHED-RESULT {json}" line per arm (openloop's summary); bench/shed.sh
# collects them.

: "${SHED_QUICK:=0}" "${SHED_ARMS:=none limit_conn}" "${SHED_STEP_S:=10}" "${SHED_BURST_S:=2}"
: "${SHED_WORK:=5ms}" "${SHED_BUDGET:=20ms}" "${SHED_FRONT_BUDGET:=5ms}" "${SHED_SEED:=1}"
: "${SHED_CAP_STEP_S:=3}" "${SHED_CAP_FACTORS:=0.1 0.15 0.2 0.3 0.4 0.5 0.6 0.75 0.9 1.1 1.3}"
: "${SHED_LIMIT:=}" "${SHED_TARGET:=}" "${SHED_ISOLATE:=0}" "${SHED_CONF:=/tmp/shed-conf}" "${SHED_FRONT_WEIGHT:=400}"

D=/tmp/shed
SVC=scx-shed-svc FRONT=scx-shed-front BATCH=scx-shed-batch
LOADER_ADDR=127.0.0.1:9464 SERVICE_ADDR=127.0.0.1:8081 NGINX_ADDR=127.0.0.1:8080
HAPROXY_API=127.0.0.1:9465
URL=http://$NGINX_ADDR/work
RATIOS="0.5 0.9 1.2 1.5 2 3 10 0.5"
mkdir -p "$D"

say() { echo "shed: $*"; }

# seconds of a duration with a unit (20ms -> 0.02)
secs() {
	echo "$1" | awk '{ v = $0 + 0; u = $0; sub(/^[0-9.]+/, "", u)
		m = (u == "ns") ? 1e-9 : (u == "us") ? 1e-6 : (u == "ms") ? 1e-3 : 1
		printf "%.9g", v * m }'
}

# wait_http URL TENTHS: until URL answers 2xx
wait_http() {
	_n=$2
	until wget -q -O /dev/null "$1" 2>/dev/null; do
		[ "$_n" -gt 0 ] || return 1
		usleep 100000
		_n=$((_n - 1))
	done
}

cg_mk "$SVC"
cg_mk "$FRONT"
cg_mk "$BATCH"
# --isolate-front: the proxy, the loader and the generator on CPU 0, the
# service and the batch job on the others (a node whose ingress does not
# share the service's CPUs).  In the emulator a proxied request costs the
# proxy about as much CPU as the service's 5 ms, natively about 1%: on
# shared CPUs whichever of the two comes first in EDF starves the other.
WORK_CPUS=$(nproc) GEN_PIN=
if [ "$SHED_ISOLATE" = 1 ]; then
	[ "$(nproc)" -ge 2 ] || fail "--isolate-front needs 2 CPUs or more"
	grep -qw cpuset "$CG/cgroup.subtree_control" || echo +cpuset > "$CG/cgroup.subtree_control" ||
		fail "cannot enable the cpuset controller"
	echo 0 > "$CG/$FRONT/cpuset.cpus" || fail "cannot pin /$FRONT to CPU 0"
	for _c in "$SVC" "$BATCH"; do
		echo "1-$(($(nproc) - 1))" > "$CG/$_c/cpuset.cpus" || fail "cannot pin /$_c to CPUs 1-"
	done
	WORK_CPUS=$(($(nproc) - 1)) GEN_PIN="taskset -c 0"
fi
# The proxy's CPU request: in the emulator nginx costs a few ms of guest
# CPU a request, the same order as the service's own work (natively it is
# tens of microseconds), and a front that shares the CPU equally with the
# service and the batch job falls behind before the service does; then
# no arm can shed in time.  A front pod sized for its load is what a
# node runs (its request, hence its cpu.weight, covers its peak).
echo "$SHED_FRONT_WEIGHT" > "$CG/$FRONT/cpu.weight" || fail "cannot set /$FRONT's cpu.weight"

start_scx_slo --slo "/$SVC=$SHED_BUDGET" --slo "/$FRONT=$SHED_FRONT_BUDGET" --metrics "$LOADER_ADDR" \
	${SHED_TARGET:+--shed-target "$SHED_TARGET"}
# the admission hop is the loader's: it runs with nginx, not in the root
echo "$SCX_PID" > "$CG/$FRONT/cgroup.procs" || fail "cannot move scx_slo to /$FRONT"

cg_spawn "$BATCH" stress-ng --cpu "$WORK_CPUS" --cpu-method int64 --timeout 1h --quiet
STRESS_PID=$SPAWNED
cg_spawn "$SVC" cpu_service --listen "$SERVICE_ADDR" --work "$SHED_WORK"
SERVICE_PID=$SPAWNED
wait_http "http://$SERVICE_ADDR/healthz" 300 || fail "cpu_service did not answer within 30 s"
wait_http "http://$LOADER_ADDR/metrics" 300 || fail "scx_slo's --metrics did not answer within 30 s"

# nginx_start ARM: nginx with the arm's locations, in the front cgroup
nginx_start() {
	_d=$D/nginx-$1
	rm -rf "$_d"
	mkdir -p "$_d"
	sed -e "s|@DIR@|$_d|g" -e "s|@LISTEN@|$NGINX_ADDR|g" -e "s|@SERVICE@|$SERVICE_ADDR|g" \
		-e "s|@WORKERS@|$(nproc)|g" -e "s|@ADMISSION@|$LOADER_ADDR|g" \
		"$SHED_CONF/nginx.conf" > "$_d/nginx.conf"
	cp "$SHED_CONF/scx-slo-server.conf" "$SHED_CONF/scx-slo-location.conf" "$_d/"
	sed -e "s|@LIMIT@|${LIMIT:-1}|g" -e "s|@ADMISSION@|$LOADER_ADDR|g" -e "s|@CGROUP@|/$SVC|g" -e "s|@DIR@|$_d|g" \
		"$SHED_CONF/$1.conf" > "$_d/arm.conf"
	cg_spawn "$FRONT" nginx -p "$_d" -e "$_d/error.log" -c "$_d/nginx.conf"
	NGINX_PID=$SPAWNED
	if ! wait_http "http://$NGINX_ADDR/healthz" 300; then
		say "ERROR: nginx ($1) did not answer within 30 s"
		cat "$_d/error.log" 2>/dev/null
		return 1
	fi
}

nginx_stop() {
	kill -TERM "$NGINX_PID" 2>/dev/null
	wait "$NGINX_PID" 2>/dev/null
	grep -E '\[(emerg|alert|crit)\]' "$D"/nginx-*/error.log 2>/dev/null | tail -n 5
}

# haproxy_start ARM: HAProxy on NGINX_ADDR with the shipped haproxy.cfg, in
# the front cgroup, its map admitting until a poller writes to it
haproxy_start() {
	_d=$D/haproxy-$1
	rm -rf "$_d"
	mkdir -p "$_d"
	HAPROXY_MAP=$_d/scx-slo.map
	printf '/%s 0:0:1\n' "$SVC" > "$HAPROXY_MAP"
	cg_spawn "$FRONT" env SCX_SLO_HAPROXY_SOCKET="ipv4@$HAPROXY_API" SCX_SLO_BIND="$NGINX_ADDR" \
		SCX_SLO_MAP="$HAPROXY_MAP" SCX_SLO_CGROUP="/$SVC" SCX_SLO_APP="$SERVICE_ADDR" \
		SCX_SLO_QUEUE_TIMEOUT="$QUEUE_TIMEOUT" haproxy -db -f "$SHED_CONF/haproxy.cfg"
	NGINX_PID=$SPAWNED
	POLLER_PID=
	# the service's /healthz, through the map's admitting entry
	if ! wait_http "http://$NGINX_ADDR/healthz" 300; then
		say "ERROR: haproxy ($1) did not answer within 30 s"
		return 1
	fi
	case $1 in haproxy|haproxy_limit) ;; *) return 0 ;; esac
	poller_script "$1" > "$_d/poller.sh"
	# In the batch cgroup, like the sampler: under TCG each of the
	# poller's two processes a round costs milliseconds of CPU, and at
	# the front's budget and weight they delayed the service's requests
	# (16% of its bursts late at 0.5x, 2.1% under haproxy_none, in one
	# boot); natively a poll is microseconds.
	cg_spawn "$BATCH" sh "$_d/poller.sh"
	POLLER_PID=$SPAWNED
}

# poller_script ARM: deploy/proxy/haproxy/scx-slo-poller's loop as a script,
# as run with --server /SVC=app/app: every 250 ms the service's
# /v1/pressure becomes PERMILLE:EXPIRY:RETRY in HAProxy's map and its
# concurrency_limit the maxconn of server app/app, both in one runtime-API
# connection; a failed read or a stale signal writes 0:0:1 and maxconn 0
# (admit all), but over requests queued at HAProxy (show stat's qcur, read
# in the same connection, so a round late) the maxconn 0 of a failed read
# waits a round, maxconn raised by the queue meanwhile, as in the shipped
# poller.  For the haproxy_limit arm the map stays 0:0:1 (admit).
# Busybox wget and nc a round, besides the sleep, and nothing else: the
# fields are cut out with the shell's own string operations and the Unix
# time is the start's plus /proc/uptime.  Under TCG every process costs
# milliseconds of CPU, and a version that forked eight a round (date, a
# subshell per field) made 5.8% of the service's runs late at half load
# (0.2% without it), which the signal then shed.  The loader writes the
# probability as %.4f and the ttl as %.3f; busybox wget's -T crashes in
# 1.35, so none (a hung read leaves the entry to expire: admit).
poller_script() {
	cat <<POLLER_EOF
field() { # VAR NAME: VAR = the value of "NAME": in \$j, a flat JSON object
	case \$j in *"\"\$2\":"*) ;; *) return 1 ;; esac
	_v=\${j#*"\"\$2\":"}
	eval "\$1=\\\${_v%%[,\}]*}"
}
epoch0=\$(date +%s)
read up0 _ < /proc/uptime
held=0 q=0
while :; do
	e=0:0:1
	m=0
	fresh=0
	j=\$(wget -q -O - 'http://$LOADER_ADDR/v1/pressure?cgroup=/$SVC' 2>/dev/null)
	if field p shed_probability && field t ttl_seconds && field r retry_after_seconds &&
		field l concurrency_limit && field stale stale && [ "\$stale" = false ] &&
		[ "\${t%.*}\${t#*.}" -gt 0 ] 2>/dev/null; then
		m=\$l
		fresh=1
		d=\${p#*.}000
		d=\${d%"\${d#????}"}	# 4 decimals
		read up _ < /proc/uptime
		e=\$(( (\${p%.*} * 10000 + 1\$d - 10000 + 5) / 10 )):\$(( epoch0 + \${up%.*} - \${up0%.*} + \${t%.*} + 1 )):\${r%.*}
		[ "$1" = haproxy ] || e=0:0:1	# haproxy_limit: the limit alone
	fi
	if [ \$fresh = 0 ] && [ \$held -gt 0 ] && [ \$q -gt 0 ]; then
		m=\$((held + q))
	fi
	held=\$m
	o=\$(nc ${HAPROXY_API%:*} ${HAPROXY_API#*:} 2> /dev/null <<NC_EOF
show stat -1 6 -1; set map $HAPROXY_MAP /$SVC \$e; set maxconn server app/app \$m
NC_EOF
)
	q=0
	for r in app BACKEND; do
		case \$o in
		*"
app,\$r,"*) v=\${o#*"
app,\$r,"}; v=\${v%%,*}; [ "\$v" -ge 0 ] 2> /dev/null && q=\$((q + v)) ;;
		esac
	done
	usleep 250000
done
POLLER_EOF
}

haproxy_stop() {
	[ -z "$POLLER_PID" ] || { kill -TERM "$POLLER_PID" 2>/dev/null; wait "$POLLER_PID" 2>/dev/null; }
	kill -TERM "$NGINX_PID" 2>/dev/null
	wait "$NGINX_PID" 2>/dev/null
}

# steps RATIO... : openloop's --steps at RATIO x CAPACITY, the 10x burst
# SHED_BURST_S long, the others SHED_STEP_S
steps() {
	for _r in "$@"; do
		_s=$SHED_STEP_S
		[ "$_r" = 10 ] && _s=$SHED_BURST_S
		echo "$_r $CAPACITY $_s"
	done | awk '{ printf "%s%.3f:%ss", (NR > 1 ? "," : ""), $1 * $2, $3 }'
}

# load NAME STEPS: openloop against nginx; its summary in $D/NAME.json
load() {
	read LOAD_T0 _ < /proc/uptime
	$GEN_PIN chrt -f 10 openloop --steps "$2" --budget "$SHED_BUDGET" --seed "$SHED_SEED" \
		--timeout 2s --json "$D/$1.json" "$URL" 2>&1 | sed "s/^/shed: [$1] /"
	[ -s "$D/$1.json" ] && jq -e .report "$D/$1.json" > /dev/null
}

# The scheduler's view, whatever the arm: once a second the service's run,
# miss, burst and late-burst counters, its shed probability and its
# concurrency limit from the loader's /metrics, and the seconds its bursts
# took, "UPTIME RUNS MISSES PROBABILITY BURSTS LATE_BURSTS LIMIT
# BURST_SECONDS" in $D/signal.log.  It runs in the
# batch cgroup, off the service's and the proxy's CPU share.
sampler_script() {
	cat <<SAMPLER_EOF
while :; do
	read up _ < /proc/uptime
	wget -q -O - 'http://$LOADER_ADDR/metrics' 2>/dev/null | awk -v up="\$up" '
		index(\$0, "{cgroup=\"/$SVC\"") == 0 { next }
		/^scx_slo_cgroup_runs_total/ { r = \$NF }
		/^scx_slo_cgroup_deadline_misses_total/ { m = \$NF }
		/^scx_slo_cgroup_shed_probability/ { p = \$NF }
		/^scx_slo_cgroup_bursts_total/ { b = \$NF }
		/^scx_slo_cgroup_late_bursts_total/ { lb = \$NF }
		/^scx_slo_cgroup_concurrency_limit/ { l = \$NF }
		/^scx_slo_cgroup_burst_seconds_total/ { bs = \$NF }
		END { if (r != "") print up, r, m + 0, p + 0, b + 0, lb + 0, l + 0, bs + 0 }' >> $D/signal.log
	sleep 1
done
SAMPLER_EOF
}
sampler_script > "$D/sampler.sh"
cg_spawn "$BATCH" sh "$D/sampler.sh"
SAMPLER_PID=$SPAWNED

# signal_steps NAME: per step of the last load, the service's runs, misses,
# bursts and late bursts, the highest shed probability and the lowest
# concurrency limit in force (0: none all along) the sampler saw, as a
# JSON array (the step durations from openloop's own summary, from LOAD_T0)
signal_steps() {
	jq -r '.report.steps[].duration_s' "$D/$1.json" |
		awk -v t0="$LOAD_T0" -v sigfile="$D/signal.log" '
		{ a[NR] = t0 + at; at += $1; b[NR] = t0 + at; n = NR }
		END {
			while ((getline line < sigfile) > 0) { split(line, f, " "); k++; t[k] = f[1]; r[k] = f[2]; m[k] = f[3]; p[k] = f[4]; bu[k] = f[5]; lb[k] = f[6]; li[k] = f[7] }
			printf "["
			for (i = 1; i <= n; i++) {
				first = 0; last = 0; pmax = 0; lmin = 0
				for (j = 1; j <= k; j++) {
					if (t[j] < a[i] || t[j] > b[i] + 0.5) continue
					if (!first) first = j
					last = j
					if (p[j] > pmax) pmax = p[j]
					if (li[j] > 0 && (!lmin || li[j] < lmin)) lmin = li[j]
				}
				# the sample before the window, so a step counts all of its runs
				if (first > 1) first--
				runs = (first && last) ? r[last] - r[first] : 0
				miss = (first && last) ? m[last] - m[first] : 0
				bursts = (first && last) ? bu[last] - bu[first] : 0
				late = (first && last) ? lb[last] - lb[first] : 0
				printf "%s{\"runs\":%d,\"misses\":%d,\"bursts\":%d,\"late_bursts\":%d,\"shed_probability_max\":%s,\"concurrency_limit_min\":%d}", (i > 1 ? "," : ""), runs, miss, bursts, late, pmax + 0, lmin
			}
			print "]"
		}'
}

# signal_timeline NAME: the sampler's seconds of the last load as JSON,
# from its start: the shed probability, the concurrency limit (0: none)
# and the service's bursts in flight since the sample before (Little: the
# seconds its bursts took over the seconds between), to see how the
# signal moved within a step
signal_timeline() {
	_len=$(jq '[.report.steps[].duration_s] | add' "$D/$1.json")
	awk -v t0="$LOAD_T0" -v len="$_len" '
		{ t = $1 - t0 }
		t >= -1 && t <= len + 1 {
			if (pt != "" && $1 > pt) {
				ts = ts sep sprintf("%.2f", t); pr = pr sep ($4 + 0); li = li sep ($7 + 0)
				fl = fl sep sprintf("%.2f", ($8 - pb) / ($1 - pt)); sep = ","
			}
		}
		{ pt = $1; pb = $8 }
		END { printf "{\"t_s\":[%s],\"probability\":[%s],\"limit\":[%s],\"in_flight\":[%s]}\n", ts, pr, li, fl }' \
		"$D/signal.log"
}

# ---- 1. capacity, without shedding ----
work_s=$(secs "$SHED_WORK")
est=$(awk -v n="$WORK_CPUS" -v w="$work_s" 'BEGIN { printf "%.3f", n / 2 / w }')
cap_steps=$(for f in $SHED_CAP_FACTORS; do echo "$f"; done |
	awk -v e="$est" -v s="$SHED_CAP_STEP_S" '{ printf "%s%.3f:%ss", (NR > 1 ? "," : ""), $1 * e, s }')
say "$(uname -r), $(nproc) CPUs; measuring capacity (estimate $est/s: half the CPUs at $SHED_WORK a request): $cap_steps"
nginx_start none || fail "nginx did not start"
load capacity "$cap_steps" || fail "the capacity run produced no summary"
nginx_stop
jq -r '.report.steps[] | "shed: [capacity] \(.offered_rps)/s: goodput \(.goodput_rps)/s, 2xx p50 \(.ok_p50_ms) ms p99 \(.ok_p99_ms) ms, \(.errors) failed, client lag p99 \(.send_lag_p99_ms) ms"' "$D/capacity.json"
# The capacity is the highest goodput of the ramp.  It comes at a rate
# where p99 is past the budget (in this VM p99 is 20-60 ms at any rate:
# the emulator's own stalls), but a lower point, e.g. the highest step
# with p99 in budget, lands on whichever step the stalls spared: 45/s in
# a ramp whose goodput reached 83/s.
CAP_BASIS=goodput
CAPACITY=$(jq '[.report.steps[].goodput_rps] | max' "$D/capacity.json")
if ! awk -v c="$CAPACITY" 'BEGIN { exit !(c >= 1) }'; then
	# nothing within the budget: the machine (or the emulator's host) is
	# too slow for it.  The arms still run, on the 2xx rate, said loudly.
	CAP_BASIS=throughput
	CAPACITY=$(jq '[.report.steps[] | .ok / .duration_s] | max' "$D/capacity.json")
	say "WARNING: no ramp step served a request within $SHED_BUDGET a second: the capacity is the highest 2xx rate instead, $CAPACITY/s"
fi
cap_last=$(jq --arg b "$CAP_BASIS" '[.report.steps[] | if $b == "goodput" then .goodput_rps else .ok / .duration_s end] | (index(max)) == (length - 1)' "$D/capacity.json")
awk -v c="$CAPACITY" 'BEGIN { exit !(c >= 1) }' || fail "capacity $CAPACITY requests/s: nothing was served"
[ "$cap_last" = true ] && say "WARNING: the highest ramp step had the best goodput: the capacity may be higher"
budget_s=$(secs "$SHED_BUDGET")
# HAProxy's queue wait: half the budget, in whole ms (haproxy.cfg)
QUEUE_TIMEOUT=$(awk -v b="$budget_s" 'BEGIN { q = int(b * 500); print ((q < 1) ? 1 : q) "ms" }')
# Little's law: at capacity, capacity x budget requests fit in the budget
LIMIT=${SHED_LIMIT:-$(awk -v c="$CAPACITY" -v b="$budget_s" 'BEGIN { l = int(c * b + 0.999); print (l < 1) ? 1 : l }')}
say "capacity $CAPACITY requests/s; limit_conn $LIMIT"
jq -cn --arg kernel "$(uname -r)" --argjson nproc "$(nproc)" --argjson capacity "$CAPACITY" \
	--argjson limit "$LIMIT" --arg work "$SHED_WORK" --arg budget "$SHED_BUDGET" \
	--arg front_budget "$SHED_FRONT_BUDGET" --arg shed_target "${SHED_TARGET:-default (1%)}" --argjson isolate_front "$SHED_ISOLATE" --argjson work_cpus "$WORK_CPUS" --argjson front_weight "$SHED_FRONT_WEIGHT" \
	--argjson step_s "$SHED_STEP_S" \
	--argjson burst_s "$SHED_BURST_S" --arg arms "$SHED_ARMS" --arg ratios "$RATIOS" \
	--argjson estimate "$est" --argjson cap_last "$cap_last" \
	--argjson ramp "$(jq -c '[.report.steps[] | {rate, offered_rps, goodput_rps, admitted_p99_ms}]' "$D/capacity.json")" \
	--arg basis "$CAP_BASIS" \
	'{kernel: $kernel, nproc: $nproc, capacity_rps: $capacity, capacity_basis: $basis, capacity_may_be_higher: $cap_last,
	  estimate_rps: $estimate, limit_conn: $limit, work: $work, budget: $budget,
	  front_budget: $front_budget, shed_target: $shed_target, isolate_front: ($isolate_front == 1), front_weight: $front_weight, step_s: $step_s, burst_s: $burst_s,
	  arms: ($arms | split(" ")), ratios: ($ratios | split(" ") | map(tonumber)),
	  stress: "stress-ng --cpu \($work_cpus) --cpu-method int64", capacity_ramp: $ramp}' |
	sed 's/^/SHED-INFO /'

# settle: what the last run left behind drains before the next starts.  A
# thread-per-connection service that fell behind still works through
# requests whose clients gave up, and the loader's shed signal climbs down
# from an overload slowly (fast decrease, slow increase): an arm started
# on either would pay for the run before it.  Waits, at most 60 s, until
# the loader sheds nothing for the service and its cgroup used under 10%
# of a CPU for a second.
settle() {
	_t=0
	while [ $_t -lt 60 ]; do
		_u0=$(awk '/^usage_usec/ { print $2 }' "$CG/$SVC/cpu.stat")
		sleep 1
		_t=$((_t + 1))
		_u1=$(awk '/^usage_usec/ { print $2 }' "$CG/$SVC/cpu.stat")
		_p=$(curl -s "http://$LOADER_ADDR/v1/pressure?cgroup=/$SVC" | jq -r '.shed_probability // 0' 2>/dev/null)
		if [ $((_u1 - _u0)) -lt 100000 ] && awk -v p="${_p:-0}" 'BEGIN { exit !(p == 0) }'; then
			say "settled in ${_t}s"
			return 0
		fi
	done
	say "WARNING: not settled after 60 s (service used $(((_u1 - _u0) / 1000)) ms of CPU in the last second, shed probability ${_p:-?})"
}

# ---- 2. the arms ----
for arm in $SHED_ARMS; do
	settle
	if [ "$arm" = scheduler ]; then
		# the admission endpoint, once: 204 admit or 403 shed
		st=$(printf 'GET /v1/admission/auth?cgroup=/%s HTTP/1.0\r\n\r\n' "$SVC" |
			nc "${LOADER_ADDR%:*}" "${LOADER_ADDR#*:}" 2>/dev/null | head -n 1 | tr -d '\r')
		case $st in
		"HTTP/1."?" 204"*|"HTTP/1."?" 403"*) say "[$arm] the loader's admission endpoint answers: $st" ;;
		*)
			say "ERROR: [$arm] scx_slo has no /v1/admission/auth (it answered '${st:-nothing}'): no result for this arm"
			continue ;;
		esac
	fi
	say "[$arm] steps $(steps $RATIOS)"
	case $arm in
	haproxy*) proxy=haproxy ;;
	*) proxy=nginx ;;
	esac
	${proxy}_start "$arm" || { say "ERROR: [$arm] $proxy did not start: no result"; ${proxy}_stop; continue; }
	if load "$arm" "$(steps $RATIOS)"; then
		jq -c --arg arm "$arm" --argjson signal "$(signal_steps "$arm")" \
			--argjson timeline "$(signal_timeline "$arm")" \
			'{arm: $arm} + . + {signal: $signal, signal_timeline: $timeline}' "$D/$arm.json" | sed 's/^/SHED-RESULT /'
	else
		say "ERROR: [$arm] openloop produced no summary"
	fi
	[ "$arm" != haproxy ] || say "[$arm] the map at the end: $(echo "show map $HAPROXY_MAP" | nc "${HAPROXY_API%:*}" "${HAPROXY_API#*:}" | tr '\n' ' ')"
	${proxy}_stop
done

slo_attached "at the end"
kill "$SERVICE_PID" "$STRESS_PID" "$SAMPLER_PID" 2>/dev/null
wait "$SERVICE_PID" "$STRESS_PID" "$SAMPLER_PID" 2>/dev/null
stop_scx_slo > /dev/null
checks_done
say "done"
