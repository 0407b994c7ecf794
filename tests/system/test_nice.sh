#!/bin/bash
# test_nice.sh — a nice 19 task waiting behind a nice 0 one is CFS
# weighting as designed, not a stall: two bounded busy loops share one CPU
# for 3 s while the doctor watches. The nice 19 loop's waits (~270 ms each
# on 6.18's EEVDF) must come out as folded contention, never as a finding
# or an incident naming the nice 0 loop; and their sum must account for
# the nice 19 loop's own run-queue time (/proc/PID/schedstat, the kernel's
# count, read before it ends).
. "$(dirname "$0")/lib.sh"
require_root
require_cmd jq

[ "$(nr_cpus)" -gt 1 ] || { skip "needs 2 CPUs (one to share)"; exit 0; }
CPU=1

ks_bg DOC_PID sh -c "exec taskset -c 0 '$KS' doctor -d 7 --json >'$KS_TMP/doc.json' 2>'$KS_TMP/doc.err'"
sleep 1.5
kill -0 "$DOC_PID" 2>/dev/null || { fail "doctor did not start: $(head -c 300 "$KS_TMP/doc.err")"; exit 1; }

# Each loop ends by itself after 3 s (timeout), and by pid on cleanup.
ks_bg HEAVY taskset -c "$CPU" timeout 3 sh -c 'while :; do :; done'
ks_bg LIGHT taskset -c "$CPU" nice -n 19 timeout 3 sh -c 'while :; do :; done'
sleep 2.6
# schedstat: on-CPU ns, run-queue wait ns, timeslices; of the loop itself
# (timeout's child), read while it still runs
# (taskset and nice exec timeout: its child is the loop)
light_sh=$(pgrep -P "$LIGHT" -x sh | head -1)
heavy_sh=$(pgrep -P "$HEAVY" -x sh | head -1)
light_wait=$(awk '{print $2}' "/proc/$light_sh/schedstat" 2>/dev/null)
ks_wait "$HEAVY" 5 "nice 0 loop"
ks_wait "$LIGHT" 5 "nice 19 loop"
ks_wait "$DOC_PID" 15 "doctor -d 7"
check_eq "doctor: exit 0 (nothing hurt the network)" $? 0

[ -n "$light_wait" ] || { fail "no schedstat for the nice 19 loop (pid '$light_sh')"; exit 1; }
echo "  nice 19 loop $light_sh waited ${light_wait} ns (schedstat); nice 0 loop $heavy_sh"
blamed=$(jq -c --argjson p "${heavy_sh:-0}" 'select((.type == "finding" or .type == "incident") and .culprit.tid == $p)' \
	"$KS_TMP/doc.json" | wc -l)
check_eq "no finding or incident blames the nice 0 loop" "$blamed" 0
waits=$(jq -s '[.[] | select(.type == "contention" and .waiting == "sh") | .waits] | add // 0' "$KS_TMP/doc.json")
sum=$(jq -s '[.[] | select(.type == "contention" and .waiting == "sh") | .wait_ns] | add // 0' "$KS_TMP/doc.json")
longest=$(jq -s '[.[] | select(.type == "contention" and .waiting == "sh") | .longest_ns] | max // 0' "$KS_TMP/doc.json")
check_ge "the nice 19 loop's waits are folded as contention" "$waits" 3
# EEVDF serves a nice 19 task behind a nice 0 one about every 205 ms of
# the latter's run: 250-276 ms measured; 400 ms would be a hold
check_le "its longest wait (ms)" $((longest / 1000000)) 400
# waits under the 100 ms threshold are not reported: at least half of
# the kernel's count is in the reported ones (~95 % measured)
check_ge "reported waits cover its run-queue time (ms, 2x)" $((sum * 2 / 1000000)) $((light_wait / 1000000))
