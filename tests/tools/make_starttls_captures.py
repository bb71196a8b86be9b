#!/usr/bin/env python3
"""tests/data/starttls.pcap: TLS after a clear-text preamble on one TCP stream, one
session per protocol on its usual port, each ClientHello naming
<protocol>.starttls.test:

  10.9.0.1:40001 -> :25    SMTP: greeting, EHLO, STARTTLS, 220, TLS
  10.9.0.1:40002 -> :143   IMAP: "a1 STARTTLS", "a1 OK", TLS
  10.9.0.1:40003 -> :110   POP3: STLS, +OK, TLS
  10.9.0.1:40004 -> :21    FTP: AUTH TLS, 234, TLS
  10.9.0.1:40005 -> :5222  XMPP: stream, features, <starttls/>, <proceed/>, TLS
  10.9.0.1:40006 -> :389   LDAP: StartTLS ExtendedRequest, success ExtendedResponse, TLS
  10.9.0.1:40007 -> :6667  IRC: CAP LS, STARTTLS, 670, TLS
  10.9.0.1:40008 -> :119   NNTP: STARTTLS, 382, TLS
  10.9.0.1:40009 -> :3389  RDP: X.224 Connection Request with RDP_NEG_REQ (TLS|CredSSP),
                           Connection Confirm selecting CredSSP, TLS
  10.9.0.1:40010 -> :3128  HTTP CONNECT answered 200, TLS through the tunnel
  10.9.0.1:40011 -> :25    SMTP whose STARTTLS is refused (454): no TLS, no record
  10.9.0.1:40012 -> :3128  CONNECT answered 407: no tunnel, no record
  10.9.0.1:40013 -> :7000  a greeting protocol nobody knows, then a ClientHello at the
                           start of a client monologue: starttls "unknown"
  10.9.0.1:40014 -> :25    SMTP with the command and the ClientHello in one segment
                           after the server's go-ahead was pipelined (hello after "\\r\\n")

Every TLS session ends with the server's ServerHello (TLS 1.2, 0xc02f, ALPN for
the ones that offer it). Written with tests/tools/pcapgen.py; deterministic.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(__file__))
from pcapgen import ACK, FIN, PSH, SYN, Pcap, ipv4_tcp  # noqa: E402

CLIENT, SERVER = bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2])


def u16(v):
    return struct.pack(">H", v)


def vec8(b):
    return bytes([len(b)]) + b


def vec16(b):
    return u16(len(b)) + b


def ext(t, data):
    return u16(t) + vec16(data)


def client_hello(sni, alpn=(b"http/1.1",)):
    exts = ext(0, vec16(b"\0" + vec16(sni.encode())))
    exts += ext(10, vec16(u16(0x001d) + u16(0x0017)))
    exts += ext(11, vec8(b"\0"))
    exts += ext(13, vec16(u16(0x0403) + u16(0x0804) + u16(0x0401)))
    if alpn:
        exts += ext(16, vec16(b"".join(vec8(p) for p in alpn)))
    exts += ext(43, vec8(u16(0x0304) + u16(0x0303)))
    exts += ext(51, vec16(u16(0x001d) + vec16(bytes(range(32)))))
    body = u16(0x0303) + bytes(range(32)) + vec8(bytes(32)) + vec16(u16(0x1301) + u16(0xc02f) + u16(0x00ff))
    body += vec8(b"\0") + vec16(exts)
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + vec16(hs)


def server_hello(alpn=b"http/1.1"):
    exts = ext(0xff01, b"\0")
    if alpn:
        exts += ext(16, vec16(vec8(alpn)))
    body = u16(0x0303) + bytes(range(100, 132)) + vec8(bytes(32)) + u16(0xc02f) + b"\0" + vec16(exts)
    hs = b"\x02" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x03" + vec16(hs)


def session(pcap, cport, sport, turns):
    """turns: [(from_client, bytes)], each one segment."""
    c, s = 1000, 5000
    pcap.add(ipv4_tcp(CLIENT, SERVER, cport, sport, c, 0, SYN))
    pcap.add(ipv4_tcp(SERVER, CLIENT, sport, cport, s, c + 1, SYN | ACK))
    c, s = c + 1, s + 1
    pcap.add(ipv4_tcp(CLIENT, SERVER, cport, sport, c, s, ACK))
    for from_client, data in turns:
        if from_client:
            pcap.add(ipv4_tcp(CLIENT, SERVER, cport, sport, c, s, PSH | ACK, data))
            c += len(data)
            pcap.add(ipv4_tcp(SERVER, CLIENT, sport, cport, s, c, ACK))
        else:
            pcap.add(ipv4_tcp(SERVER, CLIENT, sport, cport, s, c, PSH | ACK, data))
            s += len(data)
            pcap.add(ipv4_tcp(CLIENT, SERVER, cport, sport, c, s, ACK))
    pcap.add(ipv4_tcp(CLIENT, SERVER, cport, sport, c, s, FIN | ACK))
    pcap.add(ipv4_tcp(SERVER, CLIENT, sport, cport, s, c + 1, FIN | ACK))
    pcap.add(ipv4_tcp(CLIENT, SERVER, cport, sport, c + 1, s + 1, ACK))


def tls(name):
    return [(True, client_hello(name + ".starttls.test")), (False, server_hello())]


def main(out):
    p = Pcap(out, 1000)
    C, S = True, False
    session(p, 40001, 25, [(S, b"220 mail.starttls.test ESMTP\r\n"), (C, b"EHLO client.test\r\n"),
                           (S, b"250-mail.starttls.test\r\n250 STARTTLS\r\n"), (C, b"STARTTLS\r\n"),
                           (S, b"220 2.0.0 Ready to start TLS\r\n")] + tls("smtp"))
    session(p, 40002, 143, [(S, b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"), (C, b"a1 STARTTLS\r\n"),
                            (S, b"a1 OK Begin TLS negotiation now\r\n")] + tls("imap"))
    session(p, 40003, 110, [(S, b"+OK POP3 ready\r\n"), (C, b"STLS\r\n"), (S, b"+OK Begin TLS\r\n")] + tls("pop3"))
    session(p, 40004, 21, [(S, b"220 FTP ready\r\n"), (C, b"AUTH TLS\r\n"), (S, b"234 AUTH TLS OK\r\n")] + tls("ftp"))
    session(p, 40005, 5222, [
        (C, b"<?xml version='1.0'?><stream:stream to='starttls.test' xmlns='jabber:client' "
            b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"),
        (S, b"<?xml version='1.0'?><stream:stream from='starttls.test' id='s1' xmlns='jabber:client' "
            b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><stream:features>"
            b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"),
        (C, b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
        (S, b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")] + tls("xmpp"))
    oid = b"1.3.6.1.4.1.1466.20037"
    req = b"\x02\x01\x01" + b"\x77" + bytes([len(oid) + 2]) + b"\x80" + bytes([len(oid)]) + oid
    rsp = b"\x02\x01\x01" + b"\x78\x07\x0a\x01\x00\x04\x00\x04\x00"
    session(p, 40006, 389, [(C, b"\x30" + bytes([len(req)]) + req), (S, b"\x30" + bytes([len(rsp)]) + rsp)]
            + tls("ldap"))
    session(p, 40007, 6667, [(C, b"CAP LS 302\r\n"), (S, b":irc.starttls.test CAP * LS :tls\r\n"),
                             (C, b"STARTTLS\r\n"),
                             (S, b":irc.starttls.test 670 * :STARTTLS successful, proceed with TLS handshake\r\n")]
            + tls("irc"))
    session(p, 40008, 119, [(S, b"200 news.starttls.test ready\r\n"), (C, b"STARTTLS\r\n"),
                            (S, b"382 Continue with TLS negotiation\r\n")] + tls("nntp"))
    cr = bytes.fromhex("0e" "e0" "0000" "0000" "00") + bytes.fromhex("01" "00" "0800" "03000000")
    cc = bytes.fromhex("0e" "d0" "0000" "1234" "00") + bytes.fromhex("02" "1f" "0800" "02000000")
    session(p, 40009, 3389, [(C, b"\x03\x00" + u16(4 + len(cr)) + cr), (S, b"\x03\x00" + u16(4 + len(cc)) + cc)]
            + tls("rdp"))
    session(p, 40010, 3128, [(C, b"CONNECT connect.starttls.test:443 HTTP/1.1\r\nHost: connect.starttls.test:443\r\n\r\n"),
                             (S, b"HTTP/1.1 200 Connection established\r\n\r\n")] + tls("connect"))
    session(p, 40011, 25, [(S, b"220 mail.starttls.test ESMTP\r\n"), (C, b"EHLO client.test\r\n"),
                           (S, b"250 mail.starttls.test\r\n"), (C, b"STARTTLS\r\n"),
                           (S, b"454 4.7.0 TLS not available\r\n"), (C, b"QUIT\r\n"), (S, b"221 bye\r\n")])
    session(p, 40012, 3128, [(C, b"CONNECT denied.starttls.test:443 HTTP/1.1\r\n\r\n"),
                             (S, b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")])
    session(p, 40013, 7000, [(S, b"100 custom service\r\n"), (C, b"SECURE\r\n"), (S, b"100 go\r\n")]
            + tls("unknown"))
    session(p, 40014, 25, [(S, b"220 mail.starttls.test ESMTP\r\n"), (C, b"EHLO client.test\r\n"),
                           (S, b"250 STARTTLS\r\n"),
                           (C, b"STARTTLS\r\n" + client_hello("pipelined.starttls.test")),
                           (S, b"220 Ready\r\n" + server_hello())])
    p.close()


main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/starttls.pcap")
