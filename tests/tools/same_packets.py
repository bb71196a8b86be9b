#!/usr/bin/env python3
"""Compares the packets of two capture files (pcap or pcapng, either byte order):
timestamps (to the microsecond, as tcpdump -w writes them), captured bytes and wire
lengths, in order. Link types too (their low 16 bits: the FCS flags above them are
not the packet's), unless --any-linktype.

usage: same_packets.py A B [--any-linktype]     exit 0: the same packets; 1: not (says where)"""
import struct
import sys


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    out = []
    if len(data) < 4:
        return out
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        nsec = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        linktype = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
        at = 24
        while at + 16 <= len(data):
            sec, frac, incl, orig = struct.unpack(e + "IIII", data[at:at + 16])
            usec = frac // 1000 if nsec else frac
            out.append((linktype, sec * 1000000 + usec, data[at + 16:at + 16 + incl], orig))
            at += 16 + incl
        return out
    # pcapng
    at, e, ifaces = 0, "<", []
    while at + 12 <= len(data):
        btype = struct.unpack("<I", data[at:at + 4])[0]
        if btype == 0x0A0D0D0A:
            e = "<" if data[at + 8:at + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        blen = struct.unpack(e + "I", data[at + 4:at + 8])[0]
        body = data[at + 8:at + blen - 4]
        if btype == 1:
            lt = struct.unpack(e + "H", body[:2])[0]
            res, o = 6, 8
            while o + 4 <= len(body):
                code, ln = struct.unpack(e + "HH", body[o:o + 4])
                if code == 0:
                    break
                if code == 9:
                    v = body[o + 4]
                    res = -(v & 0x7F) if v & 0x80 else v
                o += 4 + (ln + 3) // 4 * 4
            ifaces.append((lt, res))
        elif btype == 6:
            iid, hi, lo, cap, orig = struct.unpack(e + "IIIII", body[:20])
            lt, res = ifaces[iid]
            t = hi << 32 | lo
            usec = t * 1000000 // (10 ** res) if res >= 0 else t * 1000000 // (2 ** -res)
            out.append((lt, usec, body[20:20 + cap], orig))
        elif btype == 3:
            orig = struct.unpack(e + "I", body[:4])[0]
            lt, res = ifaces[0]
            out.append((lt, None, body[4:4 + min(orig, len(body) - 4)], orig))
        if blen < 12:
            break
        at += blen
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    any_lt = "--any-linktype" in sys.argv
    a, b = packets(args[0]), packets(args[1])
    if len(a) != len(b):
        print(f"{len(a)} packets in {args[0]}, {len(b)} in {args[1]}")
        return 1
    for i, (p, q) in enumerate(zip(a, b), 1):
        if any_lt:
            p, q = p[1:], q[1:]
        if p != q:
            print(f"packet {i} differs: {p[:2] if not any_lt else p[:1]} / {q[:2] if not any_lt else q[:1]}, "
                  f"{len(p[-2])} / {len(q[-2])} bytes, wire {p[-1]} / {q[-1]}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
