#!/usr/bin/env python3
"""Time every search query class of bench/lookup.sh's search row once, one request at a time
(no concurrent load), and print p50/p90/p99/max and the slowest: which classes are slow.
Usage: search_classes.py BASE_URL [SEED] (bench/search-classes.sh starts the server)."""
import itertools, random, sys, time, urllib.request
base = sys.argv[1]
words = ["camera","router","plug","lock","speaker","thermostat","alarm","monitor","holland","rheinwerk","maison","casa","nordhem","alpenhaus","dansk","emerald","smart","baby","mini","1","2","3"]
filters = ["", "&scheme=eu-iot", "&scheme=eucc", "&state=active", "&state=suspended", "&member_state=NL", "&level=basic"]
random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
qs = [w + f for w in words for f in filters]
qs += [random.choice(words) + "+" + random.choice(words) + random.choice(filters) for _ in range(150)]
res = []
for q in qs:
    url = f"{base}/api/v1/labels?q={q}&limit=20"
    t = time.perf_counter()
    with urllib.request.urlopen(url) as r:
        body = r.read()
    dt = (time.perf_counter() - t) * 1000
    res.append((dt, q))
res.sort(reverse=True)
ts = sorted(r[0] for r in res)
print(f"n={len(ts)} p50={ts[len(ts)//2]:.1f}ms p90={ts[int(len(ts)*.9)]:.1f}ms p99={ts[int(len(ts)*.99)]:.1f}ms max={ts[-1]:.1f}ms")
for dt, q in res[:10]:
    print(f"{dt:8.1f} ms  {q}")
