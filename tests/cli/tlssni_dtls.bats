#!/usr/bin/env bats
# tlssni on DTLS over UDP: tests/data/udp/dtls.pcap (tests/tools/make_dtls_capture.py)
# and Zeek's DTLS 1.3 capture with connection IDs (tests/data/peers/dtls13-cid.pcap).

load helpers

@test "DTLS 1.2 cookie exchange: two records, the second flagged; fragments reassembled out of order" {
  run sh -c "tlssni '$DATA/udp/dtls.pcap' | jq -c '[.src_port, .tls.hello_no, .tls.sni, .tls.hello_parsed, .tls.dtls.cookie, .tls.dtls.cookie_length, .tls.dtls.fragments, .tls.dtls.retransmissions, .tls.dtls.hello_verify_request, .tls.server.cipher]'"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = '[50001,1,"dtls12.test",true,false,0,2,0,true,null]' ]
  [ "${lines[1]}" = '[50001,2,"dtls12.test",true,true,16,1,1,false,"0xc02b"]' ]
  [ "${lines[2]}" = '[50002,1,"dtls10.test",true,false,0,1,0,false,"0xc02b"]' ]
  # A hello whose last fragment never came: reported cut, no fingerprint.
  [ "${lines[3]}" = '[50003,1,null,false,false,0,1,0,false,null]' ]
}

@test "DTLS records: UDP tuple, transport dtls, JA4 with DTLS's prefix and version" {
  tlssni "$DATA/udp/dtls.pcap" | head -3 | jq -e -s '
    all(.[]; .proto == "UDP" and .tls.transport == "dtls" and .tls.quic == null and .tls.starttls == null)
    and .[0].tls.ja4 == "dd2d030400_0e67c0ef781e_94ae408008e8" and (.[2].tls.ja4 | startswith("dd1d"))
    and (.[0].tls.ja3 | startswith("65277,")) and .[1].tls.server.ja3s != null'
}

@test "DTLS 1.3 with connection IDs: one record per ClientHello, retransmissions counted, HRR paired" {
  run tlssni --stats "$DATA/peers/dtls13-cid.pcap"
  [ "$status" -eq 0 ]
  [[ "$output" == *"dtls.hellos: 7"* ]]
  [[ "$output" == *"dtls.retransmitted_hellos: 7"* ]]
  tlssni "$DATA/peers/dtls13-cid.pcap" | jq -e -s '
    length == 7 and all(.[]; .tls.hello_parsed and (.tls.ja4 | startswith("dd3")))
    and ([.[] | select(.tls.server.hello_retry_request)] | length) == 2
    and ([.[] | select(.tls.dtls.cookie)] | length) == 2'
}

@test "DTLS records match the schema" {
  for f in "$DATA/udp/dtls.pcap" "$DATA/peers/dtls13-cid.pcap"; do tlssni "$f"; done |
    python3 "$NETLINES_SRC/scripts/check-schema.py" "$NETLINES_SRC/docs/schema.md"
}
