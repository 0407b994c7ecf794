#!/bin/bash
# bench/runq.sh — what `ksleuth runq` costs on the hottest tracepoint.
# Throughput of `perf bench sched pipe` and `perf bench sched messaging`
# with nothing attached, with `ksleuth runq` (histogram mode, and slow mode
# with the sampler), with a bpftrace runqlat-equivalent, and with
# `perf sched record`; median of REPS runs each, interleaved. Then the
# per-event cost of our sched_switch program against an empty tp_btf
# program alone on the same tracepoint (separate runs), from BPF run-time statistics enabled
# through BPF_ENABLE_STATS for the life of ksleuth's fd (the global
# kernel.bpf_stats_enabled sysctl is not touched).
# Usage: bench/runq.sh [REPS]  (root; holds the system-test lock).
# PER_EVENT_ONLY=1 skips the throughput runs (per-event cost and the
# sampler's idle cost only: ~1 min with REPS 5).
# Prints a Markdown table for docs/PERFORMANCE.md.
set -uo pipefail
cd "$(dirname "$0")/.."
KS=${KS:-build/ksleuth}
REPS=${1:-5}
PIPE_LOOPS=${PIPE_LOOPS:-100000}
MSG_ARGS=${MSG_ARGS:-"-g 5 -l 100"}
TMP=$(mktemp -d /tmp/ksleuth-bench.XXXXXX)
TOOL_PID=

