#!/usr/bin/env bats
# tlssni as a user runs it.

load helpers

@test "--help and --version; bad options and values are usage errors" {
  run tlssni --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--pass"* ]]
  run tlssni --version
  [ "$status" -eq 0 ]
  [[ "$output" == "tlssni (netlines) "* ]]
  run tlssni --no-such-option
  [ "$status" -eq 2 ]
  [[ "$output" == *"Try 'tlssni --help'"* ]]
  run tlssni --time=bogus "$FIXTURES/tls13_sni_alpn.pcap"
  [ "$status" -eq 2 ]
  run tlssni -f 'tcp port' "$FIXTURES/tls13_sni_alpn.pcap"
  [ "$status" -eq 2 ]
}

@test "every fixture with truth tls[]: one record per ClientHello, fields as the truth says" {
  n=0
  for t in "$FIXTURES"/truth/*.json; do
    [ "$(jq '.tls | length' "$t")" -gt 0 ] || continue
    name=$(basename "${t%.json}")
    f=$(ls "$FIXTURES/$name".pcap* | head -1)
    tlssni "$f" | python3 -c '
import json, sys
truth = json.load(open(sys.argv[1]))
recs = [json.loads(l) for l in sys.stdin]
conns = {c["id"]: c for c in truth["connections"]}
assert len(recs) == len(truth["tls"]), (sys.argv[1], len(recs), len(truth["tls"]))
for want in truth["tls"]:
    c = conns[want["conn"]]
    got = [r for r in recs if r["src_port"] == c["client"]["port"] and r["dest_port"] == c["server"]["port"]
           and r["src_ip"] == c["client"]["ip"]]
    assert len(got) == 1, (sys.argv[1], want)
    g = got[0]["tls"]
    problems = []
    def eq(field, value):
        if value != want[field]:
            problems.append(f"{field}: got {value!r}, truth {want[field]!r}")
    for k in ("sni", "alpn", "supported_versions", "grease"):
        eq(k, g[k])
    eq("legacy_version", g["version"])
    if want.get("record") == "sslv2":
        assert g["record"] == "sslv2" and g["sslv2"], g
        eq("cipher_specs_v2", g["cipher_specs_v2"])
    else:
        assert g["record"] == "tls", g
        for k in ("cipher_suites", "record_version", "client_hello_records"):
            eq(k, g[k])
    if "negotiated_version" in want:
        eq("negotiated_version", g["server"]["version_name"])
    # TLS 1.3 sends the selected ALPN in EncryptedExtensions: not visible.
    if "server_selected_alpn" in want and want.get("negotiated_version") != "TLSv1.3":
        eq("server_selected_alpn", g["server"]["alpn"])
    assert not problems, (sys.argv[1], problems)
' "$t" || { echo "mismatch: $name"; return 1; }
    n=$((n + 1))
  done
  [ "$n" -ge 5 ]
}

@test "JA3 hashes equal tshark's (values recorded from tshark -e tls.handshake.ja3)" {
  # tshark -r F -d tcp.port==8443,tls -Y 'tls.handshake.type==1' -T fields \
  #   -e tls.handshake.extensions_server_name -e tls.handshake.ja3
  expect() {  # fixture, then "sni ja3" lines in ClientHello order
    local f=$1; shift
    got=$(tlssni "$FIXTURES/$f" | jq -r '"\(.tls.sni) \(.tls.ja3_hash)"')
    want=$(printf '%s\n' "$@")
    [ "$got" = "$want" ] || { echo "$f: got [$got] want [$want]"; return 1; }
  }
  expect crafted_tls_split_grease.pcap "split.fixture.test 58bdbe759a4304ed4f73142d94142eb2" \
    "records.fixture.test 8df66bddfdcdf81f50d85895385b3b00"
  expect tls12_curl_v6_rawip.pcap "www6.fixture.test 87b9bfc7da97115ed2276737b09f8d74"
  expect tls13_sni_alpn.pcap "api.fixture.test a497f186a5dac50fbdbbaefb276cd35e"
  expect mixed_dns_http_https.pcapng "secure.fixture.test 0149f47eabf9a20d0893e2a44e5a6323"
  expect tls12_vlan100.pcapng "vlan.fixture.test 2c8025f4ea5a91ca3701a43475851a59"
  # tshark has no JA3 for an SSLv2-style hello; neither do we.
  expect crafted_sslv2_junk_443_vlan.pcap "null null"
}

@test "every fixture: pcap2pkt | tcpflow-reasm | tlssni gives the same records as tlssni" {
  for f in "$FIXTURES"/*.pcap "$FIXTURES"/*.pcapng "$DATA"/*.pcap*; do
    diff <(tlssni "$f") <(pcap2pkt "$f" | tcpflow-reasm | tlssni) >/dev/null || { echo "differs (reasm): $f"; return 1; }
    diff <(tlssni "$f") <(pcap2pkt "$f" | tlssni) >/dev/null || { echo "differs (pkt): $f"; return 1; }
  done
}

@test "non-TLS bytes on port 443: no record, counted as not_tls in --stats" {
  run --separate-stderr tlssni --stats "$FIXTURES/non_tls_on_443.pcap"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [[ "$stderr" == *"tls.not_tls: 1"* ]]
  [[ "$stderr" == *"tls.client_hellos: 0"* ]]
  run --separate-stderr tlssni --stats "$FIXTURES/crafted_sslv2_junk_443_vlan.pcap"
  [ "$status" -eq 0 ]
  [ "$(grep -c . <<<"$output")" -eq 1 ]
  [ "$(jq -r .tls.record <<<"$output")" = "sslv2" ]
  [[ "$stderr" == *"tls.not_tls: 1"* ]]
  [[ "$stderr" == *"tls.sslv2_hellos: 1"* ]]
}

@test "--pass copies records of other types; without it they are dropped" {
  in="$BATS_TEST_TMPDIR/in.jsonl"
  { echo '{"type":"flow","n":1}'; tcpflow-reasm "$FIXTURES/tls13_sni_alpn.pcap"; echo '{"type":"http","n":2}'; } > "$in"
  run tlssni --pass "$in"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = '{"type":"flow","n":1}' ]
  [ "${lines[-1]}" = '{"type":"http","n":2}' ]
  [ "$(grep -c '"type":"tls"' <<<"$output")" -eq 1 ]
  run tlssni "$in"
  [ "$status" -eq 0 ]
  [ "$(grep -c . <<<"$output")" -eq 1 ]
}

@test "JSON input errors name the file and record; exit 1; the rest is still processed" {
  in="$BATS_TEST_TMPDIR/bad.jsonl"
  { tcpflow-reasm "$FIXTURES/tls13_sni_alpn.pcap" | head -2; echo 'not json'; echo '{"type":"monologue"}'
    tcpflow-reasm "$FIXTURES/tls13_sni_alpn.pcap" | tail -n +3; } > "$in"
  run --separate-stderr tlssni "$in"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"tlssni: $in: record 3: not valid JSON"* ]]
  [[ "$stderr" == *"tlssni: $in: record 4: missing field"* ]]
  [ "$(jq -r .tls.sni <<<"$output")" = "api.fixture.test" ]
  run --separate-stderr tlssni --strict "$in"
  [ "$status" -eq 1 ]
  [ "$(grep -c . <<<"$stderr")" -eq 1 ]
}

@test "| head ends quietly" {
  big="$BATS_TEST_TMPDIR/many.jsonl"
  for i in $(seq 300); do tcpflow-reasm "$FIXTURES/crafted_tls_split_grease.pcap"; done > "$big"
  run --separate-stderr bash -c "set -o pipefail; tlssni '$big' | head -1 > /dev/null"
  [ -z "$stderr" ]
  [[ "$status" -eq 0 || "$status" -eq 141 ]]
}

@test "--time=epoch gives seconds since the epoch" {
  ts=$(tlssni --time=epoch "$FIXTURES/tls13_sni_alpn.pcap" | jq -r '.ts | type')
  [ "$ts" = "number" ]
}

@test "hellos cut short (stream end, gap, long record/handshake lengths, cut extensions): no fingerprint of a part" {
  cap="$BATS_TEST_TMPDIR/cut.pcap"
  python3 "$NETLINES_SRC/tests/tools/cut_hellos.py" "$FIXTURES/tls13_sni_alpn.pcap" "$cap"
  out="$BATS_TEST_TMPDIR/cut.jsonl"
  tlssni "$cap" > "$out"
  [ "$(grep -c . "$out")" -eq 9 ]  # one record per session (tests/tools/cut_hellos.py)
  # Never a JA3 with an empty field (771,,,, and the like), never a JA4 of zeros.
  [ "$(jq -r 'select(.tls.ja3 != null) | .tls.ja3' "$out" | grep -c ',,')" -eq 0 ]
  [ "$(jq -r 'select(.tls.ja4 != null) | .tls.ja4' "$out" | grep -c '_000000000000')" -eq 0 ]
  # The whole hellos (ports 41000, 41008) keep tshark's JA3; every cut one says so.
  got=$(jq -r '"\(.src_port) \(.tls.hello_parsed) \(.tls.ja3_hash) \(.tls.ja4) \(.tls.anomalies | index("truncated_client_hello") != null)"' "$out")
  want="41000 true a497f186a5dac50fbdbbaefb276cd35e t13d0311h2_cee661580557_78f1d400d464 false
41001 false null null true
41002 false null null true
41003 false null null true
41004 false null null true
41005 false null null true
41006 false null null true
41007 false null null true
41008 true a497f186a5dac50fbdbbaefb276cd35e t13d0311h2_cee661580557_78f1d400d464 false"
  [ "$got" = "$want" ] || { echo "$got"; return 1; }
  # What was read whole is still shown: the version, and the SNI once its extension came.
  [ "$(jq -r 'select(.src_port == 41001) | "\(.tls.version) \(.tls.sni) \(.tls.cipher_suites | length)"' "$out")" = "0x0303 null 0" ]
  [ "$(jq -r 'select(.src_port == 41003) | .tls.sni' "$out")" = "api.fixture.test" ]
  # A ServerHello cut short: no JA3S, and it says so.
  [ "$(jq -c 'select(.src_port == 41008) | [.tls.server.ja3s, .tls.server.ja3s_hash, (.tls.server_anomalies | index("truncated_server_hello") != null)]' "$out")" = '[null,null,true]' ]
  python3 "$NETLINES_SRC/scripts/check-schema.py" "$NETLINES_SRC/docs/schema.md" < "$out"
  diff "$out" <(pcap2pkt "$cap" | tcpflow-reasm | tlssni)
}

@test "the TLS name tables are the ones generated from the registry CSVs" {
  python3 "$NETLINES_SRC/scripts/gen-tls-names.py" --check
}
