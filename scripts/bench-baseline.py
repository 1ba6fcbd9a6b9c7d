#!/usr/bin/env python3
"""Python baseline for `anxin bench analyze`: snownlp sentiment on the same CSV, one thread.

Usage: pip install snownlp && python3 scripts/bench-baseline.py docs/bench/messages-40.csv
Prints one JSON object with msgs_per_s_single, p50_us and p99_us (snownlp does sentiment only, far less than an
Anxin analysis, so the ratio flatters the baseline).
"""
import csv
import json
import sys
import time

from snownlp import SnowNLP

texts = [row["text"] for row in csv.DictReader(open(sys.argv[1], encoding="utf-8"))]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
for t in texts[:50]:
    SnowNLP(t).sentiments  # warm-up
latencies = []
start = time.perf_counter()
while time.perf_counter() - start < seconds:
    for t in texts:
        t0 = time.perf_counter()
        SnowNLP(t).sentiments
        latencies.append(time.perf_counter() - t0)
        if time.perf_counter() - start >= seconds:
            break
elapsed = time.perf_counter() - start
latencies.sort()
print(json.dumps({
    "msgs_per_s_single": round(len(latencies) / elapsed, 1),
    "p50_us": round(latencies[len(latencies) // 2] * 1e6, 1),
    "p99_us": round(latencies[int(len(latencies) * 0.99)] * 1e6, 1),
}))
