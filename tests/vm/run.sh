#!/bin/bash
# tests/vm/run.sh — the kernel matrix: boot each kernel under QEMU with the
# ksleuth binary of this tree, run tests/vm/guest.sh inside, and check the
# report on the host (tests/vm/check.py). Prints PASS/FAIL/SKIP lines (to
# KS_RESULTS when set, as tests/run.sh collects them) and a summary.
# KS_VM_JOBS guests run side by side (default 2, at most one per CPU).
# Usage: tests/vm/run.sh [KERNEL...]   (default: $KS_VM_KERNELS or
#        "6.1 6.1-rt 6.12 6.12-rt 5.10"; see tests/vm/kernels.sh for the names)
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${KS_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/ksleuth
OUT=${KS_VM_OUT:-$BUILD/vm}
RESULTS=${KS_RESULTS:-}
read -r -a kernels <<< "${*:-${KS_VM_KERNELS:-6.1 6.1-rt 6.12 6.12-rt 5.10}}"

[ -x "$BIN" ] && [ -x "$BUILD/ksleuth-hog" ] || { echo "run.sh: $BIN or $BUILD/ksleuth-hog is missing: run make first" >&2; exit 2; }
for t in qemu-system-x86_64 busybox cpio depmod iperf3 ethtool nft; do
	command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || [ -x "/bin/$t" ] || {
		echo "run.sh: $t is missing (make test-deps installs it)" >&2; exit 2; }
done

record() { echo "$1"; [ -n "$RESULTS" ] && echo "$1" >> "$RESULTS"; return 0; }

# Boot parameters per kernel: non-RT kernels are booted non-preemptible
# (Debian builds PREEMPT_DYNAMIC, voluntary by default: preempt=none
# selects the seed incident's model); the starvation scenario runs where
# the incident's preemption model exists. Kernels before 5.17 have no
# bpf_loop for the kernel hogs: a SCHED_FIFO hog stands in there.
append_for() {
	case $1 in
	6.1-rt) echo "loglevel=4 ks.scenario=demo" ;; # no BH-off hog before 6.11: the demo's FIFO one
	*-rt) echo "loglevel=4 ks.scenario=bh" ;;
	5.*)  echo "loglevel=4 ks.scenario=fifo,demo" ;; # no bpf_loop: no kernel hog
	6.1)  echo "preempt=none loglevel=4 ks.scenario=starve,demo" ;;
	*)    echo "preempt=none loglevel=4 ks.scenario=starve" ;;
	esac
}

# The packages first, one kernel at a time: apt takes its locks.
declare -A kline
for k in "${kernels[@]}"; do
	kline[$k]=$(tests/vm/kernels.sh "$k") || kline[$k]=
done

# run_one KERNEL: build its initramfs, boot it, check its report.
run_one() {
	local k=$1 start line kdir rel dir append brc
	start=$(date +%s)
	line=${kline[$k]}
	[ -n "$line" ] || { record "FAIL vm $k: the kernel package could not be fetched"; return; }
	read -r _ kdir rel <<< "$line"
	dir=$OUT/$k
	rm -rf "$dir"; mkdir -p "$dir"
	if ! tests/vm/mkinitramfs.sh "$kdir" "$rel" "$BIN" "$dir/initrd.gz" 2> "$dir/mkinitramfs.err"; then
		record "FAIL vm $k: building the initramfs failed: $(tail -1 "$dir/mkinitramfs.err")"
		return
	fi
	append=$(append_for "$k")
	echo "== vm $k ($rel, $append)"
	tests/vm/boot.sh "$kdir/boot/vmlinuz-$rel" "$dir/initrd.gz" "$dir" "${KS_VM_TIMEOUT:-420}" "$append"
	brc=$?
	if [ $brc != 0 ] || ! grep -q '^@@done' "$dir/report.log" 2>/dev/null; then
		record "FAIL vm $k: the guest did not finish its script (boot.sh exit $brc; console: $dir/console.log)"
	fi
	python3 tests/vm/check.py "$k" "$kdir/boot/config-$rel" "$dir" | while read -r r; do record "$r"; done
	echo "   ($(( $(date +%s) - start ))s, $(cat "$dir/accel" 2>/dev/null))"
}

# A TCG guest runs on one host thread (boot.sh), so guests boot side by
# side (KS_VM_JOBS at a time, by default two or one per CPU if fewer);
# each one's lines are printed together when it ends.
ncpu=$(nproc)
jobs_max=${KS_VM_JOBS:-$(( ncpu < 2 ? 1 : 2 ))}
[ "$jobs_max" -ge 1 ] 2>/dev/null || jobs_max=1
mkdir -p "$OUT"
declare -A vm_of
running=0
# Interrupted: end each guest's job and what it runs now (boot.sh stops
# its QEMU on the way out), by pid.
stop_all() {
	local p
	for p in "${!vm_of[@]}"; do
		pkill -TERM -P "$p" 2>/dev/null
		kill -TERM "$p" 2>/dev/null
	done
	wait
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
finish_one() {
	local pid
	wait -n -p pid
	running=$((running - 1))
	cat "$OUT/${vm_of[$pid]}.log"
}
for k in "${kernels[@]}"; do
	[ $running -ge "$jobs_max" ] && finish_one
	run_one "$k" > "$OUT/$k.log" 2>&1 &
	vm_of[$!]=$k
	running=$((running + 1))
done
while [ $running -gt 0 ]; do finish_one; done
