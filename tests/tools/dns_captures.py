#!/usr/bin/env python3
"""DNS test captures for tests/cli/dnsextract.bats and the golden cases. Standard
library only; raw IP (link type 101), client 10.53.0.1, server 10.53.0.2.

  dns_captures.py udp OUT   record types (MX, TXT, SOA, SRV, CAA, NAPTR, SSHFP, DS,
                            DNSKEY, RRSIG, NSEC, NSEC3, HTTPS, OPT with client subnet and
                            cookie, an unknown type), a response in two IP fragments,
                            mDNS, LLMNR, DNS on port 5300, a UDP datagram that is not DNS
  dns_captures.py pairing OUT  three queries in flight answered in reverse order, a
                            retransmitted query, two responses to one query, an
                            unsolicited response, a query unanswered (capture time moves
                            6 s on), a query unanswered at the end of input
  dns_captures.py bad OUT   a compression loop, a forward pointer, a name over 255
                            bytes, a label length over 63, rdlength past the message,
                            the TC bit, counts promising more than the message holds,
                            an A record of 5 bytes, a 5-byte message on port 53
  dns_captures.py tcp OUT   DNS over TCP: two queries in one segment, a response over
                            three segments, a session picked up mid-message (no
                            handshake), a session ending inside a message"""
import struct
import sys

from pcapgen import ACK, FIN, PSH, SYN, Pcap, ipv4, tcp

C, S = bytes([10, 53, 0, 1]), bytes([10, 53, 0, 2])


def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".") if l) + b"\0"


