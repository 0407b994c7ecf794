#!/bin/bash
# test_hog.sh — `ksleuth-hog`: each mode's runs last what was asked, by the
# hog's own clock and by an independent one (bpftrace on sched_switch: the
# hog's thread stays on the CPU for the run); kernel-bh really holds softirqs
# off on that CPU (bpftrace: raised in the run, entered at its end) while
# kernel-fixed does not (< 20 ms); kernel-irq takes no timer interrupt for
# its run (bpftrace: no hrtimer expires on that CPU inside it, the tick
# comes right after); limits and bad arguments give exit 2, with messages
# that name the program ksleuth-hog. The hog is no command of ksleuth: its
# culprit must not carry the tool's name (comm "ksleuth-hog").
. "$(dirname "$0")/lib.sh"
require_root
require_cmd bpftrace
require_cmd python3

CPU=$(( $(nr_cpus) > 1 ? 1 : 0 ))
RUN_MS=400

# --- bad arguments and limits: exit 2, one sentence
check_exit "run over 3s rejected" 2 "$KS_HOG" --mode kernel --run 3100ms
check_grep "run cap message" "3 s at a stretch" "$KS_TMP/err"
check_exit "total over 120s rejected" 2 "$KS_HOG" --mode kernel -d 121s
check_exit "unknown mode rejected" 2 "$KS_HOG" --mode spin
check_grep "unknown mode message" "bad value 'spin' for --mode: give kernel, kernel-bh" "$KS_TMP/err"
check_exit "missing mode rejected" 2 "$KS_HOG"
check_grep "missing mode message names ksleuth-hog" "^ksleuth-hog: error: 'ksleuth-hog' needs --mode" "$KS_TMP/err"
check_exit "a bad option's hint names ksleuth-hog" 2 "$KS_HOG" --bogus
check_grep "hint: 'ksleuth-hog --help'" "'ksleuth-hog --help' lists the options" "$KS_TMP/err"
check_exit "hog is no command of ksleuth" 2 "$KS" hog --mode kernel
check_grep "ksleuth hog: unknown command" "unknown command 'hog'" "$KS_TMP/err"
check_exit "bad cpu rejected" 2 "$KS_HOG" --mode kernel -c 4000
check_exit "gap under 10ms rejected" 2 "$KS_HOG" --mode kernel --gap 1ms
check_exit "kernel-irq run over 1s rejected" 2 "$KS_HOG" --mode kernel-irq --run 1100ms
check_grep "kernel-irq cap message" "interrupts stay off" "$KS_TMP/err"
check_exit "bad duration rejected" 2 "$KS_HOG" --mode kernel --run fast
check_exit "help" 0 "$KS_HOG" --help
if [ "$(wc -l < "$KS_TMP/err")" != 0 ]; then fail "help writes nothing to stderr"; fi
check_grep "help: the synopsis names ksleuth-hog" "^usage: ksleuth-hog --mode MODE" "$KS_TMP/out"

# --- independent clock: sched_switch of our hog's threads on CPU (a hog
# forked onto CPU may be switched in still named "bash"), each with the time
# of the switch before it on that CPU (whoever it was: this kernel leaves a
# rare switch untraced, and then the tid's switch-out still bounds its run),
# and every softirq delay (raise -> entry, first raise while not pending)
# > 2 ms there.
cat > "$KS_TMP/hog.bt" <<BT
tracepoint:sched:sched_switch /cpu == $CPU/
{ if (args->prev_comm == "ksleuth-hog" || args->next_comm == "ksleuth-hog" || args->next_comm == "bash") {
  printf("SW %llu %d %d %d %llu\n", nsecs, args->prev_pid, args->prev_state, args->next_pid, @last_sw); }
  @last_sw = nsecs; }
tracepoint:irq:softirq_raise /cpu == $CPU/
{ if (@r[args->vec] == 0) { @r[args->vec] = nsecs; } }
tracepoint:irq:softirq_entry /cpu == $CPU/
{ if (@r[args->vec] != 0) { \$d = nsecs - @r[args->vec];
  if (\$d > 2000000) { printf("SIRQ %d %llu %llu\n", args->vec, @r[args->vec], \$d); } }
  @r[args->vec] = 0; }
