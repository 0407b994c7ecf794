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

parse_tools "$TOOL"

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

paired_report "$TMP/pairs" "$DIR" "$WL"
