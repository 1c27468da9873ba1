# --show-topology --json agrees with what Linux shows in sysfs: node
# membership, and each CPU's L3 (cache/index3/shared_cpu_list).
check_topology_json
# the preset's shape: 2 sockets x 2 L3 x 2 cores, 2 nodes
[ "$TOPO_DOMAINS" -eq 4 ] && [ "$TOPO_NODES" -eq 2 ] || fail "unexpected VM shape: $TOPO_DOMAINS L3s, $TOPO_NODES nodes"
[ "$(jq -c '.domains[0].steal_order' /tmp/topo.json)" = "[1,2,3]" ] || fail "domain 0 steal order is $(jq -c '.domains[0].steal_order' /tmp/topo.json)"
log "topology matches sysfs: $TOPO_NODES nodes, $TOPO_DOMAINS LLC domains"
