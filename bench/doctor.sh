#!/bin/bash
# bench/doctor.sh — what `ksleuth doctor` costs and how fast it speaks:
#  - overhead on perf bench sched messaging and on veth TCP throughput
#    (iperf3, 4 flows, between two namespaces this script creates),
#    N repetitions without it, with it, with a bpftrace script doing
#    comparable collection (sched wakeup/switch waits, softirq raise->entry,
#    tcp_retransmit_skb counts) and with perf sched record, interleaved
#    (each repetition starts at another column); medians, min-max, and the
#    median of per-repetition (paired) costs;
#  - CPU accounting, a measurement that does not drown in the machine's
#    noise: the CPU time of the tool's process and of all BPF programs
#    (BPF_ENABLE_STATS held while it runs) during the same workloads, as a
#    share of the machine (wall time x CPUs), minus what runs without it;
#  - time from the end of a 500 ms kernel hold (the hog's own clock) to the
#    doctor's stall record, and from the start of a wait behind the hold
#    (not before the hold's start) to the first "ongoing" record;
#  - the doctor's peak RSS and BPF map memory.
# Prints a Markdown table for docs/PERFORMANCE.md. Not a test.
# Usage: bench/doctor.sh [N]   (default 7). Runs under the systest lock.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
KS=${KS:-build/ksleuth}
KS_HOG=${KS_HOG:-$(dirname "$KS")/ksleuth-hog}
N=${1:-7}
TMP=$(mktemp -d /tmp/ksleuth-bench.XXXXXX)
BG=
STATS=
NSA=ksbd-a-$$ NSB=ksbd-b-$$

cleanup() {
	[ -n "$BG" ] && kill -TERM "$BG" 2>/dev/null && wait "$BG" 2>/dev/null
	[ -n "$STATS" ] && kill -TERM "$STATS" 2>/dev/null && wait "$STATS" 2>/dev/null
	veth_down "$NSA" "$NSB"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bench_lock

veth_up "$NSA" "$NSB" 10.203.0

msg_s() { perf bench sched messaging -g 10 -l 400 2>/dev/null | awk '/Total time/{print $3}'; }
tcp_gbps() { veth_gbps "$NSA" "$NSB" 10.203.0 5302 4; }
median() { sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
runs() { for _ in $(seq 1 "$N"); do $1; done | median; }

cmp_bt "$TMP/cmp.bt"

with() { # with CMD...: start a collector, wait until it is attached
	"$@" >"$TMP/bg.out" 2>"$TMP/bg.err" & BG=$!
	sleep 4
}
without() { kill -INT "$BG" 2>/dev/null; wait "$BG" 2>/dev/null || true; BG=; rm -f "$TMP"/perf.data*; }
start_cfg() {
	case $1 in
	none) ;;
	doctor) with "$KS" doctor --json ;;
	bpftrace) with bpftrace "$TMP/cmp.bt" ;;
	perf-sched) with perf sched record -o "$TMP/perf.data" -- sleep 600 ;;
	esac
}
stop_cfg() { [ -n "$BG" ] && without; return 0; }

# Interleaved: every repetition runs each configuration once, so a drift
# of the (shared, virtual) machine hits all columns alike.
CFGS=(none doctor bpftrace perf-sched)
for r in $(seq 1 "$N"); do
	for k in 0 1 2 3; do
		c=${CFGS[$(( (r + k) % 4 ))]}
		start_cfg "$c"
		msg_s >> "$TMP/msg.$c"
		tcp_gbps >> "$TMP/tcp.$c"
		stop_cfg
	done
	echo "rep $r of $N done" >&2
done

