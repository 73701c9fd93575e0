"""Sends REQUESTS lookups of uniformly random certificates, one connection, keep-alive, with
callgrind's instrumentation switched on only around them (bench/instructions.sh), or, when the
pid is given as `cpu:PID`, prints the CPU time (user and system, from /proc) that process spent
per lookup (bench/cpu-per-lookup.sh).
Arguments: port, requests, path template (ID is replaced), pid of valgrind, then the
"year count" pairs of the registry's ids. A template with SEARCH instead of ID gets one or two
random words of the wrk script's list (bench/lib/common.sh) and maybe a filter, as the search row
of bench/lookup.sh does. Every answer must be 200, or it stops (exit 1)."""
import http.client
import random
import subprocess
import sys

port, n, tmpl, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
ranges = [(int(y), int(c)) for y, c in (p.split() for p in sys.argv[5:])]
total = sum(c for _, c in ranges)
rng = random.Random(7)
# The same words and filters as write_lua in bench/lib/common.sh.
WORDS = ["camera", "router", "plug", "lock", "speaker", "thermostat", "alarm", "monitor", "holland",
         "rheinwerk", "maison", "casa", "nordhem", "alpenhaus", "dansk", "emerald", "smart", "baby",
         "mini", "1", "2", "3"]
FILTERS = ["", "&scheme=eu-iot", "&scheme=eucc", "&state=active", "&state=suspended",
           "&member_state=NL", "&level=basic"]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)


def one():
    k = rng.randint(1, total)
    for year, count in ranges:
        if k <= count:
            break
        k -= count
    if "SEARCH" in tmpl:
        q = rng.choice(WORDS)
        if rng.randint(1, 2) == 1:
            q += "+" + rng.choice(WORDS)
        path = tmpl.replace("SEARCH", q + rng.choice(FILTERS))
    else:
        path = tmpl.replace("ID", "KM-%d-%06d" % (year, k))
    conn.request("GET", path)
    res = conn.getresponse()
    body = res.read()
    if res.status != 200:
        print("answer %d for %s: %r" % (res.status, path, body[:200]), file=sys.stderr)
        sys.exit(1)


def cpu_ticks(p):
    # Fields 14 and 15 of /proc/PID/stat (utime, stime), after the parenthesised name.
    fields = open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


for _ in range(200):  # warm up: connections, statements, caches
    one()
if pid.startswith("cpu:"):
    import os
    import time
    hz = os.sysconf("SC_CLK_TCK")
    before, t0 = cpu_ticks(pid[4:]), time.monotonic()
    for _ in range(n):
        one()
    ticks, wall = cpu_ticks(pid[4:]) - before, time.monotonic() - t0
    print("%d lookups in %.1f s: %.1f us CPU per lookup (%d ticks of %d/s)" %
          (n, wall, ticks * 1e6 / hz / n, ticks, hz))
    sys.exit(0)
subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
for _ in range(n):
    one()
subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
