#!/usr/bin/env python3
"""Time SQLite's full-text index alone (no server, no joins) for every query class of
bench/lookup.sh's search words: each word alone and every ordered pair of two different words,
each the best of three, with the index statements `keurmerk_store::sql::search` runs for it.
Usage: search_index.py REGISTRY.db FLOW
  FLOW two-probes: the whole-word probe, then the page (as before commit 4229726)
  FLOW prefix-first: a prefix probe first, and nothing more when it finds nothing (since 4229726)
Prints mean/p50/p90/p99/max, the slowest classes and a digest of every class's result rowids
(the same digest for both flows on one registry shows they find the same)."""
import hashlib, itertools, sqlite3, sys, time

WORDS = ["camera", "router", "plug", "lock", "speaker", "thermostat", "alarm", "monitor", "holland",
         "rheinwerk", "maison", "casa", "nordhem", "alpenhaus", "dansk", "emerald", "smart", "baby",
         "mini", "1", "2", "3"]
MIN_PREFIX_CHARS = 3  # keurmerk_store::sql::search::MIN_PREFIX_CHARS
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
flow = sys.argv[2]
assert flow in ("two-probes", "prefix-first"), flow


def fts(terms, prefix):
    return "body : (" + " ".join(
        '"%s"%s' % (t, "*" if prefix and len(t) >= MIN_PREFIX_CHARS else "") for t in terms) + ")"


def probe(query):
    return db.execute("SELECT COUNT(*) FROM (SELECT 1 FROM certificate_fts "
                      "WHERE certificate_fts MATCH ? LIMIT 1)", (query,)).fetchone()[0] > 0


def search(terms):
    if flow == "prefix-first" and any(len(t) >= MIN_PREFIX_CHARS for t in terms) \
            and not probe(fts(terms, True)):
        return []
    prefix = not probe(fts(terms, False))
    return [r[0] for r in db.execute("SELECT rowid FROM certificate_fts WHERE certificate_fts "
                                     "MATCH ? ORDER BY rowid DESC LIMIT 20", (fts(terms, prefix),))]


classes = [[w] for w in WORDS] + [list(p) for p in itertools.permutations(WORDS, 2)]
rows, found = [], []
for terms in classes:
    best = None
    for _ in range(3):
        t = time.perf_counter()
        hits = search(terms)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    rows.append((best * 1e3, " ".join(terms)))
    found.append((" ".join(terms), hits))
rows.sort()
ms = [r[0] for r in rows]
n = len(ms)
print(f"{flow}: n={n} mean={sum(ms)/n:.2f}ms p50={ms[n//2]:.2f}ms p90={ms[int(n*.9)]:.2f}ms "
      f"p99={ms[int(n*.99)]:.2f}ms max={ms[-1]:.2f}ms; results "
      f"{hashlib.sha256(repr(sorted(found)).encode()).hexdigest()[:16]}")
print("slowest:", ", ".join(f"{q} {t:.1f} ms" for t, q in rows[-5:][::-1]))
