#!/usr/bin/env bats
# pcap2pkt as a user runs it.

load helpers

truth() { jq -r "$2" "$FIXTURES/truth/$1.json"; }

@test "--help goes to stdout and exits 0; --version too" {
  run pcap2pkt --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--payload"* ]]
  run pcap2pkt --version
  [ "$status" -eq 0 ]
  [[ "$output" == "pcap2pkt (netlines) "* ]]
}

@test "an unknown option is a usage error: one line, a hint, exit 2" {
  run pcap2pkt --no-such-option
  [ "$status" -eq 2 ]
  [[ "$output" == *"Try 'pcap2pkt --help'"* ]]
  run pcap2pkt --payload=bogus "$DATA/sample.pcapng"
  [ "$status" -eq 2 ]
  run pcap2pkt --time=bogus "$DATA/sample.pcapng"
  [ "$status" -eq 2 ]
}

@test "every fixture: one pkt record per packet, each valid JSON with type first" {
  for f in "$FIXTURES"/*.pcap "$FIXTURES"/*.pcapng; do
    name=$(basename "${f%.*}")
    want=$(truth "$name" .capture.packets)
    got=$(pcap2pkt "$f" | jq -c 'select(.type == "pkt")' | wc -l)
    [ "$got" -eq "$want" ] || { echo "$name: $got records, truth $want"; return 1; }
    first=$(pcap2pkt "$f" | head -1 | cut -c1-13)
    [ "$first" = '{"type":"pkt"' ]
  done
}

@test "every fixture: each truth TCP connection's 5-tuple appears, client to server" {
  for t in "$FIXTURES"/truth/*.json; do
    name=$(basename "${t%.json}")
    f=$(ls "$FIXTURES/$name".pcap* | head -1)
    tuples=$(pcap2pkt --payload=none "$f" | jq -r 'select(.proto == "TCP") | "\(.src_ip) \(.src_port) \(.dest_ip) \(.dest_port)"' | sort -u)
    while read -r c cp s sp; do
      [ -n "$c" ] || continue
      grep -qx "$c $cp $s $sp" <<<"$tuples" || { echo "$name: missing $c:$cp -> $s:$sp"; return 1; }
    done < <(jq -r '.connections[] | "\(.client.ip) \(.client.port) \(.server.ip) \(.server.port)"' "$t")
  done
}

@test "VLAN tags, nanosecond timestamps and link types are decoded" {
  run bash -c "pcap2pkt '$FIXTURES/tls12_vlan100.pcapng' | jq -r 'select(.vlan) | .vlan[0].id' | sort -u"
  [ "$output" = "100" ]
  ts=$(pcap2pkt "$FIXTURES/crafted_seq_wrap_v6_ns.pcap" | head -1 | jq -r .ts)
  [[ "$ts" =~ \.[0-9]{9}Z$ ]]
  run bash -c "pcap2pkt '$FIXTURES/http10_close_delimited_sll2.pcap' | jq -r .link.type | sort -u"
  [ "$output" = "linux_sll2" ]
  run bash -c "pcap2pkt '$FIXTURES/rawip_http_post.pcap' | jq -r .link.type | sort -u"
  [ "$output" = "raw" ]
}

@test "standard input, '-' and a file give the same records" {
  a=$(pcap2pkt "$DATA/sample.pcapng" | md5sum)
  b=$(pcap2pkt - < "$DATA/sample.pcapng" | md5sum)
  c=$(cat "$DATA/sample.pcapng" | pcap2pkt | md5sum)
  [ "$a" = "$b" ]
  [ "$a" = "$c" ]
}

@test "several files are read in order and numbered across them" {
  n1=$(pcap2pkt "$FIXTURES/http_get_basic.pcap" | wc -l)
  run bash -c "pcap2pkt '$FIXTURES/http_get_basic.pcap' '$FIXTURES/dns_udp_tcp.pcap' | jq -r .n | tail -1"
  [ "$output" -eq $((n1 + 20)) ]
}

@test "a file that is not a capture: clear message, exit 1, other files still read" {
  echo "hello" > "$BATS_TEST_TMPDIR/notcap.txt"
  run --separate-stderr pcap2pkt "$BATS_TEST_TMPDIR/notcap.txt" "$FIXTURES/http_get_basic.pcap"
  [ "$status" -eq 1 ]
  [[ "$stderr" == "pcap2pkt: $BATS_TEST_TMPDIR/notcap.txt: not a pcap or pcapng file" ]]
  [ "$(wc -l <<<"$output")" -eq 19 ]
}

@test "a missing file: one line naming it, exit 1" {
  run --separate-stderr pcap2pkt /nonexistent.pcap
  [ "$status" -eq 1 ]
  [[ "$stderr" == "pcap2pkt: /nonexistent.pcap: No such file or directory" ]]
  [ -z "$output" ]
}

@test "a capture cut mid-record: whole packets first, then the byte offset, exit 1" {
  f="$FIXTURES/http_get_basic.pcap"
  size=$(stat -c %s "$f")
  head -c $((size - 10)) "$f" > "$BATS_TEST_TMPDIR/cut.pcap"
  run --separate-stderr pcap2pkt "$BATS_TEST_TMPDIR/cut.pcap"
  [ "$status" -eq 1 ]
  [ "$(wc -l <<<"$output")" -eq 18 ]
  [[ "$stderr" == *"cut.pcap: "*"offset"* ]]
  # The same through a pipe.
  run --separate-stderr bash -c "cat '$BATS_TEST_TMPDIR/cut.pcap' | pcap2pkt"
  [ "$status" -eq 1 ]
  [ "$(wc -l <<<"$output")" -eq 18 ]
  [[ "$stderr" == *"(stdin): "*"offset"* ]]
}

@test "BPF filter selects packets in files; a bad expression is a usage error" {
  all=$(pcap2pkt "$FIXTURES/dns_udp_tcp.pcap" | jq -c 'select(.proto == "UDP" and (.src_port == 53 or .dest_port == 53))' | wc -l)
  got=$(pcap2pkt -f 'udp port 53' "$FIXTURES/dns_udp_tcp.pcap" | wc -l)
  [ "$got" -eq "$all" ]
  [ "$got" -gt 0 ]
  run --separate-stderr pcap2pkt -f 'tcp port port' "$FIXTURES/dns_udp_tcp.pcap"
  [ "$status" -eq 2 ]
  [[ "$stderr" == "pcap2pkt: bad filter expression: "* ]]
}

@test "payload modes: b64 by default, none, text, head:N" {
  f="$FIXTURES/http_get_basic.pcap"
  req=$(pcap2pkt "$f" | jq -r 'select(.payload_len > 0) | .payload' | head -1 | base64 -d | head -1)
  [[ "$req" == "GET / HTTP/1.1"* || "$req" == GET* ]]
  run bash -c "pcap2pkt --payload=none '$f' | jq -c 'select(has(\"payload\"))' | wc -l"
  [ "$output" -eq 0 ]
  run bash -c "pcap2pkt --payload=text '$f' | jq -r 'select(.payload_len > 0) | .payload_text' | head -1"
  [[ "$output" == GET* ]]
  run bash -c "pcap2pkt --payload=head:3 '$f' | jq -r 'select(.payload_len > 0) | .payload_head' | head -1 | base64 -d"
  [ "$output" = "GET" ]
}

@test "epoch timestamps keep every digit" {
  iso=$(pcap2pkt "$FIXTURES/crafted_seq_wrap_v6_ns.pcap" | head -1 | jq -r .ts)
  epoch=$(pcap2pkt --time=epoch "$FIXTURES/crafted_seq_wrap_v6_ns.pcap" | head -1 | grep -oE '"ts":[0-9.]+' | cut -d: -f2)
  [[ "$epoch" =~ ^[0-9]+\.[0-9]{9}$ ]]
  [ "$(date -u -d "@${epoch%.*}" +%Y-%m-%dT%H:%M:%S).${epoch#*.}Z" = "$iso" ]
}

@test "snaplen-truncated packets are kept and flagged" {
  run bash -c "pcap2pkt '$FIXTURES/http_snaplen96.pcap' | jq -r 'select(.caplen < .len) | .anomalies[]?' | sort -u"
  [[ "$output" == *snaplen_truncated* ]]
}

@test "--stats prints a summary on stderr, nothing extra on stdout" {
  run --separate-stderr pcap2pkt --stats "$FIXTURES/http_get_basic.pcap"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"packets_read: 19"* ]]
  [[ "$stderr" == *"linktype.ethernet: 19"* ]]
  [ "$(wc -l <<<"$output")" -eq 19 ]
}

@test "a closed pipe ends quietly" {
  f="$FIXTURES/tcp_zero_window.pcap"
  run --separate-stderr bash -c "pcap2pkt $f $f $f $f $f $f $f $f | head -1; echo \"rc=\${PIPESTATUS[0]}\""
  [[ "$output" == *"rc=0"* ]]
  [ -z "$stderr" ]
}

@test "a write error is reported, exit 1" {
  run --separate-stderr bash -c "pcap2pkt '$FIXTURES/tcp_zero_window.pcap' > /dev/full"
  [ "$status" -eq 1 ]
  [[ "$stderr" == "pcap2pkt: write error: "* ]]
}

@test "live capture on an unknown interface: one clear line, exit 1" {
  run --separate-stderr pcap2pkt -i no-such-iface0 -c 1
  [ "$status" -eq 1 ]
  [[ "$stderr" == "pcap2pkt: "*"no-such-iface0"* ]]
}

@test "live capture on loopback sees our own UDP packets" {
  [ "$(id -u)" -eq 0 ] || skip "needs root"
  ( sleep 1; for i in 1 2 3 4 5; do echo "netlines-live-$i" > /dev/udp/127.0.0.1/47999; sleep 0.1; done ) &
  run timeout 20 pcap2pkt -i lo -f 'udp port 47999' -c 3 --payload=text
  wait
  [ "$status" -eq 0 ]
  [ "$(grep -c '"dest_port":47999' <<<"$output")" -eq 3 ]
  [[ "$output" == *netlines-live-* ]]
}
