#!/bin/bash
# test_agent.sh — `ksleuth agent`: the Prometheus rules pass their promtool
# tests; a live scrape passes `promtool check metrics`; a real Prometheus
# (started here on loopback, 1 s scrapes, its own storage, stopped by pid)
# sees a 500 ms kernel stall made by the hog in the histograms and
# counters, checked against the hog's own clock; the HTTP server survives
# 100 concurrent clients, a one-byte-a-second client, an oversized request,
# a bad method and garbage while BH-disabled stalls are still counted (and,
# with the stall sampler, attributed to kernel mode with BHs off); SIGTERM
# exits 0 and leaves none of the agent's BPF programs or links behind; the
# systemd unit's capabilities are enough for an unprivileged user.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd promtool
require_cmd prometheus
require_cmd jq
require_cmd curl
require_cmd python3
require_cmd bpftool
[ -x "$KS_HELPERS/victim" ] || make -C "$KS_ROOT" -s BUILD="$KS_BUILD" "$KS_BUILD/helpers/victim" >/dev/null ||
	{ fail "cannot build the victim helper"; exit 1; }

CPU=$(( $(nr_cpus) > 1 ? 1 : 0 ))

# --- rules: promtool unit tests on synthetic series (no agent needed)
if promtool check rules "$KS_ROOT/contrib/prometheus/ksleuth.rules.yml" >"$KS_TMP/rules.out" 2>&1; then
	pass "prometheus rules are valid"
else
	fail "promtool check rules: $(tail -c 400 "$KS_TMP/rules.out")"
fi
if (cd "$KS_ROOT/contrib/prometheus" && promtool test rules ksleuth.rules_test.yml) >"$KS_TMP/rules.out" 2>&1; then
	pass "promtool test rules"
else
	fail "promtool test rules: $(tail -c 400 "$KS_TMP/rules.out")"
fi

# every alert has a runbook_url: a section of docs/agent.md, no external URL
RULES=$KS_ROOT/contrib/prometheus/ksleuth.rules.yml
check_eq "every alert has a runbook_url" "$(grep -c 'runbook_url:' "$RULES")" "$(grep -c '^ *- alert:' "$RULES")"
bad=
for a in $(sed -n 's/^ *runbook_url: "docs\/agent.md#\([a-z]*\)"$/\1/p' "$RULES"); do
	grep -qix "### $a" "$KS_ROOT/docs/agent.md" || bad="$bad $a"
done
check_eq "runbook_url anchors are sections of docs/agent.md (missing:${bad:- none})" "$(echo $bad | wc -w)" 0
check_eq "runbook_urls in the repository only" "$(grep 'runbook_url:' "$RULES" | grep -vc '"docs/agent.md#')" 0

# --- bad arguments: exit 2 with one sentence, before anything is loaded
check_exit "bad --listen rejected" 2 "$KS" agent --listen nowhere
check_grep "bad --listen message" "not ADDR:PORT" "$KS_TMP/err"
check_exit "bad --threshold rejected" 2 "$KS" agent --threshold fast
check_exit "unknown option rejected" 2 "$KS" agent --frobnicate
check_exit "help" 0 "$KS" agent --help

