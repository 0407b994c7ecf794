#!/bin/bash
# test_record.sh — `doctor --record` / `demo --record` and `ksleuth report`
# (docs/record.md): the replay's JSON records equal the live run's record by
# record (but for emitted_ns, the wall clock of printing, and "command");
# the text report equals the doctor's final report; a run killed with
# SIGKILL leaves a recording that replays up to its last second; bad files
# get one sentence and exit 1 or 2, never a crash. Prints the recording's
# size per minute and the replay time (docs/PERFORMANCE.md). ~1 min.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd jq
require_cmd iperf3
require_cmd ip

[ "$(nr_cpus)" -ge 2 ] || { skip "needs 2 CPUs"; exit 0; }
# The records a replay must reproduce: the doctor's own, not the demo hog's,
# without the fields that belong to the printing process.
records() { jq -c 'select(.type | startswith("hog") | not) | del(.emitted_ns, .command)' "$1"; }
ms_now() { date +%s%3N; }

# ---- 1. idle, text: the replayed report is the doctor's final report -------
R1=$KS_TMP/idle.ksl
check_exit "idle 6s --record: exit 0" 0 "$KS" doctor -d 6 --record "$R1"
sed -n '/^== ksleuth doctor/,$p' "$KS_TMP/out" >"$KS_TMP/idle.txt"
check_exit "report idle: exit 0" 0 "$KS" report "$R1"
sed -n '/^== ksleuth doctor/,$p' "$KS_TMP/out" >"$KS_TMP/idle-rep.txt"
check "report idle: the final report, line for line" cmp -s "$KS_TMP/idle.txt" "$KS_TMP/idle-rep.txt"
check_ge "report idle: the report is not empty" "$(wc -l <"$KS_TMP/idle-rep.txt")" 4
echo "  note: idle recording $(stat -c %s "$R1") bytes for 6 s"

# ---- 2. demo --broken --json: the same records, incident included ----------
R2=$KS_TMP/demo.ksl
timeout 90 "$KS" demo --broken --duration 14s --json --record "$R2" >"$KS_TMP/live.json" 2>"$KS_TMP/live.err"
check_eq "demo --broken --record: exit 0" "$?" 0
t0=$(ms_now)
"$KS" report "$R2" --json >"$KS_TMP/rep.json" 2>"$KS_TMP/rep.err"
rc=$?
t1=$(ms_now)
check_eq "report demo: exit 3 (an incident)" "$rc" 3
records "$KS_TMP/live.json" >"$KS_TMP/live.rec"
records "$KS_TMP/rep.json" >"$KS_TMP/rep.rec"
n_inc=$(grep -c '"type":"incident"' "$KS_TMP/live.rec")
check_ge "demo: the live run had an incident" "$n_inc" 1
check_eq "report demo: as many records as live" "$(wc -l <"$KS_TMP/rep.rec")" "$(wc -l <"$KS_TMP/live.rec")"
if cmp -s "$KS_TMP/live.rec" "$KS_TMP/rep.rec"; then
	pass "report demo: every record equal to the live one ($(wc -l <"$KS_TMP/rep.rec") records)"
else
	fail "report demo: records differ: $(diff "$KS_TMP/live.rec" "$KS_TMP/rep.rec" | head -c 600)"
fi
inc=$(jq -c 'select(.type=="incident")' "$KS_TMP/rep.json" | head -1)
hog_pid=$(jq -r 'select(.type=="hog_start") | .pid' "$KS_TMP/live.json" | head -1)
check_eq "report demo: mechanism" "$(jq -r .mechanism <<<"$inc")" softirq_blocked
check_eq "report demo: culprit pid = the hog's" "$(jq -r .culprit.pid <<<"$inc")" "$hog_pid"
check_eq "report demo: culprit comm" "$(jq -r .culprit.comm <<<"$inc")" ksleuth-hog
check "report demo: advice names a reschedule point" \
	jq -e '.advice | map(select(test("cond_resched"))) | length > 0' <<<"$inc" >/dev/null
check_exit "report demo, text: exit 3" 3 "$KS" report "$R2"
check_grep "report demo, text: the incident" "^Incident #1: softirq_blocked" "$KS_TMP/out"
check_grep "report demo, text: the culprit's stack" "bpf_test_run" "$KS_TMP/out"
size=$(stat -c %s "$R2")
echo "  note: demo recording $size bytes for 14 s ($((size * 60 / 14)) bytes/min), replay $((t1 - t0)) ms"
check_le "report demo: replay under 2 s" "$((t1 - t0))" 2000

# ---- 3. killed mid-run: what was flushed replays, the cut is named --------
R3=$KS_TMP/killed.ksl
ks_bg dpid "$KS" doctor --record "$R3" --json >/dev/null
sleep 4
kill -KILL "$dpid"
wait "$dpid" 2>/dev/null
"$KS" report "$R3" --json >"$KS_TMP/out" 2>"$KS_TMP/err"
rc=$?
check_eq "report killed: exit 1 (truncated)" "$rc" 1
check_grep "report killed: says it is truncated" "truncated after line [0-9]+" "$KS_TMP/err"
check_eq "report killed: one sentence" "$(wc -l <"$KS_TMP/err")" 1
check_eq "report killed: still a summary" "$(jq -r 'select(.type=="summary") | .type' "$KS_TMP/out")" summary

# ---- 4. bad files: one sentence, exit 1 or 2, never a crash ---------------
: >"$KS_TMP/empty"
head -c 4096 /dev/urandom >"$KS_TMP/random"
head -c 4096 /dev/urandom | gzip >"$KS_TMP/random.gz"
printf 'KSLEUTH-RECORDING 9\nmeta\tx\n' | gzip >"$KS_TMP/newer"
head -c $(( $(stat -c %s "$R2") / 2 )) "$R2" >"$KS_TMP/half"
zcat "$R2" | sed '20s/\t[0-9]/\tx/' | gzip >"$KS_TMP/corrupt"
for f in missing empty random random.gz newer half corrupt; do
	"$KS" report "$KS_TMP/$f" >"$KS_TMP/out" 2>"$KS_TMP/err"
	rc=$?
	check "report $f: exit 1 or 2 ($rc)" test "$rc" = 1 -o "$rc" = 2
	check_eq "report $f: one sentence on stderr" "$(wc -l <"$KS_TMP/err")" 1
done
"$KS" report "$KS_TMP/newer" 2>"$KS_TMP/err" >/dev/null
check_grep "report newer: names the version" "format version 9, newer" "$KS_TMP/err"
check_exit "report without FILE: usage, exit 2" 2 "$KS" report
