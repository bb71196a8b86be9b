#!/usr/bin/env bats
# httpextract as a user runs it.

load helpers

@test "--help and --version; bad option values are usage errors" {
  run httpextract --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--body"* ]]
  run httpextract --version
  [ "$status" -eq 0 ]
  run httpextract --body=most "$DATA/sample.pcapng"
  [ "$status" -eq 2 ]
  run httpextract --decode-cap=huge "$DATA/sample.pcapng"
  [ "$status" -eq 2 ]
}

@test "every fixture: each transaction matches the truth (lines, headers, bodies, hashes, decoded bodies)" {
  for t in "$FIXTURES"/truth/*.json; do
    name=$(basename "${t%.json}")
    f=$(ls "$FIXTURES/$name".pcap* | head -1)
    httpextract --decode "$f" | python3 "$NETLINES_SRC/tests/tools/check_http.py" "$t"
  done
}

@test "every fixture: the piped paths give the same records as the direct path" {
  for f in "$FIXTURES"/*.pcap "$FIXTURES"/*.pcapng; do
    direct=$(httpextract "$f" | md5sum)
    [ "$(pcap2pkt "$f" | tcpflow-reasm | httpextract | md5sum)" = "$direct" ] || { echo "reasm path differs: $f"; return 1; }
    [ "$(pcap2pkt "$f" | httpextract | md5sum)" = "$direct" ] || { echo "pkt path differs: $f"; return 1; }
  done
}

@test "HTTP is found by content: port 8080 and port 443 carry HTTP, TLS on 443 does not" {
  run bash -c "httpextract '$FIXTURES/http_post_100continue.pcap' | jq -r '.dest_port' | sort -u"
  [ "$output" = "8080" ]
  run bash -c "httpextract '$FIXTURES/non_tls_on_443.pcap' | jq -r '[.dest_port, .http.host] | @tsv'"
  [ "$output" = $'443\tplain.fixture.test:443' ]
  run --separate-stderr httpextract --stats "$FIXTURES/tls13_sni_alpn.pcap"
  [ -z "$output" ]
  [[ "$stderr" == *"http.non_http: 1"* ]]
}

@test "100-continue, pipelining, HEAD/304/204 and a reset mid-body" {
  run bash -c "httpextract '$FIXTURES/http_post_100continue.pcap' | jq -c '[.http.method, .http.interim, .http.status]' | head -1"
  [ "$output" = '["POST",[100],201]' ]
  run bash -c "httpextract '$FIXTURES/http_pipelined.pcap' | jq -r '.tx_id' | tr '\n' ' '"
  [ "$output" = "0 1 2 " ]
  run bash -c "httpextract '$FIXTURES/http_head_304_v6_sll.pcap' | jq -r '.http.body_framing' | tr '\n' ' '"
  [ "$output" = "none none none length " ]
  run bash -c "httpextract '$FIXTURES/http_rst_midstream.pcap' | jq -c '[.complete, .anomalies]'"
  [[ "$output" == *"false"*"truncated_body"* ]]
}

@test "--body modes: none, preview:N, full; --decode inflates gzip" {
  f="$FIXTURES/http_chunked_gzip_ns.pcap"
  run bash -c "httpextract --body=none '$f' | jq -r '.http.response_body.sha256' | sort -u"
  [ "$output" = "null" ]
  run bash -c "httpextract --body=preview:4 '$FIXTURES/http_get_basic.pcap' | jq -r '.http.response_body.preview' | base64 -d | wc -c"
  [ "$output" -eq 4 ]
  want=$(jq -r '.http[0].body_sha256' "$FIXTURES/truth/http_get_basic.json")
  run bash -c "httpextract --body=full '$FIXTURES/http_get_basic.pcap' | jq -r '.http.response_body.full' | base64 -d | sha256sum | cut -d' ' -f1"
  [ "$output" = "$want" ]
  want=$(jq -r '.http[0].decoded_body_sha256' "$FIXTURES/truth/http_chunked_gzip_ns.json")
  run bash -c "httpextract --decode '$f' | jq -r '.http.response_body.decoded.sha256' | head -1"
  [ "$output" = "$want" ]
}

@test "Basic authorization: the user always, the password only with --show-secrets" {
  printf 'GET /a HTTP/1.1\r\nHost: h\r\nAuthorization: Basic %s\r\n\r\n' "$(printf 'alice:s3cret' | base64)" > "$BATS_TEST_TMPDIR/req"
  python3 - "$BATS_TEST_TMPDIR/req" "$BATS_TEST_TMPDIR/auth.pcap" <<'PY'
import struct, sys
req = open(sys.argv[1], "rb").read()
resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
def pkt(src, dst, sp, dp, seq, ack, flags, data):
    tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + data
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, bytes(src), bytes(dst)) + tcp
    return ip
c, s = [10, 0, 0, 1], [10, 0, 0, 2]
frames = [pkt(c, s, 5000, 80, 100, 0, 0x02, b""), pkt(s, c, 80, 5000, 900, 101, 0x12, b""),
          pkt(c, s, 5000, 80, 101, 901, 0x18, req), pkt(s, c, 80, 5000, 901, 101 + len(req), 0x18, resp)]
with open(sys.argv[2], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
    for i, fr in enumerate(frames):
        f.write(struct.pack("<IIII", 1700000000, i, len(fr), len(fr)) + fr)
PY
  run bash -c "httpextract '$BATS_TEST_TMPDIR/auth.pcap' | jq -c '[.http.auth_user, .http.auth_password]'"
  [ "$output" = '["alice",null]' ]
  run bash -c "httpextract --show-secrets '$BATS_TEST_TMPDIR/auth.pcap' | jq -c '[.http.auth_user, .http.auth_password]'"
  [ "$output" = '["alice","s3cret"]' ]
}

@test "--pass copies other records and the session records, each after the records it caused; JSON input errors name the line" {
  run bash -c "{ echo '{\"type\":\"flow\",\"x\":1}'; tcpflow-reasm '$FIXTURES/http_get_basic.pcap'; } | httpextract --pass | jq -r .type | tr '\n' ' '"
  [ "$output" = "flow session_start monologue http monologue session_end " ]
  run --separate-stderr bash -c "{ tcpflow-reasm '$FIXTURES/http_get_basic.pcap' | head -2; echo '{\"type\":\"monologue\",\"flow_id\":1}'; } | httpextract"
  [ "$status" -eq 1 ]
  [[ "$stderr" == "httpextract: (stdin): record 3: monologue for a session without session_start" ]]
}

@test "a closed pipe ends quietly" {
  f="$FIXTURES/http_keepalive.pcapng"
  run --separate-stderr bash -c "httpextract $f $f $f $f $f $f $f $f $f $f $f $f | head -1 >/dev/null; echo \"rc=\${PIPESTATUS[0]}\""
  [ "$output" = "rc=0" ]
  [ -z "$stderr" ]
}

@test "one reassembly, several analysers: tcpflow-reasm | httpextract --pass | tlssni --pass, both orders, equal the direct runs" {
  for f in "$FIXTURES"/*.pcap* "$DATA/sample.pcapng"; do
    want_http=$(httpextract "$f" | md5sum)
    want_tls=$(tlssni "$f" | md5sum)
    out1=$(tcpflow-reasm "$f" | httpextract --pass | tlssni --pass)
    out2=$(tcpflow-reasm "$f" | tlssni --pass | httpextract --pass)
    for out in "$out1" "$out2"; do
      [ "$(echo "$out" | grep '^{"type":"http"' | md5sum)" = "$want_http" ] || { echo "http differs: $f"; return 1; }
      [ "$(echo "$out" | grep '^{"type":"tls"' | md5sum)" = "$want_tls" ] || { echo "tls differs: $f"; return 1; }
      # and the reassembly itself is handed on whole
      [ "$(echo "$out" | grep -E '^\{"type":"(session_start|monologue|session_end)"' | md5sum)" = "$(tcpflow-reasm "$f" | md5sum)" ] ||
        { echo "sessions differ: $f"; return 1; }
    done
  done
}

@test "malformed start lines, bare LF, smuggling and unsolicited responses: every transaction kept, tx_id a key" {
  f="$DATA/crafted_http_liberal.pcap"
  run bash -c "httpextract '$f' | jq -r '[.tx_id, .http.method // \"-\", .http.uri // \"-\", .http.status, (.anomalies | join(\",\"))] | @tsv'"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = $'0\tGET\t/first\t200\t' ]
  [ "${lines[1]}" = $'1\tGET\t/odd\t200\tmalformed_request_line,malformed_status_line' ]
  [ "${lines[2]}" = $'2\tFOO\t/weird\t404\tmalformed_request_line,bare_lf_line_end,unknown_method' ]
  [ "${lines[3]}" = $'3\tPOST\t/te\t200\ttransfer_encoding_with_content_length,multiple_transfer_encodings' ]
  [ "${lines[4]}" = $'4\tGET\t/smuggled\t200\t' ]
  [ "${lines[5]}" = $'5\tGET\t/last\t200\t' ]
  [ "${lines[6]}" = $'6\t-\t-\t204\tunsolicited_response' ]
  [ "${#lines[@]}" -eq 7 ]
  # (flow_id, tx_id) is unique
  run bash -c "httpextract '$f' | jq -r '\"\(.flow_id) \(.tx_id)\"' | sort | uniq -d"
  [ -z "$output" ]
  # the TLS connection beside it is still not HTTP
  run --separate-stderr httpextract --stats "$f"
  [[ "$stderr" == *"http.non_http: 1"* ]]
  [[ "$stderr" == *"http.transactions: 7"* ]]
  direct=$(httpextract "$f" | md5sum)
  [ "$(pcap2pkt "$f" | tcpflow-reasm | httpextract | md5sum)" = "$direct" ]
  [ "$(pcap2pkt "$f" | httpextract | md5sum)" = "$direct" ]
}
