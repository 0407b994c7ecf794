#!/bin/bash
# bench/stream.sh — the always-on cost of a collector on veth throughput,
# measured inside one long TCP stream. bench/paired.sh starts a new
# iperf3 connection for every run, and on this VM consecutive connections
# differ by 10-40 % (4 flows) or ~7 % (one flow): each settles into its
# own pace. Here one flow runs for the whole benchmark (sender on CPU 0,
# receiver on the last CPU) and the tool is started and stopped while it
# runs. The receiving veth's byte counter is read at the edges of each
# phase: a baseline phase, the tool started (attached + 1 s), a phase with
# it, the tool stopped (+ 1 s), the next baseline phase. The start and stop
# themselves fall outside every phase, and each phase with the tool is
# taken against the mean of the baseline phases on either side of it.
#
# Usage: [FLOWS=N] bench/stream.sh TOOL[,TOOL...] [CYCLES] [PHASE_S]
#   TOOL     as in bench/paired.sh (doctor, doctor-trace, bpftrace,
#            perf-sched, none, wake20, ...); several take turns in each cycle
#   CYCLES   default 20
#   PHASE_S  seconds per phase, default 5
#   FLOWS    parallel TCP flows in the stream, default 1 (bench/doctor.sh
#            and bench/paired.sh use 4: within one connection those swing
#            12-37 Gbit/s second by second, one flow +-5 %)
# Prints each phase, then per tool the median cost with a 95 % bootstrap
# interval. Not a test. Runs under the systest lock.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
KS=${KS:-build/ksleuth}
TOOL=${1:?usage: bench/stream.sh TOOL[,TOOL...] [CYCLES] [PHASE_S]}
CYCLES=${2:-20}
PHASE=${3:-5}
FLOWS=${FLOWS:-1}
case $CYCLES$PHASE$FLOWS in
*[!0-9]*) echo "bench/stream.sh: CYCLES, PHASE_S and FLOWS are whole numbers" >&2; exit 2 ;;
esac
TMP=$(mktemp -d /tmp/ksleuth-stream.XXXXXX)
BG= SRV= CLI=
NSA=ksbs-a-$$ NSB=ksbs-b-$$

cleanup() {
	for p in $BG $CLI $SRV; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	veth_down "$NSA" "$NSB"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bench_lock

parse_tools "$TOOL"
cmp_bt "$TMP/cmp.bt"
veth_up "$NSA" "$NSB" 10.207.0

# the stream: long enough for every phase, start and stop (at most 30 s
# each), bounded all the same
SECS=$(( 60 + CYCLES * ${#TOOLS[@]} * (2 * PHASE + 40) ))
RCPU=$(( $(nproc) - 1 ))
ip netns exec "$NSB" taskset -c "$RCPU" iperf3 -s -1 -p 5305 >/dev/null 2>&1 & SRV=$!
sleep 0.3
ip netns exec "$NSA" taskset -c 0 iperf3 -c 10.207.0.2 -p 5305 -P "$FLOWS" -t "$SECS" >/dev/null 2>&1 & CLI=$!
sleep 3  # past slow start

# rx_bytes: the receiving veth's byte counter
rx_bytes() { ip -n "$NSB" -s -j link show vb | jq '.[0].stats64.rx.bytes'; }

# phase: Gbit/s received over the next PHASE seconds
phase() {
	local t0 b0 t1 b1
	t0=$(date +%s.%N); b0=$(rx_bytes)
	sleep "$PHASE"
	t1=$(date +%s.%N); b1=$(rx_bytes)
	kill -0 "$CLI" 2>/dev/null || { echo "bench/stream.sh: the iperf3 stream ended early" >&2; exit 1; }
	echo "$b0 $b1 $t0 $t1" | awk '{ printf "%.3f\n", ($2 - $1) * 8 / ($4 - $3) / 1e9 }'
}

for i in $(seq 1 "$CYCLES"); do
	for tool in "${TOOLS[@]}"; do
		set_tool "$tool"
		b=$(phase)
		start_tool
		t=$(phase)
		stop_tool
		sleep 1
		echo "$b $t $tool" >> "$TMP/pairs"
		echo "cycle $i/$CYCLES: without $b, with $tool $t" >&2
	done
done
echo "$(phase) - -" >> "$TMP/pairs"

paired_report "$TMP/pairs" tput "veth stream, $FLOWS flow(s)"
