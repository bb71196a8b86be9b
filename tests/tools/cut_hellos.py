#!/usr/bin/env python3
"""Writes a capture of TLS sessions whose hellos are cut in every way a hello can be
cut, for tests/cli/tlssni.bats. Standard library only.

  cut_hellos.py FIXTURE.pcap OUT.pcap

The ClientHello and ServerHello are the first ones found in FIXTURE (a real capture).
One session per case, client port 41000 + case number:

  0 whole        the whole ClientHello (control: fingerprinted)
  1 first40      the first 40 bytes of the ClientHello record, then FIN
  2 record_long  record length raised to 16000, the hello's bytes, then FIN
  3 hs_16mb      handshake length 0xffffff in a record of the hello's size, then FIN
  4 hs_long      handshake length 100 bytes beyond the record, then an application-data record
  5 gap          first 100 bytes, 50 bytes never captured, the rest
  6 ext_cut      record and handshake lengths shortened consistently to end inside the
                 extension block (the block's own length promises more)
  7 one_byte     one byte of the ClientHello record
  8 server_cut   the whole ClientHello; the ServerHello record cut after 50 bytes
"""
import struct
import sys

import pcapgen
from pcapgen import ACK, FIN, PSH, SYN, tcp

CLIENT, SERVER = bytes([10, 3, 0, 1]), bytes([10, 3, 0, 2])


def Pcap(path):
    return pcapgen.Pcap(path, 1000)


class Conn:
    def __init__(self, out, cport):
        self.out, self.cp = out, cport
        self.cseq, self.sseq = 1000, 5000
        out.add(tcp(CLIENT, SERVER, cport, 443, self.cseq, 0, SYN))
        out.add(tcp(SERVER, CLIENT, 443, cport, self.sseq, self.cseq + 1, SYN | ACK))
        self.cseq += 1
        self.sseq += 1
        out.add(tcp(CLIENT, SERVER, cport, 443, self.cseq, self.sseq, ACK))

    def send(self, from_client, data, skip=0):
        """Sends data; skip bytes of sequence space before it are never captured (a gap)."""
        for i in range(0, len(data), 1400):
            part = data[i:i + 1400]
            if from_client:
                self.cseq += skip
                self.out.add(tcp(CLIENT, SERVER, self.cp, 443, self.cseq, self.sseq, PSH | ACK, part))
                self.cseq += len(part)
            else:
                self.sseq += skip
                self.out.add(tcp(SERVER, CLIENT, 443, self.cp, self.sseq, self.cseq, PSH | ACK, part))
                self.sseq += len(part)
            skip = 0

    def close(self):
        self.out.add(tcp(CLIENT, SERVER, self.cp, 443, self.cseq, self.sseq, FIN | ACK))
        self.out.add(tcp(SERVER, CLIENT, 443, self.cp, self.sseq, self.cseq + 1, FIN | ACK))
        self.out.add(tcp(CLIENT, SERVER, self.cp, 443, self.cseq + 1, self.sseq + 1, ACK))


def find_record(data, hs_type):
    """The first whole TLS handshake record of hs_type (1 ClientHello, 2 ServerHello)."""
    for i in range(len(data) - 9):
        if data[i] == 0x16 and data[i + 1] == 3 and data[i + 2] <= 4 and data[i + 5] == hs_type:
            n = struct.unpack(">H", data[i + 3:i + 5])[0]
            hs_len = int.from_bytes(data[i + 6:i + 9], "big")
            if hs_len + 4 == n and i + 5 + n <= len(data):
                return data[i:i + 5 + n]
    sys.exit(f"no handshake record of type {hs_type} found")


def reframe(rec, hs_len=None, rec_len=None, body_bytes=None):
    """rec with the handshake length and/or record length replaced, body cut to body_bytes."""
    hs = rec[5:]
    if body_bytes is not None:
        hs = hs[:4 + body_bytes]
    if hs_len is not None:
        hs = hs[:1] + hs_len.to_bytes(3, "big") + hs[4:]
    return rec[:3] + struct.pack(">H", len(hs) if rec_len is None else rec_len) + hs


def main():
    fixture, out_path = sys.argv[1:3]
    data = open(fixture, "rb").read()
    ch, sh = find_record(data, 1), find_record(data, 2)
    body_len = len(ch) - 9
    # Where the extension block's 2-byte length sits: after version, random, session id,
    # cipher suites and compression methods.
    b = ch[9:]
    off = 2 + 32
    off += 1 + b[off]
    off += 2 + struct.unpack(">H", b[off:off + 2])[0]
    off += 1 + b[off]
    ext_cut = off + 2 + (body_len - off - 2) // 2  # half-way into the extension block
    app = b"\x17\x03\x03\x00\x03abc"
    out = Pcap(out_path)
    cases = [
        lambda c: c.send(True, ch),
        lambda c: c.send(True, ch[:40]),
        lambda c: c.send(True, reframe(ch, rec_len=16000)),
        lambda c: c.send(True, reframe(ch, hs_len=0xFFFFFF)),
        lambda c: c.send(True, reframe(ch, hs_len=body_len + 100) + app),
        lambda c: (c.send(True, ch[:100]), c.send(True, ch[150:], skip=50)),
        lambda c: c.send(True, reframe(ch, hs_len=ext_cut, body_bytes=ext_cut)),
        lambda c: c.send(True, ch[:1]),
        lambda c: (c.send(True, ch), c.send(False, sh[:50])),
    ]
    for n, case in enumerate(cases):
        c = Conn(out, 41000 + n)
        case(c)
        c.close()
    out.f.close()


if __name__ == "__main__":
    main()
