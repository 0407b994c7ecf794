#!/bin/bash
# test_netbed.sh — the network test bed: up -> load -> traffic in the
# namespace's /proc/net/dev and on the receive CPU's softnet `processed` ->
# down -> nothing left; a killed run's leftovers removed by `cleanup`. Then
# the recipe of docs/kernel-facts.md under load: a kernel-bh hog (500 ms every
# 2 s) on the receive CPU makes TCP retransmit and the backlog drop; the
# kernel-fixed hog, same length in 1 ms slices, does not.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ip
require_cmd iperf3
require_cmd bpftrace
require_cmd python3

CPU=$(( $(nr_cpus) > 1 ? 1 : 0 ))

# softnet CPU: "processed dropped" of that CPU (the CPU id is a column on
# this kernel; older kernels: the row number).
softnet() {
	python3 - "$1" <<'PY'
import sys
cpu = int(sys.argv[1])
for row, line in enumerate(open("/proc/net/softnet_stat")):
    f = [int(x, 16) for x in line.split()]
    c = f[12] if len(f) >= 13 else row
    if c == cpu:
        print(f[0], f[1]); break
PY
}
# rx packets of ksl-rx, read inside the receiving namespace
rx_packets() { ip netns exec "$1" cat /proc/net/dev | sed 's/:/ /' | awk '$1 == "ksl-rx" {print $3}'; }
tcp_retrans_segs() { ip netns exec "$1" cat /proc/net/snmp | awk '/^Tcp: [0-9]/{print $13}'; }
ns_pids() { ip netns pids "$1" 2>/dev/null | wc -l; }

# --- bad arguments
check_exit "netbed without action" 2 "$KS" netbed
check_exit "unknown action" 2 "$KS" netbed frob
check_exit "load without ID" 2 "$KS" netbed load
check_exit "load longer than 300s" 2 "$KS" netbed load ksl-1-0 -d 301s
check_exit "down of a bed that does not exist" 1 "$KS" netbed down ksl-999999999-0
check_grep "not-found message" "not found" "$KS_TMP/err"
check_exit "down of a foreign name refused" 1 "$KS" netbed down myns

# --- up
"$KS" netbed up -c "$CPU" --json > "$KS_TMP/up.json" 2>"$KS_TMP/up.err"
ID=$(jq -r .id "$KS_TMP/up.json" 2>/dev/null)
if [ -z "$ID" ] || [ "$ID" = null ]; then fail "netbed up: $(cat "$KS_TMP/up.err")"; exit 1; fi
ks_track_netns "$ID-tx"; ks_track_netns "$ID-rx"
ks_on_exit "$KS netbed down $ID"
check_eq "up: owner is this shell" "${ID#ksl-}" "$$-${ID##*-}"
check "up: both namespaces exist" sh -c "ip netns list | grep -q '^$ID-tx' && ip netns list | grep -q '^$ID-rx'"
check "up: rx address only inside the namespace" sh -c \
	"ip -n $ID-rx -4 addr show ksl-rx | grep -q 10.201.0.2/30 && ! ip -4 addr show | grep -q 10.201.0."
mask=$(ip netns exec "$ID-rx" cat /sys/class/net/ksl-rx/queues/rx-0/rps_cpus | tr -d ',')
check_eq "up: RPS steers ksl-rx to CPU $CPU" "$((16#$mask))" "$((1 << CPU))"

# --- load: traffic shows in the namespace's counters and on the RPS CPU
p0=$(rx_packets "$ID-rx"); read -r s0 _ < <(softnet "$CPU")
"$KS" netbed load "$ID" -c "$CPU" -d 3 --json > "$KS_TMP/load.json" 2>"$KS_TMP/load.err"
check_eq "load: exit 0" "$?" 0
p1=$(rx_packets "$ID-rx"); read -r s1 _ < <(softnet "$CPU")
rep=$(jq .rx_packets "$KS_TMP/load.json")
check_ge "load: ksl-rx received packets (/proc/net/dev in $ID-rx)" "$((p1 - p0))" 20000
check_within "load: its own count agrees with /proc/net/dev" "${rep:-0}" "$((p1 - p0))" 2
check_ge "load: CPU $CPU processed them (softnet processed >= 90% of rx)" \
	"$((s1 - s0))" "$(( (p1 - p0) * 9 / 10 ))"
