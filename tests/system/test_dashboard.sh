#!/bin/bash
# test_dashboard.sh — every query of contrib/grafana/ksleuth.json against a
# real Prometheus (loopback, 1 s scrapes, the contrib rules loaded, its own
# storage) that scraped a real agent (--bpf-stats) and node_exporter while
# a BH-off kernel hog stalled the receive CPU of the network test bed under
# load: each panel target, its template variables replaced as Grafana
# does, must answer "success" with at least one finite value. The JSON's
# shape (datasource variable, a description on every panel, only metrics
# the agent, the rules, Prometheus or node_exporter define) is checked
# first. ~1 min.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd promtool
require_cmd prometheus
require_cmd prometheus-node-exporter
require_cmd jq
require_cmd curl
require_cmd python3
require_cmd iperf3
[ "$(nr_cpus)" -ge 2 ] || { skip "needs 2 CPUs (a receive CPU the hog stalls, one for the load)"; exit 0; }
RX=1
DASH=$KS_ROOT/contrib/grafana/ksleuth.json
RULES=$KS_ROOT/contrib/prometheus/ksleuth.rules.yml

# Targets that may stay empty here, "TITLE/REFID reason" a line. Every other
# target must have data; keep this list short (now: none).
EXEMPT=""
# Targets that must also show the condition made here: "TITLE/REFID MIN" (the
# largest finite value in the answer >= MIN).
SHOWS="Incidents in range/A 1
Longest stall/A 0.4
NET_RX delay, last 60 s/A 0.2
Alerts firing/A 2
Retransmits/A 1
NET_RX delay/A 0.2
Stall length/C 0.4
Culprits (top 10 in range)/A 0.4
BPF run time/A 0.000001
Collection ticks/A 0.5"

# --- the JSON itself
if ! jq -e . "$DASH" >/dev/null 2>"$KS_TMP/jq.err"; then
	fail "ksleuth.json is not JSON: $(head -c 300 "$KS_TMP/jq.err")"; exit 1; fi
pass "ksleuth.json parses"
jqe() { jq -e "$@" >/dev/null; }
check "schemaVersion for Grafana 9/10 (36..39)" jqe '.schemaVersion >= 36 and .schemaVersion <= 39' "$DASH"
check "datasource template variable DS_PROMETHEUS (type datasource, prometheus)" \
	jqe '[.templating.list[] | select(.name=="DS_PROMETHEUS" and .type=="datasource" and .query=="prometheus")] | length == 1' "$DASH"
check "instance variable from label_values" \
	jqe '[.templating.list[] | select(.name=="instance" and (.query | test("^label_values\\(")))] | length == 1' "$DASH"
check_eq "every panel and target uses \${DS_PROMETHEUS}" \
	"$(jq '[.panels[] | select(.type!="row") | .datasource, .targets[].datasource | select(.uid != "${DS_PROMETHEUS}")] | length' "$DASH")" 0
nodesc=$(jq -r '.panels[] | select(.type!="row" and ((.description // "") | length) < 40) | .title' "$DASH")
check_eq "every panel has a description (none:${nodesc:- all have})" "$(echo "$nodesc" | grep -c .)" 0
check_eq "panel ids unique" "$(jq '[.panels[].id] | length - (unique | length)' "$DASH")" 0
check_eq "no two panels overlap on the grid" "$(jq '[.panels[] | .gridPos as $g | range($g.x; $g.x + $g.w) as $x |
	range($g.y; $g.y + $g.h) as $y | "\($x),\($y)"] | length - (unique | length)' "$DASH")" 0

