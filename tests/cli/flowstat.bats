#!/usr/bin/env bats
# flowstat as a user runs it.

load helpers

# flowstat FILE | jq -c FILTER
flows() { flowstat "${@:3}" "$1" | jq -c "$2"; }

@test "--help and --version; bad option values are usage errors" {
  run --separate-stderr flowstat --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--max-flows"* ]]
  run --separate-stderr flowstat --version
  [ "$status" -eq 0 ]
  [[ "$output" == "flowstat (netlines) "* ]]
  f="$DATA/sample.pcapng"
  run --separate-stderr flowstat --no-such-option "$f"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"Try 'flowstat --help'"* ]]
  run --separate-stderr flowstat --tcp-timeout=abc "$f"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"--tcp-timeout: expected a number of seconds, got 'abc'"* ]]
  run --separate-stderr flowstat --udp-timeout=0 "$f"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"--udp-timeout: must be more than 0 seconds"* ]]
  run --separate-stderr flowstat --close-grace=-1 "$f"
  [ "$status" -eq 2 ]
  run --separate-stderr flowstat --max-flows=0 "$f"
  [ "$status" -eq 2 ]
  run --separate-stderr flowstat --time=bogus "$f"
  [ "$status" -eq 2 ]
  [ "$stderr" = "flowstat: --time: expected iso or epoch, got 'bogus'" ]
  run --separate-stderr flowstat --local=10.0.0.0/33 "$f"
  [ "$status" -eq 2 ]
  [[ "$stderr" == "flowstat: --local: "* ]]
  run --separate-stderr flowstat --interval=0.0001 "$f"
  [ "$status" -eq 2 ]
  run --separate-stderr flowstat -f 'tcp port port' "$f"
  [ "$status" -eq 2 ]
  [[ "$stderr" == "flowstat: bad filter expression: "* ]]
  [ -z "$output" ]
}

# Reads flow records on stdin; checks each truth connection's stream bytes and each
# UDP flow's datagrams and bytes (argument: the truth file).
check=$(cat <<'PY'
import json, sys
truth = json.load(open(sys.argv[1]))
flows = {}
for line in sys.stdin:
    r = json.loads(line)
    ends = frozenset([(r["src_ip"], r["src_port"]), (r["dest_ip"], r["dest_port"])])
    assert (r["proto"], ends) not in flows, ("two records for one flow", r)
    flows[(r["proto"], ends)] = r
def sides(proto, c, s):
    r = flows.get((proto, frozenset([(c["ip"], c["port"]), (s["ip"], s["port"])])))
    assert r, (proto, c, s, "no flow record")
    o, p = r["flow"]["orig"], r["flow"]["resp"]
    return (o, p) if (r["src_ip"], r["src_port"]) == (c["ip"], c["port"]) else (p, o)
for c in truth["connections"]:
    cs, sc = sides("TCP", c["client"], c["server"])
    got = (cs["l7_bytes_unique"], sc["l7_bytes_unique"])
    assert got == (c["c2s_bytes"], c["s2c_bytes"]), (c, got)
for u in truth["udp_flows"]:
    cs, sc = sides("UDP", u["client"], u["server"])
    got = (cs["packets"], cs["l7_bytes"], sc["packets"], sc["l7_bytes"])
    assert got == (u["c2s_datagrams"], u["c2s_bytes"], u["s2c_datagrams"], u["s2c_bytes"]), (u, got)
print(len(truth["connections"]) + len(truth["udp_flows"]), "flows checked")
PY
)

