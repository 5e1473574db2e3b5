#!/usr/bin/env python3
"""Where the gateway's CPU goes, from async-profiler's collapsed stacks (one line per stack: frames;...;frames count).

    collapsed_hot.py <file.collapsed> [requests cpu_seconds]

Prints the share of samples by thread group, by code owner (self time: the frame on top of the stack), the hottest
frames, and the inclusive share of each fhir-link method (stacks that contain it, counted once). With the number of
requests and the process's CPU seconds over the same window, each share is also shown as CPU microseconds per
request: samples are not milliseconds (itimer fires at most once per kernel tick, often every 4 ms), so the shares
are spread over the CPU time measured.
"""
import re
import sys
from collections import Counter

OWNERS = [  # first match wins: who the code on top of the stack belongs to
    ("kernel", lambda f: f.endswith("_[k]")),
    ("fhir-link", lambda f: f.startswith("io/fhirlink") or f.startswith("io.fhirlink")),
    ("Camel", lambda f: "org/apache/camel" in f or "org.apache.camel" in f),
    ("Vert.x", lambda f: "io/vertx" in f or "io.vertx" in f),
    ("Netty", lambda f: "io/netty" in f or "io.netty" in f),
    ("TLS and crypto", lambda f: re.search(r"sun[/.]security|com[/.]sun[/.]crypto|javax[/.]crypto", f) is not None),
    ("Micrometer", lambda f: "io/micrometer" in f or "io.micrometer" in f),
    ("Jackson", lambda f: "com/fasterxml" in f or "com.fasterxml" in f),
    ("logging", lambda f: re.search(r"org[/.]slf4j|ch[/.]qos|org[/.]apache[/.]logging", f) is not None),
    ("JDK", lambda f: re.match(r"(java|jdk|sun)[/.]", f) is not None),
    ("JVM (GC, JIT, runtime)", lambda f: True),
]


def thread_group(name):
    name = re.sub(r"^\[|\s*tid=\d+\]$|\]$", "", name)
    for prefix, group in (("vert.x-eventloop", "Vert.x event loops"), ("vert.x-worker", "Vert.x workers"),
                          ("vert.x-internal-blocking", "Vert.x workers"), ("C1 Compiler", "JIT compilers"),
                          ("C2 Compiler", "JIT compilers"), ("GC", "GC"), ("G1", "GC"), ("VM Thread", "VM thread")):
        if name.startswith(prefix):
            return group
    return "other: " + re.sub(r"[-#]?\d+$", "", name)


def owner(frame):
    return next(name for name, test in OWNERS if test(frame))


def main():
    path = sys.argv[1]
    requests = int(sys.argv[2]) if len(sys.argv) > 3 and sys.argv[2].isdigit() else 0
    cpu_us = float(sys.argv[3]) * 1e6 if requests else 0.0
    threads, owners, selfs, inclusive = Counter(), Counter(), Counter(), Counter()
    total = 0
    with open(path) as stacks:
        for line in stacks:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            frames = stack.split(";")
            total += n
            threads[thread_group(frames[0])] += n
            top = frames[-1]
            owners[owner(top)] += n
            selfs[top] += n
            for method in {f for f in frames[1:] if "fhirlink" in f}:
                inclusive[method] += n
    if total == 0:
        print("no samples")
        return

    def share(n):
        per_request = f"  {n / total * cpu_us / requests:7.1f} µs/req" if requests else ""
        return f"{n * 100.0 / total:5.1f} %{per_request}"

    print(f"{total} samples{f', {requests} requests, {cpu_us / 1e6:.1f} s of CPU' if requests else ''}")
    for title, counter, limit in (("By thread", threads, 12), ("Self time by owner of the code", owners, 20),
                                  ("Hottest frames (self)", selfs, 40),
                                  ("fhir-link methods, inclusive (stacks that contain them)", inclusive, 40)):
        print(f"\n{title}:")
        for name, n in counter.most_common(limit):
            print(f"  {share(n)}  {name}")


if __name__ == "__main__":
    main()
