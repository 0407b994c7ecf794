#!/bin/bash
# test_peers.sh — ksleuth next to the tools people already trust, on the
# same workload at the same time (docs/peers.md has the measurements
# behind every tolerance): runq against libbpf-tools runqlat, softirq
# against libbpf-tools softirqs, count against bpftrace, retrans against
# the kernel's own TcpRetransSegs in a namespace with a lossy link.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd runqlat
require_cmd softirqs
require_cmd bpftrace
require_cmd perf
require_cmd jq

# log2_counts FILE: "LO COUNT" per bucket line of a bcc-style histogram
# ("     2 -> 3          : 812      |***   |"), the first histogram only
log2_counts() {
	awk '/^ *[0-9]+ -> [0-9]+ *: / { if (seen && $1 == 0) exit; seen = 1; print $1, $5 }' "$1"
}

# ---- 1. runq vs runqlat ----
# Both attached, then `perf bench sched messaging` (40 tasks on 2 CPUs,
# ~25k waits/s), bounded by timeout; both stopped by SIGINT together.
ks_bg RL runqlat >"$KS_TMP/rl.out" 2>&1
ks_bg RQ "$KS" runq --no-sampler >"$KS_TMP/rq.out" 2>"$KS_TMP/rq.err"
ks_wait_for "$KS_TMP/rl.out" "Tracing" 10
ks_wait_for "$KS_TMP/rq.err" "Tracing" 10 || ks_wait_for "$KS_TMP/rq.out" "Tracing" 5
sleep 0.3
timeout 2 perf bench sched messaging -g 2 -l 2000 >/dev/null 2>&1
kill -INT "$RL" "$RQ"
ks_wait "$RL" 10 "runqlat after SIGINT"
ks_wait "$RQ" 10 "ksleuth runq after SIGINT"
log2_counts "$KS_TMP/rl.out" >"$KS_TMP/rl.b"
log2_counts "$KS_TMP/rq.out" >"$KS_TMP/rq.b"
echo "  runqlat | runq (usecs from: count): $(join -a1 -a2 -e0 -o 0,1.2,2.2 \
	<(sort -k1,1 "$KS_TMP/rl.b") <(sort -k1,1 "$KS_TMP/rq.b") | sort -n | tr '\n' ' ')"
