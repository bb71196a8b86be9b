#!/usr/bin/env python3
"""Every DNS response tshark decodes in a capture is in one of dnsextract's records.

    dns_peer_check.py DNSEXTRACT CAPTURE...    (tshark on PATH)

For each response tshark shows (id, first question name, rcode, A/AAAA/CNAME
answers) a record must have the same id, question name and rcode, and every one
of those answers among its answers (a frame with several messages: among theirs). Prints one line per capture and the total;
exits 1 when fewer than --min (default 0.98) of the responses are found.
"""
import argparse
import json
import subprocess
import sys


def tshark_responses(path):
    out = subprocess.run(
        ["tshark", "-n", "-r", path, "-Y", "dns.flags.response==1", "-T", "fields", "-E", "separator=\t",
         "-E", "occurrence=a", "-E", "aggregator=,", "-e", "dns.id", "-e", "dns.qry.name", "-e",
         "dns.flags.rcode", "-e", "dns.a", "-e", "dns.aaaa", "-e", "dns.cname"],
        capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        f = line.split("\t")
        f += [""] * (6 - len(f))
        if not f[0]:
            continue
        # Several messages in one frame (DNS over TCP): the fields of each, the
        # answers of all of them together.
        ids = [int(x, 16) if x.startswith("0x") else int(x) for x in f[0].split(",")]
        names = f[1].split(",") + [""] * len(ids)
        rcodes = (f[2] or "0").split(",") + ["0"] * len(ids)
        answers = {("A", x) for x in f[3].split(",") if x} | {("AAAA", x) for x in f[4].split(",") if x} | \
                  {("CNAME", x) for x in f[5].split(",") if x}
        yield [(ident, names[i], int(rcodes[i])) for i, ident in enumerate(ids)], answers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dnsextract")
    ap.add_argument("captures", nargs="+")
    ap.add_argument("--min", type=float, default=0.98)
    a = ap.parse_args()
    total = found = 0
    for path in a.captures:
        out = subprocess.run([a.dnsextract, path], capture_output=True, text=True).stdout
        recs = [json.loads(l)["dns"] for l in out.splitlines()]
        have = []
        for r in recs:
            if r["response_flags"] is None:
                continue
            q = r["queries"][0]["name"] if r["queries"] else ""
            ans = {(x["type_name"], x["rdata"]) for x in r["answers"]}
            have.append((r["id"], q, r["rcode"], ans))
        n = ok = 0
        for msgs, answers in tshark_responses(path):
            got = set()
            hits = 0
            for ident, name, rcode in msgs:
                # tshark shows the root as <Root> and an empty question list as nothing.
                want_name = {"<Root>": "."}.get(name, name)
                match = [ans for i, q, rc, ans in have if i == ident and (not name or q == want_name) and rc == rcode]
                if match:
                    hits += 1
                    got |= set().union(*match)
            n += len(msgs)
            if answers <= got:
                ok += hits
            if hits < len(msgs) or not answers <= got:
                print(f"  missing: {path}: {msgs} {sorted(answers - got)}", file=sys.stderr)
        print(f"{path}: {ok}/{n}")
        total += n
        found += ok
    share = found / total if total else 1.0
    print(f"total: {found}/{total} = {share:.4f}")
    return 0 if share >= a.min else 1


if __name__ == "__main__":
    sys.exit(main())
