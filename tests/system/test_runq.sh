#!/bin/bash
# test_runq.sh — `ksleuth runq` against real stalls: a victim pinned to a
# CPU that measures its own lateness, and `ksleuth-hog` runs on that CPU.
# Kernel hog: victim waits >= 450 ms, top antagonist = hog pid, share >=
# 90 %, mode kernel, stack through bpf_prog_test_run, length within 10 % of
# the victim's own clock, an ongoing report before the run ends; kernel-bh:
# bottom halves seen disabled; FIFO hog: user mode, policy SCHED_FIFO; fixed hog:
# no wait > 20 ms attributed to it; histogram count = victim's own count
# +-5 % on the tp_btf, raw_tp and own-stamps paths; bad arguments, unknown
# comm/pid (exit 2) and no privileges (exit 1).
# And the sampler with no task waiting: a kernel-bh hog alone on the CPU
# under a small veth load still yields samples for the NET_RX delay.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd python3
require_cmd jq
require_cmd setpriv

CPU=$(( $(nr_cpus) > 1 ? 1 : 0 ))
VICTIM=$KS_HELPERS/victim
[ -x "$VICTIM" ] || { fail "missing $VICTIM (make build/helpers/victim)"; exit 1; }
HANDOFF=$KS_HELPERS/handoff
[ -x "$HANDOFF" ] || { fail "missing $HANDOFF (make build/helpers/handoff)"; exit 1; }

# --- command line: exit 2 with one sentence; no privileges: exit 1
check_exit "bad --by" 2 "$KS" runq --by socket
check_grep "bad --by message" "bad value 'socket' for --by: give cpu, comm or pid" "$KS_TMP/err"
check_exit "bad --slower" 2 "$KS" runq --slower soon
check_exit "bad -C" 2 "$KS" runq -C x-y
check_exit "--ongoing without --slower" 2 "$KS" runq --ongoing 1s
check_exit "unknown comm" 2 "$KS" runq --comm no-such-task-zz
check_grep "unknown comm message" "no running task's name starts with 'no-such-task-zz'" "$KS_TMP/err"
check_exit "comm too long" 2 "$KS" runq --comm abcdefghijklmnopq
check_exit "unknown pid" 2 "$KS" runq -p 999999999
check_exit "unknown option" 2 "$KS" runq --frobnicate
check_exit "help" 0 "$KS" runq --help
check_exit "no privileges" 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$KS" runq -d 1
check_grep "no privileges message" "needs root" "$KS_TMP/err"
[ "$(wc -l < "$KS_TMP/err")" = 1 ] && pass "no privileges: one line" || fail "no privileges: $(wc -l < "$KS_TMP/err") lines"

# --- histogram layouts: bcc text per CPU; JSON per pid for a comm prefix
"$KS" runq --by cpu -d 1 >"$KS_TMP/bycpu.txt" 2>"$KS_TMP/bycpu.err"
check_grep "--by cpu: a histogram per CPU" "^cpu = 0$" "$KS_TMP/bycpu.txt"
check_grep "--by cpu: bcc layout" "usecs +: count +distribution" "$KS_TMP/bycpu.txt"
check_grep "--by cpu: summary line" "^min .* avg .* p50 .* p99 .* max .* count [0-9]+" "$KS_TMP/bycpu.txt"
# a victim waking every 5 ms is sure to wait in that second: the filter
# must keep its histogram (an empty output is no proof of filtering)
ks_bg V_PID "$VICTIM" -c "$CPU" -d 2 -o "$KS_TMP/victim-bypid.json"
sleep 0.2
"$KS" runq --comm victim --by pid -d 1 --json >"$KS_TMP/bypid.json" 2>"$KS_TMP/bypid.err"
ks_wait "$V_PID" 20 victim
got=$(jq -s --argjson p "$V_PID" '[.[] | select(.type=="hist" and .pid==$p and .count > 0)] | length' "$KS_TMP/bypid.json" 2>/dev/null)
check_eq "--comm victim --by pid: the victim's histogram" "$got" 1
bad=$(jq -s '[.[] | select(.type!="hist" or (.comm | startswith("victim") | not))] | length' "$KS_TMP/bypid.json" 2>/dev/null)
check_eq "--comm victim --by pid: only victim histograms" "$bad" 0

