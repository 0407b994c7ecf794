#!/usr/bin/env python3
"""check.py — judge one kernel-matrix guest's report (tests/vm/guest.sh).

Usage: check.py NAME KERNEL_CONFIG OUTDIR
Prints one line per check: "PASS vm NAME: ...", "FAIL vm NAME: ..." or
"SKIP vm NAME: ...", as tests/run.sh counts them. The expectations come
from the kernel package itself (its config file), the guest's own
uname/debugfs output, and the hog's own clock, never from ksleuth."""
import json
import os
import re
import sys

NAME, CONFIG, OUTDIR = sys.argv[1], sys.argv[2], sys.argv[3]


def out(kind, msg):
    print(f"{kind} vm {NAME}: {msg}")


FAILS = [0]  # failed checks so far (an accuracy row is right without any)


def check(cond, msg, detail=""):
    out("PASS" if cond else "FAIL", msg + ("" if cond or not detail else f" ({detail})"))
    if not cond:
        FAILS[0] += 1
    return cond


def accuracy_row(name, expect, hog_pid, hog_ms, recs, fails_before):
    """One row of the scenario corpus's accuracy table (tests/scenarios)
    for this guest's scenario, in OUTDIR/accuracy.jsonl."""
    incs = [r for r in recs if r.get("type") == "incident"]
    inc = max(incs, key=lambda r: r.get("retransmits", 0)) if incs else None
    row = {"scenario": name, "load": f"guest {NAME}", "expect": f"incident:{expect}",
           "harmed": True, "max_retrans_s": None, "max_drops_s": None,
           "incidents": len(incs), "findings": sum(1 for r in recs if r.get("type") == "finding"),
           "got": ",".join(sorted({i["mechanism"] for i in incs})) or "none",
           "culprit": "-", "stall_ms": None, "hog_ms": round(hog_ms),
           "false_alarms": sum(1 for i in incs if i.get("mechanism") != expect
                               or (i.get("culprit") or {}).get("pid") != hog_pid),
           "incident_latency_ms": None, "stall_latency_ms": None}
    if inc:
        row["culprit"] = "right" if (inc.get("culprit") or {}).get("pid") == hog_pid else "wrong"
        row["stall_ms"] = round(inc.get("stall_ns", 0) / 1e6)
        spikes = [x["start_ns"] for x in inc.get("seconds", []) if x.get("spike")]
        if spikes and "emitted_ns" in inc:
            row["incident_latency_ms"] = round((inc["emitted_ns"] - max(spikes) - 10**9) / 1e6)
    lats = [r["emitted_ns"] - r["end_ns"] for r in recs if r.get("type") == "stall" and not r.get("ongoing")
            and (r.get("culprit") or {}).get("pid") == hog_pid and "emitted_ns" in r]
    if lats:
        row["stall_latency_ms"] = round(max(lats) / 1e6)
    row["ok"] = FAILS[0] == fails_before
    row["why"] = "" if row["ok"] else f"{FAILS[0] - fails_before} check(s) failed"
    with open(os.path.join(OUTDIR, "accuracy.jsonl"), "a") as f:
        f.write(json.dumps(row) + "\n")


def sections(path):
    """{name: (rc, [lines])} from the @@begin/@@end protocol."""
    secs, cur, lines = {}, None, []
    try:
        text = open(path, errors="replace").read()
    except OSError:
        return secs
    for line in text.replace("\r", "").split("\n"):
        m = re.match(r"^@@begin (\S+)$", line)
        if m:
            cur, lines = m.group(1), []
            continue
        m = re.match(r"^@@end (\S+) rc=(-?\d+)$", line)
        if m and cur == m.group(1):
            secs[cur] = (int(m.group(2)), lines)
            cur = None
            continue
        if cur:
            lines.append(line)
    return secs


def jsonl(lines):
    recs = []
    for line in lines:
        if line.startswith("{"):
            try:
                recs.append(json.loads(line))
            except ValueError:
                pass
    return recs


def kconfig(path):
    cfg = {}
    for line in open(path):
        m = re.match(r"^(CONFIG_\w+)=(.*)$", line.strip())
        if m:
            cfg[m.group(1)] = m.group(2).strip('"')
    return cfg