@test "every fixture: per-flow payload bytes and datagrams equal the truth" {
  for t in "$FIXTURES"/truth/*.json; do
    name=$(basename "${t%.json}")
    f=$(ls "$FIXTURES/$name".pcap* | head -1)
    flowstat "$f" | python3 -c "$check" "$t" || { echo "fixture: $name"; return 1; }
  done
}

@test "frames, bytes and Community IDs as tshark -z conv and communityid give them" {
  # Checked by hand with tshark 4.0.17 (-q -z conv,tcp / conv,udp, and
  # --enable-protocol communityid -T fields -e communityid): same numbers on every
  # fixture except IP fragments, where tshark counts only the frame completing a datagram.
  q='select(.proto == "TCP" or .proto == "UDP") | [.src_port, .dest_port, .flow.orig.packets, .flow.orig.link_bytes, .flow.resp.packets, .flow.resp.link_bytes, .community_id] | @tsv'
  run bash -c "flowstat '$FIXTURES/http_get_basic.pcap' | jq -r '$q'"
  [ "$output" = $'53066\t80\t7\t560\t5\t2404\t1:j2+J9y/3eQlytmPWFYGwizWPBZ8=' ]
  run bash -c "flowstat '$FIXTURES/tcp_zero_window.pcap' | jq -r '$q'"
  [ "$output" = $'40760\t80\t143\t9512\t75\t45000\t1:xk2ffd/3VKILMQXbx0GMJ5/IRTQ=' ]
  run bash -c "flowstat '$FIXTURES/crafted_seq_wrap_v6_ns.pcap' | jq -r '$q'"
  [ "$output" = $'40003\t8080\t11\t1929\t9\t6719\t1:iLcOteCwN+1zCO8EAwv18wFnxpE=' ]
  run bash -c "flowstat '$FIXTURES/dns_udp_tcp.pcap' | jq -r '$q' | sort"
  [ "${lines[0]}" = $'37403\t53\t1\t77\t1\t77\t1:AgxHVs0oWko6sGaRUhC40SJx1ng=' ]
  [ "${lines[5]}" = $'55666\t53\t1\t77\t1\t105\t1:xgMfsOcpnbhGNxqdrHgu/0jobH4=' ]
  [ "${lines[3]}" = $'39382\t53\t6\t441\t4\t337\t1:nLe+erngRqlHR12E+iuXjbYTG18=' ]
}

@test "every fixture: the piped path gives the same records as the direct path" {
  for f in "$FIXTURES"/*.pcap "$FIXTURES"/*.pcapng "$DATA"/*.pcap*; do
    diff <(flowstat "$f") <(pcap2pkt "$f" | flowstat) >/dev/null || { echo "differs: $f"; return 1; }
    diff <(flowstat --interval 0.01 --time=epoch "$f") <(pcap2pkt "$f" | flowstat --interval 0.01 --time=epoch) >/dev/null ||
      { echo "differs with --interval: $f"; return 1; }
  done
  # tcp_zero_window's pkt lines cross the 64 KiB read buffer many times (commit 8e2dc95).
  [ "$(pcap2pkt "$FIXTURES/tcp_zero_window.pcap" | wc -c)" -gt 131072 ]
  run bash -c "pcap2pkt '$FIXTURES/tcp_zero_window.pcap' | flowstat | jq -r 'select(.proto == \"TCP\") | .flow.orig.packets + .flow.resp.packets'"
  [ "$output" = "218" ]
  # Without payloads the counts are the same; only the app label needs them.
  diff <(flowstat "$FIXTURES/http_keepalive.pcapng" | jq -c 'del(.flow.app)') \
       <(pcap2pkt --payload=none "$FIXTURES/http_keepalive.pcapng" | flowstat | jq -c 'del(.flow.app)')
}

@test "Zeek states and reasons: SF on clean closes, RST ones, history" {
  run bash -c "flowstat '$FIXTURES/http_get_basic.pcap' | jq -r 'select(.proto == \"TCP\") | [.flow.reason, .flow.state, .flow.history] | @tsv'"
  [ "$output" = $'fin\tSF\tShADadFf' ]
  for n in http_keepalive.pcapng http_chunked_gzip_ns.pcap tls13_sni_alpn.pcap http_head_304_v6_sll.pcap; do
    run bash -c "flowstat '$FIXTURES/$n' | jq -r 'select(.proto == \"TCP\") | .flow.state'"
    [ "$output" = "SF" ] || { echo "$n: $output"; return 1; }
  done
  # The server resets mid-response.
  run bash -c "flowstat '$FIXTURES/http_rst_midstream.pcap' | jq -r 'select(.proto == \"TCP\") | [.flow.reason, .flow.state, .flow.history] | @tsv'"
  [ "$output" = $'rst\tRSTR\tShADadr' ]
  # The client resets the second connection; the server resets the first.
  run bash -c "flowstat '$FIXTURES/crafted_tls_split_grease.pcap' | jq -r '[.src_port, .flow.reason, .flow.state] | @tsv'"
  [ "${lines[0]}" = $'40006\tfin\tSF' ]
  [ "${lines[1]}" = $'40007\trst\tRSTO' ]
  run bash -c "flowstat '$FIXTURES/crafted_sslv2_junk_443_vlan.pcap' | jq -r 'select(.src_port == 40008) | [.flow.state, .vlan] | @tsv'"
  [ "$output" = $'RSTR\t300' ]
  # No handshake in the capture: the first packet's sender is the originator.
  run bash -c "flowstat '$FIXTURES/crafted_missing_syn_rawip.pcap' | jq -r '[.src_port, .flow.history] | @tsv'"
  [ "$output" = $'40002\tDadAFf' ]
  # UDP answered: SF; ICMPv6 without an answer: OTH, reason eof.
  run bash -c "flowstat '$FIXTURES/dns_udp_tcp.pcap' | jq -r 'select(.proto == \"UDP\") | .flow.state' | sort -u"
  [ "$output" = "SF" ]
  run bash -c "flowstat '$FIXTURES/http_get_basic.pcap' | jq -r 'select(.proto == \"IPv6-ICMP\") | [.flow.state, .flow.reason] | @tsv' | sort -u"
  [ "$output" = $'OTH\teof' ]
}

@test "application labels: http (also on port 443), tls, dns" {
  lbl() { flowstat "$FIXTURES/$1" | jq -r "select(.proto == \"$2\") | .flow.app" | sort -u | tr '\n' ' '; }
  [ "$(lbl http_get_basic.pcap TCP)" = "http " ]
  [ "$(lbl non_tls_on_443.pcap TCP)" = "http " ]
  [ "$(lbl tls13_sni_alpn.pcap TCP)" = "tls " ]
  [ "$(lbl tls12_vlan100.pcapng TCP)" = "tls " ]
  [ "$(lbl dns_udp_tcp.pcap UDP)" = "dns " ]
  [ "$(lbl dns_udp_tcp.pcap TCP)" = "dns " ]
  [ "$(lbl mixed_dns_http_https.pcapng TCP)" = "http tls " ]
  [ "$(lbl udp_ip_fragments.pcap UDP)" = "null " ]
}

@test "--local gives each flow a direction; without it the direction is null" {
  f="$FIXTURES/mixed_dns_http_https.pcapng"
  q='select(.proto == "TCP") | "\(.src_ip) \(.flow.direction)"'
  run bash -c "flowstat '$f' | jq -r '$q' | sort -u"
  [[ "$output" == *"10.99.0.11 null"* ]]
  run bash -c "flowstat --local 10.99.0.0/24 '$f' | jq -r '$q' | sort -u"
  [ "${lines[0]}" = "10.99.0.1 internal" ]
  [ "${lines[3]}" = "fd00:99::1 external" ]
  run bash -c "flowstat --local 10.99.0.2,fd00:99::2 '$f' | jq -r '$q' | sort -u"
  [ "$output" = $'10.99.0.1 inbound\n10.99.0.11 inbound\n10.99.0.12 inbound\nfd00:99::1 inbound' ]
  run bash -c "flowstat --local 10.99.0.11/32 '$f' | jq -r '$q' | sort -u"
  [ "${lines[1]}" = "10.99.0.11 outbound" ]
}

@test "--interval: summaries cover every packet; partial flow records; --no-partial" {
  f="$FIXTURES/tcp_zero_window.pcap"
  out=$(flowstat --interval 1 "$f")
  # 219 packets: 218 of the TCP flow, 1 ICMPv6.
  [ "$(jq -s '[.[] | select(.type == "interval") | .packets] | add' <<<"$out")" -eq 219 ]
  [ "$(jq -c 'select(.type == "interval") | select((.by_app | add) != .bytes)' <<<"$out")" = "" ]
  [ "$(jq -r 'select(.type == "interval") | .ts' <<<"$out" | head -1)" = "2026-11-26T05:54:28.000000Z" ]
  partial=$(jq -c 'select(.type == "flow" and .flow.partial)' <<<"$out" | wc -l)
  [ "$partial" -ge 10 ]
  [ "$(jq -r 'select(.type == "flow" and .flow.partial) | .flow.reason' <<<"$out" | sort -u)" = "interval" ]
  # The final record of the TCP flow comes after its partial ones and has every packet.
  [ "$(jq -r 'select(.proto == "TCP") | "\(.flow.reason) \(.flow.orig.packets + .flow.resp.packets)"' <<<"$out" | tail -1)" = "fin 218" ]
  run bash -c "flowstat --interval 1 --no-partial '$f' | jq -r '.type' | sort | uniq -c | tr -s ' '"
  [ "$output" = $' 2 flow\n 13 interval' ]
  # Interval and flow records match the schema.
  flowstat --interval 0.5 --time=epoch "$f" | python3 "$NETLINES_SRC/scripts/check-schema.py" "$NETLINES_SRC/docs/schema.md"
}

# Writes each record of a classic pcap twice (a mirror port delivering every frame twice).
double_pcap() {
  python3 - "$1" "$2" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
e = '<' if d[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
out, i = [d[:24]], 24
while i + 16 <= len(d):
    rec = d[i:i + 16 + struct.unpack(e + 'I', d[i + 8:i + 12])[0]]
    out += [rec, rec]
    i += len(rec)
open(sys.argv[2], 'wb').write(b''.join(out))
PY
}

@test "--dedup: a capture with every frame twice gives the original's records" {
  dup="$BATS_TEST_TMPDIR/dup.pcap"
  for n in http_get_basic crafted_ooo_retrans udp_ip_fragments; do
    double_pcap "$FIXTURES/$n.pcap" "$dup"
    diff <(flowstat --dedup "$dup") <(flowstat "$FIXTURES/$n.pcap") || { echo "$n differs"; return 1; }
  done
  double_pcap "$FIXTURES/http_get_basic.pcap" "$dup"
  # Without --dedup every packet counts twice and the copies look like retransmissions.
  run bash -c "flowstat '$dup' | jq -r 'select(.proto == \"TCP\") | [.flow.orig.packets, .flow.orig.retransmits] | @tsv'"
  [ "$output" = $'14\t1' ]
  run --separate-stderr flowstat --dedup --stats "$dup"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"dedup_dropped: 17"* ]]   # 19 frames, 2 of them ARP (never dropped)
}

# Moves the timestamp of record N (1-based) of a classic pcap by S seconds.
shift_ts() {
  python3 - "$@" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
e = '<' if d[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
i, k = 24, 0
while i + 16 <= len(d):
    k += 1
    if k == int(sys.argv[3]):
        d[i:i + 4] = struct.pack(e + 'I', struct.unpack(e + 'I', d[i:i + 4])[0] + int(sys.argv[4]))
    i += 16 + struct.unpack(e + 'I', d[i + 8:i + 12])[0]
open(sys.argv[2], 'wb').write(d)
PY
}

@test "timestamps going backwards are counted and expire nothing" {
  back="$BATS_TEST_TMPDIR/back.pcap"
  # Packet 6 (the request) an hour in the past: the flow is still one flow, closed by FIN.
  shift_ts "$FIXTURES/http_get_basic.pcap" "$back" 6 -3600
  run --separate-stderr flowstat --stats "$back"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"ts_backwards: 1"* ]]
  [[ "$stderr" == *"flows_ended.idle: 0"* ]]
  run bash -c "flowstat '$back' | jq -r 'select(.proto == \"TCP\") | [.flow.reason, .flow.state, .flow.orig.packets, .flow.resp.packets, (.flow.duration > 3600)] | @tsv'"
  [ "$output" = $'fin\tSF\t7\t5\ttrue' ]
  # A second capture older than the first: the files are one stream; nothing is lost.
  run --separate-stderr flowstat --stats "$FIXTURES/http_get_basic.pcap" "$FIXTURES/crafted_ooo_retrans.pcap"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"ts_backwards: 17"* ]]
  [ "$(jq -s '[.[] | select(.proto == "TCP") | .flow.orig.packets + .flow.resp.packets] | add' <<<"$output")" -eq 29 ]
}

@test "a missing file, a file that is not a capture: message, exit 1, the rest still read" {
  echo "hello" > "$BATS_TEST_TMPDIR/notcap.txt"
  run --separate-stderr flowstat /nonexistent.pcap "$BATS_TEST_TMPDIR/notcap.txt" "$FIXTURES/http_get_basic.pcap"
  [ "$status" -eq 1 ]
  [ "${stderr_lines[0]}" = "flowstat: /nonexistent.pcap: No such file or directory" ]
  [ "${stderr_lines[1]}" = "flowstat: $BATS_TEST_TMPDIR/notcap.txt: not a pcap or pcapng file (nor JSON Lines)" ]
  [ "$(grep -c '"proto":"TCP"' <<<"$output")" -eq 1 ]
}

@test "a truncated capture: the flows of whole packets, a message with the offset, exit 1" {
  f="$FIXTURES/tcp_zero_window.pcap"
  head -c 20000 "$f" > "$BATS_TEST_TMPDIR/cut.pcap"
  whole=$(pcap2pkt "$BATS_TEST_TMPDIR/cut.pcap" 2>/dev/null | jq -c 'select(.proto == "TCP")' | wc -l)
  [ "$whole" -gt 10 ]
  run --separate-stderr flowstat "$BATS_TEST_TMPDIR/cut.pcap"
  [ "$status" -eq 1 ]
  [[ "$stderr" == "flowstat: $BATS_TEST_TMPDIR/cut.pcap: truncated packet record at byte offset "* ]]
  [ "$(jq -r 'select(.proto == "TCP") | "\(.flow.reason) \(.flow.orig.packets + .flow.resp.packets)"' <<<"$output")" = "eof $whole" ]
  run --separate-stderr bash -c "cat '$BATS_TEST_TMPDIR/cut.pcap' | flowstat"
  [ "$status" -eq 1 ]
  [[ "$stderr" == "flowstat: (stdin): truncated packet record"* ]]
  [ "$(grep -c '"proto":"TCP"' <<<"$output")" -eq 1 ]
}

@test "a closed pipe ends quietly" {
  f="$FIXTURES/tcp_zero_window.pcap"
  run --separate-stderr bash -c "flowstat --interval 0.001 $f $f $f $f $f $f $f $f | head -1; echo \"rc=\${PIPESTATUS[0]}\""
  [[ "$output" == *"rc=0"* ]]
  [ -z "$stderr" ]
}

@test "SYN flood from 200k sources with --max-flows 1000: bounded memory, evictions counted" {
  flood="$BATS_TEST_TMPDIR/flood.pcap"
  python3 - "$flood" 200000 <<'PY'
import struct, sys
n = int(sys.argv[2])
eth = b'\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x02\x08\x00'
out = [struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
for i in range(n):  # SYNs 10 us apart from 11.x.y.z to 10.0.0.1:80
    src = bytes([11, (i >> 16) & 255, (i >> 8) & 255, i & 255])
    ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 40, i & 0xffff, 0, 64, 6, 0, src, b'\x0a\x00\x00\x01')
    tcp = struct.pack('>HHIIBBHHH', 1024 + i % 60000, 80, i, 0, 0x50, 0x02, 65535, 0, 0)
    t = 1700000000 * 1000000 + i * 10
    out.append(struct.pack('<IIII', t // 1000000, t % 1000000, 54, 54) + eth + ip + tcp)
open(sys.argv[1], 'wb').write(b''.join(out))
PY
  timev=""
  if /usr/bin/time -v true 2>/dev/null; then timev="/usr/bin/time -v"; fi
  $timev flowstat --max-flows 1000 --stats "$flood" > "$BATS_TEST_TMPDIR/flows.jsonl" 2> "$BATS_TEST_TMPDIR/err"
  [ "$(wc -l < "$BATS_TEST_TMPDIR/flows.jsonl")" -eq 200000 ]
  grep -q "flows: 200000" "$BATS_TEST_TMPDIR/err"
  grep -q "flows_ended.evicted: 199000" "$BATS_TEST_TMPDIR/err"
  grep -q "max_live_flows: 1000" "$BATS_TEST_TMPDIR/err"
  [ "$(head -1 "$BATS_TEST_TMPDIR/flows.jsonl" | jq -r '[.flow.reason, .flow.state, .flow.history] | @tsv')" = $'evicted\tS0\tS' ]
  # Sanitizer builds (scripts/test.sh pass 3) carry shadow memory: RSS is not comparable.
  if [ -n "$timev" ] && ! grep -qa __asan_init "$NETLINES_BIN/flowstat"; then
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$BATS_TEST_TMPDIR/err")
    echo "max RSS: $rss KiB"
    [ "$rss" -lt 65536 ]
  fi
}

@test "--stats: a summary on stderr, nothing extra on stdout" {
  run --separate-stderr flowstat --stats "$FIXTURES/udp_ip_fragments.pcap"
  [ "$status" -eq 0 ]
  [[ "$stderr" == "flowstat: summary:"* ]]
  [[ "$stderr" == *"defrag.datagrams_reassembled: 4"* ]]
  [[ "$stderr" == *"flows_ended.eof: "* ]]
  [ "$(grep -c '"type":"flow"' <<<"$output")" -eq "${#lines[@]}" ]
}

@test "IP fragments: a datagram is one packet; its link bytes are all its fragments' frames" {
  q='select(.proto == "UDP") | [.src_port, .flow.orig.packets, .flow.orig.link_bytes, .flow.orig.l7_bytes, .flow.resp.packets, .flow.resp.link_bytes, .flow.resp.l7_bytes] | @tsv'
  run bash -c "flowstat '$FIXTURES/udp_ip_fragments.pcap' | jq -r '$q'"
  # 1514+1514+82 and 1514+1514+1082 bytes of frames; 1510+1122 and 1510+1510+1174 (IPv6).
  [ "${lines[0]}" = $'57238\t1\t3110\t3000\t1\t4110\t4000' ]
  [ "${lines[1]}" = $'36963\t1\t2632\t2500\t1\t4194\t4000' ]
  # --no-defrag: fragments count on their own; the non-first ones have no ports.
  run bash -c "flowstat --no-defrag '$FIXTURES/udp_ip_fragments.pcap' | jq -r 'select(.proto == \"UDP\") | .src_port' | sort -n | tr '\n' ' '"
  [ "$output" = "0 0 36963 57238 " ]
  # A port-less fragment flow hashes without ports, as tshark's communityid does.
  run bash -c "flowstat --no-defrag '$FIXTURES/udp_ip_fragments.pcap' | jq -r 'select(.src_ip == \"10.99.0.1\" and .src_port == 0) | .community_id'"
  [ "$output" = "1:z8Qh75jp8LXF5VHf/2WbcQuVLjc=" ]
}

@test "--community-id-seed: the ids of every flow and session match the Community ID spec computed in Python" {
  python3 - "$FIXTURES/http_get_basic.pcap" "$FIXTURES/tls12_curl_v6_rawip.pcap" "$FIXTURES/dns_udp_tcp.pcap" <<'PY'
import base64, hashlib, ipaddress, json, subprocess, sys
def cid(seed, rec):
    s, d = ipaddress.ip_address(rec["src_ip"]), ipaddress.ip_address(rec["dest_ip"])
    proto = {"TCP": 6, "UDP": 17}[rec["proto"]]
    sp, dp = rec["src_port"], rec["dest_port"]
    if (s.packed, sp) > (d.packed, dp):
        s, d, sp, dp = d, s, dp, sp
    data = seed.to_bytes(2, "big") + s.packed + d.packed + bytes([proto, 0]) + sp.to_bytes(2, "big") + dp.to_bytes(2, "big")
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()
checked = 0
for seed in (0, 7, 65535):
    for tool in ("flowstat", "tcpflow-reasm"):
        out = subprocess.run([tool, "--community-id-seed", str(seed)] + sys.argv[1:], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            rec = json.loads(line)
            if rec.get("proto") in ("TCP", "UDP"):
                assert rec["community_id"] == cid(seed, rec), (tool, seed, rec["community_id"], cid(seed, rec))
                checked += 1
assert checked > 20, checked
PY
  run flowstat --community-id-seed 65536 "$FIXTURES/http_get_basic.pcap"
  [ "$status" -eq 2 ]
}

@test "IP fragments never reassembled: port-less flows flagged fragments_incomplete; link bytes add up" {
  frames_bytes() {  # the sum of the capture's frame lengths (pcap orig_len)
    python3 -c 'import struct,sys
d=open(sys.argv[1],"rb").read(); o=24; t=0
while o < len(d):
    _, _, cl, ol = struct.unpack("<IIII", d[o:o+16]); t += ol; o += 16 + cl
print(t)' "$1"
  }
  f="$BATS_TEST_TMPDIR/flood.pcap"
  # 9000 first fragments, every 3rd datagram completed: past the table's 4096 entries
  # some are evicted, the rest are still unfinished at the end of input.
  python3 "$NETLINES_SRC/tests/tools/fragflood.py" "$f" --count 9000 --complete-every 3
  total=$(frames_bytes "$f")
  run --separate-stderr flowstat --stats "$f"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"defrag.evicted: "[1-9]* ]]
  [[ "$stderr" == *"defrag.unfinished: "[1-9]* ]]
  sum=$(jq -s '[.[] | .flow.orig.link_bytes + .flow.resp.link_bytes] | add' <<<"$output")
  [ "$sum" -eq "$total" ]
  [ "$(jq -s '[.[] | select(.flow.fragments_incomplete)] | length' <<<"$output")" -eq 6000 ]
  [ "$(jq -s '[.[] | select(.flow.fragments_incomplete | not) | .src_port] | min' <<<"$output")" -gt 0 ]
  jq -e 'select(.flow.fragments_incomplete) | .src_port == 0 and .dest_port == 0 and .proto == "UDP"
         and .flow.orig.packets == 1 and .flow.orig.l7_bytes_unique == null' <<<"$output" >/dev/null
  # Through pcap2pkt, the same records; with --interval the intervals add up too.
  [ "$(pcap2pkt "$f" | flowstat | md5sum)" = "$(md5sum <<<"$output")" ]
  iv=$(flowstat --interval 0.01 --no-partial "$f" | jq -s '[.[] | select(.type == "interval") | .bytes] | add')
  [ "$iv" -eq "$total" ]
  # Spread over minutes of capture time, incomplete datagrams time out instead.
  python3 "$NETLINES_SRC/tests/tools/fragflood.py" "$f" --count 600 --complete-every 4 --step-us 200000
  total=$(frames_bytes "$f")
  run --separate-stderr flowstat --stats "$f"
  [[ "$stderr" == *"defrag.timed_out: "[1-9]* ]]
  sum=$(jq -s '[.[] | .flow.orig.link_bytes + .flow.resp.link_bytes] | add' <<<"$output")
  [ "$sum" -eq "$total" ]
}

@test "flowstat: a gap right before a FIN is a gap (history g, missing_bytes), as tcpflow-reasm counts it" {
  # tests/tools/gap_captures.py fin_gap: 100 client bytes and 500 server bytes never
  # captured, each side's FIN past the last byte seen.
  f="$DATA/fin_gap.pcap"
  run flowstat "$f"
  [ "$status" -eq 0 ]
  [ "$(jq -r .flow.history <<<"$output")" = "ShADdFGfg" ]
  [ "$(jq -c '[.flow.orig.missing_bytes, .flow.resp.missing_bytes]' <<<"$output")" = "[100,500]" ]
  [ "$(tcpflow-reasm "$f" | jq -c 'select(.type == "session_end") | [.c2s.missing_bytes, .s2c.missing_bytes]')" = "[100,500]" ]
}
