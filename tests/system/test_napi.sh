#!/bin/bash
# test_napi.sh — `ksleuth napi` under netbed load (docs/netbed.md) steered to one CPU: polls
# equal an independent bpftrace count of napi:napi_poll over the same
# window (+-1 %), and a BH-disabled kernel hog on that CPU shows backlog
# drops there (softnet_stat), agreeing with /proc read by the test.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd bpftrace
require_cmd iperf3
require_cmd jq
CPU=1; [ "$(nr_cpus)" -lt 2 ] && CPU=0

check_exit "bad CPU list exits 2" 2 "$KS" napi -C x-y
check_grep "one sentence for a bad CPU list" "bad CPU list" "$KS_TMP/err"

ks_netbed_up $CPU || exit 1

ks_bg BT bpftrace -e 'tracepoint:napi:napi_poll { @n = count(); }' >"$KS_TMP/bt.out" 2>/dev/null
ks_bg KS_PID "$KS" napi --json --stacks -i 1 >"$KS_TMP/napi.json" 2>"$KS_TMP/napi.err"
ks_wait_for "$KS_TMP/bt.out" "Attaching" 10 || sleep 2
ks_wait_for "$KS_TMP/napi.err" "Tracing" 10
sleep 0.5
drop0=$(softnet_dropped $CPU)
ks_bg LOAD "$KS" netbed load "$BED" -c $CPU -d 5 >/dev/null 2>"$KS_TMP/load.err"
sleep 1.5
timeout 30 "$KS_HOG" --mode kernel-bh -c $CPU --run 500ms --gap 1s -n 2 >/dev/null 2>&1
ks_wait "$LOAD" 30 "netbed load"
drop1=$(softnet_dropped $CPU)
sleep 0.5
ks_stop "$KS_PID" "ksleuth napi"
ks_stop_ref "$BT" bpftrace

got=$(jq -r 'select(.type=="napi_summary") | .polls_all_cpus' "$KS_TMP/napi.json")
bt=$(sed -n 's/^@n: \([0-9]*\)/\1/p' "$KS_TMP/bt.out")
echo "  polls: ksleuth $got, bpftrace $bt; softnet drops on cpu $CPU: $((drop1 - drop0)) (from /proc)"
check_ge "napi polls were seen under load" "${got:-0}" 1000
check_within "polls equal bpftrace's count of napi:napi_poll" "$got" "$bt" 1
dev_polls=$(jq -s '[.[] | select(.type=="napi_total") | .polls] | add' "$KS_TMP/napi.json")
check_eq "per-device rows add up to the total" "$dev_polls" "$got"
rcpu=$(jq -s '[.[] | select(.type=="napi_total" and .cpu=='$CPU' and .dev=="(backlog)") | .polls] | add // 0' "$KS_TMP/napi.json")
check_ge "the receive CPU polled its backlog (RPS)" "$rcpu" 100
drops=$(jq -r 'select(.type=="softnet_total" and .cpu=='$CPU') | .dropped' "$KS_TMP/napi.json")
check_ge "softnet drops > 0 on the receive CPU under the BH hog" "${drops:-0}" 1
check_ge "softnet drops reported >= those /proc showed during the hog" "${drops:-0}" "$((drop1 - drop0))"
check "interval records have the softnet columns" \
	jq -s -e '[.[] | select(.type=="softnet")] | length > 0 and all(has("received_rps") and has("backlog_len"))' "$KS_TMP/napi.json" >/dev/null