cfg = kconfig(CONFIG)
secs = sections(os.path.join(OUTDIR, "report.log"))
if "uname" not in secs:
    out("FAIL", "no report from the guest (see console.log)")
    sys.exit(0)
release, version_line, cmdline = (secs["uname"][1] + ["", "", ""])[:3]
major, minor = (int(x) for x in re.match(r"(\d+)\.(\d+)", release).groups())
rt = cfg.get("CONFIG_PREEMPT_RT") == "y"
dynamic = cfg.get("CONFIG_PREEMPT_DYNAMIC") == "y"
m = re.search(r"\bpreempt=(\w+)", cmdline)
booted = m.group(1) if m else None


def ran(name, rc=0):
    """The section exists and exited rc (0: the command worked)."""
    if name not in secs:
        out("FAIL", f"{name}: no output (the guest stopped before it)")
        return None
    got, lines = secs[name]
    tail = " | ".join(line for line in lines if line.strip())[-300:]
    if not check(got == rc, f"{name} exits {rc}", f"exit {got}: {tail}"):
        return None
    return lines


def check_info():
    lines = ran("info_json")
    if lines is None:
        return {}
    recs = [r for r in jsonl(lines) if r.get("type") == "info"]
    if not check(len(recs) == 1, "info --json prints one info record"):
        return {}
    info = recs[0]
    pre = info.get("preempt") or {}
    if rt:
        want = "PREEMPT_RT"
    elif cfg.get("CONFIG_PREEMPT") == "y" and not dynamic:
        want = "PREEMPT"
    elif cfg.get("CONFIG_PREEMPT_VOLUNTARY") == "y":
        want = "PREEMPT_VOLUNTARY"
    else:
        want = "PREEMPT_NONE"
    # Without a config file only the build's flavour can be known
    # (uname -v, kallsyms): a dynamic build's default is its live mode.
    # Without a config file the model is known only as far as the kernel
    # says (uname -v, kallsyms): a list of candidates that must hold the
    # config's, or the dynamic build whose default a boot parameter hid.
    got_model = pre.get("model")
    models = pre.get("models") or []
    check(got_model == want or (dynamic and got_model == "PREEMPT_DYNAMIC")
          or (got_model is None and want in models and len(models) > 1),
          f"info: configured preemption {got_model or ' or '.join(models)} (the package's config: {want})",
          f"source {pre.get('model_source')}")
    check(pre.get("dynamic_built") == dynamic,
          f"info: PREEMPT_DYNAMIC built {pre.get('dynamic_built')} (config: {dynamic})")
    if dynamic:
        # the kernel's own word for its live mode: the selected one of
        # debugfs sched/preempt, "(none) voluntary full" -> none
        dbg = " ".join(secs.get("preempt_debugfs", (1, []))[1])
        m = re.search(r"\((\w+)\)", dbg)
        live = m.group(1) if m else booted
        check(live is not None and pre.get("dynamic") == live,
              f"info: live preemption mode {pre.get('dynamic')} (debugfs: {dbg.strip()})",
              f"source {pre.get('dynamic_source')}")
    hz = int(cfg.get("CONFIG_HZ", "0"))
    check(info.get("hz") == hz, f"info: HZ {info.get('hz')} (config: {hz})",
          f"source {info.get('hz_source')}")
    check(pre.get("realtime") is rt, f"info: PREEMPT_RT {pre.get('realtime')} (config: {rt})",
          f"source {pre.get('realtime_source')}")
    sirq = (info.get("softirq") or {}).get("semantics")
    want_sirq = "deferred_to_ksoftirqd" if (major, minor) < (6, 5) else "inline_at_irq_exit"
    check(sirq == want_sirq, f"info: softirq semantics {sirq} (kernel {major}.{minor}: {want_sirq})")
    return info


def check_live_json(name, want_types):
    lines = ran(name)
    if lines is None:
        return []
    recs = jsonl(lines)
    types = {r.get("type") for r in recs}
    check(set(want_types) <= types, f"{name}: JSON records {sorted(want_types)}",
          f"got {sorted(t for t in types if t)}")
    return recs


