#!/usr/bin/env bats
# Live capture as a sensor, on a veth pair between two network namespaces the
# file creates (skipped, with a message, where they cannot be made): records of
# live traffic come out within 2 s, before any signal, from every capturing tool
# and through a pipe; the end names the kernel's received and dropped counts;
# SIGINT gives whole lines and the end records; a quiet link still gets its
# interval records; an interface that goes down and up is told. Addresses are
# 198.18.0.0/24 (RFC 2544's benchmark range), inside the namespaces only.

load helpers

PIDS=()

setup_file() {
  export NSA="nlA$$" NSB="nlB$$"
  echo "" > "$BATS_FILE_TMPDIR/skip"
  if ! ip netns add "$NSA" 2> /dev/null; then
    echo "cannot create network namespaces (needs root and iproute2)" > "$BATS_FILE_TMPDIR/skip"
    return 0
  fi
  ip netns add "$NSB"
  ip link add vA netns "$NSA" type veth peer name vB netns "$NSB"
  local ns
  for ns in "$NSA" "$NSB"; do
    # No IPv6 router solicitations and the like: a quiet link is quiet.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip -n "$NSA" addr add 198.18.0.1/24 dev vA
  ip -n "$NSB" addr add 198.18.0.2/24 dev vB
  ip -n "$NSA" link set vA up
  ip -n "$NSB" link set vB up
  ip netns exec "$NSA" python3 "$NETLINES_SRC/tests/tools/live_peer.py" serve 198.18.0.1 \
    > "$BATS_FILE_TMPDIR/server.out" 2>&1 &
  echo $! > "$BATS_FILE_TMPDIR/server.pid"
  local i
  for i in $(seq 50); do
    grep -q ready "$BATS_FILE_TMPDIR/server.out" 2> /dev/null && break
    sleep 0.1
  done
}

teardown_file() {
  if [ -s "$BATS_FILE_TMPDIR/server.pid" ]; then
    kill "$(cat "$BATS_FILE_TMPDIR/server.pid")" 2> /dev/null || true
  fi
  ip netns del "$NSA" 2> /dev/null || true
  ip netns del "$NSB" 2> /dev/null || true
}

setup() {
  local why
  why=$(cat "$BATS_FILE_TMPDIR/skip")
  [ -z "$why" ] || skip "$why"
}

teardown() {
  local p
  for p in "${PIDS[@]}"; do { kill -9 "$p" && wait "$p"; } 2> /dev/null || true; done
  PIDS=()
}

# in_b CMD...: runs CMD in the capturing namespace, in the background; its pid
# (the same process: ip netns exec execs it) is appended to PIDS.
in_b() {
  ip netns exec "$NSB" "$@" &
  PIDS+=($!)
}

# count FILE REGEX...: lines of FILE matching every REGEX.
count() {
  local file=$1
  shift
  local out re
  out=$(cat "$file" 2> /dev/null)
  for re in "$@"; do out=$(grep -E -- "$re" <<< "$out" || true); done
  [ -z "$out" ] && echo 0 || wc -l <<< "$out"
}

# interrupt PID: SIGINT, then its exit status in $status.
interrupt() {
  kill -INT "$1"
  status=0
  wait "$1" || status=$?
}

# whole FILE: every line of FILE is one JSON object.
whole() {
  python3 -c 'import json, sys
for n, line in enumerate(open(sys.argv[1]), 1):
    assert line.endswith("\n"), f"line {n} cut"
    assert isinstance(json.loads(line), dict), f"line {n}"' "$1"
}

COUNTS='^[a-z0-9-]+: [0-9]+ packets received by filter, [0-9]+ dropped by kernel, [0-9]+ dropped by interface$'

