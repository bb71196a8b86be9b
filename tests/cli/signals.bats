#!/usr/bin/env bats
# A run stopped by SIGINT, SIGTERM or SIGHUP: reading stops (a read blocked on an
# idle pipe too), what is open ends with the reason "interrupted", every line on
# stdout is whole, --stats and one "tool: interrupted" come on stderr, and the
# status is 128 + the signal. A second signal ends the run at once.

load helpers

setup_file() {
  python3 "$NETLINES_SRC/tests/tools/signal_captures.py" busy "$BATS_FILE_TMPDIR/busy.pcap"
  python3 "$NETLINES_SRC/tests/tools/signal_captures.py" half "$DATA/sample.pcapng" "$BATS_FILE_TMPDIR/half.pcapng"
  pcap2pkt "$BATS_FILE_TMPDIR/half.pcapng" > "$BATS_FILE_TMPDIR/half.jsonl"
}

# The busy capture 200 times over: seconds of work, so that a signal after a
# fraction of a second finds the run in the middle of it.
busy_inputs() { for _ in $(seq 200); do echo "$BATS_FILE_TMPDIR/busy.pcap"; done; }

OUT= ERR= PID= FEEDER=

# start CMD...: runs it in the background, stdout to $OUT, stderr to $ERR, with
# job control on (start_nojc: off, so the job starts with SIGINT ignored).
start() {
  OUT="$BATS_TEST_TMPDIR/out" ERR="$BATS_TEST_TMPDIR/err"
  set -m
  "$@" > "$OUT" 2> "$ERR" &
  PID=$!
  set +m
}

# start_stalled FILE CMD...: CMD reads FILE on stdin from a pipe that then stays
# open and idle (a capture arriving from a process that went quiet). Returns
# once CMD has read all of FILE (its rchar) and had time to handle it.
start_stalled() {
  local file=$1 fifo="$BATS_TEST_TMPDIR/fifo" size i
  shift
  rm -f "$fifo"
  mkfifo "$fifo"
  ( cat "$file"; exec sleep 20 ) > "$fifo" &
  FEEDER=$!
  start "$@" < "$fifo"
  size=$(wc -c < "$file")
  for i in $(seq 100); do
    rchar=$(awk '/^rchar:/ { print $2 }' "/proc/$PID/io" 2> /dev/null) || rchar=
    [ -n "$rchar" ] && [ "$rchar" -ge "$size" ] && break
    sleep 0.05
  done
  sleep 0.3
}

# stop SIGNAL: sends it and waits; $status is the exit status.
stop() {
  kill -s "$1" "$PID"
  status=0
  wait "$PID" || status=$?
  if [ -n "$FEEDER" ]; then kill "$FEEDER" 2> /dev/null || true; wait "$FEEDER" 2> /dev/null || true; FEEDER=; fi
}

teardown() {
  [ -z "$PID" ] || kill -9 "$PID" 2> /dev/null || true
  [ -z "$FEEDER" ] || kill "$FEEDER" 2> /dev/null || true
}

# $OUT is whole: JSON Lines (all_lines_json), or a capture read to its end.
whole_output() {
  if writes_capture "$1"; then
    pcap2pkt --payload=none "$OUT" > /dev/null || { echo "$1: the capture written is not whole"; return 1; }
  else
    all_lines_json
  fi
}

# Every line of $OUT is a whole JSON document (and the file ends with a newline).
all_lines_json() {
  [ ! -s "$OUT" ] || [ "$(tail -c 1 "$OUT" | od -An -c | tr -d ' ')" = '\n' ] || { echo "last line cut"; return 1; }
  python3 -c 'import json, sys
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    try:
        json.loads(line)
    except ValueError as e:
        sys.exit(f"line {n} is not JSON: {e}: {line[:120]!r}")' "$OUT"
}

