#!/usr/bin/env bats
# Link types other than Ethernet: pcap2pkt decodes the IP inside, --stats tells what
# did not decode, httpextract finds the transaction, piped stages agree. Captures:
# tests/tools/make_link_captures.py (crafted), and small real ones (see tests/data/README.md).

load helpers

# file link-type-name: every packet's link.type, and the HTTP exchange found directly and piped.
http_over() {
  local f="$DATA/$1" want=$2
  run bash -c "pcap2pkt '$f' | jq -r .link.type | sort -u"
  [ "$output" = "$want" ] || { echo "link types: $output"; return 1; }
  # Every TCP packet of the exchange has its IP layer: 10 of them.
  [ "$(pcap2pkt --payload=none "$f" | jq -c 'select(.proto == "TCP")' | wc -l)" -eq 10 ]
  run bash -c "httpextract '$f' | jq -r '[.http.method, .http.uri, .http.status] | @tsv'"
  [ "$output" = $'GET\t/links/hello.txt\t200' ] || { echo "httpextract: $output"; return 1; }
  diff <(httpextract "$f") <(pcap2pkt "$f" | tcpflow-reasm | httpextract)
  diff <(httpextract "$f") <(pcap2pkt "$f" | httpextract)
}

@test "PPPoE with a 1-byte PPP protocol field: IP decoded, HTTP found" {
  http_over links_pppoe_pfc.pcap ethernet
  run bash -c "pcap2pkt --payload=none '$DATA/links_pppoe_pfc.pcap' | jq -r 'select(.proto == \"TCP\") | [.pppoe.session, .ppp.protocol, .link.ethertype] | @tsv' | sort -u"
  [ "$output" = $'66\t0x0021\t0x0800' ]
}

@test "PPPoE: --stats counts an unknown PPP protocol as an anomaly, not as clean; LCP is neither" {
  run --separate-stderr pcap2pkt --stats --payload=none "$DATA/links_pppoe_pfc.pcap"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"packets_decoded: 12"* ]]
  [[ "$stderr" == *"decoded_clean: 11"* ]]
  [[ "$stderr" == *"anomaly.unknown_ppp_protocol: 1"* ]]
  run bash -c "pcap2pkt --payload=none '$DATA/links_pppoe_pfc.pcap' | jq -r 'select(.ip == null) | [.ppp.protocol, (.anomalies // [] | join(\",\"))] | @tsv'"
  [ "${lines[0]}" = $'0xc021\t' ]
  [ "${lines[1]}" = $'0x002d\tunknown_ppp_protocol' ]
}

@test "NFLOG: IP decoded from the payload TLV, log group and prefix kept, HTTP found" {
  http_over links_nflog.pcap nflog
  run bash -c "pcap2pkt --payload=none '$DATA/links_nflog.pcap' | jq -r '[.link.family, .link.log_group, .link.log_prefix] | @tsv' | sort -u"
  [ "$output" = $'2\t7\thttp-in' ]
}

@test "Cisco HDLC: IP decoded, SLARP is not an anomaly, HTTP found" {
  http_over links_chdlc.pcap c_hdlc
  run --separate-stderr pcap2pkt --stats --checksums "$DATA/links_chdlc.pcap"
  [[ "$stderr" == *"decoded_clean: 11"* ]]
  [[ "$stderr" == *"linktype.c_hdlc: 11"* ]]
}

@test "802.11 with radiotap: data frames decoded through LLC/SNAP, protected frames flagged, HTTP found" {
  http_over links_radiotap.pcap ieee802_11_radiotap
  run bash -c "pcap2pkt --payload=none '$DATA/links_radiotap.pcap' | jq -r 'select(.proto == \"TCP\") | [.link.src, .link.dst, .link.bssid] | @tsv' | sort -u"
  [ "${lines[0]}" = $'02:00:00:00:0a:01\t02:00:00:00:0a:02\t02:00:00:00:00:aa' ]
  [ "${lines[1]}" = $'02:00:00:00:0a:02\t02:00:00:00:0a:01\t02:00:00:00:00:aa' ]
  run --separate-stderr pcap2pkt --stats --payload=none "$DATA/links_radiotap.pcap"
  [[ "$stderr" == *"anomaly.protected_80211_frame: 1"* ]]
  [[ "$stderr" == *"decoded_clean: 11"* ]]
}

@test "IP over InfiniBand: HTTP found" {
  http_over links_ipoib.pcap ipoib
}

@test "no new link type is unknown; every record matches the schema" {
  for f in "$DATA"/links_*.pcap; do
    ! pcap2pkt "$f" | grep -q unknown_link_type || { echo "$f"; return 1; }
    pcap2pkt "$f" | python3 "$NETLINES_SRC/scripts/check-schema.py" "$NETLINES_SRC/docs/schema.md"
  done
}

@test "real captures (tcpdump's test suite): NFLOG, Cisco HDLC, PPP with MPLS, radiotap beacon" {
  run --separate-stderr pcap2pkt --stats --payload=none "$DATA/tcpdump_nflog.pcap"
  [[ "$stderr" == *"decoded_clean: 4"* ]]
  [ "$(jq -r 'select(.proto == "UDP") | "\(.src_ip):\(.src_port) \(.link.log_group)"' <<<"$output" | sort -u)" = "74.82.42.42:53 20" ]
  # Cisco HDLC: ICMP echoes, SLARP keepalives and CDP; nothing unknown.
  run --separate-stderr pcap2pkt --stats --payload=none "$DATA/tcpdump_chdlc.pcap"
  [[ "$stderr" == *"decoded_clean: 38"* ]]
  [ "$(jq -c 'select(.proto == "ICMP")' <<<"$output" | wc -l)" -eq 10 ]
  # PPP (LINKTYPE_PPP): IPv4 and MPLS-labelled IPv4 (PPP 0x0281).
  run --separate-stderr pcap2pkt --stats --payload=none "$DATA/tcpdump_ppp_mpls.pcap"
  [[ "$stderr" == *"decoded_clean: 18"* ]]
  [ "$(jq -c 'select(.ppp.protocol == "0x0281" and .mpls[0].label == 100704 and .proto == "UDP")' <<<"$output" | wc -l)" -eq 9 ]
  run pcap2pkt --payload=none "$DATA/tcpdump_radiotap_mgmt.pcap"
  [ "$(jq -r '[.link.type, .link.wlan_type, (.anomalies // [] | length)] | @tsv' <<<"$output")" = $'ieee802_11_radiotap\t0\t0' ]
}
