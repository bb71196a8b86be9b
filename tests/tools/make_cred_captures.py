#!/usr/bin/env python3
"""Captures of clear-text logins for credextract's tests, written to DIR:

  cred_ftp_bruteforce.pcap   FTP over IPv4 and IPv6: a brute force (wrong passwords, then the right one,
                             and the same user on a second server),
                             a user refused at once, pipelined commands, a reply split over lines
  cred_mail.pcap             POP3 USER/PASS, APOP and AUTH PLAIN; SMTP AUTH PLAIN, LOGIN and CRAM-MD5 with a
                             mail transaction; IMAP LOGIN (atoms, quoted, literal) and AUTHENTICATE PLAIN; STARTTLS
  cred_http_basic.pcap       HTTP Basic with odd spacing, tabs, lower-case scheme, colons in the password,
                             an empty user; Digest; on a port that is not 80
  cred_misc.pcap             LDAP simple binds (refused, accepted), Telnet login prompts, PostgreSQL cleartext
                             password, MySQL handshake
  cred_hostile.pcap          junk on port 21, an endless line, a server that never replies

Each session is a three-way handshake, the exchanges, and FIN; one segment per message."""
import base64
import hashlib
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapgen import ACK, FIN, PSH, SYN, Pcap, csum, ipv4_tcp  # noqa: E402


def ipv6_tcp(src, dst, sport, dport, seq, ack, flags, payload=b""):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!IxxxB", len(seg), 6)
    seg = seg[:16] + struct.pack("!H", csum(pseudo + seg)) + seg[18:]
    return struct.pack("!IHBB16s16s", 6 << 28, len(seg), 6, 64, src, dst) + seg


class Session:
    def __init__(self, pcap, cli, srv, sport, dport, v6=False):
        self.p, self.cli, self.srv, self.sport, self.dport, self.v6 = pcap, cli, srv, sport, dport, v6
        self.cseq, self.sseq = 1000, 5000
        self.build = ipv6_tcp if v6 else ipv4_tcp
        self.pkt(True, SYN, b"", 0)
        self.cseq += 1
        self.pkt(False, SYN | ACK, b"")
        self.sseq += 1
        self.pkt(True, ACK, b"")

    def pkt(self, c2s, flags, data, ack=None):
        if c2s:
            a = self.sseq if ack is None else ack
            self.p.add(self.build(self.cli, self.srv, self.sport, self.dport, self.cseq, a, flags, data))
        else:
            self.p.add(self.build(self.srv, self.cli, self.dport, self.sport, self.sseq, self.cseq, flags, data))

    def c(self, data):
        data = data.encode() if isinstance(data, str) else data
        self.pkt(True, PSH | ACK, data)
        self.cseq += len(data)

    def s(self, data):
        data = data.encode() if isinstance(data, str) else data
        self.pkt(False, PSH | ACK, data)
        self.sseq += len(data)

    def close(self):
        self.pkt(True, FIN | ACK, b"")
        self.cseq += 1
        self.pkt(False, FIN | ACK, b"")
        self.sseq += 1
        self.pkt(True, ACK, b"")


def v4(n):
    return bytes([10, 0, 0, n])


def v6(n):
    return bytes.fromhex("20010db8000000000000000000000000")[:15] + bytes([n])


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def ftp(out):
    p = Pcap(out, 1000)
    # Brute force from one client over IPv4: one session per try, then a success.
    for i, pw in enumerate(["123456", "password", "letmein", "admin", "s3cret"]):
        s = Session(p, v4(66), v4(21), 40000 + i, 21)
        s.s("220 (vsFTPd 3.0.3)\r\n")
        s.c("USER admin\r\n")
        s.s("331 Please specify the password.\r\n")
        s.c("PASS %s\r\n" % pw)
        s.s("230 Login successful.\r\n" if pw == "s3cret" else "530 Login incorrect.\r\n")
        s.c("QUIT\r\n")
        s.s("221 Goodbye.\r\n")
        s.close()
    # The same user tried on a second server.
    s = Session(p, v4(66), v4(22), 40010, 21)
    s.s("220 ProFTPD Server\r\n")
    s.c("USER admin\r\n")
    s.s("331 Password required for admin\r\n")
    s.c("PASS s3cret\r\n")
    s.s("530 Login incorrect.\r\n")
    s.close()
    # Several tries in one session over IPv6, the greeting on several lines.
    s = Session(p, v6(7), v6(21), 50000, 2121, v6=True)
    s.s("220-Welcome\r\n220-to the\r\n220 FTP service\r\n")
    for u, pw in [("root", "toor"), ("root", "root"), ("backup", "backup")]:
        s.c("USER %s\r\n" % u)
        s.s("331 Password required for %s\r\n" % u)
        s.c("PASS %s\r\n" % pw)
        s.s("530-Login incorrect.\r\n 530 is not the end\r\n530 Try again.\r\n")
    s.close()
    # A user refused at once, then pipelined USER and PASS in one segment.
    s = Session(p, v6(8), v6(21), 50001, 21, v6=True)
    s.s("220 FTP ready\r\n")
    s.c("USER nobody\r\n")
    s.s("530 User nobody not allowed.\r\n")
    s.c("USER alice\r\nPASS pa ss:word\r\nPWD\r\n")
    s.s("331 Password required\r\n230 User alice logged in\r\n257 \"/\"\r\n")
    s.close()
    # AUTH TLS: what follows is TLS.
    s = Session(p, v4(67), v4(21), 40100, 21)
    s.s("220 FTP\r\n")
    s.c("AUTH TLS\r\n")
    s.s("234 AUTH TLS OK.\r\n")
    s.c(b"\x16\x03\x01\x00\x05hello")
    s.close()
    p.close()


