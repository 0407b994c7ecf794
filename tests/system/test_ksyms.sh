#!/bin/bash
# test_ksyms.sh — BPF frames in a culprit's stack are named after the
# program that really ran, also when that program was loaded after the
# collector started and unloaded before the stall was reported: runq
# starts first, then a kernel hog (its own BPF programs, loaded only for
# the run) stalls a pinned victim for 300 ms. Independent reference: the
# hog's [bpf] symbols read from /proc/kallsyms while the hog is loaded.
# Every bpf_prog_ frame must be one of them (ks_hog_spin, spin_outer,
# spin_inner all present) and never another program's name.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd jq

CPU=$(( $(nr_cpus) > 1 ? 1 : 0 ))
OTHER=0
VICTIM=$KS_HELPERS/victim
[ -x "$VICTIM" ] || { fail "missing $VICTIM (make build/helpers/victim)"; exit 1; }
PIN=()
[ "$(nr_cpus)" -gt 1 ] && PIN=(taskset -c "$OTHER")

# runq first: the hog's programs do not exist yet when it starts
ks_bg RQ_PID "${PIN[@]}" "$KS" runq --slower 100ms -C "$CPU" --json >"$KS_TMP/runq.json" 2>"$KS_TMP/runq.err"
ks_bg V_PID "$VICTIM" -c "$CPU" -d 2.5 -t 50 -o "$KS_TMP/victim.json"
sleep 0.8

ks_bg H_PID "$KS_HOG" --mode kernel -c "$CPU" --run 300ms -n 1 --json
# the reference: kallsyms' [bpf] lines while the hog is alive
: >"$KS_TMP/kallsyms-bpf"
while kill -0 "$H_PID" 2>/dev/null; do
	"${PIN[@]}" grep -F '[bpf]' /proc/kallsyms >>"$KS_TMP/kallsyms-bpf"
	sleep 0.05
done
ks_wait "$H_PID" 20 hog; check_eq "hog exit status" "$?" 0
ks_wait "$V_PID" 20 victim
sleep 0.3
ks_stop "$RQ_PID" "ksleuth runq"; check_eq "runq exit status" "$?" 0

awk '{print $3}' "$KS_TMP/kallsyms-bpf" | grep -E '_(ks_hog_spin|spin_outer|spin_inner)$' | sort -u >"$KS_TMP/hog-syms"
check_ge "hog's programs seen in kallsyms" "$(wc -l <"$KS_TMP/hog-syms")" 3

# the victim's longest wait attributed to the hog's pid, with its stack
jq -c --argjson hp "$H_PID" 'select(.type=="wait" and .wait_ns >= 200000000)
	| .antagonists[] | select(.pid == $hp)' "$KS_TMP/runq.json" >"$KS_TMP/hog-ants"
check_ge "waits >= 200 ms blamed on the hog" "$(wc -l <"$KS_TMP/hog-ants")" 1
jq -r '.stack[]' "$KS_TMP/hog-ants" | sed 's/+0x[0-9a-f]*$//' >"$KS_TMP/frames"
check_grep "stack goes through bpf_prog_test_run" '^bpf_prog_test_run' "$KS_TMP/frames"
for f in ks_hog_spin spin_outer spin_inner; do
	n=$(grep -c "^bpf_prog_[0-9a-f]*_${f}\$" "$KS_TMP/frames")
	check_ge "stack names $f" "$n" 1
done
# every BPF frame is the hog's own (exact kallsyms name, tag included)
bad=$(grep -E '^bpf_prog_[0-9a-f]{16}_' "$KS_TMP/frames" | sort -u | grep -vxF -f "$KS_TMP/hog-syms" | head -3 | tr '\n' ' ')
check_eq "no BPF frame named after another program" "${bad:-none}" none
unk=$(grep -c '^\[bpf\]' "$KS_TMP/frames")
check_eq "no unnamed BPF frame" "$unk" 0
