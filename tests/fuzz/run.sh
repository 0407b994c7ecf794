#!/bin/bash
# tests/fuzz/run.sh — runs every libFuzzer harness built in $KS_BUILD/fuzz
# for FUZZ_SECONDS each, from its seeds (tests/fuzz/corpus/NAME, read
# only) and what earlier runs found ($KS_BUILD/fuzz/corpus/NAME). One line
# per harness: "PASS fuzz NAME: N runs, R exec/s" or "FAIL fuzz NAME: ..."
# with the input that broke it kept as $KS_BUILD/fuzz/crash-NAME-*.
# Exits 1 when any failed. Usage: tests/fuzz/run.sh [NAME...]
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${KS_BUILD:-build}
secs=${FUZZ_SECONDS:-60}
names=("$@")
if [ ${#names[@]} = 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do names+=("$(basename "$f" .c | sed 's/^fuzz_//')"); done
fi
echo "fuzz: ${#names[@]} harnesses x ${secs} s = about $(( ${#names[@]} * secs )) s"
bad=0
for n in "${names[@]}"; do
	bin=$B/fuzz/fuzz_$n
	work=$B/fuzz/corpus/$n
	log=$B/fuzz/$n.log
	mkdir -p "$work"
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz $n: $bin is not built (make fuzz-build)"; bad=1; continue
	fi
	# -rss_limit_mb: the parsers allocate little; a leak or blow-up is a bug
	"$bin" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=1024 -timeout=10 \
		-artifact_prefix="$B/fuzz/crash-$n-" "$work" "tests/fuzz/corpus/$n" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	if [ $rc = 0 ]; then
		echo "PASS fuzz $n: ${runs:-?} runs in ${secs} s, ${rate:-?} exec/s"
	else
		bad=1
		echo "FAIL fuzz $n: exit $rc after ${runs:-?} runs; $(grep -m1 -E 'ERROR|property broken|runtime error' "$log" | head -c 200) (log $log)"
	fi
done
exit $bad
