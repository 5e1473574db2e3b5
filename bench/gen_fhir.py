#!/usr/bin/env python3
"""Static FHIR R4 JSON for the benchmark's upstream (nginx serves these files as they are).

usage: gen_fhir.py <docroot> <upstream-base-url> [--large]

Writes metadata.json (CapabilityStatement), probe.json (the registration probe's one-id Bundle), patient-1.json
(~1 KB Patient), search-50k.json (~50 KB searchset Bundle whose link and fullUrl values carry the upstream base URL,
so the gateway rewrites them), create-body.json (~2 KB Patient to POST) and, with --large, large.json (~200 MB
searchset Bundle, 200,000 entries of ~1 KB, streamed so generation needs no memory).
"""
import json
import sys


def patient(i, pad_to=None):
    p = {
        "resourceType": "Patient",
        "id": f"bench-{i}",
        "meta": {"versionId": "1", "lastUpdated": "2024-05-01T10:00:00.000+00:00"},
        "identifier": [{"system": "urn:oid:1.2.36.146.595.217.0.1", "value": f"MRN-{i:08d}"}],
        "active": True,
        "name": [{"use": "official", "family": "Chalmers", "given": ["Peter", "James"]},
                 {"use": "usual", "given": ["Jim"]}],
        "telecom": [{"system": "phone", "value": "(03) 5555 6473", "use": "work", "rank": 1},
                    {"system": "email", "value": f"patient{i}@example.org"}],
        "gender": "male",
        "birthDate": "1974-12-25",
        "address": [{"use": "home", "type": "both", "line": ["534 Erewhon St"], "city": "PleasantVille",
                     "district": "Rainbow", "state": "Vic", "postalCode": "3999",
                     "period": {"start": "1974-12-25"}}],
    }
    if pad_to:
        text = json.dumps(p, separators=(",", ":"))
        missing = pad_to - len(text) - len('"text":{"status":"generated","div":""},')
        if missing > 0:
            p["text"] = {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">"
                         + ("x" * max(0, missing - 48)) + "</div>"}
    return p


def entry(base, i):
    return {"fullUrl": f"{base}/Patient/bench-{i}", "resource": patient(i, pad_to=940), "search": {"mode": "match"}}


def main():
    docroot, base = sys.argv[1], sys.argv[2].rstrip("/")
    large = "--large" in sys.argv[3:]
    compact = dict(separators=(",", ":"))

    capability = {
        "resourceType": "CapabilityStatement", "status": "active", "date": "2024-05-01", "kind": "instance",
        "software": {"name": "bench upstream (nginx static files)"},
        "implementation": {"description": "fhir-link benchmark upstream", "url": base},
        "fhirVersion": "4.0.1", "format": ["application/fhir+json", "json"],
        "rest": [{"mode": "server", "resource": [
            {"type": t, "interaction": [{"code": "read"}, {"code": "search-type"}, {"code": "create"}]}
            for t in ("Patient", "Observation", "Encounter")]}],
    }
    with open(f"{docroot}/metadata.json", "w") as f:
        json.dump(capability, f, **compact)

    probe = {"resourceType": "Bundle", "type": "searchset",
             "link": [{"relation": "self", "url": f"{base}/Patient?_count=1&_elements=id"}],
             "entry": [{"fullUrl": f"{base}/Patient/bench-1", "resource": {"resourceType": "Patient", "id": "bench-1"}}]}
    with open(f"{docroot}/probe.json", "w") as f:
        json.dump(probe, f, **compact)

    with open(f"{docroot}/patient-1.json", "w") as f:
        json.dump(patient(1, pad_to=1024), f, **compact)

    with open(f"{docroot}/create-body.json", "w") as f:
        p = patient(2, pad_to=2048)
        del p["id"], p["meta"]
        json.dump(p, f, **compact)

    def bundle_head(total, url):
        return ('{"resourceType":"Bundle","id":"bench-search","meta":{"lastUpdated":"2024-05-01T10:00:00Z"},'
                f'"type":"searchset","total":{total},"link":['
                f'{{"relation":"self","url":"{base}/{url}"}},'
                f'{{"relation":"next","url":"{base}/{url}&ct=W3sidG9rZW4iOiIrUklEOn5hYmNkZWZnaGlqa2xtbm9wIiwicmFuZ2UiOnsibWluIjoiIiwibWF4IjoiRkYifX1d"}}'
                '],"entry":[')

    # ~50 KB: 48 entries of ~1 KB
    with open(f"{docroot}/search-50k.json", "w") as f:
        f.write(bundle_head(1000, "Observation?subject=Patient/bench-1&_count=48"))
        f.write(",".join(json.dumps(entry(base, i), **compact) for i in range(48)))
        f.write("]}")

    if large:
        n = 200_000
        with open(f"{docroot}/large.json", "w") as f:
            f.write(bundle_head(n, f"Encounter?_count={n}"))
            for i in range(n):
                if i:
                    f.write(",")
                f.write(json.dumps(entry(base, i), **compact))
            f.write("]}")


if __name__ == "__main__":
    main()
