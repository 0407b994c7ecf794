#!/bin/bash
# tests/run.sh — the whole suite: unit tests (ASan+UBSan build), then the
# system tests (real BPF, real kernel; need root). Ends with one line
# "total: N passed, N failed[, N skipped]".
# Usage: tests/run.sh [unit|fuzz|system|scenarios|vm] [NAME-FILTER]
#   (for vm: kernel names; for scenarios: SCENARIO.LOAD substrings)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
what=${1:-all}
filter=${2:-}

passed=0 failed=0 skipped=0
failures=()
# a test may append what its failure rests on here (printed at the end)
KS_DETAILS=$(mktemp /tmp/ksleuth-details.XXXXXX)
export KS_DETAILS

# tally FILE: add a stage's PASS/FAIL/SKIP lines to the totals, remove FILE
tally() {
	local p f s l
	p=$(grep -c '^PASS' "$1"); f=$(grep -c '^FAIL' "$1"); s=$(grep -c '^SKIP' "$1")
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	while read -r l; do failures+=("${l#FAIL }"); done < <(grep '^FAIL' "$1")
	rm -f "$1"
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	echo "== unit tests (AddressSanitizer + UndefinedBehaviorSanitizer)"
	out=$(ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		${KS_BUILD:-build}/unit-tests $filter 2>&1)
	rc=$?
	echo "$out" | grep -v '^ok ' || true
	line=$(echo "$out" | grep -E '^unit: [0-9]+ passed, [0-9]+ failed' | tail -1)
	if [ -n "$line" ]; then
		p=$(echo "$line" | sed -E 's/unit: ([0-9]+) passed.*/\1/')
		f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
		passed=$((passed + p)); failed=$((failed + f))
		[ "$f" != 0 ] && failures+=("unit tests")
	fi
	if [ $rc != 0 ] && { [ -z "$line" ] || [ "$f" = 0 ]; }; then
		failed=$((failed + 1)); failures+=("unit-tests binary (exit $rc)")
	fi
fi

# The parsers of outside text under libFuzzer (tests/fuzz), a few seconds
# each: a crash or a broken property is a failure. `make fuzz` runs longer.
# With a name filter the whole-suite run leaves it out; `run.sh fuzz NAME`
# runs that harness.
if [ "$what" = fuzz ] || { [ "$what" = all ] && [ -z "$filter" ]; }; then
	echo "== fuzz harnesses (tests/fuzz, ${KS_FUZZ_SECONDS:-3} s each)"
	fzres=$(mktemp /tmp/ksleuth-fuzz-results.XXXXXX)
	# a busy CPU for half a minute: not while another shell's timing runs
	(flock 9; FUZZ_SECONDS=${KS_FUZZ_SECONDS:-3} KS_BUILD=${KS_BUILD:-build} \
		tests/fuzz/run.sh $filter) 9>/tmp/ksleuth-systest.lock | tee "$fzres"
	[ "${PIPESTATUS[0]}" = 0 ] || grep -q '^FAIL' "$fzres" || echo "FAIL fuzz: tests/fuzz/run.sh failed" >> "$fzres"
	tally "$fzres"
fi

if [ "$what" = all ] || [ "$what" = system ]; then
	if [ "$(id -u)" != 0 ]; then
		# one skip per test file that would have run: a run without them
		# must not read like a full pass
		n=0
		for t in tests/system/test_*.sh; do
			name=$(basename "$t" .sh)
			[ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
			n=$((n + 1))
		done
		echo "== system tests skipped ($n files): they load BPF programs and need root"
		skipped=$((skipped + n))
	else
		# One system test at a time on this machine, also across shells:
		# hogs and timing measurements must not overlap.
		exec 9>/tmp/ksleuth-systest.lock
		flock 9
		export KS_LOCKED=1
		results=$(mktemp /tmp/ksleuth-results.XXXXXX)
		shopt -s nullglob
		for t in tests/system/test_*.sh; do
			name=$(basename "$t" .sh)
			[ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
			echo "== $name"
			start=$(date +%s)
			before=$(wc -l < "$results")
			# A test bounds each of its own waits (ks_wait); this is the
			# backstop, well above the longest test (~2 min).
			KS_RESULTS=$results KS_ROOT=$ROOT timeout -k 10 300 bash "$t"
			rc=$?
			after=$(wc -l < "$results")
			if [ $rc = 124 ]; then
				echo "FAIL $name: still running after 300 s, killed" | tee -a "$results"
			elif [ $rc != 0 ] && ! tail -n $((after - before)) "$results" | grep -q '^FAIL'; then
				echo "FAIL $name: exited $rc" | tee -a "$results"
			fi
			echo "   ($(( $(date +%s) - start ))s)"
		done
		tally "$results"
	fi
fi

# The doctor's scenario corpus (tests/scenarios): each fault quiet and
# under a busy load, judged against the fault's own records and the
# network's own counters. `make accuracy` runs every load and prints the
# table. With a name filter the whole-suite run leaves it out.
if { [ "$what" = scenarios ] || { [ "$what" = all ] && [ -z "$filter" ]; }; } && [ "${KS_SCENARIOS:-1}" != 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "== scenario corpus skipped: it needs root"
		skipped=$((skipped + 1))
	else
		echo "== scenario corpus (tests/scenarios)"
		scres=$(mktemp /tmp/ksleuth-scen-results.XXXXXX)
		start=$(date +%s)
		# backstop well above the corpus's ~5 min
		KS_RESULTS=$scres timeout -k 10 900 bash tests/scenarios/run.sh $filter
		rc=$?
		[ $rc = 0 ] || grep -q '^FAIL' "$scres" || echo "FAIL scenario corpus: exited $rc" >> "$scres"
		echo "   ($(( $(date +%s) - start ))s)"
		tally "$scres"
	fi
fi

# The kernel matrix: the same binary in QEMU guests running Debian's
# kernels (tests/vm/run.sh; KS_VM_KERNELS picks them, KS_VM=0 skips it).
# With a name filter the whole-suite run leaves the matrix out.
if { [ "$what" = vm ] || { [ "$what" = all ] && [ -z "$filter" ]; }; } && [ "${KS_VM:-1}" != 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "== kernel matrix skipped: it needs root"
		skipped=$((skipped + 1))
	else
		echo "== kernel matrix (tests/vm: Debian kernels under QEMU)"
		vmres=$(mktemp /tmp/ksleuth-vm-results.XXXXXX)
		# Backstop well above the matrix's ~5 min (a guest is bounded by
		# its own timeout, 420 s).
		KS_RESULTS=$vmres timeout -k 10 1800 tests/vm/run.sh $filter | grep --line-buffered -v '^PASS'
		rc=${PIPESTATUS[0]}
		[ $rc = 0 ] || echo "FAIL kernel matrix: tests/vm/run.sh exited $rc" >> "$vmres"
		tally "$vmres"
	fi
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${failures[@]}"
	# what the failed cases rest on, where a test wrote it: next to the
	# summary, where a CI log's tail keeps it
	[ -s "$KS_DETAILS" ] && { echo "details:"; cat "$KS_DETAILS"; }
fi
rm -f "$KS_DETAILS"
if [ $skipped -gt 0 ]; then
	echo "total: $passed passed, $failed failed, $skipped skipped"
else
	echo "total: $passed passed, $failed failed"
fi
[ $failed = 0 ]
