#!/bin/bash
# test_json.sh — every command's --json output against docs/json.md: each
# line parses, starts with "type" then "command", its type is documented
# for the command that wrote it, and every field the page marks "always"
# for that type is present. Each command runs briefly (-d); the doctor,
# agent, napi and retrans watch one broken demo run, which gives them
# stalls, spikes, an incident, NAPI polls and retransmits to write about.
source "$(dirname "$0")/lib.sh"
require_root
require_cmd jq

DOC=$KS_ROOT/docs/json.md
OUT=$KS_TMP/out
mkdir -p "$OUT"

# The schema from the page, {"TYPE/COMMAND":[[path]...]} (the fields
# always present), from each "### `TYPE` — CMD, CMD" heading and the rows below it whose
# first cell is one `field` (dots: nested keys) and whose fourth is "always".
SPEC=$(awk '
	/^### `[a-z_]+` — / {
		if (open) printf "]}"
		t = $2; gsub(/`/, "", t)
		c = $0; sub(/^### `[a-z_]+` — /, "", c); gsub(/ /, "", c)
		n = split(c, cs, ","); cl = ""
		for (i = 1; i <= n; i++) cl = cl (i > 1 ? "," : "") "\"" cs[i] "\""
		printf "%s{\"type\":\"%s\",\"commands\":[%s],\"always\":[", (nt++ ? "," : "["), t, cl
		first = 1; open = 1; next
	}
	open && /^\| `[a-z_0-9.]+` \|/ {
		split($0, f, "|"); name = f[2]; pres = f[5]
		gsub(/[ `]/, "", name); gsub(/ /, "", pres)
		if (pres == "always") {
			np = split(name, p, "."); pl = ""
			for (i = 1; i <= np; i++) pl = pl (i > 1 ? "," : "") "\"" p[i] "\""
			printf "%s[%s]", (first ? "" : ","), pl; first = 0
		}
		next
	}
	open && /^#/ { printf "]}"; open = 0 }
	END { if (open) printf "]}"; print "]" }
' "$DOC" | jq -c 'map(. as $t | .commands[] | {(($t.type) + "/" + .): $t.always}) | add')
if [ -z "$SPEC" ] || [ "$(jq 'length' <<<"$SPEC")" -lt 30 ]; then
	fail "could not read the record types from docs/json.md"
	exit 1
fi

# check_json NAME FILE CMD: every line of FILE against the page. CMD is the
# command that must have written at least one of its lines.
check_json() {
	local name=$1 file=$2 cmd=$3 bad n
	n=$(grep -c . "$file")
	if [ "$n" -eq 0 ]; then
		fail "$name: no JSON written ($(head -c 300 "$file.err" 2>/dev/null))"
		return
	fi
	bad=$(jq -rR --argjson spec "$SPEC" '
		def has_path($p): if ($p | length) == 1 then has($p[0])
			else has($p[0]) and (.[$p[0]] | type) == "object" and (.[$p[0]] | has_path($p[1:])) end;
		(try fromjson catch null) as $r
		| if ($r | type) != "object" then "not a JSON object: \(.[0:120])"
		elif ($r | keys_unsorted[0:2]) != ["type", "command"] then
			"does not start with type, command: \(.[0:120])"
		elif $spec["\($r.type)/\($r.command)"] == null then
			"type \($r.type) of \($r.command) is not in docs/json.md"
		else ($spec["\($r.type)/\($r.command)"][] | select(. as $p | $r | has_path($p) | not)
			| "\($r.type): no \(join("."))") end' "$file" | sort | uniq -c | head -5)
	if [ -n "$bad" ]; then
		fail "$name: $(echo $bad)"
	else
		pass "$name: $n lines match docs/json.md ($(jq -r .type "$file" | sort -u | paste -sd' '))"
	fi
	check "$name: written by $cmd" jq -se --arg c "$cmd" 'any(.[]; .command == $c)' "$file" >/dev/null
}

# ---- the short commands ---------------------------------------------------
"$KS" info --json >"$OUT/info" 2>"$OUT/info.err"
check_json "info" "$OUT/info" info
"$KS" count t:sched:sched_switch t:irq:softirq_entry --per-cpu -d 2s --json -p $$ >"$OUT/count_pid" 2>"$OUT/count_pid.err"
"$KS" count t:sched:sched_switch --per-cpu -d 2s --json >"$OUT/count" 2>"$OUT/count.err"
check_json "count" "$OUT/count" count
check_json "count -p" "$OUT/count_pid" count
"$KS" runq -d 2s --by cpu --json >"$OUT/runq_cpu" 2>"$OUT/runq_cpu.err"
check_json "runq --by cpu" "$OUT/runq_cpu" runq
"$KS" runq -d 1s --by pid --json >"$OUT/runq_pid" 2>"$OUT/runq_pid.err"
check_json "runq --by pid" "$OUT/runq_pid" runq
# two busy loops per CPU make waits above 1 ms for slow mode to report
ncpu=$(nproc)
busy=()
for ((i = 0; i < 2 * ncpu; i++)); do ks_bg p timeout 3 sh -c 'while :; do :; done'; busy+=("$p"); done
"$KS" runq -d 2s --slower 1ms --ongoing 2ms --json >"$OUT/runq_slow" 2>"$OUT/runq_slow.err"
for p in "${busy[@]}"; do ks_wait "$p" 10 "busy loop"; done
check_json "runq --slower" "$OUT/runq_slow" runq
"$KS" softirq -d 2s --slower 50us --json >"$OUT/softirq" 2>"$OUT/softirq.err"
check_json "softirq --slower" "$OUT/softirq" softirq
"$KS" profile -d 2s --json -- sh -c 'sleep 0.5; exit 3' >"$OUT/profile" 2>"$OUT/profile.err"
check_json "profile -- COMMAND" "$OUT/profile" profile
"$KS" netbed up --owner $$ --json >"$OUT/netbed" 2>"$OUT/netbed.err"
bed=$(jq -r .id "$OUT/netbed" 2>/dev/null)
case $bed in ksl-*) "$KS" netbed down "$bed" ;; esac
check_json "netbed up" "$OUT/netbed" netbed

# ---- one broken demo run, watched by agent, napi and retrans ---------------
ks_bg agent "$KS" agent --listen 127.0.0.1:0 --events "$OUT/agent" 2>"$OUT/agent.err"
ks_bg napi "$KS" napi --stacks -d 16s --json >"$OUT/napi" 2>"$OUT/napi.err"
ks_bg retrans "$KS" retrans --flows -d 16s --json >"$OUT/retrans" 2>"$OUT/retrans.err"
timeout 90 "$KS" demo --broken --duration 10s --json >"$OUT/demo" 2>"$OUT/demo.err"
ks_wait "$napi" 30 "napi"
ks_wait "$retrans" 30 "retrans"
sleep 2 # the agent writes an incident once its window has passed
ks_stop "$agent" "agent"
check_json "demo --broken" "$OUT/demo" demo
check "demo: the hog's own records are written by hog" \
	jq -se 'any(.[]; .type == "hog_start" and .command == "hog")' "$OUT/demo" >/dev/null
check_json "napi --stacks" "$OUT/napi" napi
check_json "retrans --flows" "$OUT/retrans" retrans
if [ -s "$OUT/agent" ]; then
	check_json "agent --events" "$OUT/agent" agent
else
	skip "agent --events: no incident or finding during the demo run"
fi
