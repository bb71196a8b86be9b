#!/usr/bin/env python3
"""Compares httpextract output (run with --decode; stdin) with a fixture's truth
http[] list: per connection and in order, method, host, uri, version, status,
reason, content_length, framing, body lengths and hashes (entity and decoded),
request bodies, interim statuses, trailers, and completeness.
    check_http.py truth.json < records.jsonl"""
import json
import sys

truth = json.load(open(sys.argv[1]))
conns = {c["id"]: c for c in truth["connections"]}
got = {}
for line in sys.stdin:
    r = json.loads(line)
    if r["type"] == "http":
        got.setdefault((r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"]), []).append(r)

problems = []
cut = truth["capture"].get("truncated_to_snaplen")
for t in truth["http"]:
    c = conns[t["conn"]]
    key = (c["client"]["ip"], c["client"]["port"], c["server"]["ip"], c["server"]["port"])
    txs = got.get(key, [])
    i = t["index_in_conn"]
    where = f"conn {t['conn']} tx {i}"
    if i >= len(txs):
        problems.append(f"{where}: missing ({t['method']} {t['uri']})")
        continue
    r, h = txs[i], txs[i]["http"]
    # A capture cut to a snap length keeps only the start of each packet: there
    # only the request and status lines can be checked.
    want = {"method": t["method"], "uri": t["uri"], "version": t["version"], "status": t["status"]}
    if not cut:
        want.update({
            "reason": t["reason"], "response_version": t["response_version"], "host": t["host"],
            "content_length": t["content_length"], "body_framing": t["body_framing"],
            "transfer_encoding": t["transfer_encoding"], "content_encoding": t["content_encoding"],
        })
    if not cut and t["complete"]:
        want["wire_body_len"] = t["wire_body_len"]
    for k, v in want.items():
        if h.get(k) != v:
            problems.append(f"{where}: {k} = {h.get(k)!r}, truth {v!r}")
    if cut:
        continue
    body = h["response_body"] or {}
    if t["complete"]:
        if (body.get("len"), body.get("sha256")) != (t["body_len"], t["body_sha256"]):
            problems.append(f"{where}: body {body.get('len')} {body.get('sha256')}, truth {t['body_len']} {t['body_sha256']}")
        dec = body.get("decoded") or {"len": body.get("len"), "sha256": body.get("sha256")}
        if (dec.get("len"), dec.get("sha256")) != (t["decoded_body_len"], t["decoded_body_sha256"]):
            problems.append(f"{where}: decoded {dec.get('len')}, truth {t['decoded_body_len']}")
    else:
        if (body.get("len"), body.get("sha256")) != (t["delivered_body_len"], t["delivered_body_sha256"]):
            problems.append(f"{where}: delivered body {body.get('len')}, truth {t['delivered_body_len']}")
        if r["complete"] or "truncated_body" not in r["anomalies"]:
            problems.append(f"{where}: not flagged incomplete/truncated_body")
    rb = h["request_body"] or {}
    if (rb.get("len"), rb.get("sha256")) != (t["request_body_len"], t["request_body_sha256"]):
        problems.append(f"{where}: request body {rb.get('len')}, truth {t['request_body_len']}")
    if h["interim"] != t["interim"]:
        problems.append(f"{where}: interim {h['interim']}, truth {t['interim']}")
    if [list(x) for x in h["trailers"]] != [list(x) for x in t["trailers"]]:
        problems.append(f"{where}: trailers {h['trailers']}, truth {t['trailers']}")
n = sum(len(v) for v in got.values())
if n != len(truth["http"]):
    problems.append(f"{n} transactions, truth {len(truth['http'])}")
for p in problems:
    print(f"{truth['file']}: {p}")
sys.exit(1 if problems else 0)
