#!/bin/bash
# test_text.sh — hostile task names everywhere they are shown: a SCHED_FIFO
# task (helpers/namedhog) named with an escape sequence, valid UTF-8
# ("café") and bytes that are not UTF-8 (a character cut at 15 bytes)
# starves a victim for 400 ms while the agent, doctor and runq watch. The
# doctor's and runq's JSON parse with jq and keep "café"; the agent's
# exposition passes `promtool check metrics` with the name as a label;
# terminal output and --events carry no raw ESC byte. SIGHUP ends doctor
# and runq like SIGTERM (summary, exit 0). A second task named
# "other" gets a series of its own, apart from the overflow series.
# Between the two stalls the --events file is renamed and the agent gets
# SIGHUP (logrotate's create mode): the second stall lands in the new file.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd jq
require_cmd promtool
require_cmd curl
for h in namedhog victim; do
	[ -x "$KS_HELPERS/$h" ] || make -C "$KS_ROOT" -s BUILD="$KS_BUILD" "$KS_BUILD/helpers/$h" >/dev/null ||
		{ fail "cannot build the $h helper"; exit 1; }
done
CPU=$(( $(nr_cpus) > 1 ? 1 : 0 ))
# ESC "[31m" "caf" "é" 0xff and the first 2 bytes of "日": 13 bytes
NAME_HEX=1b5b33316d636166c3a9ffe697
ESC=$'\x1b'

ks_bg AGENT "$KS" agent --listen 127.0.0.1:0 --events "$KS_TMP/events.jsonl" 2>"$KS_TMP/agent.err"
PORT=
for _ in $(seq 1 50); do
	PORT=$(grep -o 'http://127.0.0.1:[0-9]*' "$KS_TMP/agent.err" | head -1 | sed 's/.*://')
	[ -n "$PORT" ] && break
	kill -0 "$AGENT" 2>/dev/null || break
	sleep 0.2
done
[ -n "$PORT" ] || { fail "agent did not start: $(head -c 300 "$KS_TMP/agent.err")"; exit 1; }
ks_bg DJ "$KS" doctor -d 20 -C "$CPU" --json >"$KS_TMP/doctor.json" 2>"$KS_TMP/doctor.json.err"
ks_bg DT "$KS" doctor -d 20 -C "$CPU" >"$KS_TMP/doctor.txt" 2>&1
ks_bg RJ "$KS" runq --slower 100ms -C "$CPU" -d 20 --json >"$KS_TMP/runq.json" 2>"$KS_TMP/runq.json.err"
ks_bg RT "$KS" runq --slower 100ms -C "$CPU" -d 20 >"$KS_TMP/runq.txt" 2>&1
sleep 2
ks_bg VIC "$KS_HELPERS/victim" -c "$CPU" -d 8 -p 5 -t 100 -o "$KS_TMP/victim.json" >/dev/null
sleep 0.5
"$KS_HELPERS/namedhog" "$NAME_HEX" "$CPU" 400 50 >"$KS_TMP/hog1.out" 2>&1 || fail "namedhog: $(cat "$KS_TMP/hog1.out")"
# logrotate (create): rename, SIGHUP, the next record goes to a new file
ks_wait_for "$KS_TMP/events.jsonl" '"culprit"' 10
mv "$KS_TMP/events.jsonl" "$KS_TMP/events.jsonl.1"
kill -HUP "$AGENT"
sleep 0.3
"$KS_HELPERS/namedhog" 6f74686572 "$CPU" 300 50 >"$KS_TMP/hog2.out" 2>&1 || fail "namedhog other: $(cat "$KS_TMP/hog2.out")"
ks_wait "$VIC" 10 victim
ks_wait_for "$KS_TMP/events.jsonl" '"comm":"other"' 10
# SIGHUP (the terminal went away) ends doctor and runq like SIGTERM: the
# summary is printed, exit 0 (it killed them with 129 before)
for p in "$DJ" "$DT" "$RJ" "$RT"; do kill -HUP "$p"; done
for p in "$DJ" "$DT" "$RJ" "$RT"; do
	ks_wait "$p" 15 "doctor/runq after SIGHUP"
	check_eq "doctor/runq pid $p exits 0 on SIGHUP" "$?" 0
