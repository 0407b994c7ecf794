#!/bin/bash
# bench/agent.sh — what `ksleuth agent` costs: scrape latency (p50/p99 over
# N scrapes), its CPU use on an idle system, its RSS at start and after a
# run under load (hog stalls + 10 scrapes/s), and its overhead on a
# scheduler-heavy benchmark (perf bench sched pipe) and on loopback TCP
# (iperf3), each with and without the agent. Prints a Markdown table for
# docs/PERFORMANCE.md. Not a test: numbers, no verdict.
# Usage: bench/agent.sh [SCRAPES] [IDLE_S] [LOAD_S]   (defaults 200 60 120)
# Runs under /tmp/ksleuth-systest.lock (hogs and timing must not overlap).
set -euo pipefail
cd "$(dirname "$0")/.."
KS=${KS:-build/ksleuth}
KS_HOG=${KS_HOG:-$(dirname "$KS")/ksleuth-hog}
SCRAPES=${1:-200}
IDLE_S=${2:-60}
LOAD_S=${3:-120}
TMP=$(mktemp -d /tmp/ksleuth-bench.XXXXXX)
AGENT=
IPERF=

cleanup() {
	[ -n "$AGENT" ] && kill -TERM "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
	[ -n "$IPERF" ] && kill -TERM "$IPERF" 2>/dev/null && wait "$IPERF" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

exec 9>/tmp/ksleuth-systest.lock
flock 9

CPU=$(( $(nproc) > 1 ? 1 : 0 ))
HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
median_p99() { sort -n | awk '{v[NR]=$1} END{m=v[int((NR+1)/2)]; p=v[int(NR*0.99+0.999)]; printf "%.2f %.2f\n", m, p}'; }

start_agent() {
	"$KS" agent --listen 127.0.0.1:0 2>"$TMP/agent.err" &
	AGENT=$!
	for _ in $(seq 1 50); do grep -q collecting "$TMP/agent.err" && break; sleep 0.2; done
	PORT=$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/agent.err" | head -1 | sed 's/.*://')
	[ -n "$PORT" ] || { cat "$TMP/agent.err" >&2; exit 1; }
}
stop_agent() { kill -TERM "$AGENT"; wait "$AGENT" || true; AGENT=; }

pipe_s() { perf bench sched pipe -l 200000 2>/dev/null | awk '/Total time/{print $3}'; }
iperf_gbps() {
	iperf3 -s -1 -B 127.0.0.1 -p 5299 >/dev/null 2>&1 & IPERF=$!
	sleep 0.3
	iperf3 -c 127.0.0.1 -p 5299 -t 5 -J 2>/dev/null | jq '.end.sum_received.bits_per_second / 1e9 | . * 100 | round / 100'
	wait "$IPERF" 2>/dev/null || true; IPERF=
}
med3() { local a b c; a=$($1); b=$($1); c=$($1); printf '%s\n%s\n%s\n' "$a" "$b" "$c" | sort -g | sed -n 2p; }

echo "baseline without the agent..." >&2
PIPE0=$(med3 pipe_s)
IPERF0=$(med3 iperf_gbps)

start_agent
sleep 2
RSS0=$(rss_kb "$AGENT")

echo "scrape latency over $SCRAPES scrapes..." >&2
SIZE=$(curl -s "http://127.0.0.1:$PORT/metrics" | wc -c)
for _ in $(seq 1 "$SCRAPES"); do
	curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PORT/metrics"
done | awk '{printf "%.3f\n", $1 * 1000}' >"$TMP/lat"
read -r LAT50 LAT99 < <(median_p99 <"$TMP/lat")

echo "idle CPU over ${IDLE_S}s..." >&2
t0=$(cpu_ticks "$AGENT"); sleep "$IDLE_S"; t1=$(cpu_ticks "$AGENT")
IDLE_PCT=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v s="$IDLE_S" 'BEGIN{printf "%.2f", 100 * d / hz / s}')

echo "with the agent: sched pipe and iperf3..." >&2
PIPE1=$(med3 pipe_s)
IPERF1=$(med3 iperf_gbps)

echo "load for ${LOAD_S}s: a 300 ms kernel hog every 2 s and 10 scrapes/s..." >&2
"$KS_HOG" --mode kernel -c "$CPU" --run 300ms --gap 1700ms -d "${LOAD_S}s" >/dev/null 2>&1 &
HOG=$!
end=$(( $(date +%s) + LOAD_S ))
t0=$(cpu_ticks "$AGENT")
while [ "$(date +%s)" -lt "$end" ]; do
	curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics"; sleep 0.1
done
wait "$HOG" || true
t1=$(cpu_ticks "$AGENT")
LOAD_PCT=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v s="$LOAD_S" 'BEGIN{printf "%.2f", 100 * d / hz / s}')
RSS1=$(rss_kb "$AGENT")
stop_agent

cost() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%+.1f %%", 100 * (b - a) / a}'; }
cat <<TABLE
| date | machine | command | result |
|---|---|---|---|
| $(date -u +%F) | $(nproc) CPUs, $(uname -r) | bench/agent.sh $SCRAPES $IDLE_S $LOAD_S | scrape size ${SIZE} B |
| | | scrape latency (curl, $SCRAPES scrapes) | p50 ${LAT50} ms, p99 ${LAT99} ms |
| | | agent CPU, idle system, ${IDLE_S} s | ${IDLE_PCT} % of one core |
| | | agent CPU under load (hog + 10 scrapes/s), ${LOAD_S} s | ${LOAD_PCT} % of one core |
| | | agent RSS at start / after ${LOAD_S} s of load | ${RSS0} kB / ${RSS1} kB |
| | | perf bench sched pipe -l 200000 (median of 3) | ${PIPE0} s without, ${PIPE1} s with ($(cost "$PIPE0" "$PIPE1")) |
| | | iperf3 loopback 5 s (median of 3) | ${IPERF0} Gbit/s without, ${IPERF1} Gbit/s with ($(cost "$IPERF0" "$IPERF1")) |
TABLE
