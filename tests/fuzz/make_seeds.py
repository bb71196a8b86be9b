#!/usr/bin/env python3
"""Seed corpora for the libFuzzer harnesses, from the fixture captures and the
test data (standard library only).

usage: make_seeds.py OUTDIR [--bin DIR]   (DIR holds pcap2pkt and tcpflow-reasm, for the
JSON Lines readers' seeds and the HTTP/TLS pieces; without it those corpora get only
hand-written seeds)."""
import argparse
import base64
import glob
import hashlib
import json
import os
import random
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(SRC, "tests", "data", "fixtures")
ROBUSTNESS = os.path.join(SRC, "tests", "data", "robustness")
LINKTYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 9, 50, 104, 239, 242, 105, 127, 147]  # fuzz_decode's order


def captures():
    files = sorted(glob.glob(os.path.join(FIXTURES, "*.pcap*")))
    files += sorted(glob.glob(os.path.join(SRC, "tests", "data", "*.pcap*")))
    files += sorted(glob.glob(os.path.join(SRC, "tests", "data", "malformed", "*")))
    return files


def packets(path):
    """(linktype, frame) of every packet of a classic pcap or pcapng file; stops quietly
    at anything odd (these are seeds, not a reader)."""
    data = open(path, "rb").read()
    out = []
    if len(data) < 24:
        return out
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        lt = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
        pos = 24
        while pos + 16 <= len(data):
            incl = struct.unpack(e + "I", data[pos + 8:pos + 12])[0]
            if pos + 16 + incl > len(data):
                break
            out.append((lt, data[pos + 16:pos + 16 + incl]))
            pos += 16 + incl
    elif magic == b"\x0a\x0d\x0d\x0a":
        pos, e, lts = 0, "<", []
        while pos + 12 <= len(data):
            btype = struct.unpack(e + "I", data[pos:pos + 4])[0]
            if btype == 0x0A0D0D0A:
                e = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                btype = 0x0A0D0D0A
            blen = struct.unpack(e + "I", data[pos + 4:pos + 8])[0]
            if blen < 12 or pos + blen > len(data):
                break
            body = data[pos + 8:pos + blen - 4]
            if btype == 1 and len(body) >= 2:
                lts.append(struct.unpack(e + "H", body[:2])[0])
            elif btype == 6 and len(body) >= 20:
                iface, _, _, cap = struct.unpack(e + "IIII", body[:16])
                if iface < len(lts):
                    out.append((lts[iface], body[20:20 + cap]))
            pos += blen
    return out


def ip_of(lt, frame):
    if lt == 1 and len(frame) > 14:
        et = frame[12:14]
        off = 14
        while et == b"\x81\x00" and len(frame) > off + 4:
            et, off = frame[off + 2:off + 4], off + 4
        return frame[off:] if et in (b"\x08\x00", b"\x86\xdd") else None
    if lt in (12, 14, 101, 228, 229):
        return frame
    if lt == 113 and len(frame) > 16:
        return frame[16:]
    if lt == 276 and len(frame) > 20:
        return frame[20:]
    return None


class Corpus:
    def __init__(self, root):
        self.root = root

    def add(self, name, data):
        d = os.path.join(self.root, name)
        os.makedirs(d, exist_ok=True)
        if isinstance(data, str):
            data = data.encode()
        h = hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(d, h), "wb") as f:
            f.write(data)