tracepoint:timer:hrtimer_expire_entry /cpu == $CPU/
{ printf("HT %llu\n", nsecs); }
END { clear(@r); clear(@last_sw); }
BT
ks_bg BT_PID bpftrace "$KS_TMP/hog.bt" >"$KS_TMP/bt.out" 2>"$KS_TMP/bt.err"
for _ in $(seq 50); do grep -q Attaching "$KS_TMP/bt.out" && break; sleep 0.2; done
grep -q Attaching "$KS_TMP/bt.out" || { fail "bpftrace did not start: $(head -c 300 "$KS_TMP/bt.err")"; exit 1; }
sleep 0.3

for mode in kernel kernel-bh kernel-fixed fifo kernel-irq; do
	if ! "$KS_HOG" --mode "$mode" -c "$CPU" --run ${RUN_MS}ms --gap 300ms -n 2 --json \
		>"$KS_TMP/hog-$mode.json" 2>"$KS_TMP/hog-$mode.err"; then
		fail "hog --mode $mode failed: $(head -c 300 "$KS_TMP/hog-$mode.err")"
	fi
	sleep 0.2
done
sleep 0.3
ks_stop_ref "$BT_PID" bpftrace

python3 - "$KS_TMP" "$RUN_MS" <<'PY' >"$KS_TMP/verdicts" 2>"$KS_TMP/verdicts.err"
import json, sys
tmp, run_ms = sys.argv[1], int(sys.argv[2])
run = run_ms * 1_000_000
sw, sirq, ht = [], [], []
for line in open(f"{tmp}/bt.out"):
    f = line.split()
    if f and f[0] == "HT":
        ht.append(int(f[1]))
    elif f and f[0] == "SW":
        sw.append((int(f[1]), int(f[2]), int(f[3]), int(f[4]), int(f[5])))
    elif f and f[0] == "SIRQ":
        sirq.append((int(f[1]), int(f[2]), int(f[3])))

def oncpu(tid):
    """on-CPU intervals of tid: (in, out, slept_at_out), and how many
    switch-ins were untraced. Such an interval starts at the CPU's switch
    before the switch-out: no traced switch on that CPU lies between, and
    the task switched out was tid."""
    out, t_in, untraced = [], None, 0
    for ts, prev, state, nxt, before in sw:
        if prev == tid:
            if t_in is None:
                untraced += 1
                t_in = before
            # 0: running (yielded), >= 256: preempted; anything else: asleep
            out.append((t_in, ts, 0 < state < 256)); t_in = None
        if nxt == tid:
            t_in = ts
    return out, untraced

def say(ok, msg):
    print(("PASS " if ok else "FAIL ") + msg)

