#!/bin/bash
# test_deb.sh — the Debian package (make deb): apt-get installs it, what it
# installs works (the binary, its man page, the bash completion, the
# agent's unit and the docs the unit names; the demo's hog off PATH, in
# /usr/libexec/ksleuth), and purge leaves nothing behind. The machine is left as it was, also when a check fails.
source "$(dirname "$0")/lib.sh"
require_root
require_cmd apt-get
require_cmd curl

# Never touch a ksleuth this machine already has: its package, a
# `make install PREFIX=/usr`, or an agent's logs (purge removes those).
if dpkg-query -W -f='${Status}' ksleuth 2>/dev/null | grep -q 'install ok'; then
	skip "a ksleuth package is installed on this machine; not replacing it"; exit 0
fi
for f in /usr/bin/ksleuth /var/log/ksleuth /var/log/private/ksleuth; do
	if [ -e "$f" ]; then skip "$f exists; the package would replace or purge it"; exit 0; fi
done

# The package's man page and completion come from the binary itself.
if ! "$KS" manpage >/dev/null 2>&1 || ! "$KS" completion bash >/dev/null 2>&1; then
	skip "$KS cannot print its man page or completion ('ksleuth manpage', 'ksleuth completion bash'): no package to build"
	exit 0
fi

# --- build (make deb: dpkg-buildpackage, then lintian must pass)
if ! make -C "$KS_ROOT" BUILD="$KS_BUILD" deb >"$KS_TMP/build.log" 2>&1; then
	fail "make deb: $(grep -E '^(E|W): |error' "$KS_TMP/build.log" | head -5 | tr '\n' ' ' | head -c 400)"
	exit 1
