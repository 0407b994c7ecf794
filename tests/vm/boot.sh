#!/bin/bash
# tests/vm/boot.sh — boot one kernel under QEMU with an initramfs and wait
# for it to power off, at most TIMEOUT seconds. The first serial port
# (kernel console) goes to OUTDIR/console.log, the second (the guest
# script's report) to OUTDIR/report.log.
#
# KVM is used only where it really works: /dev/kvm exists on machines whose
# KVM guests hang silently, so a KVM boot that prints nothing on the console
# within KS_VM_KVM_PROBE seconds (default 20), or a QEMU that ends without
# a word (it can abort on this KVM), is killed and the machine is
# remembered as TCG-only (KS_VM_CACHE/accel) for later boots.
# Usage: tests/vm/boot.sh VMLINUZ INITRD OUTDIR TIMEOUT "APPEND"
set -uo pipefail
kernel=$1 initrd=$2 outdir=$3 timeout=$4 append=$5
CACHE=${KS_VM_CACHE:-/var/cache/ksleuth-vm}
mkdir -p "$outdir"

qpid=""
cleanup() { [ -n "$qpid" ] && kill -KILL "$qpid" 2>/dev/null; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# noirqdebug: a slow TCG guest can leave enough unhandled interrupts on
# the report port's IRQ 3 that the kernel disables it ("nobody cared"),
# and the report is lost.
run_qemu() { # ACCEL CPU
	rm -f "$outdir/console.log" "$outdir/report.log"
	qemu-system-x86_64 -accel "$1" -cpu "$2" -smp 2 -m 2048 -nodefaults -display none \
		-no-reboot -kernel "$kernel" -initrd "$initrd" \
		-serial "file:$outdir/console.log" -serial "file:$outdir/report.log" \
		-append "console=ttyS0 panic=-1 noirqdebug $append" 2>"$outdir/qemu.err" &
	qpid=$!
}

# wait_qemu LIMIT [PROBE]: 0 when QEMU ended within LIMIT s; 1 on timeout;
# 2 when PROBE s passed with an empty console.
wait_qemu() {
	local limit=$1 probe=${2:-0} i
	for ((i = 0; i < limit * 10; i++)); do
		kill -0 "$qpid" 2>/dev/null || { wait "$qpid"; qpid=""; return 0; }
		if [ "$probe" -gt 0 ] && [ $i -ge $((probe * 10)) ] && [ ! -s "$outdir/console.log" ]; then
			return 2
		fi
		sleep 0.1
	done
	return 1
}

accel=tcg
if [ -w /dev/kvm ] && [ "$(cat "$CACHE/accel" 2>/dev/null)" != tcg ]; then
	accel=kvm
fi
if [ $accel = kvm ]; then
	run_qemu kvm host
	wait_qemu "$timeout" "${KS_VM_KVM_PROBE:-20}"; rc=$?
	# Hung (2) or ended without a word (QEMU itself can abort on KVM here).
	if [ $rc = 2 ] || [ ! -s "$outdir/console.log" ]; then
		[ -n "$qpid" ] && { kill -KILL "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; qpid=""; }
		echo "boot.sh: a KVM guest printed nothing (hung or QEMU failed: $(tail -1 "$outdir/qemu.err" 2>/dev/null)): using TCG (remembered in $CACHE/accel)" >&2
		echo tcg > "$CACHE/accel"
		accel=tcg
	else
		echo kvm > "$CACHE/accel"
	fi
fi
# Single-threaded TCG: with one host thread per vCPU, a 6.12 guest took
# an 'Oops: int3' in __raise_softirq_irqoff while a tracepoint was being
# enabled under packet load (the other vCPU ran a stale translation of
# the code text_poke was patching). One thread for both vCPUs makes
# cross-modified code coherent, at ~1.5x the run time.
if [ $accel = tcg ]; then
	run_qemu "tcg,thread=${KS_VM_TCG_THREAD:-single}" max
	wait_qemu "$timeout"; rc=$?
fi
echo "$accel" > "$outdir/accel"
if [ $rc = 1 ]; then
	echo "boot.sh: the guest still ran after ${timeout} s: killed" >&2
	exit 124
fi
exit 0