# CPU accounting: BPF run time of every program (stats on for the whole
# pass, in every column alike) and the tool's own CPU time, over each
# workload; a share of wall time x CPUs. The none column's BPF time (other
# programs on the machine) is subtracted from the others'.
echo "CPU accounting..." >&2
python3 -c 'import ctypes, time
libc = ctypes.CDLL(None, use_errno=True)
attr = (ctypes.c_uint32 * 4)()  # BPF_STATS_RUN_TIME
fd = libc.syscall(321, 32, ctypes.byref(attr), 16)  # bpf(BPF_ENABLE_STATS)
if fd < 0: raise SystemExit("BPF_ENABLE_STATS failed")
time.sleep(3600)' & STATS=$!
sleep 0.5
bpf_ns() { bpftool prog show -j 2>/dev/null | jq '[.[] | .run_time_ns // 0] | add // 0'; }
task_ns() { if [ -n "$BG" ]; then awk '{print $1}' "/proc/$BG/schedstat"; else echo 0; fi; }
account() { # account CFG WORKLOAD -> "wall_s bpf_ns task_ns" appended to acct.CFG.WORKLOAD
	local b0 t0 w0 b1 t1 w1
	b0=$(bpf_ns); t0=$(task_ns); w0=$(date +%s%N)
	"$2" >/dev/null
	b1=$(bpf_ns); t1=$(task_ns); w1=$(date +%s%N)
	echo "$(( w1 - w0 )) $(( b1 - b0 )) $(( t1 - t0 ))" >> "$TMP/acct.$1.$2"
}
for r in 1 2 3; do
	for c in none doctor bpftrace; do
		start_cfg "$c"
		account "$c" msg_s
		account "$c" tcp_gbps
		stop_cfg
	done
done
kill -TERM "$STATS"; wait "$STATS" 2>/dev/null || true; STATS=
NCPU=$(nproc)
# acct CFG WORKLOAD -> "BPF% task% total%" (medians over the 3 passes)
acct() {
	paste "$TMP/acct.$1.$2" "$TMP/acct.none.$2" |
		awk -v n="$NCPU" '{ w = $1 * n; printf "%.3f %.3f\n", ($2 - $5) / w * 100, $3 / w * 100 }' > "$TMP/acct.pct"
	local b t
	b=$(cut -d' ' -f1 "$TMP/acct.pct" | median); t=$(cut -d' ' -f2 "$TMP/acct.pct" | median)
	awk -v b="$b" -v t="$t" 'BEGIN { printf "%.2f%% + %.2f%% = %.2f%%", b, t, b + t }'
}
M0=$(median < "$TMP/msg.none"); I0=$(median < "$TMP/tcp.none")
M1=$(median < "$TMP/msg.doctor"); I1=$(median < "$TMP/tcp.doctor")
M2=$(median < "$TMP/msg.bpftrace"); I2=$(median < "$TMP/tcp.bpftrace")
M3=$(median < "$TMP/msg.perf-sched"); I3=$(median < "$TMP/tcp.perf-sched")
spread() { sort -g "$TMP/$1" | awk 'NR==1{lo=$1} {hi=$1} END{printf "%s-%s", lo, hi}'; }
# paired: each repetition's cost against the baseline run next to it,
# median over repetitions (less exposed to the machine's drift)
paired() { # paired WORKLOAD CFG time|tput
	paste "$TMP/$1.$2" "$TMP/$1.none" | awk -v dir="$3" '{ if (dir == "time") print ($1-$2)/$2*100; else print ($2-$1)/$2*100 }' |
		median | awk '{printf "%+.1f%%", $1}'
}

