#!/usr/bin/env bash
# Reassembled bytes against tcpflow's: for every IPv4 TCP session whose handshake
# and FIN close were captured without loss, each direction's stream written by
# `tcpflow-reasm --dump` must equal tcpflow's file of the same name.
#   bench/compare_tcpflow.sh CAPTURE [BUILD]      (work files under /dev/shm)
set -euo pipefail
cap=$1; build=${2:-$(dirname "$0")/../build}
w=/dev/shm/netlines-cmp; rm -rf "$w"; mkdir -p "$w/tf" "$w/nl"
tcpflow -r "$cap" -o "$w/tf" >/dev/null 2>&1
"$build/tcpflow-reasm" --dump "$w/nl" --data=none "$cap" > "$w/sessions.jsonl"
python3 - "$w" <<'PY'
import json, os, sys
w = sys.argv[1]
start, clean = {}, []
for line in open(f"{w}/sessions.jsonl"):
    r = json.loads(line)
    if r["type"] == "session_start":
        start[r["flow_id"]] = r["handshake"]
    elif r["type"] == "session_end" and start.get(r["flow_id"]) and r["reason"] == "fin" \
            and r["c2s"]["missing_bytes"] == 0 and r["s2c"]["missing_bytes"] == 0 and ":" not in r["src_ip"]:
        clean.append((r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"]))
def name(a, ap, b, bp):
    f = lambda ip, p: ".".join("%03d" % int(x) for x in ip.split(".")) + ".%05d" % p
    return f(a, ap) + "-" + f(b, bp)
same, diff = 0, []
for c, cp, s, sp in clean:
    for n in (name(c, cp, s, sp), name(s, sp, c, cp)):
        a, b = f"{w}/nl/{n}", f"{w}/tf/{n}"
        if not os.path.exists(a) and not os.path.exists(b):
            continue  # no bytes that way
        if os.path.exists(a) and os.path.exists(b) and open(a, "rb").read() == open(b, "rb").read():
            same += 1
        else:
            diff.append(n)
print(f"{len(clean)} clean IPv4 sessions: {same} stream files identical to tcpflow's, {len(diff)} different")
for n in diff[:10]:
    print("  differs:", n)
sys.exit(1 if diff else 0)
PY
rm -rf "$w"