def check_count(info):
    recs = check_live_json("count_tp", ["summary"])
    summ = [r for r in recs if r.get("type") == "summary"]
    if summ:
        n = summ[-1].get("counts", {}).get("sched:sched_switch", 0)
        check(n > 0, f"count: sched:sched_switch counted {n} in 3 s")
    attach = info.get("attach") or {}
    for sec, kind in (("count_kprobe", "kprobe"), ("count_fentry", "fentry")):
        works = (attach.get(kind) or {}).get("works") if isinstance(attach.get(kind), dict) else attach.get(kind)
        if sec not in secs:
            out("FAIL", f"{sec}: no output")
            continue
        rc, lines = secs[sec]
        key = ("k:" if kind == "kprobe" else "f:") + "vfs_read"
        if works in (True, "works") and (kind == "fentry" or (major, minor) >= (5, 15)):
            # a smoke test (an idle guest may read once in 3 s); exact
            # counts are count_exact_*
            summ = [r for r in jsonl(lines) if r.get("type") == "summary"]
            counts = summ[-1].get("counts") if summ else None
            check(rc == 0 and counts is not None and list(counts) == [key],
                  f"{sec}: {kind} allowed here, {key} attached and counted ({counts})",
                  f"exit {rc}: {' | '.join(lines)[-200:]}")
        elif works in (True, "works"):
            check(rc != 0 and any("5.15" in l for l in lines),
                  f"{sec}: kprobes without BPF cookies (before 5.15): one sentence, non-zero exit",
                  " | ".join(lines)[-200:])
        else:
            check(rc != 0 and any("kprobe" in l or "fentry" in l for l in lines),
                  f"{sec}: {kind} refused here, one sentence and a non-zero exit")


def count_summary(name):
    rc, lines = secs.get(name, (None, []))
    summ = [r for r in jsonl(lines) if r.get("type") == "summary"]
    return rc, lines, (summ[-1] if summ else {})


def check_count_exact(info):
    """Counts of a chain of N execs in one pid, against N: the chain's
    own length is the independent measure."""
    attach = info.get("attach") or {}
    works = lambda kind: (attach.get(kind) or {}).get("works") is True
    cookies = (major, minor) >= (5, 15)
    want = {"count_exact_tp": (40, ["sched:sched_process_exec", "task:task_rename"], True),
            "count_exact_f": (40, ["sched:sched_process_exec", "f:begin_new_exec", "f:__set_task_comm"],
                              works("fentry")),
            "count_exact_k": (40, ["sched:sched_process_exec", "k:__set_task_comm", "k:begin_new_exec"],
                              works("kprobe") and cookies)}
    for name, (n, keys, able) in want.items():
        rc, lines, summ = count_summary(name)
        got = summ.get("counts") or {}
        if able:
            check(rc == 0 and all(got.get(k) == n for k in keys),
                  f"{name}: {n} execs counted {n} on each of {keys}", f"exit {rc}, {got} {' | '.join(lines)[-200:]}")
        elif name == "count_exact_k" and works("kprobe"):
            check(rc not in (0, None) and any("5.15" in l for l in lines),
                  f"{name}: kprobes without BPF cookies (before 5.15): one sentence, non-zero exit",
                  " | ".join(lines)[-200:])
    if works("fentry"):
        rc, lines, summ = count_summary("count_cpu0")
        got = summ.get("counts") or {}
        check(rc == 0 and got and all(v == 0 for v in got.values()),
              "count -C 0: a chain pinned to CPU 1 counts 0", f"exit {rc}, {got}")
        rc, lines, summ = count_summary("count_cpu1")
        got = summ.get("counts") or {}
        per = summ.get("per_cpu") or {}
        check(rc == 0 and got and all(v == 30 for v in got.values())
              and all(per.get(k) == {"1": 30} for k in got),
              "count -C 1 --per-cpu: 30 execs on CPU 1, per event", f"exit {rc}, {got}, {per}")
        rc, lines = secs.get("count_flimit", (None, []))
        check(rc == 2 and any(re.search(r"matches \d+ functions.*at most 16", l) for l in lines),
              "count f:vfs_*: over the fentry limit, exit 2", " | ".join(lines)[-200:])
    if works("kprobe") and cookies:
        rc, lines, summ = count_summary("count_kglob")
        want_n = int((secs.get("count_kglob_want", (0, ["-1"]))[1] or ["-1"])[0] or -1)
        check(rc == 0 and summ.get("events") == want_n,
              f"count k:vfs_rea*: {summ.get('events')} functions, available_filter_functions has {want_n}")
    if works("kprobe") and cookies:
        rc, lines = secs.get("count_klimit", (None, []))
        check(rc == 2 and any(re.search(r"matches \d+ functions, over the limit of 1024", l) for l in lines),
              "count k:*: over the 1024-event limit, exit 2", " | ".join(lines)[-200:])


