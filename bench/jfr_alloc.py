#!/usr/bin/env python3
"""Allocation per request from a JFR recording, and where it is allocated.

usage: jfr_alloc.py <recording.jfr> <requests during the recording> [top-n]

Allocated bytes: jdk.ThreadAllocationStatistics (each thread's running total, at the recording's start and end),
summed over the threads that served requests (event loops, workers, the async log appender), divided by the
requests. Sites: jdk.ObjectAllocationSample weights (sampled, so shares, not exact bytes), by allocated class and by
the innermost frame outside the JDK (the code that asked for the allocation).
"""
import collections
import re
import subprocess
import sys

SIZE = re.compile(r"([\d.]+)\s*(bytes|kB|MB|GB)")
UNITS = {"bytes": 1, "kB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}
THREAD = re.compile(r'thread = "(.*?)" \(javaThreadId = (\d+)\)')
SERVING = re.compile(r"vert\.x-eventloop|vert\.x-worker|ForkJoinPool|AsyncAppender|fhirlink")
JDK = re.compile(r"^(java\.|javax\.|jdk\.|sun\.|com\.sun\.)")
FRAME = re.compile(r"^\s+(\S+?)\(")


def size(text):
    m = SIZE.search(text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else 0.0


def events(path, name, depth):
    out = subprocess.run(["jfr", "print", "--events", name, "--stack-depth", str(depth), path],
                         capture_output=True, text=True, check=True).stdout
    for block in out.split(name + " {")[1:]:
        yield block


def main():
    path, requests = sys.argv[1], int(sys.argv[2])
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    first, last = {}, {}
    for block in events(path, "jdk.ThreadAllocationStatistics", 1):
        t = THREAD.search(block)
        m = re.search(r"allocated = (.*)", block)
        if not t or not m:
            continue
        key = (t.group(1), t.group(2))
        first.setdefault(key, size(m.group(1)))
        last[key] = size(m.group(1))
    serving = {k: last[k] - first[k] for k in last if SERVING.search(k[0])}
    total = sum(serving.values())
    everyone = sum(last[k] - first[k] for k in last)
    print(f"Allocated during the recording: {total / 1e6:.1f} MB by the serving threads "
          f"({everyone / 1e6:.1f} MB by all threads), {requests} requests: "
          f"**{total / max(1, requests) / 1024:.1f} KB per request** (all threads {everyone / max(1, requests) / 1024:.1f} KB)")
    by_class, by_site = collections.Counter(), collections.Counter()
    for block in events(path, "jdk.ObjectAllocationSample", 24):
        t = re.search(r'eventThread = "(.*?)"', block)
        if not t or not SERVING.search(t.group(1)):
            continue
        w = size(re.search(r"weight = (.*)", block).group(1))
        c = re.search(r"objectClass = (\S+)", block)
        by_class[c.group(1) if c else "?"] += w
        frames = [f.group(1) for f in (FRAME.match(line) for line in block.splitlines()) if f]
        site = next((f for f in frames if not JDK.match(f)), frames[0] if frames else "?")
        by_site[site] += w
    sampled = sum(by_class.values()) or 1
    print(f"\n== sampled allocation by class (share of {sampled / 1e6:.0f} MB sampled weight)")
    for name, w in by_class.most_common(top):
        print(f"{100 * w / sampled:5.1f} %  {name}")
    print("\n== sampled allocation by innermost non-JDK frame")
    for name, w in by_site.most_common(top):
        print(f"{100 * w / sampled:5.1f} %  {name}")


if __name__ == "__main__":
    main()