# --- start the agent on a free loopback port
# The agent's BPF programs and links: the ids behind its fds (fdinfo).
ks_bpf_ids() { grep -hoE "^$2:[[:space:]]+[0-9]+" /proc/"$1"/fdinfo/* 2>/dev/null |
	awk '{print $2}' | sort -un; }
EVENTS=$KS_TMP/events.jsonl
ks_bg AGENT "$KS" agent --listen 127.0.0.1:0 --events "$EVENTS" 2>"$KS_TMP/agent.err"
PORT=
for _ in $(seq 1 50); do
	PORT=$(grep -o 'http://127.0.0.1:[0-9]*' "$KS_TMP/agent.err" | head -1 | sed 's/.*://')
	[ -n "$PORT" ] && grep -q collecting "$KS_TMP/agent.err" && break
	kill -0 "$AGENT" 2>/dev/null || break
	sleep 0.2
done
if [ -z "$PORT" ] || ! kill -0 "$AGENT" 2>/dev/null; then
	fail "agent did not start: $(head -c 400 "$KS_TMP/agent.err")"
	exit 1
fi
pass "agent listening on 127.0.0.1:$PORT"
M=http://127.0.0.1:$PORT/metrics
PROGS=$(ks_bpf_ids "$AGENT" prog_id)
LINKS=$(ks_bpf_ids "$AGENT" link_id)
check_ge "agent holds BPF programs" "$(echo "$PROGS" | grep -c .)" 3
check_ge "agent holds BPF links" "$(echo "$LINKS" | grep -c .)" 3
named=0
for id in $PROGS; do bpftool prog show id "$id" 2>/dev/null | grep -q "name ks_" && named=$((named + 1)); done
check_eq "all the agent's programs are named ks_*" "$named" "$(echo "$PROGS" | grep -c .)"

sleep 1.2
curl -s -m 5 "$M" >"$KS_TMP/scrape1.txt"
if promtool check metrics <"$KS_TMP/scrape1.txt" >"$KS_TMP/lint.out" 2>&1; then
	pass "promtool check metrics on a live scrape ($(wc -c <"$KS_TMP/scrape1.txt") bytes)"
else
	fail "promtool check metrics: $(head -c 400 "$KS_TMP/lint.out")"
fi
check_grep "kernel_info with release and preempt labels" \
	"^ksleuth_kernel_info\{release=\"$(uname -r)\",preempt=\"[a-z]+\",dynamic=\"(true|false)\"" "$KS_TMP/scrape1.txt"
check_grep "softirq delay histogram by vector, summed over CPUs" \
	'^ksleuth_softirq_delay_seconds_bucket\{vector="[a-z_]+",le="0.000016"\}' "$KS_TMP/scrape1.txt"
check_grep "+Inf bucket" '^ksleuth_sched_wait_seconds_bucket\{le="\+Inf"\} [0-9]+' "$KS_TMP/scrape1.txt"
# the series budget: <= 250 on this VM, and no series per CPU by default
nseries() { grep -vc '^#' "$1"; }
check_le "series in a scrape ($(wc -c <"$KS_TMP/scrape1.txt") bytes)" "$(nseries "$KS_TMP/scrape1.txt")" 250
check_eq "no cpu label while nothing stalls" "$(grep -c 'cpu="' "$KS_TMP/scrape1.txt")" 0
# stall buckets start at the threshold (100 ms) and double
check_eq "stall buckets: 0.1 ... 51.2, +Inf" \
	"$(sed -n 's/^ksleuth_stall_seconds_bucket{le="\([^"]*\)"}.*/\1/p' "$KS_TMP/scrape1.txt" | tr '\n' ' ')" \
	"0.1 0.2 0.4 0.8 1.6 3.2 6.4 12.8 25.6 51.2 +Inf "
check_eq "/healthz" "$(curl -s -m 5 "http://127.0.0.1:$PORT/healthz")" "ok"

# --- gzip when asked, plain otherwise; the decoded body is the exposition
curl -s -m 5 -H 'Accept-Encoding: gzip' -D "$KS_TMP/gz.hdr" -o "$KS_TMP/scrape.gz" "$M"
check_grep "Accept-Encoding: gzip -> Content-Encoding: gzip" '^Content-Encoding: gzip' "$KS_TMP/gz.hdr"
if python3 -c 'import gzip,sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())' "$KS_TMP/scrape.gz" >"$KS_TMP/gunzip.txt" 2>"$KS_TMP/gunzip.err"; then
	pass "python3 gzip decodes it ($(wc -c <"$KS_TMP/scrape.gz") -> $(wc -c <"$KS_TMP/gunzip.txt") bytes)"
else
	fail "python3 gzip: $(head -c 300 "$KS_TMP/gunzip.err")"
fi
if promtool check metrics <"$KS_TMP/gunzip.txt" >"$KS_TMP/lintgz.out" 2>&1 && [ "$(nseries "$KS_TMP/gunzip.txt")" -ge 50 ]; then
	pass "the decoded scrape passes promtool check metrics ($(nseries "$KS_TMP/gunzip.txt") series)"
else
	fail "decoded scrape: $(head -c 300 "$KS_TMP/lintgz.out")"
fi
curl -s -m 5 -D "$KS_TMP/plain.hdr" -o /dev/null "$M"
check_eq "no Accept-Encoding -> not encoded" "$(grep -ci '^Content-Encoding' "$KS_TMP/plain.hdr")" 0
curl -s -m 5 -H 'Accept-Encoding: gzip;q=0, identity' -D "$KS_TMP/q0.hdr" -o /dev/null "$M"
check_eq "gzip;q=0 -> not encoded" "$(grep -ci '^Content-Encoding' "$KS_TMP/q0.hdr")" 0

# --- process_* against /proc/PID/stat (fields 14+15 cpu, 22 start, 23 vsize, 24 rss)
curl -s -m 5 "$M" >"$KS_TMP/self.txt"
read -r -a ST <<<"$(sed 's/.*) //' /proc/"$AGENT"/stat)"   # ST[0] is field 3
TCK=$(getconf CLK_TCK); PAGE=$(getconf PAGESIZE)
BTIME=$(awk '/^btime/{print $2}' /proc/stat)
pm() { awk -v k="$1" '$1==k{print $2}' "$KS_TMP/self.txt"; }
check "process_start_time_seconds $(pm process_start_time_seconds) = btime + starttime (/proc) within 1 s" \
	awk -v a="$(pm process_start_time_seconds)" -v b="$(( BTIME ))" -v s="${ST[19]}" -v t="$TCK" \
	'BEGIN{d = a - (b + s / t); exit !(a != "" && d < 1 && d > -1)}'
check "process_resident_memory_bytes $(pm process_resident_memory_bytes) within 25 % of /proc rss" \
	awk -v a="$(pm process_resident_memory_bytes)" -v r="${ST[21]}" -v p="$PAGE" \
	'BEGIN{b = r * p; exit !(a != "" && a > 0.75 * b && a < 1.25 * b)}'
check "process_virtual_memory_bytes $(pm process_virtual_memory_bytes) within 10 % of /proc vsize" \
	awk -v a="$(pm process_virtual_memory_bytes)" -v b="${ST[20]}" 'BEGIN{exit !(a != "" && a > 0.9 * b && a < 1.1 * b)}'
check "process_cpu_seconds_total $(pm process_cpu_seconds_total) > 0 and <= /proc utime+stime" \
	awk -v a="$(pm process_cpu_seconds_total)" -v u="${ST[11]}" -v s="${ST[12]}" -v t="$TCK" \
	'BEGIN{exit !(a != "" && a > 0 && a <= (u + s) / t + 0.05)}'
nfd=$(ls /proc/"$AGENT"/fd | wc -l)
check "process_open_fds $(pm process_open_fds) ~ $nfd open in /proc (±3)" \
	awk -v a="$(pm process_open_fds)" -v b="$nfd" 'BEGIN{exit !(a != "" && a >= b - 3 && a <= b + 3)}'
check "process_max_fds $(pm process_max_fds) is RLIMIT_NOFILE" awk -v a="$(pm process_max_fds)" \
	-v b="$(awk '/^Max open files/{print $4}' /proc/"$AGENT"/limits)" 'BEGIN{exit !(a != "" && a == b + 0)}'
# counted after the answer is queued: the scrape after the gzip one shows it
check_grep "gzip answers counted" '^ksleuth_agent_http_gzip_responses_total [1-9]' "$KS_TMP/self.txt"
# BPF run time only while the kernel counts it; this agent did not ask
if [ "$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)" = 1 ]; then
	check_grep "kernel.bpf_stats_enabled=1: BPF run time exported" '^ksleuth_bpf_prog_runs_total' "$KS_TMP/self.txt"
else
	check_eq "no BPF run time while nobody enabled it" "$(grep -c '^ksleuth_bpf_prog' "$KS_TMP/self.txt")" 0
fi
check_eq "HEAD /metrics has no body" "$(curl -s -m 5 -I "$M" -o /dev/null -w '%{http_code} %{size_download}')" "200 0"

# --- a real Prometheus on loopback, scraping every second
PPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$KS_TMP/prom"
cat >"$KS_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $KS_ROOT/contrib/prometheus/ksleuth.rules.yml
scrape_configs:
  - job_name: ksleuth
    static_configs:
      - targets: ['127.0.0.1:$PORT']
EOF
ks_bg PROM prometheus --config.file="$KS_TMP/prometheus.yml" --storage.tsdb.path="$KS_TMP/prom" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn >"$KS_TMP/prom.log" 2>&1
P=http://127.0.0.1:$PPORT
q() { curl -s -m 5 --get "$P/api/v1/query" --data-urlencode "query=$1" |
	jq -r '.data.result[0].value[1] // "none"'; }
ready=0
for _ in $(seq 1 60); do
	if [ "$(q 'up{job="ksleuth"}')" = 1 ]; then ready=1; break; fi
	sleep 0.5
done
if [ $ready = 1 ]; then pass "Prometheus scrapes the agent (up == 1)"; else
	fail "Prometheus never scraped the agent: $(tail -c 400 "$KS_TMP/prom.log")"; exit 1; fi

# --- a 500 ms kernel stall on $CPU, measured by the hog's own clock and by
# a victim pinned there that wakes every 5 ms (its own lateness)
ks_bg VIC "$KS_HELPERS/victim" -c "$CPU" -d 3 -p 5 -t 100 -o "$KS_TMP/victim1.json" >/dev/null
sleep 0.5
"$KS_HOG" --mode kernel -c "$CPU" --run 500ms -n 1 >"$KS_TMP/hog1.out" 2>&1
ks_wait "$VIC" 15 victim
VIC_NS=$(jq -r '.max_late_ns' "$KS_TMP/victim1.json" 2>/dev/null)
HOG_PID=$(sed -n 's/^run 1 .* pid \([0-9]*\) .*/\1/p' "$KS_TMP/hog1.out")
HOG_NS=$(awk '/^run 1 /{for(i=1;i<NF;i++){if($i=="kstart_ns")s=$(i+1); if($i=="kend_ns")e=$(i+1)}; print e-s}' "$KS_TMP/hog1.out")
check_ge "hog ran ~500 ms in the kernel (its clock: ${HOG_NS} ns)" "${HOG_NS:-0}" 450000000

# the engine settles a stall a few seconds after it ends; Prometheus scrapes each second
found=0
for _ in $(seq 1 30); do
	v=$(q "sum(increase(ksleuth_stalls_total[1m]))")
	if [ "$v" != none ] && awk "BEGIN{exit !($v >= 0.9)}"; then found=1; break; fi
	sleep 0.5
done
check_eq "Prometheus: ksleuth_stalls_total went up" "$found" 1
# the stall's length lands in (400 ms, 800 ms]; the hog's 500 ms is in there
v=$(q "sum(increase(ksleuth_stall_seconds_bucket{le=\"0.8\"}[1m])) - sum(increase(ksleuth_stall_seconds_bucket{le=\"0.4\"}[1m]))")
check "Prometheus: a stall between 400 and 800 ms in ksleuth_stall_seconds (got $v)" awk "BEGIN{exit !(\"$v\" != \"none\" && $v >= 0.9)}"
# tasks that waited for the CPU: run-queue waits over 262 ms
v=$(q "sum(increase(ksleuth_sched_wait_seconds_count[1m])) - sum(increase(ksleuth_sched_wait_seconds_bucket{le=\"0.262144\"}[1m]))")
check "Prometheus: run-queue waits > 262 ms in ksleuth_sched_wait_seconds (got $v)" awk "BEGIN{exit !(\"$v\" != \"none\" && $v >= 0.9)}"
v=$(q "max(ksleuth_longest_stall_seconds)")
check "Prometheus: ksleuth_longest_stall_seconds >= 0.4 (got $v)" awk "BEGIN{exit !(\"$v\" != \"none\" && $v >= 0.4)}"
v=$(q "sum(ksleuth_culprit_stall_seconds_total)")
check "Prometheus: culprit stall seconds >= 0.4 (got $v)" awk "BEGIN{exit !(\"$v\" != \"none\" && $v >= 0.4)}"
v=$(q 'count(ALERTS{alertname=~"Ksleuth.*"}) or vector(0)')
echo "  (alerts active in the test Prometheus: $v)"

# --events: the hog's stall, with its pid, as long as its own clock says (±20 %)
EV_NS=$(jq -r --argjson p "${HOG_PID:-0}" --argjson c "$CPU" \
	'select(.type=="finding" or .type=="incident") | select(.cpu==$c and .culprit.pid==$p) | .stall_ns' \
	"$EVENTS" 2>/dev/null | sort -n | tail -1)
check_within "--events: the hog's stall (pid $HOG_PID) vs its own clock" "${EV_NS:-}" "${HOG_NS:-}" 20
check_within "--events: the hog's stall vs the victim's lateness" "${EV_NS:-}" "${VIC_NS:-}" 20

SAMPLER=1
grep -q "stall sampler did not load" "$KS_TMP/agent.err" && SAMPLER=0
if [ $SAMPLER = 1 ]; then
	MODE=$(jq -r --argjson p "${HOG_PID:-0}" 'select(.culprit != null and .culprit.pid==$p) |
		"\(.culprit.mode) \(.culprit.bh_disabled)"' "$EVENTS" | head -1)
	check_eq "--events: the syscall hog ran in kernel mode, BHs enabled (sampler)" "$MODE" "kernel false"
else
	skip "culprit mode: the stall sampler did not load on this kernel"
fi

# --- HTTP abuse while BH-disabled stalls happen: the agent answers and collects
ks_bg VIC2 "$KS_HELPERS/victim" -c "$CPU" -d 7 -p 5 -t 100 -o "$KS_TMP/victim2.json" >/dev/null
"$KS_HOG" --mode kernel-bh -c "$CPU" --run 400ms --gap 2s -n 3 >"$KS_TMP/hog2.out" 2>&1 &
HOG2=$!
ks_track_pid "$HOG2"
# scrapes while the BH-disabled stalls happen (the worst CPU named, culprits)
for i in 1 2 3 4 5 6 7 8; do curl -s -m 2 "$M" >"$KS_TMP/during.$i.txt"; sleep 0.7; done &
ks_track_pid $!
timeout 60 python3 "$KS_ROOT/tests/system/http_abuse.py" "$PORT" "$AGENT" >"$KS_TMP/abuse.out" 2>&1
ks_wait "$HOG2" 30 "kernel-bh hog"
val() { awk -v k="$1" '$1==k{print $2}' "$KS_TMP/abuse.out"; }
check_ge "100 concurrent scrapes answered 200" "$(val concurrent_ok)" 100
check_le "a scrape beside a one-byte-a-second client takes < 1 s (ms)" "$(val slow_scrape_ms)" 1000
# the whole request head must come within 5 s: a client that sends one
# byte a second is answered 408 then, and the timeout counted
check_eq "slow client cut off with 408 (header timeout)" "$(val slow_status)" 408
check_eq "oversized request -> 431" "$(val oversized_status)" 431
check_eq "bad method -> 405" "$(val badmethod_status)" 405
check_eq "garbage request line -> 400" "$(val garbage_status)" 400
check_eq "unknown path -> 404" "$(val notfound_status)" 404
check_eq "still answering /metrics after the abuse" "$(val final_scrape_status)" 200
check_eq "a leading CRLF cut after the CR -> 200 (as in one write)" "$(val split_cr_status)" 200
check_eq "16 KiB of newlines -> 400 at once" "$(val newlines_status)" 400
# before the fix such clients kept the loop spinning until the 408 (~100 % of a CPU)
check_le "agent CPU while 4 newline clients hold their connections 2 s (ms)" "$(val newlines_cpu_ms)" 300
HOG2_PIDS=$(sed -n 's/^run [0-9]* .* pid \([0-9]*\) .*/\1/p' "$KS_TMP/hog2.out" | sort -u)
sleep 4
n=$(jq -r --argjson p "${HOG2_PIDS:-0}" 'select(.culprit != null and .culprit.pid==$p) | .stall_ns' "$EVENTS" 2>/dev/null | grep -c .)
check_ge "stalls during the abuse still counted (--events, hog pid $HOG2_PIDS)" "$n" 2
if [ $SAMPLER = 1 ]; then
	n=$(jq -r --argjson p "${HOG2_PIDS:-0}" 'select(.culprit != null and .culprit.pid==$p and
		.culprit.mode=="kernel" and .culprit.bh_disabled==true) | .stall_ns' "$EVENTS" | grep -c .)
	check_ge "--events: the BH hog's stalls say kernel mode with BHs disabled (sampler)" "$n" 1
fi
curl -s -m 5 "$M" >"$KS_TMP/scrape2.txt"
most=0
for f in "$KS_TMP"/during.*.txt "$KS_TMP/scrape2.txt"; do
	n=$(nseries "$f"); [ "$n" -gt "$most" ] && most=$n
done
check_le "series in scrapes during and after the stalls (most)" "$most" 250
check_grep "the worst CPU named while a softirq waited >= the threshold" \
	"^ksleuth_softirq_delay_max_seconds\\{vector=\"[a-z_]+\",cpu=\"$CPU\"\\} " "$KS_TMP/scrape2.txt"
if promtool check metrics <"$KS_TMP/scrape2.txt" >"$KS_TMP/lint2.out" 2>&1; then
	pass "promtool check metrics after stalls and abuse ($(nseries "$KS_TMP/scrape2.txt") series, $(wc -c <"$KS_TMP/scrape2.txt") bytes)"
else
	fail "promtool check metrics after stalls: $(head -c 400 "$KS_TMP/lint2.out")"
fi
for code in 400 405 408 431; do
	check_grep "ksleuth_agent_http_responses_total counts $code" \
		"^ksleuth_agent_http_responses_total\{code=\"$code\"\} [1-9]" "$KS_TMP/scrape2.txt"
done
check_grep "ksleuth_agent_http_timeouts_total counts the slow client" \
	"^ksleuth_agent_http_timeouts_total [1-9]" "$KS_TMP/scrape2.txt"

# --- a timer silence: 300 ms with interrupts off on $CPU (kernel-irq hog).
# Counted once, as long as the hog's own clock says, under the cause its
# finding names: interrupts_off where it ended as they came back on, or
# cpu_not_running where this VM's tick came late, in user mode (seen in CI
# runs of test_runq); every cause's series from the start.
silence() { # silence FILE METRIC CAUSE SCALE: the value (CPUs summed), times SCALE
	awk -v k="$2{cause=\"$3\"}" -v x="$4" '$1==k{printf "%.0f\n", $2 * x}' "$1"; }
silences() { # silences FILE METRIC SCALE: "interrupts_off cpu_not_running"
	echo "$(silence "$1" "$2" interrupts_off "$3") $(silence "$1" "$2" cpu_not_running "$3")"; }
check_eq "ksleuth_timer_silences_total: every cause's series from the start" \
	"$(grep -c '^ksleuth_timer_silences_total{cause="\(interrupts_off\|cpu_not_running\)"} ' "$KS_TMP/scrape1.txt")" 2
curl -s -m 5 "$M" >"$KS_TMP/scrape3.txt"
"$KS_HOG" --mode kernel-irq -c "$CPU" --run 300ms -n 1 >"$KS_TMP/hog3.out" 2>&1 || fail "hog kernel-irq: $(head -c 300 "$KS_TMP/hog3.out")"
HOG3_NS=$(awk '/^run 1 /{for(i=1;i<NF;i++){if($i=="kstart_ns")s=$(i+1); if($i=="kend_ns")e=$(i+1)}; print e-s}' "$KS_TMP/hog3.out")
HOG3_PID=$(sed -n 's/^run 1 .* pid \([0-9]*\) .*/\1/p' "$KS_TMP/hog3.out")
read -r i0 u0 <<<"$(silences "$KS_TMP/scrape3.txt" ksleuth_timer_silences_total 1)"
read -r si0 su0 <<<"$(silences "$KS_TMP/scrape3.txt" ksleuth_timer_silence_seconds_total 1e9)"
i1=$i0 u1=$u0
for _ in $(seq 1 30); do
	curl -s -m 5 "$M" >"$KS_TMP/scrape4.txt"
	read -r i1 u1 <<<"$(silences "$KS_TMP/scrape4.txt" ksleuth_timer_silences_total 1)"
	[ $(( ${i1:-0} + ${u1:-0} )) -gt $(( ${i0:-0} + ${u0:-0} )) ] && break
	sleep 0.5
done
read -r si1 su1 <<<"$(silences "$KS_TMP/scrape4.txt" ksleuth_timer_silence_seconds_total 1e9)"
NR=$(jq -r --argjson p "${HOG3_PID:-0}" 'select(.type=="finding" and .culprit.pid==$p and .irq_gap_ns > 0)
	| .irq_gap_cpu_not_running' "$EVENTS" 2>/dev/null)
check_eq "--events: the silence is one finding naming the hog (pid $HOG3_PID)" "$(echo "$NR" | grep -c .)" 1
if [ "$NR" = true ]; then cause=cpu_not_running d=$(( ${u1:-0} - ${u0:-0} )) ds=$(( ${su1:-0} - ${su0:-0} ))
else cause=interrupts_off d=$(( ${i1:-0} - ${i0:-0} )) ds=$(( ${si1:-0} - ${si0:-0} )); fi
check_eq "ksleuth_timer_silences_total{cause=\"$cause\"} went up by one (the finding's cause)" "$d" 1
check_eq "one silence counted in all, both causes together" \
	"$(( ${i1:-0} + ${u1:-0} - ${i0:-0} - ${u0:-0} ))" 1
check_within "ksleuth_timer_silence_seconds_total{cause=\"$cause\"} grew by the hog's run (its own clock)" \
	"$ds" "${HOG3_NS:-}" 5

# --- SIGTERM: exit 0 quickly, no BPF program of the agent's left
kill -TERM "$PROM" 2>/dev/null
kill -TERM "$AGENT"
ks_wait "$AGENT" 5 "agent after SIGTERM"; rc=$?
check_eq "agent exits 0 on SIGTERM" "$rc" 0
left=0
for id in $PROGS; do bpftool prog show id "$id" >/dev/null 2>&1 && left=$((left + 1)); done
check_eq "no BPF program of the agent left (ids $(echo $PROGS))" "$left" 0
left=0
for id in $LINKS; do bpftool link show id "$id" >/dev/null 2>&1 && left=$((left + 1)); done
check_eq "no BPF link of the agent left (ids $(echo $LINKS))" "$left" 0
check_grep "agent said it stopped" "stopping" "$KS_TMP/agent.err"

# --- --per-cpu: the same families with a cpu label, one series per CPU;
# --bpf-stats: the kernel's run time of each program, for this agent's life
SYSCTL0=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)
ks_bg AGENT2 "$KS" agent --per-cpu --bpf-stats --listen 127.0.0.1:0 2>"$KS_TMP/agent2.err"
PORT2=
for _ in $(seq 1 50); do
	PORT2=$(grep -o 'http://127.0.0.1:[0-9]*' "$KS_TMP/agent2.err" | head -1 | sed 's/.*://')
	[ -n "$PORT2" ] && break
	kill -0 "$AGENT2" 2>/dev/null || break
	sleep 0.2
done
sleep 1.2
curl -s -m 5 "http://127.0.0.1:${PORT2:-1}/metrics" >"$KS_TMP/percpu.txt"
check_eq "--per-cpu: ksleuth_stalls_total has cpu x mechanism series" \
	"$(grep -c '^ksleuth_stalls_total{cpu="[0-9]*",mechanism=' "$KS_TMP/percpu.txt")" "$(( $(nr_cpus) * 4 ))"
check_grep "--per-cpu: sched wait by CPU" '^ksleuth_sched_wait_seconds_bucket\{cpu="0",le="\+Inf"\} [0-9]+' "$KS_TMP/percpu.txt"
if promtool check metrics <"$KS_TMP/percpu.txt" >"$KS_TMP/lint3.out" 2>&1; then
	pass "--per-cpu: promtool check metrics ($(nseries "$KS_TMP/percpu.txt") series, $(wc -c <"$KS_TMP/percpu.txt") bytes)"
else
	fail "--per-cpu: promtool check metrics: $(head -c 400 "$KS_TMP/lint3.out")"
fi
NPROG2=$(ks_bpf_ids "$AGENT2" prog_id | grep -c .)
check_eq "--bpf-stats: run time and runs for each of the agent's $NPROG2 programs" \
	"$(grep -c '^ksleuth_bpf_prog_run\(_seconds\|s\)_total{prog="ks_' "$KS_TMP/percpu.txt")" "$(( NPROG2 * 2 ))"
n=$(awk '/^ksleuth_bpf_prog_runs_total/{s+=$2} END{print s+0}' "$KS_TMP/percpu.txt")
check_ge "--bpf-stats: the programs ran (kernel's run_cnt)" "$n" 1
check_eq "--bpf-stats left kernel.bpf_stats_enabled alone" "$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)" "$SYSCTL0"
check_le "default scrape + --bpf-stats' series within the budget" "$(( most + NPROG2 * 2 ))" 250
kill -TERM "$AGENT2"; ks_wait "$AGENT2" 5 "--per-cpu agent after SIGTERM"

# --- the systemd unit's capability set is enough, as an unprivileged user
UNIT=$KS_ROOT/contrib/systemd/ksleuth-agent.service
CAPS=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
check_eq "unit grants exactly CAP_BPF CAP_PERFMON CAP_SYSLOG" "$CAPS" "+bpf,+perfmon,+syslog"
nobody() { # CAPS: setpriv's arguments for uid 65534 with exactly CAPS
	echo --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,"$1" \
		--ambient-caps=-all,"$1" --bounding-set=-all,"$1"
}
# shellcheck disable=SC2046
setpriv $(nobody "$CAPS") "$KS" agent --listen 127.0.0.1:0 2>"$KS_TMP/nobody.err" &
NB=$!
ks_track_pid "$NB"
NPORT=
for _ in $(seq 1 50); do
	NPORT=$(grep -o 'http://127.0.0.1:[0-9]*' "$KS_TMP/nobody.err" | head -1 | sed 's/.*://')
	[ -n "$NPORT" ] && break
	kill -0 "$NB" 2>/dev/null || break
	sleep 0.2
done
sleep 1.5
curl -s -m 5 "http://127.0.0.1:${NPORT:-1}/metrics" >"$KS_TMP/nobody.txt"
n=$(awk '/^ksleuth_sched_wait_seconds_count/{s+=$2} END{print s+0}' "$KS_TMP/nobody.txt")
check_ge "as uid 65534 with the unit's capabilities: collects (run-queue waits)" "$n" 1
if grep -q "cannot read /dev/kmsg" "$KS_TMP/nobody.err"; then
	fail "as uid 65534 with CAP_SYSLOG: /dev/kmsg unreadable"
else
	pass "as uid 65534 with CAP_SYSLOG: /dev/kmsg readable"
fi
kill -TERM "$NB"; ks_wait "$NB" 5 "uid 65534 agent after SIGTERM"
check_eq "uid 65534 agent exits 0 on SIGTERM" "$?" 0
check "uid 65534 agent said it stopped" grep -q stopping "$KS_TMP/nobody.err"
# without CAP_PERFMON it must refuse with one sentence, exit 1
# shellcheck disable=SC2046
check_exit "without CAP_PERFMON: refused" 1 setpriv $(nobody "+bpf,+syslog") "$KS" agent --listen 127.0.0.1:0
check_grep "without CAP_PERFMON: says which capabilities" "CAP_PERFMON" "$KS_TMP/err"
