#!/usr/bin/env python3
"""Hostile traffic: writes captures built to exhaust memory or time, then runs every
netlines binary on each under /usr/bin/time -v and checks its peak RSS against the
cap documented here (bench/RESULTS.md, section 'Hostile traffic'). Standard library only.

  hostile.py generate OUTDIR [--scale full|ci]
  hostile.py measure BIN_DIR OUTDIR [--markdown]     exit 1 if a cap is passed,
                                                     a run dies by a signal or hangs

Scenarios (full scale; --scale ci divides the counts by 20):
  syn_flood      1,000,000 SYNs from distinct sources to one server
  tiny_ooo       one session, 1,000,000 one-byte segments, each block of 1000 in reverse order
  overlap_frags  200,000 IPv4 datagrams of 3 overlapping fragments, the last never sent
                 for every other datagram (held until timeout or evicted)
  endless_chunked an HTTP response whose chunked body never ends (100,000 x 1400 bytes)
  gzip_bomb      an HTTP response whose 2 MB gzip body inflates to 2 GB of zeros
  header_10mb    an HTTP request with one 10 MB header line
  tls_16mb       a TLS ClientHello whose handshake header claims 16 MB, followed by
                 16 MB of handshake records
"""
import argparse
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import zlib

import pcapgen
from netlines_tools import tools
from pcapgen import ACK, FIN, PSH, SYN, ipv4, tcp

TOOLS = tools()
# Peak RSS caps in MiB. pcap2pkt keeps no state. The stateful tools' bounds by default:
# tcpflow-reasm 64 MiB out-of-order + 256 MiB monologue buffers + 65536 sessions;
# httpextract/tlssni add parsers with bounded lines, headers and handshakes.
# pkt2pcap: stateless but for the packets held (16 MiB) until it knows pcap from pcapng.
CAPS_MB = {"pcap2pkt": 64, "tcpflow-reasm": 512, "flowstat": 512, "httpextract": 640, "tlssni": 640,
           "dnsextract": 640, "credextract": 640, "pkt2pcap": 96}
SERVER = bytes([10, 1, 0, 1])


def Pcap(path):
    return pcapgen.Pcap(path, 10)


class Conn:
    """A TCP connection with a handshake; send() appends segments of at most mss bytes."""

    def __init__(self, out, cport, sport=80, client=bytes([10, 2, 0, 1])):
        self.out, self.c, self.cp, self.sp = out, client, cport, sport
        self.cseq, self.sseq = 1000, 5000
        out.add(tcp(self.c, SERVER, cport, sport, self.cseq, 0, SYN))
        out.add(tcp(SERVER, self.c, sport, cport, self.sseq, self.cseq + 1, SYN | ACK))
        self.cseq += 1
        self.sseq += 1
        out.add(tcp(self.c, SERVER, cport, sport, self.cseq, self.sseq, ACK))

    def send(self, from_client, data, mss=1400):
        for i in range(0, len(data), mss):
            part = data[i:i + mss]
            if from_client:
                self.out.add(tcp(self.c, SERVER, self.cp, self.sp, self.cseq, self.sseq, PSH | ACK, part))
                self.cseq += len(part)
            else:
                self.out.add(tcp(SERVER, self.c, self.sp, self.cp, self.sseq, self.cseq, PSH | ACK, part))
                self.sseq += len(part)


def gen_syn_flood(out, n):
    rnd = random.Random(1)
    for i in range(n):
        src = struct.pack(">I", 0x0B000000 + i)  # 11.x.y.z: one source each
        out.add(tcp(src, SERVER, 1024 + rnd.randrange(60000), 80, rnd.getrandbits(32), 0, SYN))


def gen_tiny_ooo(out, n):
    c = Conn(out, 40000)
    base = c.cseq
    block = 1000
    for b0 in range(0, n, block):
        for i in reversed(range(b0, min(n, b0 + block))):
            out.add(tcp(c.c, SERVER, c.cp, c.sp, base + i, c.sseq, PSH | ACK, bytes([65 + i % 26])))


def gen_overlap_frags(out, n):
    src = bytes([10, 3, 0, 1])
    for i in range(n):
        ident = i & 0xFFFF
        udp = struct.pack(">HHHH", 5000, 53, 8 + 400, 0) + bytes(400)
        out.add(ipv4(src, SERVER, 17, udp[:208], ident, mf=True, frag_off=0))
        out.add(ipv4(src, SERVER, 17, udp[128:336], ident, mf=True, frag_off=128))  # overlaps
        if i % 2:
            out.add(ipv4(src, SERVER, 17, udp[320:], ident, mf=False, frag_off=320))
        if ident == 0xFFFF:
            src = bytes([10, 3, (src[2] + 1) & 0xFF, 1])