def check_hog(name, runs, dur_ns):
    lines = ran(name)
    if lines is None:
        return
    hr = [r for r in jsonl(lines) if r.get("type") == "hog_run"]
    ok = len(hr) == runs and all(abs(r["dur_ns"] - dur_ns) < dur_ns * 0.25 for r in hr)
    check(ok, f"{name}: {runs} runs of {dur_ns // 1000000} ms by the hog's clock",
          f"{[r.get('dur_ns') for r in hr]}")


def check_doctor_idle():
    recs = check_live_json("doctor_idle", ["summary"])
    summ = [r for r in recs if r.get("type") == "summary"]
    if summ:
        check(summ[-1].get("incidents") == 0, "doctor on an idle guest: no incident",
              f"{summ[-1]}")


def check_agent():
    if "agent" not in secs:
        out("FAIL", "agent: no output")
        return
    rc, lines = secs["agent"]
    check(rc == 0, "agent: ends with exit 0 on SIGTERM", f"exit {rc}")
    check("scrape_rc=0" in lines, "agent: /metrics answered")
    metrics = lines[lines.index("@@metrics") + 1:] if "@@metrics" in lines else []
    names = {l.split("{")[0].split(" ")[0] for l in metrics if l and not l.startswith("#")}
    want = {"ksleuth_kernel_info", "ksleuth_agent_ticks_total", "ksleuth_softirq_delay_seconds_count"}
    check(want <= names, f"agent: metrics {sorted(want)} present", f"{len(names)} names")
    ticks = [l for l in metrics if l.startswith("ksleuth_agent_ticks_total ")]
    check(bool(ticks) and float(ticks[0].split()[-1]) >= 1, "agent: its tick ran",
          ticks[0] if ticks else "no tick counter")


def check_profile():
    """profile under TCP load over veth: samples, and every frame of a
    veth function (kallsyms' "[veth]" symbols, read in the guest) shows
    " [veth]" after its offset, as perf shows a module's frames."""
    lines = ran("profile")
    if lines is None:
        return
    recs = jsonl(lines)
    summ = [r for r in recs if r.get("type") == "profile_summary"]
    n = summ[0].get("samples", 0) if summ else 0
    check(n > 0, f"profile: a summary with samples ({n})")
    veth = {l.strip() for l in secs.get("profile_veth", (1, []))[1] if l.strip()}
    if not veth:
        out("SKIP", "profile: kallsyms lists no veth function (veth built in?)")
        return
    frames = [f for r in recs if r.get("type") == "profile_stack" for f in r.get("kernel_frames", [])]
    mod = [f for f in frames if f.split("+0x")[0] in veth]
    bad = [f for f in mod if not f.endswith(" [veth]")]
    if check(bool(mod), "profile: veth's frames sampled under TCP over veth",
             f"none in {len(frames)} kernel frames"):
        check(not bad, f"profile: every veth frame shows [veth] ({len(mod)} frames)", ", ".join(bad[:3]))


def check_netbed_load():
    """The bed's default load (TCP and UDP filler) lives through its run
    under the guest's default socket buffer caps."""
    caps = " ".join(secs.get("load_caps", (1, []))[1]).split()
    lines = ran("netbed_load")
    if lines is None:
        return
    recs = [r for r in jsonl(lines) if r.get("type") == "netbed_load"]
    n = recs[0].get("rx_packets", 0) if recs else 0
    check(n > 0, f"netbed load: packets received under wmem_max/rmem_max {'/'.join(caps)} ({n})")