# The stderr of an interrupted run of TOOL with --stats: its summary, then one "TOOL: interrupted".
interrupted_stderr() {
  grep -q "^$1: summary:" "$ERR" || { cat "$ERR"; return 1; }
  [ "$(grep -c "interrupted$" "$ERR")" -eq 1 ] || { cat "$ERR"; return 1; }
  [ "$(tail -n 1 "$ERR")" = "$1: interrupted" ] || { cat "$ERR"; return 1; }
}

# The last N lines of $OUT, through jq FILTER, all give "true".
last_lines_all() {
  local n=$1 filter=$2
  [ "$(tail -n "$n" "$OUT" | jq -c "$filter" | sort -u)" = "true" ]
}

start_nojc() {
  OUT="$BATS_TEST_TMPDIR/out" ERR="$BATS_TEST_TMPDIR/err"
  "$@" > "$OUT" 2> "$ERR" &
  PID=$!
}

@test "SIGINT to a background job of a script (started with SIGINT ignored) still ends it cleanly; an ignored SIGHUP stays ignored" {
  start_nojc flowstat --stats $(busy_inputs)
  sleep 0.4
  stop INT
  [ "$status" -eq 130 ]
  all_lines_json
  interrupted_stderr flowstat
  start_nojc nohup flowstat $(busy_inputs)
  sleep 0.4
  kill -HUP "$PID"
  sleep 0.3
  kill -0 "$PID"  # still running: nohup's SIG_IGN was kept
  stop TERM
  PID=
  [ "$status" -eq 143 ]
}

@test "tcpflow-reasm, SIGINT in the middle of a file: session_end interrupted for the open sessions, exit 130" {
  start tcpflow-reasm --stats $(busy_inputs)
  sleep 0.4
  stop INT
  [ "$status" -eq 130 ]
  all_lines_json
  interrupted_stderr tcpflow-reasm
  # The 2000 sessions were all open: their session_end records come last, each
  # after the monologue it flushes.
  last_lines_all 4000 '(.type == "session_end" and .reason == "interrupted") or .type == "monologue"'
  last_lines_all 1 '.type == "session_end"'
  [ "$(grep -c '"type":"session_end".*"reason":"interrupted"' "$OUT")" -eq 2000 ]
  [ "$(grep -c '"type":"session_end"' "$OUT")" -eq 2000 ]
  grep -q "^  tcp.ended_interrupted: 2000$" "$ERR"
}

@test "flowstat, SIGTERM in the middle of a file: flow records with reason interrupted, exit 143" {
  start flowstat --stats $(busy_inputs)
  sleep 0.4
  stop TERM
  [ "$status" -eq 143 ]
  all_lines_json
  interrupted_stderr flowstat
  [ "$(wc -l < "$OUT")" -eq 2000 ]
  last_lines_all 2000 '.type == "flow" and .flow.reason == "interrupted"'
  grep -q "^  flows_ended.interrupted: 2000$" "$ERR"
}

@test "httpextract, SIGHUP in the middle of a file: the open transactions are written, exit 129" {
  start httpextract --stats $(busy_inputs)
  sleep 0.4
  stop HUP
  [ "$status" -eq 129 ]
  all_lines_json
  interrupted_stderr httpextract
  [ "$(wc -l < "$OUT")" -eq 2000 ]
  last_lines_all 2000 '.type == "http" and (.anomalies | index("truncated_body") != null)'
}

# stalled TOOL FILE [THREADS]: TOOL reads FILE from a pipe that then goes idle,
# is stopped by SIGINT, and writes what it writes at the end of FILE, with the
# reason "interrupted" where that says "eof".
stalled() {
  local tool=$1 file=$2
  NETLINES_THREADS=${3:-} start_stalled "$file" "$tool" --stats -
  stop INT
  [ "$status" -eq 130 ] || { echo "$tool: status $status"; cat "$ERR"; return 1; }
  whole_output "$tool"
  interrupted_stderr "$tool"
  "$tool" "$file" | sed 's/"reason":"eof"/"reason":"interrupted"/g' > "$BATS_TEST_TMPDIR/expected"
  diff "$BATS_TEST_TMPDIR/expected" "$OUT" || { echo "$tool (threads ${3:-auto}): not the records of the input read"; return 1; }
}

