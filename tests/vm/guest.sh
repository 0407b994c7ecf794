#!/bin/sh
# guest.sh — runs inside a kernel-matrix guest (busybox sh). Runs every
# ksleuth command once, bounded, and prints each one's output between
#   @@begin NAME          and   @@end NAME rc=N
# for the host's checks (tests/vm/check.py); nothing is judged here.
# Kernel command line: ks.scenario=LIST picks extra scenarios (starve).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
KS=/bin/ksleuth
KS_HOG=/bin/ksleuth-hog
scenarios=$(sed -n 's/.*ks\.scenario=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' ')

# step NAME SECONDS CMD...: CMD's output and exit status as one section.
step() {
	name=$1 t=$2; shift 2
	echo "@@begin $name"
	timeout -s INT "$t" "$@" 2>&1
	rc=$?
	echo "@@end $name rc=$rc"
}
# show NAME RC FILE...: a section from files a command wrote.
show() {
	name=$1 rc=$2; shift 2
	echo "@@begin $name"; cat "$@"; echo "@@end $name rc=$rc"
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

# Exact counts: a chain of N execs in one pid (each exec renames the task
# and begins a new exec once), counted with -p; released once ksleuth
# has attached.
cat > /tmp/ex.sh <<'EOS'
n=$1; go=$2
while [ ! -e "$go" ]; do usleep 20000; done
[ "$n" -gt 0 ] && exec /bin/sh /tmp/ex.sh $((n - 1)) "$go"
exit 0
EOS
# cxrun NAME N PIN EVENTS/OPTIONS...
cxrun() {
	local name=$1 n=$2 pin=$3 p k i rc
	shift 3
	echo "@@begin $name"
	rm -f /tmp/go
	$pin /bin/sh /tmp/ex.sh "$n" /tmp/go &
	p=$!
	$KS count "$@" -p $p -d 60 --json > /tmp/$name.out 2> /tmp/$name.err &
	k=$!
	i=0
	while [ $i -lt 600 ] && ! grep -q '^Tracing' /tmp/$name.err /tmp/$name.out 2>/dev/null; do
		kill -0 $k 2>/dev/null || break
		usleep 100000; i=$((i + 1))
	done
	touch /tmp/go; wait $p; sleep 1
	kill -INT $k 2>/dev/null; wait $k; rc=$?
	cat /tmp/$name.err /tmp/$name.out
	echo "@@end $name rc=$rc"
}
cxrun count_exact_tp 40 "" t:sched:sched_process_exec t:task:task_rename
cxrun count_exact_f 40 "" t:sched:sched_process_exec f:begin_new_exec f:__set_task_comm
cxrun count_exact_k 40 "" t:sched:sched_process_exec k:__set_task_comm k:begin_new_exec
cxrun count_cpu0 30 "taskset -c 1" t:sched:sched_process_exec f:begin_new_exec -C 0
cxrun count_cpu1 30 "taskset -c 1" t:sched:sched_process_exec f:begin_new_exec -C 1 --per-cpu
step count_kglob 60 $KS count 'k:vfs_rea*' -d 2 --json
raw count_kglob_want 'grep "^vfs_rea" /sys/kernel/tracing/available_filter_functions | sort -u | wc -l'
step count_flimit 60 $KS count 'f:vfs_*' -d 1
step count_klimit 60 $KS count 'k:*' -d 1
step runq 60 $KS runq -d 3 --json
step softirq 60 $KS softirq -d 3 --json
step napi 60 $KS napi -d 3 --json
step retrans 60 $KS retrans -d 3 --json
step hog_kernel 60 $KS_HOG --mode kernel -c 1 --run 200ms --gap 100ms -n 2 --json
step hog_bh 60 $KS_HOG --mode kernel-bh -c 1 --run 200ms --gap 100ms -n 2 --json
step doctor_idle 90 $KS doctor -d 5 --json

# profile: a module's frames carry [module]. TCP over a test bed's veth
# pair runs veth's transmit (a module in Debian's kernels); the veth
# functions kallsyms lists are the host's reference. The load is
# profile's COMMAND: it starts once the sampling is attached, which takes
# a TCG guest seconds.
bed=$($KS netbed up -c 1 --no-offloads | awk '{print $1}')
step profile 90 $KS profile -F 499 -d 60 --json -- /bin/sh -c \
	"$KS netbed load $bed -c 1 -d 4s -P 16 --no-udp > /dev/null 2>&1"
raw profile_veth "awk '\$4 == \"[veth]\" && \$2 ~ /^[tT]\$/ { print \$3 }' /proc/kallsyms"
# The bed's default load, UDP filler included, under this kernel's
# default socket buffer caps (net.core.wmem_max/rmem_max).
raw load_caps 'cat /proc/sys/net/core/wmem_max /proc/sys/net/core/rmem_max'
step netbed_load 60 $KS netbed load "$bed" -c 1 -d 3s -P 4 --json
$KS netbed down "$bed"

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
# The load and the hog run as the doctor's COMMAND, which starts once its
# collectors are attached (a TCG guest's doctor takes up to ~12 s to get
# there): the hog begins 4 s in, after the doctor's 2 s warm-up, and the
# doctor ends with the load, 4 s after the hog's last run. The hog starts
# up on CPU 0 and pins itself to CPU 1 for each run: started on CPU 1, its
# start-up (~60 ms under TCG) held that CPU right before its first run.
net_scenario() {
	local scen=$1 mode=$2 flows=${3:-16} bed drc
	bed=$($KS netbed up -c 1 --no-offloads | awk '{print $1}')
	cat > /tmp/scen.sh <<EOS
$KS netbed load "$bed" -c 1 -d 26s -P "$flows" --no-udp > /tmp/load.out 2>&1 &
lpid=\$!
sleep 4
timeout -s INT 60 taskset -c 0 $KS_HOG --mode "$mode" -c 1 --run 500ms --gap 1500ms -d 18s --json > /tmp/hog.out 2>&1
echo \$? > /tmp/hog.rc
wait \$lpid
EOS
	rm -f /tmp/hog.out /tmp/hog.rc /tmp/load.out
	$KS doctor -d 60 --json --netns "$bed-tx" -- /bin/sh /tmp/scen.sh > /tmp/doctor.out 2> /tmp/doctor.err
	drc=$?
	show "${scen}_hog" "$(cat /tmp/hog.rc 2>/dev/null || echo 255)" /tmp/hog.out
	show "${scen}_doctor" "$drc" /tmp/doctor.out /tmp/doctor.err
	show "${scen}_load" 0 /tmp/load.out
	$KS netbed down "$bed"
}
for s in $scenarios; do
	case $s in
	starve) net_scenario starve kernel ;;
	bh) net_scenario bh kernel-bh 32 ;;
	fifo) net_scenario fifo fifo ;;
	demo) step demo 240 $KS demo --duration 20s --json ;;
	esac
done
echo "@@done"
