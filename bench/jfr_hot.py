#!/usr/bin/env python3
"""Summarises a JFR recording's CPU samples (jdk.ExecutionSample) for docs/benchmarks.md.

usage: jfr_hot.py <recording.jfr> [top-n]

Uses the JDK's `jfr print` (any JDK >= 17). Prints: samples per thread group, the hottest methods by self samples
(top frame), the hottest methods by inclusive samples (anywhere on the stack), and the share of samples inside each
component (Camel, Vert.x/Netty, Apache HttpClient, TLS, logging, fhir-link's own code, ...), each counted once per
sample by its innermost matching frame ("self by component") and inclusively. When Java 25's jfr is installed its
`hot-methods`, `allocation-by-site` and `exception-count` views are appended.
"""
import collections
import os
import re
import subprocess
import sys

JFR25 = "/usr/lib/jvm/temurin-25-jdk-amd64/bin/jfr"
DEPTH = 96

# innermost frame wins for "self by component"; order matters (first match)
COMPONENTS = [
    ("TLS / crypto (JSSE, AES-GCM)", re.compile(r"^(sun\.security\.|javax\.net\.ssl\.|com\.sun\.crypto\.|javax\.crypto\.|sun\.nio\.cs\.)")),
    ("fhir-link own code", re.compile(r"^io\.fhirlink\.")),
    ("logging (log4j2/slf4j)", re.compile(r"^(org\.apache\.logging\.|org\.slf4j\.)")),
    ("caller JWT (nimbus-jose)", re.compile(r"^com\.nimbusds\.")),
    ("Caffeine caches", re.compile(r"^com\.github\.benmanes\.")),
    ("Jackson JSON", re.compile(r"^com\.fasterxml\.")),
    ("Apache HttpClient 5 / HttpCore", re.compile(r"^org\.apache\.hc\.")),
    ("camel-http", re.compile(r"^org\.apache\.camel\.component\.http\.")),
    ("camel-platform-http(-vertx)", re.compile(r"^org\.apache\.camel\.component\.platform\.http\.")),
    ("Camel core (routing, exchanges, type conversion, toD)", re.compile(r"^org\.apache\.camel\.")),
    ("Vert.x", re.compile(r"^io\.vertx\.")),
    ("Netty", re.compile(r"^io\.netty\.")),
    ("JDK socket / NIO I/O", re.compile(r"^(sun\.nio\.ch\.|java\.net\.|java\.nio\.|sun\.net\.)")),
    ("JDK collections / strings / regex / reflection", re.compile(r"^(java\.util\.|java\.lang\.|jdk\.internal\.)")),
]
# inclusive: a sample counts for every component that appears anywhere on its stack
INCLUSIVE = [c for c in COMPONENTS if c[0].startswith(("TLS", "Apache HttpClient", "caller JWT", "logging", "Jackson", "Caffeine", "fhir-link"))] + [
    ("-- camel-http producer, whole upstream call (HttpProducer.process)", re.compile(r"^org\.apache\.camel\.component\.http\.HttpProducer\.process$")),
    ("-- camel-http building the request (HttpProducer.createMethod)", re.compile(r"^org\.apache\.camel\.component\.http\.HttpProducer\.createMethod$")),
    ("-- Apache HttpClient exchange incl. TLS I/O (HttpRequestExecutor.execute)", re.compile(r"^org\.apache\.hc\.core5\.http\.impl\.io\.HttpRequestExecutor\.execute$")),
    ("-- camel-http copying response headers (HttpProducer.populateResponse)", re.compile(r"^org\.apache\.camel\.component\.http\.HttpProducer\.populateResponse$")),
    ("-- Camel type-converter lookup miss (TypeResolverHelper.doLookup)", re.compile(r"^org\.apache\.camel\.impl\.converter\.TypeResolverHelper\.doLookup$")),
    ("-- String -> enum header conversion (EnumTypeConverter)", re.compile(r"^org\.apache\.camel\.impl\.converter\.EnumTypeConverter\.")),
    ("-- toD endpoint resolution (SendDynamicProcessor.resolveEndpoint/prepareRecipient)", re.compile(r"^org\.apache\.camel\.processor\.SendDynamicProcessor\.(resolveEndpoint|prepareRecipient)$")),
    ("-- Micrometer per-exchange metrics (route policy, event notifier)", re.compile(r"^(org\.apache\.camel\.component\.micrometer\.|io\.micrometer\.)")),
    ("-- Camel event notification (EventHelper)", re.compile(r"^org\.apache\.camel\.support\.EventHelper\.")),
    ("-- Camel unit of work create/done", re.compile(r"^org\.apache\.camel\.impl\.engine\.(DefaultUnitOfWork|DefaultUnitOfWorkFactory)\.")),
    ("-- Camel bean invocation (reflection + parameter binding, incl. the bean's own work)", re.compile(r"^org\.apache\.camel\.component\.bean\.MethodInfo\.invoke$")),
    ("-- choice: method expression (tokenRejected)", re.compile(r"^org\.apache\.camel\.language\.bean\.BeanExpression\.evaluate$")),
    ("-- CallerAuthenticator (caller JWT check per request)", re.compile(r"^io\.fhirlink\.auth\.CallerAuthenticator\.")),
    ("--   of which RSA signature verification", re.compile(r"^(com\.nimbusds\.jose\.crypto\.RSASSAVerifier\.verify|sun\.security\.rsa\.RSASignature\.engineVerify)")),
    ("-- FhirRequestParser.parse", re.compile(r"^io\.fhirlink\.proxy\.FhirRequestParser\.parse")),
    ("-- LinkDirectory.resolve (link cache)", re.compile(r"^io\.fhirlink\.proxy\.LinkDirectory\.resolve")),
    ("-- UpstreamRequest.prepare (headers, token cache)", re.compile(r"^io\.fhirlink\.proxy\.UpstreamRequest\.prepare")),
    ("-- UpstreamResponse.prepare (headers, buffering, rewrite)", re.compile(r"^io\.fhirlink\.proxy\.UpstreamResponse\.prepare")),
    ("--   of which UrlRewritingInputStream", re.compile(r"^io\.fhirlink\.proxy\.UrlRewritingInputStream\.")),
    ("-- platform-http: Vert.x request -> Camel message (populateCamelMessage)", re.compile(r"^org\.apache\.camel\.component\.platform\.http\.vertx\.VertxPlatformHttpConsumer\.populateCamelMessage$")),
    ("-- platform-http: Camel message -> Vert.x response (writeResponse)", re.compile(r"^org\.apache\.camel\.component\.platform\.http\.vertx\.VertxPlatformHttpSupport\.writeResponse$")),
    ("-- Vert.x worker hand-off (executeBlocking on worker threads)", re.compile(r"^io\.vertx\.core\.impl\.ContextImpl\.lambda\$executeBlocking")),
    ("-- Throwable construction (exceptions)", re.compile(r"^java\.lang\.Throwable\.")),
]

