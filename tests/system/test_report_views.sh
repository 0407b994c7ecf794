#!/bin/bash
# test_report_views.sh — `ksleuth report FILE --html/--perfetto/--folded`
# on a real recording of the demo's broken run. The HTML page opens in
# headless Chromium with no console error, its lanes, bands and flame
# graph are in the DOM Chromium built, and its screenshot is drawn; the
# trace-event JSON keeps to the documented fields; the folded stacks are
# well formed. The culprit everywhere is the hog by its own record (pid).
. "$(dirname "$0")/lib.sh"
require_root
require_cmd jq
require_cmd python3
require_cmd chromium

R=$KS_TMP/demo.ksl
timeout 90 "$KS" demo --broken --duration 12s --json --record "$R" >"$KS_TMP/live.json" 2>"$KS_TMP/live.err"
rc=$?
[ -s "$R" ] || { fail "demo --record wrote no recording (exit $rc): $(tail -c 300 "$KS_TMP/live.err")"; exit 1; }
hog_pid=$(jq -r 'select(.type=="hog_start" or .type=="hog_run") | .pid' "$KS_TMP/live.json" | head -1)
inc_pid=$(jq -r 'select(.type=="incident") | .culprit.pid' "$KS_TMP/live.json" | head -1)
if [ "$rc" != 0 ] || [ "$inc_pid" != "$hog_pid" ]; then
	skip "the demo did not reproduce here (exit $rc, incident culprit ${inc_pid:-none}, hog ${hog_pid:-?}): nothing to draw"
	exit 0
fi

H=$KS_TMP/r.html P=$KS_TMP/r.json D=$KS_TMP/r.folded
t0=$(date +%s%N)
check_exit "report --html --perfetto --folded: exit 3 (the incident)" 3 \
	"$KS" report "$R" --html "$H" --perfetto "$P" --folded "$D"
echo "  report with three pictures: $(( ($(date +%s%N) - t0) / 1000000 )) ms; html $(stat -c %s "$H") B, trace $(stat -c %s "$P") B"
check_le "the HTML page of a 12 s demo run is under 2 MB" "$(stat -c %s "$H")" 2000000
check_eq "the page fetches nothing and runs nothing" "$(grep -Eci '<script|src=|href=|@import|url\(' "$H")" 0

# Chromium: the DOM it built from the page, a screenshot, its console
CH=(chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1240,1000
    --user-data-dir="$KS_TMP/chrome" --enable-logging=stderr --v=0)
timeout 60 "${CH[@]}" --dump-dom "file://$H" >"$KS_TMP/dom.html" 2>"$KS_TMP/chrome.err"
check "Chromium opened the page" test -s "$KS_TMP/dom.html"
check_eq "no console error or refused load" "$(grep -Eci 'CONSOLE.*(error|uncaught)|Refused to|Failed to load' "$KS_TMP/chrome.err")" 0
ncpu=$(nr_cpus)
check_eq "a lane per CPU ($ncpu)" "$(grep -o 'id="lane-[0-9]*"' "$KS_TMP/dom.html" | sort -u | wc -l)" "$ncpu"
check_ge "an incident band" "$(grep -c 'id="band-1"' "$KS_TMP/dom.html")" 1
check_ge "the culprit's stalls drawn as culprit" "$(grep -o 'class="stall culprit"' "$KS_TMP/dom.html" | wc -l)" 1
check_grep "... named with the hog's own pid $hog_pid" "\\(pid $hog_pid, " "$KS_TMP/dom.html"
check_ge "a flame graph of frames" "$(grep -o 'class="frame f' "$KS_TMP/dom.html" | wc -l)" 3
check_eq "three tracks (retransmits, drops, NET_RX delay)" "$(grep -o 'id="track-[0-9]"' "$KS_TMP/dom.html" | wc -l)" 3
timeout 60 "${CH[@]}" --screenshot="$KS_TMP/shot.png" "file://$H" >/dev/null 2>&1
check_ge "Chromium drew a screenshot (bytes)" "$(stat -c %s "$KS_TMP/shot.png" 2>/dev/null || echo 0)" 20000
[ -n "$KS_SHOT" ] && cp "$KS_TMP/shot.png" "$KS_SHOT"

# the trace events: documented fields and kinds only
python3 - "$P" "$hog_pid" "$ncpu" >"$KS_TMP/pf.out" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
hog, ncpu = int(sys.argv[2]), int(sys.argv[3])
ev = d["traceEvents"]
assert isinstance(ev, list) and ev, "no traceEvents"
names = {"M": {"name", "ph", "pid", "tid", "args"},
         "X": {"name", "cat", "ph", "ts", "dur", "pid", "tid", "args"},
         "C": {"name", "ph", "ts", "pid", "args"},
         "i": {"name", "cat", "ph", "s", "ts", "pid", "tid", "args"}}
for e in ev:
    assert e["ph"] in names, e
    assert set(e) == names[e["ph"]], e
    assert isinstance(e["name"], str) and isinstance(e["pid"], int)
    if "ts" in e:
        assert isinstance(e["ts"], int) and e["ts"] >= 0, e
    if e["ph"] == "X":
        assert isinstance(e["dur"], int) and e["dur"] >= 0, e
    if e["ph"] == "C":
        assert all(isinstance(v, (int, float)) for v in e["args"].values()), e
    if e["ph"] == "i":
        assert e["s"] in ("g", "p", "t"), e
threads = [e for e in ev if e["ph"] == "M" and e["name"] == "thread_name"]
assert len(threads) == ncpu, threads
culprit = [e for e in ev if e["ph"] == "X" and e["cat"] == "culprit"]
assert culprit and all(e["name"].endswith("(pid %d)" % hog) for e in culprit), culprit[:2]
counters = {e["name"] for e in ev if e["ph"] == "C"}
assert counters == {"retransmits/s", "drops/s", "NET_RX delay (ms)"}, counters
print("ok", len(ev), "events,", len(culprit), "culprit spans")
PY
check_grep "trace events: documented fields only, the hog as culprit" "^ok " "$KS_TMP/pf.out"

check_eq "folded: every line 'name;frame;... N'" "$(grep -cvE '^[^ ;]+(;[^ ;]+)+ [0-9]+$' "$D")" 0
check_ge "folded: the hog's stacks are there" "$(grep -c "^ksleuth-hog;\|^ksleuth;" "$D")" 1

# an OUT that cannot be written: one sentence, exit 1, nothing left
check_exit "--html into a missing directory: exit 1" 1 "$KS" report "$R" --html "$KS_TMP/no/such/dir/r.html"
check_grep "... says which file" "cannot write .*r.html" "$KS_TMP/err"
check_eq "... and leaves no file" "$(ls "$KS_TMP/no" 2>/dev/null | wc -l)" 0
