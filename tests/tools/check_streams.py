#!/usr/bin/env python3
"""Compares tcpflow-reasm output (stdin) with a fixture's truth file: every truth
connection must appear as a session, oriented client -> server, and each
direction's reassembled bytes (monologue pieces placed at their offsets) must have
the truth's length and SHA-256.
    check_streams.py truth.json < records.jsonl
Connections whose capture was cut by the snap length are checked for orientation
only. Prints one line per problem; exits 1 if any."""
import base64
import hashlib
import json
import sys

truth = json.load(open(sys.argv[1]))
sessions = {}
for line in sys.stdin:
    r = json.loads(line)
    if r["type"] == "session_start":
        key = (r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"])
        sessions.setdefault(key, []).append({"flow_id": r["flow_id"], "c2s": {}, "s2c": {}, "end": None})
    elif r["type"] in ("monologue", "session_end"):
        key = (r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"])
        s = next(x for x in sessions[key] if x["flow_id"] == r["flow_id"])
        if r["type"] == "monologue":
            s[r["dir"]][r["offset"]] = base64.b64decode(r["data"])
        else:
            s["end"] = r

problems = []
cut = truth["capture"].get("truncated_to_snaplen")
for c in truth["connections"]:
    key = (c["client"]["ip"], c["client"]["port"], c["server"]["ip"], c["server"]["port"])
    if key not in sessions:
        problems.append(f"connection {c['id']} {key}: no session (or not oriented client -> server)")
        continue
    if cut:
        continue
    s = sessions[key][0]
    for d in ("c2s", "s2c"):
        stream = bytearray()
        for off in sorted(s[d]):
            if off != len(stream):
                problems.append(f"connection {c['id']} {d}: gap before offset {off}")
                stream.extend(b"\0" * (off - len(stream)))
            stream.extend(s[d][off])
        want_len, want_sha = c[f"{d}_bytes"], c[f"{d}_sha256"]
        got_sha = hashlib.sha256(stream).hexdigest()
        if len(stream) != want_len or got_sha != want_sha:
            problems.append(f"connection {c['id']} {d}: {len(stream)} bytes {got_sha[:12]}, truth {want_len} bytes {want_sha[:12]}")
    # The end reason is not compared: the truth names how the client closed its
    # socket, while a FIN answered by a RST on the wire is, for us, a reset.
    if s["end"] is None:
        problems.append(f"connection {c['id']}: no session_end")
for p in problems:
    print(f"{truth['file']}: {p}")
sys.exit(1 if problems else 0)