RESULTS=bench/results/runq-$(date -u +%Y%m%dT%H%M%S)
cleanup() {
	[ -n "$TOOL_PID" ] && kill -INT "$TOOL_PID" 2>/dev/null && wait "$TOOL_PID" 2>/dev/null
	# keep the raw numbers (bench/results/ is not committed)
	mkdir -p "$RESULTS" && cp "$TMP"/pipe.* "$TMP"/msg.* "$TMP"/*.err "$TMP"/stats.all "$RESULTS"/ 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "bench/runq.sh needs root" >&2; exit 1; }
for c in perf bpftrace "$KS"; do
	command -v "$c" >/dev/null || [ -x "$c" ] || { echo "missing $c" >&2; exit 1; }
done

cat > "$TMP/runqlat.bt" <<'BT'
tracepoint:sched:sched_wakeup, tracepoint:sched:sched_wakeup_new { @qtime[args->pid] = nsecs; }
tracepoint:sched:sched_switch {
	if (args->prev_state == 0) { @qtime[args->prev_pid] = nsecs; }
	$ns = @qtime[args->next_pid];
	if ($ns) { @usecs = hist((nsecs - $ns) / 1000); }
	delete(@qtime[args->next_pid]);
}
BT

start_tool() {
	case $1 in
	none) TOOL_PID= ; return ;;
	ksleuth) "$KS" runq -d 600 >"$TMP/tool.out" 2>&1 & ;;
	ksleuth-slow) "$KS" runq --slower 10ms -d 600 >"$TMP/tool.out" 2>&1 & ;;
	bpftrace) bpftrace "$TMP/runqlat.bt" >"$TMP/tool.out" 2>&1 & ;;
	perf-sched) perf sched record -o "$TMP/perf.data" -- sleep 600 >"$TMP/tool.out" 2>&1 & ;;
	esac
	TOOL_PID=$!
	for _ in $(seq 100); do
		grep -qE "Tracing|Attaching" "$TMP/tool.out" 2>/dev/null && break
		[ "$1" = perf-sched ] && [ -s "$TMP/perf.data" ] && break
		sleep 0.1
	done
	sleep 0.5
}
stop_tool() {
	[ -n "$TOOL_PID" ] || return
	kill -INT "$TOOL_PID" 2>/dev/null; wait "$TOOL_PID" 2>/dev/null
	[ -n "$(jobs -p)" ] && wait
	TOOL_PID=
	rm -f "$TMP/perf.data"*
}

# pipe: ops/sec (higher is better); messaging: seconds (lower is better)
bench_pipe() { perf bench sched pipe -l "$PIPE_LOOPS" 2>/dev/null | awk '/ops\/sec/ {print $1}'; }
# shellcheck disable=SC2086
bench_msg() { perf bench sched messaging $MSG_ARGS 2>/dev/null | awk '/Total time/ {print $3}'; }

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

TOOLS="none ksleuth ksleuth-slow bpftrace perf-sched"
run_all() {
	for r in $(seq "$REPS"); do
		for t in $TOOLS; do
			start_tool "$t"
			bench_pipe >> "$TMP/pipe.$t"
			bench_msg >> "$TMP/msg.$t"
			stop_tool
		done
		echo "rep $r done" >&2
	done
}

exec 9>/tmp/ksleuth-systest.lock
flock 9
if [ "${PER_EVENT_ONLY:-0}" != 1 ]; then
	run_all
else
	for t in $TOOLS; do echo 0 > "$TMP/pipe.$t"; echo 0 > "$TMP/msg.$t"; done
fi

# per-event cost: our programs, then each reference program alone on the
# tracepoint (a program's cost depends on its place among the programs
# attached there: measured ~100 ns more for the first), interleaved, one
# pipe run each, REPS times; the median ns per run of each program
STATS_CFGS="ours empty count ktime tstore"
for _ in $(seq "$REPS"); do
	for cfg in $STATS_CFGS; do
		if [ "$cfg" = ours ]; then
			"$KS" runq --bpf-stats -d 600 >"$TMP/stats.out" 2>"$TMP/stats.err" &
		else
			"$KS" runq --bpf-stats --reference "$cfg" -d 600 >"$TMP/stats.out" 2>"$TMP/stats.err" &
		fi
		TOOL_PID=$!
		for _ in $(seq 100); do grep -q Tracing "$TMP/stats.out" 2>/dev/null && break; sleep 0.1; done
		sleep 0.5
		bench_pipe >/dev/null
		stop_tool
		grep '^bpf-stats' "$TMP/stats.err" | awk '$4 > 0 {print $2, $4, $8}' >> "$TMP/stats.all"
	done
done
"$KS" runq --slower 10ms --bpf-stats -d 600 >"$TMP/stats2.out" 2>"$TMP/stats2.err" &
TOOL_PID=$!
sleep 10.5   # the sampler's cost on a mostly idle machine
stop_tool

base_pipe=$(median < "$TMP/pipe.none")
base_msg=$(median < "$TMP/msg.none")
echo "| date | machine | workload | none | ksleuth runq | ksleuth runq --slower 10ms | bpftrace runqlat | perf sched record |"
echo "|---|---|---|---|---|---|---|---|"
mach="$(nproc) CPUs, $(uname -r)"
row() {
	local name=$1 unit=$2 base=$3 higher_better=$4
	local line="| $(date -u +%F) | $mach | $name ($unit) |"
	for t in $TOOLS; do
		local m; m=$(median < "$TMP/$5.$t")
		if [ "$t" = none ]; then line="$line $m |"; else
			local slow
			if [ "$higher_better" = 1 ]; then slow=$(awk -v b="$base" -v m="$m" 'BEGIN{printf "%.1f", (b-m)/b*100}')
			else slow=$(awk -v b="$base" -v m="$m" 'BEGIN{printf "%.1f", (m-b)/b*100}'); fi
			line="$line $m (${slow}% slower) |"
		fi
	done
	echo "$line"
}
row "perf bench sched pipe -l $PIPE_LOOPS" "ops/s, median of $REPS" "$base_pipe" 1 pipe
row "perf bench sched messaging $MSG_ARGS" "s, median of $REPS" "$base_msg" 0 msg
echo
echo "BPF run-time statistics (perf bench sched pipe -l $PIPE_LOOPS; each program alone on its"
echo "tracepoint, histogram mode; median of $REPS runs, min-max in brackets):"
echo
echo "| program | runs per bench | ns per run |"
echo "|---|---|---|"
for prog in $(awk '{print $1}' "$TMP/stats.all" | awk '!seen[$0]++'); do
	runs=$(awk -v p="$prog" '$1 == p {print $2}' "$TMP/stats.all" | median)
	ns=$(awk -v p="$prog" '$1 == p {print $3}' "$TMP/stats.all" | median)
	lo=$(awk -v p="$prog" '$1 == p {print $3}' "$TMP/stats.all" | sort -g | head -1)
	hi=$(awk -v p="$prog" '$1 == p {print $3}' "$TMP/stats.all" | sort -g | tail -1)
	echo "| $prog | $runs | $ns [$lo-$hi] |"
done
echo
echo "Sampler on a mostly idle machine, 10 s, slow mode:"
echo
echo "| program | runs | ns per run |"
echo "|---|---|---|"
grep '^bpf-stats ks_sched_sample' "$TMP/stats2.err" | awk '{printf "| %s | %s | %s |\n", $2, $4, $8}'
