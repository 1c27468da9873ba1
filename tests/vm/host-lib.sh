# Helpers for the host side of VM tests that run a server next to the VM
# (agent-e2e.sh, prometheus.sh).  Sourced, not run.

free_port() { # a loopback port nobody listens on
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