def gen_endless_chunked(out, n):
    c = Conn(out, 40001)
    c.send(True, b"GET /stream HTTP/1.1\r\nHost: hostile.test\r\n\r\n")
    c.send(False, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n" % 1390 + b"x" * 1390 + b"\r\n"
    for _ in range(n):
        c.send(False, chunk, mss=len(chunk))


def gen_gzip_bomb(out, n):
    c = Conn(out, 40002)
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = []
    zeros = bytes(1 << 20)
    for _ in range(n):  # n MiB of zeros
        parts.append(z.compress(zeros))
    parts.append(z.flush())
    body = b"".join(parts)
    c.send(True, b"GET /bomb HTTP/1.1\r\nHost: hostile.test\r\nAccept-Encoding: gzip\r\n\r\n")
    c.send(False, b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


def gen_header_10mb(out, n):
    c = Conn(out, 40003)
    c.send(True, b"GET / HTTP/1.1\r\nHost: hostile.test\r\nX-Big: " + b"A" * n + b"\r\n\r\n")
    c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")


def gen_tls_16mb(out, n):
    c = Conn(out, 40004, sport=443)
    hello = struct.pack(">H", 0x0303) + bytes(32) + b"\x00" + struct.pack(">H", 2) + b"\x13\x01" + b"\x01\x00"
    msg = b"\x01" + struct.pack(">I", 0xFFFFFF)[1:] + hello  # claims 16 MB - 1
    data = msg + bytes(n - len(msg))
    stream = b""
    for i in range(0, len(data), 16384):
        frag = data[i:i + 16384]
        stream += b"\x16\x03\x01" + struct.pack(">H", len(frag)) + frag
    c.send(True, stream)


SCENARIOS = [
    ("syn_flood", gen_syn_flood, 1_000_000),
    ("tiny_ooo", gen_tiny_ooo, 1_000_000),
    ("overlap_frags", gen_overlap_frags, 200_000),
    ("endless_chunked", gen_endless_chunked, 100_000),
    ("gzip_bomb", gen_gzip_bomb, 2048),
    ("header_10mb", gen_header_10mb, 10 << 20),
    ("tls_16mb", gen_tls_16mb, 16 << 20),
]
# Counters (from --stats) that say what a bound cut, per scenario; shown in the table.
COUNTER_HINTS = {
    "syn_flood": r"evict|peak_sessions|max_live|emergency",
    "tiny_ooo": r"ooo_segments|cap_hit|gap_bytes|ack_release|peak_ooo",
    "overlap_frags": r"defrag\.(evicted|overlap|timed_out|oversize|in_progress)",
    "endless_chunked": r"early_pieces|truncat|body|peak_buffered",
    "gzip_bomb": r"decompress|decode_|limit|bomb",
    "header_10mb": r"too_long|headers_dropped",
    "tls_16mb": r"handshake|too_large|with_anomalies",
}
# Options that make a binary do the work a scenario attacks.
EXTRA_ARGS = {("gzip_bomb", "httpextract"): ["--decode"]}
# Binaries whose records are few: their anomaly names are shown too.
SCAN_RECORDS = ("httpextract", "tlssni")


def generate(outdir, scale):
    os.makedirs(outdir, exist_ok=True)
    div = 20 if scale == "ci" else 1
    for name, fn, n in SCENARIOS:
        out = Pcap(os.path.join(outdir, name + ".pcap"))
        fn(out, max(1, n // div))
        out.close()


def measure(bindir, outdir, markdown):
    rows, bad = [], 0
    for name, _, _ in SCENARIOS:
        cap = os.path.join(outdir, name + ".pcap")
        if not os.path.exists(cap):
            continue
        for tool in TOOLS:
            exe = os.path.join(bindir, tool)
            if not os.access(exe, os.X_OK):
                continue
            args = ["/usr/bin/time", "-v", exe, "--stats"] + EXTRA_ARGS.get((name, tool), []) + [cap]
            anomalies = set()
            with tempfile.TemporaryFile() as errf:
                p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stderr=errf,
                                     stdout=subprocess.PIPE if tool in SCAN_RECORDS else subprocess.DEVNULL)
                if p.stdout:
                    for line in p.stdout:
                        for m in re.finditer(rb'"anomalies":\[([^\]]*)\]', line):
                            anomalies.update(x.strip(b'"').decode() for x in m.group(1).split(b",") if x)
                try:
                    p.wait(timeout=600)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                    rows.append((name, tool, "-", "-", "timeout", ""))
                    bad += 1
                    continue
                errf.seek(0)
                err = errf.read().decode("utf-8", "replace")
            rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
            wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", err)
            status = re.search(r"Exit status: (\d+)", err)
            sig = re.search(r"Command terminated by signal (\d+)", err)
            rss_mb = int(rss.group(1)) / 1024 if rss else -1
            hint = re.compile(COUNTER_HINTS[name])
            counters = []
            for ln in err.splitlines():
                m = re.match(r"\s*([\w.]+): (\d+)$", ln)
                if m and int(m.group(2)) > 0 and hint.search(m.group(1)):
                    counters.append(f"{m.group(1)}={m.group(2)}")
            if anomalies:
                counters.append("records: " + ",".join(sorted(anomalies)[:4]))
            ok = rss_mb <= CAPS_MB[tool] and not sig and status and status.group(1) in ("0", "1")
            if not ok:
                bad += 1
            st = f"signal {sig.group(1)}" if sig else f"exit {status.group(1) if status else '?'}"
            rows.append((name, tool, f"{rss_mb:.0f}", str(CAPS_MB[tool]),
                         f"{st}, {wall.group(1) if wall else '?'}" + ("" if ok else " OVER CAP"),
                         " ".join(counters[:6])))
    if markdown:
        print("| scenario | binary | peak RSS (MiB) | cap (MiB) | exit, wall time | counters that name the cut |")
        print("| --- | --- | ---: | ---: | --- | --- |")
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        for r in rows:
            print("  ".join(r))
    print(f"{len(rows)} runs, {bad} over cap or failed", file=sys.stderr)
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("outdir")
    g.add_argument("--scale", choices=["full", "ci"], default="full")
    m = sub.add_parser("measure")
    m.add_argument("bindir")
    m.add_argument("outdir")
    m.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    if a.cmd == "generate":
        generate(a.outdir, a.scale)
        return 0
    return measure(a.bindir, a.outdir, a.markdown)


if __name__ == "__main__":
    sys.exit(main())
