#!/bin/bash
# bench/count.sh — what `ksleuth count t:sched:sched_switch` costs: the
# throughput of `perf bench sched pipe` (two tasks ping-ponging, two
# context switches per op) without tracing, with ksleuth counting
# sched_switch, and with bpftrace's count() on the same tracepoint. Each
# repetition runs the three back to back (order rotated); medians and
# ratios are printed as a Markdown table for docs/PERFORMANCE.md.
# Not a test. Usage: bench/count.sh [REPS] [LOOPS]  (default 7, 200000).
# Runs under the systest lock; every tracer is bounded and stopped by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
KS=${KS:-build/ksleuth}
REPS=${1:-7}
LOOPS=${2:-200000}
TMP=$(mktemp -d /tmp/ksleuth-bench.XXXXXX)
BG=

cleanup() {
	if [ -n "$BG" ]; then kill -INT "$BG" 2>/dev/null; wait "$BG" 2>/dev/null || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
exec 9>/tmp/ksleuth-systest.lock
flock 9

ops() { perf bench sched pipe -l "$LOOPS" 2>/dev/null | awk '/ops\/sec/ {print $1}'; }
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# wait_for PATTERN FILE: the tracer is attached (at most 30 s).
wait_for() {
	for _ in $(seq 300); do grep -q -- "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done
	echo "tracer did not start: $(head -c 300 "$2")" >&2; return 1
}

# traced TOOL: one perf bench run while TOOL counts sched_switch.
traced() {
	local out=$TMP/$1.log r
	case $1 in
	ksleuth)
		"$KS" count t:sched:sched_switch -d 120 >"$out" 2>&1 & BG=$!
		wait_for '^Tracing' "$out" ;;
	bpftrace)
		bpftrace -e 'tracepoint:sched:sched_switch { @n = count(); } interval:s:120 { exit(); }' \
			>"$out" 2>&1 & BG=$!
		wait_for '^Attaching' "$out"; sleep 0.5 ;;
	esac
	r=$(ops)
	kill -INT "$BG"; wait "$BG" 2>/dev/null || true; BG=
	echo "$r"
}

: >"$TMP/none"; : >"$TMP/ksleuth"; : >"$TMP/bpftrace"
for i in $(seq 1 "$REPS"); do
	case $((i % 3)) in
	0) order="none ksleuth bpftrace" ;;
	1) order="ksleuth bpftrace none" ;;
	*) order="bpftrace none ksleuth" ;;
	esac
	for t in $order; do
		if [ "$t" = none ]; then ops >>"$TMP/none"; else traced "$t" >>"$TMP/$t"; fi
	done
	echo "rep $i: none $(tail -1 "$TMP/none")  ksleuth $(tail -1 "$TMP/ksleuth")  bpftrace $(tail -1 "$TMP/bpftrace") ops/s" >&2
done

base=$(median <"$TMP/none"); ks=$(median <"$TMP/ksleuth"); bt=$(median <"$TMP/bpftrace")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
slow() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f%%", (1 - a / b) * 100}'; }
echo
echo "Date: $(date -u +%Y-%m-%d), machine: $(nproc) CPUs, $(uname -r), $REPS repetitions, perf bench sched pipe -l $LOOPS"
echo
echo "| tracing | ops/s (median) | vs none | slowdown |"
echo "|---|---:|---:|---:|"
echo "| none | $base | 1.000 | 0.0% |"
echo "| \`ksleuth count t:sched:sched_switch\` | $ks | $(ratio "$ks" "$base") | $(slow "$ks" "$base") |"
echo "| \`bpftrace -e 'tracepoint:sched:sched_switch { @n = count(); }'\` | $bt | $(ratio "$bt" "$base") | $(slow "$bt" "$base") |"
echo
echo "ksleuth / bpftrace throughput: $(ratio "$ks" "$bt")"
