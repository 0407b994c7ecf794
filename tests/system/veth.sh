# veth.sh — sourced by the net system tests (after lib.sh): two network
# namespaces joined by a veth pair (10.201.x.1 <-> 10.201.x.2, addresses
# only inside them), receive processing of the "b" side steered to one CPU
# by RPS, and bounded iperf3 load (many TCP flows + UDP filler). Everything
# is registered with lib.sh's cleanup. Replace with the shared netbed once
# it is on main.
# shellcheck shell=bash

# veth_up CPU: sets NSA NSB ADDR_B
veth_up() {
	local cpu=$1 id=$(( $$ % 200 + 20 ))
	NSA=ksn-a-$$; NSB=ksn-b-$$; ADDR_B=10.201.$id.2
	ip netns add "$NSA" && ks_track_netns "$NSA" || return 1
	ip netns add "$NSB" && ks_track_netns "$NSB" || return 1
	ip link add va netns "$NSA" type veth peer name vb netns "$NSB" || return 1
	ip -n "$NSA" addr add 10.201.$id.1/24 dev va
	ip -n "$NSB" addr add "$ADDR_B"/24 dev vb
	ip -n "$NSA" link set lo up; ip -n "$NSB" link set lo up
	ip -n "$NSA" link set va up; ip -n "$NSB" link set vb up
	printf '%x' $(( 1 << cpu )) | ip netns exec "$NSB" tee /sys/class/net/vb/queues/rx-0/rps_cpus >/dev/null
}

# veth_load SECONDS: 32 TCP flows + UDP filler from NSA to NSB, in the background
veth_load() {
	local t=$1
	ks_bg _srv1 ip netns exec "$NSB" iperf3 -s -p 5201 -1 >/dev/null 2>&1
	ks_bg _srv2 ip netns exec "$NSB" iperf3 -s -p 5202 -1 >/dev/null 2>&1
	sleep 0.3
	ks_bg LOAD_TCP ip netns exec "$NSA" iperf3 -c "$ADDR_B" -p 5201 -P 32 -t "$t" >/dev/null 2>&1
	ks_bg LOAD_UDP ip netns exec "$NSA" iperf3 -c "$ADDR_B" -p 5202 -u -b 150M -w 4M -l 1400 -t "$t" >/dev/null 2>&1
}

# wait_for FILE PATTERN TIMEOUT_S: until PATTERN shows up in FILE
wait_for() {
	local i
	for i in $(seq 1 $(( $3 * 10 ))); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

# softnet_dropped CPU: the dropped column of that CPU's softnet_stat line (decimal)
softnet_dropped() {
	local line n=0
	while read -r -a line; do
		if { [ ${#line[@]} -ge 13 ] && [ $(( 16#${line[12]} )) = "$1" ]; } ||
		   { [ ${#line[@]} -lt 13 ] && [ $n = "$1" ]; }; then
			echo $(( 16#${line[1]} )); return 0
		fi
		n=$((n + 1))
	done < /proc/net/softnet_stat
	return 1
}