check_eq "load: no process left in $ID-tx" "$(ns_pids "$ID-tx")" 0
check_eq "load: no process left in $ID-rx" "$(ns_pids "$ID-rx")" 0

# --- the recipe: one load of 24 s; baseline, then kernel-bh, then kernel-fixed
cat > "$KS_TMP/rt.bt" <<'BT'
tracepoint:tcp:tcp_retransmit_skb { printf("R %llu\n", nsecs); }
BT
ks_bg BT_PID bpftrace "$KS_TMP/rt.bt" >"$KS_TMP/rt.out" 2>"$KS_TMP/rt.err"
for _ in $(seq 50); do grep -q Attaching "$KS_TMP/rt.out" && break; sleep 0.2; done
ks_bg LOAD_PID "$KS" netbed load "$ID" -c "$CPU" -d 24 --json > "$KS_TMP/load2.json"
sleep 2
LOAD_PIDS=$(ip netns pids "$ID-tx"; ip netns pids "$ID-rx")
check_ge "load: 4 iperf3 processes in the namespaces" "$(echo $LOAD_PIDS | wc -w)" 4
mark() { # NAME: monotonic ns, softnet dropped on CPU, TcpRetransSegs in tx
	local t d
	t=$(python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC))')
	read -r _ d < <(softnet "$CPU")
	echo "$1 $t $d $(tcp_retrans_segs "$ID-tx")" >> "$KS_TMP/marks"
}
mark base0; sleep 5; mark base1
"$KS_HOG" --mode kernel-bh -c "$CPU" --run 500ms --gap 1500ms -n 4 > "$KS_TMP/hog-bh.txt"
sleep 1.5; mark bh1   # the last stall's recovery (RTO backoff) counts to kernel-bh
"$KS_HOG" --mode kernel-fixed -c "$CPU" --run 500ms --gap 1500ms -n 4 > "$KS_TMP/hog-fixed.txt"
sleep 0.5; mark fixed1
ks_wait "$LOAD_PID" 30 "netbed load"
ks_stop_ref "$BT_PID" bpftrace

python3 - "$KS_TMP" <<'PY' >"$KS_TMP/verdicts" 2>"$KS_TMP/verdicts.err"
import sys
tmp = sys.argv[1]
m = {}
for l in open(f"{tmp}/marks"):
    n, t, d, r = l.split(); m[n] = (int(t), int(d), int(r))
ev = [int(l.split()[1]) for l in open(f"{tmp}/rt.out") if l.startswith("R ")]
def win(a, b):
    t0, t1 = m[a][0], m[b][0]
    return (sum(1 for t in ev if t0 <= t < t1), m[b][1] - m[a][1], m[b][2] - m[a][2], (t1 - t0) / 1e9)
