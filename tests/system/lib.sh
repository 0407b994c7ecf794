# lib.sh — sourced by every system test: assertions that record results
# for tests/run.sh, and cleanup of everything a test starts (processes by
# pid, network namespaces by name), also when the test fails or is killed.
# shellcheck shell=bash

KS_ROOT=${KS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
KS_BUILD=${KS_BUILD:-build}
# the build directory: relative to the checkout, or absolute (make BUILD=/tmp/x)
case $KS_BUILD in /*) KS_BDIR=$KS_BUILD ;; *) KS_BDIR=$KS_ROOT/$KS_BUILD ;; esac
KS=$KS_BDIR/ksleuth
# the hog the tests run as a culprit: a program of its own (src/hogmain.c)
KS_HOG=$KS_BDIR/ksleuth-hog
KS_HELPERS=$KS_BDIR/helpers
KS_RESULTS=${KS_RESULTS:-/dev/stdout}
KS_TMP=$(mktemp -d /tmp/ksleuth-test.XXXXXX)
KS_TEST=$(basename "$0" .sh)

_ks_pids=()
_ks_netns=()
_ks_cleanups=()
_ks_failed=

# _ks_gone PID SECONDS: true once PID has ended, false if it still runs then
_ks_gone() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	! kill -0 "$1" 2>/dev/null
}

ks_cleanup() {
	local p n c
	for c in "${_ks_cleanups[@]}"; do eval "$c" >/dev/null 2>&1; done
	for p in "${_ks_pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${_ks_pids[@]}"; do
		_ks_gone "$p" 2 || kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for n in "${_ks_netns[@]}"; do ip netns del "$n" 2>/dev/null; done
	# KS_KEEP_FAILED=DIR keeps a failed test's files there for a look
	if [ -n "${KS_KEEP_FAILED:-}" ] && [ -n "$_ks_failed" ]; then
		mkdir -p "$KS_KEEP_FAILED" && cp -r "$KS_TMP" "$KS_KEEP_FAILED/$KS_TEST.$$" 2>/dev/null
	fi
	rm -rf "$KS_TMP"
}
trap ks_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Register things to undo.
ks_track_pid() { _ks_pids+=("$1"); }
ks_track_netns() { _ks_netns+=("$1"); }
ks_on_exit() { _ks_cleanups+=("$1"); }

# ks_bg VAR CMD...: start CMD in the background, remember its pid in VAR.
ks_bg() {
	local __var=$1; shift
	"$@" &
	local pid=$!
	ks_track_pid "$pid"
	printf -v "$__var" '%s' "$pid"
}

# ks_wait PID TIMEOUT_S [DESC]: wait for a background child, at most
# TIMEOUT_S seconds; returns its exit status. One still running then is a
# failed check naming DESC, and is killed (status 124): a test never hangs
# on a process that should have ended.
ks_wait() {
	local pid=$1 t=$2 d=${3:-process $1}
	if ! _ks_gone "$pid" "$t"; then
		fail "$d still running after ${t}s (killed)"
		kill -TERM "$pid" 2>/dev/null
		_ks_gone "$pid" 1 || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
}
# ks_stop PID DESC: SIGINT, then ks_wait 15 s — for ksleuth itself, where
# not ending on SIGINT is a bug.
ks_stop() { kill -INT "$1" 2>/dev/null; ks_wait "$1" 15 "$2 after SIGINT"; }
# ks_stop_ref PID DESC: stop a reference tool (bpftrace). bpftrace 0.17
# now and then misses a SIGINT under load (seen here: test_napi hung until
# the runner's timeout); SIGTERM ends it the same way, maps printed.
ks_stop_ref() {
	kill -INT "$1" 2>/dev/null
	if ! _ks_gone "$1" 5; then
		echo "  note: $2 still running 5 s after SIGINT; sent SIGTERM"
		kill -TERM "$1" 2>/dev/null
	fi
	ks_wait "$1" 15 "$2 after SIGTERM"
}

pass() { echo "PASS $KS_TEST: $*" | tee -a "$KS_RESULTS" >/dev/null; echo "  ok   $*"; }
fail() { _ks_failed=1; echo "FAIL $KS_TEST: $*" | tee -a "$KS_RESULTS" >/dev/null; echo "  FAIL $*"; }
skip() { echo "SKIP $KS_TEST: $*" | tee -a "$KS_RESULTS" >/dev/null; echo "  skip $*"; }

# check DESC CMD...: pass if CMD succeeds.
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
# check_exit DESC WANT CMD...: pass if CMD exits WANT (output to $KS_TMP/out, err).
check_exit() {
	local d=$1 want=$2; shift 2
	"$@" >"$KS_TMP/out" 2>"$KS_TMP/err"
	local rc=$?
	if [ "$rc" = "$want" ]; then pass "$d"; else
		fail "$d (exit $rc, wanted $want; stderr: $(head -c 300 "$KS_TMP/err"))"; fi
}
# check_ge DESC A B / check_le / check_eq: integer comparisons with values shown.
check_ge() { if [ "${2:-x}" -ge "${3:-x}" ] 2>/dev/null; then pass "$1 ($2 >= $3)"; else fail "$1 ($2 < $3)"; fi; }
check_le() { if [ "${2:-x}" -le "${3:-x}" ] 2>/dev/null; then pass "$1 ($2 <= $3)"; else fail "$1 ($2 > $3)"; fi; }
check_eq() { if [ "${2:-x}" = "${3:-y}" ]; then pass "$1 ($2)"; else fail "$1 ('$2' != '$3')"; fi; }
# check_within DESC A B PCT: |A-B| <= PCT% of B
check_within() {
	local d=$1 a=$2 b=$3 pct=$4
	if [ -z "$a" ] || [ -z "$b" ]; then fail "$d (missing value: '$a' vs '$b')"; return; fi
	local diff=$(( a > b ? a - b : b - a ))
	if [ $(( diff * 100 )) -le $(( b * pct )) ]; then pass "$d ($a vs $b, within $pct%)"
	else fail "$d ($a vs $b, more than $pct% apart)"; fi
}
# check_grep DESC PATTERN FILE
check_grep() { if grep -qE -- "$2" "$3"; then pass "$1"; else fail "$1 (no /$2/ in $(basename "$3"): $(head -c 300 "$3"))"; fi; }

# ks_verdicts DESC RC FILE: record an analysis' verdict lines ("PASS msg",
# "FAIL msg"; "INFO msg" is shown). An analysis that exited non-zero (an
# exception part-way: the verdicts after it were never said) or said no
# verdict at all is itself a failure; its stderr is expected in FILE.err.
ks_verdicts() {
	local d=$1 rc=$2 f=$3 verdict msg
	while read -r verdict msg; do
		case $verdict in PASS) pass "$msg" ;; FAIL) fail "$msg" ;; *) echo "  $msg" ;; esac
	done < "$f"
	if [ "$rc" != 0 ]; then
		fail "$d exited $rc after $(grep -cE '^(PASS|FAIL) ' "$f") verdicts: $(tail -n 3 "$f.err" 2>/dev/null | tr '\n' ' ' | tail -c 300)"
	elif ! grep -qE '^(PASS|FAIL) ' "$f"; then
		fail "$d gave no verdict: $(tail -n 3 "$f.err" 2>/dev/null | tr '\n' ' ' | tail -c 300)"
	fi
}

require_root() { [ "$(id -u)" = 0 ] || { skip "needs root"; exit 0; }; }
require_cmd() { command -v "$1" >/dev/null || { fail "missing $1 (make test-deps installs it)"; exit 1; }; }
nr_cpus() { nproc --all; }

# ks_netbed_up CPU [OPTION...]: the shared network test bed (`ksleuth
# netbed`, see docs/netbed.md) with RPS to CPU, further options passed to
# `netbed up` (--no-offloads); sets BED, NS_TX, NS_RX, ADDR_RX and
# registers its removal. Load: ks_bg VAR "$KS" netbed load "$BED" -c CPU -d SEC
ks_netbed_up() {
	local cpu=$1; shift
	BED=$("$KS" netbed up -c "$cpu" "$@" --owner $$ --json 2>"$KS_TMP/netbed.err" | jq -r .id 2>/dev/null)
	case $BED in ksl-*) ;; *) fail "netbed up: $(head -c 300 "$KS_TMP/netbed.err")"; return 1 ;; esac
	NS_TX=$BED-tx; NS_RX=$BED-rx; ADDR_RX=10.201.0.2
	ks_on_exit "'$KS' netbed down '$BED'"
	ks_track_netns "$NS_TX"; ks_track_netns "$NS_RX"
}
# ks_wait_for FILE PATTERN TIMEOUT_S: until PATTERN shows up in FILE
ks_wait_for() {
	local i
	for i in $(seq 1 $(( $3 * 10 ))); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
# softnet_dropped CPU: the dropped column of that CPU's /proc/net/softnet_stat
# line (the CPU id is column 13 on this kernel; older kernels: the row number)
softnet_dropped() {
	local line n=0
	while read -r -a line; do
		if { [ ${#line[@]} -ge 13 ] && [ $(( 16#${line[12]} )) = "$1" ]; } ||
		   { [ ${#line[@]} -lt 13 ] && [ $n = "$1" ]; }; then
			echo $(( 16#${line[1]} )); return 0
		fi
		n=$((n + 1))
	done < /proc/net/softnet_stat
	return 1
}
