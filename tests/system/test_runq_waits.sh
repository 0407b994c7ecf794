#!/bin/bash
# test_runq_waits.sh — no false scheduling waits: under the conditions of
# `ksleuth demo --fixed` (veth TCP+UDP load steered to a CPU plus a
# kernel-fixed hog there), every wait >= 50 ms that `ksleuth runq` reports
# must also be seen by an independent bpftrace measurement on the same
# tracepoints over the same window (same tid, same end within 5 ms, at
# least as long). The bpftrace script keeps the older stamp on a
# re-wakeup like ksleuth does, stamps preempted switch-outs (prev_state R,
# or R+ = 256 when __schedule was called for preemption, e.g. from
# cond_resched), and drops a task's stamp when it switches out asleep: a
# wait is a runnable period, and it ends at the latest there. On 6.18 the
# sched event stream of a task holds, now and then, a wakeup or an R
# switch-out followed by an S/I switch-out with no switch-in between;
# ksleuth kept that stamp over the sleep and reported the sleep (plus the
# real wait) as a wait: 100 ms - 1.6 s "waits" of kworkers, ksoftirqd or
# the hog on an idle CPU, in about half the `demo --fixed` runs.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd bpftrace
require_cmd jq
require_cmd python3

CPU=$(( $(nr_cpus) > 1 ? 1 : 0 ))
PIN=()
[ "$CPU" != 0 ] && command -v taskset >/dev/null && PIN=(taskset -c 0)
ks_netbed_up "$CPU" || exit 1

cat >"$KS_TMP/ref.bt" <<'EOF'
tracepoint:sched:sched_wakeup,tracepoint:sched:sched_wakeup_new {
	if (!@ts[args->pid]) { @ts[args->pid] = nsecs; }
}
tracepoint:sched:sched_switch {
	if ((args->prev_state == 0 || args->prev_state == 256) && args->prev_pid != 0) {
		@ts[args->prev_pid] = nsecs;
	} else {
		delete(@ts[args->prev_pid]);
	}
	if (@ts[args->next_pid]) {
		$d = nsecs - @ts[args->next_pid];
		if ($d >= 40000000) { printf("W %d %lld %lld %s\n", args->next_pid, @ts[args->next_pid], nsecs, args->next_comm); }
		delete(@ts[args->next_pid]);
	}
}
END { clear(@ts); }
EOF
ks_bg BT_PID sh -c "exec bpftrace '$KS_TMP/ref.bt' >'$KS_TMP/ref.txt' 2>'$KS_TMP/ref.err'"
ks_wait_for "$KS_TMP/ref.txt" "Attaching" 20 || { fail "bpftrace did not attach: $(head -c 300 "$KS_TMP/ref.err")"; exit 1; }

ks_bg RQ_PID sh -c "exec ${PIN[*]} '$KS' runq --slower 50ms --json >'$KS_TMP/rq.json' 2>'$KS_TMP/rq.err'"
sleep 1.5
kill -0 "$RQ_PID" 2>/dev/null || { fail "runq did not start: $(head -c 300 "$KS_TMP/rq.err")"; exit 1; }

ks_bg LOAD_PID "$KS" netbed load "$BED" -c "$CPU" -d 9
sleep 1
"$KS" hog --mode kernel-fixed -c "$CPU" --run 500ms --gap 1500ms -n 4 --json >"$KS_TMP/hog.json" 2>"$KS_TMP/hog.err" \
	|| fail "hog kernel-fixed: $(head -c 300 "$KS_TMP/hog.err")"
sleep 0.5
ks_stop "$RQ_PID" "ksleuth runq"; rq_rc=$?
sleep 0.2
ks_stop_ref "$BT_PID" bpftrace
kill "$LOAD_PID" 2>/dev/null; wait "$LOAD_PID" 2>/dev/null

check_ge "the hog ran (own records)" "$(jq -s '[.[] | select(.type=="hog_run")] | length' "$KS_TMP/hog.json" 2>/dev/null || echo 0)" 4
check_eq "runq ran and stopped cleanly on SIGINT$( [ "$rq_rc" = 0 ] || echo ": $(head -c 200 "$KS_TMP/rq.err")")" "$rq_rc" 0

# every ksleuth wait >= 50 ms: a bpftrace wait of the same tid ending within
# 5 ms of it and at least as long (minus 5 ms)
res=$(python3 - "$KS_TMP/rq.json" "$KS_TMP/ref.txt" <<'EOF'
import json, sys
MS = 1000000
ref = []
for l in open(sys.argv[2]):
	f = l.split()
	if len(f) >= 4 and f[0] == "W":
		ref.append((int(f[1]), int(f[2]), int(f[3])))
n = bad = 0
msgs = []
for l in open(sys.argv[1]):
	try:
		r = json.loads(l)
	except ValueError:
		continue
	if r.get("type") != "wait" or r.get("ongoing") or r["wait_ns"] < 50 * MS:
		continue
	n += 1
	tid = r["victim"]["tid"]
	end = r["start_ns"] + r["wait_ns"]
	ok = any(t == tid and abs(e - end) <= 5 * MS and e - s >= r["wait_ns"] - 5 * MS for t, s, e in ref)
	if not ok:
		bad += 1
		msgs.append("%s tid %d %d ms cpu %d" % (r["victim"]["comm"], tid, r["wait_ns"] // MS, r["cpu"]))
print(n, bad, len(ref), "; ".join(msgs[:5]))
EOF
)
read -r n_ks n_false n_ref rest <<<"$res"
echo "  ksleuth waits >= 50 ms: ${n_ks:-?}, bpftrace: ${n_ref:-?}, not seen by bpftrace: ${n_false:-?} $rest"
check_eq "no ksleuth wait >= 50 ms that bpftrace does not see${rest:+ ($rest)}" "${n_false:-x}" 0
