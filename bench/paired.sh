#!/bin/bash
# bench/paired.sh — the always-on cost of a collector on a workload, by
# fast alternation: each cycle runs the workload once without the tool and
# once with it (started for that run, attached before it, stopped after
# it), so the two runs of a pair are ~5 s apart. This VM's speed drifts by
# +-10 % in phases of 10-30 s (a pinned spin loop, measured), which swamps a
# 2 % effect when the columns run minutes apart (bench/doctor.sh); a run's
# cost here is taken against the mean of the baseline runs on either side
# of it, which also cancels a linear drift across the pair.
#
# Usage: bench/paired.sh WORKLOAD TOOL[,TOOL...] [CYCLES]
#   WORKLOAD  messaging  perf bench sched messaging -g 10 -l 150 (s, lower is better)
#             veth       iperf3 over a veth pair in two namespaces of its own,
#                        4 flows, 3 s (Gbit/s, higher is better)
#             spin       a loop pinned to every CPU, 2 s (loops/s): what a
#                        tool takes from work that neither switches nor sends
#   TOOL      doctor | doctor-trace (--netrx-trace) | doctor-stopped (attached,
#             its process stopped) | doctor-perf (sampler on a 97 Hz perf
#             event, nothing on hrtimer_expire_entry) | runq | runq-nosampler | softirq (NET_RX) | bpftrace (sched waits, NET_RX delay, retransmits:
#             the doctor's comparable collection) | perf-sched (perf sched
#             record) | none (the method's own null result) | wake20 (a
#             process that only wakes 20 times a second); several,
#             comma-separated, take turns within each cycle (each run
#             between two baseline runs), so they see the same machine
#   CYCLES    default 30
# Prints each cycle's cost, then the median with a 95 % bootstrap interval.
# Not a test. Runs under the systest lock.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
KS=${KS:-build/ksleuth}
WL=${1:?usage: bench/paired.sh messaging|veth|spin doctor|runq|bpftrace|perf-sched|none [CYCLES]}
TOOL=${2:?usage: bench/paired.sh messaging|veth|spin doctor|runq|bpftrace|perf-sched|none [CYCLES]}
CYCLES=${3:-30}
TMP=$(mktemp -d /tmp/ksleuth-paired.XXXXXX)
BG=
NSA=ksbp-a-$$ NSB=ksbp-b-$$

cleanup() {
	if [ -n "$BG" ]; then
		kill -TERM "$BG" 2>/dev/null || true
		wait "$BG" 2>/dev/null || true
	fi
	veth_down "$NSA" "$NSB"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bench_lock

case $WL in
messaging)
	DIR=time
	run_wl() { perf bench sched messaging -g 10 -l 150 2>/dev/null | awk '/Total time/{print $3}'; } ;;
veth)
	DIR=tput
	veth_up "$NSA" "$NSB" 10.204.0
	run_wl() { veth_gbps "$NSA" "$NSB" 10.204.0 5303 3; } ;;
spin)
	DIR=tput
	cc -O2 -pthread -o "$TMP/spin" -x c - <<'C'
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static double rate[256];
static void *spin(void *arg)
{
	long cpu = (long)arg;
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
	volatile unsigned long n = 0;
	unsigned long loops = 0;
	double t0 = now(), t;
	do {
		for (int i = 0; i < 100000; i++)
			n++;
		loops++;
	} while ((t = now()) < t0 + 2.0);
	rate[cpu] = loops / (t - t0);
	return NULL;
}
int main(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t th[256];
	double sum = 0;
	if (ncpu > 256)
		ncpu = 256;
	for (long i = 0; i < ncpu; i++)
		pthread_create(&th[i], NULL, spin, (void *)i);
	for (long i = 0; i < ncpu; i++) {
		pthread_join(th[i], NULL);
		sum += rate[i];
	}
	printf("%.1f\n", sum);
	return 0;
}
C
	run_wl() { "$TMP/spin"; } ;;
*) echo "bench/paired.sh: unknown workload '$WL' (messaging, veth or spin)" >&2; exit 2 ;;
esac

cmp_bt "$TMP/cmp.bt"

