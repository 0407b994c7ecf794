#!/bin/bash
# test_cli.sh — command lines that must fail in one short sentence: a CPU
# that does not exist (-C 999) for doctor, runq, softirq and napi (exit 2,
# they watched nothing before); an empty command name; an empty --events;
# a 100 kB argument holding an escape sequence, echoed cut at 64 bytes
# with "..." and the ESC shown as \x1b; and SIGHUP ending count with its
# summary and exit 0, as SIGTERM does. The man page and the bash completion
# (`ksleuth manpage`, `ksleuth completion bash`) name every option that a
# command's --help lists: all three come from the same option tables; the
# test hog, a program of its own, is in none of them. And `make install
# PREFIX=...` after `make` rebuilds the hog's installed path into the binary.
. "$(dirname "$0")/lib.sh"
require_root
ESC=$'\x1b'
BIG=$ESC[2J$(head -c 100000 /dev/zero | tr '\0' x)

for c in doctor runq softirq napi; do
	check_exit "$c -C 999 rejected" 2 "$KS" "$c" -C 999 -d 1
	check_grep "$c -C 999: says the CPU does not exist" "CPU 999, which does not exist here" "$KS_TMP/err"
done
check_exit "an empty command name" 2 "$KS" ''
check_grep "an empty command name: no 'did you mean'" "there is no command named ''" "$KS_TMP/err"
check_exit "agent --events '' is a usage error" 2 "$KS" agent --events ''
check_exit "--version" 0 "$KS" --version
check_grep "--version names the libbpf it runs with" "^ksleuth [^ ]+ \\(libbpf [0-9]+\\.[0-9]+, built with [0-9]+\\.[0-9]+\\)$" "$KS_TMP/out"

n=0 bad=
big_echo() { # CMD...: its one-line error quotes $BIG cut and harmless
	"$@" >/dev/null 2>"$KS_TMP/big.err"
	n=$((n + 1))
	local lines bytes
	lines=$(wc -l <"$KS_TMP/big.err") bytes=$(wc -c <"$KS_TMP/big.err")
	if [ "$lines" != 1 ] || [ "$bytes" -gt 300 ] || grep -q "$ESC" "$KS_TMP/big.err" ||
		! grep -qF '\x1b[2Jxxx' "$KS_TMP/big.err" || ! grep -qF 'xxx...' "$KS_TMP/big.err"; then
		bad="$bad [${*:2:2}: $lines lines, $bytes bytes: $(head -c 120 "$KS_TMP/big.err" | cat -v)]"
	fi
}
for args in "doctor -d" "doctor -C" "runq --by" "runq -C" "softirq -i" "napi -C" "count -i" \
	"count" "agent --threshold" "agent --events" "netbed" "info"; do
	# shellcheck disable=SC2086
	big_echo "$KS" $args "$BIG"
done
big_echo "$KS_HOG" --mode "$BIG"
big_echo "$KS" "$BIG"
big_echo "$KS" "-$BIG"
check_eq "a 100 kB argument is echoed cut, ESC visible, in one line ($n paths)" "${bad:-none}" none

# The man page and the completion: every option of every command's --help
check_exit "manpage exits 0" 0 "$KS" manpage
cp "$KS_TMP/out" "$KS_TMP/ksleuth.8"
check_exit "completion bash exits 0" 0 "$KS" completion bash
cp "$KS_TMP/out" "$KS_TMP/ksleuth.bash"
check_exit "completion of another shell is a usage error" 2 "$KS" completion fish
check "the completion script is valid bash" bash -n "$KS_TMP/ksleuth.bash"
if command -v groff >/dev/null; then
	groff -man -Tutf8 -ww -z "$KS_TMP/ksleuth.8" >"$KS_TMP/groff.err" 2>&1
	if [ -s "$KS_TMP/groff.err" ]; then
		fail "groff reads the man page without a warning: $(head -c 300 "$KS_TMP/groff.err")"
	else
		pass "groff reads the man page without a warning"
	fi
fi
missing= nopts=0
cmds=$("$KS" help | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
for c in $cmds; do
	grep -q "^\.SS $c\$" "$KS_TMP/ksleuth.8" || missing="$missing [man: command $c]"
	grep -q "^	$c)\$" "$KS_TMP/ksleuth.bash" || missing="$missing [completion: command $c]"
	for o in $("$KS" "$c" --help | awk '/^ +-/ { for (i = 1; i <= NF; i++) { f = $i; sub(/,$/, "", f)
			if (f !~ /^-/) break; print f } }'); do
		nopts=$((nopts + 1))
		grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$KS_TMP/ksleuth.8" || missing="$missing [man: $c $o]"
		grep -qE -- "[ '|]$o[ '|)]" "$KS_TMP/ksleuth.bash" || missing="$missing [completion: $c $o]"
	done
done
check_ge "options read from the commands' --help" "$nopts" 60
check_eq "the man page and the completion name every command and option" "${missing:-none}" none
# the hog is a helper of its own (ksleuth-hog, off PATH), no command
leak=$(grep -c "^\.SS hog\$\|^	hog)\$" "$KS_TMP/ksleuth.8" "$KS_TMP/ksleuth.bash" | awk -F: '{ s += $2 } END { print s }')
check_eq "the man page and the completion list no hog command" "$leak" 0

# SIGHUP ends count like SIGTERM: summary printed, exit 0
"$KS" count t:sched:sched_switch -d 20 >"$KS_TMP/count.out" 2>&1 &
CNT=$!
ks_track_pid "$CNT"
ks_wait_for "$KS_TMP/count.out" "Hit Ctrl-C" 10
sleep 0.5
kill -HUP "$CNT"
ks_wait "$CNT" 10 "count after SIGHUP"
check_eq "count exits 0 on SIGHUP" "$?" 0
check_grep "count printed its summary after SIGHUP" "^sched:sched_switch +[0-9]+" "$KS_TMP/count.out"

# The binary bakes in where the demo's hog is installed: `make` and then
# `make install PREFIX=...` must rebuild it with that prefix (it kept the
# /usr/local one). A dry run says what make would do, changing nothing.
if command -v make >/dev/null; then
	make -n -C "$KS_ROOT" BUILD="$KS_BDIR" install PREFIX=/opt/ksleuth-test >"$KS_TMP/make.out" 2>&1
	check_grep "make install PREFIX=... rebuilds the hog's path into the binary" \
		"KSLEUTH_LIBEXECDIR='\"/opt/ksleuth-test/libexec/ksleuth\"'.* src/sys/helper\\.c" "$KS_TMP/make.out"
fi
