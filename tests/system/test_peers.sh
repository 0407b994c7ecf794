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
require_cmd nft
LOUDP=$KS_HELPERS/loudp
[ -x "$LOUDP" ] || make -C "$KS_ROOT" -s BUILD="$KS_BUILD" "$KS_BUILD/helpers/loudp" >/dev/null ||
	{ fail "cannot build the loudp helper"; exit 1; }

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
# the reported bug itself: waits under 2 us (runq 45 %, runqlat 9 %: 360
# permille apart). Ten CI-like runs put the two 7 to 63 permille apart
# (the two tools count over slightly different windows of a bursty load),
# hence 100.
lo_rl=$(awk '$1 == 0 { print int(1000 * $2 / '"$rl_n"') }' "$KS_TMP/rl.b")
lo_rq=$(awk '$1 == 0 { print int(1000 * $2 / '"$rq_n"') }' "$KS_TMP/rq.b")
check_le "runq's share of waits under 2 us (permille) within 100 of runqlat's ($lo_rl)" "${lo_rq:-1000}" $(( ${lo_rl:-0} + 100 ))

# ---- 2. softirq vs softirqs ----
# NET_RX from loopback UDP in a namespace of our own (the loudp helper,
# 2 s: ping is not installed everywhere), the three tools stopped
# together; counts per vector against `softirqs -d` (its histograms'
# totals), time against `softirqs -N`.
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
ip netns exec "$NS" timeout 5 "$LOUDP" 2000 >"$KS_TMP/loudp.out" 2>&1 ||
	fail "loudp in $NS: $(head -c 300 "$KS_TMP/loudp.out")"
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
echo "  loudp: $(cat "$KS_TMP/loudp.out")"
check_ge "the loopback load raised NET_RX (softirqs' count)" "$(sq_count net_rx)" 10000
# The windows differ by the ~0.1 s between the tools' starts and stops,
# in which only the machine's own softirqs run (the load is inside them).
# 3 runs with the load: NET_RX runs equal to the run (435,776-476,864,
# also loudp's sends); 1 % allowed.
check_within "net_rx runs agree with softirqs" "$k_net_rx" "$(sq_count net_rx)" 1
# 4 runs: 0.07-0.9 % apart (1-14 of ~1,500 TIMER runs); 3 % allowed.
check_within "timer runs agree with softirqs" "$k_timer" "$(sq_count timer)" 3
# Time: both take entry -> exit, each with the other's programs inside
# its interval, which of a ~1.2 us NET_RX run is a few % and depends on
# the order the tools attached in. 3 runs: 0.06, 0.18 and 4.5 % apart
# (ksleuth below); 8 % allowed.
check_within "net_rx time agrees with softirqs -N" "${kns_net_rx%.*}" "$(sq_ns net_rx)" 8

# ---- 3. count vs bpftrace ----
# A shell of ours, parked on a fifo, writes N times to /dev/null (one
# write(2) per printf builtin) once both counters are attached; both
# count only that process. Exact: same tracepoint, same pid (4 runs:
# 3,000 and 3,000 each time).
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
# The netbed's TCP load for 3 s with 3 % of the data packets to the
# iperf3 port dropped at random on arrival in the receiver's namespace
# (nft; this kernel has no netem): the tracepoint in the sender's
# namespace against that namespace's own RetransSegs, read before and
# after. The tracepoint fires once per skb, RetransSegs adds the skb's
# segments, and TCP builds multi-segment skbs even with offloads off
# (7,090 hits against 16,998 segments that way): gso_max_segs 1 on the
# sender's veth makes every skb one segment, so the two count alike.
CPU=$(( $(nr_cpus) > 1 ? 1 : 0 ))
ks_netbed_up "$CPU" --no-offloads || exit 1
ip -n "$NS_TX" link set dev ksl-tx gso_max_segs 1 || fail "gso_max_segs 1 on ksl-tx in $NS_TX"
ip netns exec "$NS_RX" nft -f - <<'NFT' || fail "nft loss rule in $NS_RX"
table ip ksl_peers {
	chain pre {
		type filter hook prerouting priority 0;
		tcp dport 5201 ip length > 200 numgen random mod 100 < 3 counter drop
	}
}
NFT
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
read -r tp tpf ks_segs <<<"$(jq -r 'select(.type == "retrans_summary") |
	"\(.tracepoint) \(.tracepoint_failed) \(.retrans_segs)"' "$KS_TMP/rt.json")"
segs=$(( ${s1:-0} - ${s0:-0} ))
drops=$(ip netns exec "$NS_RX" nft list table ip ksl_peers 2>/dev/null | sed -n 's/.*packets \([0-9]*\).*/\1/p')
echo "  3 % of data packets dropped (${drops:-?}), 3 s: RetransSegs +$segs;" \
	"ksleuth: tracepoint ${tp:-none} (failed ${tpf:-none}), its RetransSegs ${ks_segs:-none}"
check_ge "the lossy link made retransmits (RetransSegs)" "$segs" 50
# Failed attempts (err != 0) would count on the tracepoint only; there
# were none. 3 runs: the tracepoint 0.26-1.2 % below RetransSegs (the
# rest is not established; docs/peers.md); 5 % allowed.
check_within "ksleuth's retransmits agree with RetransSegs" "${tp:-}" "$segs" 5
