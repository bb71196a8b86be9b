#!/usr/bin/env bats
# The progress line: on stderr only, never unless asked when stderr is not a
# terminal, drawn in place and cleared on a terminal; stdout never changes.

load helpers

TOOLS="$(tools)"
# A progress line's shape (the final one, when stderr is not a terminal).
final_re() { echo "^$1: .+: [0-9.]+ [kMG]?B( / [0-9.]+ [kMG]?B \(100%\))?, [0-9]+ (packets|records), (--|[0-9.]+) [kMG]?B/s, [0-9]+:[0-9]{2} elapsed\$"; }

@test "without --progress and stderr not a terminal: no progress text" {
  for t in $TOOLS; do
    "$t" --stats "$DATA/sample.pcapng" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
    ! grep -E 'B/s|elapsed|left' "$BATS_TEST_TMPDIR/err"
    grep -q "^$t: summary:" "$BATS_TEST_TMPDIR/err"  # stderr itself still works
  done
}

@test "--progress: progress lines on stderr, stdout byte for byte the same, exit status unchanged" {
  for t in $TOOLS; do
    "$t" "$DATA/sample.pcapng" >"$BATS_TEST_TMPDIR/plain" 2>"$BATS_TEST_TMPDIR/plain.err"
    "$t" --progress "$DATA/sample.pcapng" >"$BATS_TEST_TMPDIR/prog" 2>"$BATS_TEST_TMPDIR/prog.err"
    cmp "$BATS_TEST_TMPDIR/plain" "$BATS_TEST_TMPDIR/prog"
    quiet_on_samples "$t" || [ -s "$BATS_TEST_TMPDIR/prog" ]
    [ ! -s "$BATS_TEST_TMPDIR/plain.err" ]
    # Plain lines only: no carriage return, no terminal controls.
    ! grep -q $'[\r\e]' "$BATS_TEST_TMPDIR/prog.err"
    tail -n 1 "$BATS_TEST_TMPDIR/prog.err" | grep -qE "$(final_re "$t")"
    tail -n 1 "$BATS_TEST_TMPDIR/prog.err" | grep -qF "135 packets"
  done
}

@test "--progress over several files: one total, the input's place, 100% at the end" {
  cat "$DATA/sample.pcapng" "$DATA/sample.pcapng" "$DATA/sample.pcapng" >"$BATS_TEST_TMPDIR/big.pcapng"
  run --separate-stderr pcap2pkt --progress "$DATA/sample.pcapng" "$BATS_TEST_TMPDIR/big.pcapng"
  [ "$status" -eq 0 ]
  [[ "${stderr_lines[-1]}" == "pcap2pkt: $BATS_TEST_TMPDIR/big.pcapng (2/2): 138 kB / 138 kB (100%), 540 packets, "* ]]
}

@test "--progress on JSON Lines from a pipe: records, no total, no time left" {
  pcap2pkt "$DATA/sample.pcapng" | tcpflow-reasm --progress >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
  grep -qE "$(final_re tcpflow-reasm)" "$BATS_TEST_TMPDIR/err"
  grep -qE '^tcpflow-reasm: \(stdin\): [0-9.]+ kB, 135 records, ' "$BATS_TEST_TMPDIR/err"
  ! grep -q ' left' "$BATS_TEST_TMPDIR/err"
  pcap2pkt "$DATA/sample.pcapng" | tcpflow-reasm | cmp - "$BATS_TEST_TMPDIR/out"
}

@test "--progress and --no-progress: the last one wins" {
  run --separate-stderr pcap2pkt --progress --no-progress "$DATA/sample.pcapng"
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  run --separate-stderr pcap2pkt --no-progress --progress "$DATA/sample.pcapng"
  [ "$status" -eq 0 ]
  [[ "$stderr" == "pcap2pkt: "*" elapsed" ]]
}

@test "a missing input with --progress: its error, then the others, exit 1" {
  run --separate-stderr flowstat --progress "$BATS_TEST_TMPDIR/missing.pcap" "$DATA/sample.pcapng"
  [ "$status" -eq 1 ]
  [ "${stderr_lines[0]}" = "flowstat: $BATS_TEST_TMPDIR/missing.pcap: No such file or directory" ]
  [[ "${stderr_lines[-1]}" == *"(2/2): "*" packets, "* ]]
}

# On a terminal (a pty from util-linux script(1)): stderr is the terminal, stdout a file.
on_tty() {
  command -v script >/dev/null || skip "script(1) not installed"
  script -qec "$1" /dev/null </dev/null
}

@test "on a terminal: drawn with \\r, erased with \\e[K, cleared at the end; stdout the same" {
  for t in $TOOLS; do
    out=$(on_tty "'$NETLINES_BIN/$t' '$DATA/sample.pcapng' >'$BATS_TEST_TMPDIR/tty.out'" | od -An -c | tr -d ' \n')
    [[ "$out" == '\r'"$(echo -n "$t:" | od -An -c | tr -d ' \n')"* ]]
    [[ "$out" == *'033[K\r033[K' ]]
    "$t" "$DATA/sample.pcapng" | cmp - "$BATS_TEST_TMPDIR/tty.out"
  done
}

@test "on a terminal: an error message clears the line first" {
  echo "not a capture" >"$BATS_TEST_TMPDIR/bad.pcap"
  out=$(on_tty "'$NETLINES_BIN/pcap2pkt' '$DATA/sample.pcapng' '$BATS_TEST_TMPDIR/bad.pcap' >/dev/null; echo status \$?")
  [[ "$out" == *$'\r\e[K'"pcap2pkt: $BATS_TEST_TMPDIR/bad.pcap: not a pcap or pcapng file"* ]]
  [[ "$out" == *"status 1"* ]]
}

@test "on a terminal: nothing with --no-progress, when stdout is the terminal too, or for a pipe" {
  out=$(on_tty "'$NETLINES_BIN/pcap2pkt' --no-progress '$DATA/sample.pcapng' >/dev/null")
  [ -z "$out" ]
  out=$(on_tty "'$NETLINES_BIN/flowstat' '$DATA/sample.pcapng'")
  [[ "$out" != *$'\r'"flowstat:"* ]]
  [[ "$out" == *'"type":"flow"'* ]]
  out=$(on_tty "cat '$DATA/sample.pcapng' | '$NETLINES_BIN/pcap2pkt' >/dev/null")
  [ -z "$out" ]
}

@test "on a terminal with --progress and stdout the terminal too: the line is cleared before output" {
  out=$(on_tty "'$NETLINES_BIN/tlssni' --progress '$DATA/sample.pcapng'")
  [[ "$out" == $'\r'"tlssni: "*$'\e[K\r\e[K{"type":"tls"'* ]]
}
