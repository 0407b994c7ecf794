# bench/lib.sh — sourced by the benchmark scripts: a veth pair between two
# network namespaces of the caller's own (addresses only there), TCP
# throughput over it, and the bpftrace script that does the doctor's
# comparable collection.
# shellcheck shell=bash

# veth_up NSA NSB NET: namespaces NSA and NSB joined by a veth pair,
# NET.1 in NSA and NET.2 in NSB (NET like 10.203.0). The caller removes
# them on exit (veth_down).
veth_up() {
	ip netns add "$1" && ip netns add "$2"
	ip link add va netns "$1" type veth peer name vb netns "$2"
	ip -n "$1" addr add "$3.1/24" dev va
	ip -n "$2" addr add "$3.2/24" dev vb
	ip -n "$1" link set lo up
	ip -n "$2" link set lo up
	ip -n "$1" link set va up
	ip -n "$2" link set vb up
}

# veth_down NSA NSB: the pair's namespaces gone (none of it left if absent)
veth_down() {
	ip netns del "$1" 2>/dev/null || true
	ip netns del "$2" 2>/dev/null || true
}

# bench_lock: wait for the lock the system tests hold (fd 9), so that a
# benchmark and a test never measure each other
bench_lock() {
	exec 9>/tmp/ksleuth-systest.lock
	flock 9
}

# veth_gbps NSA NSB NET PORT SECS: iperf3, 4 flows NSA -> NSB for SECS,
# received Gbit/s. Receiver on the last CPU, sender on CPU 0: unpinned,
# where the two landed moved the throughput by +-25 % between runs.
veth_gbps() {
	local rcpu=$(( $(nproc) - 1 ))
	ip netns exec "$2" taskset -c "$rcpu" iperf3 -s -1 -p "$4" >/dev/null 2>&1 & local s=$!
	sleep 0.3
	ip netns exec "$1" taskset -c 0 iperf3 -c "$3.2" -p "$4" -P 4 -t "$5" -J 2>/dev/null |
		jq '.end.sum_received.bits_per_second / 1e7 | round / 100'
	wait "$s" 2>/dev/null || true
}

# cmp_bt FILE: the comparable bpftrace collection — sched wakeup->switch
# waits, NET_RX raise->entry delays, tcp_retransmit_skb counts
cmp_bt() {
	cat > "$1" <<'BT'
tracepoint:sched:sched_wakeup { @w[args->pid] = nsecs; }
tracepoint:sched:sched_switch /@w[args->next_pid]/ {
	@wait = hist((nsecs - @w[args->next_pid]) / 1000); delete(@w[args->next_pid]);
}
tracepoint:irq:softirq_raise /args->vec == 3/ { @r[cpu] = nsecs; }
tracepoint:irq:softirq_entry /args->vec == 3 && @r[cpu]/ { @rx = hist((nsecs - @r[cpu]) / 1000); delete(@r[cpu]); }
tracepoint:tcp:tcp_retransmit_skb { @retrans = count(); }
BT
}

# The tools the paired benchmarks compare. The caller sets KS (ksleuth),
# TMP (a scratch folder with cmp.bt in it) and BG=, and kills $BG on exit.
# set_tool NAME: CMD, READY (the line that says it is attached) and
# STOPPED for it
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
	*) echo "${0##*/}: unknown tool '$1'" >&2; exit 2 ;;
	esac
}

# parse_tools LIST: TOOLS from a comma-separated LIST, each one known
parse_tools() {
	IFS=, read -r -a TOOLS <<<"$1"
	for t in "${TOOLS[@]}"; do set_tool "$t"; done
}

# start_tool: the tool of the last set_tool in the background, returning
# once it is attached (its own "ready" line; perf sched record has none:
# 2 s), then 1 s to settle
start_tool() {
	"${CMD[@]}" >"$TMP/tool.out" 2>"$TMP/tool.err" & BG=$!
	if [ -n "$READY" ]; then
		for _ in $(seq 1 300); do
			grep -q "$READY" "$TMP/tool.out" "$TMP/tool.err" 2>/dev/null && break
			kill -0 "$BG" 2>/dev/null || { echo "${0##*/}: ${CMD[*]} exited:" >&2; cat "$TMP/tool.err" >&2; exit 1; }
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

# stop_tool: the tool stopped and waited for
stop_tool() {
	[ -z "$STOPPED" ] || kill -CONT "$BG" 2>/dev/null || true
	kill -INT "$BG" 2>/dev/null || true
	for _ in $(seq 1 100); do kill -0 "$BG" 2>/dev/null || break; sleep 0.1; done
	kill -TERM "$BG" 2>/dev/null || true  # bpftrace 0.17 may ignore a SIGINT
	wait "$BG" 2>/dev/null || true
	BG=
	rm -f "$TMP"/perf.data*
}

# paired_report PAIRS DIR NAME: PAIRS has one line per run with the tool,
# "BASELINE WITH TOOL", and a last line "BASELINE - -"; each run's cost is
# taken against the mean of the baseline runs on either side of it (which
# cancels a linear drift across the pair). DIR is time (lower is better)
# or tput. Prints per tool the median cost with a 95 % bootstrap interval.
paired_report() {
	python3 - "$1" "$2" "$3" <<'PY'
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
}
