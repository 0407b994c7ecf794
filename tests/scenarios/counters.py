#!/usr/bin/env python3
"""counters.py DURATION_S RX_CPU — the network's own counters once a
second, as JSON Lines on CLOCK_MONOTONIC (the doctor's clock): this
namespace's TcpRetransSegs (run it inside the sending namespace) and the
receive CPU's softnet drops. The scenario judge's independent measure of
whether a fault hurt the network."""
import json
import sys
import time


def retrans_segs():
    with open("/proc/net/snmp") as f:
        rows = [l.split() for l in f if l.startswith("Tcp:")]
    return int(rows[1][rows[0].index("RetransSegs")])


def softnet_drops(cpu):
    with open("/proc/net/softnet_stat") as f:
        for n, line in enumerate(f):
            col = line.split()
            # the CPU id is column 13 since 5.18; before, the row number
            if (int(col[12], 16) if len(col) >= 13 else n) == cpu:
                return int(col[1], 16)
    return 0


def main():
    dur, cpu = float(sys.argv[1]), int(sys.argv[2])
    end = time.monotonic() + dur
    while time.monotonic() < end:
        print(json.dumps({"ns": time.clock_gettime_ns(time.CLOCK_MONOTONIC),
                          "retrans_segs": retrans_segs(), "rx_drops": softnet_drops(cpu)}), flush=True)
        time.sleep(1.0)


if __name__ == "__main__":
    main()
