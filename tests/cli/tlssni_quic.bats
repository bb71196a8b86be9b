#!/usr/bin/env bats
# tlssni on QUIC Initials: Zeek's QUIC test captures (tests/data/peers/), SNIs as
# tshark 4.0 and Zeek's quic.log report them.

load helpers

PEERS="$DATA/peers"

sni_of() {  # capture -> "sni version_name" lines of the QUIC records
  tlssni "$PEERS/$1" | jq -r 'select(.tls.transport == "quic") | "\(.tls.sni) \(.tls.quic.version_name)"'
}

@test "QUIC v1 and v2: one record per ClientHello with the peers' SNI" {
  [ "$(sni_of chromium-115.0.5790.110-api-cirrus-com.pcap)" = "api.cirrus-ci.com v1" ]
  [ "$(sni_of quic-decrypt-fail-google-de-51833.pcap)" = "www.google.de v1" ]
  [ "$(sni_of quic-multiple-initial-fragmented-crypto.pcap)" = "googleads.g.doubleclick.net v1" ]
  [ "$(sni_of quic-go-handshake.pcap)" = "server4:443 v1" ]
  [ "$(sni_of quicdoq.pcap)" = "null v1" ]
  [ "$(sni_of quicv2-echo-443.pcap)" = "localhost v2" ]
  [ "$(sni_of quicv2-http3-443.pcap)" = "null v2" ]
}

@test "QUIC record: UDP tuple, connection IDs, q-prefixed JA4, the server's Initial" {
  run tlssni "$PEERS/chromium-115.0.5790.110-api-cirrus-com.pcap"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 1 ]
  echo "$output" | jq -e '
    .proto == "UDP" and .dest_port == 443 and .tls.transport == "quic" and .tls.starttls == null
    and .tls.hello_parsed and .tls.record_version == null and .tls.client_hello_records == 0
    and (.tls.ja4 | startswith("q13d")) and (.tls.quic.dcid | length) == 16
    and .tls.quic.version == "0x00000001" and .tls.quic.server_scid != null and .tls.quic.retry == false
    and .tls.server.cipher == "0x1301" and .tls.server.version_name == "TLSv1.3" and .tls.server.ja3s != null
    and .tls.alpn == ["h3"] and .tls.quic.anomalies == [] and .tls.anomalies == []'
}

@test "a ClientHello over several Initials and datagrams is reassembled" {
  tlssni "$PEERS/quic-multiple-initial-fragmented-crypto.pcap" |
    jq -e '.tls.hello_parsed and .tls.quic.packets == 3 and .tls.quic.datagrams == 3'
  tlssni "$PEERS/quic-decrypt-fail-google-de-51833.pcap" | jq -e '.tls.quic.packets == 5'
}

@test "QUIC counters in --stats; a cut capture gives a flagged partial hello, no crash" {
  run tlssni --stats "$PEERS/quicv2-echo-443.pcap"
  [ "$status" -eq 0 ]
  [[ "$output" == *"quic.hellos: 1"* ]]
  [[ "$output" == *"quic.server_hellos: 1"* ]]
  # Keep only the first of the Chrome hello's three client Initials.
  tmp=$BATS_TEST_TMPDIR/cut.pcap
  python3 - "$PEERS/quic-multiple-initial-fragmented-crypto.pcap" "$tmp" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
out, off, n = [d[:24]], 24, 0
while off + 16 <= len(d):
    incl = struct.unpack("<I", d[off + 8:off + 12])[0]
    n += 1
    if n == 1: out.append(d[off:off + 16 + incl])
    off += 16 + incl
open(sys.argv[2], "wb").write(b"".join(out))
PY
  run tlssni "$tmp"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.tls.hello_parsed == false and (.tls.quic.anomalies | index("incomplete_crypto"))
    and (.tls.anomalies | index("truncated_client_hello")) and .tls.ja4 == null'
}

@test "QUIC records match the schema" {
  for f in "$PEERS"/*.pcap; do tlssni "$f"; done |
    python3 "$NETLINES_SRC/scripts/check-schema.py" "$NETLINES_SRC/docs/schema.md"
}

@test "flowstat labels QUIC flows quic or http3 (h3 offered alone), DTLS flows dtls" {
  [ "$(flowstat "$PEERS/chromium-115.0.5790.110-api-cirrus-com.pcap" | jq -r 'select(.type == "flow") | .flow.app')" = http3 ]
  [ "$(flowstat "$PEERS/quicdoq.pcap" | jq -r 'select(.type == "flow") | .flow.app')" = quic ]
  [ "$(flowstat "$PEERS/dtls13-cid.pcap" | jq -r 'select(.type == "flow") | .flow.app' | sort -u)" = dtls ]
  flowstat --interval=1 "$PEERS/quicv2-http3-443.pcap" | jq -e -s '[.[] | select(.type == "interval") | .by_app.http3] | add > 0'
}
