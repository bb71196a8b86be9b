#!/usr/bin/env bats
# tcpflow-reasm as a user runs it.

load helpers

@test "--help and --version; a bad option value is a usage error" {
  run tcpflow-reasm --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--max-chunk"* ]]
  run tcpflow-reasm --version
  [ "$status" -eq 0 ]
  run tcpflow-reasm --overlap=middle "$DATA/sample.pcapng"
  [ "$status" -eq 2 ]
  run tcpflow-reasm --max-chunk=lots "$DATA/sample.pcapng"
  [ "$status" -eq 2 ]
}

@test "every fixture: each connection reassembled byte for byte as the truth says" {
  for t in "$FIXTURES"/truth/*.json; do
    name=$(basename "${t%.json}")
    f=$(ls "$FIXTURES/$name".pcap* | head -1)
    tcpflow-reasm "$f" | python3 "$NETLINES_SRC/tests/tools/check_streams.py" "$t"
  done
}

@test "every fixture: the piped path gives the same records as the direct path" {
  for f in "$FIXTURES"/*.pcap "$FIXTURES"/*.pcapng; do
    diff <(tcpflow-reasm "$f") <(pcap2pkt "$f" | tcpflow-reasm) >/dev/null || { echo "differs: $f"; return 1; }
  done
}

@test "records: start, monologues alternating direction, end; EVE tuple client to server" {
  run bash -c "tcpflow-reasm '$FIXTURES/http_keepalive.pcapng' | jq -r '[.type, .dir // \"-\", .src_port, .dest_port] | @tsv'"
  [ "${lines[0]%%$'\t'*}" = "session_start" ]
  [ "${lines[-1]%%$'\t'*}" = "session_end" ]
  dirs=$(tcpflow-reasm "$FIXTURES/http_keepalive.pcapng" | jq -r 'select(.type=="monologue") | .dir' | tr '\n' ' ')
  [ "$dirs" = "c2s s2c c2s s2c c2s s2c " ]
  run bash -c "tcpflow-reasm '$FIXTURES/http_keepalive.pcapng' | jq -r 'select(.type==\"session_start\") | .dest_port'"
  [ "$output" = "80" ]
}

@test "missing handshake: the client is inferred and the record says so" {
  run bash -c "tcpflow-reasm '$FIXTURES/crafted_missing_syn_rawip.pcap' | jq -r 'select(.type==\"session_start\") | \"\(.client_rule) \(.handshake) \(.dest_port)\"'"
  [ "$output" = "port false 80" ]
}

@test "--max-chunk splits monologues into pieces with offsets and a last flag" {
  out=$(tcpflow-reasm --max-chunk=1k "$FIXTURES/http_keepalive.pcapng" | jq -c 'select(.type=="monologue" and .dir=="s2c") | [.monologue, .piece, .offset, .len, .last]')
  [ "$(grep -c . <<<"$out")" -gt 3 ]
  # Pieces of one monologue are contiguous and only the final one is last.
  python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in sys.argv[1].splitlines()]
by = {}
for m, p, off, ln, last in rows:
    by.setdefault(m, []).append((p, off, ln, last))
for m, ps in by.items():
    assert all(ln <= 1024 for _, _, ln, _ in ps), ps
    assert [p for p, *_ in ps] == list(range(len(ps))), ps
    for a, b in zip(ps, ps[1:]):
        assert a[1] + a[2] == b[1] and not a[3], ps
    assert ps[-1][3], ps
PY
}

@test "--max-session-size counts what it does not keep" {
  run bash -c "tcpflow-reasm --max-session-size=100 '$FIXTURES/http_keepalive.pcapng' | jq -c 'select(.type==\"session_end\") | [.s2c.bytes, .s2c.truncated_bytes]'"
  [ "$output" = "[100,5801]" ]
}

@test "--dump writes each direction's stream as tcpflow names it" {
  d="$BATS_TEST_TMPDIR/dump"; mkdir -p "$d"
  tcpflow-reasm --dump "$d" --data=none "$FIXTURES/http_get_basic.pcap" > /dev/null
  c2s=$(jq -r '.connections[0] | "\(.client.ip) \(.client.port) \(.server.ip) \(.server.port) \(.c2s_sha256) \(.s2c_sha256)"' "$FIXTURES/truth/http_get_basic.json")
  read -r cip cport sip sport csha ssha <<<"$c2s"
  name=$(printf '%03d.%03d.%03d.%03d.%05d' ${cip//./ } "$cport")-$(printf '%03d.%03d.%03d.%03d.%05d' ${sip//./ } "$sport")
  [ "$(sha256sum < "$d/$name" | cut -d' ' -f1)" = "$csha" ]
  back=$(printf '%03d.%03d.%03d.%03d.%05d' ${sip//./ } "$sport")-$(printf '%03d.%03d.%03d.%03d.%05d' ${cip//./ } "$cport")
  [ "$(sha256sum < "$d/$back" | cut -d' ' -f1)" = "$ssha" ]
}

@test "--dump: the same files whether written by the reassembling thread or by one of their own" {
  for threads in 1 2; do
    mkdir -p "$BATS_TEST_TMPDIR/d$threads"
    NETLINES_THREADS=$threads tcpflow-reasm --dump "$BATS_TEST_TMPDIR/d$threads" --data=none "$FIXTURES"/*.pcap* > "$BATS_TEST_TMPDIR/out$threads"
  done
  [ "$(ls "$BATS_TEST_TMPDIR/d2" | wc -l)" -gt 20 ]
  diff -r "$BATS_TEST_TMPDIR/d1" "$BATS_TEST_TMPDIR/d2"
  cmp "$BATS_TEST_TMPDIR/out1" "$BATS_TEST_TMPDIR/out2"
}

@test "--dump on a full disk: write error, exit 1" {
  [ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs"
  d="$BATS_TEST_TMPDIR/full"; mkdir -p "$d"
  mount -t tmpfs -o size=8k tmpfs "$d" 2>/dev/null || skip "cannot mount tmpfs here"
  # Files written by the reassembling thread, then by a thread of their own.
  for threads in 1 2; do
    rm -f "$d"/*
    NETLINES_THREADS=$threads run --separate-stderr tcpflow-reasm --dump "$d" "$FIXTURES/tcp_zero_window.pcap"
    [ "$status" -eq 1 ] || break
    [[ "$stderr" == *"write error: No space left on device"* ]] || break
  done
  umount "$d"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"write error: No space left on device"* ]]
}

@test "pcap2pkt output without payloads is refused with a clear message" {
  run --separate-stderr bash -c "pcap2pkt --payload=none '$FIXTURES/http_get_basic.pcap' | tcpflow-reasm"
  [ "$status" -eq 1 ]
  [[ "$stderr" == "tcpflow-reasm: (stdin): record "*": no payload in pkt record"* ]]
}

@test "JSON input errors name the line; the rest is still processed" {
  { pcap2pkt "$FIXTURES/http_get_basic.pcap" | head -5; echo 'not json'; echo '{"type":"pkt","n":6}'; pcap2pkt "$FIXTURES/http_get_basic.pcap" | tail -n +6; } > "$BATS_TEST_TMPDIR/in.jsonl"
  run --separate-stderr tcpflow-reasm "$BATS_TEST_TMPDIR/in.jsonl"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"in.jsonl: record 6: not valid JSON"* ]]
  [[ "$stderr" == *"in.jsonl: record 7: missing field"* ]]
  [ "$(grep -c '"type":"session_end"' <<<"$output")" -eq 1 ]
  run --separate-stderr tcpflow-reasm --strict "$BATS_TEST_TMPDIR/in.jsonl"
  [ "$status" -eq 1 ]
  [ "$(grep -c . <<<"$stderr")" -eq 1 ]
}

@test "--stats lists the engine's counters on stderr" {
  run --separate-stderr tcpflow-reasm --stats "$FIXTURES/crafted_ooo_retrans.pcap"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"tcp.retransmitted_bytes: "* ]]
  [[ "$stderr" == *"tcp.sessions: 1"* ]]
}

@test "IP fragments are reassembled before TCP" {
  run bash -c "tcpflow-reasm '$FIXTURES/crafted_ip_fragments.pcap' | jq -r 'select(.type==\"monologue\" and .dir==\"c2s\") | .data | @base64d' | head -1"
  [[ "$output" == "GET /frag/"* ]]
}

@test "bytes past the out-of-order cap: dropped_over_cap_bytes, not retransmitted; flowstat agrees" {
  f="$BATS_TEST_TMPDIR/overcap.pcap"
  # A connection whose client leaves a 1000-byte hole, then sends 1.2 MB past it (over
  # the 1 MiB out-of-order bound), then the hole's bytes, never sent before.
  python3 - "$f" <<'PY'
import struct, sys
def ip(src, dst, payload):
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, 64, 6, 0, src, dst)
    s = sum(struct.unpack(">10H", h))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return h[:10] + struct.pack(">H", ~s & 0xffff) + h[12:] + payload
C, S = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
def tcp(c2s, seq, ack, flags, data=b""):
    sp, dp = (40000, 80) if c2s else (80, 40000)
    seg = struct.pack(">HHIIBBHHH", sp, dp, seq, ack, 0x50, flags, 65535, 0, 0) + data
    return ip(C, S, seg) if c2s else ip(S, C, seg)
pk, t = [], [1700000000_000000]
def add(p):
    t[0] += 100
    pk.append(struct.pack("<IIII", t[0] // 10**6, t[0] % 10**6, len(p), len(p)) + p)
add(tcp(True, 0, 0, 0x02)); add(tcp(False, 0, 1, 0x12)); add(tcp(True, 1, 1, 0x10))
add(tcp(True, 1, 1, 0x18, b"a" * 100))
for k in range(1000):  # offsets 1100 .. 1201100: past the hole [100, 1100)
    add(tcp(True, 1101 + 1200 * k, 1, 0x10, b"x" * 1200))
add(tcp(True, 101, 1, 0x10, b"b" * 1000))  # the hole's bytes, late
end = 1 + 1100 + 1200 * 1000
add(tcp(True, end, 1, 0x11)); add(tcp(False, 1, end + 1, 0x11)); add(tcp(True, end + 1, 2, 0x10))
with open(sys.argv[1], "wb") as o:
    o.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
    o.write(b"".join(pk))
PY
  run --separate-stderr tcpflow-reasm --data=none --stats "$f"
  [ "$status" -eq 0 ]
  end=$(jq -c 'select(.type == "session_end") | .c2s' <<<"$output")
  [ "$(jq -c '[.bytes, .missing_bytes, .retransmitted_bytes, .dropped_over_cap_bytes]' <<<"$end")" = "[1200100,1000,0,1000]" ]
  [[ "$stderr" == *"tcp.dropped_over_cap_bytes: 1000"* ]]
  [[ "$stderr" == *"tcp.retransmitted_bytes: 0"* ]]
  # flowstat: the same bytes are new in sequence space, not retransmissions.
  orig=$(flowstat "$f" | jq -c '.flow.orig | [.l7_bytes_unique, .retransmits, .missing_bytes]')
  [ "$orig" = "[1201100,0,0]" ]
}

@test "tcpflow-reasm: session_end packets per direction equal flowstat's, for every fixture" {
  # The final ACK after both FINs counts in both. The tools give a session and its
  # flow the same flow_id (and 5-tuple); the join is on it, the directions matched by
  # the 5-tuple (client -> server against originator -> responder).
  n=0
  for f in "$FIXTURES"/*.pcap "$FIXTURES"/*.pcapng "$DATA/fin_gap.pcap"; do
    flows=$(flowstat "$f" | jq -c 'select(.flow.partial | not) | select(.proto == "TCP")')
    while IFS= read -r e; do
      [ -n "$e" ] || continue
      id=$(jq -r .flow_id <<<"$e")
      fl=$(jq -c --argjson id "$id" 'select(.flow_id == $id)' <<<"$flows")
      [ "$(wc -l <<<"$fl")" -eq 1 ] && [ -n "$fl" ] || { echo "$f: flow_id $id: no single flow"; return 1; }
      got=$(jq -c -n --argjson e "$e" --argjson fl "$fl" '
        if [$e.src_ip, $e.src_port, $e.dest_ip, $e.dest_port] == [$fl.src_ip, $fl.src_port, $fl.dest_ip, $fl.dest_port]
        then [$e.c2s.packets, $e.s2c.packets] == [$fl.flow.orig.packets, $fl.flow.resp.packets]
        elif [$e.src_ip, $e.src_port, $e.dest_ip, $e.dest_port] == [$fl.dest_ip, $fl.dest_port, $fl.src_ip, $fl.src_port]
        then [$e.c2s.packets, $e.s2c.packets] == [$fl.flow.resp.packets, $fl.flow.orig.packets]
        else "5-tuple" end')
      [ "$got" = true ] || { echo "$f: flow_id $id: $got"; echo "$e"; echo "$fl"; return 1; }
      n=$((n + 1))
    done < <(tcpflow-reasm "$f" | jq -c 'select(.type == "session_end")')
  done
  [ "$n" -ge 25 ]
}
