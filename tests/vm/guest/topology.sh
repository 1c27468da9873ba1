# --show-topology --json agrees with what Linux shows in sysfs: node
# membership, and each CPU's L3 (cache/index3/shared_cpu_list).
SYS=/sys/devices/system
scx_slo --show-topology --json > /tmp/topo.json || fail "--show-topology --json failed"
jq -e . /tmp/topo.json > /tmp/jq.out || fail "output is not JSON"
scx_slo --show-topology

nodes=$(ls -d $SYS/node/node[0-9]* | wc -l)
[ "$(jq '.nodes | length' /tmp/topo.json)" -eq "$nodes" ] || fail "node count differs from sysfs ($nodes)"
for n in $SYS/node/node[0-9]*; do
	id=${n##*node}
	want=$(cat "$n/cpulist")
	got=$(jq -r ".nodes[] | select(.id == $id) | .cpus" /tmp/topo.json)
	[ "$got" = "$want" ] || fail "node $id: cpus '$got', sysfs says '$want'"
done

llcs=
for c in $SYS/cpu/cpu[0-9]*; do
	cpu=${c##*cpu}
	[ "$(cat "$c/online" 2>/dev/null || echo 1)" = 1 ] || continue
	want=$(cat "$c/cache/index3/shared_cpu_list") || fail "cpu $cpu has no L3 in sysfs"
	dom=$(jq ".cpus[] | select(.cpu == $cpu) | .domain" /tmp/topo.json)
	got=$(jq -r ".domains[] | select(.id == $dom) | .cpus" /tmp/topo.json)
	[ "$got" = "$want" ] || fail "cpu $cpu: domain $dom has cpus '$got', its L3 is shared by '$want'"
	node=$(basename "$(ls -d "$c"/node[0-9]*)")
	[ "$(jq ".cpus[] | select(.cpu == $cpu) | .node" /tmp/topo.json)" = "${node#node}" ] ||
		fail "cpu $cpu: node differs from sysfs ($node)"
	llcs="$llcs $want"
done
ndom=$(echo $llcs | tr ' ' '\n' | sort -u | wc -l)
[ "$(jq '.domains | length' /tmp/topo.json)" -eq "$ndom" ] || fail "domain count differs from sysfs L3s ($ndom)"
# the preset's shape: 2 sockets x 2 L3 x 2 cores, 2 nodes
[ "$ndom" -eq 4 ] && [ "$nodes" -eq 2 ] || fail "unexpected VM shape: $ndom L3s, $nodes nodes"
[ "$(jq -c '.domains[0].steal_order' /tmp/topo.json)" = "[1,2,3]" ] || fail "domain 0 steal order is $(jq -c '.domains[0].steal_order' /tmp/topo.json)"
log "topology matches sysfs: $nodes nodes, $ndom LLC domains"
