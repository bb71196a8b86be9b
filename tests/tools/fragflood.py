#!/usr/bin/env python3
"""Fragment flood: writes a raw-IP pcap of IPv4 first fragments (offset 0, MF set) of
distinct datagrams, from random sources with random ids, to time the IP defragmentation
table once it is full. Standard library only.

  fragflood.py OUT [--count N] [--complete-every K] [--step-us U] [--seed S]

  --count N           first fragments written (default 1,000,000)
  --complete-every K  every K-th datagram also gets its last fragment, sent LAG packets
                      later, so it completes if it has not been evicted by then
                      (default 0: none complete, a pure flood)
  --lag L             packets between a datagram's first and last fragment (default 16)
  --step-us U         capture time between packets in microseconds (default 10)

Timing, e.g.:  time build/pcap2pkt --payload=none F >/dev/null ; time build/flowstat F >/dev/null
"""
import argparse
import random
import struct


def ipv4(src, dst, proto, payload, ident, mf, frag_off):
    flags = (0x2000 if mf else 0) | (frag_off // 8)
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, 64, proto, 0,
                      src, dst)
    s = sum(struct.unpack(">10H", hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return hdr[:10] + struct.pack(">H", ~s & 0xFFFF) + hdr[12:] + payload


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--complete-every", type=int, default=0)
    ap.add_argument("--lag", type=int, default=16)
    ap.add_argument("--step-us", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    rnd = random.Random(a.seed)
    dst = bytes([10, 0, 0, 1])
    body = bytes(range(48))  # first fragment: 8-byte UDP header + 48 bytes (a multiple of 8)
    t = 1_700_000_000_000_000
    pending = []  # (due packet index, last fragment bytes)
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))  # raw IP

        def add(pkt):
            nonlocal t
            t += a.step_us
            f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(pkt), len(pkt)))
            f.write(pkt)

        n = 0
        for i in range(a.count):
            src = struct.pack(">I", rnd.getrandbits(32) | 0x01000000)
            ident = rnd.getrandbits(16)
            sport = rnd.getrandbits(16)
            rest = bytes(24)
            udp = struct.pack(">HHHH", sport, 53, 8 + len(body) + len(rest), 0)
            add(ipv4(src, dst, 17, udp + body, ident, True, 0))
            n += 1
            if a.complete_every and i % a.complete_every == 0:
                pending.append((n + a.lag, ipv4(src, dst, 17, rest, ident, False, 8 + len(body))))
            while pending and pending[0][0] <= n:
                add(pending.pop(0)[1])
                n += 1
        for _, pkt in pending:
            add(pkt)


if __name__ == "__main__":
    main()