fi
pass "make deb built the package and lintian passed it"
DEB=$(make -s -C "$KS_ROOT" BUILD="$KS_BUILD" deb-name)
case $DEB in /*) ;; *) DEB=$KS_ROOT/$DEB ;; esac
VER=$(dpkg-deb -f "$DEB" Version)

UNIT=/lib/systemd/system/ksleuth-agent.service
AGENT_PID=
# Whatever happens: stop what this test started, purge the package, remove
# the log directory it made.
deb_cleanup() {
	if [ -n "$AGENT_PID" ]; then kill -TERM "$AGENT_PID"; _ks_gone "$AGENT_PID" 5 || kill -KILL "$AGENT_PID"; fi
	if [ -d /run/systemd/system ]; then
		systemctl stop ksleuth-agent
		rm -rf /run/systemd/system/ksleuth-agent.service.d
	fi
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq ksleuth
	[ -d /run/systemd/system ] && systemctl daemon-reload
	rm -rf /var/log/ksleuth /var/log/private/ksleuth
}
ks_on_exit deb_cleanup

# --- install
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$DEB" >"$KS_TMP/apt.log" 2>&1; then
	fail "apt-get install $(basename "$DEB"): $(tail -n 5 "$KS_TMP/apt.log" | tr '\n' ' ' | head -c 400)"
	exit 1
fi
pass "apt-get install $(basename "$DEB")"
dpkg -L ksleuth | sort >"$KS_TMP/files"
deps=$(dpkg-query -W -f='${Depends}' ksleuth)
# libelf1 comes with libbpf1, which needs it: the binary itself calls no libelf
for d in libbpf1 zlib1g libc6; do
	check "Depends names $d (shlibs)" grep -q "$d" <<<"$deps"
done
for f in /usr/bin/ksleuth /usr/libexec/ksleuth/ksleuth-hog /usr/share/man/man8/ksleuth.8.gz \
	/usr/share/bash-completion/completions/ksleuth "$UNIT" \
	/usr/share/ksleuth/prometheus/ksleuth.rules.yml /usr/share/doc/ksleuth/agent.md \
	/usr/share/doc/ksleuth/README.md /usr/share/doc/ksleuth/copyright; do
	check "the package installs $f" grep -qx "$f" "$KS_TMP/files"
done
for f in "$KS_ROOT"/contrib/grafana/*.json; do
	[ -e "$f" ] || continue
	check "the package installs the dashboard $(basename "$f")" \
		grep -qx "/usr/share/ksleuth/grafana/$(basename "$f")" "$KS_TMP/files"
done
if command -v promtool >/dev/null; then
	check "promtool accepts the installed rules" \
		promtool check rules /usr/share/ksleuth/prometheus/ksleuth.rules.yml >/dev/null
fi

# --- the binary
check_eq "ksleuth --version is the package's" "$(ksleuth --version | cut -d" " -f1-2)" "ksleuth $VER"
check_exit "ksleuth info runs" 0 ksleuth info
check_grep "ksleuth info names the kernel" "$(uname -r)" "$KS_TMP/out"
# the hog: a helper off PATH, no command of ksleuth
check_eq "no hog on PATH" "$(grep -c '/bin/.*hog' "$KS_TMP/files")" 0
check_exit "ksleuth hog is no command" 2 ksleuth hog --mode kernel
check_exit "the installed hog answers --help" 0 /usr/libexec/ksleuth/ksleuth-hog --help
check_grep "the installed hog calls itself ksleuth-hog" "^usage: ksleuth-hog " "$KS_TMP/out"
# the installed demo finds it there (../libexec/ksleuth from /usr/bin) and
# its culprit carries the hog's name, not the tool's
if command -v iperf3 >/dev/null && command -v jq >/dev/null && [ "$(nr_cpus)" -ge 2 ]; then
	timeout 90 ksleuth demo --broken --duration 10s --json >"$KS_TMP/demo.json" 2>"$KS_TMP/demo.err"
	check_eq "the installed demo reproduces and explains (exit 0; $(head -c 200 "$KS_TMP/demo.err"))" "$?" 0
	names_hog() { jq -se 'any(.[]; .type == "incident" and .culprit.comm == "ksleuth-hog")' "$1" >/dev/null; }
	check "the installed demo's incident names the culprit ksleuth-hog" names_hog "$KS_TMP/demo.json"
else
	skip "the installed demo: needs iperf3, jq and 2 CPUs"
fi

# --- the man page
check_eq "man -w ksleuth finds the page" "$(man -w ksleuth 2>&1)" /usr/share/man/man8/ksleuth.8.gz
# the commands --help lists (hidden ones are not there)
ksleuth help | awk '/^commands:/{on=1; next} on && NF==0{exit} on{print $1}' >"$KS_TMP/cmds"
check_ge "ksleuth help lists commands" "$(grep -c . "$KS_TMP/cmds")" 5
MANPAGER=cat MANWIDTH=120 man ksleuth 2>/dev/null >"$KS_TMP/man.txt"
missing=$(while read -r c; do grep -qw -- "$c" "$KS_TMP/man.txt" || echo "$c"; done <"$KS_TMP/cmds")
check_eq "man ksleuth names every command" "${missing:-none missing}" "none missing"

# --- bash completion: found by bash-completion's loader, as at a prompt
# complete NAME WORD: what <TAB> offers after "ksleuth WORD"
complete_words() {
	bash --norc --noprofile -c '
		source /usr/share/bash-completion/bash_completion
		__load_completion ksleuth || exit 3
		fn=$(complete -p ksleuth | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
		[ -n "$fn" ] || exit 4
		COMP_WORDS=(ksleuth "$1"); COMP_CWORD=1
		COMP_LINE="ksleuth $1"; COMP_POINT=${#COMP_LINE}
		"$fn" ksleuth "$1" ksleuth
		printf "%s\n" "${COMPREPLY[@]}"' _ "$1"
}
complete_words "" >"$KS_TMP/tab" 2>"$KS_TMP/tab.err"
check_eq "bash completion loads by name (exit 0)" "$?" 0
missing=$(while read -r c; do grep -qx -- "$c" "$KS_TMP/tab" || echo "$c"; done <"$KS_TMP/cmds")
check_eq "ksleuth <TAB> offers every command" "${missing:-none missing}" "none missing"
check_eq "ksleuth d<TAB> offers the commands starting with d" \
	"$(complete_words d 2>&1 | sort | tr '\n' ' ')" "$(grep '^d' "$KS_TMP/cmds" | sort | tr '\n' ' ')"

# --- the unit: what it names is installed
exec_line=$(sed -n 's/^ExecStart=//p' "$UNIT")
read -r -a exec_argv <<<"$exec_line"
check "the unit's ExecStart binary is the package's" grep -qx "${exec_argv[0]}" "$KS_TMP/files"
man_resolves() { man -w "$@" >/dev/null 2>&1; }
for doc in $(sed -n 's/^Documentation=//p' "$UNIT"); do
	case $doc in
	man:*) page=${doc#man:}; sec=${page#*(}; sec=${sec%)}
	       check "the unit's Documentation= $doc resolves" man_resolves "$sec" "${page%%(*}" ;;
	file:*) check "the unit's Documentation= $doc is installed" grep -qx "${doc#file:}" "$KS_TMP/files" ;;
	*) fail "the unit's Documentation= $doc: not a man: or file: link" ;;
	esac
done
check_exit "systemd-analyze verify accepts the unit" 0 systemd-analyze verify "$UNIT"
check "the unit is not enabled" test ! -e /etc/systemd/system/multi-user.target.wants/ksleuth-agent.service

# --- the agent as the unit runs it: on the unit's port when it is free,
# else on a port of its own (never disturbing an agent already there)
listen=$(sed -n 's/.*--listen \([^ ]*\).*/\1/p' <<<"$exec_line")
if ss -Hltn "sport = :${listen##*:}" | grep -q .; then
	echo "  note: ${listen} is taken; the agent gets a port of its own"
	listen=127.0.0.1:0