def mail(out):
    p = Pcap(out, 1000)
    # POP3 USER/PASS refused then accepted in one session.
    s = Session(p, v4(10), v4(110), 41000, 110)
    s.s("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n")
    s.c("CAPA\r\n")
    s.s("+OK Capability list follows\r\nUSER\r\nSASL PLAIN\r\n.\r\n")
    s.c("USER bob\r\n")
    s.s("+OK\r\n")
    s.c("PASS wrong\r\n")
    s.s("-ERR [AUTH] Authentication failed.\r\n")
    s.c("USER bob\r\n")
    s.s("+OK\r\n")
    s.c("PASS hunter2\r\n")
    s.s("+OK Logged in.\r\n")
    s.c("RETR 1\r\n")
    s.s("+OK 20 octets\r\nUSER fake\r\n.\r\n")
    s.close()
    # POP3 APOP and AUTH PLAIN on an odd port.
    s = Session(p, v4(11), v4(110), 41001, 1110)
    s.s("+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n")
    s.c("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n")
    s.s("-ERR permission denied\r\n")
    s.c("AUTH PLAIN\r\n")
    s.s("+ \r\n")
    s.c(b64("\0carol\0c4r0l:pw") + "\r\n")
    s.s("+OK Logged in.\r\n")
    s.close()
    # SMTP: EHLO, AUTH LOGIN refused, AUTH PLAIN accepted, a mail with two recipients.
    s = Session(p, v4(20), v4(25), 42000, 587)
    s.s("220 mail.example.org ESMTP Postfix\r\n")
    s.c("EHLO client.example.org\r\n")
    s.s("250-mail.example.org\r\n250-AUTH PLAIN LOGIN CRAM-MD5\r\n250 8BITMIME\r\n")
    s.c("AUTH LOGIN\r\n")
    s.s("334 VXNlcm5hbWU6\r\n")
    s.c(b64("dave@example.org") + "\r\n")
    s.s("334 UGFzc3dvcmQ6\r\n")
    s.c(b64("nope") + "\r\n")
    s.s("535 5.7.8 Error: authentication failed\r\n")
    s.c("AUTH PLAIN " + b64("\0dave@example.org\0Corr3ct") + "\r\n")
    s.s("235 2.7.0 Authentication successful\r\n")
    s.c("MAIL FROM:<dave@example.org> SIZE=100\r\nRCPT TO:<erin@example.net>\r\nRCPT TO:<frank@example.net>\r\n")
    s.s("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 frank: Recipient address rejected\r\n")
    s.c("DATA\r\n")
    s.s("354 End data with <CR><LF>.<CR><LF>\r\n")
    s.c("Subject: hi\r\n\r\nAUTH PLAIN AGZvbwBiYXI=\r\n..dot\r\n.\r\n")
    s.s("250 2.0.0 Ok: queued as 12345\r\n")
    s.c("QUIT\r\n")
    s.s("221 2.0.0 Bye\r\n")
    s.close()
    # SMTP CRAM-MD5 (user only), then STARTTLS.
    s = Session(p, v4(21), v4(25), 42001, 25)
    s.s("220 mx ESMTP\r\n")
    s.c("EHLO h\r\n")
    s.s("250 mx\r\n")
    s.c("AUTH CRAM-MD5\r\n")
    s.s("334 " + b64("<1896.697170952@postoffice.example.net>") + "\r\n")
    s.c(b64("tim b913a602c7eda7a495b4e6e7334d3890") + "\r\n")
    s.s("235 Authentication successful\r\n")
    s.c("STARTTLS\r\n")
    s.s("220 Ready to start TLS\r\n")
    s.c(b"\x16\x03\x01\x00\x05hello")
    s.close()
    # IMAP: LOGIN with atoms (refused), quoted strings, then a literal.
    s = Session(p, v4(30), v4(143), 43000, 143)
    s.s("* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] Dovecot ready.\r\n")
    s.c("a1 CAPABILITY\r\n")
    s.s("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK done\r\n")
    s.c("a2 LOGIN grace wrongpw\r\n")
    s.s("a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
    s.c('a3 LOGIN "grace hopper" "p\\"w d"\r\n')
    s.s("a3 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
    s.c("a4 LOGIN {5}\r\n")
    s.s("+ OK\r\n")
    s.c("grace {7}\r\n")
    s.s("+ OK\r\n")
    s.c("cob0l!!\r\n")
    s.s("* CAPABILITY IMAP4rev1\r\na4 OK Logged in\r\n")
    s.close()
    # IMAP AUTHENTICATE PLAIN, with and without an initial response.
    s = Session(p, v4(31), v4(143), 43001, 993)
    s.s("* OK IMAP ready\r\n")
    s.c("A001 AUTHENTICATE PLAIN\r\n")
    s.s("+ \r\n")
    s.c(b64("\0heidi\0bad") + "\r\n")
    s.s("A001 NO authentication failed\r\n")
    s.c("A002 AUTHENTICATE PLAIN " + b64("admin\0heidi\0good") + "\r\n")
    s.s("A002 OK Logged in\r\n")
    s.close()
    # IMAP STARTTLS before any login.
    s = Session(p, v4(32), v4(143), 43002, 143)
    s.s("* OK IMAP ready\r\n")
    s.c("t1 STARTTLS\r\n")
    s.s("t1 OK Begin TLS negotiation now\r\n")
    s.c(b"\x16\x03\x01\x00\x05hello")
    s.close()
    p.close()


def http(out):
    p = Pcap(out, 1000)
    reqs = [
        ("Authorization: Basic " + b64("ivan:secret") + "\r\n", 200),
        ("Authorization:Basic   " + b64("judy:pa:ss:word") + "  \r\n", 401),
        ("authorization: basic\t" + b64("mallory:") + "\r\n", 401),
        ("Authorization: BASIC " + b64(":onlypassword") + "\r\n", 403),
        ("Authorization:    Basic " + b64("oscar:a b c") + "\r\n", 302),
        ('Authorization: Digest username="peggy", realm="r", nonce="n", uri="/", response="0123"\r\n', 200),
        ("Proxy-Authorization: Basic " + b64("trent:proxy") + "\r\n", 407),
    ]
    for i, (h, status) in enumerate(reqs):
        s = Session(p, v4(40 + i), v4(80), 44000 + i, 8080 if i % 2 else 80)
        s.c("GET /private/%d HTTP/1.1\r\nHost: www.example.com\r\n%s\r\n" % (i, h))
        body = b"x" * 5
        s.s(b"HTTP/1.1 %d Whatever\r\nContent-Length: 5\r\n\r\n" % status + body)
        s.close()
    # Keep-alive: two requests with credentials on one connection.
    s = Session(p, v4(50), v4(80), 44100, 80)
    s.c("GET /a HTTP/1.1\r\nHost: h\r\nAuthorization: Basic " + b64("victor:one") + "\r\n\r\n")
    s.s("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
    s.c("GET /a HTTP/1.1\r\nHost: h\r\nAuthorization: Basic " + b64("victor:two") + "\r\n\r\n")
    s.s("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    s.close()
    p.close()


def ber(tag, content):
    n = len(content)
    if n < 128:
        return bytes([tag, n]) + content
    lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(lb)]) + lb + content


def ldap_bind(mid, dn, pw):
    op = ber(0x60, ber(0x02, b"\x03") + ber(0x04, dn.encode()) + ber(0x80, pw.encode()))
    return ber(0x30, ber(0x02, bytes([mid])) + op)


def ldap_bind_resp(mid, code, diag=""):
    op = ber(0x61, ber(0x0a, bytes([code])) + ber(0x04, b"") + ber(0x04, diag.encode()))
    return ber(0x30, ber(0x02, bytes([mid])) + op)


def pg_msg(t, body):
    return t + struct.pack("!I", len(body) + 4) + body


def mysql_pkt(seq, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def misc(out):
    p = Pcap(out, 1000)
    # LDAP: a refused bind and an accepted one, on an odd port.
    s = Session(p, v4(60), v4(89), 45000, 3389)
    s.c(ldap_bind(1, "cn=admin,dc=example,dc=org", "guess"))
    s.s(ldap_bind_resp(1, 49, "80090308: LdapErr: DSID-0C09042F, data 52e"))
    s.c(ldap_bind(2, "cn=admin,dc=example,dc=org", "Adm1n!"))
    s.s(ldap_bind_resp(2, 0))
    s.close()
    # Telnet: a refused login, then an accepted one.
    s = Session(p, v4(61), v4(23), 45001, 23)
    s.s(b"\xff\xfd\x18\xff\xfd\x20\xff\xfb\x01")
    s.c(b"\xff\xfc\x18\xff\xfc\x20\xff\xfd\x01")
    s.s("\r\nDebian GNU/Linux 12\r\nrouter login: ")
    for ch in "root":
        s.c(ch)
        s.s(ch)
    s.c("\r\n")
    s.s("\r\nPassword: ")
    s.c("toor\r\n")
    s.s("\r\nLogin incorrect\r\nrouter login: ")
    s.c("ops\r\n")
    s.s("ops\r\nPassword: ")
    s.c("W1nter\x7fr!\r\n")
    s.s("\r\nLast login: Mon Jan  1 00:00:00 2024\r\nops@router:~$ ")
    s.c("exit\r\n")
    s.close()
    # PostgreSQL: SSLRequest refused, startup, cleartext password, then an error.
    s = Session(p, v4(62), v4(54), 45002, 5432)
    s.c(struct.pack("!II", 8, 80877103))
    s.s("N")
    body = struct.pack("!I", 196608) + b"user\0analyst\0database\0sales\0\0"
    s.c(struct.pack("!I", len(body) + 4) + body)
    s.s(pg_msg(b"R", struct.pack("!I", 3)))
    s.c(pg_msg(b"p", b"Summer2024\0"))
    s.s(pg_msg(b"E", b"SFATAL\0C28P01\0Mpassword authentication failed for user \"analyst\"\0\0"))
    s.close()
    # MySQL: handshake v10, a login, an access denied error.
    s = Session(p, v4(63), v4(33), 45003, 3306)
    hs = (b"\x0a" + b"8.0.36\0" + struct.pack("<I", 8) + b"abcdefgh" + b"\0" + struct.pack("<H", 0xffff) +
          b"\x21" + struct.pack("<H", 2) + struct.pack("<H", 0xdfff) + bytes([21]) + b"\0" * 10 +
          b"ijklmnopqrst\0" + b"caching_sha2_password\0")
    s.s(mysql_pkt(0, hs))
    caps = 0x0200 | 0x8000 | 0x80000 | 0x8
    resp = (struct.pack("<IIB", caps, 1 << 24, 33) + b"\0" * 23 + b"webapp\0" + bytes([20]) + b"\x11" * 20 +
            b"shop\0" + b"mysql_native_password\0")
    s.c(mysql_pkt(1, resp))
    s.s(mysql_pkt(2, b"\xff\x15\x04#28000Access denied for user 'webapp'@'10.0.0.63' (using password: YES)"))
    s.close()
    p.close()


def hostile(out):
    p = Pcap(out, 1000)
    # Binary junk on port 21 from the first byte.
    s = Session(p, v4(70), v4(21), 46000, 21)
    s.c(bytes(range(256)) * 4)
    s.s(b"\x00\x01\x02junk\r\n")
    s.close()
    # FTP, then an endless line, then a login that still counts.
    s = Session(p, v4(71), v4(21), 46001, 21)
    s.s("220 FTP\r\n")
    for _ in range(10):
        s.c("A" * 1400)
    s.c("\r\nUSER eve\r\n")
    s.s("500 Line too long\r\n331 Password\r\n")
    s.c("PASS x\x00y\r\nPASS realpw\r\n")
    s.s("530 Nope\r\n")
    s.close()
    # A server that never replies to the login.
    s = Session(p, v4(72), v4(110), 46002, 110)
    s.s("+OK ready\r\n")
    s.c("USER silent\r\nPASS never\r\n")
    s.close()
    p.close()


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "."
    ftp(os.path.join(d, "cred_ftp_bruteforce.pcap"))
    mail(os.path.join(d, "cred_mail.pcap"))
    http(os.path.join(d, "cred_http_basic.pcap"))
    misc(os.path.join(d, "cred_misc.pcap"))
    hostile(os.path.join(d, "cred_hostile.pcap"))


if __name__ == "__main__":
    main()