# start_runq OUT ARGS...: runq in the background, wait until it traces
# On a machine with more than one CPU runq runs away from the CPU under
# test: a consumer queued behind the stall it should report can only
# report it once the load balancer moves it (measured: up to ~60 ms later,
# sometimes after the run ended).
PIN=()
[ "$CPU" != 0 ] && command -v taskset >/dev/null && PIN=(taskset -c 0)
start_runq() {
	local out=$1; shift
	ks_bg RQ_PID "${PIN[@]}" "$KS" ${RQ_VERBOSE:+-v} runq "$@" >"$out" 2>"$out.err"
	for _ in $(seq 50); do
		if [ -s "$out" ] || grep -q "Tracing" "$out" 2>/dev/null; then break; fi
		kill -0 "$RQ_PID" 2>/dev/null || break
		sleep 0.1
	done
	# JSON mode prints nothing until a record: give the attach time
	sleep 1
	kill -0 "$RQ_PID" 2>/dev/null || { fail "runq did not start: $(head -c 300 "$out.err")"; return 1; }
}
stop_runq() { ks_stop "$RQ_PID" "ksleuth runq"; }

# --- 1. kernel hog (2 x 500 ms) then kernel-bh (1 x 500 ms) on CPU with the victim there
start_runq "$KS_TMP/rq-kernel.json" --slower 100ms --ongoing 200ms -C "$CPU" --json || exit 1
ks_bg V_PID "$VICTIM" -c "$CPU" -d 3.6 -t 50 -o "$KS_TMP/victim-kernel.json"
sleep 0.3
"$KS_HOG" --mode kernel -c "$CPU" --run 500ms --gap 500ms -n 2 --json >"$KS_TMP/hog-kernel.json" 2>"$KS_TMP/hog.err" \
	|| fail "hog kernel: $(head -c 300 "$KS_TMP/hog.err")"
sleep 0.4
"$KS_HOG" --mode kernel-bh -c "$CPU" --run 500ms -n 1 --json >"$KS_TMP/hog-bh.json" 2>"$KS_TMP/hog.err" \
	|| fail "hog kernel-bh: $(head -c 300 "$KS_TMP/hog.err")"
ks_wait "$V_PID" 20 victim
sleep 0.3
stop_runq

# --- 1b. the perf-event sampler (the fallback where the tick cannot be
# traced; forced here): one kernel-bh run, same verdicts
export KSLEUTH_SAMPLER=perf
start_runq "$KS_TMP/rq-perf.json" --slower 100ms -C "$CPU" --json || exit 1
unset KSLEUTH_SAMPLER
ks_bg V_PID "$VICTIM" -c "$CPU" -d 1.5 -t 50 -o "$KS_TMP/victim-perf.json"
sleep 0.3
"$KS_HOG" --mode kernel-bh -c "$CPU" --run 500ms -n 1 --json >"$KS_TMP/hog-perf.json" 2>"$KS_TMP/hog.err" \
	|| fail "hog kernel-bh (perf sampler): $(head -c 300 "$KS_TMP/hog.err")"
ks_wait "$V_PID" 20 victim
stop_runq

# --- 2. FIFO hog (1 x 400 ms)
start_runq "$KS_TMP/rq-fifo.json" --slower 100ms -C "$CPU" --json || exit 1
ks_bg V_PID "$VICTIM" -c "$CPU" -d 1.5 -t 50 -o "$KS_TMP/victim-fifo.json"
# and a busy loop (SCHED_OTHER, never sleeps): the hog preempts it, so
# its wait is labelled preempted where the sleeping victim's is woken
ks_bg B_PID taskset -c "$CPU" timeout 1.5 sh -c 'while :; do :; done'
sleep 0.3
"$KS_HOG" --mode fifo -c "$CPU" --run 400ms -n 1 --json >"$KS_TMP/hog-fifo.json" 2>"$KS_TMP/hog.err" \
	|| fail "hog fifo: $(head -c 300 "$KS_TMP/hog.err")"
ks_wait "$V_PID" 20 victim
ks_wait "$B_PID" 20 "busy loop"
stop_runq
echo "$B_PID" > "$KS_TMP/busy.pid"

