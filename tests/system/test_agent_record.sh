#!/bin/bash
# test_agent_record.sh — agent --record-dir: the segment in which an
# incident closed is kept as incident-<UTC>.ksl and `ksleuth report`
# replays it to the same culprit (the hog by its own pid); segments
# without one are deleted; the kept files stay under --record-max-mb, the
# oldest going first; nothing half-written is left after SIGTERM.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd jq
require_cmd curl

RX=$(( $(nr_cpus) > 1 ? 1 : 0 ))
D=$KS_TMP/rec
mkdir -p "$D"
# three older recordings of 400 kB: 1.2 MB, over the 1 MB limit
for t in 20200101T000000Z 20200102T000000Z 20200103T000000Z; do
	head -c 400000 /dev/urandom >"$D/incident-$t.ksl"
done

check_exit "--record-dir that does not exist: usage error" 2 "$KS" agent --record-dir "$KS_TMP/none"
ks_bg AGENT "$KS" agent --listen 127.0.0.1:0 --record-dir "$D" --record-span 10s --record-max-mb 1 \
	2>"$KS_TMP/agent.err"
PORT=
for _ in $(seq 100); do
	PORT=$(grep -o 'http://127.0.0.1:[0-9]*' "$KS_TMP/agent.err" | head -1 | sed 's/.*://')
	[ -n "$PORT" ] && break
	sleep 0.2
done
[ -n "$PORT" ] || { fail "agent did not start: $(head -c 300 "$KS_TMP/agent.err")"; exit 1; }
metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
check "at start the oldest recording went to fit 1 MB" test ! -e "$D/incident-20200101T000000Z.ksl"
check "... and the newer two stayed" test -e "$D/incident-20200103T000000Z.ksl"
check "a segment is being written" test -e "$D/.segment.ksl"

ks_netbed_up "$RX" || exit 1
ks_bg LOAD "$KS" netbed load "$BED" -c "$RX" -d 12s >/dev/null
sleep 2
"$KS_HOG" --mode kernel-bh -c "$RX" --run 500ms --gap 1500ms -n 3 --json >"$KS_TMP/hog.json" 2>&1
hog_pid=$(jq -r 'select(.type=="hog_run") | .pid' "$KS_TMP/hog.json" 2>/dev/null | head -1)
ks_wait "$LOAD" 30 "netbed load" >/dev/null
# kept once the span has passed with 10 quiet seconds after the last spike
for _ in $(seq 60); do [ "$(metric ksleuth_agent_recordings_kept_total)" -ge 1 ] 2>/dev/null && break; sleep 1; done
check_ge "a segment was kept (ksleuth_agent_recordings_kept_total)" "$(metric ksleuth_agent_recordings_kept_total)" 1
new=$(ls "$D"/incident-*.ksl 2>/dev/null | grep -v 'incident-2020010' | head -1)
check "... as incident-<UTC start>.ksl" test -n "$new"
"$KS" report "$new" --json >"$KS_TMP/rep.json" 2>"$KS_TMP/rep.err"
check_eq "report of the kept recording: exit 3 (an incident)" "$?" 3
check_eq "... its culprit is the hog (pid ${hog_pid:-?})" \
	"$(jq -r 'select(.type=="incident") | .culprit.pid' "$KS_TMP/rep.json" | head -1)" "${hog_pid:-x}"
total=$(cat "$D"/incident-*.ksl | wc -c)
check_le "kept recordings under --record-max-mb 1 (bytes)" "$total" 1048576
check_eq "ksleuth_agent_recordings_bytes is their size" "$(metric ksleuth_agent_recordings_bytes)" "$total"
check_ge "pruned counted (ksleuth_agent_recordings_pruned_total)" "$(metric ksleuth_agent_recordings_pruned_total)" 1
kill -TERM "$AGENT"
ks_wait "$AGENT" 20 "the agent after SIGTERM"
check_eq "the agent exits 0 on SIGTERM" "$?" 0
check "no segment left behind (a quiet last one is deleted)" test ! -e "$D/.segment.ksl"
check_eq "only incident recordings in the directory" "$(ls -A "$D" | grep -cv '^incident-.*\.ksl$')" 0
