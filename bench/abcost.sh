#!/bin/bash
# bench/abcost.sh — per-run cost of the BPF programs, this tree against an
# older revision, alternating: each round runs `doctor --bpf-stats -d 9`
# of the old build, then of the new one, under the same workload, and
# prints every program's ns a run (the kernel's own run_time_ns/run_cnt
# while the doctor ran) with the workload's own time. Then the medians.
#
# Usage: bench/abcost.sh OLD_REV [ROUNDS] [WORKLOAD]
#   OLD_REV   a git revision to build into /tmp (e.g. f8d0680)
#   ROUNDS    default 6
#   WORKLOAD  messaging (perf bench sched messaging -g 10 -l 400: the
#             sched programs) or veth (iperf3 over a veth pair in two
#             namespaces of its own, 4 flows, 8 s: the softirq path);
#             default messaging
# KS_OPTS: more doctor options for both builds (--netrx-trace: the softirq
# programs on the packet path). Not a test. Runs under the systest lock.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
OLD=${1:?usage: bench/abcost.sh OLD_REV [ROUNDS] [messaging|veth]}
ROUNDS=${2:-6}
WL=${3:-messaging}
NEW_BIN=${KS:-build/ksleuth}
TMP=$(mktemp -d /tmp/ksleuth-abcost.XXXXXX)
NSA=ksab-a-$$ NSB=ksab-b-$$
DOC=

cleanup() {
	[ -n "$DOC" ] && kill -INT "$DOC" 2>/dev/null && wait "$DOC" 2>/dev/null
	veth_down "$NSA" "$NSB"
	[ -d "$TMP/src" ] && git worktree remove --force "$TMP/src" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ -x "$NEW_BIN" ] || { echo "abcost.sh: $NEW_BIN is missing: run make" >&2; exit 2; }
command -v perf >/dev/null || { echo "abcost.sh: perf is missing (apt-get install linux-perf)" >&2; exit 2; }
git worktree add --detach "$TMP/src" "$OLD" >/dev/null 2>&1
make -s -C "$TMP/src" BUILD="$TMP/build" all >/dev/null 2>&1 ||
	{ echo "abcost.sh: building $OLD failed" >&2; exit 1; }
OLD_BIN=$TMP/build/ksleuth
bench_lock
[ "$WL" = veth ] && veth_up "$NSA" "$NSB" 10.205.0

workload() { # prints the workload's own figure
	case $WL in
	messaging) perf bench sched messaging -g 10 -l 400 2>/dev/null | awk '/Total time/ {print $3 " s"}' ;;
	veth) echo "$(veth_gbps "$NSA" "$NSB" 10.205.0 5299 8) Gbit/s" ;;
	esac
}

# one BIN LABEL: the doctor around one workload run; appends
# "LABEL PROG NS_PER_RUN" lines and "LABEL workload FIGURE" to results
one() {
	# shellcheck disable=SC2086
	"$1" doctor --bpf-stats ${KS_OPTS:-} -d 30 >/dev/null 2>"$TMP/err" &
	DOC=$!
	sleep 2 # attached
	local fig
	fig=$(workload)
	kill -INT "$DOC"; wait "$DOC" || true; DOC=
	grep '^bpf-stats' "$TMP/err" | awk -v l="$2" '$4 > 0 {print l, $2, $8}' >> "$TMP/results"
	echo "$2 workload $fig" >> "$TMP/results"
	echo "  $2: $fig; $(grep '^bpf-stats' "$TMP/err" | awk '$4 > 0 {printf "%s %s ns, ", $2, $8}')"
}

for ((r = 1; r <= ROUNDS; r++)); do
	echo "round $r"
	one "$OLD_BIN" old
	one "$NEW_BIN" new
done

echo "medians (ns a run; the workload's own figure):"
python3 - "$TMP/results" <<'EOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, prog, val = line.split()[:3]
    runs.setdefault((prog, label), []).append(float(val))
for prog in sorted({p for p, _ in runs}):
    o, n = runs.get((prog, "old"), []), runs.get((prog, "new"), [])
    if o and n:
        print(f"  {prog:24s} old {statistics.median(o):9.1f}  new {statistics.median(n):9.1f}  "
              f"({len(o)}/{len(n)} runs)")
EOF
