#!/usr/bin/env python3
"""QUIC benchmark capture: the Ethernet QUIC captures given, repeated ROUNDS times,
each copy with its own client address and port and its own server address (the
Initial keys depend only on the Destination Connection ID, so every copy decrypts
as the original). Copies are 5 ms apart; the UDP checksum is left 0 (legal in IPv4).

    make_quic_corpus.py OUT.pcap ROUNDS CAPTURE...
"""
import struct
import sys


def packets(path):
    d = open(path, "rb").read()
    if d[:4] != b"\xd4\xc3\xb2\xa1" or struct.unpack("<I", d[20:24])[0] != 1:
        raise SystemExit(f"{path}: only little-endian Ethernet pcaps")
    off = 24
    while off + 16 <= len(d):
        sec, usec, incl, _ = struct.unpack("<IIII", d[off:off + 16])
        yield sec + usec / 1e6, d[off + 16:off + 16 + incl]
        off += 16 + incl


def udp_of(frame):
    """(src, dst, sport, dport, payload) with addresses as bytes, or None."""
    et = struct.unpack(">H", frame[12:14])[0]
    p = frame[14:]
    if et == 0x0800 and p[9] == 17:
        ihl = (p[0] & 15) * 4
        src, dst, l4 = p[12:16], p[16:20], p[ihl:]
    elif et == 0x86DD and p[6] == 17:
        src, dst, l4 = p[8:24], p[24:40], p[40:]
    else:
        return None
    sport, dport, ln = struct.unpack(">HHH", l4[:6])
    return src, dst, sport, dport, l4[8:ln]


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f">{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    out, rounds, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    flows = []  # per capture: [(dt, from_client, payload)]
    for f in files:
        pk, client, t0 = [], None, None
        for ts, frame in packets(f):
            u = udp_of(frame)
            if not u:
                continue
            if client is None:
                client, t0 = (u[0], u[2]), ts
            pk.append((ts - t0, (u[0], u[2]) == client, u[4]))
        flows.append(pk)
    with open(out, "wb") as w:
        w.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        base, n = 1700000000.0, 0
        for r in range(rounds):
            for i, pk in enumerate(flows):
                n += 1
                cip = bytes([10, n >> 16 & 255, n >> 8 & 255, n & 255])
                sip = bytes([172, 16, i, r & 255])
                cport = 1024 + (n * 7919) % 60000
                for dt, from_client, payload in pk:
                    src, dst, sp, dp = (cip, sip, cport, 443) if from_client else (sip, cip, 443, cport)
                    udp = struct.pack(">HHHH", sp, dp, 8 + len(payload), 0) + payload
                    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, src, dst)
                    ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
                    frame = b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + ip + udp
                    t = base + r * 0.005 * len(flows) + i * 0.005 + dt
                    w.write(struct.pack("<IIII", int(t), int(t % 1 * 1e6), len(frame), len(frame)) + frame)


main()
