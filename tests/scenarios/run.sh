#!/bin/bash
# tests/scenarios/run.sh — the doctor's scenario corpus: each scenario
# (tests/scenarios/NAME.sh: a fault and its expected verdict) runs under
# each background load, with the doctor watching; judge.py compares the
# verdict with the fault's own records and writes the accuracy table.
# Usage: run.sh [--full] [--table FILE] [--out DIR] [--guests "KERNEL..."] [FILTER]
#   default: every scenario quiet and under the mixed busy load (make test)
#   --full:  every scenario under every load (make accuracy)
#   --out:   keep each case's files (doctor.json, fault.json, meta) in DIR
#   --guests: also boot these kernels (tests/vm) and add their hog
#            scenarios to the table (6.1: ksoftirqd starved, before 6.5)
# Results go to $KS_RESULTS as PASS/FAIL lines, one per case.
SCEN_DIR=$(cd "$(dirname "$0")" && pwd)
. "$SCEN_DIR/../system/lib.sh"
KS_TEST=scenarios
require_root
# one timing-sensitive run at a time on this machine (tests/run.sh holds
# the lock already when it runs the corpus)
if [ -z "${KS_LOCKED:-}" ]; then
	exec 9>/tmp/ksleuth-systest.lock
	flock 9
fi
for c in jq ip tc nft iperf3 taskset python3; do require_cmd "$c"; done
[ "$(nr_cpus)" -ge 2 ] || { skip "the corpus needs 2 CPUs"; exit 0; }

full=0 table= out= guests=
while [ $# -gt 0 ]; do
	case $1 in
	--full) full=1 ;;
	--table) table=$2; shift ;;
	--out) out=$2; shift; mkdir -p "$out" || exit 1 ;;
	--guests) guests=$2; shift ;;
	*) break ;;
	esac
	shift
done
filter=${1:-}

RX=1         # the receive CPU: faults and NET_RX are here
OTHER=0
# The doctor's watch; the fault starts FAULT_AT_S into it, after its 2 s
# of warm-up and 3 s of baseline: with 1 s of baseline, a rate limit's own
# first seconds (6-35 retransmits) became the baseline that its 480-segment
# burst at the end was judged against, split over two seconds (tbf/same19)
DOC_S=13
FAULT_AT_S=5
LOAD_S=$((DOC_S + 3))
if [ $full = 1 ]; then
	LOADS=(quiet other same same19 churn net2 busy)
else
	LOADS=(quiet busy)
fi

ks_netbed_up $RX || exit 1
MAIN_BED=$BED MAIN_TX=$NS_TX MAIN_RX=$NS_RX

# fault_mark start|end: a scenario without a hog of its own stamps the
# fault's window (CLOCK_MONOTONIC ns, as the doctor's records) for judge.py.
fault_mark() {
	printf '{"type":"fault_%s","ns":%s}\n' "$1" \
		"$(python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC))')"
}

# bounded loads: each ends by itself after LOAD_S seconds; SIGTERM to the
# timeout process ends it and its loop at once
SPIN="timeout $LOAD_S bash -c 'while :; do :; done'"
CHURN="timeout $LOAD_S bash -c 'while :; do /bin/true; done'"
# memory traffic in the kernel's copy routines, 8 MB a read
MEMHOG="timeout $LOAD_S dd if=/dev/zero of=/dev/null bs=8M status=none"

# start_load NAME: the background load of one case, tracked by pid
load_pids=()
bg_load() { bash -c "exec $1" & load_pids+=($!); ks_track_pid $!; }
start_load() {
	case $1 in
	quiet) ;;
	other) bg_load "taskset -c $OTHER $SPIN" ;;
	same) bg_load "taskset -c $RX $SPIN" ;;
	same19) bg_load "taskset -c $RX nice -n 19 $SPIN" ;;
	churn) bg_load "$CHURN"; bg_load "$CHURN" ;;
	# a second bed steered to the other CPU, its senders on this one
	net2) bg_load "'$KS' netbed load '$BED2' -c $OTHER -d $LOAD_S >/dev/null 2>&1" ;;
	# a busy host: nice'd CPU and memory load and short-lived processes
	# on the other CPU, beside the senders. The short-lived processes
	# run at nice 5: at nice 0, ~1,800 new tasks a second on one CPU kept
	# ksoftirqd/0 waiting up to 1.9 s and the flows retransmitting, which
	# is a host in trouble, not a busy one (the churn load is that case)
	busy)
		bg_load "taskset -c $OTHER nice -n 19 $SPIN"
		bg_load "taskset -c $OTHER nice -n 19 $MEMHOG"
		bg_load "taskset -c $OTHER nice -n 5 $CHURN" ;;
	esac
}
stop_load() {
	local p
	for p in "${load_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${load_pids[@]}"; do ks_wait "$p" 10 "load $p"; done
	load_pids=()
}

