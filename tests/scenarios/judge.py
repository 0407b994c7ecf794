#!/usr/bin/env python3
"""judge.py — the scenario corpus's judge: one case's doctor output against
the scenario's expected verdict and the fault's own records (the hog's pid
and clock), and the accuracy table over all cases.

  judge.py case DIR    one JSON row for DIR (meta, doctor.json, fault.json)
  judge.py line DIR    the same as one PASS/FAIL line
  judge.py table ROWS  the table and the totals, from the rows (JSON Lines)
  judge.py detail DIR  what a failed case's verdict rests on: the counters'
                       seconds and each incident's seconds, for the log
"""
import json
import sys

MS = 1_000_000
# A stall line is due within 1 s of the stall's end, an incident within
# 3 s of its last spike second's end (the targets, docs/accuracy.md). The doctor
# writes an incident at its once-a-second tick, a few ms past the second:
# the third tick after the spike (3.0x s) is within 3 s at that
# resolution, the fourth (4.0x s) is not.
STALL_LATENCY_NS = 1000 * MS
INCIDENT_LATENCY_NS = 3100 * MS


def records(path):
    out = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        out.append({"type": "unparsable", "text": line[:200]})
    except OSError:
        pass
    return out


def meta(d):
    m = {}
    try:
        with open(d + "/meta") as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                m[k] = v
    except OSError:
        pass
    return m


def hog_facts(fault):
    """The hog's pid and its longest run by its own clocks: in the kernel
    (the BPF program's first and last clock reads) and on the wall (around
    the run, from user space)."""
    pid = None
    krun = wrun = 0
    runs = 0
    for r in fault:
        if r.get("type") == "hog_start":
            pid = r.get("pid")
        elif r.get("type") == "hog_run":
            runs += 1
            w = r.get("end_ns", 0) - r.get("start_ns", 0)
            k = r.get("kend_ns", 0) - r.get("kstart_ns", 0)
            wrun = max(wrun, w)
            krun = max(krun, k if k > 0 else w)
    return pid, krun, wrun, runs


def culprit_right(rec, hog):
    c = rec.get("culprit")
    if hog is None:
        return c is None
    if c is not None:
        return c.get("pid") == hog
    # a silence that ended in user mode: no culprit, the task named in the summary
    return rec.get("mechanism") == "cpu_not_running" and ("pid %d" % hog) in rec.get("summary", "")


def last_spike_end(inc):
    spikes = [s["start_ns"] for s in inc.get("seconds", []) if s.get("spike")]
    return max(spikes) + 1000 * MS if spikes else inc.get("end_ns", 0)


def fault_window(fault):
    """[start, end] of the fault on CLOCK_MONOTONIC: the hog's runs by its
    own clock, or the marks a scenario without a hog writes."""
    runs = [(r["start_ns"], r["end_ns"]) for r in fault if r.get("type") == "hog_run"]
    if runs:
        return min(a for a, _ in runs), max(b for _, b in runs)
    st = [r["ns"] for r in fault if r.get("type") == "fault_start"]
    en = [r["ns"] for r in fault if r.get("type") == "fault_end"]
    return (st[0], en[-1]) if st and en else None


# the doctor's spike bars (docs/doctor.md): retransmits a second (at 10x
# the baseline) and drops a second
RETRANS_BAR, DROPS_BAR = 50, 100