fi
for i in "${!exec_argv[@]}"; do
	[ "${exec_argv[$i]}" = --listen ] && exec_argv[i+1]=$listen
done
if [ -d /run/systemd/system ]; then
	if [ "$listen" = 127.0.0.1:0 ]; then
		mkdir -p /run/systemd/system/ksleuth-agent.service.d
		printf '[Service]\nExecStart=\nExecStart=%s\n' "${exec_argv[*]}" \
			>/run/systemd/system/ksleuth-agent.service.d/port.conf
	fi
	systemctl daemon-reload
	check "systemctl start ksleuth-agent" systemctl start ksleuth-agent
	AGENT_PID=$(systemctl show -p MainPID --value ksleuth-agent)
	[ "$AGENT_PID" = 0 ] && AGENT_PID=
	log_cmd() { journalctl -u ksleuth-agent --no-pager -o cat; }
else
	echo "  note: systemd is not PID 1 here: running the unit's ExecStart as it says"
	mkdir -p /var/log/ksleuth # the unit's LogsDirectory=ksleuth
	"${exec_argv[@]}" 2>"$KS_TMP/agent.err" &
	AGENT_PID=$!
	log_cmd() { cat "$KS_TMP/agent.err"; }
fi
url=
for _ in $(seq 1 50); do
	url=$(log_cmd 2>/dev/null | grep -o 'http://[0-9.]*:[0-9]*/metrics' | tail -1)
	[ -n "$url" ] && break
	[ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2>/dev/null || break
	sleep 0.2
done
if [ -z "$url" ]; then
	fail "the agent did not start: $(log_cmd 2>&1 | tail -n 3 | tr '\n' ' ' | head -c 400)"
else
	sleep 1.5
	curl -s -m 5 "$url" >"$KS_TMP/metrics.txt"
	n=$(awk '/^ksleuth_sched_wait_seconds_count/{s+=$2} END{print s+0}' "$KS_TMP/metrics.txt")
	check_ge "the unit's agent serves metrics ($url): run-queue waits counted" "$n" 1
	check "the agent writes its events log in the unit's LogsDirectory" test -e /var/log/ksleuth/events.jsonl
fi
if [ -d /run/systemd/system ]; then
	check "systemctl stop ksleuth-agent" systemctl stop ksleuth-agent
else
	kill -TERM "$AGENT_PID"; ks_wait "$AGENT_PID" 5 "the unit's agent after SIGTERM"
	check_eq "the unit's agent exits 0 on SIGTERM" "$?" 0
fi
AGENT_PID=

# --- purge: nothing it installed or made is left
if ! DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq ksleuth >"$KS_TMP/purge.log" 2>&1; then
	fail "apt-get purge ksleuth: $(tail -n 5 "$KS_TMP/purge.log" | tr '\n' ' ' | head -c 400)"
fi
check_eq "dpkg knows no ksleuth after purge" \
	"$(dpkg-query -W -f='${Status}' ksleuth 2>/dev/null | grep -v 'not-installed' || echo none)" none
left=$(while read -r f; do
	# shared directories (/usr/bin, /usr/share/doc, /lib) stay; its own do not
	if [ -d "$f" ]; then
		case $f in */ksleuth) [ -e "$f" ] && echo "$f" ;; esac
	elif [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; fi
done <"$KS_TMP/files")
check_eq "purge left none of the package's files" "${left:-nothing}" nothing
left=$(ls -d /var/log/ksleuth /var/log/private/ksleuth /etc/systemd/system/*ksleuth* \
	/var/lib/systemd/deb-systemd-helper-enabled/*ksleuth* \
	/var/lib/systemd/deb-systemd-helper-masked/*ksleuth* 2>/dev/null | tr '\n' ' ')
check_eq "purge left no log directory, unit or unit state" "${left:-nothing}" nothing
who=$(getent passwd ksleuth; getent group ksleuth)
check_eq "no ksleuth user or group (the unit's user is dynamic)" "${who:-none}" none
