#!/usr/bin/env python3
"""credextract beside tshark: the logins tshark decodes (with their user) and
whether credextract reports each one, per TCP session (5-tuple).

  check_cred.py [--credextract BIN] FILE...

tshark finds protocols by port: the odd ports of the test captures are given to
it with -d. Prints one line per capture and the totals; exit 1 below --min."""
import argparse
import base64
import collections
import json
import subprocess
import sys

DECODE_AS = ["tcp.port==2121,ftp", "tcp.port==1110,pop", "tcp.port==993,imap", "tcp.port==3389,ldap"]

def smtp_user(v):
    """tshark 4.0 leaves an AUTH LOGIN user in base64."""
    try:
        d = base64.b64decode(v, validate=True).decode()
        return d if d.isprintable() else v
    except Exception:
        return v


# (display filter, field holding the user, how to turn it into the user)
QUERIES = [
    ('ftp.request.command == "USER"', "ftp.request.arg", lambda v: v),
    ('pop.request.command == "USER"', "pop.request.parameter", lambda v: v),
    ('pop.request.command == "APOP"', "pop.request.parameter", lambda v: v.rsplit(" ", 1)[0]),
    ("imap.request.username", "imap.request.username", lambda v: v),
    ("smtp.auth.username", "smtp.auth.username", smtp_user),
    ("http.authbasic", "http.authbasic", lambda v: v.split(":", 1)[0]),
    ("ldap.bindRequest_element", "ldap.name", lambda v: v),
    ('pgsql.parameter_name == "user"', "pgsql.parameter_value", lambda v: v),
    ("mysql.user", "mysql.user", lambda v: v),
]


def tshark_logins(path):
    out = collections.Counter()
    for filt, field, conv in QUERIES:
        cmd = ["tshark", "-n", "-r", path, "-Y", filt, "-T", "fields", "-E", "occurrence=f",
               "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", field]
        for d in DECODE_AS:
            cmd += ["-d", d]
        r = subprocess.run(cmd, capture_output=True, text=True)
        for line in r.stdout.splitlines():
            ip4, ip6, sp, dp, val = (line.split("\t") + [""] * 5)[:5]
            if "pgsql" in filt:  # tshark lists every parameter value: the user is the first
                val = val.split(",")[0]
            if val == "":  # MySQL's SSLRequest: no user
                continue
            out[(ip4 or ip6, int(sp), int(dp), conv(val))] += 1
    return out


def cred_logins(binary, path):
    r = subprocess.run([binary, path], capture_output=True, text=True, check=False)
    out = collections.Counter()
    for line in r.stdout.splitlines():
        rec = json.loads(line)
        if rec["type"] != "cred" or rec["cred"]["user"] is None:
            continue
        out[(rec["src_ip"], rec["src_port"], rec["dest_port"], rec["cred"]["user"])] += 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--credextract", default="build/credextract")
    ap.add_argument("--min", type=float, default=0.0)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    tot_t = tot_m = tot_c = 0
    for f in a.files:
        t = tshark_logins(f)
        c = cred_logins(a.credextract, f)
        matched = 0
        left = collections.Counter(c)
        for k, n in t.items():
            for _ in range(n):
                # tshark 4.0 cuts an IMAP quoted user at its first space and does not
                # read literals: such a user matches one that begins the same way.
                u = k[3]
                cands = [k] if left[k] > 0 else []
                if not cands and (u.startswith('"') or u.startswith("{")):
                    pre = u.lstrip('"') if u.startswith('"') else ""
                    cands = [x for x in left if x[:3] == k[:3] and left[x] > 0 and x[3].startswith(pre)]
                if cands:
                    left[cands[0]] -= 1
                    matched += 1
        nt, nc = sum(t.values()), sum(c.values())
        tot_t += nt
        tot_m += matched
        tot_c += nc
        missing = [k for k, n in t.items() if c[k] < n and not k[3].startswith(('"', "{"))]
        print(f"{f}: tshark {nt}, credextract {nc}, matched {matched}" + (f", missing {missing}" if missing else ""))
    share = tot_m / tot_t if tot_t else 1.0
    print(f"total: tshark {tot_t}, credextract {tot_c}, matched {tot_m} ({100 * share:.1f}%)")
    return 0 if share >= a.min else 1


if __name__ == "__main__":
    sys.exit(main())
