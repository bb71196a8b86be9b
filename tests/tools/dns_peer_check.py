#!/usr/bin/env python3
"""Every DNS response tshark decodes in a capture is in one of dnsextract's records.

    dns_peer_check.py DNSEXTRACT CAPTURE...    (tshark on PATH)

For each response tshark shows (id, first question name, rcode, A/AAAA/CNAME
answers) a record must have the same id, question name and rcode, and every one
of those answers among its answers. Prints one line per capture and the total;
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
        ident = int(f[0], 16) if f[0].startswith("0x") else int(f[0])
        name = f[1].split(",")[0]
        answers = {("A", x) for x in f[3].split(",") if x} | {("AAAA", x) for x in f[4].split(",") if x} | \
                  {("CNAME", x) for x in f[5].split(",") if x}
        yield ident, name, int(f[2] or 0), answers


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
        for ident, name, rcode, answers in tshark_responses(path):
            n += 1
            # tshark shows the root as <Root> and an empty question list as nothing.
            want_name = {"<Root>": "."}.get(name, name)
            if any(i == ident and (not name or q == want_name) and rc == rcode and answers <= ans
                   for i, q, rc, ans in have):
                ok += 1
            else:
                print(f"  missing: {path}: id {ident} {name!r} rcode {rcode} {sorted(answers)}", file=sys.stderr)
        print(f"{path}: {ok}/{n}")
        total += n
        found += ok
    share = found / total if total else 1.0
    print(f"total: {found}/{total} = {share:.4f}")
    return 0 if share >= a.min else 1


if __name__ == "__main__":
    sys.exit(main())
