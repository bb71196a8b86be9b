#!/usr/bin/env bats
# Captures (and JSON Lines) compressed with gzip or zstd are read as they are,
# from files and from stdin, streaming.

load helpers

@test "gzip and zstd copies of every fixture: the same output as the plain files, for every binary" {
  d="$BATS_TEST_TMPDIR"
  for f in "$FIXTURES"/*.pcap*; do
    b=$(basename "$f")
    gzip -c "$f" > "$d/$b.gz"
    zstd -q -c "$f" > "$d/$b.zst"
    for tool in $(tools); do
      want=$("$tool" --stats "$f" 2>&1 | md5sum)
      [ "$("$tool" --stats "$d/$b.gz" 2>&1 | sed "s#$d/$b.gz#$f#" | md5sum)" = "$want" ] || { echo "gz: $tool $b"; return 1; }
      [ "$("$tool" --stats "$d/$b.zst" 2>&1 | sed "s#$d/$b.zst#$f#" | md5sum)" = "$want" ] || { echo "zst: $tool $b"; return 1; }
    done
  done
}

@test "compressed on stdin, several gzip members, and compressed pcap2pkt output" {
  f="$FIXTURES/http_keepalive.pcapng"
  [ "$(zstd -q -c "$f" | httpextract - | md5sum)" = "$(httpextract "$f" | md5sum)" ]
  [ "$(gzip -c "$f" | tlssni | md5sum)" = "$(tlssni "$f" | md5sum)" ]
  { gzip -c "$f"; gzip -c "$f"; } > "$BATS_TEST_TMPDIR/two.gz"
  [ "$(pcap2pkt "$BATS_TEST_TMPDIR/two.gz" | wc -l)" -eq $((2 * $(pcap2pkt "$f" | wc -l))) ]
  [ "$(pcap2pkt "$f" | gzip | tcpflow-reasm | md5sum)" = "$(pcap2pkt "$f" | tcpflow-reasm | md5sum)" ]
}

@test "a cut or corrupt compressed capture: the packets before the damage, a message, exit 1" {
  f="$FIXTURES/http_keepalive.pcapng"
  gzip -c "$f" | head -c 600 > "$BATS_TEST_TMPDIR/cut.gz"
  run --separate-stderr pcap2pkt "$BATS_TEST_TMPDIR/cut.gz"
  [ "$status" -eq 1 ]
  [ -n "$output" ]
  [[ "$stderr" == *"gzip: unexpected end of data"* ]]
  zstd -q -c "$f" | head -c 600 > "$BATS_TEST_TMPDIR/cut.zst"
  run --separate-stderr flowstat "$BATS_TEST_TMPDIR/cut.zst"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"zstd: unexpected end of data"* ]]
  printf '\037\213\010\000\000\000\000\000\000\003not deflate data at all' > "$BATS_TEST_TMPDIR/bad.gz"
  run --separate-stderr tcpflow-reasm "$BATS_TEST_TMPDIR/bad.gz"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"bad.gz: gzip: "* ]]
  [ "$(echo "$stderr" | wc -l)" -eq 1 ]
}
