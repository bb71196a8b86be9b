#!/usr/bin/env bats
# tlssni on TLS that starts after another protocol on the same TCP stream:
# tests/data/starttls.pcap (tests/tools/make_starttls_captures.py: one session per
# protocol) and Zeek's XMPP, PostgreSQL and MySQL captures (tests/data/peers/).

load helpers

@test "STARTTLS, CONNECT, LDAP, RDP: one record per ClientHello, saying how TLS started" {
  run sh -c "tlssni '$DATA/starttls.pcap' | jq -r '\"\(.src_port) \(.tls.starttls) \(.tls.sni) \(.tls.server.cipher)\"'"
  [ "$status" -eq 0 ]
  expected="40001 smtp smtp.starttls.test 0xc02f
40002 imap imap.starttls.test 0xc02f
40003 pop3 pop3.starttls.test 0xc02f
40004 ftp ftp.starttls.test 0xc02f
40005 xmpp xmpp.starttls.test 0xc02f
40006 ldap ldap.starttls.test 0xc02f
40007 irc irc.starttls.test 0xc02f
40008 nntp nntp.starttls.test 0xc02f
40009 rdp rdp.starttls.test 0xc02f
40010 connect connect.starttls.test 0xc02f
40013 unknown unknown.starttls.test 0xc02f
40014 smtp pipelined.starttls.test 0xc02f"
  [ "$output" = "$expected" ]
  # STARTTLS refused (454) and CONNECT refused (407): no TLS, counted as not TLS.
  run tlssni --stats "$DATA/starttls.pcap"
  [[ "$output" == *"tls.not_tls: 2"* ]]
}

@test "the records carry the hello whole: fingerprints, no anomalies, transport tcp" {
  tlssni "$DATA/starttls.pcap" | jq -e -s 'all(.[]; .tls.hello_parsed and .tls.transport == "tcp"
    and .tls.quic == null and (.tls.ja4 | startswith("t13d")) and .tls.anomalies == [] and .tls.server_anomalies == []
    and .tls.server.alpn == "http/1.1" and .tls.server.ja3s != null)'
}

@test "PostgreSQL SSLRequest, MySQL SSL request, XMPP STARTTLS (Zeek's captures)" {
  [ "$(tlssni "$DATA/peers/psql-aws-ssl-preferred.pcap" | jq -r '"\(.tls.starttls) \(.tls.sni) \(.tls.server.cipher)"')" = \
    "postgresql database-1.cyx4x7yvdoay.us-east-1.rds.amazonaws.com 0xc030" ]
  [ "$(tlssni "$DATA/peers/mysql-tls-13-amazon-rds.pcap" | jq -r '"\(.tls.starttls) \(.tls.sni) \(.tls.server.version_name)"')" = \
    "mysql null TLSv1.3" ]
  [ "$(tlssni "$DATA/peers/xmpp-dialback-starttls.pcap" | jq -r '"\(.tls.starttls) \(.dest_port) \(.tls.hello_parsed)"')" = \
    "xmpp 5269 true" ]
}

@test "the same records through pcap2pkt | tcpflow-reasm | tlssni" {
  for f in "$DATA/starttls.pcap" "$DATA"/peers/psql-*.pcap "$DATA"/peers/mysql-*.pcap "$DATA"/peers/xmpp-*.pcap; do
    diff <(tlssni "$f") <(pcap2pkt "$f" | tcpflow-reasm | tlssni) || { echo "differs: $f"; return 1; }
  done
}

@test "clear text that never turns to TLS is given up on within the preamble cap" {
  tmp=$BATS_TEST_TMPDIR/long.pcap
  python3 - "$tmp" <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.environ["NETLINES_SRC"], "tests/tools"))
from pcapgen import ACK, PSH, SYN, Pcap, ipv4_tcp
c, s = bytes([10, 1, 0, 1]), bytes([10, 1, 0, 2])
p = Pcap(sys.argv[1], 1000)
p.add(ipv4_tcp(c, s, 5000, 25, 0, 0, SYN)); p.add(ipv4_tcp(s, c, 25, 5000, 0, 1, SYN | ACK))
p.add(ipv4_tcp(s, c, 25, 5000, 1, 1, PSH | ACK, b"220 hi\r\n"))
seq = 1
for i in range(100):  # 100 kB of client lines, no TLS
    d = b"NOOP " + b"x" * 1000 + b"\r\n"
    p.add(ipv4_tcp(c, s, 5000, 25, seq, 9, PSH | ACK, d)); seq += len(d)
p.close()
PY
  run tlssni --stats "$tmp"
  [ "$status" -eq 0 ]
  [[ "$output" == *"tls.not_tls: 1"* ]]
  [[ "$output" != *'"type":"tls"'* ]]
}

@test "STARTTLS records match the schema" {
  for f in "$DATA/starttls.pcap" "$DATA"/peers/*.pcap; do tlssni "$f"; done |
    python3 "$NETLINES_SRC/scripts/check-schema.py" "$NETLINES_SRC/docs/schema.md"
}