# start TOOL in the background and return once it is attached (its own
# "ready" line; perf sched record has none: 2 s), then 1 s to settle
# set_tool NAME: CMD and READY for it
set_tool() {
READY= STOPPED=
case $1 in
doctor) CMD=("$KS" doctor); READY='Watching for network stalls' ;;
doctor-trace) CMD=("$KS" doctor --netrx-trace); READY='Watching for network stalls' ;;
doctor-stopped) CMD=("$KS" doctor); READY='Watching for network stalls'; STOPPED=1 ;;
doctor-perf) CMD=(env KSLEUTH_SAMPLER=perf "$KS" doctor); READY='Watching for network stalls' ;;
runq) CMD=("$KS" runq --slower 100ms --ongoing 100ms); READY='Tracing' ;;
runq-nosampler) CMD=("$KS" runq --slower 100ms --no-sampler); READY='Tracing' ;;
softirq) CMD=("$KS" softirq --vector net_rx -i 1000s); READY='Tracing softirq' ;;
bpftrace) CMD=(bpftrace "$TMP/cmp.bt"); READY='Attaching' ;;
perf-sched) CMD=(perf sched record -o "$TMP/perf.data" -- sleep 600) ;;
none) CMD=(sleep 600) ;;
wake20) CMD=(python3 -c 'import time
while True: time.sleep(0.05)') ;;
*) echo "bench/paired.sh: unknown tool '$1'" >&2; exit 2 ;;
esac
}
IFS=, read -r -a TOOLS <<<"$TOOL"
for t in "${TOOLS[@]}"; do set_tool "$t"; done
start_tool() {
	"${CMD[@]}" >"$TMP/tool.out" 2>"$TMP/tool.err" & BG=$!
	if [ -n "$READY" ]; then
		for _ in $(seq 1 300); do
			grep -q "$READY" "$TMP/tool.out" "$TMP/tool.err" 2>/dev/null && break
			kill -0 "$BG" 2>/dev/null || { echo "bench/paired.sh: $TOOL exited:" >&2; cat "$TMP/tool.err" >&2; exit 1; }
			sleep 0.05
		done
	else
		sleep 2
	fi
	# doctor-stopped: its programs stay attached, its process sleeps
	# (SIGSTOP): what the user side's wakeups cost
	[ -z "$STOPPED" ] || kill -STOP "$BG"
	sleep 1
}
stop_tool() {
	[ -z "$STOPPED" ] || kill -CONT "$BG" 2>/dev/null || true
	kill -INT "$BG" 2>/dev/null || true
	for _ in $(seq 1 100); do kill -0 "$BG" 2>/dev/null || break; sleep 0.1; done
	kill -TERM "$BG" 2>/dev/null || true  # bpftrace 0.17 may ignore a SIGINT
	wait "$BG" 2>/dev/null || true
	BG=
	rm -f "$TMP"/perf.data*
}

run_wl >/dev/null  # warm up
for i in $(seq 1 "$CYCLES"); do
	for tool in "${TOOLS[@]}"; do
		set_tool "$tool"
		# the same idle second before the baseline run as start_tool
		# leaves before the tool's run: on veth, runs straight after
		# another ran up to 40 % faster than after a pause (the null
		# tool "cost" +20 % without this)
		sleep 1
		b=$(run_wl)
		start_tool
		t=$(run_wl)
		stop_tool
		echo "$b $t $tool" >> "$TMP/pairs"
		echo "cycle $i/$CYCLES: without $b, with $tool $t" >&2
	done
done
sleep 1
echo "$(run_wl) - -" >> "$TMP/pairs"

python3 - "$TMP/pairs" "$DIR" "$WL" <<'PY'
import random, statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
direction, wl = sys.argv[2], sys.argv[3]
base = [float(r[0]) for r in rows]
costs = {}
for i in range(len(rows) - 1):
    with_ = float(rows[i][1])
    ref = (base[i] + base[i + 1]) / 2  # the baseline runs on either side
    cost = (with_ - ref) / ref if direction == "time" else (ref - with_) / ref
    costs.setdefault(rows[i][2], []).append(100 * cost)
for tool, c in costs.items():
    med = statistics.median(c)
    random.seed(1)
    boot = sorted(statistics.median(random.choices(c, k=len(c))) for _ in range(2000))
    lo, hi = boot[50], boot[1949]
    print(f"{wl} / {tool}: {len(c)} cycles; cost median {med:+.2f}% "
          f"(95% bootstrap {lo:+.2f}% .. {hi:+.2f}%), mean {statistics.mean(c):+.2f}%, "
          f"baseline median {statistics.median(base):g} ({min(base):g}-{max(base):g})")
    print("costs: " + " ".join(f"{x:+.1f}" for x in c))
PY
