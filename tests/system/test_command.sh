#!/bin/bash
# test_command.sh — "-- COMMAND": a live command and the doctor start
# COMMAND once attached, watch while it runs and stop when it exits; the
# exit status is the command's own plus 4 when COMMAND failed; COMMAND's
# output goes to stderr so stdout stays the report; at -d's end a COMMAND
# still running is ended. Checked against the COMMAND's own record: the
# renamer's exact prctl count, the hog's own clock.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd jq

REN=$KS_HELPERS/renamer
[ -x "$REN" ] && [ -x "$KS_HELPERS/victim" ] || { fail "helpers missing (make build/helpers/renamer build/helpers/victim)"; exit 1; }
CPU=$(( $(nr_cpus) > 1 ? 1 : 0 ))

# count runs the renamer's 41 prctl calls inside its window, and no longer
t0=$(date +%s%N)
"$KS" count t:syscalls:sys_enter_prctl --json -- "$REN" 41 /dev/null >"$KS_TMP/c.json" 2>"$KS_TMP/c.err"
rc=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "count -- renamer: exit 0" "$rc" 0
check_ge "count -- renamer: its 41 prctl calls counted" \
	"$(jq -r 'select(.type=="summary") | .counts["syscalls:sys_enter_prctl"]' "$KS_TMP/c.json")" 41
check_le "count -- renamer: ends when the renamer does (ms)" "$ms" 5000
check_grep "count -- renamer: says how the command ended" "command '[^']*renamer' exited with status 0" "$KS_TMP/c.err"

# exit status: the command's own plus 4
check_exit "count -- false: exit 4 (COMMAND failed)" 4 "$KS" count t:sched:sched_switch -- false
check_exit "runq -- sh killed by SIGKILL: exit 4" 4 "$KS" runq -- sh -c 'kill -9 $$'
check_exit "a COMMAND that is not in PATH: usage error" 2 "$KS" count t:sched:sched_switch -- no-such-cmd-ks
check_grep "... in one sentence" "no such command in PATH" "$KS_TMP/err"
check_exit "'--' without a COMMAND: usage error" 2 "$KS" retrans --
check_exit "agent takes no COMMAND" 2 "$KS" agent -- true

# stdout stays the report: JSON only, the command's words on stderr
"$KS" softirq --json -- sh -c 'echo hello-from-command' >"$KS_TMP/s.json" 2>"$KS_TMP/s.err"
check_eq "softirq --json -- echo: stdout is JSON only" \
	"$(jq -c . "$KS_TMP/s.json" >/dev/null 2>&1 && echo valid)" valid
check_grep "... and the command's output went to stderr" "hello-from-command" "$KS_TMP/s.err"

# -d ends first: the still-running COMMAND is ended, by pid
t0=$(date +%s%N)
"$KS" napi -d 1 -- sh -c "echo \$\$ >'$KS_TMP/sleeper.pid'; exec sleep 30" >/dev/null 2>"$KS_TMP/n.err"
rc=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "napi -d 1 -- sleep 30: exit 0 (a COMMAND we ended has not failed)" "$rc" 0
check_le "... ends at -d, not with the command (ms)" "$ms" 6000
spid=$(cat "$KS_TMP/sleeper.pid" 2>/dev/null)
check "... and the command is gone (pid ${spid:-?})" test -n "$spid" -a ! -d "/proc/${spid:-0}"

# the doctor watches a kernel hog it runs and stops when the hog ends;
# its stall lies within the hog's own run (a task must first wait behind
# the hog, so the stall can start after the run does: at least half)
# a task that wakes every 10 ms on the hog's CPU waits behind it
ks_bg V_PID "$KS_HELPERS/victim" -c "$CPU" -d 4 -p 10 -o "$KS_TMP/victim.json"
t0=$(date +%s%N)
"$KS" doctor --json -- "$KS_HOG" --mode kernel -c "$CPU" --run 600ms -n 1 --json \
	>"$KS_TMP/d.json" 2>"$KS_TMP/d.err"
rc=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "doctor -- hog: exit 0 (no network harm, the hog succeeded)" "$rc" 0
check_le "doctor -- hog: ends with the hog (ms)" "$ms" 15000
grep '^{' "$KS_TMP/d.err" >"$KS_TMP/hog.json"
hog_pid=$(jq -r 'select(.type=="hog_run") | .pid' "$KS_TMP/hog.json" | head -1)
hog_ms=$(jq -r 'select(.type=="hog_run") | (.kend_ns - .kstart_ns) / 1000000 | floor' "$KS_TMP/hog.json" | head -1)
st_ms=$(jq -r --argjson p "${hog_pid:-0}" 'select(.type=="stall" and .culprit.pid==$p) | .stall_ns / 1000000 | floor' \
	"$KS_TMP/d.json" | sort -n | tail -1)
check_ge "doctor -- hog: a stall names the hog (pid ${hog_pid:-?}), >= half its own ${hog_ms:-?} ms" \
	"${st_ms:-0}" $(( ${hog_ms:-600} / 2 ))
check_le "doctor -- hog: ... and no longer than the hog's run (+20 ms)" "${st_ms:-99999}" $(( ${hog_ms:-0} + 20 ))
check_grep "doctor -- hog: says the hog exited 0" "exited with status 0" "$KS_TMP/d.err"
ks_wait "$V_PID" 10 victim >/dev/null

# record -o F -- COMMAND: the same watch, kept; report replays it
ks_bg V_PID "$KS_HELPERS/victim" -c "$CPU" -d 4 -p 10 -o "$KS_TMP/victim2.json"
"$KS" record -o "$KS_TMP/r.ksl" -- "$KS_HOG" --mode kernel -c "$CPU" --run 600ms -n 1 --json \
	>"$KS_TMP/r.out" 2>"$KS_TMP/r.err"
check_eq "record -o F -- hog: exit 0" "$?" 0
check_eq "... prints nothing on stdout" "$(grep -c . "$KS_TMP/r.out")" 0
check_grep "... one line says what it kept" "recorded [0-9.]+ s in .*r.ksl" "$KS_TMP/r.err"
hog_pid=$(grep '^{' "$KS_TMP/r.err" | jq -r 'select(.type=="hog_run") | .pid' | head -1)
"$KS" report "$KS_TMP/r.ksl" --json >"$KS_TMP/rep.json" 2>"$KS_TMP/rep.err"
check_eq "report of it: exit 0" "$?" 0
check_ge "report of it: a stall names the hog (pid ${hog_pid:-?})" \
	"$(jq -r --argjson p "${hog_pid:-0}" 'select(.type=="stall" and .culprit.pid==$p) | .stall_ns' "$KS_TMP/rep.json" | grep -c .)" 1
check_exit "record without -o: usage error" 2 "$KS" record -d 1
ks_wait "$V_PID" 10 victim >/dev/null