for mode in ["kernel", "kernel-bh", "kernel-fixed", "fifo", "kernel-irq"]:
    runs = [json.loads(l) for l in open(f"{tmp}/hog-{mode}.json") if '"hog_run"' in l]
    say(len(runs) == 2, f"{mode}: 2 runs reported (got {len(runs)})")
    for r in runs:
        s, e, d = r["start_ns"], r["end_ns"], r["dur_ns"]
        say(run <= d <= run * 1.1, f"{mode} run {r['run']}: user-space clock {d/1e6:.1f} ms for {run_ms} ms")
        if mode != "fifo":
            kd = r["kend_ns"] - r["kstart_ns"]
            say(abs(kd - run) <= run * 0.03 and r["kstart_ns"] >= s and r["kend_ns"] <= e,
                f"{mode} run {r['run']}: BPF's own span {kd/1e6:.1f} ms inside the user-space span")
        iv, untraced = oncpu(r["tid"])
        # the spin ends at kend (kernel) or end (fifo); the return to user
        # space may then be preempted, which the user-space clock includes
        spin_end = r["kend_ns"] if mode != "fifo" else e
        inside = sum(max(0, min(b, spin_end) - max(a, s)) for a, b, _ in iv)
        slept = [b for a, b, sl in iv if sl and s < b < spin_end]
        if mode == "kernel-fixed":
            # between slices it offers the CPU, so others may run, but it never
            # sleeps, and its slices add up to its on-CPU time
            say(not slept and inside > 0.2 * run,
                f"{mode} run {r['run']}: sched_switch shows the tid runnable throughout, on CPU {inside/1e6:.1f} ms of {(spin_end-s)/1e6:.1f}")
            # slices run only while on CPU (softirqs served between slices run
            # in the hog's context too, so on-CPU time may exceed them). A
            # slice is 1 ms of the hog's own clock, which also counts the
            # interrupts and softirqs served inside it (and the hypervisor's
            # steal on a VM): up to 4 ms seen, once 11.7 ms; the bound is the
            # 20 ms this mode must stay under.
            say(r["max_rep_ns"] <= 20_000_000 and r["reps"] >= 0.2 * run / 1e6
                and r["reps"] * 1_000_000 <= inside * 1.03 + 2_000_000,
                f"{mode} run {r['run']}: {r['reps']} slices of 1 ms within {inside/1e6:.1f} ms on CPU, longest {r['max_rep_ns']/1e6:.2f} ms")
        else:
            # on CPU for the whole spin except short breaks (interrupts do not
            # show here; a higher-priority kthread may take a few us), never asleep
            say(not slept and abs(inside - run) <= run * 0.03,
                f"{mode} run {r['run']}: sched_switch shows the tid on CPU {inside/1e6:.1f} ms of the spin, never asleep"
                + (f" ({untraced} switch-in(s) of the tid untraced)" if untraced else ""))
        # softirq delays raised during this run on that CPU
        dl = [dd for vec, t, dd in sirq if s <= t <= e]
        mx = max(dl, default=0)
        if mode == "kernel-bh":
            # held to the end of the run: the longest-waiting softirq raised
            # in it entered only as the run ended. (Nothing may be raised in
            # the first ~100 ms: CI saw 304 ms of 400; hence half the run.)
            first = min(((t, dd) for vec, t, dd in sirq if s <= t <= e), default=(0, 0))
            say(mx >= 0.5 * run and first[0] + first[1] >= r["kend_ns"] - 1_000_000,
                f"{mode} run {r['run']}: softirqs held off {mx/1e6:.1f} ms (>= {0.5*run_ms:.0f} ms), the first raised until {(first[0] + first[1] - r['kend_ns'])/1e6:.2f} ms from the run's end")
        elif mode in ("kernel-fixed", "kernel"):
            say(mx < 20_000_000, f"{mode} run {r['run']}: longest softirq delay {mx/1e6:.1f} ms (< 20 ms)")
        # timer interrupts on that CPU: none while interrupts are off, the
        # pending tick right after; other modes take them all along
        ks, ke = r["kstart_ns"], r["kend_ns"]
        inside = [t for t in ht if ks + 1_000_000 < t < ke]
        after = [t - ke for t in ht if t >= ke]
        if mode == "kernel-irq":
            say(not inside and after and after[0] < 5_000_000,
                f"{mode} run {r['run']}: {len(inside)} timer expiries on CPU inside the run, the first after it {after[0] / 1e6 if after else -1:.2f} ms later")
        elif mode != "fifo":
            say(len(inside) >= run / 1e9 * 50, f"{mode} run {r['run']}: {len(inside)} timer expiries on CPU during the run")
PY
rc=$?
ks_verdicts "the analysis (bpftrace: $(head -c 200 "$KS_TMP/bt.err"))" "$rc" "$KS_TMP/verdicts"

# --- SIGTERM stops after the current run, exit 0
"$KS_HOG" --mode kernel-bh -c "$CPU" --run 300ms --gap 100ms -d 10s --json >"$KS_TMP/term.json" 2>&1 &
HP=$!; ks_track_pid "$HP"
sleep 0.15
kill -TERM "$HP"
wait "$HP"; rc=$?
check_eq "SIGTERM: exit 0" "$rc" 0
n=$(grep -c '"hog_run"' "$KS_TMP/term.json")
check_eq "SIGTERM: the current run completes, no more start" "$n" 1
d=$(grep '"hog_run"' "$KS_TMP/term.json" | jq '.kend_ns - .kstart_ns')
check_within "SIGTERM: the interrupted run still lasted its length" "${d:-0}" 300000000 3
