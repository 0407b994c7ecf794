#!/bin/sh
# guest.sh — runs inside a kernel-matrix guest (busybox sh). Runs every
# ksleuth command once, bounded, and prints each one's output between
#   @@begin NAME          and   @@end NAME rc=N
# for the host's checks (tests/vm/check.py); nothing is judged here.
# Kernel command line: ks.scenario=LIST picks extra scenarios (starve).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
KS=/bin/ksleuth
scenarios=$(sed -n 's/.*ks\.scenario=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' ')

# step NAME SECONDS CMD...: CMD's output and exit status as one section.
step() {
	name=$1 t=$2; shift 2
	echo "@@begin $name"
	timeout -s INT "$t" "$@" 2>&1
	rc=$?
	echo "@@end $name rc=$rc"
}
# raw NAME CMD...: a section from a shell snippet's output.
raw() {
	name=$1; shift
	echo "@@begin $name"
	sh -c "$*" 2>&1
	echo "@@end $name rc=$?"
}

raw uname 'uname -r; uname -v; cat /proc/cmdline'
raw preempt_debugfs 'cat /sys/kernel/debug/sched/preempt'
step info 60 $KS info
step info_json 60 $KS info --json
step count_tp 60 $KS count t:sched:sched_switch t:irq:softirq_raise -d 3 --json
step count_fentry 60 $KS count f:vfs_read -d 3 --json
step count_kprobe 60 $KS count k:vfs_read -d 3 --json
step runq 60 $KS runq -d 3 --json
step softirq 60 $KS softirq -d 3 --json
step napi 60 $KS napi -d 3 --json
step retrans 60 $KS retrans -d 3 --json
step hog_kernel 60 $KS hog --mode kernel -c 1 --run 200ms --gap 100ms -n 2 --json
step hog_bh 60 $KS hog --mode kernel-bh -c 1 --run 200ms --gap 100ms -n 2 --json
step doctor_idle 90 $KS doctor -d 5 --json

# agent: start, scrape /metrics twice, stop with SIGTERM
echo "@@begin agent"
$KS agent --listen 127.0.0.1:9464 > /tmp/agent.out 2>&1 &
apid=$!
i=0; while [ $i -lt 60 ] && ! wget -q -O /tmp/m1 http://127.0.0.1:9464/metrics 2>/dev/null; do sleep 1; i=$((i + 1)); done
sleep 2
wget -q -O /tmp/m2 http://127.0.0.1:9464/metrics
echo "scrape_rc=$?"
kill -TERM $apid; wait $apid; arc=$?
cat /tmp/agent.out
echo "@@metrics"
cat /tmp/m2
echo "@@end agent rc=$arc"

# Network scenarios: a hog on the receive CPU (1) of 16 TCP flows with
# offloads off (~26k packets/s under TCG), the doctor watching the
# senders' namespace. starve: a kernel loop with bottom halves enabled
# (the seed incident: before 6.5 receive work that overflows into a
# woken ksoftirqd waits for the loop); bh: the loop with bottom halves
# disabled; fifo: a user-space SCHED_FIFO loop (kernels without bpf_loop);
# demo: `ksleuth demo`, which picks the hog this kernel's semantics call for.
net_scenario() {
	local scen=$1 mode=$2 bed lpid dpid drc
	bed=$($KS netbed up -c 1 --no-offloads | awk '{print $1}')
	$KS netbed load "$bed" -c 1 -d 24s -P 16 --no-udp > /tmp/load.out 2>&1 &
	lpid=$!
	$KS doctor -d 26 --json --netns "$bed-tx" > /tmp/doctor.out 2>&1 &
	dpid=$!
	sleep 4
	step "${scen}_hog" 60 $KS hog --mode "$mode" -c 1 --run 500ms --gap 1500ms -d 18s --json
	wait $dpid; drc=$?
	wait $lpid
	echo "@@begin ${scen}_doctor"; cat /tmp/doctor.out; echo "@@end ${scen}_doctor rc=$drc"
	echo "@@begin ${scen}_load"; cat /tmp/load.out; echo "@@end ${scen}_load rc=0"
	$KS netbed down "$bed"
}
for s in $scenarios; do
	case $s in
	starve) net_scenario starve kernel ;;
	bh) net_scenario bh kernel-bh ;;
	fifo) net_scenario fifo fifo ;;
	demo) step demo 240 $KS demo --duration 20s --json ;;
	esac
done
echo "@@done"
