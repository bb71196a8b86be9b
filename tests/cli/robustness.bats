#!/usr/bin/env bats
# Robustness: captures and JSON Lines from the wild (cut off, corrupt, crafted), broken
# pipes, hostile traffic. Run by ctest against the normal build and the sanitizer build.
load helpers

TOOLS="$(tools)"
TOOLDIR="$NETLINES_SRC/tests/tools"
MALFORMED="$DATA/malformed"
ROBUSTNESS="$NETLINES_SRC/tests/data/robustness"

have() { [ -x "$NETLINES_BIN/$1" ]; }
# Sanitizer reports must not pass for an ordinary exit 1.
export ASAN_OPTIONS="exitcode=86:detect_leaks=1" UBSAN_OPTIONS="exitcode=87:print_stacktrace=1:halt_on_error=1"

@test "every binary on every malformed, odd and fixture capture: exit 0 or 1 with a message, JSON only, within 20 s" {
  files=("$MALFORMED"/*.pcap* "$MALFORMED"/*.txt "$FIXTURES"/*.pcap*)
  [ -d "$ROBUSTNESS" ] && files+=("$ROBUSTNESS"/*.pcap*)
  run python3 "$TOOLDIR/robust_run.py" "$NETLINES_BIN" 20 "${files[@]}"
  echo "$output" | tail -40
  [ "$status" -eq 0 ]
}

@test "malformed captures: packets before the damage come out, then a message with the byte offset" {
  run --separate-stderr pcap2pkt "$MALFORMED/pcap_truncated_record_data.pcap"
  [ "$status" -eq 1 ]
  [ "$(wc -l <<<"$output")" -eq 2 ]
  [[ "$stderr" == "pcap2pkt: $MALFORMED/pcap_truncated_record_data.pcap: truncated packet record at byte offset 164"* ]]
  run --separate-stderr pcap2pkt "$MALFORMED/pcap_caplen_4g.pcap"
  [ "$status" -eq 1 ]
  [ "$(wc -l <<<"$output")" -eq 2 ]
  [[ "$stderr" == *"byte offset 164"* ]]
  run --separate-stderr pcap2pkt "$MALFORMED/pcapng_epb_bad_interface.pcapng"
  [ "$status" -eq 1 ]
  [ "$(wc -l <<<"$output")" -eq 1 ]
  [[ "$stderr" == *"interface 5"* ]]
  run --separate-stderr pcap2pkt "$MALFORMED/pcapng_block_length_huge.pcapng"
  [ "$status" -eq 1 ]
  [ "$(wc -l <<<"$output")" -eq 1 ]
  # Unknown link types and unknown blocks are data, not errors.
  run --separate-stderr pcap2pkt "$MALFORMED/pcap_unknown_linktype.pcap"
  [ "$status" -eq 0 ]
  [[ "$output" == *unknown_link_type* ]]
  run --separate-stderr pcap2pkt "$MALFORMED/pcapng_unknown_blocks.pcapng"
  [ "$status" -eq 0 ]
  [ "$(wc -l <<<"$output")" -eq 1 ]
  # A file that is not a capture (nor JSON): one line, exit 1.
  run --separate-stderr pcap2pkt "$MALFORMED/not_a_capture.txt"
  [ "$status" -eq 1 ]
  [ "$(grep -c . <<<"$stderr")" -eq 1 ]
}

@test "damage in the middle of a capture: one message with the record and the bytes skipped, the packets after it kept, exit 1" {
  for f in pcap_garbage_between_records.pcap pcap_caplen_corrupt_mid_file.pcap pcapng_garbage_between_blocks.pcapng; do
    run --separate-stderr pcap2pkt --stats "$MALFORMED/$f"
    echo "$f: $stderr"
    [ "$status" -eq 1 ]
    [ "$(wc -l <<<"$output")" -eq 4 ]
    [ "$(jq -c '.anomalies // []' <<<"$output" | tr '\n' ' ')" = '[] [] ["resynchronised"] [] ' ]
    [ "$(grep -c resynchronised <<<"$stderr")" -eq 2 ]  # the message, and the --stats counter
    [[ "$stderr" == *"anomaly.resynchronised: 1"* ]]
  done
  run --separate-stderr pcap2pkt "$MALFORMED/pcap_garbage_between_records.pcap"
  [ "$stderr" = "pcap2pkt: $MALFORMED/pcap_garbage_between_records.pcap: record 3: corrupt packet record at byte offset 164: captured length 4022250974 exceeds 262144; resynchronised after skipping 37 bytes" ]
  run --separate-stderr pcap2pkt "$MALFORMED/pcap_caplen_corrupt_mid_file.pcap"
  [[ "$stderr" == *": record 3: corrupt packet record at byte offset 164: "*"; resynchronised after skipping 70 bytes" ]]
  [ "$(jq -r .ts <<<"$output" | tr '\n' ' ')" = "2023-11-14T22:13:20.000000Z 2023-11-14T22:13:21.000000Z 2023-11-14T22:13:23.000000Z 2023-11-14T22:13:24.000000Z " ]
  run --separate-stderr pcap2pkt "$MALFORMED/pcapng_garbage_between_blocks.pcapng"
  [ "$stderr" = "pcap2pkt: $MALFORMED/pcapng_garbage_between_blocks.pcapng: record 3: corrupt pcapng block at byte offset 224: bad block total length 4022250974; resynchronised after skipping 37 bytes" ]
  # The same through a pipe, and for the stages after pcap2pkt.
  run --separate-stderr bash -c "pcap2pkt - < '$MALFORMED/pcap_garbage_between_records.pcap'"
  [ "$status" -eq 1 ]
  [ "$(wc -l <<<"$output")" -eq 4 ]
  [[ "$stderr" == "pcap2pkt: -: record 3: "* || "$stderr" == "pcap2pkt: "*": record 3: "* ]]
  run --separate-stderr flowstat "$MALFORMED/pcap_garbage_between_records.pcap"
  [ "$status" -eq 1 ]
  [[ "$stderr" == "flowstat: "*"record 3: "*"resynchronised after skipping 37 bytes" ]]
}

@test "lying record headers: the packet is kept and flagged, the timestamp carried" {
  run --separate-stderr pcap2pkt --stats "$MALFORMED/pcap_usec_over_million.pcap"
  [ "$status" -eq 0 ]
  # 4000000000 microseconds: 4000 s carried into the seconds.
  [ "$(jq -r '[.ts, .anomalies[]] | join(" ")' <<<"$output")" = "2023-11-14T23:20:00.000000Z bad_timestamp_fraction" ]
  [[ "$stderr" == *"anomaly.bad_timestamp_fraction: 1"* ]]
  run --separate-stderr pcap2pkt --stats "$MALFORMED/pcap_origlen_below_caplen.pcap"
  [ "$status" -eq 0 ]
  [ "$(jq -r '[.caplen, .len, .anomalies[]] | join(" ")' <<<"$output")" = "54 10 caplen_exceeds_len" ]
  [[ "$stderr" == *"anomaly.caplen_exceeds_len: 1"* ]]
}

@test "a capture cut at every byte offset (pcap) and every 8th (pcapng): whole packets, then a message" {
  run python3 "$TOOLDIR/truncations.py" "$NETLINES_BIN/pcap2pkt" "$FIXTURES/non_tls_on_443.pcap" 1
  echo "$output"
  [ "$status" -eq 0 ]
  run python3 "$TOOLDIR/truncations.py" "$NETLINES_BIN/pcap2pkt" "$DATA/sample.pcapng" 8
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "the stateful binaries on cut captures: same rules (every 61st offset)" {
  f="$FIXTURES/http_get_basic.pcap"
  size=$(stat -c %s "$f")
  mkdir -p "$BATS_TEST_TMPDIR/cuts"
  for ((i = 0; i <= size; i += 61)); do head -c "$i" "$f" > "$BATS_TEST_TMPDIR/cuts/cut$i.pcap"; done
  run python3 "$TOOLDIR/robust_run.py" "$NETLINES_BIN" 20 "$BATS_TEST_TMPDIR"/cuts/* --tools tcpflow-reasm,flowstat,httpextract,tlssni
  echo "$output" | tail -20
  [ "$status" -eq 0 ]
}

# JSON Lines input to every stage that reads it: a line that is not JSON, a record
# missing a field, base64 that is not base64, a 100 MB line: a message naming the line,
# the rest processed, exit 1; --strict stops at the first.
bad_pkt_input() {
  local good="$BATS_TEST_TMPDIR/good.jsonl" out="$BATS_TEST_TMPDIR/bad.jsonl"
  pcap2pkt "$FIXTURES/http_get_basic.pcap" > "$good"
  {
    head -3 "$good"
    echo 'this is not json'
    sed -n 4p "$good" | sed 's/"payload":"[^"]*"/"payload":"!!not*base64"/'
    python3 -c "import sys; sys.stdout.write('{\"type\":\"pkt\",\"n\":99,\"junk\":\"' + 'A' * 100_000_000 + '\"}\n')"
    tail -n +5 "$good"
  } > "$out"
  echo "$out"
}

@test "pkt JSON Lines with bad lines: tcpflow-reasm and flowstat name each line and go on; --strict stops" {
  in=$(bad_pkt_input)
  for tool in tcpflow-reasm flowstat; do
    have $tool || continue
    run --separate-stderr $tool "$in"
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"bad.jsonl: record 4: "* ]]
    [[ "$stderr" == *"bad.jsonl: record 5: "*"base64"* ]]
    [[ "$stderr" == *"bad.jsonl: record 6: "* ]]
    [ -n "$output" ]   # the good lines were still processed
    # --strict: flowstat has no such option yet (reported); the others must have it.
    if [ $tool = flowstat ] && ! $tool --help | grep -q -- --strict; then continue; fi
    run --separate-stderr $tool --strict "$in"
    [ "$status" -eq 1 ]
    [ "$(grep -c . <<<"$stderr")" -eq 1 ]
    [[ "$stderr" == *"record 4"* ]]
  done
}

# pkt lines that lie (item 7 of "Interrupted and attacked"): fields of the wrong
# type, numbers out of range or beyond any double, a payload longer than the
# frame's lengths allow, empty lines. Each cause is told once, on its first line,
# then counted at the end; --stats counts them by kind; exit 1; good lines processed.
lying_pkt_input() {
  local good="$BATS_TEST_TMPDIR/good.jsonl" out="$BATS_TEST_TMPDIR/lying.jsonl"
  pcap2pkt "$FIXTURES/http_get_basic.pcap" > "$good"
  python3 - "$good" "$out" <<'PY'
import json, sys
good = open(sys.argv[1]).read().splitlines()
pkts = [l for l in good if '"tcp":{' in l]
def edit(line, fn):
    r = json.loads(line); fn(r); return json.dumps(r, separators=(",", ":"))
bad = [
    edit(pkts[0], lambda r: r.update(tcp="string")),                  # 1 wrong type
    edit(pkts[1], lambda r: r.update(ip=[1, 2])),                     # 2 wrong type, twice
    edit(pkts[2], lambda r: r.update(ip=[3])),
    edit(pkts[3], lambda r: r.update(src_port=70000)),                # 3 out of range, three times
    edit(pkts[4], lambda r: r.update(src_port=80000)),
    edit(pkts[5], lambda r: r.update(src_port=-1)),
    pkts[6].replace('"ttl":64', '"ttl":1e400'),                       # 4 beyond a double
    edit(pkts[7], lambda r: r.update(payload="QUFB" * 300)),          # 5 too long a payload
    "", "", "   ",                                                    # 6 empty lines
]
assert '1e400' in bad[6]
open(sys.argv[2], "w").write("\n".join(good[:2] + bad + good[2:]) + "\n")
PY
  echo "$out"
}

@test "pkt JSON Lines that lie: each cause told once with its count, counted in --stats, exit 1, good lines processed" {
  in=$(lying_pkt_input)
  for tool in $(tools pkt); do
    have $tool || continue
    run --separate-stderr $tool --stats "$in"
    echo "$tool: $stderr"
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"$tool: $in: record 3: field \"tcp\": expected an object, got a string"* ]]
    [[ "$stderr" == *"$tool: $in: record 4: field \"ip\": expected an object, got an array"* ]]
    [[ "$stderr" == *"$tool: $in: record 6: field \"src_port\": 70000 is out of range (0-65535)"* ]]
    [[ "$stderr" == *"$tool: $in: record 9: field \"ip.ttl\": 1e400 is out of range (0-255)"* ]]
    [[ "$stderr" == *"$tool: $in: record 10: payload is 900 bytes, the frame's lengths allow "* ]]
    [[ "$stderr" == *"$tool: $in: record 11: empty line"* ]]
    [[ "$stderr" == *"$tool: $in: 1 more line with the same problem (field \"ip\": expected an object)"* ]]
    [[ "$stderr" == *"$tool: $in: 2 more lines with the same problem (field \"src_port\": out of range (0-65535))"* ]]
    [[ "$stderr" == *"$tool: $in: 2 more lines with the same problem (empty line)"* ]]
    # Once per cause: six first lines and three counts, nothing per record (and
    # for pkt2pcap, which has nothing to write for them, the records without IP).
    extra=0
    writes_capture $tool && extra=1 && [[ "$stderr" == *"$tool: $in: 1 more line with the same problem (no IP layer to rebuild a frame from)"* ]]
    [ "$(grep -c "^$tool: $in: record " <<<"$stderr")" -eq $((6 + extra)) ]
    [ "$(grep -c "more lines\? with the same problem" <<<"$stderr")" -eq $((3 + extra)) ]
    [[ "$stderr" == *"bad_lines.wrong_type: 3"* ]]
    [[ "$stderr" == *"bad_lines.out_of_range: 4"* ]]
    [[ "$stderr" == *"bad_lines.payload_too_long: 1"* ]]
    [[ "$stderr" == *"bad_lines.empty_line: 3"* ]]
    # the good lines were still processed (no TLS nor DNS in this capture)
    [ $tool = tlssni ] || [ $tool = dnsextract ] || quiet_on_samples $tool || [ -n "$output" ]
  done
  # The good lines give what they give without the lying ones.
  grep -v '"ttl":1e400' "$in" | grep -v '^ *$' | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    ok = isinstance(r.get("ip"), dict) and isinstance(r.get("tcp", {}), dict) and (r.get("src_port") or 0) in range(65536) and not r.get("payload", "").startswith("QUFBQUFB")
    if ok: sys.stdout.write(l)' > "$BATS_TEST_TMPDIR/kept.jsonl"
  have tcpflow-reasm || return 0
  run --separate-stderr tcpflow-reasm "$in"
  want=$(tcpflow-reasm "$BATS_TEST_TMPDIR/kept.jsonl")
  [ "$output" = "$want" ]
}

@test "pcap2pkt --payload=none into the next stage: one message with the count, not one per packet" {
  for tool in $(tools pkt); do
    have $tool || continue
    [ $tool = flowstat ] && continue   # counts packets, needs no payload
    run --separate-stderr bash -c "pcap2pkt --payload=none '$FIXTURES/http_get_basic.pcap' | $tool"
    [ "$status" -eq 1 ]
    # pkt2pcap also names the records without IP (ARP here), which it cannot write.
    lines=2
    writes_capture $tool && lines=4
    [ "$(grep -c . <<<"$stderr")" -eq $lines ]
    [[ "$stderr" == "$tool: (stdin): record "*": no payload in pkt record (run pcap2pkt with --payload=b64, the default)"* ]]
    [[ "$stderr" == *"$tool: (stdin): "*" more lines with the same problem (no payload in pkt record)" ]]
  done
}

@test "a JSON line far over the limit is skipped, named once, and the next lines read" {
  have tcpflow-reasm || skip "no tcpflow-reasm"
  good="$BATS_TEST_TMPDIR/good.jsonl"
  pcap2pkt "$FIXTURES/http_get_basic.pcap" > "$good"
  run --separate-stderr bash -c "{ head -2 '$good'; head -c 300000000 /dev/zero | tr '\\0' 'x'; echo; tail -n +3 '$good'; } | tcpflow-reasm --stats"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"tcpflow-reasm: (stdin): record 3: line too long, skipped"* ]]
  [[ "$stderr" == *"bad_lines.too_long: 1"* ]]
  [ "$output" = "$(tcpflow-reasm "$good")" ]
}

@test "session JSON Lines with bad lines: every analyser names each line and go on; --strict stops" {
  have tcpflow-reasm || skip "no tcpflow-reasm"
  good="$BATS_TEST_TMPDIR/s.jsonl"; in="$BATS_TEST_TMPDIR/sbad.jsonl"
  tcpflow-reasm "$FIXTURES/http_get_basic.pcap" "$FIXTURES/tls13_sni_alpn.pcap" "$FIXTURES/dns_udp_tcp.pcap" > "$good"
  n=$(wc -l < "$good")
  {
    head -1 "$good"
    echo '{"type":"monologue" broken'
    sed -n 2p "$good" | sed 's/"data":"[^"]*"/"data":"@@@@"/'
    echo '{"type":"session_end"}'
    tail -n +2 "$good"
  } > "$in"
  for tool in $(tools session); do
    have $tool || continue
    run --separate-stderr $tool "$in"
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"sbad.jsonl: record 2: "* ]]
    [[ "$stderr" == *"sbad.jsonl: record 3: "* ]]
    [[ "$stderr" == *"sbad.jsonl: record 4: "* ]]
    quiet_on_samples $tool || [ -n "$output" ]
    run --separate-stderr $tool --strict "$in"
    [ "$status" -eq 1 ]
    [ "$(grep -c . <<<"$stderr")" -eq 1 ]
  done
}

@test "every binary: a closed pipe ends quietly" {
  f="$FIXTURES/tcp_zero_window.pcap"
  big="$BATS_TEST_TMPDIR/big.pcap"
  python3 "$TOOLDIR/hostile.py" generate "$BATS_TEST_TMPDIR/h" --scale ci >/dev/null
  for tool in $(tools pkt); do
    have $tool || continue
    for input in "$f" "$BATS_TEST_TMPDIR/h/syn_flood.pcap"; do
      run --separate-stderr bash -c "$tool '$input' '$input' '$input' | head -c 1 >/dev/null; echo \"rc=\${PIPESTATUS[0]}\""
      [[ "$output" == *"rc=0"* ]]
      [ -z "$stderr" ]
    done
  done
}

@test "every binary: a write error on stdout is reported, exit 1" {
  for tool in $(tools pkt); do
    have $tool || continue
    in="$FIXTURES/mixed_dns_http_https.pcapng"
    quiet_on_samples $tool && in="$DATA/cred_mail.pcap"
    run --separate-stderr bash -c "$tool '$in' > /dev/full"
    [ "$status" -eq 1 ]
    [[ "$stderr" == "$tool: write error: "* ]]
  done
}

@test "hostile traffic (scaled down): every binary stays under its RSS cap" {
  [ -x /usr/bin/time ] || skip "no /usr/bin/time (apt package time)"
  if sanitizer_build; then skip "sanitizer build: RSS is not comparable"; fi
  python3 "$TOOLDIR/hostile.py" generate "$BATS_TEST_TMPDIR/h" --scale ci
  run python3 "$TOOLDIR/hostile.py" measure "$NETLINES_BIN" "$BATS_TEST_TMPDIR/h"
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "hostile traffic (scaled down) under the sanitizers: no report, exit 0 or 1" {
  python3 "$TOOLDIR/hostile.py" generate "$BATS_TEST_TMPDIR/h" --scale ci
  rm -f "$BATS_TEST_TMPDIR/h/overlap_frags.pcap" "$BATS_TEST_TMPDIR/h/endless_chunked.pcap"
  run python3 "$TOOLDIR/robust_run.py" "$NETLINES_BIN" 120 "$BATS_TEST_TMPDIR"/h/*.pcap
  echo "$output" | tail -20
  [ "$status" -eq 0 ]
}
