#!/bin/bash
# test_logrotate.sh — the agent's --events file under the real logrotate,
# with contrib/logrotate/ksleuth-agent in both modes, while stalls (a
# kernel-mode hog) make records: copytruncate (no signal; the agent appends,
# so the truncated file is written from offset 0, no hole of NUL bytes),
# then create (rename, postrotate SIGHUP, the agent opens the new file).
# Across both, the lines in all the files are the records the agent says
# it wrote (ksleuth_agent_events_written_total), none twice, each whole.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd logrotate
require_cmd jq
require_cmd curl

CPU=$(( $(nr_cpus) > 1 ? 1 : 0 ))
CONF=$KS_ROOT/contrib/logrotate/ksleuth-agent
DIR=$KS_TMP/log
EV=$DIR/events.jsonl
mkdir -p "$DIR" && chmod 700 "$DIR"

# conf MODE: the contrib file for $EV; create mode signals the agent by
# pid, copytruncate mode has neither create nor postrotate.
conf() {
	sed -e "s#^/var/log/ksleuth/events.jsonl #$EV #" \
	    -e "s#^\t\tsystemctl kill .*#\t\tkill -HUP $AGENT#" "$CONF" >"$KS_TMP/$1.conf"
	if [ "$1" = copytruncate ]; then
		sed -i -e 's/^\tcreate .*/\tcopytruncate/' -e '/^\tpostrotate/,/^\tendscript/d' "$KS_TMP/$1.conf"
	fi
}
# all_lines: every line of the live and rotated files, in order of age
all_lines() { for f in $(ls -r "$EV".* 2>/dev/null) "$EV"; do zcat -f "$f" 2>/dev/null; done; }
lr() { logrotate "$@" >>"$KS_TMP/logrotate.out" 2>&1; }
written() { curl -s "http://127.0.0.1:$PORT/metrics" | awk '$1=="ksleuth_agent_events_written_total" {print $2}'; }
# wait_written N: until the agent has written N records (at most 20 s)
wait_written() {
	for _ in $(seq 100); do [ "$(written)" -ge "$1" ] 2>/dev/null && return 0; sleep 0.2; done
	fail "the agent wrote $(written) records, not $1, in 20 s"; return 1
}

ks_bg AGENT "$KS" agent --listen 127.0.0.1:0 --events "$EV" 2>"$KS_TMP/agent.err"
PORT=
for _ in $(seq 50); do
	PORT=$(grep -o 'http://127.0.0.1:[0-9]*' "$KS_TMP/agent.err" | head -1 | sed 's/.*://')
	[ -n "$PORT" ] && grep -q collecting "$KS_TMP/agent.err" && break
	sleep 0.2
done
[ -n "$PORT" ] || { fail "agent did not start: $(head -c 300 "$KS_TMP/agent.err")"; exit 1; }
conf copytruncate
conf create
check "logrotate accepts the contrib config" lr -d -s "$KS_TMP/state" "$KS_TMP/create.conf"

# nine 300 ms kernel stalls 1.2 s apart (~14 s): records while the
# rotations happen and after them
# a task that wakes every 10 ms on the hog's CPU: every run of the hog
# keeps it waiting, so every run is a stall and a record (on an idle CPU
# a run that nobody waited behind is no stall)
ks_bg VICTIM "$KS_HELPERS/victim" -c "$CPU" -d 16 -p 10 -o "$KS_TMP/victim.json"
ks_bg HOG "$KS_HOG" --mode kernel -c "$CPU" --run 300ms --gap 1200ms -n 9 >"$KS_TMP/hog.out" 2>&1
base=$(written)

# copytruncate right after a record: the next is >1 s away
wait_written $((base + 2))
check "logrotate copytruncate" lr -f -s "$KS_TMP/state" "$KS_TMP/copytruncate.conf"
wait_written $((base + 4))
check "copytruncate: the live file starts with a record (written from offset 0)" \
	test "$(head -c 1 "$EV")" = "{"
check_eq "copytruncate: no NUL bytes in the live file (no hole)" "$(tr -cd '\0' <"$EV" | wc -c)" 0
check_eq "copytruncate: the copy and the live file hold every record once" \
	"$(( $(grep -c . "$EV.1") + $(grep -c . "$EV") ))" "$(written)"

# create: rename, new file, SIGHUP from postrotate
check "logrotate create (postrotate kill -HUP)" lr -f -s "$KS_TMP/state" "$KS_TMP/create.conf"
check_grep "the agent reopened its --events file on SIGHUP" "reopened --events" "$KS_TMP/agent.err"
wait_written $(( $(written) + 1 ))
ks_wait "$HOG" 30 "the hog"
sleep 2
total=$(written)
check_ge "records after the create rotation went to the new file" "$(grep -c . "$EV")" 1
check "the agent still runs" kill -0 "$AGENT"
all_lines >"$KS_TMP/all.jsonl"
check_eq "lines in all files = records the agent wrote (none lost)" \
	"$(grep -c . "$KS_TMP/all.jsonl")" "$total"
check_eq "no line twice" "$(sort "$KS_TMP/all.jsonl" | uniq -d | wc -l)" 0
check_eq "every line a whole JSON record" "$(jq -c . "$KS_TMP/all.jsonl" 2>/dev/null | wc -l)" "$total"
check_eq "no NUL byte in any file" "$(all_lines | tr -cd '\0' | wc -c)" 0
HOG_PID=$(sed -n 's/^hog .* pid \([0-9]*\) .*/\1/p' "$KS_TMP/hog.out")
check_ge "the hog's stalls are among them (pid $HOG_PID)" \
	"$(jq -r --argjson p "${HOG_PID:-0}" 'select(.culprit.pid==$p) | .stall_ns' "$KS_TMP/all.jsonl" | grep -c .)" 4
kill -TERM "$AGENT"
ks_wait "$AGENT" 15 "the agent after SIGTERM"
check_eq "the agent exits 0 on SIGTERM" "$?" 0
