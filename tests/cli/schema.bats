#!/usr/bin/env bats
# Real output of every binary, on every fixture, matches docs/schema.md.

load helpers

check() {  # tool [args...]: run on every fixture, validate all records
  local tool=$1; shift
  [ -x "$NETLINES_BIN/$tool" ] || skip "$tool not built"
  for f in "$FIXTURES"/*.pcap "$FIXTURES"/*.pcapng "$DATA"/*.pcap*; do
    "$tool" "$@" "$f" 2>/dev/null
  done | python3 "$NETLINES_SRC/scripts/check-schema.py" "$NETLINES_SRC/docs/schema.md"
}

@test "pcap2pkt output matches the schema" { check pcap2pkt; }
@test "pcap2pkt output with other payload modes matches the schema" {
  check pcap2pkt --payload=text
  check pcap2pkt --payload=head:4 --time=epoch
}
@test "tcpflow-reasm output matches the schema" { check tcpflow-reasm; }
@test "httpextract output matches the schema" { check httpextract; }
@test "tlssni output matches the schema" { check tlssni; }
@test "dnsextract output matches the schema" { check dnsextract; }
@test "flowstat output matches the schema" { check flowstat; }