if [ $full = 1 ]; then
	BED2=$("$KS" netbed up -c $OTHER --owner $$ --json 2>"$KS_TMP/bed2.err" | jq -r .id)
	case $BED2 in ksl-*) ;; *) fail "netbed up (second bed): $(head -c 300 "$KS_TMP/bed2.err")"; exit 1 ;; esac
	ks_on_exit "'$KS' netbed down '$BED2'"
	ks_track_netns "$BED2-tx"; ks_track_netns "$BED2-rx"
fi

# run_case SCENARIO LOAD: one doctor run; files in $KS_TMP/SCENARIO.LOAD/
run_case() {
	local scen=$1 load=$2 dir=$KS_TMP/$1.$2 doc net cnt
	mkdir -p "$dir"
	# each scenario file sets DESC EXPECT CULPRIT NET and fault(), and
	# EXPECT_UNHARMED where the fault may leave the network unharmed
	unset EXPECT_UNHARMED
	. "$SCEN_DIR/$scen.sh"
	printf 'scenario=%s\nload=%s\nexpect=%s\nexpect_unharmed=%s\nculprit=%s\ndesc=%s\n' \
		"$scen" "$load" "$EXPECT" "${EXPECT_UNHARMED:-}" "$CULPRIT" "$DESC" >"$dir/meta"
	NS_TX=$MAIN_TX NS_RX=$MAIN_RX
	start_load "$load"
	net=
	if [ "$NET" = 1 ]; then
		"$KS" netbed load "$MAIN_BED" -c $RX -d "$LOAD_S" >/dev/null 2>"$dir/load.err" &
		net=$!; ks_track_pid $net
		sleep 1
	fi
	# the network's own counters, independent of the doctor
	ip netns exec "$MAIN_TX" python3 "$SCEN_DIR/counters.py" $((DOC_S + 1)) $RX >"$dir/counters.json" &
	cnt=$!; ks_track_pid $cnt
	"$KS" doctor -d "$DOC_S" --json --netns "$MAIN_TX" >"$dir/doctor.json" 2>"$dir/doctor.err" &
	doc=$!; ks_track_pid $doc
	sleep "$FAULT_AT_S"
	fault >"$dir/fault.json" 2>"$dir/fault.err"
	echo "fault_rc=$?" >>"$dir/meta"
	ks_wait "$doc" $((DOC_S + 20)) "doctor ($scen/$load)"
	echo "doctor_rc=$?" >>"$dir/meta"
	ks_wait "$cnt" 10 "counters.py ($scen/$load)"
	[ -n "$net" ] && { kill -TERM "$net" 2>/dev/null; ks_wait "$net" 15 "netbed load ($scen/$load)"; }
	stop_load
	python3 "$SCEN_DIR/judge.py" case "$dir" >>"$KS_TMP/rows.jsonl"
	[ -n "$out" ] && cp -r "$dir" "$out/"
	python3 "$SCEN_DIR/judge.py" line "$dir" | while read -r l; do
		case $l in PASS*) pass "${l#PASS }" ;; *) fail "${l#FAIL }"
			python3 "$SCEN_DIR/judge.py" detail "$dir" | tee -a "${KS_DETAILS:-/dev/null}" ;;
		esac
	done
}

for f in "$SCEN_DIR"/*.sh; do
	scen=$(basename "$f" .sh)
	[ "$scen" = run ] && continue
	for load in "${LOADS[@]}"; do
		[ -n "$filter" ] && [[ "$scen.$load" != *"$filter"* ]] && continue
		echo "  -- $scen / $load"
		run_case "$scen" "$load"
	done
done

if [ -n "$guests" ]; then
	echo "  -- guests: $guests (tests/vm)"
	KS_VM_OUT=$KS_TMP/vm "$SCEN_DIR/../vm/run.sh" $guests | grep -v '^PASS'
	cat "$KS_TMP"/vm/*/accuracy.jsonl >>"$KS_TMP/rows.jsonl" 2>/dev/null
fi

python3 "$SCEN_DIR/judge.py" table "$KS_TMP/rows.jsonl" | tee "${table:-/dev/null}"