@test "every binary: a capture on stdin that stops coming; SIGINT ends the blocked read, one thread or two" {
  for tool in $(tools); do
    stalled "$tool" "$BATS_FILE_TMPDIR/half.pcapng" 1
    stalled "$tool" "$BATS_FILE_TMPDIR/half.pcapng" 2
  done
  # Sessions were open where the capture stopped: they end as interrupted.
  stalled tcpflow-reasm "$BATS_FILE_TMPDIR/half.pcapng"
  grep -q '"type":"session_end".*"reason":"interrupted"' "$OUT"
  stalled flowstat "$BATS_FILE_TMPDIR/half.pcapng"
  grep -q '"reason":"interrupted"' "$OUT"
}

@test "pcap2pkt lines on stdin that stop coming, the last one half sent: not read as a bad line" {
  local cut="$BATS_TEST_TMPDIR/cut.jsonl"
  { cat "$BATS_FILE_TMPDIR/half.jsonl"; pcap2pkt "$DATA/sample.pcapng" | sed -n 80p | head -c 100; } > "$cut"
  for tool in $(tools pkt); do
    NETLINES_THREADS=1 start_stalled "$cut" "$tool" --stats -
    stop INT
    [ "$status" -eq 130 ]
    whole_output "$tool"
    interrupted_stderr "$tool"
    ! grep -q "record\|line" "$ERR"
    "$tool" "$BATS_FILE_TMPDIR/half.jsonl" | sed 's/"reason":"eof"/"reason":"interrupted"/g' | diff - "$OUT"
  done
  # tcpflow-reasm lines that stop coming: httpextract ends the sessions they left open.
  tcpflow-reasm "$BATS_FILE_TMPDIR/half.pcapng" > "$cut"
  start_stalled "$cut" httpextract --stats -
  stop TERM
  [ "$status" -eq 143 ]
  httpextract "$BATS_FILE_TMPDIR/half.pcapng" | diff - "$OUT"
}

@test "a second signal ends the run at once, even with stdout blocked" {
  # stdout a pipe whose reader never reads: the run blocks writing, the first
  # signal cannot finish the output, the second ends it.
  local fifo="$BATS_TEST_TMPDIR/outfifo"
  mkfifo "$fifo"
  sleep 20 < "$fifo" &
  FEEDER=$!
  set -m
  tcpflow-reasm $(busy_inputs) > "$fifo" 2> "$BATS_TEST_TMPDIR/err" &
  PID=$!
  set +m
  # Wait until it blocks writing (a busy machine may take a while to fill the pipe).
  for _ in $(seq 100); do
    grep -q pipe_write /proc/"$PID"/task/*/wchan 2> /dev/null && break
    sleep 0.1
  done
  kill -INT "$PID"
  sleep 0.2
  kill -0 "$PID"  # still there: blocked writing
  SECONDS=0
  kill -INT "$PID"
  status=0
  wait "$PID" || status=$?
  [ "$status" -eq 130 ]
  [ "$SECONDS" -le 3 ]
  kill "$FEEDER"; wait "$FEEDER" 2> /dev/null || true; FEEDER=

  # Two signals in a row on a busy run to a file: it ends, and no line is cut.
  start flowstat $(busy_inputs)
  sleep 0.3
  SECONDS=0
  kill -TERM "$PID"; kill -TERM "$PID"
  status=0
  wait "$PID" || status=$?
  [ "$status" -eq 143 ]
  [ "$SECONDS" -le 3 ]
  all_lines_json
}

@test "a closed stdout still ends the run quietly with status 0" {
  run --separate-stderr bash -c "tcpflow-reasm $(busy_inputs | tr '\n' ' ') | head -n 1"
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  set -o pipefail
  run --separate-stderr bash -c "set -o pipefail; tcpflow-reasm $(busy_inputs | tr '\n' ' ') | head -n 1"
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
}