@test "every capturing tool writes the records of live traffic within 2 s, and its counts at the end" {
  local t=$BATS_TEST_TMPDIR
  in_b pcap2pkt -i vB > "$t/pcap2pkt" 2> "$t/pcap2pkt.err"
  in_b httpextract -i vB --stats > "$t/httpextract" 2> "$t/httpextract.err"
  in_b tcpflow-reasm -i vB > "$t/tcpflow-reasm" 2> "$t/tcpflow-reasm.err"
  in_b tlssni -i vB --stats > "$t/tlssni" 2> "$t/tlssni.err"
  in_b flowstat -i vB --close-grace 0 > "$t/flowstat" 2> "$t/flowstat.err"
  local tools=(pcap2pkt httpextract tcpflow-reasm tlssni flowstat)
  # And through a pipe: a stage reading a live stage's output passes its records on too.
  mkfifo "$t/fifo"
  tcpflow-reasm < "$t/fifo" 2> "$t/pipe.err" | httpextract > "$t/pipe" 2>> "$t/pipe.err" &
  local tail=$!
  in_b pcap2pkt -i vB > "$t/fifo" 2>> "$t/pipe.err"
  local head=${PIDS[-1]}
  sleep 0.7  # the captures are open
  # One connection stays open to the end: its records are the end records.
  ip netns exec "$NSB" python3 -c 'import socket, time
s = socket.create_connection(("198.18.0.1", 8080))
s.sendall(b"GET /held HTTP/1.1\r\n")
time.sleep(30)' &
  PIDS+=($!)
  ip netns exec "$NSB" python3 "$NETLINES_SRC/tests/tools/live_peer.py" client 198.18.0.1 5
  local n ok
  for n in $(seq 20); do
    sleep 0.1
    ok=1
    [ "$(count "$t/pcap2pkt" '"payload":"R0VUIC9wYWdl')" -ge 5 ] || ok=  # base64 of "GET /page"
    [ "$(count "$t/httpextract" '"type":"http"')" -ge 5 ] || ok=
    [ "$(count "$t/tcpflow-reasm" '"type":"session_end"' '"dest_port":8080')" -ge 5 ] || ok=
    [ "$(count "$t/tlssni" '"type":"tls"')" -ge 5 ] || ok=
    [ "$(count "$t/flowstat" '"type":"flow"' '"dest_port":8080')" -ge 5 ] || ok=
    [ "$(count "$t/pipe" '"type":"http"')" -ge 5 ] || ok=
    [ -z "$ok" ] || break
  done
  local tool
  for tool in "${tools[@]}" pipe; do echo "$tool within 2 s: $(wc -l < "$t/$tool") records"; done
  [ "$(count "$t/pcap2pkt" '"payload":"R0VUIC9wYWdl')" -ge 5 ]
  [ "$(count "$t/httpextract" '"type":"http"')" -eq 5 ]
  [ "$(count "$t/tcpflow-reasm" '"type":"session_end"' '"dest_port":8080')" -eq 5 ]
  [ "$(count "$t/tlssni" '"type":"tls"' '"sni":"live-[0-4].example"')" -eq 5 ]
  [ "$(count "$t/flowstat" '"type":"flow"' '"dest_port":8080')" -eq 5 ]
  [ "$(count "$t/pipe" '"type":"http"')" -eq 5 ]

  local i=0
  for tool in "${tools[@]}"; do
    interrupt "${PIDS[$i]}"
    echo "$tool: status $status"; cat "$t/$tool.err"
    [ "$status" -eq 0 ]
    whole "$t/$tool"
    grep -Eq "$COUNTS" "$t/$tool.err"
    [ "$(grep -c 'packets received by filter' "$t/$tool.err")" -eq 1 ]
    i=$((i + 1))
  done
  # --stats carries the same counts.
  grep -Eq '^  capture\.dropped_by_kernel: [0-9]+$' "$t/httpextract.err"
  grep -Eq '^  capture\.received: [0-9]+$' "$t/tlssni.err"
  # The end records of the connection still open.
  [ "$(count "$t/tcpflow-reasm" '"type":"session_end"' '"reason":"eof"')" -eq 1 ]
  [ "$(count "$t/flowstat" '"type":"flow"' '"reason":"eof"' '"dest_port":8080')" -eq 1 ]
  interrupt "$head"
  [ "$status" -eq 0 ]
  wait "$tail"
  whole "$t/pipe"
}

@test "flowstat --interval on a quiet link writes empty intervals with the capture's counts; a link down and up is told" {
  local t=$BATS_TEST_TMPDIR
  in_b flowstat -i vB --interval 0.5 > "$t/out" 2> "$t/err"
  sleep 1.2
  ip -n "$NSB" link set vB down
  sleep 0.6
  ip -n "$NSB" link set vB up
  sleep 1.2
  # Written before the signal, though no packet came.
  local before
  before=$(count "$t/out" '"type":"interval"' '"packets":0,' '"capture_dropped":0,')
  echo "empty intervals before the signal: $before"
  [ "$before" -ge 2 ]
  interrupt "${PIDS[0]}"
  cat "$t/err"
  [ "$status" -eq 0 ]
  whole "$t/out"
  [ "$(grep -c '^flowstat: capture on vB: interface down$' "$t/err")" -eq 1 ]
  [ "$(grep -c '^flowstat: capture on vB: interface up again$' "$t/err")" -eq 1 ]
  grep -Eq "$COUNTS" "$t/err"
  # Every interval record carries the capture's counts.
  [ "$(count "$t/out" '"type":"interval"')" -eq "$(count "$t/out" '"capture_received":[0-9]+,"capture_dropped":[0-9]+,"capture_if_dropped":[0-9]+}$')" ]
}

@test "an interface that cannot be opened: its error only, no counts and no summary" {
  local tool
  for tool in $(tools); do
    # (a binary that writes a capture writes it elsewhere: the output here is stderr's)
    if writes_capture "$tool"; then
      run -1 ip netns exec "$NSB" "$tool" -i nosuch0 --stats -w /dev/null
    else
      run -1 ip netns exec "$NSB" "$tool" -i nosuch0 --stats
    fi
    echo "$output"
    [ "$output" = "$tool: nosuch0: No such device exists" ]
  done
}

@test "--line-buffered: one write per record, whatever the input" {
  command -v strace > /dev/null || skip "strace is not installed"
  local t=$BATS_TEST_TMPDIR n
  # LeakSanitizer cannot run under ptrace: in the sanitizer pass, no leak check here.
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
  n=$(pcap2pkt "$DATA/sample.pcapng" | wc -l)
  strace -f -e trace=write -o "$t/trace" pcap2pkt --line-buffered "$DATA/sample.pcapng" > "$t/out"
  [ "$(grep -c '^[0-9]* *write(1,' "$t/trace")" -eq "$n" ]
  strace -f -e trace=write -o "$t/trace" pcap2pkt "$DATA/sample.pcapng" > "$t/out"
  [ "$(grep -c '^[0-9]* *write(1,' "$t/trace")" -lt "$n" ]
}