# --- 3. fixed hog (500 ms of 1 ms slices). The threshold is low enough
# that the victim's short waits behind the slices are reported too: they
# show runq traced and attributed in that window, where no long wait is.
start_runq "$KS_TMP/rq-fixed.json" --slower 200us -C "$CPU" --json || exit 1
ks_bg V_PID "$VICTIM" -c "$CPU" -d 1.5 -t 50 -o "$KS_TMP/victim-fixed.json"
sleep 0.3
"$KS_HOG" --mode kernel-fixed -c "$CPU" --run 500ms -n 1 --json >"$KS_TMP/hog-fixed.json" 2>"$KS_TMP/hog.err" \
	|| fail "hog kernel-fixed: $(head -c 300 "$KS_TMP/hog.err")"
ks_wait "$V_PID" 20 victim
stop_runq

# --- 3b. the CPU's remembered waiter handed on. A task woken while another
# runs takes the slot (the waiter the sampler and the ongoing reports
# follow), then preempts the one that woke it and holds the CPU 400 ms
# (handoff); or, woken with a third task behind it, runs first and wakes a
# fourth 1 ms in, which takes the emptied slot (-b); or
# the holder wakes two, and the first, the known waiter, is moved to
# another CPU 50 ms into the run (-m). The waiting task must still be
# followed: samples of the holder over its whole run, and an ongoing report
# of the waiting one before the run ends. Before the slot was cleared ahead
# of the preempted task taking it, neither came for handoff (CI: "fifo:
# policy normal / mode unknown"); before the sampler took a waiter from the
# runqueue when it knew none, no ongoing report came for -b and -m (CI: a
# BH-off hog's run with no ongoing report).
start_runq "$KS_TMP/rq-handoff.json" --slower 100ms --ongoing 200ms -C "$CPU" --json || exit 1
"${PIN[@]}" "$HANDOFF" -c "$CPU" -r 400 -o "$KS_TMP/handoff.json" 2>"$KS_TMP/handoff.err" \
	|| fail "handoff: $(head -c 300 "$KS_TMP/handoff.err")"
sleep 0.2
"${PIN[@]}" "$HANDOFF" -b -c "$CPU" -r 400 -o "$KS_TMP/behind.json" 2>"$KS_TMP/behind.err" \
	|| fail "handoff -b: $(head -c 300 "$KS_TMP/behind.err")"
if [ "$(nr_cpus)" -gt 1 ]; then
	sleep 0.2
	"${PIN[@]}" "$HANDOFF" -m -c "$CPU" -r 400 -o "$KS_TMP/moved.json" 2>"$KS_TMP/moved.err" \
		|| fail "handoff -m: $(head -c 300 "$KS_TMP/moved.err")"
fi
sleep 0.2
stop_runq

# --- 3c. interrupts off (kernel-irq hog, 2 x 300 ms): the CPU takes no
# timer interrupt; runq says so, from the tick before to the tick after,
# naming the hog, with a sample of the tick that ended it.
RQ_VERBOSE=1 start_runq "$KS_TMP/rq-irq.json" --slower 100ms -C "$CPU" --json || exit 1
"$KS_HOG" --mode kernel-irq -c "$CPU" --run 300ms --gap 300ms -n 2 --json >"$KS_TMP/hog-irq.json" 2>"$KS_TMP/hog.err" \
	|| fail "hog kernel-irq: $(head -c 300 "$KS_TMP/hog.err")"
sleep 0.3
stop_runq

# --- 4. histogram: the victim's own count of wake-ups. The victim execs
# from a shell held at a gate, so its pid exists before runq starts and
# all its wake-ups happen while runq traces. Three times: tp_btf (this
# kernel's path), the raw_tp fallback and tp_btf with our own stamps (the
# path of kernels without sched_info), each forced. Within 5 %: 402
# waits for the victim's 400 wake-ups measured here on each path.
hist_run() { # TAG: rq-TAG.json and victim-TAG.json
	mkfifo "$KS_TMP/gate-$1"
	ks_bg G_PID bash -c "read -r _ < '$KS_TMP/gate-$1'; exec '$VICTIM' -c $CPU -d 2 -o '$KS_TMP/victim-$1.json'"
	RQ_VERBOSE=1 start_runq "$KS_TMP/rq-$1.json" -p "$G_PID" --json || return 1
	echo go > "$KS_TMP/gate-$1"
	ks_wait "$G_PID" 20 "gated victim ($1)"
	sleep 0.2
	stop_runq
}
hist_run hist || exit 1
KSLEUTH_SCHED_RAW_TP=1 hist_run hist-raw || exit 1
check_grep "raw_tp fallback loads" "raw_tp programs loaded" "$KS_TMP/rq-hist-raw.json.err"
KSLEUTH_SCHED_STAMPS=1 hist_run hist-stamps || exit 1
check_grep "stamps path loads" "waits from our own stamps" "$KS_TMP/rq-hist-stamps.json.err"