rl_n=$(awk '{ s += $2 } END { print s + 0 }' "$KS_TMP/rl.b")
rq_n=$(awk '{ s += $2 } END { print s + 0 }' "$KS_TMP/rq.b")
check_ge "runqlat saw the load (waits)" "$rl_n" 5000
check_within "runq's wait count agrees with runqlat's" "$rq_n" "$rl_n" 3
# The distributions, as the share of waits below each bucket's upper end
# (permille): measured at most 79 apart (the 4-7 us bucket: runq starts a
# woken wait at the kernel's enqueue stamp, runqlat at sched_wakeup, and
# restarts it on a second wakeup; docs/peers.md); before the fix of the
# stale runqueue clock runq had 236 permille below 2 us to runqlat's 91.
worst=$(join -a1 -a2 -e0 -o 0,1.2,2.2 <(sort -k1,1 "$KS_TMP/rl.b") <(sort -k1,1 "$KS_TMP/rq.b") |
	sort -n | awk -v a="$rl_n" -v b="$rq_n" '
	{ ca += $2; cb += $3; d = int(1000 * ca / a) - int(1000 * cb / b); if (d < 0) d = -d
	  if (d > w) { w = d; at = $1 } }
	END { print w + 0, at + 0 }')
echo "  largest gap between the cumulative shares: ${worst% *} permille (bucket from ${worst#* } us)"
check_le "runq's distribution within 120 permille of runqlat's at every bucket" "${worst% *}" 120
# the reported bug itself: waits under 2 us (runq 45 %, runqlat 9 %)
lo_rl=$(awk '$1 == 0 { print int(1000 * $2 / '"$rl_n"') }' "$KS_TMP/rl.b")
lo_rq=$(awk '$1 == 0 { print int(1000 * $2 / '"$rq_n"') }' "$KS_TMP/rq.b")
check_le "runq's share of waits under 2 us (permille) within 60 of runqlat's ($lo_rl)" "${lo_rq:-1000}" $(( ${lo_rl:-0} + 60 ))

# ---- 2. softirq vs softirqs ----
# NET_RX from loopback pings in a namespace of our own (bounded by
# timeout), the two tools stopped together; counts per vector against
# `softirqs -d` (its histograms' totals), time against `softirqs -N`.
NS=ksl-peer-$$
ip netns add "$NS" && ks_track_netns "$NS"
ip -n "$NS" link set lo up
ks_bg SQN softirqs -N >"$KS_TMP/sqn.out" 2>&1
ks_bg SQD softirqs -d >"$KS_TMP/sqd.out" 2>&1
ks_bg KSQ "$KS" softirq --json -i 60 >"$KS_TMP/ksq.json" 2>"$KS_TMP/ksq.err"
ks_wait_for "$KS_TMP/sqn.out" "Tracing" 10
ks_wait_for "$KS_TMP/sqd.out" "Tracing" 10
ks_wait_for "$KS_TMP/ksq.err" "Tracing" 10
sleep 0.3
ip netns exec "$NS" timeout 2 ping -f -q 127.0.0.1 >/dev/null 2>&1
kill -INT "$SQN" "$SQD" "$KSQ"
ks_wait "$SQN" 10 "softirqs -N after SIGINT"
ks_wait "$SQD" 10 "softirqs -d after SIGINT"
ks_wait "$KSQ" 10 "ksleuth softirq after SIGINT"
# softirqs -d: a "softirq = NAME" line, then its histogram
sq_count() {
	awk -v v="$1" '/^softirq = / { cur = $3 } /^ *[0-9]+ -> / && cur == v { s += $5 } END { print s + 0 }' \
		"$KS_TMP/sqd.out"
}
sq_ns() { awk -v v="$1" '$1 == v { print $2 }' "$KS_TMP/sqn.out"; }
ks_sum() {
	jq -s --arg v "$1" '[.[] | select(.type == "softirq_total" and .vector == $v)] |
		{ n: (map(.runs) | add // 0), ns: (map(.runs * .run_avg_ns) | add // 0) } | "\(.n) \(.ns)"' \
		-r "$KS_TMP/ksq.json"
}
for v in net_rx timer rcu; do
	read -r kn kns <<<"$(ks_sum $v)"
	echo "  $v: softirqs $(sq_count $v) runs, $(sq_ns $v) ns; ksleuth $kn runs, $kns ns"
	eval "k_$v=$kn kns_$v=$kns"
done
check_ge "the pings raised NET_RX (softirqs' count)" "$(sq_count net_rx)" 10000
# one tool's window can hold a few handler runs the other's does not (the
# three attach and stop within ~0.1 s of each other). PROVISIONAL: not yet
# measured in this test (docs/peers.md); 2 s of idle timer runs (~250/s)
# at 0.1 s of skew is ~5 %, hence 10
check_within "net_rx runs agree with softirqs" "$k_net_rx" "$(sq_count net_rx)" 2
check_within "timer runs agree with softirqs" "$k_timer" "$(sq_count timer)" 10
# time: both take entry -> exit; each tool's own probe falls inside or
# outside the other's interval. PROVISIONAL, not yet measured
check_within "net_rx time agrees with softirqs -N" "${kns_net_rx%.*}" "$(sq_ns net_rx)" 10

# ---- 3. count vs bpftrace ----
# A shell of ours, parked on a fifo, writes N times to /dev/null (one
# write(2) per printf builtin) once both counters are attached; both
# count only that process. Exact: same tracepoint, same pid.
N=3000
mkfifo "$KS_TMP/go"
bash -c 'read -r _ <"$1"; exec 3>/dev/null; for ((i = 0; i < $2; i++)); do printf x >&3; done' \
	_ "$KS_TMP/go" "$N" &
W=$!; ks_track_pid "$W"
ks_bg BTC bpftrace -e "tracepoint:syscalls:sys_enter_write /pid == $W/ { @n = count(); }" \
	>"$KS_TMP/btc.out" 2>/dev/null
ks_bg KSC "$KS" count t:syscalls:sys_enter_write -p "$W" --json >"$KS_TMP/ksc.json" 2>"$KS_TMP/ksc.err"
ks_wait_for "$KS_TMP/btc.out" "Attaching" 10
ks_wait_for "$KS_TMP/ksc.err" "Tracing" 10
sleep 0.5 # bpftrace says "Attaching" before it has attached
echo go >"$KS_TMP/go"
ks_wait "$W" 20 "the writer"
sleep 0.3
ks_stop "$KSC" "ksleuth count"
ks_stop_ref "$BTC" bpftrace
bt_n=$(sed -n 's/^@n: \([0-9]*\)/\1/p' "$KS_TMP/btc.out")
kc_n=$(jq -r 'select(.type == "summary") | .counts["syscalls:sys_enter_write"]' "$KS_TMP/ksc.json" 2>/dev/null)
echo "  write(2) by the writer: bpftrace ${bt_n:-none}, ksleuth count ${kc_n:-none} (N=$N)"
check_ge "bpftrace counted at least the N writes" "${bt_n:-0}" "$N"
check_eq "ksleuth count equals bpftrace" "${kc_n:-none}" "${bt_n:-none}"

# ---- 4. retrans vs TcpRetransSegs ----
# The netbed's TCP load through 3 % random loss (netem on the sender's
# veth, inside its namespace): the tracepoint in that namespace against
# the namespace's own RetransSegs, read before and after.
CPU=$(( $(nr_cpus) > 1 ? 1 : 0 ))
ks_netbed_up "$CPU" || exit 1
DEV=$(ip -n "$NS_TX" -o link show type veth | awk -F': ' '{ print $2 }' | cut -d@ -f1 | head -1)
tc -n "$NS_TX" qdisc add dev "$DEV" root netem loss 3% || fail "netem on $NS_TX/$DEV"
snmp_retrans() {
	ip netns exec "$NS_TX" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
		else print $c["RetransSegs"] }' /proc/net/snmp
}
ks_bg KSR "$KS" retrans --json --netns "$NS_TX" -i 60 >"$KS_TMP/rt.json" 2>"$KS_TMP/rt.err"
ks_wait_for "$KS_TMP/rt.err" "Tracing" 10 || sleep 1
s0=$(snmp_retrans)
ks_bg LOAD "$KS" netbed load "$BED" -c "$CPU" -d 3 >/dev/null 2>"$KS_TMP/load.err"
ks_wait "$LOAD" 30 "netbed load"
sleep 0.5
s1=$(snmp_retrans)
ks_stop "$KSR" "ksleuth retrans"
tp=$(jq -r 'select(.type == "retrans_summary") | .tracepoint' "$KS_TMP/rt.json")
segs=$(( ${s1:-0} - ${s0:-0} ))
echo "  netem 3 % loss, 3 s: RetransSegs +$segs, ksleuth's tracepoint count ${tp:-none}"
check_ge "the lossy link made retransmits (RetransSegs)" "$segs" 50
# one tracepoint hit per retransmitted skb, RetransSegs counts its
# segments (GSO). PROVISIONAL, not yet measured (docs/peers.md)
check_within "ksleuth's retransmits agree with RetransSegs" "${tp:-}" "$segs" 10