def net_harmed(samples, win):
    """Did the network suffer during the fault, by the kernel's own
    counters (counters.py)? Each second's retransmitted segments and
    receive-CPU drops against the doctor's spike bars: True well over them
    (2x), False under them, None in between, where either verdict is
    accepted. The fault's window reaches 2 s past its end: retransmit
    timers fire after it."""
    if win is None or len(samples) < 3:
        return None
    secs = []
    for a, b in zip(samples, samples[1:]):
        secs.append((a["ns"], b["ns"], b["retrans_segs"] - a["retrans_segs"], b["rx_drops"] - a["rx_drops"]))
    # the lower median: the seconds before a fault are few (3), and the
    # first may still carry the start of the load
    base = sorted(r for t0, t1, r, _ in secs if t1 <= win[0]) or [0]
    base_r = max(base[(len(base) - 1) // 2], 1)
    inside = [(r, d) for t0, t1, r, d in secs if t1 > win[0] and t0 < win[1] + 2000 * MS]
    if not inside:
        return None
    if any((r >= 2 * RETRANS_BAR and r >= 10 * base_r) or d >= 2 * DROPS_BAR for r, d in inside):
        return True
    if all((r < RETRANS_BAR or r < 10 * base_r) and d < DROPS_BAR for r, d in inside):
        return False
    return None


def check(expect, ctx):
    """(got, the record that answers the expectation, [what is wrong])"""
    kind, _, mechs = expect.partition(":")
    mechs = mechs.split("|") if mechs else []
    incs, fnds, rc, hog_pid = ctx["incs"], ctx["fnds"], ctx["rc"], ctx["hog_pid"]
    why = []
    got = ",".join(sorted({i["mechanism"] for i in incs})) or "none"
    primary = None
    if kind == "incident":
        primary = incs[0] if incs else None
        if not incs:
            why.append("no incident")
        for i in incs:
            if i["mechanism"] not in mechs:
                why.append("incident #%s is %s" % (i.get("id"), i["mechanism"]))
            elif not culprit_right(i, hog_pid):
                why.append("incident #%s names %s" % (i.get("id"), (i.get("culprit") or {}).get("comm", "no culprit")))
        if rc != 3:
            why.append("exit %d, not 3" % rc)
    elif kind == "finding":
        # the longest: a waiter woken after a hold began sees only its rest
        match = [f for f in fnds if f["mechanism"] in mechs and culprit_right(f, hog_pid)]
        primary = max(match, key=lambda f: f.get("irq_gap_ns") or f.get("stall_ns", 0)) if match else None
        if not incs and primary:
            got = "finding:" + primary["mechanism"]
        if incs:
            why.append("%d incident(s): %s" % (len(incs), got))
        if not primary:
            why.append("no %s finding naming the fault" % "|".join(mechs))
        if rc != 0:
            why.append("exit %d, not 0" % rc)
    else:
        # a control: no incident and exit 0. Findings (a CPU held >= 100 ms
        # without harm to the network) may be true there and are counted,
        # not failed: the table shows them
        if incs:
            why.append("%d incident(s): %s" % (len(incs), got))
        if rc != 0:
            why.append("exit %d, not 0" % rc)
    false_alarms = sum(1 for i in incs if kind != "incident" or i["mechanism"] not in mechs
                       or not culprit_right(i, hog_pid))
    return got, primary, why, false_alarms


def judge(d):
    m = meta(d)
    doc = records(d + "/doctor.json")
    fault = records(d + "/fault.json")
    want_culprit = m.get("culprit", "none")
    hog, krun, wrun, runs = hog_facts(fault)
    hog_pid = hog if want_culprit == "fault" else None
    summ = next((r for r in doc if r.get("type") == "summary"), {})
    ctx = {"incs": [r for r in doc if r.get("type") == "incident"],
           "fnds": [r for r in doc if r.get("type") == "finding"],
           "rc": int(m.get("doctor_rc", "-1") or -1), "hog_pid": hog_pid}
    win = fault_window(fault)
    samples = [r for r in records(d + "/counters.json") if "ns" in r]
    harmed = net_harmed(samples, win)
    win_r = [b["retrans_segs"] - a["retrans_segs"] for a, b in zip(samples, samples[1:])
             if win and b["ns"] > win[0] and a["ns"] < win[1] + 2000 * MS]
    win_d = [b["rx_drops"] - a["rx_drops"] for a, b in zip(samples, samples[1:])
             if win and b["ns"] > win[0] and a["ns"] < win[1] + 2000 * MS]

    # the expectation: the scenario's, or where the fault left the network
    # unharmed its other one; either where the counters cannot tell
    expects = [m.get("expect", "none")]
    if m.get("expect_unharmed"):
        if harmed is False:
            expects = [m["expect_unharmed"]]
        elif harmed is None:
            expects.append(m["expect_unharmed"])
    results = [(e,) + check(e, ctx) for e in expects]
    expect, got, primary, why, false_alarms = next((r for r in results if not r[3]), results[0])

    why = list(why)
    if not summ:
        why.append("no summary from the doctor")
    if want_culprit == "fault" and runs == 0:
        why.append("the fault did not run (no hog_run record)")
    if m.get("fault_rc", "0") != "0":
        why.append("the fault's script failed (exit %s)" % m.get("fault_rc"))
    row = {"scenario": m.get("scenario"), "load": m.get("load"), "expect": expect,
           "harmed": harmed, "max_retrans_s": max(win_r) if win_r else None,
           "max_drops_s": max(win_d) if win_d else None,
           "incidents": len(ctx["incs"]), "findings": len(ctx["fnds"]), "doctor_rc": ctx["rc"],
           "retransmits": summ.get("retransmits"), "got": got, "false_alarms": false_alarms}

    # culprit: right or wrong against the fault's own pid (or no task)
    row["culprit"] = "-" if primary is None else "right" if culprit_right(primary, hog_pid) else "wrong"

    # stall length against the hog's own clock: at most 1.1x its longest
    # wall-clock run + 20 ms (a tick and the hold watch's edge); at least
    # 80% of its longest run in the kernel where the stall measures the
    # hold itself (NET_RX held off, a silence). A task's wait measures
    # only what it saw: a waiter woken during a FIFO hold waited 407 ms
    # of 700 in one CI run, so there the floor is the 100 ms threshold.
    row["hog_ms"] = round(krun / MS) if krun else None
    row["stall_ms"] = None
    if primary is not None and hog_pid is not None and krun:
        st = primary.get("irq_gap_ns") or primary.get("stall_ns", 0)
        row["stall_ms"] = round(st / MS)
        whole = primary.get("type") == "incident" and primary.get("mechanism") in (
            "softirq_blocked", "cpu_not_running")
        floor = 0.8 * krun if whole else 100 * MS
        if not (floor <= st <= 1.1 * wrun + 20 * MS):
            why.append("stall %d ms against the hog's %d ms (wall %d ms)" % (st / MS, krun / MS, wrun / MS))

    # latency: the incident line after its last spike second, the stall
    # lines naming the hog after their stall's end
    row["incident_latency_ms"] = None
    if primary is not None and primary.get("type") == "incident" and "emitted_ns" in primary:
        lat = primary["emitted_ns"] - last_spike_end(primary)
        row["incident_latency_ms"] = round(lat / MS)
        if lat > INCIDENT_LATENCY_NS:
            why.append("incident line %.1f s after the last spike second" % (lat / 1e9))
    lats = [s["emitted_ns"] - s["end_ns"] for s in doc
            if s.get("type") == "stall" and not s.get("ongoing") and hog_pid is not None
            and (s.get("culprit") or {}).get("pid") == hog_pid and "emitted_ns" in s]
    row["stall_latency_ms"] = round(max(lats) / MS) if lats else None
    if lats and max(lats) > STALL_LATENCY_NS:
        why.append("a stall line %.1f s after its stall's end" % (max(lats) / 1e9))
    row["ok"] = not why
    row["why"] = "; ".join(why)
    return row


def _int(m, k):
    try:
        return int(m.get(k, ""))
    except ValueError:
        return None


def _exists(p):
    try:
        open(p).close()
        return True
    except OSError:
        return False


def line(row):
    name = "%s/%s" % (row["scenario"], row["load"])
    detail = "expected %s, got %s, culprit %s" % (row["expect"], row["got"], row["culprit"])
    if row["stall_ms"] is not None:
        detail += ", stall %d ms (hog %d ms)" % (row["stall_ms"], row["hog_ms"])
    if row["incident_latency_ms"] is not None:
        detail += ", incident %.1f s after the last spike" % (row["incident_latency_ms"] / 1000)
    if row["ok"]:
        return "PASS %s: %s" % (name, detail)
    return "FAIL %s: %s (%s)" % (name, detail, row["why"])


def fmt(v, unit=""):
    return "-" if v is None else "%s%s" % (v, unit)


def table(rows):
    head = ("scenario", "load", "net harmed (max retrans/drops a second)", "expected", "got", "culprit",
            "findings", "stall ms", "hog ms",
            "stall line ms", "incident line s", "ok")
    lines = [head]
    for r in rows:
        harm = "%s (%s/%s)" % ({True: "yes", False: "no", None: "near the bar"}[r["harmed"]],
                               fmt(r["max_retrans_s"]), fmt(r["max_drops_s"]))
        lines.append((r["scenario"], r["load"], harm, r["expect"].replace("incident:", ""), r["got"], r["culprit"],
                      str(r["findings"]),
                      fmt(r["stall_ms"]), fmt(r["hog_ms"]), fmt(r["stall_latency_ms"]),
                      "-" if r["incident_latency_ms"] is None else "%.1f" % (r["incident_latency_ms"] / 1000),
                      "yes" if r["ok"] else "NO: " + r["why"]))
    out = ["| " + " | ".join(l) + " |" for l in lines]
    out.insert(1, "|" + "---|" * len(head))
    n = len(rows)
    ok = sum(1 for r in rows if r["ok"])
    fa = sum(1 for r in rows if r["false_alarms"])
    incs = sum(r["incidents"] for r in rows)
    fa_inc = sum(r["false_alarms"] for r in rows)
    lat = [r["incident_latency_ms"] for r in rows if r["incident_latency_ms"] is not None]
    slat = [r["stall_latency_ms"] for r in rows if r["stall_latency_ms"] is not None]
    out.append("")
    out.append("accuracy: %d of %d cases right (%.0f%%)" % (ok, n, 100.0 * ok / n if n else 0))
    out.append("false alarms: %d of %d cases had an incident they should not (%.0f%%); "
               "%d of %d incidents were false" % (fa, n, 100.0 * fa / n if n else 0, fa_inc, incs))
    if lat:
        out.append("incident line after the last spike second: max %.1f s, median %.1f s"
                   % (max(lat) / 1000, sorted(lat)[len(lat) // 2] / 1000))
    if slat:
        out.append("stall line after the stall's end: max %d ms" % max(slat))
    return "\n".join(out)


def detail(d):
    """The counters' seconds (retransmitted segments/receive-CPU drops,
    seconds from the fault's start) and each incident's seconds as the
    doctor saw them: a CI log carries what a failed case rests on."""
    fault = records(d + "/fault.json")
    win = fault_window(fault)
    t0 = win[0] if win else 0
    samples = [r for r in records(d + "/counters.json") if "ns" in r]
    secs = ["%+.1f:%d/%d" % ((a["ns"] - t0) / 1e9, b["retrans_segs"] - a["retrans_segs"], b["rx_drops"] - a["rx_drops"])
            for a, b in zip(samples, samples[1:])]
    out = ["    counters (s from the fault: retrans/drops): " + " ".join(secs)]
    for r in records(d + "/doctor.json"):
        if r.get("type") == "incident":
            ss = ["%+.1f:%s/%s%s" % ((s["start_ns"] - t0) / 1e9, s.get("retransmits"), s.get("drops"),
                                     "*" if s.get("spike") else "") for s in r.get("seconds", [])]
            out.append("    incident #%s %s: %s | %s" % (r.get("id"), r.get("mechanism"), " ".join(ss),
                                                        r.get("summary", "")[:300]))
        elif r.get("type") in ("finding", "summary"):
            keep = {k: r.get(k) for k in ("mechanism", "start_ns", "stall_ns", "echo_seconds", "spikes") if k in r}
            if "start_ns" in keep:
                keep["start_ns"] = "%+.2f" % ((keep["start_ns"] - t0) / 1e9)
            out.append("    %s %s" % (r["type"], json.dumps(keep)))
    return "\n".join(out)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("case", "line", "table", "detail"):
        sys.exit("usage: judge.py case|line|detail DIR | table ROWS")
    what, arg = sys.argv[1], sys.argv[2]
    if what == "case":
        print(json.dumps(judge(arg)))
    elif what == "line":
        print(line(judge(arg)))
    elif what == "detail":
        print(detail(arg))
    else:
        rows = [json.loads(l) for l in open(arg) if l.strip()] if _exists(arg) else []
        print(table(rows))


if __name__ == "__main__":
    main()