# --- 5. the sampler with nobody waiting: a BH-off hog alone on CPU under a
# small veth load (receive processing on CPU, load processes elsewhere):
# NET_RX waits on no task, yet the delay's antagonist must come with
# samples (mode kernel, BH off, the test-run stack). Before the sampler
# also gated on long kernel runs these samples were missing.
if [ "$CPU" != 0 ] && command -v iperf3 >/dev/null; then
	"$KS" netbed up -c "$CPU" --owner $$ --json >"$KS_TMP/bed.json" 2>"$KS_TMP/bed.err" ||
		fail "netbed up: $(head -c 300 "$KS_TMP/bed.err")"
	BED=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$KS_TMP/bed.json" 2>/dev/null)
	if [ -n "$BED" ]; then
		ks_on_exit "'$KS' netbed down '$BED'"
		ks_bg LOAD_PID "$KS" netbed load "$BED" -c "$CPU" -d 4 -P 4 --tcp-rate 5M --udp 20M
		ks_bg SQ_PID "${PIN[@]}" "$KS" softirq --slower 100ms -C "$CPU" -d 4 --json \
			>"$KS_TMP/sq-alone.json" 2>"$KS_TMP/sq-alone.err"
		sleep 1.5
		"$KS_HOG" --mode kernel-bh -c "$CPU" --run 500ms -n 1 --json >"$KS_TMP/hog-alone.json" 2>"$KS_TMP/hog.err" \
			|| fail "hog kernel-bh alone: $(head -c 300 "$KS_TMP/hog.err")"
		ks_wait "$SQ_PID" 20 "ksleuth softirq -d 4"
		ks_wait "$LOAD_PID" 20 "netbed load"
		"$KS" netbed down "$BED" >/dev/null 2>&1
	fi
else
	skip "sampler with nobody waiting: needs 2 CPUs and iperf3"
fi

# the sampler rides the scheduler tick: CONFIG_HZ samples a second
KS_HZ=$("$KS" info --json 2>/dev/null | jq -r '.hz // 250')
[ -n "$KS_HZ" ] && [ "$KS_HZ" != null ] || KS_HZ=250
KS_HZ=$KS_HZ python3 - "$KS_TMP" <<'PY' >"$KS_TMP/verdicts" 2>"$KS_TMP/verdicts.err"
import json, sys, os
tmp = sys.argv[1]
def lines(name):
    out = []
    p = os.path.join(tmp, name)
    if not os.path.exists(p):
        return out
    for l in open(p):
        l = l.strip()
        if l.startswith('{'):
            try: out.append(json.loads(l))
            except ValueError: pass
    return out
def victim(name):
    v = lines(name)
    return v[-1] if v else None
def say(ok, msg):
    print(("PASS " if ok else "FAIL ") + msg)

def top(w):
    return w['antagonists'][0] if w.get('antagonists') else {}

# 1b. the perf-event sampler (97 Hz at --slower 100ms)
v = victim('victim-perf.json')
runs = [r for r in lines('hog-perf.json') if r.get('type') == 'hog_run']
rq = [r for r in lines('rq-perf.json') if r.get('type') == 'wait' and not r['ongoing']]
if not v or not runs:
    say(False, f"perf sampler: victim or hog missing ({v is not None}, {len(runs)} runs)")
else:
    s, e = runs[0]['start_ns'], runs[0]['end_ns']
    done = [w for w in rq if w['victim']['tid'] == v['tid'] and s <= w['start_ns'] + w['wait_ns'] and w['start_ns'] <= e]
    if not done:
        say(False, f"perf sampler: no victim wait reported ({len(rq)} waits)")
    else:
        a = top(max(done, key=lambda w: w['wait_ns']))
        say(a.get('pid') == runs[0]['pid'] and a.get('mode') == 'kernel' and a.get('bh_disabled') is True,
            f"perf sampler: hog {a.get('pid')} (want {runs[0]['pid']}), mode {a.get('mode')}, BH off {a.get('bh_disabled')}")
        st = a.get('stack', [])
        say(any('bpf_prog_test_run' in f for f in st), f"perf sampler: stack has a bpf_prog_test_run frame ({st[-4:] if st else 'none'})")
        say(a.get('samples', 0) >= 10, f"perf sampler: {a.get('samples', 0)} samples of the hog >= 10")