def piece_stream(sessions_lines, kind):
    """tcpflow-reasm records of one session -> the piece encoding of fuzz_http / fuzz_tls."""
    out = bytearray()
    out.append(0x01 if kind == "http" else 0x20)  # config byte
    for r in sessions_lines:
        if r.get("type") != "monologue":
            continue
        data = base64.b64decode(r.get("data") or "")
        d = 1 if r["dir"] == "s2c" else 0
        gap = r.get("gap_before", 0)
        limit = 4095 if kind == "http" else 2047
        first = True
        while True:
            part, data = data[:limit], data[limit:]
            h = d
            if gap and first:
                h |= 2
            if kind == "http" and r.get("last") and not data:
                h |= 4
            out.append(h)
            if h & 2:
                out.append(min(gap, 31) if kind == "http" else max(0, min(gap, 32) - 1))
            out += struct.pack(">H", len(part))
            out += part
            first = False
            if not data:
                break
    return bytes(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--bin")
    a = ap.parse_args()
    c = Corpus(a.outdir)
    rnd = random.Random(1)

    for path in captures():
        if os.path.getsize(path) <= 65536:
            c.add("capture", open(path, "rb").read())
        pk = packets(path)
        for lt, frame in pk[:40]:
            sel = LINKTYPES.index(lt) if lt in LINKTYPES else len(LINKTYPES) - 1
            c.add("decode", bytes([sel, 0, 0]) + frame)
            c.add("decode", bytes([sel | 0x80, 0, 0]) + frame)
        # defrag: the IP datagrams of a capture, in order.
        seq = bytearray([8, 0])
        for lt, frame in pk[:200]:
            ip = ip_of(lt, frame)
            if ip is not None:
                seq += bytes([1]) + struct.pack(">H", len(ip)) + ip
        if len(seq) > 2:
            c.add("defrag", bytes(seq))
        # dns: each UDP payload on a DNS port, and one datagram stream of them all.
        stream = bytearray()
        for lt, frame in pk[:200]:
            ip = ip_of(lt, frame)
            if ip is None or len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            udp = ip[(ip[0] & 15) * 4:]
            if len(udp) < 8 or 53 not in struct.unpack(">HH", udp[:4]):
                continue
            c.add("dns", udp[8:])
            if len(udp) - 8 < 256:
                stream += bytes([9 if udp[1] == 53 else 8]) + bytes([len(udp) - 8]) + udp[8:]
        if stream:
            c.add("dns", bytes(stream) + b"\0")
    for path in sorted(glob.glob(os.path.join(ROBUSTNESS, "*.pcap*"))):
        if os.path.getsize(path) <= 16384:
            c.add("capture", open(path, "rb").read())

    # TCP reassembly: handshakes, data both ways, reordering, FIN/RST, a few endpoints.
    for s in range(24):
        b = bytearray([rnd.randrange(256), rnd.randrange(256), rnd.randrange(256),
                       rnd.randrange(256), rnd.randrange(256)]) + struct.pack(">I", rnd.getrandbits(32))
        ep = rnd.randrange(8)
        script = [(0, 0x02, 0, 0), (1, 0x12, 0, 0), (0, 0x10, 0, 0)]
        for _ in range(rnd.randrange(3, 30)):
            script.append((rnd.randrange(2), rnd.choice([0x18, 0x10, 0x18]), rnd.randrange(-8, 9),
                           rnd.randrange(64)))
        script.append((rnd.randrange(2), rnd.choice([0x11, 0x04]), 0, 0))
        for dirn, flags, delta, ln in script:
            b += bytes([ep | dirn << 3, flags, delta & 0xFF, ln, rnd.randrange(4)])
            b += bytes(rnd.randrange(32, 127) for _ in range(ln))
        c.add("tcp_reasm", bytes(b))

    # HTTP and TLS pieces, hello bodies; JSON Lines of both stages.
    handmade = [
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 20\r\n\r\n"
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcbH\xcd\xc9\xc9\x07\x00\x86\xa6\x106\x05\x00",
    ]
    stream = bytearray([0x03])
    for i, m in enumerate(handmade):
        stream += bytes([i & 1 if i else 0]) + struct.pack(">H", len(m)) + m
    c.add("http", bytes(stream))
    # Start lines off the grammar, bare LF, TE and CL together, an unsolicited response.
    liberal = [
        (0, b"GET /a HTTP/1.\r\n\r\nFOO  /b\tHTTP/1.1\nHost: h\n\n\x01junk\r\nGET /c\r\n"),
        (1, b"HTTP/1. 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 404\nContent-Length: 1\n\nx"),
        (0, b"POST /d HTTP/1.1\r\nContent-Length: 30\r\nTransfer-Encoding: chunked, identity\r\n\r\n"
            b"0\r\n\r\nGET /e HTTP/1.1\r\n\r\n"),
        (1, b"http/1.1  200OK\r\n\r\nHTTP/1.0 204 x\r\n\r\nHTTP/1.1 204\r\n\r\n"),
    ]
    stream = bytearray([0x03])
    for d, m in liberal:
        stream += bytes([d]) + struct.pack(">H", len(m)) + m
    c.add("http", bytes(stream))
    if a.bin:
        for path in captures():
            try:
                pkt = subprocess.run([os.path.join(a.bin, "pcap2pkt"), path], capture_output=True,
                                     timeout=30).stdout
                reasm = subprocess.run([os.path.join(a.bin, "tcpflow-reasm"), path],
                                       capture_output=True, timeout=30).stdout
            except (OSError, subprocess.TimeoutExpired):
                continue
            lines = pkt.splitlines(keepends=True)
            for i in range(0, min(len(lines), 200), 20):
                c.add("pkt_reader", b"".join(lines[i:i + 20]))
            by_flow = {}
            for ln in reasm.splitlines(keepends=True):
                try:
                    r = json.loads(ln)
                except ValueError:
                    continue
                by_flow.setdefault(r.get("flow_id"), []).append((r, ln))
            for recs in list(by_flow.values())[:8]:
                raw = b"".join(ln for _, ln in recs)
                if len(raw) < 200000:
                    c.add("session_reader", raw)
                rs = [r for r, _ in recs]
                first = next((r for r in rs if r.get("type") == "monologue"), None)
                if not first:
                    continue
                data = base64.b64decode(first.get("data") or "")
                if data[:1] == b"\x16":
                    c.add("tls", piece_stream(rs, "tls"))
                    if len(data) > 9:
                        c.add("tls", data[9:5 + struct.unpack(">H", data[3:5])[0]])
                elif data[:1].isalpha():
                    c.add("http", piece_stream(rs, "http"))
    else:
        c.add("pkt_reader", '{"type":"pkt","n":1}\n')
        c.add("session_reader", '{"type":"session_start"}\n')
    c.add("tls", b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00")
    return 0


if __name__ == "__main__":
    sys.exit(main())