done
check_grep "doctor --json wrote its summary after SIGHUP" '"type":"summary"' "$KS_TMP/doctor.json"

# JSON: every line parses; the name keeps its valid UTF-8 ("café")
check "agent alive after SIGHUP" kill -0 "$AGENT"
check_grep "after rename + SIGHUP the next record is in the new --events file" '"comm":"other"' "$KS_TMP/events.jsonl"
check "the renamed file kept the first record and got nothing after" \
	bash -c "grep -q 'caf' '$KS_TMP/events.jsonl.1' && ! grep -q '\"comm\":\"other\"' '$KS_TMP/events.jsonl.1'"
check_grep "the agent said it reopened the file" "reopened --events" "$KS_TMP/agent.err"
for f in doctor.json runq.json events.jsonl events.jsonl.1; do
	if jq -e . "$KS_TMP/$f" >/dev/null 2>"$KS_TMP/jq.err"; then
		pass "$f: every line is valid JSON ($(wc -l <"$KS_TMP/$f") lines)"
	else
		fail "$f: jq: $(head -c 300 "$KS_TMP/jq.err")"
	fi
done
want=$(printf '\x1b[31mcaf\xc3\xa9\xef\xbf\xbd')
for f in doctor.json runq.json; do
	n=$(jq -r '.. | strings' "$KS_TMP/$f" 2>/dev/null | grep -cF "$want")
	check_ge "$f: the hostile name reads back as ESC[31mcafé + U+FFFD through jq" "$n" 1
done

# Prometheus: the whole scrape is valid, the name is a label of its own
curl -s -m 5 "http://127.0.0.1:$PORT/metrics" >"$KS_TMP/scrape.txt"
if promtool check metrics <"$KS_TMP/scrape.txt" >"$KS_TMP/lint.out" 2>&1; then
	pass "promtool check metrics accepts the exposition with the hostile name"
else
	fail "promtool check metrics: $(head -c 400 "$KS_TMP/lint.out")"
fi
check_grep "culprit label: the name, escape visible, invalid bytes replaced" \
	'^ksleuth_culprit_stall_seconds_total\{comm="\\\\x1b\[31mcafé' "$KS_TMP/scrape.txt"
check_grep "a task named other has its own series" \
	'^ksleuth_culprit_stall_seconds_total\{comm="other"\} 0\.[2-9]' "$KS_TMP/scrape.txt"
check_grep "the overflow series is apart from it" \
	'^ksleuth_culprit_stall_seconds_total\{comm="\(all other tasks\)"\} 0$' "$KS_TMP/scrape.txt"

# Terminal: no raw ESC anywhere; the name shown with \x1b visible
for f in doctor.txt runq.txt agent.err events.jsonl events.jsonl.1 scrape.txt; do
	check_eq "$f: no raw ESC byte" "$(grep -c "$ESC" "$KS_TMP/$f")" 0
done
check_grep "doctor text names the task with \\x1b visible" '\\x1b\[31mcafé\\xff\\xe6\\x97' "$KS_TMP/doctor.txt"
check_grep "runq text names the task with \\x1b visible" '\\x1b\[31mcafé\\xff\\xe6\\x97' "$KS_TMP/runq.txt"
check_grep "runq text says the policy in the doctor's words" 'SCHED_FIFO priority 50 ' "$KS_TMP/runq.txt"
check_grep "runq JSON says the policy in the doctor's words" '"policy":"SCHED_FIFO","prio":49,"rt_priority":50' "$KS_TMP/runq.json"

kill -TERM "$AGENT"
ks_wait "$AGENT" 5 "agent after SIGTERM"
check_eq "agent exits 0" "$?" 0