# 1. kernel hog
v = victim('victim-kernel.json')
rq = [r for r in lines('rq-kernel.json') if r.get('type') == 'wait']
runs = [r for r in lines('hog-kernel.json') if r.get('type') == 'hog_run']
bh_runs = [r for r in lines('hog-bh.json') if r.get('type') == 'hog_run']
say(v is not None and len(runs) == 2 and len(bh_runs) == 1, f"kernel: victim and 3 hog runs ran ({len(runs)}+{len(bh_runs)} runs)")
if v:
    vt = v['tid']
    for i, run in enumerate(runs + bh_runs):
        bh = i == len(runs)
        tag = f"{'kernel-bh' if bh else 'kernel'} run {i + 1}"
        s, e = run['start_ns'], run['end_ns']
        done = [w for w in rq if not w['ongoing'] and w['victim']['tid'] == vt
                and s <= w['start_ns'] + w['wait_ns'] and w['start_ns'] <= e]
        if not done:
            say(False, f"{tag}: no victim wait reported (records: {[(w['victim']['comm'], w['start_ns'], w['wait_ns'], w['ongoing']) for w in rq]}, run {s}-{e})")
            continue
        w = max(done, key=lambda w: w['wait_ns'])
        a = top(w)
        say(w['wait_ns'] >= 450_000_000, f"{tag}: victim waited {w['wait_ns'] // 1_000_000} ms >= 450")
        others = [(x.get('pid'), x.get('comm'), round(x.get('share', 0), 3)) for x in w.get('antagonists', [])[:3]]
        say(a.get('pid') == run['pid'], f"{tag}: top antagonist pid {a.get('pid')} is the hog {run['pid']}"
            + ("" if a.get('pid') == run['pid'] else f" (the hog's own record: cpu {run.get('cpu')}; antagonists {others})"))
        say(a.get('comm') == 'ksleuth-hog', f"{tag}: top antagonist comm {a.get('comm')!r} is the hog's ('ksleuth-hog')")
        say(a.get('share', 0) >= 0.9, f"{tag}: hog share {a.get('share', 0):.3f} >= 0.90")
        say(a.get('mode') == 'kernel', f"{tag}: hog mode {a.get('mode')} is kernel")
        st = a.get('stack', [])
        say(any('bpf_prog_test_run' in f for f in st), f"{tag}: stack has a bpf_prog_test_run frame ({st[-6:] if st else 'none'})")
        if bh:
            say(a.get('bh_disabled') is True, f"{tag}: bottom halves seen disabled ({a.get('bh_disabled')})")
        else:
            say(a.get('bh_disabled') is False, f"{tag}: bottom halves seen enabled ({a.get('bh_disabled')})")
        # the victim's own clock: its late record overlapping this wait
        late = [l for l in v.get('late', []) if l['start_ns'] <= w['start_ns'] + w['wait_ns'] and w['start_ns'] <= l['end_ns']]
        if late:
            own = max(late, key=lambda l: l['late_ns'])['late_ns']
            diff = abs(w['wait_ns'] - own)
            say(diff <= own * 0.10, f"{tag}: wait {w['wait_ns'] // 1000} us vs victim's own {own // 1000} us (within 10%)")
        else:
            say(False, f"{tag}: the victim recorded no late wake-up for this wait")
        # ongoing: some task on this CPU (the oldest waiter there, often
        # the victim) reported waiting while the hog still runs
        ong = [o for o in rq if o['ongoing'] and s <= o['start_ns'] + o['wait_ns'] <= e + 50_000_000
               and top(o).get('pid') == run['pid']]
        if ong:
            o = ong[0]
            say(o['report_ns'] < run['end_ns'], f"{tag}: ongoing stall of {o['victim']['comm']} reported {(run['end_ns'] - o['report_ns']) // 1_000_000} ms before the run ended")
        else:
            seen = [(o['victim']['comm'], o['start_ns'], o['wait_ns'], o['report_ns'], top(o).get('pid')) for o in rq if o['ongoing']]
            say(False, f"{tag}: no ongoing report blaming the hog (run {s}-{e}, hog {run['pid']}; ongoing seen: {seen})")

