#!/bin/bash
# test_info.sh — `ksleuth info` against this machine's facts, each checked
# against an independent source (/proc/config.gz via zcat, dmesg, uname,
# sysfs, bpftrace attaching the same kinds of program), plus --json parsing
# and an unprivileged run; then the same facts
# without the kernel config (KSLEUTH_NO_KCONFIG=1: uname -v, the boot log,
# HZ measured from /proc/timer_list) against the config.
source "$(dirname "$0")/lib.sh"
require_root
require_cmd jq
require_cmd bpftrace

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
	check_eq "HZ source is the config" "$(j .hz_source)" "/proc/config.gz"
	rt=false; zcat /proc/config.gz | grep -qx 'CONFIG_PREEMPT_RT=y' && rt=true
	check_eq "realtime matches /proc/config.gz" "$(j .preempt.realtime)" "$rt"
fi
boot=$(dmesg 2>/dev/null | sed -n 's/.*Dynamic Preempt: \([a-z]*\).*/\1/p' | head -1)
if [ -n "$boot" ] && [ ! -r /sys/kernel/debug/sched/preempt ]; then
	check_eq "dynamic preempt mode matches the boot log" "$(j .preempt.dynamic)" "$boot"
	check_grep "text names the boot log as the source" "mode from boot log" "$KS_TMP/info.txt"
fi
check_eq "online CPUs match nproc" "$(j .cpus.online)" "$(nproc)"
check_eq "BTF present" "$(j .btf)" "$([ -r /sys/kernel/btf/vmlinux ] && echo true || echo false)"

# The text of a PREEMPT_NONE kernel booted with dynamic none (the
# development host, docs/kernel-facts.md).
if [ "$(j .preempt.model)" = PREEMPT_NONE ] && [ "$boot" = none ]; then
	check_grep "text says PREEMPT_NONE (dynamic: none)" 'PREEMPT_NONE \(dynamic: none\)' "$KS_TMP/info.txt"
fi
check_eq "tracepoint attach works" "$(j .attach.tracepoint.works)" true
check_eq "tp_btf attach works" "$(j .attach.tp_btf.works)" true
# kprobe and fentry: cross-checked with bpftrace, which attaches where the
# kernel allows them and fails the same way where it does not.
if timeout 10 bpftrace -e 'kprobe:vfs_read { exit(); }' -c /bin/true >/dev/null 2>&1; then
	check_eq "kprobe works (bpftrace kprobe works)" "$(j .attach.kprobe.works)" true
else
	check_eq "kprobe unavailable (bpftrace kprobe fails too)" "$(j .attach.kprobe.works)" false
	check_grep "text gives the kprobe reason" 'kprobe +unavailable: ' "$KS_TMP/info.txt"
fi
if [ -r /proc/config.gz ] && ! zcat /proc/config.gz | grep -qx 'CONFIG_KPROBES=y'; then
	check_eq "kprobe unavailable (CONFIG_KPROBES not set)" "$(j .attach.kprobe.works)" false
	check_grep "text names CONFIG_KPROBES as the kprobe reason" 'kprobe +unavailable: .*CONFIG_KPROBES' "$KS_TMP/info.txt"
fi
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

# Without the kernel config: every fact from the next source, checked
# against the config that info was told to ignore.
check_exit "info without the config exits 0" 0 env KSLEUTH_NO_KCONFIG=1 "$KS" info
cp "$KS_TMP/out" "$KS_TMP/nocfg.txt"
check_exit "info --json without the config exits 0" 0 env KSLEUTH_NO_KCONFIG=1 "$KS" info --json
cp "$KS_TMP/out" "$KS_TMP/nocfg.json"
n() { jq -r "$1" "$KS_TMP/nocfg.json"; }
check "no fact names the config as its source" \
	bash -c "! grep -qE '/proc/config.gz|/boot/config' <(jq -r '.preempt.model_source, .preempt.dynamic_built_source, .preempt.realtime_source, .hz_source' '$KS_TMP/nocfg.json')"
uv=$(uname -v)
case " $uv " in
*" PREEMPT_RT "*) want_rt=true ;;
*) want_rt=false ;;
esac
check_eq "realtime matches uname -v" "$(n .preempt.realtime)" "$want_rt"
case " $uv " in
*" PREEMPT_DYNAMIC "*) check_eq "dynamic build learned from uname -v" "$(n .preempt.dynamic_built_source)" "uname -v" ;;
esac
if [ -r /proc/config.gz ]; then
	cfg() { zcat /proc/config.gz | sed -n "s/^CONFIG_$1=//p"; }
	check_eq "measured HZ matches the config" "$(n .hz)" "$(cfg HZ)"
	check_eq "HZ source says measured" "$(n .hz_source)" "/proc/timer_list (measured)"
	check_grep "text says HZ was measured" '^HZ +[0-9]+ \(measured from /proc/timer_list: [0-9]+ jiffies in [0-9.]+ ms\)' "$KS_TMP/nocfg.txt"
	check_eq "dynamic build matches the config" "$(n .preempt.dynamic_built)" \
		"$([ "$(cfg PREEMPT_DYNAMIC)" = y ] && echo true || echo false)"
	want=$(j .preempt.model)
	# the mode at boot is the configured default when no preempt= was given
	if ! grep -qw 'preempt=[a-z]*' /proc/cmdline && [ -n "$boot" ]; then
		check_eq "configured model from the boot log matches the config" "$(n .preempt.model)" "$want"
	else
		check "the config's model is among those left" \
			jq -e --arg m "$want" '.preempt.models | index($m) != null' "$KS_TMP/nocfg.json" >/dev/null
	fi
fi
# Without the config the live mode comes from debugfs or the boot log's
# "Dynamic Preempt:" line; on a host under lockdown whose log has rolled
# past boot neither is there, and unknown (null, with the reason) is right.
if [ -n "$boot" ] || [ "$(n .preempt.debugfs_error)" = null ]; then
	check_eq "the live mode is the same without the config" "$(n .preempt.dynamic)" "$(j .preempt.dynamic)"
	check_eq "preemptible is the same without the config" "$(n .preempt.preemptible)" "$(j .preempt.preemptible)"
else
	check_eq "no debugfs, no boot line: the live mode is unknown without the config" \
		"$(n .preempt.dynamic)/$(n .preempt.preemptible)" "null/null"
	check "... and says why (debugfs: $(n .preempt.debugfs_error))" test "$(n .preempt.debugfs_error)" != null
fi
check_exit "unprivileged info without the config exits 0" 0 \
	setpriv --reuid=nobody --regid=nogroup --clear-groups env KSLEUTH_NO_KCONFIG=1 "$KS" info
if [ ! -r /proc/timer_list ] || ! setpriv --reuid=nobody --regid=nogroup --clear-groups cat /proc/timer_list >/dev/null 2>&1; then
	check_grep "unprivileged: HZ unknown, says why" '^HZ +unknown \(no kernel config; /proc/timer_list: ' "$KS_TMP/out"
fi