def header(ident, flags, qd=0, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", ident, flags, qd, an, ns, ar)


def question(n, t, c=1):
    return name(n) + struct.pack(">HH", t, c)


def rr(n, t, rdata, ttl=300, c=1, raw_name=None):
    return (raw_name if raw_name is not None else name(n)) + struct.pack(">HHIH", t, c, ttl, len(rdata)) + rdata


def query(ident, n, t, extra=b"", ar=0):
    return header(ident, 0x0100, 1, 0, 0, ar) + question(n, t) + extra


def response(ident, n, t, answers=(), auth=(), add=(), rcode=0, flags=0x8180):
    return (header(ident, flags | rcode, 1, len(answers), len(auth), len(add)) + question(n, t) +
            b"".join(answers) + b"".join(auth) + b"".join(add))


def udp(src, dst, sport, dport, payload):
    return ipv4(src, dst, 17, struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload)


def a(ip):
    return bytes(int(x) for x in ip.split("."))


def cstr(s):
    return bytes([len(s)]) + s


def opt(options, udp_size=1232, do=False):
    rdata = b"".join(struct.pack(">HH", code, len(d)) + d for code, d in options)
    return rr("", 41, rdata, ttl=0x8000 if do else 0, c=udp_size, raw_name=b"\0")


def exchange(out, sport, q, r, dport=53, src=C, dst=S):
    out.add(udp(src, dst, sport, dport, q))
    out.add(udp(dst, src, dport, sport, r))


def udp_capture(path):
    out = Pcap(path, 1000)
    n = "types.dns.test"
    exchange(out, 40001, query(0x101, "mail." + n, 15),
             response(0x101, "mail." + n, 15, [rr("mail." + n, 15, struct.pack(">H", 10) + name("mx1." + n))]))
    exchange(out, 40002, query(0x102, "txt." + n, 16),
             response(0x102, "txt." + n, 16, [rr("txt." + n, 16, cstr(b"v=spf1 ") + cstr(b"-all") + cstr(b"\x01\"q\""))]))
    soa = name("ns1." + n) + name("hostmaster." + n) + struct.pack(">IIIII", 2024010101, 7200, 3600, 1209600, 300)
    exchange(out, 40003, query(0x103, "nx." + n, 1),
             response(0x103, "nx." + n, 1, auth=[rr(n, 6, soa)], rcode=3))
    srv = struct.pack(">HHH", 10, 60, 5060) + name("sip." + n)
    exchange(out, 40004, query(0x104, "_sip._udp." + n, 33),
             response(0x104, "_sip._udp." + n, 33, [rr("_sip._udp." + n, 33, srv)]))
    caa = bytes([128, 5]) + b"issue" + b"letsencrypt.org"
    naptr = struct.pack(">HH", 100, 10) + cstr(b"S") + cstr(b"SIP+D2U") + cstr(b"") + name("_sip._udp." + n)
    sshfp = bytes([4, 2]) + bytes(range(32))
    ds = struct.pack(">HBB", 12345, 13, 2) + bytes(range(32))
    dnskey = struct.pack(">HBB", 257, 3, 13) + bytes(range(64))
    rrsig = (struct.pack(">HBBIIIH", 1, 13, 3, 300, 1735689600, 1733097600, 12345) + name(n) + bytes(range(64)))
    nsec = name("z." + n) + bytes([0, 6, 0x40, 0x01, 0, 0, 0, 0x03])  # A, MX, RRSIG, NSEC
    nsec3 = bytes([1, 0]) + struct.pack(">H", 0) + cstr(b"\xab\xcd") + cstr(bytes(range(20))) + bytes([0, 1, 0x40])
    answers = [rr(n, 257, caa), rr(n, 35, naptr), rr(n, 44, sshfp), rr(n, 43, ds), rr(n, 48, dnskey),
               rr(n, 46, rrsig), rr(n, 47, nsec), rr(n, 50, nsec3), rr(n, 65280, b"\x01\x02\x03")]
    exchange(out, 40005, query(0x105, n, 255), response(0x105, n, 255, answers))
    svc = (struct.pack(">H", 1) + b"\0" + struct.pack(">HH", 1, 6) + cstr(b"h2") + cstr(b"h3") +
           struct.pack(">HH", 3, 2) + struct.pack(">H", 8443) + struct.pack(">HH", 4, 4) + a("10.53.0.9") +
           struct.pack(">HH", 5, 3) + b"ech")
    ecs = struct.pack(">HBB", 1, 24, 0) + a("192.0.2.0")[:3]
    cookie = bytes(range(8))
    exchange(out, 40006, query(0x106, "svc." + n, 65, opt([(8, ecs), (10, cookie)], do=True), ar=1),
             response(0x106, "svc." + n, 65, [rr("svc." + n, 65, svc)],
                      add=[opt([(8, struct.pack(">HBB", 1, 24, 24) + a("192.0.2.0")[:3]),
                                (10, cookie + bytes(range(8, 24)))], do=True)]))
    # A response too large for one fragment: 1480-byte fragments of one UDP datagram.
    big = response(0x107, "big." + n, 16, [rr("big." + n, 16, cstr(b"x" * 250) * 8)])
    out.add(udp(C, S, 40007, 53, query(0x107, "big." + n, 16)))
    dgram = struct.pack(">HHHH", 53, 40007, 8 + len(big), 0) + big
    out.add(ipv4(S, C, 17, dgram[:1480], ident=77, mf=True, frag_off=0))
    out.add(ipv4(S, C, 17, dgram[1480:], ident=77, mf=False, frag_off=1480))
    # mDNS: a query to the group, the answer from another host to the group.
    group = a("224.0.0.251")
    out.add(udp(C, group, 5353, 5353, header(0, 0, 1) + question("printer.local", 1)))
    out.add(udp(a("10.53.0.7"), group, 5353, 5353,
                header(0, 0x8400, 0, 1) + rr("printer.local", 1, a("10.53.0.7"), ttl=120, c=0x8001)))
    # LLMNR, and DNS on a port that is not DNS's.
    exchange(out, 40008, query(0x108, "host-llmnr", 1),
             response(0x108, "host-llmnr", 1, [rr("host-llmnr", 1, a("10.53.0.8"))], flags=0x8000), dport=5355)
    exchange(out, 40009, query(0x109, "alt-port." + n, 28),
             response(0x109, "alt-port." + n, 28, [rr("alt-port." + n, 28, bytes(15) + b"\1")]), dport=5300)
    out.add(udp(C, S, 40010, 9999, b"not dns at all, just some text bytes"))
    out.close()


def pairing_capture(path):
    out = Pcap(path, 1000)
    n = "pair.dns.test"
    for i in (1, 2, 3):
        out.add(udp(C, S, 41001, 53, query(0x200 + i, f"q{i}." + n, 1)))
    for i in (3, 2, 1):
        out.add(udp(S, C, 53, 41001, response(0x200 + i, f"q{i}." + n, 1, [rr(f"q{i}." + n, 1, a(f"10.53.1.{i}"))])))
    # Retransmitted query, answered once.
    out.add(udp(C, S, 41002, 53, query(0x210, "retx." + n, 1)))
    out.add(udp(C, S, 41002, 53, query(0x210, "retx." + n, 1)))
    out.add(udp(S, C, 53, 41002, response(0x210, "retx." + n, 1, [rr("retx." + n, 1, a("10.53.1.16"))])))
    # Two responses to one query (the second one differs: a spoof would).
    out.add(udp(C, S, 41003, 53, query(0x211, "twice." + n, 1)))
    out.add(udp(S, C, 53, 41003, response(0x211, "twice." + n, 1, [rr("twice." + n, 1, a("10.53.1.17"))])))
    out.add(udp(S, C, 53, 41003, response(0x211, "twice." + n, 1, [rr("twice." + n, 1, a("6.6.6.6"))])))
    # A response nobody asked for.
    out.add(udp(S, C, 53, 41004, response(0x212, "unasked." + n, 1, [rr("unasked." + n, 1, a("10.53.1.18"))])))
    # A query never answered; capture time moves on past the 5 s timeout.
    out.add(udp(C, S, 41005, 53, query(0x213, "lost." + n, 1)))
    out.t += 6_000_000
    exchange(out, 41006, query(0x214, "later." + n, 1),
             response(0x214, "later." + n, 1, [rr("later." + n, 1, a("10.53.1.20"))]))
    out.add(udp(C, S, 41007, 53, query(0x215, "end." + n, 1)))
    out.close()


def bad_capture(path):
    out = Pcap(path, 1000)
    n = "bad.dns.test"
    q = query(0x301, "loop." + n, 1)
    # Answer name: a pointer to itself.
    pos = len(q)
    exchange(out, 42001, q, response(0x301, "loop." + n, 1,
                                      [rr("", 1, a("10.53.2.1"), raw_name=struct.pack(">H", 0xC000 | pos))]))
    # A CNAME whose target is a pointer to a name placed after the records.
    q = query(0x302, "fwd." + n, 1)
    r = response(0x302, "fwd." + n, 1, [rr("", 5, b"\0\0", raw_name=b"\xc0\x0c")])
    r = r[:-2] + struct.pack(">H", 0xC000 | len(r))
    exchange(out, 42002, q, r + name("target." + n))
    longname = ".".join(["a" * 60] * 5)
    exchange(out, 42003, query(0x303, "long." + n, 1),
             response(0x303, "long." + n, 1, [rr("", 1, a("10.53.2.3"), raw_name=name(longname))]))
    exchange(out, 42004, query(0x304, "label." + n, 1),
             response(0x304, "label." + n, 1, [rr("", 1, a("10.53.2.4"), raw_name=b"\x41" + b"x" * 65 + b"\0")]))
    r = response(0x305, "rdlen." + n, 1, [rr("rdlen." + n, 1, a("10.53.2.5"))])
    exchange(out, 42005, query(0x305, "rdlen." + n, 1), r[:-6] + struct.pack(">H", 400) + r[-4:])
    exchange(out, 42006, query(0x306, "tc." + n, 16), response(0x306, "tc." + n, 16, flags=0x8380))
    r = response(0x307, "count." + n, 1, [rr("count." + n, 1, a("10.53.2.7"))])
    exchange(out, 42007, query(0x307, "count." + n, 1), r[:6] + struct.pack(">H", 5) + r[8:])
    exchange(out, 42008, query(0x308, "short-a." + n, 1),
             response(0x308, "short-a." + n, 1, [rr("short-a." + n, 1, a("10.53.2.8") + b"\0")]))
    out.add(udp(C, S, 42009, 53, b"\x03\x09\x01\x00\x00"))
    out.close()


class Tcp:
    def __init__(self, out, cport, handshake=True, cseq=1000, sseq=5000):
        self.out, self.cp = out, cport
        self.cseq, self.sseq = cseq, sseq
        if handshake:
            out.add(tcp(C, S, cport, 53, self.cseq, 0, SYN))
            self.cseq += 1
            out.add(tcp(S, C, 53, cport, self.sseq, self.cseq, SYN | ACK))
            self.sseq += 1
            out.add(tcp(C, S, cport, 53, self.cseq, self.sseq, ACK))

    def send(self, client, data):
        if client:
            self.out.add(tcp(C, S, self.cp, 53, self.cseq, self.sseq, PSH | ACK, data))
            self.cseq += len(data)
        else:
            self.out.add(tcp(S, C, 53, self.cp, self.sseq, self.cseq, PSH | ACK, data))
            self.sseq += len(data)

    def close(self):
        self.out.add(tcp(C, S, self.cp, 53, self.cseq, self.sseq, FIN | ACK))
        self.cseq += 1
        self.out.add(tcp(S, C, 53, self.cp, self.sseq, self.cseq, FIN | ACK))
        self.sseq += 1
        self.out.add(tcp(C, S, self.cp, 53, self.cseq, self.sseq, ACK))


def framed(m):
    return struct.pack(">H", len(m)) + m


def tcp_capture(path):
    out = Pcap(path, 1000)
    n = "tcp.dns.test"
    t = Tcp(out, 43001)
    t.send(True, framed(query(0x401, "one." + n, 1)) + framed(query(0x402, "two." + n, 28)))
    r1 = framed(response(0x401, "one." + n, 1, [rr("one." + n, 1, a("10.53.3.1"))]))
    r2 = framed(response(0x402, "two." + n, 28, [rr("two." + n, 28, bytes(15) + b"\2")]))
    both = r1 + r2
    t.send(False, both[:1])
    t.send(False, both[1:30])
    t.send(False, both[30:])
    t.close()
    # Picked up mid-stream: the capture starts inside a query, then a whole exchange.
    t = Tcp(out, 43002, handshake=False)
    cut = framed(query(0x403, "cut." + n, 1))
    t.send(True, cut[7:])
    t.send(True, framed(query(0x404, "whole." + n, 1)))
    t.send(False, framed(response(0x404, "whole." + n, 1, [rr("whole." + n, 1, a("10.53.3.4"))])))
    t.close()
    # The session ends inside the response.
    t = Tcp(out, 43003)
    t.send(True, framed(query(0x405, "trunc." + n, 16)))
    t.send(False, framed(response(0x405, "trunc." + n, 16, [rr("trunc." + n, 16, cstr(b"y" * 100))]))[:60])
    t.close()
    out.close()


if __name__ == "__main__":
    makers = {"udp": udp_capture, "pairing": pairing_capture, "bad": bad_capture, "tcp": tcp_capture}
    if len(sys.argv) == 3 and sys.argv[1] in makers:
        makers[sys.argv[1]](sys.argv[2])
    else:
        sys.exit(__doc__)