# 2. FIFO
v = victim('victim-fifo.json')
rq = [r for r in lines('rq-fifo.json') if r.get('type') == 'wait']
runs = [r for r in lines('hog-fifo.json') if r.get('type') == 'hog_run']
if v and runs:
    run = runs[0]
    done = [w for w in rq if not w['ongoing'] and w['victim']['tid'] == v['tid'] and w['wait_ns'] >= 200_000_000]
    if done:
        a = top(max(done, key=lambda w: w['wait_ns']))
        say(a.get('pid') == run['pid'], f"fifo: top antagonist pid {a.get('pid')} is the hog {run['pid']}")
        say(a.get('policy') == 'SCHED_FIFO', f"fifo: policy {a.get('policy')} is SCHED_FIFO")
        say(a.get('rt_priority') == 50, f"fifo: rt_priority {a.get('rt_priority')} is the hog's 50")
        say(a.get('mode') == 'user', f"fifo: mode {a.get('mode')} is user")
        w = max(done, key=lambda w: w['wait_ns'])
        say(w['kind'] == 'woken', f"fifo: the sleeping victim's wait is labelled {w['kind']} (woken)")
    else:
        say(False, f"fifo: no victim wait >= 200 ms ({len(rq)} records)")
    # the busy loop: timeout forks sh, so its tid is a child of B_PID
    bp = int(open(os.path.join(tmp, 'busy.pid')).read())
    busy = [w for w in rq if not w['ongoing'] and w['wait_ns'] >= 300_000_000 and w['victim']['comm'] == 'sh'
            and run['start_ns'] - 50_000_000 <= w['start_ns'] <= run['end_ns']]
    if busy:
        w = max(busy, key=lambda w: w['wait_ns'])
        say(w['kind'] == 'preempted', f"fifo: the busy loop's {w['wait_ns'] // 1_000_000} ms wait is labelled {w['kind']} (preempted)")
        say(top(w).get('pid') == run['pid'], f"fifo: the busy loop's top antagonist {top(w).get('pid')} is the hog {run['pid']}")
    else:
        say(False, f"fifo: no wait >= 300 ms of the busy loop (timeout pid {bp}; waits {[(w['victim']['comm'], w['wait_ns'] // 1_000_000, w['kind']) for w in rq]})")
else:
    say(False, "fifo: victim or hog did not run")

# 3b. handoff: the waiting task followed through a handed-on slot
hz = int(os.environ.get('KS_HZ', '250'))
rq = [r for r in lines('rq-handoff.json') if r.get('type') == 'wait']
cases = [('handoff', 'handoff.json', 'waker'), ('behind', 'behind.json', 'behind')]
if os.cpu_count() > 1:
    cases.append(('moved', 'moved.json', 'behind'))