FRAME = re.compile(r"^\s+(\S+?)\((.*?)\)\s+line:")


def thread_group(name):
    name = re.sub(r"\d+", "#", name)
    return name


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    proc = subprocess.Popen(["jfr", "print", "--events", "jdk.ExecutionSample", "--stack-depth", str(DEPTH), path],
                            stdout=subprocess.PIPE, text=True, bufsize=1 << 20)
    self_counts = collections.Counter()
    incl_counts = collections.Counter()
    comp_self = collections.Counter()
    comp_incl = collections.Counter()
    threads = collections.Counter()
    total = 0
    stack = None
    thread = "?"
    for line in proc.stdout:
        s = line.strip()
        if s.startswith("jdk.ExecutionSample"):
            stack, thread = None, "?"
        elif s.startswith("sampledThread = "):
            m = re.match(r'sampledThread = "(.*)" \(', s)
            thread = m.group(1) if m else s
        elif s == "stackTrace = [":
            stack = []
        elif stack is not None and s == "]":
            total += 1
            threads[thread_group(thread)] += 1
            methods = [f for f in stack]
            if methods:
                self_counts[methods[0]] += 1
            for m in set(methods):
                incl_counts[m] += 1
            for name, rx in COMPONENTS:
                if methods and rx.match(methods[0]):
                    comp_self[name] += 1
                    break
            else:
                comp_self["other"] += 1
            for name, rx in INCLUSIVE:
                if any(rx.match(m) for m in methods):
                    comp_incl[name] += 1
            stack = None
        elif stack is not None:
            m = FRAME.match(line)
            if m:
                stack.append(m.group(1))
    proc.wait()

    def pct(n):
        return f"{100.0 * n / total:5.1f} %" if total else "  -  "

    print(f"Recording: {os.path.basename(path)}  CPU samples (jdk.ExecutionSample): {total}")
    print()
    print("== samples by thread (digits folded to #)")
    for name, n in threads.most_common(12):
        print(f"{pct(n)}  {n:6d}  {name}")
    print()
    print("== components, self (innermost matching frame of each sample)")
    for name, n in comp_self.most_common():
        print(f"{pct(n)}  {n:6d}  {name}")
    print()
    print("== components, inclusive (anywhere on the stack; overlaps)")
    for name, n in sorted(comp_incl.items(), key=lambda kv: -kv[1]):
        print(f"{pct(n)}  {n:6d}  {name}")
    print()
    print(f"== top {top} methods, self samples")
    for name, n in self_counts.most_common(top):
        print(f"{pct(n)}  {n:6d}  {name}")
    print()
    print(f"== top {top} methods, inclusive samples (excluding thread entry frames)")
    shown = 0
    for name, n in incl_counts.most_common(top * 3):
        if re.match(r"^(java\.lang\.Thread\.run|java\.util\.concurrent\.ThreadPoolExecutor|io\.netty\.util\.concurrent\.|io\.netty\.util\.internal\.ThreadExecutorMap|io\.netty\.channel\.nio\.NioEventLoop\.run|io\.netty\.util\.concurrent\.FastThreadLocalRunnable)", name):
            continue
        print(f"{pct(n)}  {n:6d}  {name}")
        shown += 1
        if shown >= top:
            break

    if os.access(JFR25, os.X_OK):
        for view in ("hot-methods", "allocation-by-site", "exception-count", "thread-cpu-load"):
            print()
            print(f"== Java 25 `jfr view {view}`")
            r = subprocess.run([JFR25, "view", "--width", "160", view, path], capture_output=True, text=True)
            print((r.stdout or r.stderr).rstrip())


if __name__ == "__main__":
    main()
