#!/usr/bin/env bats
# dnsextract as a user runs it.

load helpers

@test "--help and --version; bad options and values are usage errors" {
  run dnsextract --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--timeout"* ]]
  [[ "$output" == *"--max-pending"* ]]
  run dnsextract --version
  [ "$status" -eq 0 ]
  [[ "$output" == "dnsextract (netlines) "* ]]
  run dnsextract --no-such-option
  [ "$status" -eq 2 ]
  [[ "$output" == *"Try 'dnsextract --help'"* ]]
  run dnsextract --timeout=-1 "$FIXTURES/dns_udp_tcp.pcap"
  [ "$status" -eq 2 ]
  run dnsextract --max-pending=0 "$FIXTURES/dns_udp_tcp.pcap"
  [ "$status" -eq 2 ]
}

@test "every fixture with truth dns[]: each answered query is in a record, fields as the truth says" {
  n=0
  for t in "$FIXTURES"/truth/*.json; do
    [ "$(jq '.dns | length' "$t")" -gt 0 ] || continue
    name=$(basename "${t%.json}")
    f=$(ls "$FIXTURES/$name".pcap* | head -1)
    dnsextract "$f" | python3 -c '
import json, sys
truth = json.load(open(sys.argv[1]))
recs = [json.loads(l) for l in sys.stdin]
conns = {c["id"]: c for c in truth.get("connections", [])}
for want in truth["dns"]:
    got = [r for r in recs if r["dns"]["id"] == want["id"] and r["dns"]["transport"] == want["transport"]]
    if want["transport"] == "udp":
        got = [r for r in got if r["src_ip"] == want["client"]["ip"] and r["src_port"] == want["client"]["port"]]
    else:
        c = conns[want["conn"]]
        got = [r for r in got if r["src_port"] == c["client"]["port"] and r["dest_port"] == c["server"]["port"]]
    assert len(got) == 1, (sys.argv[1], want, len(got))
    d = got[0]["dns"]
    assert d["status"] == "answered", (want, d["status"])
    assert d["queries"][0]["name"] == want["qname"], (want, d["queries"])
    assert d["queries"][0]["type_name"] == want["qtype"], (want, d["queries"])
    assert d["rcode"] == want["rcode"], (want, d["rcode"])
    answers = [{"type": a["type_name"], "name": a["name"], "data": a["rdata"]} for a in d["answers"]]
    assert answers == want["answers"], (want["answers"], answers)
    assert d["anomalies"] == [], d["anomalies"]
    assert d["rtt"] is not None and d["rtt"] >= 0
print(len(truth["dns"]))
' "$t" || { echo "mismatch: $name"; return 1; }
    n=$((n + 1))
  done
  [ "$n" -ge 2 ]
}

@test "Zeek's DNS captures: every response tshark decodes is in a record (id, name, rcode, A/AAAA/CNAME)" {
  command -v tshark >/dev/null || skip "tshark not installed"
  run python3 "$NETLINES_SRC/tests/tools/dns_peer_check.py" --min 1.0 "$NETLINES_BIN/dnsextract" \
    "$DATA"/peers_dns/*.pcap
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"total: "* ]]
}

@test "Zeek's DNS captures: bad records give anomalies, never a crash" {
  for f in "$DATA"/peers_dns/*.pcap; do
    run dnsextract "$f"
    [ "$status" -eq 0 ] || { echo "$f: $status"; return 1; }
  done
  [ "$(dnsextract "$DATA/peers_dns/dns-svcb-rdlength-mismatch.pcap" | jq -r '.dns.anomalies | join(",")')" = "bad_rdata,unsolicited" ]
  [ "$(dnsextract "$DATA/peers_dns/svcb-port-malformed.pcap" | jq -r '.dns.anomalies[]')" = "bad_svcb_param" ]
  [ "$(dnsextract "$DATA/peers_dns/ech.pcap" | jq -r '.dns.answers[].svcb.ech' | sort -u)" = "true" ]
  # A query and its response on different VLANs are one transaction.
  [ "$(dnsextract "$DATA/peers_dns/loc-29-trunc.pcap" | jq -r .dns.status)" = "answered" ]
}

@test "record types: rdata and the type's own member" {
  out=$(dnsextract "$DATA/crafted_dns_udp.pcap")
  q() { jq -r "$1" <<<"$out"; }
  [ "$(q 'select(.dns.id == 257) | .dns.answers[0].mx.exchange')" = "mx1.types.dns.test" ]
  [ "$(q 'select(.dns.id == 258) | .dns.answers[0].txt | length')" = "3" ]
  [ "$(q 'select(.dns.id == 259) | "\(.dns.rcode_name) \(.dns.authorities[0].soa.serial)"')" = "NXDOMAIN 2024010101" ]
  [ "$(q 'select(.dns.id == 260) | .dns.answers[0].srv.port')" = "5060" ]
  [ "$(q 'select(.dns.id == 261) | [.dns.answers[] | .type_name // "null"] | join(",")')" = \
    "CAA,NAPTR,SSHFP,DS,DNSKEY,RRSIG,NSEC,NSEC3,null" ]
  [ "$(q 'select(.dns.id == 261) | .dns.answers[6].nsec.types | join(",")')" = "A,MX,RRSIG,NSEC" ]
  [ "$(q 'select(.dns.id == 261) | .dns.answers[8].rdata_base64')" = "AQID" ]
  [ "$(q 'select(.dns.id == 262) | .dns.answers[0].svcb | "\(.alpn | join("/")) \(.port) \(.ech) \(.ipv4hint[0])"')" = \
    "h2/h3 8443 true 10.53.0.9" ]
  [ "$(q 'select(.dns.id == 262) | .dns.query_additionals[0].opt.client_subnet | "\(.address)/\(.source_prefix)"')" = "192.0.2.0/24" ]
  [ "$(q 'select(.dns.id == 262) | .dns.additionals[0].opt | "\(.do) \(.cookie.server)"')" = \
    "true 08090a0b0c0d0e0f1011121314151617" ]
  # The response came in two IP fragments.
  [ "$(q 'select(.dns.id == 263) | .dns.answers[0].txt | length')" = "8" ]
  [ "$(q 'select(.dest_port == 5355) | .dns.answers[0].rdata')" = "10.53.0.8" ]
  [ "$(q 'select(.dest_port == 5300) | .dns.answers[0].rdata')" = "::1" ]
  [ "$(q 'select(.dest_port == 5353) | .dns.status' | sort | tr '\n' ' ')" = "unanswered unsolicited " ]
  [ "$(q 'select(.dest_port == 9999)')" = "" ]
}

@test "pairing: in flight, retransmitted, duplicate, unsolicited, unanswered by timeout and at the end" {
  got=$(dnsextract "$DATA/crafted_dns_pairing.pcap" | jq -r '"\(.dns.queries[0].name) \(.dns.status) \(.dns.query_packets)"')
  want="q3.pair.dns.test answered 1
q2.pair.dns.test answered 1
q1.pair.dns.test answered 1
retx.pair.dns.test answered 2
twice.pair.dns.test answered 1
twice.pair.dns.test duplicate 0
unasked.pair.dns.test unsolicited 0
lost.pair.dns.test unanswered 1
later.pair.dns.test answered 1
end.pair.dns.test unanswered 1"
  [ "$got" = "$want" ] || { echo "$got"; return 1; }
  # With a longer timeout the lost query waits until the end of input.
  [ "$(dnsextract --timeout 10 "$DATA/crafted_dns_pairing.pcap" | jq -r .dns.queries[0].name | tail -2 | head -1)" = "lost.pair.dns.test" ]
}

@test "malformed messages: a record each with its anomaly" {
  got=$(dnsextract "$DATA/crafted_dns_bad.pcap" | jq -r '"\(.dns.id) \(.dns.anomalies | join(","))"')
  want="769 name_pointer_loop,name_pointer_forward
770 name_pointer_forward,trailing_bytes
771 name_too_long
772 label_too_long
773 rdlength_overflow
774 tc_set
775 count_exceeds_message
776 bad_rdata
null truncated_header"
  [ "$got" = "$want" ] || { echo "$got"; return 1; }
}

@test "TCP: messages split and joined, a mid-stream pickup, a session cut inside a response" {
  got=$(dnsextract "$DATA/crafted_dns_tcp.pcap" | jq -r '"\(.dns.transport) \(.dns.id) \(.dns.status) \(.dns.anomalies | join(","))"')
  want="tcp 1025 answered 
tcp 1026 answered 
tcp 1028 answered tcp_resync
tcp 1029 answered truncated_record,tcp_truncated"
  [ "$got" = "$want" ] || { echo "$got"; return 1; }
}

@test "the piped paths give the same records as the direct path" {
  for f in "$FIXTURES"/dns_udp_tcp.pcap "$FIXTURES"/mixed_dns_http_https.pcapng "$DATA"/crafted_dns_*.pcap; do
    direct=$(dnsextract "$f" | sort | md5sum)
    [ "$(pcap2pkt "$f" | dnsextract | sort | md5sum)" = "$direct" ] || { echo "pkt path differs: $f"; return 1; }
    # UDP from pcap2pkt, TCP from tcpflow-reasm, mixed in one input.
    mixed=$( { pcap2pkt -f 'not tcp' "$f"; tcpflow-reasm "$f"; } | dnsextract | sort | md5sum)
    [ "$mixed" = "$direct" ] || { echo "mixed path differs: $f"; return 1; }
  done
}

@test "--pass copies the other records; --stats counts" {
  f="$FIXTURES/dns_udp_tcp.pcap"
  run bash -c "tcpflow-reasm '$f' | dnsextract --pass | jq -r .type | sort | uniq -c | awk '{print \$2\"=\"\$1}' | tr '\n' ' '"
  [[ "$output" == *"dns=1 "* ]]
  [[ "$output" == *"session_start=1 "* ]]
  run bash -c "dnsextract --stats '$f' 2>&1 >/dev/null"
  [[ "$output" == *"dns.transactions: 6"* ]]
  [[ "$output" == *"dns.answered: 6"* ]]
  [[ "$output" == *"dns.evicted_total_cap: 0"* ]]
}

@test "a flood of unanswered queries stays within the caps" {
  f="$DATA/crafted_dns_pairing.pcap"
  run bash -c "dnsextract --stats --max-pending 2 --max-pending-per-flow 1 '$f' 2>&1 >/dev/null"
  [[ "$output" == *"dns.pending_peak: 2"* ]]
  # q1 and q2 give way to q3 in their flow, then the late r2 to r1; "lost" to "later".
  [[ "$output" == *"dns.evicted_flow_cap: 3"* ]]
  [[ "$output" == *"dns.evicted_total_cap: 1"* ]]
  [ "$(dnsextract --max-pending 2 --max-pending-per-flow 1 "$f" | wc -l)" -ge 10 ]
}