for tag, name, vtype in cases:
    h = {r['type']: r for r in lines(name)}
    hold, vic = h.get('holder'), h.get(vtype)
    if not hold or not vic:
        say(False, f"{tag}: the helper's records are missing ({sorted(h)})")
        continue
    done = [w for w in rq if not w['ongoing'] and w['victim']['tid'] == vic['tid']]
    if not done:
        say(False, f"{tag}: no wait of the {vtype} (tid {vic['tid']}) reported ({len(rq)} waits)")
        continue
    w = max(done, key=lambda w: w['wait_ns'])
    run = hold['end_ns'] - hold['start_ns']
    a = top(w)
    say(w['wait_ns'] >= run * 9 // 10, f"{tag}: the {vtype} waited {w['wait_ns'] // 1_000_000} ms, the holder ran {run // 1_000_000} ms (own clock)")
    say(a.get('tid') == hold['tid'], f"{tag}: top antagonist tid {a.get('tid')} is the holder {hold['tid']}")
    say(a.get('mode') == 'user' and a.get('policy') == 'SCHED_FIFO', f"{tag}: holder mode {a.get('mode')}, policy {a.get('policy')} (user, SCHED_FIFO)")
    # a sample a tick from sample_after (threshold/4) on; at least half
    want = (run - 25_000_000) * hz // 2_000_000_000
    say(a.get('samples', 0) >= want, f"{tag}: {a.get('samples', 0)} samples of the holder >= {want} (half the ticks)")
    if tag == 'handoff':
        # the slot follows the oldest waiter: the waker, or a task queued
        # before the waker was preempted (a kworker woken 1 ms before the
        # holder ran, in 3 runs of 15 here: its ongoing report is the right one)
        ong = [o for o in rq if o['ongoing'] and top(o).get('tid') == hold['tid']
               and (o['victim']['tid'] == vic['tid'] or o['start_ns'] <= w['start_ns'])]
        seen = [(o['victim']['comm'], o['victim']['tid'], (o['start_ns'] - w['start_ns']) // 1_000_000,
                 (o['report_ns'] - hold['end_ns']) // 1_000_000, top(o).get('tid')) for o in rq if o['ongoing']]
        say(bool(ong) and ong[0]['report_ns'] < hold['end_ns'],
            f"{tag}: an ongoing report of the {vtype} (tid {vic['tid']}) or of a task queued before it, "
            f"before the holder's run ended (victim, tid, ms after the {vtype}'s wait began, ms after the "
            f"run's end, top tid: {seen})")
    else:
        # the sampler takes the oldest waiter it finds: the one behind, or
        # a task queued before it; one woken later (a kworker) would only
        # have found the slot empty, which the old programs also report
        cut = hold['start_ns'] + (50_000_000 if tag == 'moved' else 1_000_000)
        ong = [o for o in rq if o['ongoing'] and top(o).get('tid') == hold['tid']
               and o['start_ns'] <= cut and o['report_ns'] < hold['end_ns']]
        seen = [(o['victim']['comm'], (o['start_ns'] - hold['start_ns']) // 1_000_000, top(o).get('tid')) for o in rq if o['ongoing']]
        say(bool(ong), f"{tag}: an ongoing report, before the run ended, of a task queued before "
            f"{'the known waiter left' if tag == 'moved' else 'the holder ran'} (victim, ms into the run, top: {seen})")
    if tag == 'moved':
        m = h.get('moved', {})
        say(m.get('cpu', -1) != vic.get('cpu', -1) and m.get('ran_ns', 0) - hold['start_ns'] < 150_000_000,
            f"moved: the first woken ran on CPU {m.get('cpu')} {(m.get('ran_ns', 0) - hold['start_ns']) // 1_000_000} ms into the run (moved at 50), the other waited on CPU {vic.get('cpu')}")

# 3c. interrupts off: one silence per run, tick to tick around the BPF
# program's own first and last clock reads, and none elsewhere
gaps = [r for r in lines('rq-irq.json') if r.get('type') == 'irq_gap']
runs = [r for r in lines('hog-irq.json') if r.get('type') == 'hog_run']
tick = 1_000_000_000 // hz
if len(runs) != 2:
    say(False, f"irq: the kernel-irq hog ran {len(runs)} times (2 wanted)")
for run in runs:
    ks, ke = run['kstart_ns'], run['kend_ns']
    g = [x for x in gaps if x['start_ns'] < ke and x['start_ns'] + x['gap_ns'] > ks]
    if not g:
        say(False, f"irq run {run['run']}: no irq_gap record over it ({len(gaps)} records)")
        continue
    x = g[0]
    s, e = x['start_ns'], x['start_ns'] + x['gap_ns']
    # (the tick pending at the end is taken as interrupts come back on,
    # but a VM's host may deliver it late: 2.91 ms after in one CI run)
    say(ks - tick - 1_000_000 <= s <= ks + 1_000_000 and ke <= e <= ke + tick + 1_000_000,
        f"irq run {run['run']}: silence {(ks - s) / 1e6:.2f} ms before the hog's first clock read to {(e - ke) / 1e6:.2f} ms after its last (within a tick each side)")
    say(x['running']['pid'] == run['pid'], f"irq run {run['run']}: running pid {x['running']['pid']} is the hog {run['pid']}")
    st = top(x).get('stack', [])
    a = top(x)
    # the tick that ended it is sampled: the hog, in the kernel (or, when
    # the pending tick came late on this VM, in user mode). Where it came
    # is checked by test_doctor 4c (bpf_local_irq_restore in the verdict);
    # here it is shown: twice in CI simulations the sample had no kernel
    # stack (cause not found; runq -v says how many stack walks failed).
    errs = [l.strip() for l in open(os.path.join(tmp, 'rq-irq.json.err')) if 'stack errors' in l][-1:]
    say(a.get('pid') == run['pid'] and a.get('samples', 0) >= 1 and a.get('mode') in ('kernel', 'user'),
        f"irq run {run['run']}: the tick that ended it was sampled ({a.get('comm')} mode {a.get('mode')}, {a.get('samples')} samples; stack {st[:4]}; {errs})")
stray = [x for x in gaps if not any(x['start_ns'] < r['kend_ns'] and x['start_ns'] + x['gap_ns'] > r['kstart_ns'] for r in runs)]
say(not stray, f"irq: no silence reported outside the hog's runs ({[(x['running']['comm'], x['gap_ns'] // 1_000_000) for x in stray]})")

# 3. fixed
v = victim('victim-fixed.json')
rq = [r for r in lines('rq-fixed.json') if r.get('type') == 'wait']
runs = [r for r in lines('hog-fixed.json') if r.get('type') == 'hog_run']
if runs and v:
    hp = runs[0]['pid']
    # the victim (every 5 ms) waits over 200 us behind a slice now and
    # then during the 500 ms run: 21 such waits measured here
    short = [w for w in rq if not w['ongoing'] and w['victim']['tid'] == v['tid'] and top(w).get('pid') == hp]
    say(len(short) >= 10, f"fixed: the victim's short waits behind the hog's slices reported ({len(short)} >= 10)")
    blamed = [w for w in rq if w['wait_ns'] > 20_000_000 and any(a['pid'] == hp and a['run_ns'] > 20_000_000 for a in w['antagonists'])]
    say(not blamed, f"fixed: no wait above 20 ms attributed to the hog ({len(blamed)} of {len(rq)} waits)")
else:
    say(False, f"fixed: hog or victim did not run ({len(runs)} runs, victim {v is not None})")

# 4. histogram, on each path: the victim's own count of wake-ups
for tag, path in (('hist', 'tp_btf'), ('hist-raw', 'raw_tp'), ('hist-stamps', 'own stamps')):
    v = victim(f'victim-{tag}.json')
    h = [r for r in lines(f'rq-{tag}.json') if r.get('type') == 'hist']
    if v and h:
        n, want = h[-1]['count'], v['wakeups']
        say(want > 100 and abs(n - want) <= 0.05 * want, f"histogram ({path}): {n} waits vs the victim's {want} wake-ups (within 5%)")
    else:
        say(False, f"histogram ({path}): missing output (victim {v is not None}, hist lines {len(h)})")

# 5. sampler with nobody waiting (only when section 5 ran)
runs = [r for r in lines('hog-alone.json') if r.get('type') == 'hog_run']
if os.path.exists(os.path.join(tmp, 'sq-alone.json')):
    if not runs:
        say(False, "alone: the kernel-bh hog did not run")
    else:
        run = runs[0]
        ks, ke = run['kstart_ns'], run['kend_ns']
        d = [r for r in lines('sq-alone.json') if r.get('type') == 'softirq_delay' and r['vector'] == 'net_rx'
             and r['start_ns'] < ke and r['entry_ns'] > ks]
        if not d:
            say(False, f"alone: no NET_RX delay reported over the hog's run ({len(lines('sq-alone.json'))} lines)")
        else:
            r = max(d, key=lambda r: r['delay_ns'])
            a = r['antagonists'][0] if r.get('antagonists') else {}
            say(r['delay_ns'] >= 400_000_000, f"alone: NET_RX delay {r['delay_ns'] // 1_000_000} ms >= 400 (hog ran {(ke - ks) // 1_000_000} ms)")
            say(a.get('pid') == run['pid'], f"alone: top antagonist pid {a.get('pid')} is the hog {run['pid']}")
            # one sample a tick over the delay (HZ 250: 4 ms); at least half
            want = r['delay_ns'] * int(os.environ.get('KS_HZ', '250')) // 2_000_000_000
            say(a.get('samples', 0) >= want, f"alone: {a.get('samples', 0)} samples of the hog >= {want} (half the ticks)")
            say(a.get('mode') == 'kernel', f"alone: hog mode {a.get('mode')} is kernel")
            say(a.get('bh_disabled') is True, f"alone: bottom halves seen disabled ({a.get('bh_disabled')})")
            st = a.get('stack', [])
            say(any('bpf_test_run' in f for f in st), f"alone: stack has a bpf_test_run frame ({st[:8] if st else 'none'})")
PY
ks_verdicts "the analysis" $? "$KS_TMP/verdicts"
for f in "$KS_TMP"/rq-*.json.err; do
	if grep -q "lost" "$f"; then fail "records lost: $(head -c 200 "$f")"; fi
done