def scenario_records(name):
    hog = [r for r in jsonl(secs.get(f"{name}_hog", (0, []))[1]) if r.get("type") == "hog_run"]
    doc = secs.get(f"{name}_doctor")
    load = " ".join(secs.get(f"{name}_load", (0, []))[1])
    return hog, doc, load


def incident_line(inc):
    c = inc.get("culprit") or {}
    return (f"{inc.get('mechanism')} ({inc.get('confidence')}), culprit {c.get('comm')} pid "
            f"{c.get('pid')}, stall {inc.get('stall_ns', 0) / 1e6:.0f} ms, NET_RX max "
            f"{inc.get('netrx_max_delay_ns', 0) / 1e6:.0f} ms, ksoftirqd wait "
            f"{inc.get('ksoftirqd_max_wait_ns', 0) / 1e6:.0f} ms, {inc.get('retransmits')} "
            f"retransmits ({inc.get('retrans_segs')} TcpRetransSegs), {inc.get('drops')} drops, "
            f"time_squeeze {inc.get('time_squeeze')}")


def doctor_seen(recs, hog, summ):
    """What the doctor saw of the hog's runs, for a failure's line: its
    stalls, findings and spikes, timed from the hog's first run."""
    t0 = hog[0]["start_ns"]
    def at(kind):
        return " ".join(f"{(r['start_ns'] - t0) / 1e9:+.1f}" for r in recs
                        if r.get("type") == kind and "start_ns" in r) or "none"
    finds = sorted({r.get("mechanism") for r in recs if r.get("type") == "finding"})
    return (f"hog runs at +0..{(hog[-1]['start_ns'] - t0) / 1e9:+.1f} s; stalls at {at('stall')}; "
            f"spikes at {at('spike')}; findings {finds}; {summ.get('retransmits')} retransmits, "
            f"{summ.get('drops')} drops in {summ.get('duration_ns', 0) / 1e9:.0f} s")


