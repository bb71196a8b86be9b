#!/usr/bin/env python3
"""Writes tests/data/crafted_http_liberal.pcap: HTTP/1.x that strays from RFC 9112, which
httpextract reads as liberally as Zeek does, and one connection that is not HTTP.
    make_http_liberal.py [OUTDIR]      (default: tests/data beside this script)

Connection 1 (10.9.0.2:41000 -> 10.9.0.1:80), keep-alive, one transaction at a time:
  tx 0  GET /first HTTP/1.1                     200, clean
  tx 1  GET /odd HTTP/1.       (bad version)    "HTTP/1. 200 OK" (bad version)
  tx 2  FOO  /weird  HTTP/1.1, bare LF ends     404 with bare LF ends
  tx 3  POST /te, Transfer-Encoding twice and a Content-Length covering the next
        request: TE wins (RFC 9112 6.3), the body is the empty chunked body
  tx 4  GET /smuggled HTTP/1.1                  the request the Content-Length hid
  tx 5  GET /last HTTP/1.1                      200 "last"
  tx 6  (no request)                            an unsolicited 204
then FIN both ways.
Connection 2 (10.9.0.2:41001 -> 10.9.0.1:80): a TLS ClientHello record start and an
alert back: not HTTP (counted as non_http, no record).
Ethernet, checksums correct. No third-party modules: struct only."""
import os
import struct
import sys

from pcapgen import ipv4_tcp

CLIENT, SERVER = bytes([10, 9, 0, 2]), bytes([10, 9, 0, 1])
MAC_C, MAC_S = bytes.fromhex("020000090002"), bytes.fromhex("020000090001")
H = b"Host: liberal.test"
SMUGGLED = b"GET /smuggled HTTP/1.1\r\n" + H + b"\r\n\r\n"
TE_BODY = b"0\r\n\r\n" + SMUGGLED
EXCHANGES = [
    (b"GET /first HTTP/1.1\r\n" + H + b"\r\n\r\n",
     b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    (b"GET /odd HTTP/1.\r\n" + H + b"\r\n\r\n",
     b"HTTP/1. 200 OK\r\nContent-Length: 3\r\n\r\nodd"),
    (b"FOO  /weird  HTTP/1.1\n" + H + b"\n\n",
     b"HTTP/1.1 404 Not Found\nContent-Length: 0\n\n"),
    (b"POST /te HTTP/1.1\r\n" + H + b"\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
     b"Content-Length: %d\r\n\r\n" % len(TE_BODY) + TE_BODY,
     b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    (None, b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"),  # answers the smuggled request
    (b"GET /last HTTP/1.1\r\n" + H + b"\r\n\r\n",
     b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlast"),
    (None, b"HTTP/1.1 204 No Content\r\n\r\n"),  # unsolicited
]
TLS_HELLO = bytes.fromhex("16030100a5010000a10303") + bytes(32)
TLS_ALERT = bytes.fromhex("15030300020228")


def frame(from_client, sport, dport, seq, ack, flags, payload, ident):
    src, dst = (CLIENT, SERVER) if from_client else (SERVER, CLIENT)
    eth = (MAC_S + MAC_C if from_client else MAC_C + MAC_S) + b"\x08\x00"
    return eth + ipv4_tcp(src, dst, sport, dport, seq, ack, flags, payload, ident)


def connection(cport, steps):
    """steps: (from_client, payload) in order; handshake and FINs around them."""
    SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
    c, s = 1000, 7000
    out = []
    def send(from_client, flags, payload=b""):
        nonlocal c, s
        if from_client:
            out.append(frame(True, cport, 80, c, 0 if flags == SYN else s, flags, payload, len(out) + 1))
            c += len(payload) + (1 if flags & (SYN | FIN) else 0)
        else:
            out.append(frame(False, 80, cport, s, c, flags, payload, len(out) + 1))
            s += len(payload) + (1 if flags & (SYN | FIN) else 0)
    send(True, SYN)
    send(False, SYN | ACK)
    send(True, ACK)
    for from_client, payload in steps:
        send(from_client, PSH | ACK, payload)
        send(not from_client, ACK)
    send(True, FIN | ACK)
    send(False, FIN | ACK)
    send(True, ACK)
    return out


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
    steps = []
    for req, resp in EXCHANGES:
        if req is not None:
            steps.append((True, req))
        steps.append((False, resp))
    frames = connection(41000, steps) + connection(41001, [(True, TLS_HELLO), (False, TLS_ALERT)])
    with open(os.path.join(out, "crafted_http_liberal.pcap"), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i // 4, (i % 4) * 250000, len(fr), len(fr)))
            f.write(fr)


if __name__ == "__main__":
    main()