echo "latency and memory..." >&2
"$KS" doctor --json -d 12 >"$TMP/lat.json" 2>/dev/null & BG=$!
sleep 3
# a waiter on the hog's CPU so that the hold shows as a wait, too
"$KS_HOG" --mode kernel -c 1 --run 500ms --gap 1500ms -n 4 --json >"$TMP/hog.json" 2>/dev/null
sleep 1
RSS=$(awk '/^VmHWM/{print $2}' "/proc/$BG/status")
# BPF maps the doctor holds: count and kernel memory (fdinfo memlock)
MAPS=$(for f in /proc/"$BG"/fdinfo/*; do
		if grep -q '^map_type' "$f" 2>/dev/null; then awk '/^memlock/{print $2}' "$f"; fi
	done |
	awk '{n++; s+=$1} END{printf "%d maps, %.1f MiB", n, s/1048576}')
wait "$BG" || true; BG=
HP=$(jq -r 'select(.type=="hog_start") | .pid' "$TMP/hog.json")
# per hog run: first finished stall record of the hog emitted after kend,
# first ongoing record after kstart
LAT=$(jq -s --argjson p "$HP" '
	[.[] | select(.type=="stall" and .culprit != null and .culprit.pid == $p)] as $st |
	[.[] | select(.type=="hog_run")] as $runs | $runs |
	map(. as $r | {
		done: ([$st[] | select(.ongoing == false and .end_ns >= $r.kstart_ns and .end_ns <= $r.kend_ns + 50000000)
			| .emitted_ns - $r.kend_ns] | min),
		ongoing: ([$st[] | select(.ongoing == true and .end_ns >= $r.kstart_ns and .end_ns <= $r.kend_ns)
			| .emitted_ns - ([.start_ns, $r.kstart_ns] | max)] | min) })' "$TMP/lat.json" "$TMP/hog.json")
DONE_MED=$(jq '[.[].done | select(. != null)] | sort | .[(length-1)/2|floor] / 1e6 | . * 10 | round / 10' <<<"$LAT")
DONE_MAX=$(jq '[.[].done | select(. != null)] | max / 1e6 | . * 10 | round / 10' <<<"$LAT")
ONG_MED=$(jq '[.[].ongoing | select(. != null)] | sort | .[(length-1)/2|floor] / 1e6 | . * 10 | round / 10' <<<"$LAT")
ONG_MAX=$(jq '[.[].ongoing | select(. != null)] | max / 1e6 | . * 10 | round / 10' <<<"$LAT")

pct() { awk -v a="$1" -v b="$2" -v dir="$3" 'BEGIN{ if (dir == "time") printf "%+.1f%%", (a-b)/b*100; else printf "%+.1f%%", (b-a)/b*100 }'; }
echo
echo "### ksleuth doctor ($(date -u +%F), $(nproc) CPUs, $(uname -r), median of $N)"
echo
echo "| measurement | without | doctor | bpftrace (comparable) | perf sched record |"
echo "|---|---|---|---|---|"
echo "| perf bench sched messaging -g 10 -l 400 (s) | $M0 | $M1 ($(pct "$M1" "$M0" time)) | $M2 ($(pct "$M2" "$M0" time)) | $M3 ($(pct "$M3" "$M0" time)) |"
echo "| (min-max) | $(spread msg.none) | $(spread msg.doctor) | $(spread msg.bpftrace) | $(spread msg.perf-sched) |"
echo "| messaging, paired (median of per-repetition costs) | | $(paired msg doctor time) | $(paired msg bpftrace time) | $(paired msg perf-sched time) |"
echo "| iperf3 over veth, 4 flows, 4 s (Gbit/s) | $I0 | $I1 ($(pct "$I1" "$I0" tput)) | $I2 ($(pct "$I2" "$I0" tput)) | $I3 ($(pct "$I3" "$I0" tput)) |"
echo "| (min-max) | $(spread tcp.none) | $(spread tcp.doctor) | $(spread tcp.bpftrace) | $(spread tcp.perf-sched) |"
echo "| iperf3, paired (median of per-repetition costs) | | $(paired tcp doctor tput) | $(paired tcp bpftrace tput) | $(paired tcp perf-sched tput) |"
echo "| CPU during messaging, share of the machine: BPF + process (median of 3) | | $(acct doctor msg_s) | $(acct bpftrace msg_s) | |"
echo "| CPU during veth iperf3, share of the machine: BPF + process (median of 3) | | $(acct doctor tcp_gbps) | $(acct bpftrace tcp_gbps) | |"
echo "| end of a 500 ms hold -> stall record (ms, median / max) | | $DONE_MED / $DONE_MAX | |"
echo "| start of a wait behind the hold -> first ongoing record (ms, median / max; threshold 100 ms) | | $ONG_MED / $ONG_MAX | |"
echo "| doctor peak RSS (KiB) | | $RSS | |"
echo "| BPF maps of the doctor (kernel memory, memlock) | | $MAPS | |"
