#!/bin/bash
# test_info.sh — `ksleuth info` against this machine's facts, each checked
# against an independent source (/proc/config.gz via zcat, dmesg, uname,
# sysfs), plus --json parsing and an unprivileged run.
source "$(dirname "$0")/lib.sh"
require_root
require_cmd jq

mounts_before=$(grep -cE ' (securityfs|debugfs) ' /proc/mounts)
check_exit "info exits 0" 0 "$KS" info
cp "$KS_TMP/out" "$KS_TMP/info.txt"
check_exit "info --json exits 0" 0 "$KS" info --json
cp "$KS_TMP/out" "$KS_TMP/info.json"
check "info --json is one valid JSON object" jq -e '.type == "info"' "$KS_TMP/info.json" >/dev/null
j() { jq -r "$1" "$KS_TMP/info.json"; }

check_eq "release matches uname -r" "$(j .kernel.release)" "$(uname -r)"

# Configured preemption model, independently from the config text.
if [ -r /proc/config.gz ]; then
	want=none
	# the most specific one wins: RT > LAZY > PREEMPT > VOLUNTARY > NONE
	for m in PREEMPT_RT PREEMPT_LAZY PREEMPT PREEMPT_VOLUNTARY PREEMPT_NONE; do
		if zcat /proc/config.gz | grep -qx "CONFIG_$m=y"; then want=$m; break; fi
	done
	check_eq "preempt model matches /proc/config.gz" "$(j .preempt.model)" "$want"
	check_eq "HZ matches /proc/config.gz" "$(j .hz)" "$(zcat /proc/config.gz | sed -n 's/^CONFIG_HZ=//p')"
	check_eq "source of the model is named" "$(j .preempt.model_source)" "/proc/config.gz"
fi
boot=$(dmesg 2>/dev/null | sed -n 's/.*Dynamic Preempt: \([a-z]*\).*/\1/p' | head -1)
if [ -n "$boot" ] && [ ! -r /sys/kernel/debug/sched/preempt ]; then
	check_eq "dynamic preempt mode matches the boot log" "$(j .preempt.dynamic)" "$boot"
	check_grep "text names the boot log as the source" "dynamic: from boot log" "$KS_TMP/info.txt"
fi
check_eq "online CPUs match nproc" "$(j .cpus.online)" "$(nproc)"
check_eq "BTF present" "$(j .btf)" "$([ -r /sys/kernel/btf/vmlinux ] && echo true || echo false)"

# What this machine must say (KERNEL-FACTS.md): PREEMPT_NONE, dynamic none,
# tracepoints work, fentry refused, no kprobes.
if [ "$(j .preempt.model)" = PREEMPT_NONE ] && [ "$boot" = none ]; then
	check_grep "text says PREEMPT_NONE (dynamic: none)" 'PREEMPT_NONE \(dynamic: none\)' "$KS_TMP/info.txt"
fi
check_eq "tracepoint attach works" "$(j .attach.tracepoint.works)" true
check_eq "tp_btf attach works" "$(j .attach.tp_btf.works)" true
if ! zcat /proc/config.gz 2>/dev/null | grep -qx 'CONFIG_KPROBES=y'; then
	check_eq "kprobe unavailable (CONFIG_KPROBES not set)" "$(j .attach.kprobe.works)" false
	check_grep "text gives the kprobe reason" 'kprobe +unavailable: .*CONFIG_KPROBES' "$KS_TMP/info.txt"
fi
# fentry: cross-check with bpftrace, which fails the same way where refused.
if timeout 10 bpftrace -e 'kfunc:vfs_read { exit(); }' -c /bin/true >/dev/null 2>&1; then
	check_eq "fentry works (bpftrace kfunc works)" "$(j .attach.fentry.works)" true
else
	check_eq "fentry unavailable (bpftrace kfunc fails too)" "$(j .attach.fentry.works)" false
	check_grep "text gives the fentry reason" 'fentry +unavailable: .*EPERM|fentry +unavailable' "$KS_TMP/info.txt"
fi
check "info left no ks_probe program loaded" \
	bash -c "! bpftool prog show 2>/dev/null | grep -q ks_probe"
# It mounts securityfs/debugfs only in a child's private mount namespace.
check_eq "info changed no mounts (securityfs/debugfs count)" \
	"$(grep -cE ' (securityfs|debugfs) ' /proc/mounts)" "$mounts_before"

# Unprivileged: facts still print, probes say what is missing.
check_exit "unprivileged info exits 0" 0 setpriv --reuid=nobody --regid=nogroup --clear-groups "$KS" info
check_grep "unprivileged info says probing needs root" 'not probed: needs root' "$KS_TMP/out"
check_exit "info with a stray argument is a usage error" 2 "$KS" info extra
check_grep "usage error names the argument" "takes no arguments" "$KS_TMP/err"
