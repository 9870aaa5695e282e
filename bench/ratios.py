#!/usr/bin/env python3
"""Median ratios of two servers' RESULT lines (bench/tls.sh, bench/app-peers.sh).

  ratios.py RESULTS TARGET BASE PREFIX SCENARIO[:UNIT]...

Each RESULT line is "RESULT label scenario count=N per_s=R cpu_us=U ..."; rounds are paired in
order. Prints one RATIO line per scenario: the median of TARGET/BASE server CPU per UNIT
(request unless given) and of the rate, with each round's CPU ratio and both medians."""
import collections
import statistics
import sys

results, target, base, prefix, *scenarios = sys.argv[1:]
runs = collections.defaultdict(list)
for line in open(results):
    _, label, scenario, *fields = line.split()
    runs[(label, scenario)].append({k: float(v) for k, v in (f.split("=") for f in fields)})
for entry in scenarios:
    scenario, _, unit = entry.partition(":")
    a, b = runs[(target, scenario)], runs[(base, scenario)]
    if not a or not b:
        continue
    cpu = [x["cpu_us"] / y["cpu_us"] for x, y in zip(a, b) if y["cpu_us"] > 0]
    rate = [x["per_s"] / y["per_s"] for x, y in zip(a, b) if y["per_s"] > 0]
    print(f"RATIO {prefix}-{scenario} cpu_per_{unit or 'request'}={statistics.median(cpu):.2f}x (runs {', '.join(f'{c:.2f}' for c in cpu)})"
          f" rate={statistics.median(rate):.2f}x {target}_cpu_us={statistics.median(r['cpu_us'] for r in a):.1f}"
          f" {base}_cpu_us={statistics.median(r['cpu_us'] for r in b):.1f}")