# every target: "title<TAB>refId<TAB>instant<TAB>expr"
jq -r '.panels[] | select(.type!="row") | .title as $t | .targets[] |
	[$t, .refId, (.instant // false | tostring), .expr] | @tsv' "$DASH" >"$KS_TMP/targets.tsv"
NT=$(grep -c . "$KS_TMP/targets.tsv")
check_ge "targets in the dashboard" "$NT" 20

if promtool check rules "$RULES" >"$KS_TMP/rules.out" 2>&1; then
	pass "promtool check rules contrib/prometheus/ksleuth.rules.yml"
else
	fail "promtool check rules: $(tail -c 400 "$KS_TMP/rules.out")"
fi

# --- the agent, node_exporter and Prometheus on free loopback ports
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
EVENTS=$KS_TMP/events.jsonl
T0=$(date +%s)
ks_bg AGENT "$KS" agent --listen 127.0.0.1:0 --bpf-stats --events "$EVENTS" 2>"$KS_TMP/agent.err"
PORT=
for _ in $(seq 1 50); do
	PORT=$(grep -o 'http://127.0.0.1:[0-9]*' "$KS_TMP/agent.err" | head -1 | sed 's/.*://')
	[ -n "$PORT" ] && grep -q collecting "$KS_TMP/agent.err" && break
	kill -0 "$AGENT" 2>/dev/null || break
	sleep 0.2
done
if [ -z "$PORT" ] || ! kill -0 "$AGENT" 2>/dev/null; then
	fail "agent did not start: $(head -c 400 "$KS_TMP/agent.err")"; exit 1; fi
NPORT=$(freeport)
ks_bg NODE prometheus-node-exporter --web.listen-address="127.0.0.1:$NPORT" \
	--collector.disable-defaults --collector.softnet --log.level=warn >"$KS_TMP/node.log" 2>&1
PPORT=$(freeport)
mkdir -p "$KS_TMP/prom"
cat >"$KS_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $RULES
scrape_configs:
  - job_name: ksleuth
    static_configs:
      - targets: ['127.0.0.1:$PORT']
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$NPORT']
EOF
ks_bg PROM prometheus --config.file="$KS_TMP/prometheus.yml" --storage.tsdb.path="$KS_TMP/prom" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn >"$KS_TMP/prom.log" 2>&1
P=http://127.0.0.1:$PPORT
q() { curl -s -m 5 --get "$P/api/v1/query" --data-urlencode "query=$1" |
	jq -r '.data.result[0].value[1] // "none"'; }
ready=0
for _ in $(seq 1 60); do
	[ "$(q 'count(up == 1)')" = 2 ] && { ready=1; break; }
	sleep 0.5
done
if [ $ready = 1 ]; then pass "Prometheus scrapes the agent and node_exporter (up == 1)"; else
	fail "Prometheus never scraped both targets: $(tail -c 400 "$KS_TMP/prom.log" "$KS_TMP/node.log")"; exit 1; fi

# --- the condition: BH-off runs on the receive CPU under veth load
# (retransmits, softnet drops, NET_RX held 500 ms: incidents, alerts), and
# an answer other than 200 for the scrape-error panel
ks_netbed_up $RX || exit 1
ks_bg LOAD "$KS" netbed load "$BED" -c $RX -d 14s >/dev/null
sleep 3
"$KS_HOG" --mode kernel-bh -c $RX --run 500ms --gap 1500ms -n 3 >"$KS_TMP/hog.out" 2>&1 ||
	fail "hog: $(head -c 300 "$KS_TMP/hog.out")"
check_eq "the agent answers an unknown path 404" \
	"$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/nope")" 404
ks_wait "$LOAD" 30 "netbed load"
# the engine settles an incident a few seconds after the stall; the
# alerts need one rule evaluation after the scrape that shows it
firing=
for _ in $(seq 1 40); do
	firing=$(curl -s -m 5 --get "$P/api/v1/query" --data-urlencode \
		'query=ALERTS{alertname=~"KsleuthIncident|KsleuthNetRxStalled",alertstate="firing"}' |
		jq -r '[.data.result[].metric.alertname] | unique | join(",")')
	[ "$firing" = "KsleuthIncident,KsleuthNetRxStalled" ] && break
	sleep 0.5
done
check_eq "alerts firing in the test Prometheus" "$firing" "KsleuthIncident,KsleuthNetRxStalled"
echo "  --events: $(jq -r '"\(.type) \(.mechanism) cpu \(.cpu) \(.stall_ns / 1e6 | floor) ms \(.culprit.comm // "-")"' \
	"$EVENTS" 2>/dev/null | tr '\n' ';')"

# --- every target, its variables replaced as Grafana does: $instance and
# $host (regex-escaped in a PromQL string: \\.), $__rate_interval = 4 x the
# scrape interval, $__interval = the step, $__range = since the agent
# started. Range targets are asked over that window (as a time series panel
# asks), instant ones at its end.
END=$(date +%s)
RANGE=$(( END - T0 + 1 ))
INST='127\\.0\\.0\\.1:'$PORT
HOST='127\\.0\\.0\\.1'
subst() {
	local e=$1
	e=${e//\$__rate_interval/4s}
	e=${e//\$__interval/1s}
	e=${e//\$__range/${RANGE}s}
	e=${e//\$instance/"$INST"}
	e=${e//\$host/"$HOST"}
	printf '%s' "$e"
}
# finite: at least one value that is a number (not NaN or +-Inf)
FINITE='[.data.result[] | (.value // empty), (.values // [] | .[]) | .[1] |
	select(. != "NaN" and . != "+Inf" and . != "-Inf") | tonumber]'
nok=0
while IFS=$'\t' read -r title ref instant expr; do
	e=$(subst "$expr")
	if grep -q '\$[A-Za-z_{]' <<<"$e"; then
		fail "$title/$ref: a template variable the test does not replace: $e"; continue; fi
	if [ "$instant" = true ]; then
		curl -s -m 10 --get "$P/api/v1/query" --data-urlencode "query=$e" \
			--data-urlencode "time=$END" >"$KS_TMP/ans.json"
	else
		curl -s -m 10 --get "$P/api/v1/query_range" --data-urlencode "query=$e" \
			--data-urlencode "start=$T0" --data-urlencode "end=$END" \
			--data-urlencode "step=1" >"$KS_TMP/ans.json"
	fi
	st=$(jq -r '.status // "no answer"' "$KS_TMP/ans.json" 2>/dev/null)
	n=$(jq -r "$FINITE | length" "$KS_TMP/ans.json" 2>/dev/null)
	reason=$(grep -F "$title/$ref " <<<"$EXEMPT" | cut -d' ' -f2-)
	want=$(grep -F "$title/$ref " <<<"$SHOWS" | awk '{print $NF}')
	if [ "$st" != success ]; then
		fail "$title/$ref: status $st ($(jq -r '.error // empty' "$KS_TMP/ans.json" | head -c 200)): $e"
	elif [ "${n:-0}" -gt 0 ]; then
		nok=$((nok + 1))
		if [ -n "$want" ]; then
			mx=$(jq -r "$FINITE | max" "$KS_TMP/ans.json")
			check "$title/$ref shows the stall: max $mx >= $want" awk -v a="$mx" -v b="$want" 'BEGIN{exit !(a + 0 >= b + 0)}'
		fi
	elif [ -n "$reason" ]; then
		skip "$title/$ref empty: $reason"
	else
		fail "$title/$ref: no finite value ($(head -c 200 "$KS_TMP/ans.json")): $e"
	fi
done <"$KS_TMP/targets.tsv"
check_eq "dashboard targets with data in the real Prometheus" "$nok" "$NT"

# --- the dashboard names only metrics that exist: each name in an
# expression (a word before a '{') is in a scrape of the agent or node_exporter (histograms by
# their _bucket series), a recording rule, or Prometheus' own
curl -s -m 5 "http://127.0.0.1:$PORT/metrics" "http://127.0.0.1:$NPORT/metrics" >"$KS_TMP/scrapes.txt"
known() {
	case $1 in up | ALERTS | scrape_duration_seconds | scrape_samples_scraped) return 0 ;; esac
	grep -q "^  *- record: $1\$" "$RULES" && return 0
	grep -q "^# TYPE $1 " "$KS_TMP/scrapes.txt" && return 0
	case $1 in *_bucket) grep -q "^# TYPE ${1%_bucket} histogram" "$KS_TMP/scrapes.txt" ;; *) return 1 ;; esac
}
names=$(cut -f4 "$KS_TMP/targets.tsv" | sed 's/"[^"]*"//g' |
	grep -oE '[a-zA-Z_:][a-zA-Z0-9_:]*\{' | tr -d '{' | sort -u)
unknown=
for m in $names; do known "$m" || unknown="$unknown $m"; done
check_eq "metrics the dashboard uses ($(echo $names | wc -w)) all exist (unknown:${unknown:- none})" \
	"$(echo $unknown | wc -w)" 0
echo "  window ${RANGE}s, $NT targets"