bt_b, dr_b, rs_b, sec_b = win("base0", "base1")
bt_h, dr_h, rs_h, sec_h = win("base1", "bh1")
bt_f, dr_f, rs_f, sec_f = win("bh1", "fixed1")
base_h = bt_b / sec_b * sec_h   # baseline scaled to the hog window
base_f = bt_b / sec_b * sec_f
print(f"INFO baseline {bt_b} retransmit events ({rs_b} TcpRetransSegs) in {sec_b:.1f}s, {dr_b} drops")
print(f"INFO kernel-bh {bt_h} events ({rs_h} segs) in {sec_h:.1f}s, {dr_h} drops")
print(f"INFO kernel-fixed {bt_f} events ({rs_f} segs) in {sec_f:.1f}s, {dr_f} drops")
def say(ok, msg): print(("PASS " if ok else "FAIL ") + msg)
# The baseline is noisy: tail loss probes with no drop at all, seen 1, 11
# and 31 events in 6 s (CI); the BH-off hog brings ~250-275 in 9 s with
# ~31000 drops. Once the baseline had 59 in 5.8 s (87 for the hog's
# time, a 3.0x ratio). Twice the baseline's rate, at least 40.
say(bt_h >= max(40, 2 * base_h), f"kernel-bh hog: {bt_h} tcp_retransmit_skb vs baseline {base_h:.1f} for the same time (>= 2x, >= 40)")
say(rs_h >= 20, f"kernel-bh hog: TcpRetransSegs in the sending namespace rose by {rs_h} (>= 20)")
say(dr_h >= 100, f"kernel-bh hog: softnet drops on the receive CPU: {dr_h} (>= 100)")
# The fixed hog still takes half the CPU in 1 ms slices: tail loss probes
# fire now and then (seen 0-21 per run, never a drop); what it must not do
# is retransmit like the BH-off hog. Both are judged by what they add to
# the baseline's rate: in one CI run the baseline itself had 65 in 5.6 s,
# the fixed hog 115 (91 expected from the baseline) beside the BH-off
# hog's 319 (101), with 0 drops against 31105.
ex_h, ex_f = bt_h - base_h, bt_f - base_f
say(bt_f <= max(40, 3 * base_f) and 5 * ex_f <= ex_h,
    f"kernel-fixed hog: {bt_f} tcp_retransmit_skb (baseline {base_f:.1f}; <= max(40, 3x); "
    f"{ex_f:.0f} over the baseline, <= 1/5 of kernel-bh's {ex_h:.0f})")
say(dr_f <= max(10, dr_h // 100), f"kernel-fixed hog: softnet drops on the receive CPU: {dr_f} (about none)")
PY
ks_verdicts "the recipe's analysis" $? "$KS_TMP/verdicts"

# --- down: nothing left
"$KS" netbed down "$ID"
check_eq "down: exit 0" "$?" 0
check_eq "down: no namespace left" "$(ip netns list | grep -c "^$ID-")" 0
# processes still running (a zombie waiting for its reaper has ended)
alive() {
	local n=0 p
	for p in "$@"; do
		[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" ] &&
			[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && n=$((n + 1))
	done
	echo $n
}
check_eq "down: none of the load's processes is left" "$(alive $LOAD_PIDS)" 0

# --- a killed run: its owner dies with the bed up and load running
bash -c "exec sleep 30" & OWNER=$!; ks_track_pid "$OWNER"
"$KS" netbed up -c "$CPU" --owner "$OWNER" > "$KS_TMP/up2.txt"
ID2=$(cut -d' ' -f1 "$KS_TMP/up2.txt")
ks_track_netns "$ID2-tx"; ks_track_netns "$ID2-rx"
"$KS" netbed load "$ID2" -c "$CPU" -d 20 > /dev/null 2>&1 & L2=$!; ks_track_pid "$L2"
sleep 1.5
PIDS2=$(ip netns pids "$ID2-tx"; ip netns pids "$ID2-rx")
check_ge "killed run: load processes in its namespaces" "$(echo $PIDS2 | wc -w)" 4
"$KS" netbed cleanup > "$KS_TMP/c0.txt"
check "cleanup keeps a bed whose owner lives" ip netns exec "$ID2-rx" true
kill -KILL "$L2" "$OWNER"; wait "$L2" "$OWNER" 2>/dev/null
"$KS" netbed cleanup > "$KS_TMP/c1.txt"
check_eq "cleanup: exit 0" "$?" 0
check_grep "cleanup: says what it removed" "removed [2-9] namespaces" "$KS_TMP/c1.txt"
check_eq "cleanup: leftover namespaces gone" "$(ip netns list | grep -c "^$ID2-")" 0
check_eq "cleanup: the dead run's processes are gone" "$(alive $PIDS2)" 0