def check_net_scenario(name):
    """The doctor's verdict for a hog on the receive CPU under load,
    against the hog's own clock and the kernel's semantics."""
    if f"{name}_doctor" not in secs:
        out("FAIL", f"{name}: no doctor output")
        return
    fails_before = FAILS[0]
    hog, (rc, lines), load = scenario_records(name)
    m = re.search(r"rx_packets (\d+)", load)
    pkts = int(m.group(1)) if m else 0
    # offloads off: ~26k packets/s; with them on ~900/s
    check(pkts > 100000, f"{name}: the load ran with offloads off ({pkts} packets received)")
    check(len(hog) >= 5, f"{name}: the hog ran ({len(hog)} runs)")
    if not hog:
        return
    hog_pid = hog[0]["pid"]
    # the loop's own clock (its first and last reads in the kernel): the
    # run's wall time also holds the wait for the CPU before it began
    spins = sorted((r.get("kend_ns", 0) - r.get("kstart_ns", 0)) or r["dur_ns"] for r in hog)
    hog_ms = spins[len(spins) // 2] / 1e6
    recs = jsonl(lines)
    incs = [r for r in recs if r.get("type") == "incident"]
    for inc in incs:
        out("INFO", f"{name}: incident {inc.get('id')}: {incident_line(inc)}")
    summ = ([r for r in recs if r.get("type") == "summary"] or [{}])[-1]
    if rc == 0 and not incs and summ.get("retransmits", 0) < 100 and summ.get("drops", 0) < 100:
        # Under TCG the load does not always overflow the receive CPU
        # (6.12-rt, one run in three: 15 retransmits, no drops in 26 s;
        # another 86 in 26 s): then there was nothing to find, and nothing
        # was tested. A spike needs 50 retransmits in one second; fewer
        # than 100 in the whole run reach it only if all fell in two.
        out("SKIP", f"{name}: the load lost nothing this run ({summ.get('retransmits')} retransmits, "
            f"{summ.get('drops')} drops): no incident to find")
        return
    if not check(rc == 3 and incs, f"{name}: the doctor found an incident (exit 3)",
                 f"exit {rc}; {doctor_seen(recs, hog, summ)}"):
        return
    inc = max(incs, key=lambda r: r.get("retransmits", 0))
    culprit = inc.get("culprit") or {}
    check(culprit.get("pid") == hog_pid, f"{name}: the culprit is the hog (pid {hog_pid})",
          f"got {culprit.get('comm')} pid {culprit.get('pid')}")
    # named apart from the tool that observes it (src/hogmain.c)
    check(culprit.get("comm") == "ksleuth-hog", f"{name}: the culprit's comm is the hog's ('ksleuth-hog')",
          f"got {culprit.get('comm')!r}")
    stall_ms = inc.get("stall_ns", 0) / 1e6
    # at least most of the loop, at most the hog's whole run by its own
    # wall clock: under TCG a run took up to 665 ms around a 500 ms loop
    # (its return waits behind ksoftirqd), and 6.12 reported 631 ms
    wall_ms = max(r["dur_ns"] for r in hog) / 1e6
    check(0.8 * hog_ms <= stall_ms <= 1.1 * max(wall_ms, hog_ms),
          f"{name}: stall {stall_ms:.0f} ms against the hog's own {hog_ms:.0f} ms loop "
          f"({wall_ms:.0f} ms longest run)")
    advice = " ".join(inc.get("advice") or [])
    netrx_ms = inc.get("netrx_max_delay_ns", 0) / 1e6
    deferred = rt or (major, minor) < (6, 5)
    if name == "starve" and deferred:
        check(inc.get("mechanism") == "ksoftirqd_starved", f"{name}: mechanism ksoftirqd_starved "
              f"on {major}.{minor}", f"got {inc.get('mechanism')}")
        check(inc.get("ksoftirqd_max_wait_ns", 0) >= 0.5 * hog_ms * 1e6,
              f"{name}: ksoftirqd waited most of the hog's run "
              f"({inc.get('ksoftirqd_max_wait_ns', 0) / 1e6:.0f} ms)")
        check(netrx_ms >= 0.5 * hog_ms, f"{name}: NET_RX waited with it ({netrx_ms:.0f} ms)")
        check("cond_resched" in advice and "since 6.5" in advice,
              f"{name}: advice names cond_resched() and the 6.5 change")
    elif name == "starve":
        # 6.5+: interrupt exits serve NET_RX; the verdict must say what
        # it measured, not claim packet processing waited for ksoftirqd.
        mech = inc.get("mechanism")
        summary = inc.get("summary", "")
        if mech == "ksoftirqd_starved":
            check(netrx_ms < hog_ms and "interrupt exits still ran NET_RX" in summary,
                  f"{name}: on {major}.{minor} the verdict says NET_RX still ran at interrupt exits "
                  f"(NET_RX max {netrx_ms:.0f} ms)", summary[:200])
        else:
            check(mech == "softirq_blocked" and netrx_ms >= 0.5 * hog_ms,
                  f"{name}: on {major}.{minor} {mech} follows a blocked NET_RX ({netrx_ms:.0f} ms)")
    if name == "fifo":
        check(inc.get("mechanism") == "rt_starvation", f"{name}: mechanism rt_starvation",
              f"got {inc.get('mechanism')}")
        check(culprit.get("policy") == "SCHED_FIFO", f"{name}: the culprit's policy is SCHED_FIFO",
              f"got {culprit.get('policy')}")
    if name == "bh":
        check(inc.get("mechanism") == "softirq_blocked", f"{name}: mechanism softirq_blocked",
              f"got {inc.get('mechanism')}")
        if rt:
            check("per-CPU lock" in advice and "cond_resched" not in advice,
                  f"{name}: PREEMPT_RT advice: the bottom-half lock, no cond_resched()", advice[:300])
        else:
            check("local_bh_enable" in advice, f"{name}: advice re-enables bottom halves")
    segs = inc.get("retrans_segs", 0)
    if inc.get("retransmits", 0) >= 50:
        # the tracepoint counts retransmitted skbs (failed local tries too),
        # TcpRetransSegs the namespace's segments: TCP builds GSO skbs even
        # with offloads off, up to 45 segments of 1448 bytes in 64 KiB, so
        # one skb stands for 1 to 45 segments (6.1: 2,666 skbs, 5,434
        # segments; 6.12 starve: 547, 2,210) and a failed try for none
        check(segs > 0 and 1 / 45 <= inc["retransmits"] / segs <= 4.0,
              f"{name}: retransmits {inc['retransmits']} against TcpRetransSegs {segs}")
    expect = {"bh": "softirq_blocked", "fifo": "rt_starvation"}.get(
        name, "ksoftirqd_starved" if deferred else inc.get("mechanism"))
    accuracy_row(name, expect, hog_pid, hog_ms, recs, fails_before)


def check_demo():
    """`ksleuth demo --json`: per run the doctor's records, then the
    hog's. The broken run's verdict must name the broken hog, and the
    fixed run must retransmit far less."""
    if (major, minor) < (5, 17):
        rc, lines = secs.get("demo", (None, []))
        check(rc == 1 and any("bpf_loop" in l for l in lines),
              "demo: no kernel hogs before 5.17: one sentence, exit 1", " | ".join(lines)[-200:])
        return
    lines = ran("demo", 0)  # 0: the hog was named as expected
    if lines is None:
        return
    runs, cur, in_hog = [], None, False
    for r in jsonl(lines):
        is_hog = r.get("type", "").startswith("hog_")
        if cur is None or (in_hog and not is_hog):
            cur = {"doctor": [], "hog": []}
            runs.append(cur)
        cur["hog" if is_hog else "doctor"].append(r)
        in_hog = is_hog
    if not check(len(runs) == 2, "demo: a broken and a fixed run", f"{len(runs)} runs"):
        return
    broken, fixed = runs
    bhog = [r for r in broken["hog"] if r["type"] == "hog_start"]
    mode = bhog[0].get("mode") if bhog else None
    if (major, minor) < (6, 5) and not rt:
        want_mode, want_mech = "kernel", "ksoftirqd_starved"
    elif (major, minor) >= (6, 11):
        want_mode, want_mech = "kernel-bh", "softirq_blocked"
    else:
        want_mode, want_mech = "fifo", "rt_starvation"
    check(mode == want_mode, f"demo: the broken hog is '{want_mode}' on {major}.{minor}{' RT' if rt else ''}",
          f"got {mode}")
    incs = [r for r in broken["doctor"] if r.get("type") == "incident"]
    hit = [i for i in incs if bhog and (i.get("culprit") or {}).get("pid") == bhog[0]["pid"]]
    check(any(i.get("mechanism") == want_mech for i in hit),
          f"demo: the broken run's verdict is {want_mech}, naming the hog",
          f"{[(i.get('mechanism'), (i.get('culprit') or {}).get('pid')) for i in incs]}")
    total = lambda run: sum(r.get("retransmits", 0) for r in run["doctor"] if r.get("type") == "summary")
    b, f = total(broken), total(fixed)
    out("INFO", f"demo: retransmits broken {b}, fixed {f}")
    check(b >= 100 and f * 5 <= b, f"demo: the fix cuts retransmits ({b} broken, {f} fixed)")


info = check_info()
check_count(info)
check_count_exact(info)
for sec, types in (("runq", ["hist"]), ("softirq", ["softirq"]), ("napi", ["napi_summary"]),
                   ("retrans", ["retrans_summary"])):
    check_live_json(sec, types)
if (major, minor) >= (5, 17):
    check_hog("hog_kernel", 2, 200_000_000)
    if (major, minor) >= (6, 11):
        check_hog("hog_bh", 2, 200_000_000)
    else:
        rc, lines = secs.get("hog_bh", (None, []))
        check(rc not in (0, None) and any("6.11" in l for l in lines),
              "hog_bh: no bottom halves off in BPF test runs before 6.11: one sentence, non-zero exit",
              " | ".join(lines)[-200:])
else:
    for sec in ("hog_kernel", "hog_bh"):
        rc, lines = secs.get(sec, (None, []))
        check(rc not in (0, None) and any("bpf_loop" in l or "syscall programs" in l for l in lines),
              f"{sec}: no bpf_loop before 5.17: one sentence and a non-zero exit",
              " | ".join(lines)[-200:])
check_doctor_idle()
check_profile()
check_netbed_load()
check_agent()
if "demo" in secs or "demo" in cmdline:
    check_demo()
for scen in ("starve", "bh", "fifo"):
    if f"{scen}_doctor" in secs or f"ks.scenario={scen}" in cmdline:
        check_net_scenario(scen)
