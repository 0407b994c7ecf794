# bench/lib.sh — sourced by the benchmark scripts: a veth pair between two
# network namespaces of the caller's own (addresses only there), TCP
# throughput over it, and the bpftrace script that does the doctor's
# comparable collection.
# shellcheck shell=bash

# veth_up NSA NSB NET: namespaces NSA and NSB joined by a veth pair,
# NET.1 in NSA and NET.2 in NSB (NET like 10.203.0). The caller removes
# them on exit (veth_down).
veth_up() {
	ip netns add "$1" && ip netns add "$2"
	ip link add va netns "$1" type veth peer name vb netns "$2"
	ip -n "$1" addr add "$3.1/24" dev va
	ip -n "$2" addr add "$3.2/24" dev vb
	ip -n "$1" link set lo up
	ip -n "$2" link set lo up
	ip -n "$1" link set va up
	ip -n "$2" link set vb up
}

# veth_down NSA NSB: the pair's namespaces gone (none of it left if absent)
veth_down() {
	ip netns del "$1" 2>/dev/null || true
	ip netns del "$2" 2>/dev/null || true
}

# bench_lock: wait for the lock the system tests hold (fd 9), so that a
# benchmark and a test never measure each other
bench_lock() {
	exec 9>/tmp/ksleuth-systest.lock
	flock 9
}

# veth_gbps NSA NSB NET PORT SECS: iperf3, 4 flows NSA -> NSB for SECS,
# received Gbit/s. Receiver on the last CPU, sender on CPU 0: unpinned,
# where the two landed moved the throughput by +-25 % between runs.
veth_gbps() {
	local rcpu=$(( $(nproc) - 1 ))
	ip netns exec "$2" taskset -c "$rcpu" iperf3 -s -1 -p "$4" >/dev/null 2>&1 & local s=$!
	sleep 0.3
	ip netns exec "$1" taskset -c 0 iperf3 -c "$3.2" -p "$4" -P 4 -t "$5" -J 2>/dev/null |
		jq '.end.sum_received.bits_per_second / 1e7 | round / 100'
	wait "$s" 2>/dev/null || true
}

# cmp_bt FILE: the comparable bpftrace collection — sched wakeup->switch
# waits, NET_RX raise->entry delays, tcp_retransmit_skb counts
cmp_bt() {
	cat > "$1" <<'BT'
tracepoint:sched:sched_wakeup { @w[args->pid] = nsecs; }
tracepoint:sched:sched_switch /@w[args->next_pid]/ {
	@wait = hist((nsecs - @w[args->next_pid]) / 1000); delete(@w[args->next_pid]);
}
tracepoint:irq:softirq_raise /args->vec == 3/ { @r[cpu] = nsecs; }
tracepoint:irq:softirq_entry /args->vec == 3 && @r[cpu]/ { @rx = hist((nsecs - @r[cpu]) / 1000); delete(@r[cpu]); }
tracepoint:tcp:tcp_retransmit_skb { @retrans = count(); }
BT
}
