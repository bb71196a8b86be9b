#!/usr/bin/env bats
# pkt2pcap as a user runs it: pkt records back into captures.

load helpers

SAME="$NETLINES_SRC/tests/tools/same_packets.py"

# The captures the tests read: every fixture and every robustness capture.
captures() { ls "$FIXTURES"/*.pcap* "$DATA"/robustness/*.pcap* 2>/dev/null; }

magic() { od -An -tx1 -N4 "$1" | tr -d ' \n'; }

@test "--help and --version; usage errors; never a capture on a terminal" {
  run --separate-stderr pkt2pcap --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--flows"* ]]
  run --separate-stderr pkt2pcap --version
  [ "$status" -eq 0 ]
  [[ "$output" == "pkt2pcap (netlines) "* ]]
  run --separate-stderr pkt2pcap --no-such-option
  [ "$status" -eq 2 ]
  run --separate-stderr pkt2pcap --time=epoch "$DATA/sample.pcapng"
  [ "$status" -eq 2 ]  # it writes no records: no --time
  command -v script >/dev/null || skip "script(1) not installed"
  run script -qec "'$NETLINES_BIN/pkt2pcap' '$DATA/sample.pcapng'" /dev/null </dev/null
  [ "$status" -eq 2 ]
  [[ "$output" == *"refusing to write a binary capture to a terminal"* ]]
}

@test "every capture: pcap2pkt --payload=frame | pkt2pcap gives back every packet byte for byte" {
  n=0
  while read -r f; do
    pcap2pkt --payload=frame "$f" 2>/dev/null | pkt2pcap > "$BATS_TEST_TMPDIR/back" 2>"$BATS_TEST_TMPDIR/err" ||
      { echo "$f: exit $?"; cat "$BATS_TEST_TMPDIR/err"; return 1; }
    [ ! -s "$BATS_TEST_TMPDIR/err" ] || { echo "$f:"; cat "$BATS_TEST_TMPDIR/err"; return 1; }
    python3 "$SAME" "$f" "$BATS_TEST_TMPDIR/back" || { echo "$f"; return 1; }
    n=$((n + 1))
  done < <(captures)
  [ "$n" -gt 100 ]
}

@test "the fixtures: the same packets as tcpdump -r F -w writes" {
  command -v tcpdump >/dev/null || skip "tcpdump not installed"
  for f in "$FIXTURES"/*.pcap*; do
    tcpdump -r "$f" -w "$BATS_TEST_TMPDIR/ref" 2>/dev/null
    pcap2pkt --payload=frame "$f" | pkt2pcap > "$BATS_TEST_TMPDIR/back"
    python3 "$SAME" "$BATS_TEST_TMPDIR/ref" "$BATS_TEST_TMPDIR/back" || { echo "$f"; return 1; }
    # A capture read directly is copied as it is.
    pkt2pcap "$f" > "$BATS_TEST_TMPDIR/copy"
    cmp "$BATS_TEST_TMPDIR/back" "$BATS_TEST_TMPDIR/copy"
  done
}

@test "pcap from pcap (micro- or nanoseconds), pcapng from pcapng and from mixed link types" {
  pcap2pkt --payload=frame "$FIXTURES/http_get_basic.pcap" | pkt2pcap > "$BATS_TEST_TMPDIR/a"
  [ "$(magic "$BATS_TEST_TMPDIR/a")" = d4c3b2a1 ]
  pcap2pkt --payload=frame "$FIXTURES/http_chunked_gzip_ns.pcap" | pkt2pcap > "$BATS_TEST_TMPDIR/b"
  [ "$(magic "$BATS_TEST_TMPDIR/b")" = 4d3cb2a1 ]
  pcap2pkt --payload=frame "$FIXTURES/tls12_vlan100.pcapng" | pkt2pcap > "$BATS_TEST_TMPDIR/c"
  [ "$(magic "$BATS_TEST_TMPDIR/c")" = 0a0d0d0a ]
  # Ethernet then Linux SLL2: one pcapng with both, every packet in order.
  pcap2pkt --payload=frame "$FIXTURES/http_get_basic.pcap" "$FIXTURES/http10_close_delimited_sll2.pcap" |
    pkt2pcap --stats > "$BATS_TEST_TMPDIR/d" 2>"$BATS_TEST_TMPDIR/err"
  [ "$(magic "$BATS_TEST_TMPDIR/d")" = 0a0d0d0a ]
  grep -q "format_pcapng: 1" "$BATS_TEST_TMPDIR/err"
  tcpdump -r "$BATS_TEST_TMPDIR/d" -w "$BATS_TEST_TMPDIR/d.ref" 2>/dev/null || true
  [ "$(pcap2pkt --payload=none "$BATS_TEST_TMPDIR/d" | wc -l)" -eq \
    $(( $(pcap2pkt "$FIXTURES/http_get_basic.pcap" | wc -l) + $(pcap2pkt "$FIXTURES/http10_close_delimited_sll2.pcap" | wc -l) )) ]
  [ "$(pcap2pkt --payload=frame "$BATS_TEST_TMPDIR/d" | jq -r .frame.linktype | sort -u | tr '\n' ' ')" = "1 276 " ]
}

@test "-w FILE: the capture there, nothing on standard output" {
  pcap2pkt --payload=frame "$FIXTURES/http_get_basic.pcap" | pkt2pcap -w "$BATS_TEST_TMPDIR/out.pcap" > "$BATS_TEST_TMPDIR/stdout"
  [ ! -s "$BATS_TEST_TMPDIR/stdout" ]
  python3 "$SAME" "$FIXTURES/http_get_basic.pcap" "$BATS_TEST_TMPDIR/out.pcap"
}

@test "default records: frames rebuilt from the fields, said once; the same flows and bytes" {
  f="$FIXTURES/http_pipelined.pcap"
  run --separate-stderr sh -c "pcap2pkt '$f' | pkt2pcap > '$BATS_TEST_TMPDIR/r.pcap'"
  [ "$status" -eq 0 ]
  [ "$(echo "$stderr" | grep -c 'rebuilt from the records')" -eq 1 ]
  [ "$(httpextract "$BATS_TEST_TMPDIR/r.pcap" | jq -c 'del(.ts)' | md5sum)" = "$(httpextract "$f" | jq -c 'del(.ts)' | md5sum)" ]
  [ "$(tcpflow-reasm "$BATS_TEST_TMPDIR/r.pcap" | md5sum)" = "$(tcpflow-reasm "$f" | md5sum)" ]
}

@test "records that cannot be rebuilt: each cause once with its line number, the rest written, exit 1" {
  f="$FIXTURES/mixed_dns_http_https.pcapng"
  { pcap2pkt --payload=frame "$f"; pcap2pkt --payload=none "$f"; pcap2pkt "$f"; } > "$BATS_TEST_TMPDIR/in"
  n=$(pcap2pkt "$f" | wc -l)
  ip=$(pcap2pkt "$f" | jq -c 'select(.ip)' | wc -l)
  [ "$ip" -lt "$n" ]
  run --separate-stderr pkt2pcap --stats "$BATS_TEST_TMPDIR/in" -w "$BATS_TEST_TMPDIR/out"
  [ "$status" -eq 1 ]
  # --payload=none: the records with IP have no payload; those without have nothing.
  [[ "$stderr" == *"record $((n + 1)): no payload in pkt record"* ]]
  [[ "$stderr" == *"$((ip - 1)) more lines with the same problem (no payload in pkt record)"* ]]
  [[ "$stderr" == *"no IP layer to rebuild a frame from (run pcap2pkt with --payload=frame)"* ]]
  [[ "$stderr" == *"$((2 * (n - ip) - 1)) more lines with the same problem (no IP layer to rebuild a frame from)"* ]]
  [[ "$stderr" == *"written: $((n + ip))"* ]]
  [ "$(pcap2pkt --payload=none "$BATS_TEST_TMPDIR/out" | wc -l)" -eq $((n + ip)) ]
}

@test "--flows: the packets of the flows failed HTTP transactions name (tuple or community_id), both ways" {
  f="$FIXTURES/mixed_dns_http_https.pcapng"
  httpextract "$f" | jq -c 'select(.http.status >= 200)' > "$BATS_TEST_TMPDIR/flows.json"
  [ -s "$BATS_TEST_TMPDIR/flows.json" ]
  pcap2pkt --payload=frame "$f" | pkt2pcap --flows "$BATS_TEST_TMPDIR/flows.json" > "$BATS_TEST_TMPDIR/sel.pcap"
  # Exactly the packets whose flow is named, and all of them.
  want=$(tcpflow-reasm "$f" | jq -c 'select(.type == "session_end")' |
    jq -s --slurpfile fl "$BATS_TEST_TMPDIR/flows.json" '[.[] | select(.community_id as $c | $fl | map(.community_id) | index($c)) | .c2s.packets + .s2c.packets] | add')
  [ "$(pcap2pkt --payload=none "$BATS_TEST_TMPDIR/sel.pcap" | wc -l)" -eq "$want" ]
  [ "$(httpextract "$BATS_TEST_TMPDIR/sel.pcap" | jq -c 'del(.ts)' | md5sum)" = "$(httpextract "$f" | jq -c 'select(.http.status >= 200) | del(.ts)' | md5sum)" ]
  # The same flows named by community_id alone, and straight from the capture.
  jq -c '{community_id}' "$BATS_TEST_TMPDIR/flows.json" > "$BATS_TEST_TMPDIR/ids.json"
  pkt2pcap --flows "$BATS_TEST_TMPDIR/ids.json" "$f" > "$BATS_TEST_TMPDIR/ids.pcap"
  cmp "$BATS_TEST_TMPDIR/sel.pcap" "$BATS_TEST_TMPDIR/ids.pcap"
  # A flows file that is not JSON Lines: exit 1, nothing written.
  printf '{"src_ip":"10.0.0.1"}\nnot json\n' > "$BATS_TEST_TMPDIR/bad.json"
  run --separate-stderr pkt2pcap --flows "$BATS_TEST_TMPDIR/bad.json" "$f"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"bad.json: record 2: not a JSON object"* ]]
}

@test "--flows: a non-first IP fragment goes with its flow" {
  f="$FIXTURES/udp_ip_fragments.pcap"
  flowstat "$f" | jq -c 'select(.proto == "UDP")' | head -1 > "$BATS_TEST_TMPDIR/flows.json"
  pkt2pcap --flows "$BATS_TEST_TMPDIR/flows.json" "$f" > "$BATS_TEST_TMPDIR/sel.pcap"
  [ "$(pcap2pkt --payload=none "$BATS_TEST_TMPDIR/sel.pcap" | jq -c 'select(.ip.fragment and .ip.frag_offset > 0)' | wc -l)" -gt 0 ]
}
