#!/usr/bin/env python3
"""tests/data/udp/dtls.pcap: DTLS hellos over UDP (raw IP), deterministic.

  10.8.0.1:50001 -> :4433  DTLS 1.2 with a cookie exchange: ClientHello (no cookie)
                           in two fragments sent in reverse order, HelloVerifyRequest,
                           ClientHello with a 16-byte cookie (sent twice), ServerHello
                           in two fragments in two records of one datagram
  10.8.0.1:50002 -> :4434  DTLS 1.0: one ClientHello, one ServerHello (record and
                           handshake in one datagram each)
  10.8.0.1:50003 -> :4435  a ClientHello whose second fragment never comes

ClientHellos name dtls12.test, dtls10.test and cut.test.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(__file__))
from pcapgen import Pcap, ipv4  # noqa: E402

C, S = bytes([10, 8, 0, 1]), bytes([10, 8, 0, 2])


def u16(v):
    return struct.pack(">H", v)


def u24(v):
    return struct.pack(">I", v)[1:]


def vec8(b):
    return bytes([len(b)]) + b


def vec16(b):
    return u16(len(b)) + b


def udp(src, dst, sport, dport, payload):
    return ipv4(src, dst, 17, struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload)


def client_hello_body(version, sni, cookie=b""):
    exts = u16(0) + vec16(vec16(b"\0" + vec16(sni.encode())))
    exts += u16(10) + vec16(vec16(u16(0x001d) + u16(0x0017)))
    exts += u16(11) + vec16(vec8(b"\0"))
    exts += u16(13) + vec16(vec16(u16(0x0403) + u16(0x0401)))
    return (u16(version) + bytes(range(32)) + vec8(b"") + vec8(cookie) +
            vec16(u16(0xc02b) + u16(0xc02f) + u16(0x00ff)) + vec8(b"\0") + vec16(exts))


def server_hello_body(version):
    return u16(version) + bytes(range(50, 82)) + vec8(b"") + u16(0xc02b) + b"\0" + vec16(u16(0xff01) + vec16(b"\0"))


def frag(mtype, seq, body, off, length):
    return bytes([mtype]) + u24(len(body)) + u16(seq) + u24(off) + u24(length) + body[off:off + length]


def record(version, seq, payload, ctype=22):
    return bytes([ctype]) + u16(version) + u16(0) + struct.pack(">Q", seq)[2:] + vec16(payload)


def main(out):
    p = Pcap(out, 1000)
    v = 0xfefd
    ch1 = client_hello_body(v, "dtls12.test")
    half = len(ch1) // 2
    send = lambda c, sp, dp, data: p.add(udp(C, S, sp, dp, data) if c else udp(S, C, dp, sp, data))
    send(True, 50001, 4433, record(v, 1, frag(1, 0, ch1, half, len(ch1) - half)))
    send(True, 50001, 4433, record(v, 0, frag(1, 0, ch1, 0, half)))
    cookie = bytes(range(200, 216))
    hvr = u16(0xfeff) + vec8(cookie)
    send(False, 50001, 4433, record(0xfeff, 0, frag(3, 0, hvr, 0, len(hvr))))
    ch2 = client_hello_body(v, "dtls12.test", cookie)
    send(True, 50001, 4433, record(v, 2, frag(1, 1, ch2, 0, len(ch2))))
    send(True, 50001, 4433, record(v, 3, frag(1, 1, ch2, 0, len(ch2))))
    sh = server_hello_body(v)
    send(False, 50001, 4433, record(v, 1, frag(2, 1, sh, 0, 20)) + record(v, 2, frag(2, 1, sh, 20, len(sh) - 20)))
    v10 = 0xfeff
    ch = client_hello_body(v10, "dtls10.test")
    send(True, 50002, 4434, record(v10, 0, frag(1, 0, ch, 0, len(ch))))
    sh = server_hello_body(v10)
    send(False, 50002, 4434, record(v10, 0, frag(2, 0, sh, 0, len(sh))))
    ch = client_hello_body(v, "cut.test")
    send(True, 50003, 4435, record(v, 0, frag(1, 0, ch, 0, 60)))
    p.close()


main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/udp/dtls.pcap")
