#!/usr/bin/env python3
"""Captures for tests/cli/signals.bats (a run stopped by a signal). Standard library only.

  signal_captures.py busy OUT      2000 TCP sessions, each an HTTP POST whose body keeps
                                   coming (50 segments of 100 bytes), interleaved and never
                                   closed: a long run of packets that leaves every session,
                                   flow and HTTP transaction open, and writes few records
  signal_captures.py half IN OUT   the first half of IN's packets (pcap or pcapng), so
                                   that some sessions are still open where it stops"""
import struct
import sys

from hostile import Conn, Pcap


def busy(path):
    out = Pcap(path)
    conns = [Conn(out, 20000 + i, client=bytes([10, 2, i // 250, i % 250 + 1])) for i in range(2000)]
    for c in conns:
        c.send(True, b"POST /up HTTP/1.1\r\nHost: signals.test\r\nContent-Length: 1000000\r\n\r\n")
    for _ in range(50):
        for c in conns:
            c.send(True, b"z" * 100)
    out.close()


def half(src, dst):
    data = open(src, "rb").read()
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        pos, blocks = 0, []
        while pos + 12 <= len(data):
            btype, blen = struct.unpack("<II", data[pos:pos + 8])
            blocks.append((btype, data[pos:pos + blen]))
            pos += blen
        packets = [i for i, (t, _) in enumerate(blocks) if t in (3, 6)]
        keep = b"".join(b for _, b in blocks[:packets[len(packets) // 2]])
    else:
        pos, ends = 24, []
        while pos + 16 <= len(data):
            pos += 16 + struct.unpack("<I", data[pos + 8:pos + 12])[0]
            ends.append(pos)
        keep = data[:ends[len(ends) // 2 - 1]]
    open(dst, "wb").write(keep)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "busy":
        busy(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "half":
        half(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
