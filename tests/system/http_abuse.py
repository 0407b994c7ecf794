#!/usr/bin/env python3
"""http_abuse.py PORT [AGENT_PID] — hostile and heavy HTTP clients against the agent,
printing one "KEY VALUE" line per result for test_agent.sh to check:
  concurrent_ok N      of 100 simultaneous GET /metrics, answered 200 with a body
  slow_status S        what a client sending one byte a second for 8 s got: a
                       status (408), "closed" (hung up without one) or "open"
                       (never cut off)
  slow_scrape_ms MS    a normal /metrics scrape while the slow client is connected
  oversized_status S   a request with a 20 KB header
  badmethod_status S   DELETE /metrics
  garbage_status S     a TLS ClientHello-like byte string
  notfound_status S    GET /nope
  split_cr_status S    a request whose leading CRLF is cut after the CR
  newlines_status S    16 KiB of "\n" in one write
  newlines_cpu_ms MS   the agent's CPU time (/proc/AGENT_PID/stat) while 4
                       such clients hold their connections open for 2 s
Every socket has a timeout: the script ends in bounded time."""
import os, socket, sys, threading, time

port = int(sys.argv[1])
agent_pid = int(sys.argv[2]) if len(sys.argv) > 2 else 0
HOST = "127.0.0.1"

def status_of(data):
    try:
        line = data.split(b"\r\n", 1)[0].decode()
        return line.split()[1]
    except Exception:
        return "closed"

def request(raw, timeout=5.0):
    s = socket.create_connection((HOST, port), timeout=timeout)
    try:
        s.sendall(raw)
        buf = b""
        while True:
            try:
                d = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not d:
                break
            buf += d
        return buf
    finally:
        s.close()

def scrape():
    t0 = time.monotonic()
    r = request(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    return r, (time.monotonic() - t0) * 1000

# 100 concurrent scrapes, released together
ok = 0
lock = threading.Lock()
barrier = threading.Barrier(100)
def one():
    global ok
    try:
        s = socket.create_connection((HOST, port), timeout=10)
        barrier.wait(timeout=10)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        buf = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            buf += d
        s.close()
        if status_of(buf) == "200" and b"ksleuth_build_info" in buf:
            with lock:
                ok += 1
    except Exception:
        pass
ts = [threading.Thread(target=one) for _ in range(100)]
for t in ts: t.start()
for t in ts: t.join(20)
print("concurrent_ok", ok, flush=True)

# a slow client: one byte a second, for up to 8 s
slow_result = {}
def slow():
    s = socket.create_connection((HOST, port), timeout=10)
    req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
    got = b""
    cut = False
    try:
        for i in range(8):
            s.send(req[i:i + 1])
            s.settimeout(1.0)
            try:
                d = s.recv(4096)
                got += d
                cut = True
                break
            except socket.timeout:
                pass
    except (BrokenPipeError, ConnectionResetError):
        cut = True
    slow_result["status"] = status_of(got) if got else ("closed" if cut else "open")
    s.close()
st = threading.Thread(target=slow)
st.start()
time.sleep(1.5)
r, ms = scrape()
print("slow_scrape_ms", int(ms), "status", status_of(r), flush=True)
st.join(15)
print("slow_status", slow_result.get("status", "hung"), flush=True)

print("oversized_status", status_of(request(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")), flush=True)
print("badmethod_status", status_of(request(b"DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n")), flush=True)
print("garbage_status", status_of(request(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")), flush=True)
print("notfound_status", status_of(request(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")), flush=True)
r, ms = scrape()
print("final_scrape_status", status_of(r), flush=True)

# the lone CR of a leading CRLF, then the rest: as good as one write
s = socket.create_connection((HOST, port), timeout=5)
try:
    s.sendall(b"\r")
    time.sleep(0.3)
    s.sendall(b"\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    buf = b""
    while True:
        try:
            d = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not d:
            break
        buf += d
    print("split_cr_status", status_of(buf), flush=True)
finally:
    s.close()

def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime

# 16 KiB of newlines: answered at once, and the agent does not spin while
# the clients keep their connections open
clients = []
t0 = cpu_ticks(agent_pid) if agent_pid else 0
for i in range(4):
    c = socket.create_connection((HOST, port), timeout=3)
    c.sendall(b"\n" * 16384)
    clients.append(c)
try:
    print("newlines_status", status_of(clients[0].recv(4096)), flush=True)
except (ConnectionResetError, socket.timeout):
    print("newlines_status closed", flush=True)
time.sleep(2)
if agent_pid:
    hz = os.sysconf("SC_CLK_TCK")
    print("newlines_cpu_ms", (cpu_ticks(agent_pid) - t0) * 1000 // hz, flush=True)
for c in clients:
    c.close()
