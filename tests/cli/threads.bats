#!/usr/bin/env bats
# Reading and decoding run on a second thread ahead of the handlers
# (NETLINES_THREADS=2 asks for it even in a pipeline); with NETLINES_THREADS=1
# everything runs on one. Both must give the same bytes on
# stdout and stderr and the same exit status, for files (mapped), stdin (copied
# frames), pcap2pkt lines, several inputs in one run, and broken captures.

load helpers

same_both_ways() {
  local out1 out2 err1 err2 st1 st2
  out1="$BATS_TEST_TMPDIR/one.out" err1="$BATS_TEST_TMPDIR/one.err"
  out2="$BATS_TEST_TMPDIR/two.out" err2="$BATS_TEST_TMPDIR/two.err"
  NETLINES_THREADS=1 "$@" > "$out1" 2> "$err1" && st1=0 || st1=$?
  NETLINES_THREADS=2 "$@" > "$out2" 2> "$err2" && st2=0 || st2=$?
  [ "$st1" -eq "$st2" ] || { echo "exit $st1 vs $st2: $*"; return 1; }
  cmp "$out1" "$out2" || { echo "stdout differs: $*"; return 1; }
  cmp "$err1" "$err2" || { echo "stderr differs: $*"; return 1; }
}

@test "every binary: one thread or two, the same output over all fixtures at once" {
  for tool in $(tools); do
    same_both_ways "$tool" --stats "$FIXTURES"/*.pcap* "$DATA/sample.pcapng"
  done
}

@test "stdin capture, pcap2pkt lines and a filter: the same output either way" {
  for tool in $(tools pkt); do
    same_both_ways sh -c "cat '$DATA/sample.pcapng' | $tool --stats -"
    same_both_ways sh -c "pcap2pkt '$DATA/sample.pcapng' | $tool --stats"
    same_both_ways "$tool" -f 'tcp port 80' "$DATA/sample.pcapng"
  done
}

@test "broken and odd captures: the same records, messages and status either way" {
  # Every third under the sanitizers (robustness.bats runs every binary on all of
  # them there, with the default threads).
  local f files
  mapfile -t files < <(sampled 3 "$NETLINES_SRC"/tests/data/robustness/*)
  [ "${#files[@]}" -ge 5 ]  # never vacuous
  for f in "${files[@]}"; do
    [ -f "$f" ] || continue
    for tool in pcap2pkt tcpflow-reasm flowstat; do
      same_both_ways "$tool" --stats "$f" "$DATA/sample.pcapng"
    done
  done
}

# Threads of a tool reading a FIFO that nobody writes to yet (it waits in open()).
threads_on_fifo() {
  local fifo="$BATS_TEST_TMPDIR/in.fifo" pid n
  rm -f "$fifo"
  mkfifo "$fifo"
  "$@" "$fifo" > /dev/null 2>&1 &
  pid=$!
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    n=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
    [ "$n" = 2 ] && break
    sleep 0.1
  done
  cat "$DATA/sample.pcapng" > "$fifo"
  wait "$pid"
  echo "$n"
}

@test "in a pipeline (input or stdout a pipe) one thread; NETLINES_THREADS=2 asks for two" {
  [ "$(threads_on_fifo tcpflow-reasm)" = 1 ]
  [ "$(NETLINES_THREADS=2 threads_on_fifo tcpflow-reasm)" = 2 ]
  [ "$(NETLINES_THREADS=2 threads_on_fifo httpextract)" = 2 ]
  [ "$(threads_on_fifo httpextract)" = 1 ]
}

@test "a named pipe as input (process substitution) reads like the file itself" {
  for tool in $(tools); do
    bash -c "$tool '$DATA/sample.pcapng'" > "$BATS_TEST_TMPDIR/file.out"
    bash -c "$tool <(cat '$DATA/sample.pcapng')" > "$BATS_TEST_TMPDIR/fifo.out"
    cmp "$BATS_TEST_TMPDIR/file.out" "$BATS_TEST_TMPDIR/fifo.out"
  done
  bash -c "tcpflow-reasm <(pcap2pkt '$DATA/sample.pcapng')" > "$BATS_TEST_TMPDIR/lines.out"
  cmp <(tcpflow-reasm "$DATA/sample.pcapng") "$BATS_TEST_TMPDIR/lines.out"
}
